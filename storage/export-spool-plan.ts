import type { KvIterateOptions, KvOp, KvStore, KvValue } from './kv-store.js';
import { byteSize, seqKey } from './intake-codec.js';
import { BATCH, STATE, decodeBatchHeader, encodeState } from './export-spool-codec.js';
import type { BatchHeader, SpoolState } from './export-spool-codec.js';
import type { SpoolDropReason, SpoolOverflowPolicy } from './export-spool-types.js';

/** Where a stored batch sits and what it weighs. */
export interface Slot {
  readonly seq: number;
  readonly bytes: number;
  readonly spans: number;
}

/** A drop the plan decided on; counted only once the plan's batch is durable. */
export interface PlannedDrop {
  readonly reason: SpoolDropReason;
  readonly slot: Slot;
  readonly context?: object;
}

export type PlannedAppend =
  | { readonly status: 'spooled'; readonly slot: Slot }
  | { readonly status: 'refused'; readonly slot: Slot }
  | { readonly status: 'dropped'; readonly reason: 'overflow' | 'too-large'; readonly slot: Slot };

export interface PlanLimits {
  readonly maxBytes: number;
  readonly overflow: SpoolOverflowPolicy;
}

/**
 * The effect of one write group (appends, acks and drops issued together) on the spool, worked
 * out against a copy of its state so that a failed store batch changes nothing in memory. Reads
 * the store (batch sizes for eviction and removal) but never writes it: the owner writes `ops()`
 * as one atomic batch, then adopts `state` and counts `drops`.
 */
export class GroupPlan {
  state: SpoolState;
  readonly drops: PlannedDrop[] = [];
  readonly removed = new Map<number, Slot>();
  readonly #store: KvStore;
  readonly #limits: PlanLimits;
  readonly #leased: Slot | undefined;
  readonly #batches: KvIterateOptions;
  readonly #ops: KvOp[] = [];
  /** This group's appends, oldest first: evicted only after every durable batch. */
  readonly #added: Slot[] = [];
  #durable: AsyncIterator<readonly [string, KvValue]> | undefined;

  /** `leased` is the batch being exported: never evicted. `batches` is the range holding every batch. */
  constructor(
    store: KvStore,
    limits: PlanLimits,
    state: SpoolState,
    leased: Slot | undefined,
    batches: KvIterateOptions,
  ) {
    this.#batches = batches;
    this.#store = store;
    this.#limits = limits;
    this.state = state;
    this.#leased = leased;
  }

  /**
   * Plans storing `value` (a batch of `spans`) under the next sequence, evicting the oldest
   * batches first under `drop-oldest`. Rejects with the store's read error.
   */
  async append(value: string, spans: number): Promise<PlannedAppend> {
    // The key length is fixed (zero-padded sequence), so the size is known before numbering.
    const slot = { seq: this.state.lastSeq + 1, bytes: byteSize(seqKey(BATCH, 0), value), spans };
    const { maxBytes, overflow } = this.#limits;
    if (slot.bytes > maxBytes) return this.#dropNew('too-large', slot);
    if (this.state.bytes + slot.bytes > maxBytes) {
      if (overflow === 'reject-new') return { status: 'refused', slot };
      // Everything but the batch being exported may go, this group's earlier appends included.
      const leased = this.#leased;
      const pinned = leased !== undefined && !this.removed.has(leased.seq) ? leased.bytes : 0;
      if (pinned + slot.bytes > maxBytes) return this.#dropNew('overflow', slot);
      await this.#evictFor(slot.bytes);
    }
    this.#ops.push({ type: 'put', key: seqKey(BATCH, slot.seq), value });
    this.state = { ...add(this.state, slot, 1), lastSeq: slot.seq };
    this.#added.push(slot);
    return { status: 'spooled', slot };
  }

  /**
   * Plans deleting batch `seq`; resolves its slot, or `undefined` when it is not there (already
   * deleted, or never was). A drop `reason` is counted; `acked` is not a drop.
   */
  async remove(seq: number, reason: SpoolDropReason | 'acked', context?: object): Promise<Slot | undefined> {
    const slot = this.removed.has(seq) ? undefined : await this.#slotOf(seq);
    if (slot === undefined) return undefined;
    this.#delete(slot);
    if (reason !== 'acked') this.drops.push({ reason, slot, ...(context === undefined ? {} : { context }) });
    return slot;
  }

  /** The store batch to write: every planned put and delete plus the new usage record. */
  ops(): KvOp[] {
    if (this.#ops.length === 0) return [];
    return [...this.#ops, { type: 'put', key: STATE, value: encodeState(this.state) }];
  }

  /** Releases the store iterator eviction may hold. Never rejects. */
  async close(): Promise<void> {
    await this.#durable?.return?.()?.catch(() => undefined);
  }

  #dropNew(reason: 'overflow' | 'too-large', slot: Slot): PlannedAppend {
    this.drops.push({ reason, slot });
    return { status: 'dropped', reason, slot };
  }

  async #evictFor(bytes: number): Promise<void> {
    while (this.state.bytes + bytes > this.#limits.maxBytes) {
      // A later delete of a key wins within one store batch, so an earlier append can go too.
      const slot = (await this.#nextDurable()) ?? this.#added.shift();
      if (slot === undefined) return;
      this.#delete(slot);
      this.drops.push({ reason: 'overflow', slot });
    }
  }

  async #nextDurable(): Promise<Slot | undefined> {
    this.#durable ??= this.#store.iterate(this.#batches)[Symbol.asyncIterator]();
    for (;;) {
      const next = await this.#durable.next();
      if (next.done === true) return undefined;
      const slot = slotOf(next.value[0], next.value[1]);
      if (slot.seq !== this.#leased?.seq && !this.removed.has(slot.seq)) return slot;
    }
  }

  #delete(slot: Slot): void {
    this.#ops.push({ type: 'del', key: seqKey(BATCH, slot.seq) });
    this.state = add(this.state, slot, -1);
    this.removed.set(slot.seq, slot);
  }

  async #slotOf(seq: number): Promise<Slot | undefined> {
    if (this.#leased?.seq === seq) return this.#leased;
    if (!Number.isSafeInteger(seq) || seq < 1) return undefined;
    const key = seqKey(BATCH, seq);
    const value = await this.#store.get(key);
    return value === undefined ? undefined : slotOf(key, value);
  }
}

/** `state` with `slot` added (`sign` 1) or taken away (-1). */
export function add(state: SpoolState, slot: Slot, sign: 1 | -1): SpoolState {
  return {
    lastSeq: state.lastSeq,
    batches: state.batches + sign,
    spans: state.spans + sign * slot.spans,
    bytes: state.bytes + sign * slot.bytes,
  };
}

/** A stored batch's size; a corrupt one still has a size (and counts no spans). */
export function slotOf(key: string, value: KvValue): Slot {
  const bytes = typeof value === 'string' ? byteSize(key, value) : Buffer.byteLength(key) + value.byteLength;
  return { seq: Number(key.slice(BATCH.length)), bytes, spans: headerOf(key, value)?.spans ?? 0 };
}

/** The batch header, or `undefined` for a record that is not one. Never throws. */
export function headerOf(key: string, value: KvValue): BatchHeader | undefined {
  try {
    return decodeBatchHeader(key, value);
  } catch {
    return undefined;
  }
}
