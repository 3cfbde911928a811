// Preloaded (`node --expose-gc --import`) into the built CLI running `kubestitch run` for the
// live-memory phase: the process is `kubestitch run` as a user runs it (bin/kubestitch.js, compiled
// dist/), plus two IPC requests the measurement needs and the CLI cannot answer from outside.
// Plain JavaScript, so nothing is compiled in the measured process: under tsx the idle service
// also held tsx, esbuild and a source map of every module it loaded.
//
//   ← parent  { type: 'measure' }           → ServiceMemory (heap after two full collections)
//   ← parent  { type: 'advance', ms }       → { type: 'advanced', offsetMs }
//
// `advance` moves this process's wall clock (`Date.now`) forward: activity windows (30 min,
// epoch-aligned) and operations (1 h max age) then end at the next clock tick as they would an
// hour later, which shows what the service still holds once they have. Timers are unaffected.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { writeHeapSnapshot } from 'node:v8';

// Installed before the CLI is imported, so every `options.nowMs ?? Date.now` sees the shifted clock.
const realNow = Date.now.bind(Date);
let offsetMs = 0;
// KUBESTITCH_BENCH_HEAP_SNAPSHOTS=DIR: a heap snapshot at every measurement (<pid>-1.heapsnapshot,
// …), to see where the bytes per pod go; off by default (a snapshot costs seconds and its size in RAM).
const snapshotDir = process.env.KUBESTITCH_BENCH_HEAP_SNAPSHOTS;
let snapshots = 0;
// KUBESTITCH_BENCH_HEAP_SNAPSHOT_AT=5,6: only at those measurements (1-based), e.g. around the storm
// of a 100,000-pod run, where a snapshot at every one would take minutes each.
const snapshotAtText = process.env.KUBESTITCH_BENCH_HEAP_SNAPSHOT_AT;
const snapshotAt =
  snapshotAtText !== undefined && snapshotAtText !== '' ? new Set(snapshotAtText.split(',').map(Number)) : undefined;
Date.now = () => realNow() + offsetMs;

// KUBESTITCH_BENCH_MEMORY_LOG=FILE: every 250 ms a line `ms heapUsed heapTotal rss external` (bytes)
// appended to FILE, to see what a peak RSS is made of between the measurements (which collect first).
const memoryLog = process.env.KUBESTITCH_BENCH_MEMORY_LOG;
if (memoryLog !== undefined && memoryLog !== '') {
  globalThis
    .setInterval(() => {
      const m = process.memoryUsage();
      appendFileSync(memoryLog, `${realNow()} ${m.heapUsed} ${m.heapTotal} ${m.rss} ${m.external}\n`);
    }, 250)
    .unref();
}

process.on('message', (m) => {
  if (m?.type === 'advance') {
    offsetMs += m.ms ?? 0;
    process.send?.({ type: 'advanced', offsetMs });
    return;
  }
  if (m?.type !== 'measure') return;
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('live-service: start node with --expose-gc');
  // Twice: weak maps and finalizers settle on the second, as settledHeap does.
  gc();
  gc();
  const mem = process.memoryUsage();
  ++snapshots;
  if (snapshotDir !== undefined && snapshotDir !== '' && (snapshotAt === undefined || snapshotAt.has(snapshots)))
    writeHeapSnapshot(join(snapshotDir, `${process.pid}-${snapshots}.heapsnapshot`));
  const cpu = process.cpuUsage();
  process.send?.({
    type: 'memory',
    heapUsed: mem.heapUsed,
    heapTotal: mem.heapTotal,
    rss: mem.rss,
    external: mem.external,
    maxRss: process.resourceUsage().maxRSS * 1024,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  });
});
// The IPC channel must not keep `run` alive once it has returned (after SIGTERM).
process.channel?.unref();
