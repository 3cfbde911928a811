import { describe, expect, it } from 'vitest';
import { isObject, str } from '../../src/model/kube-json.js';
import type { JsonObject } from '../../src/model/kube-json.js';
import { redactAuditEvent } from '../../src/sources/audit/redact-audit.js';
import { redactAnnotations, redactObject } from '../../src/sources/redact.js';
import { CORPUS, readCorpusJson, readCorpusText } from '../support/corpus.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** The ConfigMap in Falco's audit fixture (response body of a real create), values included. */
async function realConfigMap(): Promise<JsonObject> {
  const text = await readCorpusText(`${CORPUS.falco}create_configmap_sensitive_values.json`);
  const first = JSON.parse(text.split('\n')[0] ?? '') as unknown;
  const cm = isObject(first) ? first['responseObject'] : undefined;
  if (!isObject(cm)) throw new Error('fixture has no responseObject');
  return cm;
}

const secret: JsonObject = {
  apiVersion: 'v1',
  kind: 'Secret',
  type: 'Opaque',
  metadata: {
    name: 'db-credentials',
    namespace: 'shop',
    uid: 's-1',
    resourceVersion: '42',
    annotations: {
      [LAST_APPLIED]: '{"apiVersion":"v1","kind":"Secret","stringData":{"password":"hunter2"}}',
      team: 'payments',
    },
  },
  data: { password: 'aHVudGVyMg==' },
  stringData: { password: 'hunter2' },
};

describe('redactObject', () => {
  describe('Secret', () => {
    it('drops data, stringData and the last-applied annotation and keeps the rest', () => {
      const out = redactObject(secret);
      expect(JSON.stringify(out)).not.toMatch(/hunter2|aHVudGVyMg/);
      expect(out).toEqual({
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'Opaque',
        metadata: {
          name: 'db-credentials',
          namespace: 'shop',
          uid: 's-1',
          resourceVersion: '42',
          annotations: { team: 'payments' },
        },
      });
    });

    it('leaves the input object untouched', () => {
      const before = JSON.stringify(secret);
      redactObject(secret);
      expect(JSON.stringify(secret)).toBe(before);
    });
  });

  describe('ConfigMap', () => {
    it('drops the values of a real ConfigMap and keeps its metadata', async () => {
      const cm = await realConfigMap();
      expect(JSON.stringify(cm)).toContain('aws_secret_access_key');
      const out = redactObject(cm);
      expect(JSON.stringify(out)).not.toContain('aws_secret_access_key');
      expect(out['data']).toBeUndefined();
      expect(out['metadata']).toEqual(cm['metadata']);
    });

    it('drops binaryData', () => {
      const out = redactObject({ kind: 'ConfigMap', metadata: { name: 'bin' }, binaryData: { blob: 'AAEC' } });
      expect(out).toEqual({ kind: 'ConfigMap', metadata: { name: 'bin' } });
    });
  });

  describe('last-applied-configuration', () => {
    it('drops the annotation from a real Deployment, where it embeds the whole manifest', async () => {
      const dp = await readCorpusJson(`${CORPUS.k9s}dp.json`);
      expect(str(dp, 'metadata', 'annotations', LAST_APPLIED)).toBeDefined();
      const out = redactObject(dp);
      expect(str(out, 'metadata', 'annotations', LAST_APPLIED)).toBeUndefined();
      expect(str(out, 'metadata', 'annotations', 'deployment.kubernetes.io/revision')).toBe('1');
      expect(out['spec']).toEqual(dp['spec']);
      expect(str(out, 'metadata', 'uid')).toBe(str(dp, 'metadata', 'uid'));
    });
  });

  describe('objects with nothing to remove', () => {
    it('returns the very same object', async () => {
      const pod = await readCorpusJson(`${CORPUS.k9s}p1.json`);
      expect(redactObject(pod)).toBe(pod);
    });

    it('keeps a data field on kinds that are not Secret or ConfigMap', () => {
      const custom = { kind: 'Widget', metadata: { name: 'w' }, data: { size: 3 } };
      expect(redactObject(custom)).toBe(custom);
    });
  });
});

describe('--redact-annotations (redactAnnotations)', () => {
  const pod: JsonObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-1',
      namespace: 'shop',
      annotations: { 'example.com/customer-id': 'c-991', 'vault.example.com/role': 'db', team: 'payments' },
    },
  };
  const annotations = (o: JsonObject): string[] => {
    const m = o['metadata'];
    return isObject(m) && isObject(m['annotations']) ? Object.keys(m['annotations']).sort() : [];
  };

  it('drops the named and matching annotations on every path besides the defaults, until reset', () => {
    try {
      redactAnnotations(['example.com/customer-id', '/^vault\\./']);
      expect(annotations(redactObject(pod))).toEqual(['team']);
      const event = { auditID: 'a', verb: 'create', stage: 'ResponseComplete', responseObject: pod } as JsonObject;
      const body = redactAuditEvent(event)['responseObject'];
      expect(isObject(body) ? annotations(body) : []).toEqual(['team']);
      // The defaults stay: a credential-named annotation is still dropped.
      const withToken = { ...pod, metadata: { name: 'x', annotations: { 'my-token': 't', team: 'p' } } };
      expect(annotations(redactObject(withToken))).toEqual(['team']);
    } finally {
      redactAnnotations([]);
    }
    expect(annotations(redactObject(pod))).toEqual(['example.com/customer-id', 'team', 'vault.example.com/role']);
  });

  it('refuses a bad regex without changing the policy', () => {
    expect(() => redactAnnotations(['/(/'])).toThrow(SyntaxError);
    expect(annotations(redactObject(pod))).toContain('example.com/customer-id');
  });
});
