import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStore, TraceStore } from '../../storage/index.js';
import { assembleOutputs } from '../../src/app/outputs.js';
import type { SpanData } from '../../src/model/span.js';

function span(n: number): SpanData {
  return {
    traceId: 'a'.repeat(31) + String(n),
    spanId: 'b'.repeat(15) + String(n),
    name: 'Deployment rollout',
    kind: 'internal',
    startMs: 1_700_000_000_000,
    endMs: 1_700_000_001_000,
    resource: { attributes: { 'service.name': 'kube-controller-manager', 'k8s.cluster.name': 'test' } },
    attributes: {},
    events: [],
    links: [],
    status: { code: 'ok' },
  };
}

async function lines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '');
}

describe('assembleOutputs', () => {
  it('assembles nothing when no output is given (replay then prints its summary)', async () => {
    const outputs = await assembleOutputs({});
    expect(outputs.sink).toBeUndefined();
    expect(outputs.spooling).toBeUndefined();
  });

  it('writes every span to the file and the trace store alike', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-outputs-'));
    const out = join(dir, 'spans.jsonl');
    const store = await TraceStore.open(new MemoryStore());
    const { sink } = await assembleOutputs({ out, traceStore: store });
    if (sink === undefined) throw new Error('no sink');
    expect(await sink.write([span(1), span(2)])).toEqual({ status: 'ok' });
    await sink.shutdown();
    expect(await lines(out)).toHaveLength(1);
    expect(await lines(out)).toEqual([expect.stringContaining('"name":"Deployment rollout"')]);
    expect(store.stats().spans).toBe(2);
    await store.close();
  });

  it('durable (run): the file gets each span once, across a restart on the same store', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ks-outputs-'));
    const out = join(dir, 'spans.jsonl');
    const kv = new MemoryStore();
    for (const batch of [[span(1)], [span(1), span(2)]]) {
      // A new assembly on the same data store, as after a restart.
      const { sink } = await assembleOutputs({ out, durable: { kv, spool: undefined, flushDeadlineMs: 1_000 } });
      if (sink === undefined) throw new Error('no sink');
      expect(await sink.write(batch)).toEqual({ status: 'ok' });
      await sink.shutdown();
    }
    const spanIds = (await lines(out)).flatMap((l) => [...l.matchAll(/"spanId":"([0-9a-f]+)"/g)].map((m) => m[1]));
    expect(spanIds).toEqual([span(1).spanId, span(2).spanId]);
  });
});
