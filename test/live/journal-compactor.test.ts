import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compactJournal, loadBaseline } from '../../src/live/journal-compactor.js';
import { DATA_DIR_SCHEMA_VERSION, IntakeLog, openLevelStore } from '../../storage/index.js';
import type { KvStore } from '../../storage/index.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const T0 = Date.UTC(2026, 0, 1);

/** A watch line of pod `n` at resourceVersion `rv`. */
function podLine(type: string, n: number, rv: number): string {
  const object = {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { name: `p${n}`, namespace: 'ns', uid: `uid-${n}`, resourceVersion: String(rv) },
    status: { phase: 'Running' },
  };
  return JSON.stringify({ type, object, ts: new Date(T0).toISOString() });
}

/**
 * A journal of 25 entries, all committed: pods 0-9 added, pods 0-4 modified, pods 5-7 deleted,
 * then 7 more entries (pods 10-16 added) appended an hour later, past the horizon.
 */
async function journal(): Promise<{ intake: IntakeLog; baseline: KvStore }> {
  const dir = await mkdtemp(join(tmpdir(), 'kubestitch-compactor-'));
  const store = await openLevelStore(dir, { schemaVersion: DATA_DIR_SCHEMA_VERSION });
  cleanups.push(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  let now = T0;
  const intake = await IntakeLog.open(store.namespace('journal'), { nowMs: () => now, retainCommitted: true });
  let rv = 0;
  const lines: string[] = [];
  for (let n = 0; n < 10; n++) lines.push(podLine('ADDED', n, ++rv));
  for (let n = 0; n < 5; n++) lines.push(podLine('MODIFIED', n, ++rv));
  for (let n = 5; n < 8; n++) lines.push(podLine('DELETED', n, ++rv));
  const first = await intake.append(lines.map((body, i) => ({ id: `a${i}`, body })));
  now += 3_600_000;
  const later = Array.from({ length: 7 }, (_, i) => podLine('ADDED', 10 + i, ++rv));
  const second = await intake.append(later.map((body, i) => ({ id: `b${i}`, body })));
  await intake.commit(second.records.at(-1)?.seq ?? 0);
  expect(first.accepted + second.accepted).toBe(25);
  return { intake, baseline: store.namespace('baseline') };
}

async function baselineState(baseline: KvStore): Promise<string[]> {
  const { records, skipped } = await loadBaseline(baseline);
  expect(skipped).toBe(0);
  return records.map((r) => {
    const meta = r.source === 'object' ? r.object['metadata'] : undefined;
    const m = typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>) : {};
    return `${String(m['uid'])}@${String(m['resourceVersion'])}`;
  });
}

describe('compactJournal', () => {
  it('folds in chunks to the same baseline as in one write, and only what is past the horizon', async () => {
    const whole = await journal();
    const chunked = await journal();
    const horizon = T0 + 1_000;
    const one = await compactJournal(whole.intake, whole.baseline, horizon);
    // Each atomic write holds at most 4 entries' objects and the base sequence.
    const writes: number[] = [];
    const counting = new Proxy(chunked.baseline, {
      get(target, prop, receiver) {
        const v: unknown = Reflect.get(target, prop, receiver);
        if (prop !== 'batch' || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v;
        return (ops: readonly unknown[]) => {
          writes.push(ops.length);
          return (v as (o: readonly unknown[]) => Promise<void>).call(target, ops);
        };
      },
    });
    const many = await compactJournal(chunked.intake, counting, horizon, 4);
    expect(writes).toEqual([5, 5, 5, 5, 3]);
    expect(one.baseSeq).toBe(19);
    expect(many.baseSeq).toBe(19);
    expect(one.truncatedEntries).toBe(18);
    expect(many.truncatedEntries).toBe(18);
    // pods 0-4 at their MODIFIED versions, 8 and 9 as added; 5-7 deleted; 10-16 not yet past the horizon.
    const expected = ['uid-0@11', 'uid-1@12', 'uid-2@13', 'uid-3@14', 'uid-4@15', 'uid-8@9', 'uid-9@10'];
    expect(await baselineState(whole.baseline)).toEqual(expected);
    expect(await baselineState(chunked.baseline)).toEqual(expected);
    expect(whole.intake.baseSeq).toBe(chunked.intake.baseSeq);
  });

  it('continues from the baseline of the chunks already written', async () => {
    const j = await journal();
    await compactJournal(j.intake, j.baseline, T0 + 1_000, 4);
    const again = await compactJournal(j.intake, j.baseline, T0 + 2 * 3_600_000, 4);
    expect(again.baseSeq).toBe(26);
    expect(again.truncatedEntries).toBe(7);
    expect(await baselineState(j.baseline)).toHaveLength(14);
    const nothing = await compactJournal(j.intake, j.baseline, T0 + 2 * 3_600_000, 4);
    expect(nothing.truncatedEntries).toBe(0);
  });
});
