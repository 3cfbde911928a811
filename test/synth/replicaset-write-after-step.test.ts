import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { num } from '../../src/model/kube-json.js';
import type { IngestRecord } from '../../src/model/records.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { runScenario, writeRecording } from '../../tools/sim/index.js';
import { checkInvariants } from '../support/invariants.js';
import { skewed } from './skewed-records.js';

// Kind skew (issue 14, the harness's crashloop+audit seed 4): the crash Deployment scales its
// ReplicaSet 0→1; the pod is Ready at 10:00:06.86 and the replicaset-controller's status write
// (readyReplicas 1) completes the step. Two seconds later the container exits and the controller
// writes readyReplicas 1→0: the ReplicaSet's activity, not its scale-up. With the ReplicaSet stream
// 1.17 s late the step settled at that version's receive time, 10:00:08.03, and the late audit's
// 10:00:08.85 write fell within the step's second of timestamp slack and joined it. A write of a
// newer resourceVersion than the one that completed the step happened after it.

async function recording(): Promise<readonly IngestRecord[]> {
  const dir = join(await mkdtemp(join(tmpdir(), 'ks-crashloop-')), 'crashloop');
  await writeRecording(dir, runScenario('crashloop'));
  return (await readRecording(dir)).records;
}

// The replicaset-controller's first status write that reports no replica ready after one was.
function firstUnreadyWrite(records: readonly IngestRecord[]): string {
  let wasReady = false;
  for (const r of records) {
    if (r.source !== 'audit' || r.audit.objectRef?.resource !== 'replicasets') continue;
    if (r.audit.objectRef.subresource !== 'status') continue;
    const ready = num(r.audit.responseObject, 'status', 'readyReplicas') ?? 0;
    if (wasReady && ready === 0) return r.audit.auditId;
    wasReady ||= ready > 0;
  }
  throw new Error('no such write in the recording');
}

function parentOf(input: readonly IngestRecord[], auditId: string): string {
  const spans = synthesizeRecords(input, { cluster: 'c' }).flat();
  expect(checkInvariants(spans)).toEqual([]);
  const write = spans.find((s) => s.attributes['audit-id'] === auditId);
  const parent = spans.find((s) => s.spanId === write?.parentSpanId);
  return `${parent?.name ?? 'none'} ${String(parent?.attributes['k8s.object.name'])}`;
}

describe('a ReplicaSet status write after the version that completed its scale step', () => {
  it('stays out of the step when the ReplicaSet stream is late, as in order', async () => {
    const records = await recording();
    const write = firstUnreadyWrite(records);
    const inOrder = parentOf(records, write);
    expect(inOrder).toBe('ReplicaSet activity crash-794cd44954');
    expect(parentOf(skewed(records, { ReplicaSet: 1169, audit: 2542 }), write)).toBe(inOrder);
  });
});
