import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/model/records.js';
import { auditRecordOf } from '../../src/sources/audit/parse-audit.js';
import { type OpenDeletionOwner, requestedSubject } from '../../src/synth/deletion-subject.js';

// #14: the object an audited delete names when nothing else knows it (audit that began after it
// was created), and its owner when the garbage collector deleted it.
const GC = 'system:serviceaccount:kube-system:generic-garbage-collector';
const T0 = Date.parse('2026-03-01T10:00:00Z');

function deleteRequest(resource: string, namespace: string, name: string, user: string, uid?: string): AuditEntry {
  const group = resource === 'pods' ? '' : 'apps';
  const details = uid === undefined ? {} : { details: { name, group, kind: resource, uid } };
  const record = auditRecordOf(
    {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: `audit-${name}`,
      stage: 'ResponseComplete',
      requestURI: `/apis/apps/v1/namespaces/${namespace}/${resource}/${name}`,
      verb: 'delete',
      user: { username: user },
      userAgent: 'kube-controller-manager/v1.35.4 (linux/amd64) kubernetes/abc',
      objectRef: { resource, namespace, name, apiGroup: group, apiVersion: 'v1' },
      responseStatus: { metadata: {}, status: 'Success', ...details, code: 200 },
      requestReceivedTimestamp: new Date(T0).toISOString(),
      stageTimestamp: new Date(T0 + 3).toISOString(),
    },
    { file: 'test', line: 1 },
    T0,
  );
  if (typeof record === 'string') throw new Error(record);
  return record.audit;
}

const open: OpenDeletionOwner[] = [
  { kind: 'Deployment', namespace: 'shop', name: 'web', uid: 'dep-web' },
  { kind: 'Deployment', namespace: 'shop', name: 'web-api', uid: 'dep-web-api' },
  { kind: 'Deployment', namespace: 'other', name: 'cart', uid: 'dep-cart' },
];

describe('requestedSubject', () => {
  it('names the object from the request and its uid from the response status (Metadata level)', () => {
    const subject = requestedSubject(deleteRequest('deployments', 'shop', 'web', 'alice', 'u-1'), () => []);
    expect(subject).toMatchObject({ kind: 'Deployment', namespace: 'shop', name: 'web', uid: 'u-1' });
    expect(subject?.controller).toBeUndefined();
  });

  it('gives what the garbage collector deletes the open deletion whose name begins its own, the longest', () => {
    const rs = requestedSubject(deleteRequest('replicasets', 'shop', 'web-api-5d8f9', GC, 'u-2'), () => open);
    expect(rs?.controller).toEqual({ kind: 'Deployment', name: 'web-api', uid: 'dep-web-api' });
    const other = requestedSubject(deleteRequest('replicasets', 'shop', 'web-7c94cc59d', GC, 'u-3'), () => open);
    expect(other?.controller?.uid).toBe('dep-web');
  });

  it('gives no owner by name to anyone else’s delete, nor across namespaces, nor to a bare prefix', () => {
    const user = requestedSubject(deleteRequest('replicasets', 'shop', 'web-7c94cc59d', 'alice', 'u-4'), () => open);
    expect(user?.controller).toBeUndefined();
    const elsewhere = requestedSubject(deleteRequest('replicasets', 'shop', 'cart-1a2b3', GC, 'u-5'), () => open);
    expect(elsewhere?.controller).toBeUndefined();
    const glued = requestedSubject(deleteRequest('replicasets', 'shop', 'webshop-1a2b3', GC, 'u-6'), () => open);
    expect(glued?.controller).toBeUndefined();
  });

  it('knows nothing without a uid (nothing could find its deletion again)', () => {
    expect(requestedSubject(deleteRequest('deployments', 'shop', 'web', 'alice'), () => open)).toBeUndefined();
  });
});
