import { access, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startDemo } from '../../src/ui/demo.js';
import { CORPUS, corpusPath } from '../support/corpus.js';

const DEMO_DIR = fileURLToPath(new URL('../../examples/demo/', import.meta.url));

describe('npm run demo (startDemo)', () => {
  it('serves the bundled rollout and the real audit corpus, with the rollout trace at the printed URL', async () => {
    const lines: string[] = [];
    const demo = await startDemo({ demoDir: DEMO_DIR, addr: '127.0.0.1:0', log: (l) => lines.push(l) });
    try {
      expect(lines.join('\n')).toMatch(/rollout: \d+ records → \d+ spans/);
      expect(lines.join('\n')).toMatch(/real-audit: 90 records → \d+ spans/);
      expect(demo.rolloutUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/trace\/[0-9a-f]{32}$/);
      const page = await fetch(demo.rolloutUrl ?? '');
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<script type="module" src="/static/app.js">');
      const traceId = demo.rolloutUrl?.split('/').pop() ?? '';
      const api = (await (await fetch(`${demo.url}api/traces/${traceId}`)).json()) as {
        data: { spans: { operationName: string; references: unknown[] }[] }[];
      };
      const spans = api.data[0]?.spans ?? [];
      expect(spans.find((s) => s.references.length === 0)?.operationName).toBe('Deployment rollout');
      expect(spans.filter((s) => s.operationName === 'pod startup').length).toBeGreaterThanOrEqual(3);
      // The real corpus is in: Falco's minikube Deployment create and the replicaset-controller's pods.
      const objects = (await (await fetch(`${demo.url}api/objects?q=default/nginx-deployment`)).json()) as {
        data: { kind: string; traceCount: number }[];
      };
      expect(objects.data[0]).toMatchObject({ kind: 'Deployment' });
      expect(objects.data[0]?.traceCount).toBeGreaterThan(0);
    } finally {
      await demo.stop();
    }
  });

  it('keeps the real audit file a byte-for-byte copy of the corpus', async () => {
    const corpus = corpusPath(`${CORPUS.derived}audit-events.DERIVED.jsonl`);
    const copy = join(DEMO_DIR, 'real-audit', 'audit.log');
    expect(await readFile(copy, 'utf8')).toBe(await readFile(corpus, 'utf8'));
  });

  it('leaves a data directory it was given in place after stop', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ks-demo-keep-'));
    const demo = await startDemo({ demoDir: DEMO_DIR, addr: '127.0.0.1:0', dataDir, log: () => undefined });
    await demo.stop();
    await expect(access(join(dataDir, 'CURRENT'))).resolves.toBeUndefined();
  });
});
