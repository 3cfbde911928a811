import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { decodeOtlpJsonLine } from '../support/otlp-json-decode.js';
import { captureIo } from '../support/cli-capture.js';

const POD = {
  type: 'ADDED',
  ts: '2026-03-01T10:00:00.100Z',
  object: {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'p',
      namespace: 'ns',
      uid: 'u1',
      resourceVersion: '5',
      creationTimestamp: '2026-03-01T10:00:00Z',
    },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
    status: { phase: 'Pending' },
  },
};

describe('main', () => {
  describe('--help and --version', () => {
    it('prints usage naming the replay command', async () => {
      const c = captureIo();
      expect(await main(['--help'], c.io)).toBe(0);
      expect(c.out()).toMatch(/^ {2}replay <dir> /m);
    });

    it('prints the package version', async () => {
      const c = captureIo();
      expect(await main(['--version'], c.io)).toBe(0);
      expect(c.out()).toMatch(/^kubestitch \d+\.\d+\.\d+/);
    });

    it('exits 2 on an unknown command or flag', async () => {
      expect(await main(['frobnicate'], captureIo().io)).toBe(2);
      expect(await main(['replay', 'x', '--bogus'], captureIo().io)).toBe(2);
      expect(await main(['replay'], captureIo().io)).toBe(2);
    });
  });

  describe('replay', () => {
    it('exits 1 with a clear message for a missing directory', async () => {
      const c = captureIo();
      expect(await main(['replay', '/nonexistent/recording'], c.io)).toBe(1);
      expect(c.err()).toContain('cannot read recording directory /nonexistent/recording');
    });

    it('exits 1 for a directory with no recording file in it', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'ks-cli-'));
      const c = captureIo();
      expect(await main(['replay', dir], c.io)).toBe(1);
      expect(c.err()).toContain('holds none of: watch.jsonl, events.jsonl');
    });

    it('reports malformed lines as file:line, skips them, and still writes the traces', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'ks-cli-'));
      await writeFile(join(dir, 'watch.jsonl'), `${JSON.stringify(POD)}\n{"type":"ADDED","object":\nnot json at all\n`);
      await writeFile(join(dir, 'spans.jsonl'), 'not an OTLP request\n');
      const out = join(dir, 'out', 'spans.jsonl');
      const c = captureIo();
      expect(await main(['replay', dir, '--out', out, '--cluster', 'prod-eu'], c.io)).toBe(0);
      expect(c.err()).toContain('watch.jsonl:2: invalid JSON');
      expect(c.err()).toContain('watch.jsonl:3: invalid JSON');
      expect(c.err()).toMatch(/spans.jsonl:1: /);
      expect(c.err()).toContain('2 malformed lines skipped');
      const lines = (await readFile(out, 'utf8')).trim().split('\n');
      const spans = lines.flatMap((l) => decodeOtlpJsonLine(l));
      const startup = spans.find((s) => s.name === 'pod startup');
      expect(startup?.attributes['kubestitch.outcome']).toBe('unfinished');
      expect(startup?.resource.attributes['k8s.cluster.name']).toBe('prod-eu');
    });

    it('replaces an existing --out file instead of appending to it', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'ks-cli-'));
      await writeFile(join(dir, 'watch.jsonl'), `${JSON.stringify(POD)}\n`);
      const out = join(dir, 'spans.jsonl');
      expect(await main(['replay', dir, '--out', out], captureIo().io)).toBe(0);
      const first = await readFile(out, 'utf8');
      expect(await main(['replay', dir, '--out', out], captureIo().io)).toBe(0);
      expect(await readFile(out, 'utf8')).toBe(first);
    });
  });
});

describe('the bundled examples', () => {
  it('replay cleanly, the audited one with its audit requests in the rollout trace', async () => {
    const root = new URL('../../examples/', import.meta.url).pathname;
    for (const [name, auditSpans] of [
      ['rolling-update', false],
      ['rolling-update-audit', true],
    ] as const) {
      const out = join(await mkdtemp(join(tmpdir(), 'ks-example-')), 'spans.jsonl');
      const c = captureIo();
      expect(await main(['replay', join(root, name), '--out', out], c.io)).toBe(0);
      expect(c.err()).not.toMatch(/malformed|skipped/);
      const spans = (await readFile(out, 'utf8'))
        .trim()
        .split('\n')
        .flatMap((l) => decodeOtlpJsonLine(l));
      const rollout = spans.find((s) => s.name === 'Deployment rollout');
      expect(rollout?.attributes['kubestitch.outcome']).toBe('ok');
      const patch = spans.find((s) => s.name === 'patch deployments' && s.traceId === rollout?.traceId);
      expect(patch !== undefined).toBe(auditSpans);
    }
  });
});
