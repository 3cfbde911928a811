import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/model/records.js';
import { auditActor } from '../../src/synth/audit-actor.js';

function entry(user: string, userAgent = ''): AuditEntry {
  return {
    auditId: 'a',
    stage: 'ResponseComplete',
    level: 'Metadata',
    verb: 'update',
    requestUri: '/api/v1/namespaces/shop/configmaps/x',
    user,
    groups: [],
    impersonatedUser: undefined,
    userAgent,
    sourceIps: [],
    objectRef: undefined,
    code: 200,
    responseReason: '',
    receivedMs: 0,
    stageMs: 1,
    responseObject: undefined,
    bindingTarget: undefined,
  };
}

describe('auditActor without a user agent (Metadata-level logs, managed providers)', () => {
  it('names the actor from the identity, never an unknown client when the identity is known', () => {
    expect(auditActor(entry('system:apiserver'))['service.name']).toBe('kube-apiserver');
    expect(auditActor(entry('system:serviceaccount:argocd:argocd-application-controller'))['service.name']).toBe(
      'argocd-application-controller',
    );
    expect(auditActor(entry('system:serviceaccount:kube-system:helm-operator'))['service.name']).toBe('helm-operator');
    expect(auditActor(entry('system:kube-proxy'))['service.name']).toBe('kube-proxy');
    expect(auditActor(entry('alice@example.com'))['service.name']).toBe('alice@example.com');
    expect(auditActor(entry(''))['service.name']).toBe('unknown-client');
  });

  it('still prefers the user agent when there is one', () => {
    expect(auditActor(entry('alice@example.com', 'helm/v3.16.2 (linux/amd64)'))['service.name']).toBe('helm');
  });
});
