import { type Clock, systemClock } from '../model/clock.js';
import type { SpanLinkData } from '../model/span.js';
import type { OtlpLogger } from '../otlp/otlp-logger.js';
import { type IntakeResult, type TraceBatch, nanosToMs } from '../otlp/otlp-message.js';
import type { TraceBatchSink } from '../otlp/trace-batch-sink.js';
import { AnchorMatcher, type Match } from './anchor-matcher.js';
import { HoldBuffer } from './hold-buffer.js';
import { OrphanWait, type OrphanTrace } from './orphan-wait.js';
import { ClusterTagger, adoptOrphan, reparent, reparentBeside } from './reparent.js';
import { SpanDedupe } from './span-dedupe.js';
import type { SpanEntry } from './span-entries.js';
import { buildRequest, flattenRequest, isRootSpan, isValidTraceId, serviceNameOf } from './span-entries.js';
import { type AnchorInput, type StitchMode, emptyStats } from './stitch-types.js';
import { type TraceClues, anchorKeys, clueKeys, cluesOf, hasCandidate, linkTo, mergeClues } from './trace-clues.js';
import { LINKED, PASSTHROUGH, type TraceFate, TraceFates } from './trace-fates.js';
import type { StitcherOptions } from './stitcher-options.js';

const DEFAULT_APISERVERS = ['apiserver', 'kube-apiserver'];
const DEFAULT_HOLD_SERVICES = ['apiserver', 'kube-apiserver', 'kubelet', 'etcd', 'containerd', 'crio', 'cri-o'];

/**
 * The stitch stage (DESIGN §4) on OTLP messages. `ingest` takes received batches (it is a
 * TraceIntake), `onAnchor` takes synth's anchors (pass it as `Synthesizer({ onAnchor })`).
 *
 * Every span received leaves exactly once through the sink — rewritten (reparent mode, matched),
 * or unchanged (link mode, unmatched, hold timeout, overflow, shutdown) — with `k8s.cluster.name`
 * added to its resource when the component did not set it. A copy of a span already taken (same
 * trace id and span id: OTLP is delivered at least once) is dropped and counted
 * (`duplicateSpans`). A failure to match never drops a span; only a sink that refuses a batch
 * does, and that is counted (`refusedSpans`).
 * ingest answers `retryable` without taking anything when the sink has no room or after shutdown.
 */
/** How long real spans wait for their anchor by default. */
export const DEFAULT_HOLD_MS = 25_000;
/** How long a span's ids are remembered to drop a re-sent copy: past every exporter's retries. */
const DEFAULT_DEDUPE_TTL_MS = 10 * 60_000;
/** How long a stitched span waits for a parent not yet seen: two of an exporter's 5 s batches. */
const DEFAULT_ORPHAN_WAIT_MS = 10_000;

export class Stitcher {
  readonly stats = emptyStats();
  readonly #sink: TraceBatchSink;
  readonly #mode: StitchMode;
  readonly #holdMs: number;
  readonly #clock: Clock;
  readonly #apiservers: ReadonlySet<string>;
  readonly #holdServices: ReadonlySet<string>;
  readonly #addLinks: StitcherOptions['addLinks'];
  readonly #logger: OtlpLogger | undefined;
  readonly #held: HoldBuffer;
  readonly #matcher: AnchorMatcher;
  readonly #fates: TraceFates;
  readonly #tagger: ClusterTagger;
  readonly #dedupe: SpanDedupe;
  readonly #orphans: OrphanWait;
  readonly #timer: NodeJS.Timeout | undefined;
  #overflowing = false;
  #shutdown: Promise<void> | undefined;

  constructor(options: StitcherOptions) {
    this.#sink = options.sink;
    this.#mode = options.mode ?? 'reparent';
    // 10 s for the audit record to arrive, plus synth's adoption window (ADR 0004): the anchor of
    // an operation waiting for its owner is announced only once its trace id is final.
    this.#holdMs = options.holdMs ?? DEFAULT_HOLD_MS;
    this.#clock = options.clock ?? systemClock;
    this.#apiservers = new Set(options.apiserverServices ?? DEFAULT_APISERVERS);
    this.#holdServices = new Set(options.holdServices ?? DEFAULT_HOLD_SERVICES);
    this.#addLinks = options.addLinks;
    this.#logger = options.logger;
    this.#tagger = new ClusterTagger(options.cluster);
    this.#held = new HoldBuffer(options.maxHeldSpans ?? 20_000, options.maxHeldBytes ?? 32 << 20);
    const ttl = options.memoryTtlMs ?? 15 * 60_000;
    const max = options.memoryMax ?? 100_000;
    this.#matcher = anchorMatcherOf(options, this.#clock, max, ttl);
    this.#fates = new TraceFates(max, ttl, this.#clock);
    this.#orphans = new OrphanWait(options.orphanWaitMs ?? DEFAULT_ORPHAN_WAIT_MS);
    this.#dedupe = new SpanDedupe(
      options.dedupeMax ?? 200_000,
      options.dedupeTtlMs ?? DEFAULT_DEDUPE_TTL_MS,
      this.#clock,
    );
    const sweep = options.sweepIntervalMs ?? 0;
    if (sweep > 0) {
      this.#timer = setInterval(() => this.expire(), sweep);
      this.#timer.unref();
    }
  }

  /** Spans currently held (for tests and metrics). */
  get heldSpans(): number {
    return this.#held.spans;
  }

  /** Takes one received batch (see the class doc). Never throws. */
  readonly ingest = (batch: TraceBatch): IntakeResult => {
    if (this.#shutdown !== undefined) return retryable('the stitch stage is shut down');
    if (!this.#sink.hasRoom(batch.spanCount)) return retryable('the downstream queue is full');
    this.expire();
    this.stats.spansIn += batch.spanCount;
    const received = flattenRequest(batch.request);
    const entries = this.#dedupe.fresh(received);
    this.stats.duplicateSpans += received.length - entries.length;
    const routed: SpanEntry[] = [];
    let invalid = 0;
    const traces = new Map<string, { traceId: Buffer; entries: SpanEntry[] }>();
    for (const entry of entries) {
      const traceId = entry.span.traceId;
      if (!isValidTraceId(traceId)) {
        invalid += 1;
        routed.push(entry);
        continue;
      }
      const hex = traceId.toString('hex');
      const group = traces.get(hex);
      if (group === undefined) traces.set(hex, { traceId, entries: [entry] });
      else group.entries.push(entry);
    }
    for (const [hex, group] of traces) this.#route(hex, group.traceId, group.entries, routed);
    this.stats.invalidSpans += invalid;
    const out = routed.map((e) => this.#tagger.tag(e));
    const originals = new Set(received);
    if (out.length === received.length && out.every((e) => originals.has(e))) {
      this.#offer(batch); // nothing held or changed: forward the request as received
    } else if (out.length > 0) {
      this.#offer({ request: buildRequest(out), spanCount: out.length });
    }
    if (invalid === 0) return { status: 'ok' };
    return { status: 'ok', message: `${invalid} spans with an invalid trace id were forwarded without stitching` };
  };

  /** Synth exported an anchor's pseudo-span (pass as `Synthesizer({ onAnchorEnd })`). Never throws. */
  readonly onAnchorEnd = (anchor: AnchorInput, endMs: number): void => {
    this.#matcher.anchorEnded(anchor, endMs);
  };

  /**
   * Synth reports a pseudo-span real spans can attach to. Held traces waiting for it are released
   * (rewritten in reparent mode); the links returned point at real traces that were forwarded
   * unchanged (link mode, or reparent mode after a hold timeout/overflow). Never throws.
   */
  readonly onAnchor = (anchor: AnchorInput): SpanLinkData[] | undefined => {
    this.#matcher.add(anchor);
    const links: SpanLinkData[] = [];
    const out: SpanEntry[] = [];
    for (const key of anchorKeys(anchor)) {
      const candidates = this.#matcher.candidates(key, anchor, this.#fates.waiting(key), (t) => this.#cluesOf(t));
      for (const { trace, rule } of candidates) {
        const held = this.#held.take(trace);
        if (held !== undefined) {
          this.#fates.unwait(trace, clueKeys(held.clues));
          links.push(...this.#resolve(trace, held.traceId, held.entries, held.clues, { anchor, rule }, out, true));
        } else {
          const fate = this.#fates.get(trace);
          if (fate?.kind !== 'late') continue;
          const link = linkTo(fate.traceId, fate.clues, rule, true);
          if (link !== undefined) links.push(link);
          this.stats.lateLinks += 1;
          this.stats.matchedTraces[rule] += 1;
          this.#fates.set(trace, LINKED);
        }
        this.#matcher.claim({ anchor, rule });
      }
    }
    this.#emit(out);
    return links.length > 0 ? links : undefined;
  };

  /**
   * Releases, unchanged, every held trace whose holdMs is up (remembered for late links), and
   * the stitched spans whose parent did not come within the orphan window (under the pseudo-span).
   */
  expire(): void {
    const now = this.#clock.nowMs();
    const expired = this.#held.takeExpired(now);
    const orphaned = this.#orphans.takeExpired(now);
    if (expired.length === 0 && orphaned.length === 0) return;
    const out: SpanEntry[] = [];
    for (const [trace, held] of expired) {
      this.stats.expiredSpans += held.entries.length;
      this.#giveUp(trace, held.traceId, held.clues, held.entries, out);
    }
    for (const t of orphaned) this.#adopt(t, out);
    this.#emit(out);
  }

  /**
   * Stops the timer, releases every held span unchanged (late anchors can still link to them) and
   * waits for the sink to flush. Idempotent; never rejects; ingest answers `retryable` afterwards.
   */
  shutdown(): Promise<void> {
    if (this.#shutdown === undefined) {
      clearInterval(this.#timer);
      const out: SpanEntry[] = [];
      for (const [trace, held] of this.#held.takeAll()) {
        this.stats.expiredSpans += held.entries.length;
        this.#giveUp(trace, held.traceId, held.clues, held.entries, out);
      }
      for (const t of this.#orphans.takeAll()) this.#adopt(t, out);
      this.#emit(out);
      this.#shutdown = this.#sink.flush();
    }
    return this.#shutdown;
  }

  #route(trace: string, traceId: Buffer, entries: SpanEntry[], out: SpanEntry[]): void {
    const fate = this.#fates.get(trace);
    if (fate !== undefined) {
      this.#routeDecided(trace, traceId, fate, entries, out);
      return;
    }
    const held = this.#held.get(trace);
    const clues = mergeClues(held?.clues, cluesOf(entries, this.#apiservers));
    const match = this.#matcher.find(clues);
    if (match !== undefined) {
      this.#resolve(trace, traceId, this.#withHeld(trace, entries), clues, match, out, false);
    } else if (this.#mayStillMatch(clues, held !== undefined, entries)) {
      this.#hold(trace, traceId, entries, clues, out);
    } else {
      // Nothing can match any more: release what waited with the rest.
      const all = this.#withHeld(trace, entries);
      // Remembered only for components whose later spans could otherwise wait as orphans.
      if (all.some((e) => this.#holdServices.has(serviceNameOf(e)))) this.#fates.set(trace, PASSTHROUGH);
      out.push(...all);
    }
  }

  // Spans of a trace already decided follow its fate.
  #routeDecided(trace: string, traceId: Buffer, fate: TraceFate, entries: SpanEntry[], out: SpanEntry[]): void {
    if (fate.kind !== 'stitched') {
      out.push(...entries);
      return;
    }
    // A root arriving after its trace was stitched stays in the trace (its children there name it
    // as parent), but under the pseudo-span only if that covers it: one already emitted cannot
    // widen (a backlog older than the adoption window, ADR 0004), so it is a root beside it.
    const beside = new Set(entries.filter((e) => isRootOf(e) && !this.#covers(fate.anchor, [e])));
    this.stats.uncoveredSpans += beside.size;
    this.#release(trace, traceId, fate, entries, out, false, beside);
  }

  // Worth holding: an anchor may still come for a clue, or the root that would bring clues has not.
  #mayStillMatch(clues: TraceClues, wasHeld: boolean, entries: readonly SpanEntry[]): boolean {
    if (this.#matcher.waitKeys(clues).length > 0) return true;
    return clues.root === undefined && (wasHeld || this.#orphan(entries));
  }

  // The trace's held spans (no longer held, nor waited for) followed by the new ones.
  #withHeld(trace: string, entries: readonly SpanEntry[]): SpanEntry[] {
    const earlier = this.#held.take(trace);
    if (earlier === undefined) return [...entries];
    this.#fates.unwait(trace, clueKeys(earlier.clues));
    return [...earlier.entries, ...entries];
  }

  // No root seen yet, from a component whose traces we stitch: the root may still bring a match.
  #orphan(entries: readonly SpanEntry[]): boolean {
    return entries.some((e) => this.#holdServices.has(serviceNameOf(e)));
  }

  #cluesOf(trace: string): TraceClues | undefined {
    const held = this.#held.get(trace);
    if (held !== undefined) return held.clues;
    const fate = this.#fates.get(trace);
    return fate?.kind === 'late' ? fate.clues : undefined;
  }

  /** Joins a trace to its anchor; returns links for synth when called from onAnchor (`fromAnchor`). */
  #resolve(
    trace: string,
    traceId: Buffer,
    entries: readonly SpanEntry[],
    clues: TraceClues,
    match: Match,
    out: SpanEntry[],
    fromAnchor: boolean,
  ): SpanLinkData[] {
    this.#matcher.claim(match);
    if (this.#mode === 'reparent' && !this.#covers(match.anchor, entries.filter(isRootOf))) {
      // Its pseudo-span was emitted before the trace came and does not cover it: putting it
      // under it would break DESIGN §3.5 invariant 1, so it stays a trace of its own.
      this.stats.uncoveredTraces += 1;
      this.#fates.set(trace, PASSTHROUGH);
      out.push(...entries);
      return [];
    }
    this.stats.matchedTraces[match.rule] += 1;
    if (this.#mode === 'reparent') {
      const target = {
        traceId: Buffer.from(match.anchor.traceId, 'hex'),
        parentSpanId: Buffer.from(match.anchor.spanId, 'hex'),
        rule: match.rule,
      };
      const fate = { kind: 'stitched', target, anchor: match.anchor } as const;
      this.#fates.set(trace, fate);
      this.#release(trace, traceId, fate, entries, out, true);
      return [];
    }
    this.#fates.set(trace, LINKED);
    out.push(...entries);
    const link = linkTo(traceId, clues, match.rule, false);
    if (link === undefined) return [];
    if (fromAnchor) return [link];
    if (this.#addLinks?.(match.anchor, [link]) !== true) this.stats.linksMissed += 1;
    return [];
  }

  /**
   * Rewrites spans of a stitched trace into `out`, but for those whose parent has not come yet:
   * they wait in the orphan window (`opens`: the trace was just stitched and its window starts).
   */
  #release(
    trace: string,
    traceId: Buffer,
    fate: Extract<TraceFate, { kind: 'stitched' }>,
    entries: readonly SpanEntry[],
    out: SpanEntry[],
    opens: boolean,
    beside: ReadonlySet<SpanEntry> = new Set(),
  ): void {
    const start = opens ? { traceId, target: fate.target, anchor: fate.anchor } : undefined;
    const { release, orphans } = this.#orphans.admit(trace, entries, start, this.#clock.nowMs());
    // They may end up under the pseudo-span: have synth reserve their time while it still can.
    if (orphans.length > 0) this.#covers(fate.anchor, orphans);
    for (const e of release)
      out.push(beside.has(e) ? reparentBeside(e, traceId, fate.target) : reparent(e, traceId, fate.target));
    this.stats.rewrittenSpans += release.length;
  }

  /** Releases a trace's spans whose parent never came: under the pseudo-span when it covers them. */
  #adopt(t: OrphanTrace, out: SpanEntry[]): void {
    if (t.held.length === 0) return;
    // Not covered (its pseudo-span was emitted too short): roots beside it, linked, as a late root
    // is — kept with the parent that never came, it would name a span missing from the trace.
    const covered = this.#covers(t.anchor, t.held);
    for (const e of t.held) out.push(adoptOrphan(e, t.traceId, t.target, !covered));
    this.stats.adoptedOrphans += t.held.length;
    if (!covered) this.stats.uncoveredSpans += t.held.length;
    this.stats.rewrittenSpans += t.held.length;
  }

  /**
   * Whether the pseudo-span covers `direct`, the spans that go right under it: synth widens it
   * while it is not emitted yet; once emitted, its final interval must already hold them.
   */
  #covers(anchor: AnchorInput, direct: readonly SpanEntry[]): boolean {
    let startMs = Infinity;
    let endMs = -Infinity;
    for (const e of direct) {
      startMs = Math.min(startMs, nanosToMs(e.span.startTimeUnixNano));
      endMs = Math.max(endMs, nanosToMs(e.span.endTimeUnixNano));
    }
    if (startMs > endMs) return true; // none
    if (anchor.cover === undefined || anchor.cover(startMs, endMs)) return true;
    return this.#matcher.coveredWhenEnded(anchor, startMs, endMs);
  }

  #hold(trace: string, traceId: Buffer, entries: SpanEntry[], clues: TraceClues, out: SpanEntry[]): void {
    if (!this.#held.fits(entries)) {
      const earlier = this.#held.take(trace);
      const all = [...(earlier?.entries ?? []), ...entries];
      this.stats.overflowSpans += all.length;
      if (!this.#overflowing)
        this.#logger?.warn({ held: this.#held.spans }, 'stitch hold buffer full: forwarding unchanged');
      this.#overflowing = true;
      this.#giveUp(trace, traceId, clues, all, out);
      return;
    }
    this.#overflowing = false;
    this.#held.add(trace, traceId, entries, clues, this.#clock.nowMs() + this.#holdMs);
    this.#fates.wait(trace, this.#matcher.waitKeys(clues));
  }

  /** Releases a trace unchanged; remembers it for a late link when an anchor may still come. */
  #giveUp(trace: string, traceId: Buffer, clues: TraceClues, entries: readonly SpanEntry[], out: SpanEntry[]): void {
    out.push(...entries);
    const keys = this.#matcher.waitKeys(clues);
    if (hasCandidate(clues) && keys.length > 0) {
      this.#fates.set(trace, { kind: 'late', traceId, clues });
      this.#fates.wait(trace, keys);
    } else {
      this.#fates.unwait(trace, clueKeys(clues));
      this.#fates.set(trace, PASSTHROUGH);
    }
  }

  #emit(out: readonly SpanEntry[]): void {
    const tagged = out.map((e) => this.#tagger.tag(e));
    if (tagged.length > 0) this.#offer({ request: buildRequest(tagged), spanCount: tagged.length });
  }

  #offer(batch: TraceBatch): void {
    if (this.#sink.offer(batch)) this.stats.spansOut += batch.spanCount;
    else this.stats.refusedSpans += batch.spanCount;
  }
}

const isRootOf = (e: SpanEntry): boolean => isRootSpan(e.span);

function retryable(message: string): IntakeResult {
  return { status: 'retryable', afterMs: 1_000, error: new Error(message) };
}

// The matcher's windows, each defaulted here so the constructor reads as the list of parts.
function anchorMatcherOf(options: StitcherOptions, clock: Clock, max: number, ttlMs: number): AnchorMatcher {
  return new AnchorMatcher({
    max,
    ttlMs,
    clock,
    httpToleranceMs: options.httpToleranceMs ?? 1_000,
    podWindowMs: options.podSyncWindowMs ?? 10 * 60_000,
    skewMs: options.clockSkewMs ?? 2_000,
    waitForReads: options.waitForReads ?? false,
  });
}
