import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ATTR } from '../../src/model/attributes.js';
import type { IngestRecord } from '../../src/model/records.js';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { type ScenarioName, runScenario, writeRecording } from '../../tools/sim/index.js';
import { kindSkew } from '../perturb/perturb.js';

// Why a closed operation reaches its ended, not yet emitted children (OperationIndex.at's
// withEndedChildren) only for a ReplicaSet's status writes. Applied to every lookup, it
// - takes a user's spec write into the controller's operation: real/cron's `kubectl patch`
//   (suspend: true) 273 ms after the cronjob-controller's status write went into the CronJob
//   reconcile, whose run had ended 0.3 s before;
// - places by arrival order, because a closed operation's extent then depends on which of its
//   children have ended when the evidence arrives: real/deploy's Deployment status write
//   reporting the old pods gone (terminatingReplicas 0) stayed in the Deployment activity in
//   order and went into the rollout with the streams skewed; sim/cronjob's history-limit Job
//   delete went into the CronJob reconcile only when the completed Job's record came first.

const REAL = fileURLToPath(new URL('../fixtures/real', import.meta.url));
const SUSPEND_PATCH = '7a229b45-628d-40a2-bd48-1361aa99d372';
const DEPLOYMENT_GONE_WRITE = '518ae5c6-888f-4ac9-977f-3cdbd4d7b6d6';

function synth(records: readonly IngestRecord[]): SpanData[] {
  return synthesizeRecords(records, { cluster: 'c' }).flat();
}

function parentName(spans: readonly SpanData[], span: SpanData | undefined): string {
  return spans.find((s) => s.spanId === span?.parentSpanId)?.name ?? '(root)';
}

function parentOfRequest(spans: readonly SpanData[], auditId: string): string {
  return parentName(
    spans,
    spans.find((s) => s.attributes[ATTR.auditId] === auditId),
  );
}

async function simRecording(scenario: ScenarioName): Promise<readonly IngestRecord[]> {
  const dir = join(await mkdtemp(join(tmpdir(), 'ks-ended-')), scenario);
  await writeRecording(dir, runScenario(scenario));
  return (await readRecording(dir)).records;
}

describe('a closed operation reaches its ended children only for ReplicaSet status writes', () => {
  it('keeps a user’s CronJob patch out of the reconcile whose run ended just before', async () => {
    const { records } = await readRecording(join(REAL, 'cron'));
    expect(parentOfRequest(synth(records), SUSPEND_PATCH)).toBe('CronJob activity');
  });

  it('places a Deployment status write after its rollout the same with the streams skewed', async () => {
    const { records } = await readRecording(join(REAL, 'deploy'));
    const inOrder = parentOfRequest(synth(records), DEPLOYMENT_GONE_WRITE);
    expect(inOrder).toBe('Deployment activity');
    for (const seed of [1, 2, 3, 4, 5]) {
      expect(parentOfRequest(synth(kindSkew(records, seed).records), DEPLOYMENT_GONE_WRITE), `seed ${seed}`).toBe(
        inOrder,
      );
    }
  });

  it('places a CronJob’s history-limit Job delete the same with the streams skewed', async () => {
    const records = await simRecording('cronjob');
    const jobDelete = (spans: readonly SpanData[]): string =>
      parentName(
        spans,
        spans.find((s) => s.name === 'Job delete'),
      );
    const inOrder = jobDelete(synth(records));
    for (const seed of [1, 2, 3, 4, 5]) {
      expect(jobDelete(synth(kindSkew(records, seed).records)), `seed ${seed}`).toBe(inOrder);
    }
  });
});
