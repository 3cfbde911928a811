/**
 * Golden trees from recordings of the real control plane (test/fixtures/real, README there):
 * kube-apiserver, kube-controller-manager, kube-scheduler v1.35.4, etcd and kwok — not our
 * simulator. Replayed through the path `kubestitch replay` takes (replayDirectory), with everything
 * (watch, Events, audit, the apiserver's and etcd's spans), with watch + Events alone, and with
 * the audit log alone.
 *
 * The tree shows kubestitch's spans (one line each, test/support/render-trace.ts); the real spans
 * stitched under them are summarised per trace as a count by service, since a single request
 * brings a dozen of them (authentication, etcd Txn, …) and their exact timings are the
 * components', not ours.
 */
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CaptureSink } from '../../src/export/capture-sink.js';
import type { SpanData } from '../../src/model/span.js';
import { replayDirectory } from '../../src/replay.js';
import { checkInvariants, isComponentsOwnTiming, isRealSpan } from '../support/invariants.js';
import { renderTraces } from '../support/render-trace.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/real/', import.meta.url));
const GOLDEN_DIR = fileURLToPath(new URL('./expected/real/', import.meta.url));
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';


function render(spans: readonly SpanData[]): string {
  const ours = spans.filter((s) => !isRealSpan(s));
  const real = new Map<string, Map<string, number>>();
  for (const s of spans.filter(isRealSpan)) {
    const byService = real.get(s.traceId) ?? new Map<string, number>();
    const svc = String(s.resource.attributes['service.name'] ?? '?');
    byService.set(svc, (byService.get(svc) ?? 0) + 1);
    real.set(s.traceId, byService);
  }
  const roots = ours.filter((s) => s.parentSpanId === undefined).sort((a, b) => a.startMs - b.startMs);
  const summary = roots
    .filter((r) => real.has(r.traceId))
    .map((r) => {
      const counts = [...(real.get(r.traceId) ?? [])].sort().map(([svc, n]) => `${svc}×${n}`);
      return `real spans in "${r.name} ${String(r.attributes['k8s.object.name'] ?? '')}": ${counts.join(' ')}`;
    });
  return renderTraces(ours) + (summary.length > 0 ? '\n' + summary.join('\n') + '\n' : '');
}

const VARIANTS = {
  all: (): boolean => true,
  'watch+events': (f: string): boolean => f === 'watch.jsonl' || f === 'events.jsonl',
  // RequestResponse audit alone must rebuild the same operations (DESIGN §2).
  audit: (f: string): boolean => f === 'audit.log',
} as const;

const scenarios = (await readdir(FIXTURES, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);

describe.each(scenarios)('real control plane: %s', (scenario) => {
  it.each(Object.keys(VARIANTS) as (keyof typeof VARIANTS)[])('%s renders as the golden tree', async (variant) => {
    const dir = await mkdtemp(join(tmpdir(), `ks-real-${scenario}-`));
    try {
      for (const f of await readdir(join(FIXTURES, scenario))) {
        if (VARIANTS[variant](f)) await cp(join(FIXTURES, scenario, f), join(dir, f));
      }
      const sink = new CaptureSink();
      const summary = await replayDirectory(dir, sink, { cluster: 'e2e' });
      expect(summary.exportFailures).toEqual([]);
      expect(summary.recording.problems).toEqual([]);
      const text = render(sink.spans);
      const goldenPath = join(GOLDEN_DIR, `${scenario}.${variant}.txt`);
      if (UPDATE) await writeFile(goldenPath, text);
      expect(checkInvariants(sink.spans).filter((p) => !isComponentsOwnTiming(p, sink.spans))).toEqual([]);
      expect(text).toBe(await readFile(goldenPath, 'utf8'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
