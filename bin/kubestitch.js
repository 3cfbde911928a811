#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build`.
import { setFlagsFromString } from 'node:v8';

// A replay holds little at once (reorder windows, open operations, a batch of spans: ~100 MB on
// the bench's 1,000 × 4 cluster) and allocates ten times its input, nearly all garbage. V8 lets
// its old generation grow to up to 4× what the last full GC kept before the next one, so that
// replay peaked at 497 MB of RSS; a growing factor of HEAP_GROWING_PERCENT keeps it near what it
// holds for a few more full GCs (measured figures: bench/baseline.json's notes). `run` too: a
// burst (a storm of pending pods) is mostly garbage as well, and its peak RSS followed V8's
// headroom, not what it held (#16). Set here, before anything is loaded; other commands keep V8's
// defaults.
const HEAP_GROWING_PERCENT = 50;
if (process.argv[2] === 'replay' || process.argv[2] === 'run') {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

const { main } = await import('../dist/src/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
