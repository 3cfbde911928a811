#!/usr/bin/env bash
# Node 20 smoke test: the project builds and tests on Node 24 LTS (scripts/node24.sh); Node 20
# (end of life, still in `engines`) is kept working by this check. The built CLI (dist/, from
# `npm run build`) replays a real control-plane recording under Node 20 and under Node 24, and the
# two outputs must hold the same spans, byte for byte (replay is deterministic). Takes ~15 s on
# 2 busy cores (two replays).
#   NODE20=/path/to/node bash scripts/node20-smoke.sh [recording-dir]   (default test/fixtures/real/deploy)
# NODE20 defaults to the `node` on PATH; .ci/run passes the system node it found before putting
# Node 24 first on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
node20=${NODE20:-$(command -v node)}
node24=$(bash scripts/node24.sh)
recording=${1:-test/fixtures/real/deploy}

[[ -f dist/src/cli/main.js ]] || { echo "node20-smoke: no dist/: run 'npm run build' first" >&2; exit 1; }
# A Node 24 in the Node 20 slot would compare Node 24 with itself and prove nothing.
case $("$node20" --version) in
  v20.*) ;;
  *) echo "node20-smoke: $node20 is $("$node20" --version), not Node 20: set NODE20" >&2; exit 1 ;;
esac

out=$(mktemp -d)
count() { "$node24" -e '
  const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean);
  let n = 0;
  for (const l of lines) for (const rs of JSON.parse(l).resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length;
  console.log(n);' "$1"; }
for run in 20:"$node20" 24:"$node24"; do
  name=${run%%:*} bin=${run#*:}
  start=$(date +%s%N)
  "$bin" bin/kubestitch.js replay "$recording" --out "$out/$name.jsonl" 2>"$out/$name.err" \
    || { cat "$out/$name.err" >&2; echo "node20-smoke: replay failed under $("$bin" --version)" >&2; exit 1; }
  echo "node20-smoke: $("$bin" --version): $(count "$out/$name.jsonl") spans in $(( ($(date +%s%N) - start) / 1000000 )) ms"
done
if [[ $(count "$out/20.jsonl") -ne $(count "$out/24.jsonl") ]] || ! cmp -s "$out/20.jsonl" "$out/24.jsonl"; then
  echo "node20-smoke: $("$node20" --version) and Node 24 replay $recording differently (outputs in $out)" >&2
  exit 1
fi
rm -rf "$out"
echo "node20-smoke: same spans, byte for byte"
