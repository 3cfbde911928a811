import { readdir, stat } from 'node:fs/promises';
import { openTraceStore } from '../../storage/index.js';
import { describeFsError } from './args.js';
import { usageErrorText } from './usage.js';
import type { TraceStore } from '../../storage/index.js';
import { DEFAULT_UI_ADDR, parseListenAddr, startUiServer } from '../ui/ui-server.js';
import type { CliIo } from './main.js';

export interface ServeCommandOptions {
  readonly dataDir: string;
  /** Listen address of the viewer and query API; default 127.0.0.1:16686. */
  readonly ui?: string;
  /** Resolves (with the signal name) when the process should stop: SIGINT/SIGTERM in main. */
  readonly stopSignal: Promise<string>;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Why `dir` is no data directory to read (serve, trace --data-dir), or undefined when it holds a
 * store. Opening would create an empty one: a mistyped path must not serve an empty viewer.
 */
export async function storeDirProblem(dir: string): Promise<string | undefined> {
  try {
    if (!(await stat(dir)).isDirectory()) return `--data-dir ${dir} is not a directory`;
    // LevelDB keeps its CURRENT manifest pointer in every store it has opened.
    if (!(await readdir(dir)).includes('CURRENT')) {
      return `--data-dir ${dir} holds no kubestitch store (write one with kubestitch run or kubestitch replay --data-dir)`;
    }
    return undefined;
  } catch (err: unknown) {
    return `cannot read --data-dir ${dir}: ${describeFsError(err)}`;
  }
}

/** Checks a `--ui` address up front (usage error, exit 2) so a long replay does not fail at the end. */
export function checkUiAddr(command: string, addr: string | undefined, io: CliIo): boolean {
  if (addr === undefined) return true;
  try {
    parseListenAddr(addr);
    return true;
  } catch (err: unknown) {
    io.err(usageErrorText(command, `--ui: ${message(err)}`));
    return false;
  }
}

/**
 * Serves the viewer and the Jaeger-compatible API over `store` until `stopSignal` resolves, then
 * closes the server (the caller closes the store). Prints the base URL and, when given, the
 * URL of one trace worth opening first. Resolves to the exit status: 0 after a clean stop, 1 when
 * the address cannot be bound. Never throws.
 */
export async function serveUntilStopped(
  store: TraceStore,
  addr: string,
  stopSignal: Promise<string>,
  io: CliIo,
  highlight?: { readonly traceId: string; readonly label: string },
): Promise<number> {
  let server;
  try {
    server = await startUiServer({ store, addr });
  } catch (err: unknown) {
    io.err(`kubestitch: cannot serve the viewer on ${addr}: ${message(err)}\n`);
    return 1;
  }
  io.err(`kubestitch: viewer and Jaeger-compatible query API at ${server.url}/  (Ctrl-C to stop)\n`);
  if (highlight !== undefined) io.err(`kubestitch: ${highlight.label}: ${server.url}/trace/${highlight.traceId}\n`);
  io.out(`${server.url}/\n`);
  const signal = await stopSignal;
  io.err(`kubestitch: ${signal}: stopping the viewer\n`);
  await server.close();
  return 0;
}

/** `kubestitch serve --data-dir DIR [--ui ADDR]`: resolves to the exit status; never throws. */
export async function runServeCommand(options: ServeCommandOptions, io: CliIo): Promise<number> {
  if (!checkUiAddr('serve', options.ui, io)) return 2;
  const problem = await storeDirProblem(options.dataDir);
  if (problem !== undefined) {
    io.err(`kubestitch serve: ${problem}\n`);
    return 1;
  }
  let store: TraceStore;
  try {
    store = await openTraceStore(options.dataDir);
  } catch (err: unknown) {
    io.err(`kubestitch serve: cannot open the trace store in ${options.dataDir}: ${describeFsError(err)}\n`);
    return 1;
  }
  try {
    const stats = store.stats();
    io.err(`kubestitch serve: ${stats.traces} traces, ${stats.spans} spans in ${options.dataDir}\n`);
    return await serveUntilStopped(store, options.ui ?? DEFAULT_UI_ADDR, options.stopSignal, io);
  } finally {
    await store.close();
  }
}
