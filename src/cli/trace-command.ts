import { MemoryStore, TraceStore, openTraceStore } from '../../storage/index.js';
import { TraceStoreSink } from '../export/trace-store-sink.js';
import { replayDirectory } from '../replay.js';
import { RecordingError } from '../sources/recording/read-recording.js';
import { UsageError, checkHttpUrl, describeFsError, str } from './args.js';
import type { ParsedArgs } from './args.js';
import type { CliIo } from './main.js';
import { parseObjectArg } from './object-arg.js';
import { ProgressLine } from './progress-line.js';
import type { ObjectArg } from './object-arg.js';
import { storeDirProblem } from './serve-command.js';
import { clean } from './terminal-text.js';
import { ServerError, serverSource, storeSource } from './trace-sources.js';
import type { FoundObject, TraceSource } from './trace-sources.js';
import type { ViewSpan } from './trace-view.js';
import { analyseTrace, formatDuration, renderFindings, renderWaterfall } from './waterfall-text.js';
import { DEFAULT_CLUSTER } from './option-schema.js';

// More traces than this of one object (a long-lived Deployment) are summarised, newest shown.
const MAX_TRACES = 10;

type Where = { readonly from: string } | { readonly dataDir: string } | { readonly server: URL };

function where(args: ParsedArgs): Where {
  const [from, dataDir, server] = [str(args, 'from'), str(args, 'data-dir'), str(args, 'server')];
  const given = [from, dataDir, server].filter((x) => x !== undefined).length;
  if (given !== 1) throw new UsageError('give exactly one of --from DIR, --data-dir DIR, --server URL');
  if (from !== undefined) return { from };
  if (dataDir !== undefined) return { dataDir };
  return { server: checkHttpUrl('--server', server ?? '') };
}

/** `kubestitch trace <kind>/<name>`: resolves to the exit status; throws only UsageError. */
export async function runTraceCommand(args: ParsedArgs, io: CliIo, progress = false): Promise<number> {
  const target = parseObjectArg(args.positionals);
  const source = where(args);
  const namespace = str(args, 'namespace');
  if (args.values['cluster'] !== undefined && !('from' in source)) throw new UsageError('--cluster goes with --from');
  let store: TraceStore | undefined;
  try {
    const local = await openLocalStore(source, str(args, 'cluster') ?? DEFAULT_CLUSTER, io, progress);
    if (!local.ok) return 1;
    store = local.store;
    const traces =
      store !== undefined
        ? storeSource(store)
        : serverSource('server' in source ? source.server : new URL('http://invalid'));
    return await show(traces, target, namespace, args.values['json'] === true, io);
  } catch (err: unknown) {
    if (err instanceof UsageError) throw err;
    const text = err instanceof ServerError ? err.message : describeFsError(err);
    io.err(`kubestitch trace: ${clean(text)}\n`);
    return 1;
  } finally {
    await store?.close();
  }
}

/**
 * The store to read for --from (the recording replayed into memory) or --data-dir (opened on
 * disk); no store for --server. `ok: false` when the problem was already reported on stderr;
 * throws what the caller reports (file system errors).
 */
async function openLocalStore(
  source: Where,
  cluster: string,
  io: CliIo,
  progress: boolean,
): Promise<{ ok: true; store: TraceStore | undefined } | { ok: false }> {
  if ('from' in source) {
    const line = progress ? new ProgressLine({ write: io.err }) : undefined;
    const store = await replayIntoMemory(source.from, cluster, io, line);
    return store === undefined ? { ok: false } : { ok: true, store };
  }
  if ('dataDir' in source) {
    const problem = await storeDirProblem(source.dataDir);
    if (problem !== undefined) {
      io.err(`kubestitch trace: ${problem}\n`);
      return { ok: false };
    }
    return { ok: true, store: await openTraceStore(source.dataDir) };
  }
  return { ok: true, store: undefined };
}

async function replayIntoMemory(
  dir: string,
  cluster: string,
  io: CliIo,
  progress: ProgressLine | undefined,
): Promise<TraceStore | undefined> {
  const store = await TraceStore.open(new MemoryStore(), { retentionMs: Infinity, maxBytes: Number.MAX_SAFE_INTEGER });
  try {
    const summary = await replayDirectory(dir, new TraceStoreSink(store), {
      cluster,
      ...(progress !== undefined ? { onRecord: progress.onRecord, onBytes: progress.onBytes } : {}),
    });
    progress?.done();
    if (summary.recording.problems.length > 0) {
      io.err(`kubestitch trace: ${summary.recording.problems.length} malformed lines in ${clean(dir)} skipped\n`);
    }
    await store.flush();
    return store;
  } catch (err: unknown) {
    progress?.done();
    await store.close();
    if (!(err instanceof RecordingError)) throw err;
    io.err(`kubestitch trace: ${clean(err.message)}\n`);
    return undefined;
  }
}

/** The terminal's width; $COLUMNS when stdout is a pipe (as `less -S` users set it); else 100. */
function terminalColumns(): number {
  const fromEnv = Number(process.env['COLUMNS']);
  if (process.stdout.columns > 0) return process.stdout.columns;
  return Number.isInteger(fromEnv) && fromEnv >= 40 ? fromEnv : 100;
}

function describe(target: ObjectArg, namespace: string | undefined): string {
  return `${target.kind} ${namespace !== undefined ? `${namespace}/` : ''}${target.name}`;
}

async function show(
  source: TraceSource,
  target: ObjectArg,
  namespace: string | undefined,
  json: boolean,
  io: CliIo,
): Promise<number> {
  const objects = await source.findObjects(target, namespace);
  if (objects.length === 0) {
    io.err(`kubestitch trace: no traces of ${clean(describe(target, namespace))}\n`);
    return 1;
  }
  const namespaces = [...new Set(objects.map((o) => o.namespace))];
  if (namespaces.length > 1) {
    throw new UsageError(
      `${describe(target, undefined)} is in several namespaces (${namespaces.join(', ')}): give -n NAMESPACE`,
    );
  }
  const [object] = objects;
  if (object === undefined) return 1;
  const ids = [...new Set(objects.flatMap((o) => o.traceIds))];
  const shown = ids.slice(-MAX_TRACES);
  const traces: ViewSpan[][] = [];
  for (const id of shown) {
    const spans = await source.getTrace(id);
    if (spans !== undefined && spans.length > 0) traces.push(aboutObject(spans, object));
  }
  if (json) {
    io.out(`${JSON.stringify(toJson(object, traces), null, 2)}\n`);
    return 0;
  }
  const columns = terminalColumns();
  const title = `${object.kind} ${object.namespace !== '' ? `${object.namespace}/` : ''}${object.name}`;
  io.out(`${clean(title)}: ${ids.length} trace${ids.length === 1 ? '' : 's'}`);
  io.out(ids.length > shown.length ? ` (the newest ${shown.length} shown)\n` : '\n');
  for (const spans of traces) {
    const a = analyseTrace(spans);
    const root = a.rows[0]?.span;
    if (root === undefined) continue;
    const span = formatDuration(Math.max(...spans.map((s) => s.endMs)) - root.startMs);
    io.out(`\n${clean(root.name)} — ${span}, ${new Date(root.startMs).toISOString()}, trace ${root.traceId}\n`);
    io.out(`${[...renderWaterfall(a, columns, clean), ...renderFindings(a, clean)].join('\n')}\n`);
  }
  io.out('\n* = critical path (what the total duration waited on)\n');
  return 0;
}

/** The object's own spans and what hangs under them; the whole trace when no span is about it. */
function aboutObject(spans: readonly ViewSpan[], o: FoundObject): ViewSpan[] {
  const label = `${o.kind} ${o.namespace !== '' && o.kind !== 'Node' ? `${o.namespace}/` : ''}${o.name}`;
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const own = spans.filter((s) => s.object === label);
  if (own.length === 0) return [...spans];
  const tops = new Set(own.filter((s) => !own.some((p) => p.spanId === s.parentSpanId)).map((s) => s.spanId));
  return spans.filter((s) => {
    // Bounded: a parent cycle in a hostile trace must not loop forever.
    let at: ViewSpan | undefined = s;
    for (let hops = 0; at !== undefined && hops <= spans.length; hops++) {
      if (tops.has(at.spanId)) return true;
      at = byId.get(at.parentSpanId ?? '');
    }
    return false;
  });
}

function toJson(o: FoundObject, traces: readonly ViewSpan[][]): unknown {
  return {
    object: { kind: o.kind, namespace: o.namespace, name: o.name },
    traces: traces.map((spans) => {
      const a = analyseTrace(spans);
      return {
        traceId: spans[0]?.traceId,
        spans: a.rows.map((r) => ({
          ...r.span,
          depth: r.depth,
          offsetMs: r.offsetMs,
          durationMs: r.durationMs,
          critical: r.critical,
        })),
        slowPhases: a.slowPhases,
        waits: a.waits,
      };
    }),
  };
}
