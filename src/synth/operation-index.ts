import { ATTR } from '../model/attributes.js';
import { isOlderResourceVersion } from '../model/resource-version.js';
import type { PendingSpan } from './pending-span.js';
import type { OpenSpanSpec, SpanTree } from './span-tree.js';

interface Deadline {
  readonly uid: string;
  readonly span: PendingSpan;
  readonly atMs: number;
  readonly onExpire: (atMs: number) => void;
}

/**
 * Object timestamps have one-second precision: evidence stamped up to this long outside an
 * operation's interval may still be part of it.
 */
export const TIMESTAMP_SLACK_MS = 1000;

/** How far apart informers of different kinds may deliver one story's records. */
const RECEIVE_SKEW_MS = 10_000;

// Registrations `had` remembers: far more than the operations open or lingering at once.
const REMEMBERED = 50_000;

const SWEEP_MIN = 1024;
// Record time between sweeps of emitted operations when few registrations come (see expire):
// the default adoption window, how long a closed operation lingers before it is emitted.
const SWEEP_EVERY_MS = 15_000;

/**
 * Operations open at once, by default: past it the oldest open one ends as unfinished with
 * close_reason `max-open`, so a storm (200,000 pods pending at once) is held by count, not only
 * by the maximum age (issue 16). Far above a healthy cluster's open operations.
 */
export const MAX_OPEN_OPERATIONS = 50_000;
/** The close_reason of an operation ended because too many were open. */
export const MAX_OPEN_REASON = 'max-open';

/** What OperationIndex.at may return besides the plain time match (see at). */
export interface AtLimits {
  /** The metadata.generation the evidence saw: no operation opened at a later one. */
  readonly generation?: number | undefined;
  /**
   * A closed operation's interval reaches its ended, not yet emitted children (coveredUntil).
   * Off by default: only a ReplicaSet's status writes use it (see AuditTracker #statusParent).
   */
  readonly withEndedChildren?: boolean;
  /**
   * The resourceVersion the evidence (a write's response) stored: a closed operation whose
   * completing version (completedBy) is older takes it only within its children's time.
   */
  readonly version?: string | undefined;
}

// AtLimits with its defaults applied.
interface Limits {
  readonly generation: number;
  readonly withEndedChildren: boolean;
  readonly version: string | undefined;
}

/** What a tracker opens under its object's owner: everything but the placement. */
export type OwnedSpanSpec = Omit<OpenSpanSpec, 'parent' | 'joinClosing' | 'awaitOwner'>;

/**
 * Which operation spans exist for an object, so children (pods under a ReplicaSet scale) and
 * Events find their parent — the most recently opened, still open span wins; a closed one that
 * is not emitted yet takes evidence that arrives late but happened in its time — and when an open
 * operation has outlived the maximum operation age, so a stuck one (a pod in CrashLoopBackOff for
 * days) ends as unfinished instead of holding memory forever. It also holds the adoption registry
 * (ADR 0004): operations waiting for their owner's operation are adopted when it registers.
 */
export class OperationIndex {
  readonly #byUid = new Map<string, PendingSpan[]>();
  readonly #maxAgeMs: number;
  readonly #tree: SpanTree;
  // Registered in record order; start times trail record times, so the head is (nearly) the oldest.
  readonly #deadlines: Deadline[] = [];
  #head = 0;
  // Registrations until the next sweep of emitted operations (see #sweepEmitted).
  #untilSweep = SWEEP_MIN;
  #nextSweepMs = -Infinity;
  /** Provisional roots by the uid of the owner whose operation they wait for. */
  readonly #waiting = new Map<string, PendingSpan[]>();
  /** The owner chain (nearest first) of each provisional root with more than one owner. */
  readonly #waitingOwners = new Map<PendingSpan, readonly string[]>();
  // The same entries in the order they started waiting (= deadline order), to forget stale ones.
  readonly #waitOrder: { ownerUid: string; span: PendingSpan }[] = [];
  #waitHead = 0;
  // Spans placed under a farther owner's operation, by the nearer owner they may still move to.
  readonly #nearer = new Map<string, { span: PendingSpan; untilMs: number }[]>();
  readonly #nearerOrder: { uid: string; untilMs: number }[] = [];
  #nearerHead = 0;
  /** `${uid} ${operation}` of recent registrations, oldest first (bounded: REMEMBERED). */
  readonly #registered = new Set<string>();
  readonly #maxOpen: number;
  // The resourceVersion of the object's change that completed an operation (see completedBy).
  readonly #completedBy = new WeakMap<PendingSpan, string>();
  // The generation whose change opened an operation not carrying kubestitch.generation.
  readonly #generations = new WeakMap<PendingSpan, number>();
  // Registered entries above which the oldest open operations are evicted (see #evictOldest).
  #evictAbove: number;
  #evicted = 0;

  constructor(maxAgeMs: number, tree: SpanTree, maxOpen = MAX_OPEN_OPERATIONS) {
    this.#maxAgeMs = maxAgeMs;
    this.#tree = tree;
    this.#maxOpen = Math.max(1, maxOpen);
    this.#evictAbove = this.#maxOpen;
  }

  /** Operations ended early (close_reason `max-open`) because more than the bound were open. */
  get evicted(): number {
    return this.#evicted;
  }

  /**
   * Makes `span` the current operation of `uid`. `onExpire(atMs)` is called once if the span is
   * still open when the clock passes `span.startMs + maxAge`; it must end the operation at atMs.
   * Operations waiting for an operation of `uid` are adopted by `span`.
   */
  register(uid: string, span: PendingSpan, onExpire: (atMs: number) => void): void {
    const list = this.#byUid.get(uid);
    if (list === undefined) this.#byUid.set(uid, [span]);
    else list.push(span);
    this.#deadlines.push({ uid, span, atMs: span.startMs + this.#maxAgeMs, onExpire });
    this.#remember(`${uid} ${String(span.attributes[ATTR.operation] ?? '')}`);
    if (--this.#untilSweep <= 0) this.#sweepEmitted();
    if (this.#deadlines.length - this.#head > this.#evictAbove) this.#evictOldest();
    this.adoptNearer(uid, span);
    this.adoptWaiting(uid, span);
  }

  /**
   * Moves under `span`, an operation of `uid` registered or going on after it closed (a late
   * record of its last step), the spans placed under a farther owner's operation meanwhile.
   */
  adoptNearer(uid: string, span: PendingSpan): void {
    const nearer = this.#nearer.get(uid);
    if (nearer === undefined) return;
    this.#nearer.delete(uid);
    for (const w of nearer) if (span.startMs <= w.untilMs) this.#tree.moveUnder(w.span, span);
  }

  /**
   * Hands the spans waiting for an operation of `uid` to `span`: the one just registered, or one
   * that goes on and takes the change they waited for (a scale folded into the open rollout).
   */
  adoptWaiting(uid: string, span: PendingSpan): void {
    const waiting = this.#waiting.get(uid);
    if (waiting === undefined) return;
    this.#waiting.delete(uid);
    for (const child of waiting) {
      const owners = this.#waitingOwners.get(child) ?? [];
      this.#waitingOwners.delete(child);
      // Adopted by a farther owner's operation (a Deployment's scale before its ReplicaSet's
      // scale-down arrived): the nearer owner's operation may still open within the window.
      const nearer = owners.indexOf(uid);
      if (this.#tree.adopt(child, span) && nearer > 0) this.#awaitNearer(owners.slice(0, nearer), span, child);
    }
  }

  /**
   * Opens a span under the operation that covers `startMs` of the nearest owner in `owners` (the
   * object's controller chain, nearest first: a pod's ReplicaSet, then its Deployment); when none
   * has one yet, the span waits in the adoption window for the first of them to open one.
   * `slackMs`: how far `startMs` may be from the operation's interval (wider for receive times).
   * `behind`: owners whose present operations cannot hold it (their change that made it is still
   * to arrive): it waits for their next one.
   */
  openUnderOwner(
    owners: readonly string[],
    spec: OwnedSpanSpec,
    slackMs = TIMESTAMP_SLACK_MS,
    behind?: string,
  ): PendingSpan {
    let parent: PendingSpan | undefined;
    for (const uid of owners) {
      parent = uid === behind ? undefined : this.at(uid, spec.startMs, slackMs);
      if (parent !== undefined) break;
    }
    // An owner's operation starts at the receive time of the owner's change, which its informer
    // may deliver seconds after this object's own, precisely dated evidence (a pod's deletion
    // seen before the ReplicaSet's scale-down arrived, the step already over): one that began
    // within RECEIVE_SKEW_MS after the span holds it.
    for (const uid of parent === undefined ? owners : []) {
      parent = uid === behind ? undefined : this.#startedAfter(uid, spec.startMs);
      if (parent !== undefined) break;
    }
    const span = this.#tree.open({
      ...spec,
      parent,
      joinClosing: parent !== undefined,
      awaitOwner: owners.length > 0 && parent === undefined,
    });
    if (!this.#tree.isAwaitingOwner(span)) {
      this.#awaitNearer(owners, parent, span);
      return span;
    }
    for (const ownerUid of owners) {
      const list = this.#waiting.get(ownerUid);
      if (list === undefined) this.#waiting.set(ownerUid, [span]);
      else list.push(span);
      this.#waitOrder.push({ ownerUid, span });
    }
    if (owners.length > 1) this.#waitingOwners.set(span, owners);
    return span;
  }

  // Placed under a farther owner's operation (informers of different kinds deliver apart: a
  // pod's deletion seen before its ReplicaSet's scale-down), the span may still move under a
  // nearer owner's operation that opens within the adoption window.
  #awaitNearer(owners: readonly string[], parent: PendingSpan | undefined, span: PendingSpan): void {
    const window = this.#tree.adoptionWindowMs;
    if (parent === undefined || window <= 0) return;
    const untilMs = span.startMs + window;
    for (const uid of owners) {
      if (this.current(uid) === parent || this.at(uid, span.startMs) === parent) return;
      const list = this.#nearer.get(uid);
      if (list === undefined) this.#nearer.set(uid, [{ span, untilMs }]);
      else list.push({ span, untilMs });
      this.#nearerOrder.push({ uid, untilMs });
    }
  }

  /**
   * Whether `uid` has had an operation of type `operation` (kubestitch.operation) registered —
   * among the most recent registrations — emitted or not: a pod's startup happens once, and its
   * span id derives from the pod's uid.
   */
  had(uid: string, operation: string): boolean {
    return this.#registered.has(`${uid} ${operation}`);
  }

  /**
   * Records the generation (metadata.generation) of the object whose change opened `span`, for an
   * operation that does not carry it (a ReplicaSet's scale step): evidence that saw the object at
   * an older generation is not its (see at).
   */
  openedAtGeneration(span: PendingSpan, generation: number | undefined): void {
    if (generation !== undefined) this.#generations.set(span, generation);
  }

  #openedAt(span: PendingSpan): number {
    return this.#generations.get(span) ?? openedAt(span);
  }

  /** Whether `uid` has an operation of type `operation` (kubestitch.operation) not yet emitted. */
  has(uid: string, operation: string): boolean {
    return this.newest(uid, operation) !== undefined;
  }

  /** The newest operation of `uid` of type `operation` (kubestitch.operation) not yet emitted. */
  newest(uid: string, operation: string): PendingSpan | undefined {
    return (this.#byUid.get(uid) ?? []).findLast(
      (s) => s.state !== 'emitted' && s.attributes[ATTR.operation] === operation,
    );
  }

  #remember(key: string): void {
    this.#registered.delete(key);
    this.#registered.add(key);
    if (this.#registered.size <= REMEMBERED) return;
    const oldest = this.#registered.values().next();
    if (oldest.done !== true) this.#registered.delete(oldest.value);
  }

  /**
   * Records `resourceVersion` as the version of its object that completed `span` (a scale step's
   * ReplicaSet at its target), or forgets it (undefined: the operation goes on). Its object's
   * later writes happened after it completed, however close in time — the step's end is the
   * receive time of that version, which a late informer moves seconds past the write — so they
   * are not its unless its children were still going on (see at).
   */
  completedBy(span: PendingSpan, resourceVersion: string | undefined): void {
    if (resourceVersion === undefined || resourceVersion === '') this.#completedBy.delete(span);
    else this.#completedBy.set(span, resourceVersion);
  }

  /** The current open operation of `uid`, or undefined. */
  current(uid: string): PendingSpan | undefined {
    const list = this.#byUid.get(uid);
    if (list === undefined) return undefined;
    while (list.length > 0 && list[list.length - 1]?.state === 'emitted') list.pop();
    if (list.length === 0) {
      this.#byUid.delete(uid);
      return undefined;
    }
    for (let i = list.length - 1; i >= 0; i--) {
      const s = list[i];
      if (s !== undefined && s.isOpen) return s;
    }
    return undefined;
  }

  /**
   * The operation of `uid` that evidence from `atMs` belongs to: the open one, else the newest
   * closed one not yet emitted whose interval, widened by `slackMs`, covers `atMs` (evidence that
   * arrived late). Without an adoption window only the open one. Evidence that saw the object at
   * `generation` (metadata.generation) is never part of an operation opened at a later one.
   * `withEndedChildren` counts a closed operation's interval to the end of its children that ended
   * but are not emitted yet (see coveredUntil).
   */
  at(uid: string, atMs: number, slackMs = TIMESTAMP_SLACK_MS, only: AtLimits = {}): PendingSpan | undefined {
    const { generation = Infinity, withEndedChildren = false, version } = only;
    const current = this.current(uid);
    const open = current !== undefined && this.#openedAt(current) > generation ? undefined : current;
    if (this.#tree.adoptionWindowMs <= 0) return open;
    const slack = Math.min(slackMs, this.#tree.adoptionWindowMs);
    // Evidence from before the open operation began (it arrived late) belongs to the one it
    // happened in, if that one is still here: a kubelet status patch of a Job pod's startup
    // delivered once the pod's run had begun.
    if (open !== undefined && open.startMs <= atMs + (precise(open) ? 0 : slack)) return open;
    return this.#closedAt(uid, atMs, slack, { generation, withEndedChildren, version }) ?? open;
  }

  // The newest closed operation not yet emitted whose interval, widened by `slack`, covers `atMs`.
  #closedAt(uid: string, atMs: number, slack: number, only: Limits): PendingSpan | undefined {
    const list = this.#byUid.get(uid) ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const s = list[i];
      if (s === undefined || s.state !== 'closing' || this.#openedAt(s) > only.generation) continue;
      if (atMs >= s.startMs - slack && atMs <= this.#endFor(s, only) + slack) return s;
    }
    return undefined;
  }

  // Where a closed operation's interval ends for evidence within `only`: a write newer than the
  // version that completed it reaches only its children (a scale-down's last pod termination,
  // ended after the step settled: the controller's write reporting it gone is the step's).
  #endFor(s: PendingSpan, only: Limits): number {
    const completed = this.#completedBy.get(s);
    if (completed !== undefined && isOlderResourceVersion(completed, only.version)) {
      return only.withEndedChildren ? endedChildrenUntil(s) : s.childMaxEndMs;
    }
    return only.withEndedChildren ? coveredUntil(s) : Math.max(s.endMs ?? s.startMs, s.childMaxEndMs);
  }

  // The oldest operation of `uid` not emitted yet that began in (atMs, atMs + RECEIVE_SKEW_MS].
  #startedAfter(uid: string, atMs: number): PendingSpan | undefined {
    if (this.#tree.adoptionWindowMs <= 0) return undefined;
    for (const s of this.#byUid.get(uid) ?? []) {
      if (s.state !== 'emitted' && s.startMs > atMs && s.startMs <= atMs + RECEIVE_SKEW_MS) return s;
    }
    return undefined;
  }

  /** Ends, via their trackers, the open operations whose maximum age has passed by `nowMs`. */
  expire(nowMs: number): void {
    while (this.#head < this.#deadlines.length) {
      const d = this.#deadlines[this.#head];
      if (d === undefined || d.atMs > nowMs) break;
      this.#head++;
      if (d.span.isOpen) {
        d.span.attributes['kubestitch.close_reason'] = 'max-age';
        d.onExpire(Math.max(d.atMs, d.span.startMs));
      }
      // Entries of objects nobody asks about again (a deleted pod) would otherwise stay forever:
      // by their deadline at the latest, ended operations leave the index.
      this.#prune(d.uid);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#deadlines.length) {
      this.#deadlines.splice(0, this.#head);
      this.#head = 0;
    }
    this.#forgetStaleWaits();
    this.#forgetStaleNearer(nowMs);
    // Operations that closed in the same step their deadline passed (a stuck startup judged at
    // the tick that also ended its hour) were still lingering when pruned above and would stay,
    // with their spans, until enough registrations trigger a sweep: a quiet cluster after a storm
    // kept 1.5 KB per storm pod. A sweep per SWEEP_EVERY_MS of record time frees them.
    if (nowMs >= this.#nextSweepMs) {
      if (this.#nextSweepMs !== -Infinity) this.#sweepEmitted();
      this.#nextSweepMs = nowMs + SWEEP_EVERY_MS;
    }
  }

  #forgetStaleNearer(nowMs: number): void {
    while (this.#nearerHead < this.#nearerOrder.length) {
      const w = this.#nearerOrder[this.#nearerHead];
      if (w === undefined || w.untilMs >= nowMs) break;
      this.#nearerHead++;
      const rest = (this.#nearer.get(w.uid) ?? []).filter((e) => e.untilMs >= nowMs);
      if (rest.length === 0) this.#nearer.delete(w.uid);
      else this.#nearer.set(w.uid, rest);
    }
    if (this.#nearerHead > 1024 && this.#nearerHead * 2 > this.#nearerOrder.length) {
      this.#nearerOrder.splice(0, this.#nearerHead);
      this.#nearerHead = 0;
    }
  }

  /** Every operation not emitted yet (what the live service lists as in progress). */
  *pending(): IterableIterator<PendingSpan> {
    for (const list of this.#byUid.values()) for (const s of list) if (s.state !== 'emitted') yield s;
  }

  /** Number of objects with an operation in the index (a gauge for memory and metrics). */
  get size(): number {
    return this.#byUid.size;
  }

  #prune(uid: string): void {
    const list = this.#byUid.get(uid);
    if (list === undefined) return;
    const kept = list.filter((s) => s.state !== 'emitted');
    if (kept.length === 0) this.#byUid.delete(uid);
    else if (kept.length !== list.length) this.#byUid.set(uid, kept);
  }

  // An emitted operation is never looked up again (at, current, has and pending skip it), but its
  // deadline entry and its object's list held it, with its whole span tree, until its maximum age
  // (1 h) had passed: a replay of a 2.5 h recording kept over an hour of finished operations (51 of
  // 118 MB live). Dropped in sweeps, each after as many registrations as entries it kept, so the
  // cost per registration stays constant.
  #sweepEmitted(): void {
    const kept = this.#deadlines.slice(this.#head).filter((d) => d.span.state !== 'emitted');
    // Not splice(0, n, ...kept): spreading a storm's 100,000s of entries overflows the stack.
    replaceAll(this.#deadlines, kept);
    this.#head = 0;
    this.#evictAbove = this.#maxOpen;
    for (const uid of [...this.#byUid.keys()]) this.#prune(uid);
    this.#untilSweep = Math.max(SWEEP_MIN, kept.length);
  }

  /**
   * More operations registered than the bound: the emitted ones leave, and the oldest open ones
   * end as unfinished at their last evidence until a tenth of the bound is free, so this O(n)
   * pass runs at most once per maxOpen/10 registrations. Their deadline entries leave with them
   * (expiry has nothing left to do for them); their object lists are pruned once emitted.
   */
  #evictOldest(): void {
    this.#sweepEmitted();
    let excess = this.#deadlines.length - Math.floor(this.#maxOpen * 0.9);
    const due: Deadline[] = [];
    for (const d of this.#deadlines) {
      if (excess <= 0) break;
      if (!d.span.isOpen) continue;
      due.push(d);
      excess--;
    }
    const evicted = new Set(due);
    replaceAll(
      this.#deadlines,
      this.#deadlines.filter((d) => !evicted.has(d)),
    );
    // Closed operations still lingering (not emitted) cannot be evicted: the next pass waits for
    // a tenth of the bound more registrations, so registering stays O(1) amortized.
    this.#evictAbove = Math.max(this.#maxOpen, this.#deadlines.length + Math.ceil(this.#maxOpen / 10));
    // Ended after the bookkeeping: a tracker ending one may register another (re-entering here).
    for (const d of due) {
      if (!d.span.isOpen) continue;
      d.span.attributes['kubestitch.close_reason'] = MAX_OPEN_REASON;
      d.onExpire(this.#tree.lastEvidenceMs(d.span, d.atMs));
      this.#evicted++;
    }
  }

  // Waits that ended (adopted, or became roots) leave the registry in the order they began.
  #forgetStaleWaits(): void {
    while (this.#waitHead < this.#waitOrder.length) {
      const w = this.#waitOrder[this.#waitHead];
      if (w === undefined || this.#tree.isAwaitingOwner(w.span)) break;
      this.#waitHead++;
      this.#waitingOwners.delete(w.span);
      const list = this.#waiting.get(w.ownerUid);
      if (list === undefined) continue;
      const rest = list.filter((s) => s !== w.span);
      if (rest.length === 0) this.#waiting.delete(w.ownerUid);
      else this.#waiting.set(w.ownerUid, rest);
    }
    if (this.#waitHead > 1024 && this.#waitHead * 2 > this.#waitOrder.length) {
      this.#waitOrder.splice(0, this.#waitHead);
      this.#waitHead = 0;
    }
  }
}

/** `kubestitch.operation` of an object's deletion (deletion-tracker.ts). */
export const DELETE_OPERATION = 'object.delete';

// A deletion starts at its request or its watch event, not at a second-precision timestamp: what
// happened before it (a scale step's late Event) is not part of it.
function precise(span: PendingSpan): boolean {
  return span.attributes[ATTR.operation] === DELETE_OPERATION;
}

// The generation whose change opened a workload operation (kubestitch.generation); others: -1.
function openedAt(span: PendingSpan): number {
  const generation = span.attributes[ATTR.generation];
  return typeof generation === 'number' ? generation : -1;
}

function replaceAll<T>(list: T[], items: readonly T[]): void {
  list.length = 0;
  for (const item of items) list.push(item);
}

// Where a closed operation's interval will end once emitted: its children's too, including those
// ended but not emitted yet (a ReplicaSet scale step settled before the termination of its last
// pod ended; the controller's status write right after that termination is the step's).
function coveredUntil(s: PendingSpan): number {
  return Math.max(s.endMs ?? s.startMs, endedChildrenUntil(s));
}

// The latest end among a span's children that ended, emitted or not.
function endedChildrenUntil(s: PendingSpan): number {
  let end = s.childMaxEndMs;
  for (const c of s.openChildren) if (c.endMs !== undefined) end = Math.max(end, c.endMs);
  return end;
}
