/**
 * Child process of the replay phase: `kubestitch replay <argv>` exactly as the CLI runs it, timed
 * from inside (module loading excluded), reporting its wall time, CPU time and peak RSS to the
 * parent over IPC once the replay has returned.
 */
import { performance } from 'node:perf_hooks';
import { cpuUsage, resourceUsage } from 'node:process';

/** What the child reports. */
export interface ReplayChildReport {
  readonly type: 'replayed';
  readonly code: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  /** Peak RSS of the whole process, bytes. */
  readonly maxRssBytes: number;
  /** RSS once the CLI's modules were loaded (tsx compiles them in this process), before the replay. */
  readonly startRssBytes: number;
  /** The CLI's stderr summary lines (records, spans, traces). */
  readonly log: string;
}

const { main } = await import('../src/cli/main.js');
let log = '';
const io = { out: (s: string): void => void (log += s), err: (s: string): void => void (log += s) };
const startRssBytes = process.memoryUsage().rss;
const t0 = performance.now();
const cpu0 = cpuUsage();
const code = await main(process.argv.slice(2), io);
const seconds = (performance.now() - t0) / 1000;
const cpu = cpuUsage(cpu0);
const report: ReplayChildReport = {
  type: 'replayed',
  code,
  seconds,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  maxRssBytes: resourceUsage().maxRSS * 1024,
  startRssBytes,
  log,
};
process.send?.(report, () => process.disconnect());
