/**
 * Records the activity-window and open-bound tests feed synth (issues 14 and 16): a Metadata-level
 * update of a ConfigMap in namespace `shop` (activity that no operation covers, only a window
 * holds) and a pod nobody schedules (its startup stays open).
 */
import type { SpanData } from '../../src/model/span.js';
import { auditRecordOf } from '../../src/sources/audit/parse-audit.js';
import type { Synthesizer } from '../../src/synth/synthesizer.js';

/** Feeds `synth` the update of ConfigMap `name` (audit id `auditId`) received at `atMs`, 3 ms long. */
export function feedConfigMapUpdate(
  synth: Synthesizer,
  auditId: string,
  atMs: number,
  name = 'settings',
  extra: Readonly<Record<string, unknown>> = {},
): SpanData[] {
  const record = auditRecordOf(
    {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: auditId,
      stage: 'ResponseComplete',
      requestURI: `/api/v1/namespaces/shop/configmaps/${name}`,
      verb: 'update',
      user: { username: 'system:serviceaccount:shop:deployer' },
      objectRef: { resource: 'configmaps', namespace: 'shop', name, apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 200 },
      requestReceivedTimestamp: new Date(atMs).toISOString(),
      stageTimestamp: new Date(atMs + 3).toISOString(),
      ...extra,
    },
    { file: 'test', line: 1 },
    atMs,
  );
  if (typeof record === 'string') throw new Error(record);
  return synth.process(record);
}

/** The pod `pod` nobody schedules, first seen (ADDED, Pending) at `atMs`: its startup stays open. */
export function feedPendingPod(
  synth: Synthesizer,
  pod: { readonly name: string; readonly namespace: string; readonly uid: string; readonly resourceVersion: string },
  atMs: number,
  line = 1,
): SpanData[] {
  return synth.process({
    source: 'object',
    type: 'ADDED',
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...pod, creationTimestamp: new Date(atMs).toISOString().replace(/\.\d+Z$/, 'Z') },
      spec: { containers: [{ name: 'app', image: 'app:1' }] },
      status: { phase: 'Pending' },
    },
    timeMs: atMs,
    timeEstimated: false,
    origin: { file: 'test', line },
  });
}
