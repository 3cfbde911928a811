import { readFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../storage/index.js';
import { IntakeLog } from '../../../storage/intake-log.js';
import type { JsonObject } from '../../../src/model/kube-json.js';
import { field, isObject, obj, str } from '../../../src/model/kube-json.js';
import { checkAuditEvent, toIntakeItem } from '../../../src/sources/audit/audit-entry.js';
import { redactAuditEvent } from '../../../src/sources/audit/redact-audit.js';
import { CORPUS, corpusPath } from '../../support/corpus.js';

// Real audit events (read only), see test/fixtures/corpus/SOURCES.md.
const DERIVED = corpusPath(`${CORPUS.derived}audit-events.DERIVED.jsonl`);
const PAYLOAD_FIELDS = ['data', 'stringData', 'binaryData'];

let corpus: JsonObject[] = [];

beforeAll(async () => {
  const text = await readFile(DERIVED, 'utf8');
  corpus = text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as JsonObject);
});

function find(predicate: (event: JsonObject) => boolean): JsonObject {
  const found = corpus.find(predicate);
  if (found === undefined) throw new Error('corpus event not found');
  return found;
}

/**
 * The corpus holds Secret events only at Metadata level (no bodies), so Secret bodies are added
 * to a real `create secrets` event here: one with data, one with stringData, one in another group.
 */
function secretEvents(): JsonObject[] {
  const base = find((e) => str(e, 'objectRef', 'resource') === 'secrets' && str(e, 'verb') === 'create');
  const secret = (data: Record<string, string>, key: string) => ({
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: { name: 'bootstrap-token-ne7bxu', namespace: 'kube-system' },
    type: 'bootstrap.kubernetes.io/token',
    [key]: data,
  });
  return [
    { ...base, auditID: 's1', requestObject: secret({ 'token-secret': 'c2VjcmV0LXZhbHVlLTE=' }, 'data') },
    { ...base, auditID: 's2', responseObject: secret({ password: 'plain-secret-value-2' }, 'stringData') },
    {
      ...base,
      auditID: 's3',
      objectRef: { resource: 'secrets', apiGroup: 'example.io', apiVersion: 'v1alpha1', name: 'x' },
      requestObject: { kind: 'Secret', data: { k: 'Y3VzdG9tLWdyb3VwLXNlY3JldA==' } },
    },
  ];
}

/** Every Secret/ConfigMap payload value in the events, raw and as it reads inside JSON. */
function payloadValues(events: readonly JsonObject[]): string[] {
  const values: string[] = [];
  for (const event of events) {
    for (const body of [event['requestObject'], event['responseObject']]) {
      const kind = str(body, 'kind');
      if (kind !== 'Secret' && kind !== 'ConfigMap') continue;
      for (const name of PAYLOAD_FIELDS) {
        for (const value of Object.values(obj(body, name) ?? {})) {
          if (typeof value === 'string') values.push(value, JSON.stringify(value).slice(1, -1));
        }
      }
    }
  }
  return values;
}

describe('redactAuditEvent', () => {
  it('leaves no ConfigMap or Secret data value of the real audit events in the stored intake bytes', async () => {
    const events = [...corpus, ...secretEvents()];
    const values = payloadValues(events);
    expect(values.length).toBeGreaterThanOrEqual(20); // the corpus has 8 ConfigMap creates with data
    expect(values.some((value) => value.includes('aws_secret_access_key = MY-KEY'))).toBe(true);

    const store = new MemoryStore();
    const log = await IntakeLog.open(store);
    const items = events.map((event) => {
      const checked = checkAuditEvent(event);
      if (!checked.ok) throw new Error(checked.reason);
      return toIntakeItem(checked);
    });
    const result = await log.append(items.map((item) => item.entry));
    expect(result.accepted).toBe(new Set(items.map((i) => i.entry.id)).size);

    let stored = '';
    for await (const [key, value] of store.iterate()) stored += `${key}\n${String(value)}\n`;
    expect(stored).toContain('"resource":"configmaps"');
    for (const value of values) expect(stored).not.toContain(value);
    expect(stored).not.toContain('MY-KEY');
    expect(stored).not.toContain('last-applied-configuration');
    expect(stored).not.toContain('managedFields');
  });

  it('keeps metadata (with ownerReferences), spec and status of a pod, and the rest of the event', () => {
    const event = find((e) => str(e, 'objectRef', 'resource') === 'pods' && isObject(e['responseObject']));
    const redacted = redactAuditEvent(event);
    for (const key of ['auditID', 'stage', 'verb', 'user', 'objectRef', 'requestReceivedTimestamp', 'annotations']) {
      expect(redacted[key]).toEqual(event[key]);
    }
    expect(Object.keys(obj(redacted, 'responseObject') ?? {}).sort()).toEqual(
      ['apiVersion', 'kind', 'metadata', 'spec', 'status'].filter((k) => k in (obj(event, 'responseObject') ?? {})),
    );
    expect(field(redacted, 'responseObject', 'metadata', 'ownerReferences')).toEqual(
      field(event, 'responseObject', 'metadata', 'ownerReferences'),
    );
    expect(field(redacted, 'requestObject', 'spec')).toEqual(field(event, 'requestObject', 'spec'));
  });

  it('reduces other kinds to apiVersion, kind, metadata, spec and status', () => {
    const event = find((e) => str(e, 'objectRef', 'resource') === 'clusterroles' && str(e, 'verb') === 'patch');
    expect(field(event, 'requestObject', 'rules')).toBeDefined();
    const redacted = redactAuditEvent(event);
    expect(field(redacted, 'requestObject', 'rules')).toBeUndefined();
    expect(field(redacted, 'responseObject', 'rules')).toBeUndefined();
    expect(str(redacted, 'responseObject', 'metadata', 'name')).toBe('system:node-problem-detector');
    expect(field(redacted, 'requestObject', 'metadata', 'annotations')).toEqual({});
  });

  it('drops managedFields from metadata', () => {
    const event = find((e) => field(e, 'responseObject', 'metadata', 'managedFields') !== undefined);
    const redacted = redactAuditEvent(event);
    expect(field(redacted, 'responseObject', 'metadata', 'managedFields')).toBeUndefined();
    expect(str(redacted, 'responseObject', 'metadata', 'name')).toBe(str(event, 'responseObject', 'metadata', 'name'));
  });

  it('keeps target of a Binding request', () => {
    const binding = {
      auditID: 'b',
      stage: 'ResponseComplete',
      objectRef: { resource: 'pods', subresource: 'binding', namespace: 'default', name: 'p' },
      requestObject: {
        kind: 'Binding',
        apiVersion: 'v1',
        metadata: { name: 'p' },
        target: { kind: 'Node', name: 'n1' },
      },
      responseObject: { kind: 'Status', apiVersion: 'v1', status: 'Success', code: 201 },
    };
    const redacted = redactAuditEvent(binding);
    expect(field(redacted, 'requestObject', 'target')).toEqual({ kind: 'Node', name: 'n1' });
    expect(redacted['responseObject']).toEqual({ kind: 'Status', apiVersion: 'v1', status: 'Success' });
  });

  it('removes responseStatus details causes, tokens of TokenRequest/TokenReview and JSON-patch bodies', () => {
    const redacted = redactAuditEvent({
      auditID: 't',
      stage: 'ResponseComplete',
      objectRef: { resource: 'serviceaccounts', subresource: 'token', name: 'default' },
      requestObject: [{ op: 'replace', path: '/spec/x', value: 'patched-value' }],
      responseObject: {
        kind: 'TokenRequest',
        spec: { audiences: ['a'] },
        status: { token: 'eyJ.tok', expirationTimestamp: 'x' },
      },
      responseStatus: { code: 422, message: 'invalid', details: { name: 'n', causes: [{ message: 'value "v"' }] } },
    });
    expect(redacted['requestObject']).toBeUndefined();
    expect(field(redacted, 'responseObject', 'status')).toEqual({ expirationTimestamp: 'x' });
    // A 422's message quotes the submitted values, like its causes.
    expect(redacted['responseStatus']).toEqual({ code: 422, details: { name: 'n' } });
    const review = redactAuditEvent({
      auditID: 'r',
      stage: 'ResponseComplete',
      objectRef: { resource: 'tokenreviews', apiGroup: 'authentication.k8s.io' },
      requestObject: { spec: { token: 'bearer-xyz', audiences: ['api'] } },
    });
    expect(field(review, 'requestObject', 'spec')).toEqual({ audiences: ['api'] });
  });

  it('does not change its input', () => {
    const event = find((e) => str(e, 'objectRef', 'resource') === 'configmaps' && isObject(e['requestObject']));
    const before = JSON.stringify(event);
    expect(redactAuditEvent(event)['requestObject']).toBeUndefined();
    expect(JSON.stringify(event)).toBe(before);
  });
});
