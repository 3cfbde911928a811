import fc from 'fast-check';
import type { JsonObject } from '../../src/model/kube-json.js';
import { runScenario } from '../../tools/sim/index.js';

/**
 * Random and mutated records of every input kind for the hostile-input property suite. Records
 * built around a secret carry `marker` only in a field that must never be kept (Secret data,
 * ConfigMap values, tokens, env values, credential-named annotations, exec queries, 422 echoes).
 */
const scenario = runScenario('rolling-update');
const watchBases = scenario.watch.map((l) => JSON.stringify({ type: l.type, object: l.object, ts: l.ts }));
const eventBases = scenario.events.map((l) => JSON.stringify({ type: l.type, object: l.object, ts: l.ts }));
const auditBases = scenario.audit.map((a) => JSON.stringify(a));
const TS = '2026-03-01T10:00:00Z';

const HOSTILE_TIMES = [
  '1900-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '1970-01-01T00:00:00Z',
  '2013-12-31T23:59:59Z',
  '2999-01-01T00:00:00.123456Z',
  'not-a-time',
  '',
];
const HOSTILE_STRINGS = ['\u001b[31mred\u001b[0m', '\u0000', '\u202e', 'a\r\nb', '"}]', '𝔘𝔫𝔦'];
const TIME_KEYS = [
  'ts',
  'stageTimestamp',
  'requestReceivedTimestamp',
  'lastTimestamp',
  'eventTime',
  'creationTimestamp',
];

/** A deep value as text: JSON.stringify itself would overflow on the deepest ones. */
function deepText(depth: number, arrays: boolean): string {
  return arrays ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** One mutation of a record's JSON text; the result is one line (no raw newline). */
const mutation = (text: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.constant(text),
    // A time field set to something out of range or unparseable, wherever it sits.
    fc
      .tuple(fc.constantFrom(...TIME_KEYS), fc.constantFrom(...HOSTILE_TIMES))
      .map(([key, time]) => text.replace(new RegExp(`"${key}":"[^"]*"`, 'g'), `"${key}":${JSON.stringify(time)}`)),
    // Untrusted depth under the first object-valued key.
    fc
      .tuple(fc.integer({ min: 90, max: 20_000 }), fc.boolean())
      .map(([depth, arrays]) => text.replace(/"metadata":\{/, `"fuzzDeep":${deepText(depth, arrays)},"metadata":{`)),
    // Control characters and other hostile text in names.
    fc.constantFrom(...HOSTILE_STRINGS).map((s) => text.replace(/"name":"[^"]*"/, `"name":${JSON.stringify(s)}`)),
    // Any field's value replaced by random JSON.
    fc.tuple(fc.nat(), fc.jsonValue({ maxDepth: 3 })).map(([n, v]) => replaceNthValue(text, n, JSON.stringify(v))),
    // Cut off anywhere.
    fc.nat().map((n) => text.slice(0, n % Math.max(1, text.length))),
    // Not a record at all.
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'),
    fc.string({ maxLength: 40 }).map((s) => s.replace(/\n/g, ' ')),
  );

function replaceNthValue(text: string, n: number, value: string): string {
  const re = /":("[^"]*"|-?\d+(\.\d+)?|true|false|null)/g;
  const matches = [...text.matchAll(re)];
  const m = matches[n % Math.max(1, matches.length)];
  if (m === undefined) return text;
  return `${text.slice(0, m.index)}":${value}${text.slice(m.index + m[0].length)}`;
}

const pick = (bases: readonly string[]): fc.Arbitrary<string> => fc.constantFrom(...bases).chain(mutation);

/** Objects with a marker in a confidential field, as watch lines. */
export function secretWatchLines(marker: string): string[] {
  const meta = (name: string): JsonObject => ({
    name,
    namespace: 'shop',
    uid: `uid-${name}`,
    resourceVersion: '1',
    creationTimestamp: TS,
    annotations: { 'example.com/db-password': marker, 'kubectl.kubernetes.io/last-applied-configuration': marker },
  });
  const container = { name: 'c', image: 'nginx', env: [{ name: 'PASSWORD', value: marker }] };
  const objects: JsonObject[] = [
    { apiVersion: 'v1', kind: 'Secret', metadata: meta('s'), data: { k: marker }, stringData: { k: marker } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('cm'), data: { k: marker }, binaryData: { k: marker } },
    { apiVersion: 'v1', kind: 'Pod', metadata: meta('p'), spec: { containers: [container] }, status: {} },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('d'),
      spec: { replicas: 1, template: { metadata: {}, spec: { containers: [container] } } },
    },
  ];
  return objects.flatMap((object) =>
    ['ADDED', 'MODIFIED'].map((type, i) => JSON.stringify({ type, object, ts: `2026-03-01T10:00:0${i}Z` })),
  );
}

/** Audit events with a marker in a confidential field. */
export function secretAuditEvents(marker: string, idPrefix: string): JsonObject[] {
  const base = JSON.parse(auditBases.find((a) => a.includes('"verb":"patch"')) ?? '{}') as JsonObject;
  const ev = (id: string, extra: JsonObject): JsonObject => ({ ...base, auditID: `${idPrefix}-${id}`, ...extra });
  return [
    ev('token', {
      verb: 'create',
      objectRef: { resource: 'serviceaccounts', subresource: 'token', namespace: 'shop', name: 'default' },
      responseObject: { kind: 'TokenRequest', metadata: { name: 'default' }, status: { token: marker } },
    }),
    ev('review', {
      verb: 'create',
      objectRef: { resource: 'tokenreviews', apiGroup: 'authentication.k8s.io' },
      requestObject: { spec: { token: marker } },
      responseObject: { kind: 'TokenReview', metadata: {}, spec: { token: marker }, status: {} },
    }),
    ev('secret', {
      verb: 'update',
      objectRef: { resource: 'secrets', namespace: 'shop', name: 's' },
      requestObject: { kind: 'Secret', metadata: { name: 's' }, data: { k: marker } },
      responseObject: { kind: 'Secret', metadata: { name: 's' }, stringData: { k: marker } },
    }),
    ev('exec', {
      verb: 'create',
      requestURI: `/api/v1/namespaces/shop/pods/p/exec?command=${marker}`,
      objectRef: { resource: 'pods', subresource: 'exec', namespace: 'shop', name: 'p' },
    }),
    ev('invalid', {
      verb: 'update',
      responseStatus: { code: 422, reason: 'Invalid', message: `Invalid value: "${marker}"` },
    }),
  ];
}

export const watchLine = pick(watchBases);
export const eventLine = pick(eventBases);
export const auditLine = pick(auditBases);

/** An OTLP/JSON request line, mutated like the others. */
export const otlpLine = fc
  .record({ traceId: fc.stringMatching(/^[0-9a-f]{32}$/), spanId: fc.stringMatching(/^[0-9a-f]{16}$/) })
  .map(({ traceId, spanId }) =>
    JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'etcd' } }] },
          scopeSpans: [
            {
              scope: { name: 'fuzz' },
              spans: [
                {
                  traceId,
                  spanId,
                  name: 'etcd Put',
                  kind: 2,
                  startTimeUnixNano: '1772359200000000000',
                  endTimeUnixNano: '1772359200004000000',
                  attributes: [{ key: 'k', value: { stringValue: 'v' } }],
                },
              ],
            },
          ],
        },
      ],
    }),
  )
  .chain(mutation);
