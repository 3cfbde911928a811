import type { IngestRecord } from '../../model/records.js';
import { type OrderKey, type RankedRecord, compareOrderKeys, orderKeyOf } from './record-order.js';
import type { RecordSource } from './streamed-file.js';

/** Records handed on per batch at most: the merge yields between I/O waits or after this many. */
const MERGE_BATCH = 256;

/**
 * Merges sources that each give their records least first into one sequence in processing order
 * (compareRecords), in batches: a k-way merge over the sources' heads (k is 1–4, the files of a
 * recording, so a scan beats a heap). Ties between sources go to the earlier source, as a stable
 * sort of the files read in that order would. Rejects when a source's read fails.
 */
export async function* mergeRecords(sources: readonly RecordSource[]): AsyncGenerator<IngestRecord[]> {
  for (const s of sources) await s.ready();
  let batch: IngestRecord[] = [];
  for (;;) {
    let best: RecordSource | undefined;
    let head: OrderKey | undefined;
    for (const s of sources) {
      const h = s.peekKey();
      if (h !== undefined && (head === undefined || compareOrderKeys(h, head) < 0)) {
        best = s;
        head = h;
      }
    }
    if (best === undefined || head === undefined) break;
    const taken = best.take();
    if (taken !== undefined) batch.push(taken.record);
    const wait = best.ready();
    if (wait === undefined && batch.length < MERGE_BATCH) continue;
    yield batch;
    batch = [];
    if (wait !== undefined) await wait;
  }
  if (batch.length > 0) yield batch;
}

/** Records already in processing order (a group of files read whole), as a source; each let go once taken. */
export class ArraySource implements RecordSource {
  readonly #records: (RankedRecord | undefined)[];
  #at = 0;
  /** The head's key, computed once (#keyAt says for which index). */
  #key: OrderKey | undefined;
  #keyAt = -1;

  constructor(records: RankedRecord[]) {
    this.#records = records;
  }

  peek(): RankedRecord | undefined {
    return this.#records[this.#at];
  }

  peekKey(): OrderKey | undefined {
    const r = this.#records[this.#at];
    if (r === undefined) return undefined;
    if (this.#keyAt !== this.#at) {
      this.#key = orderKeyOf(r);
      this.#keyAt = this.#at;
    }
    return this.#key;
  }

  take(): RankedRecord | undefined {
    const r = this.#records[this.#at];
    this.#records[this.#at++] = undefined;
    return r;
  }

  ready(): undefined {
    return undefined;
  }
}
