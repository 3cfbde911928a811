import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('./kubestitch-cli.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A `kubestitch` process started from source, with what it printed so far. */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exit: Promise<number | null>;
}

const running: ChildProcess[] = [];

/**
 * Starts `kubestitch <args>` as a real process (from source through tsx, no build needed): kill -9,
 * SIGTERM and restarts are about processes. Call `killAllCli()` in `afterEach`.
 */
export function spawnKubestitch(args: readonly string[]): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Kills (-9) every process `spawnKubestitch` started that is still running. */
export function killAllCli(): void {
  for (const c of running.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/**
 * Span names of each Deployment trace, sorted — what a user sees of a rollout in a trace view,
 * for comparing live runs (wall clock) with replays. `schedule` is left out: a step that took
 * under a millisecond in a live run is a span event, not a span.
 */
export function rolloutShapes(
  spans: readonly { traceId: string; name: string; parentSpanId?: string | undefined }[],
): string[] {
  const roots = new Map<string, string>();
  for (const s of spans) if (s.parentSpanId === undefined || s.parentSpanId === '') roots.set(s.traceId, s.name);
  const byTrace = new Map<string, string[]>();
  for (const s of spans) {
    if (!(roots.get(s.traceId) ?? '').startsWith('Deployment') || s.name === 'schedule') continue;
    byTrace.set(s.traceId, [...(byTrace.get(s.traceId) ?? []), s.name]);
  }
  return [...byTrace.values()].map((names) => names.sort().join(', ')).sort();
}
