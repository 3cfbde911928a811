import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { slimOf } from '../../src/graph/slim.js';
import type { JsonObject } from '../../src/model/kube-json.js';
import { withManagedFieldsSummary } from '../../src/model/managed-fields.js';

// The managedFields of a Deployment the real control plane recorded (test/fixtures/real-managed-fields:
// apply, set image, then scale), with the fieldsV1 the apiserver writes (field names abridged).
const deployment = (managedFields: unknown[]): JsonObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'e2e-deploy', uid: 'd-1', managedFields },
  spec: { replicas: 5, template: { spec: { containers: [{ name: 'app', image: 'nginx:1.26' }] } } },
});
const APPLY = {
  manager: 'kubectl-client-side-apply',
  operation: 'Update',
  apiVersion: 'apps/v1',
  time: '2026-12-07T17:43:18Z',
  fieldsType: 'FieldsV1',
  fieldsV1: { 'f:metadata': { 'f:annotations': {} }, 'f:spec': { 'f:replicas': {}, 'f:template': {} } },
};
const SET_IMAGE = { ...APPLY, manager: 'kubectl-set', time: '2026-12-07T17:43:25Z' };
const STATUS = {
  manager: 'kube-controller-manager',
  operation: 'Update',
  apiVersion: 'apps/v1',
  time: '2026-12-07T17:43:37Z',
  fieldsType: 'FieldsV1',
  fieldsV1: { 'f:status': { 'f:replicas': {} } },
  subresource: 'status',
};
// The apiserver writes no time on the entry of a `scale` subresource update.
const SCALE = {
  manager: 'kubectl',
  operation: 'Update',
  apiVersion: 'apps/v1',
  fieldsType: 'FieldsV1',
  fieldsV1: { 'f:spec': { 'f:replicas': {} } },
  subresource: 'scale',
};

const HELM_DEPLOYMENT = fileURLToPath(new URL('../fixtures/real-managed-fields/helm/deployment.json', import.meta.url));

describe('a workload’s last spec writer', () => {
  it('of the real control plane’s Deployment after helm upgrade (the apiserver’s full entries): helm, at the upgrade’s second', async () => {
    const object = JSON.parse(await readFile(HELM_DEPLOYMENT, 'utf8')) as JsonObject;
    const want = { manager: 'helm', timeMs: Date.parse('2026-12-07T18:27:11Z') };
    expect(slimOf(object).specWriter).toEqual(want);
    expect(slimOf(withManagedFieldsSummary(object)).specWriter).toEqual(want);
  });

  it('is the latest timed entry owning spec fields: a status write or an untimed scale never is', () => {
    const object = deployment([SCALE, APPLY, SET_IMAGE, STATUS]);
    const want = { manager: 'kubectl-set', timeMs: Date.parse('2026-12-07T17:43:25Z') };
    expect(slimOf(object).specWriter).toEqual(want);
    // The recorded summary tells the same, with no field names in it.
    const summarized = withManagedFieldsSummary(object);
    expect(slimOf(summarized).specWriter).toEqual(want);
    expect(JSON.stringify(summarized)).not.toMatch(/f:|fieldsV1|fieldsType|apiVersion":"apps\/v1","time/);
    expect(summarized['metadata']).toEqual({
      name: 'web',
      namespace: 'e2e-deploy',
      uid: 'd-1',
      managedFields: [
        { manager: 'kubectl', operation: 'Update', subresource: 'scale', touchesSpec: true },
        { manager: 'kubectl-client-side-apply', operation: 'Update', time: '2026-12-07T17:43:18Z', touchesSpec: true },
        { manager: 'kubectl-set', operation: 'Update', time: '2026-12-07T17:43:25Z', touchesSpec: true },
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          time: '2026-12-07T17:43:37Z',
          subresource: 'status',
        },
      ],
    });
  });

  it('is unknown without managedFields, with malformed entries, and for kinds that are not workloads', () => {
    expect(slimOf(deployment([])).specWriter).toBeUndefined();
    expect(slimOf({ ...deployment([]), metadata: { name: 'web', managedFields: 'x' } }).specWriter).toBeUndefined();
    expect(
      slimOf(deployment([null, 3, { manager: 'x', time: 'not a time', touchesSpec: true }])).specWriter,
    ).toBeUndefined();
    expect(slimOf({ ...deployment([APPLY]), kind: 'Pod' }).specWriter).toBeUndefined();
    expect(withManagedFieldsSummary({ kind: 'Pod', metadata: { name: 'p', managedFields: 'x' } })).toEqual({
      kind: 'Pod',
      metadata: { name: 'p' },
    });
  });
});
