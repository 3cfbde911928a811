import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';

const REAL = fileURLToPath(new URL('../fixtures/real/deploy/', import.meta.url));
const METHOD: Readonly<Record<string, string>> = {
  get: 'GET',
  list: 'GET',
  watch: 'GET',
  create: 'POST',
  update: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
};

it('audited requests of a real rollout carry semconv http.request.method and url.path, not the query', async () => {
  const spans = synthesizeRecords((await readRecording(REAL)).records, { cluster: 'c' }).flat();
  const audited = spans.filter((s) => typeof s.attributes['audit-id'] === 'string');
  expect(audited.length).toBeGreaterThan(50);
  const verbs = new Set<string>();
  for (const s of audited) {
    const verb = String(s.attributes['kubestitch.audit.verb']);
    verbs.add(verb);
    expect(s.attributes['http.request.method'], `${s.name} (${verb})`).toBe(METHOD[verb] ?? '_OTHER');
    expect(String(s.attributes['url.path'])).not.toContain('?');
    // The 0.1 keys in the OTel-owned k8s. namespace are gone (docs/attributes.md).
    expect(Object.keys(s.attributes).filter((k) => k.startsWith('k8s.audit.'))).toEqual([]);
  }
  expect([...verbs].sort()).toEqual(expect.arrayContaining(['create', 'patch', 'update']));
});
