import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cpuUsage } from 'node:process';
import { type CliRun, benchCli, runCli } from './replay-cli.js';
import { type ReplayClusterOptions, writeReplayCluster } from './replay-cluster.js';

/** The replay of a generated cluster against the bare read-lines + JSON.parse of its files. */
export interface ReplayPhaseResult {
  readonly cluster: ReplayClusterOptions;
  readonly records: number;
  readonly bytes: number;
  /** Read the files line by line and JSON.parse each line, nothing else (this process). */
  readonly parseSeconds: number;
  readonly parseCpuSeconds: number;
  /** The built `kubestitch replay DIR --out FILE` in a child process, start-up included. */
  readonly replaySeconds: number;
  readonly replayCpuSeconds: number;
  readonly replayMaxRssBytes: number;
  /** `kubestitch --version`, measured the same way: Node plus the CLI's modules, no replay. */
  readonly startupSeconds: number;
  readonly startupMaxRssBytes: number;
  readonly spans: number;
  /** Lines of the OTLP/JSON output: one ExportTraceServiceRequest each. */
  readonly requests: number;
  readonly outputBytes: number;
}

const FILES = ['watch.jsonl', 'events.jsonl'];
const TIMEOUT_MS = 30 * 60_000;

/**
 * Generates the cluster's recording into a scratch directory, times the parse bound in this
 * process, then the built `kubestitch replay` with OTLP/JSON output in a child process, as a user
 * runs it (so its peak RSS is the replay's alone, with no compiler loaded), and counts the
 * output. Removes the scratch directory. Rejects when dist/ is stale (see benchCli), or when the
 * replay fails or takes longer than 30 min.
 */
export async function replayPhase(cluster: ReplayClusterOptions): Promise<ReplayPhaseResult> {
  const cli = await benchCli();
  const scratch = await mkdtemp(join(tmpdir(), 'kubestitch-bench-replay-'));
  try {
    const { dir, records, bytes } = await writeReplayCluster(join(scratch, 'recording'), cluster);
    const parse = await parseBound(dir);
    const out = join(scratch, 'spans.jsonl');
    const report = join(scratch, 'report.json');
    const startup = await runCli(cli, ['--version'], report, TIMEOUT_MS);
    const child = checked(await runCli(cli, ['replay', dir, '--out', out, '--cluster', 'bench'], report, TIMEOUT_MS));
    const spans = Number(/(\d+) spans in/.exec(child.stderr)?.[1] ?? NaN);
    return {
      cluster,
      records,
      bytes,
      parseSeconds: parse.seconds,
      parseCpuSeconds: parse.cpuSeconds,
      replaySeconds: child.seconds,
      replayCpuSeconds: child.cpuSeconds,
      replayMaxRssBytes: child.maxRssBytes,
      startupSeconds: startup.seconds,
      startupMaxRssBytes: startup.maxRssBytes,
      spans,
      requests: await countLines(out),
      outputBytes: (await stat(out)).size,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function parseBound(dir: string): Promise<{ seconds: number; cpuSeconds: number }> {
  globalThis.gc?.();
  const t0 = performance.now();
  const c0 = cpuUsage();
  for (const file of FILES) {
    let rest = '';
    for await (const chunk of createReadStream(join(dir, file), { encoding: 'utf8', highWaterMark: 1 << 20 })) {
      const lines = `${rest}${String(chunk)}`.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line !== '') JSON.parse(line);
    }
    if (rest !== '') JSON.parse(rest);
  }
  const cpu = cpuUsage(c0);
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

function checked(run: CliRun): CliRun {
  if (run.code !== 0) throw new Error(`bench: kubestitch replay exited ${run.code}: ${run.stderr}`);
  return run;
}

async function countLines(path: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(path)) {
    const buf = chunk as Buffer;
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) lines++;
  }
  return lines;
}
