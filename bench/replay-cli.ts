import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the built CLI's process reported at exit (bench/replay-child.mjs). */
export interface CliRun {
  readonly code: number;
  /** Wall time since the process started: Node's start-up and module loading included. */
  readonly seconds: number;
  readonly cpuSeconds: number;
  /** Peak RSS of the whole process, bytes. */
  readonly maxRssBytes: number;
  /** What it wrote to stderr (replay's summary lines). */
  readonly stderr: string;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PRELOAD = new URL('replay-child.mjs', import.meta.url).href;
const BIN = join(ROOT, 'bin', 'kubestitch.js');
const BUILT_MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');

/**
 * The CLI the bench runs: BENCH_CLI when set (a launcher like bin/kubestitch.js of another
 * build), else the package's bin, whose dist/ must be built from the current sources — a stale
 * build would measure old code. Rejects with what to run when dist/ is missing or older than a
 * source file.
 */
export async function benchCli(): Promise<string> {
  const own = process.env['BENCH_CLI'];
  if (own !== undefined && own !== '') return own;
  const built = await stat(BUILT_MAIN).then(
    (s) => s.mtimeMs,
    () => undefined,
  );
  if (built === undefined) throw new Error(`bench: ${BUILT_MAIN} is missing; run \`npm run build\` first`);
  const newest = Math.max(await newestMtime(join(ROOT, 'src')), await newestMtime(join(ROOT, 'storage')));
  if (newest > built) throw new Error('bench: dist/ is older than src/; run `npm run build` first');
  return BIN;
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

/**
 * Runs `node CLI ARGS` in a child process with the exit reporter preloaded and resolves with
 * its report. Kills it after `timeoutMs`. Rejects when it exits without a report.
 */
export async function runCli(
  cli: string,
  args: readonly string[],
  reportPath: string,
  timeoutMs: number,
): Promise<CliRun> {
  await rm(reportPath, { force: true });
  const child = spawn(process.execPath, ['--import', PRELOAD, cli, ...args], {
    env: { ...process.env, KUBESTITCH_BENCH_REPORT: reportPath },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => void (stderr += s));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    const [code, signal] = (await once(child, 'close')) as [number | null, string | null];
    const text = await readFile(reportPath, 'utf8').catch(() => undefined);
    if (text === undefined)
      throw new Error(`bench: ${cli} exited (${String(code ?? signal)}) without a report: ${stderr}`);
    const r = JSON.parse(text) as Omit<CliRun, 'stderr'>;
    return { ...r, stderr };
  } finally {
    clearTimeout(timer);
  }
}
