import type { IntakeLog, KvStore } from '../../storage/index.js';
import type { SpanSink } from '../export/sink.js';
import type { ShutdownStep } from './shutdown.js';

/** Something with an asynchronous stop (a server, an informer set, a follower, a timer loop). */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * What a run service has started so far. The stop (or a start that fails half way) closes
 * what is here, in the one order `shutdownSteps` gives.
 */
export interface StartedParts {
  readonly store: KvStore;
  /** `owned`: built by the service for its store (it shuts it down); else only flushed. */
  sink?: { readonly sink: SpanSink; readonly owned: boolean };
  intake?: IntakeLog;
  /** The OTLP receivers and their stitch stage. */
  otlp?: { close(): Promise<void> };
  /** Set once the journal is restored: from then on what is journaled is processed on stop. */
  pipeline?: { drain(): Promise<void> };
  webhook?: Stoppable;
  follower?: Stoppable;
  watch?: Stoppable;
  ticker?: Stoppable;
  compactor?: Stoppable;
}

/**
 * The graceful stop as an ordered list of named steps: intake stops (timers, informers, audit
 * log, webhook), what they journaled is processed, the OTLP stage hands over its held spans, the
 * journal closes, the export drains within its deadline (the spool keeps the rest for the next
 * start), and only then the store closes — it holds the journal, the spool and the trace store.
 * Parts that never started have no step.
 */
export function shutdownSteps(parts: StartedParts): ShutdownStep[] {
  const { sink, intake, otlp, pipeline, webhook, follower, watch, ticker, compactor } = parts;
  const steps: (ShutdownStep | false | undefined)[] = [
    compactor && { name: 'stop journal compaction', run: () => compactor.stop() },
    ticker && { name: 'stop clock ticks', run: () => ticker.stop() },
    watch && { name: 'stop informers', run: () => watch.stop() },
    follower && { name: 'stop audit log follower', run: () => follower.stop() },
    webhook && { name: 'stop audit webhook', run: () => webhook.stop() },
    pipeline && { name: 'drain journal', run: () => pipeline.drain() },
    otlp && { name: 'stop OTLP receivers', run: () => otlp.close() },
    intake && { name: 'close journal', run: () => intake.close() },
    sink && { name: 'drain export', run: () => drainExport(sink.sink, sink.owned) },
    { name: 'close store', run: () => parts.store.close() },
  ];
  return steps.filter((s): s is ShutdownStep => s !== undefined && s !== false);
}

async function drainExport(sink: SpanSink, owned: boolean): Promise<void> {
  await sink.flush();
  if (owned) await sink.shutdown();
}

/**
 * A body run every `everyMs` (unref'ed), one run at a time; `run()` runs it now, after the
 * one in progress. `stop()` clears the timer and waits for the run in progress. The body must
 * not reject (it logs its own failures).
 */
export function serialLoop(everyMs: number, body: () => Promise<void>): Stoppable & { run(): Promise<void> } {
  let last: Promise<void> = Promise.resolve();
  const run = (): Promise<void> => (last = last.then(body));
  const timer = setInterval(() => void run(), everyMs);
  timer.unref();
  return {
    run,
    stop: async () => {
      clearInterval(timer);
      await last;
    },
  };
}
