/**
 * Child process of the live-memory phase: `kubestitch run <argv>` exactly as the CLI runs it
 * (same entry point, flags, sinks, admin server), plus two IPC requests the measurement needs and
 * the CLI cannot answer from outside. Fork it with `--expose-gc`.
 *
 *   ← parent  { type: 'measure' }           → ServiceMemory (heap after two full collections)
 *   ← parent  { type: 'advance', ms }       → { type: 'advanced', offsetMs }
 *   → parent  { type: 'exit', code } once `run` returned (after SIGTERM)
 *
 * `advance` moves this process's wall clock (`Date.now`) forward: activity windows (30 min,
 * epoch-aligned) and operations (1 h max age) then end at the next clock tick as they would an
 * hour later, which shows what the service still holds once they have. Timers are unaffected.
 */
import { join } from 'node:path';
import { cpuUsage, memoryUsage, resourceUsage } from 'node:process';
import { writeHeapSnapshot } from 'node:v8';

/** Memory of the service process after two full collections (bytes; cpuSeconds user+system). */
export interface ServiceMemory {
  readonly type: 'memory';
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly rss: number;
  /** C++ objects bound to JS (LevelDB buffers among them), array buffers included. */
  readonly external: number;
  /** Peak RSS of the process so far. */
  readonly maxRss: number;
  readonly cpuSeconds: number;
}

// Installed before the CLI is imported, so every `options.nowMs ?? Date.now` sees the shifted clock.
const realNow = Date.now.bind(Date);
let offsetMs = 0;
// KUBESTITCH_BENCH_HEAP_SNAPSHOTS=DIR: a heap snapshot at every measurement (1.heapsnapshot, …),
// to see where the bytes per pod go; off by default (a snapshot costs seconds and its size in RAM).
const snapshotDir = process.env['KUBESTITCH_BENCH_HEAP_SNAPSHOTS'];
let snapshots = 0;
Date.now = () => realNow() + offsetMs;

process.on('message', (m: { type?: string; ms?: number }) => {
  if (m.type === 'advance') {
    offsetMs += m.ms ?? 0;
    process.send?.({ type: 'advanced', offsetMs });
    return;
  }
  if (m.type !== 'measure') return;
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('live-service: fork with --expose-gc');
  // Twice: weak maps and finalizers settle on the second, as settledHeap does.
  gc();
  gc();
  const mem = memoryUsage();
  if (snapshotDir !== undefined && snapshotDir !== '')
    writeHeapSnapshot(join(snapshotDir, `${++snapshots}.heapsnapshot`));
  const cpu = cpuUsage();
  const reply: ServiceMemory = {
    type: 'memory',
    heapUsed: mem.heapUsed,
    heapTotal: mem.heapTotal,
    rss: mem.rss,
    external: mem.external,
    maxRss: resourceUsage().maxRSS * 1024,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
  process.send?.(reply);
});

const { main } = await import('../src/cli/main.js');
const code = await main(['run', ...process.argv.slice(2)]);
process.send?.({ type: 'exit', code });
process.disconnect?.();
process.exitCode = code;
