/**
 * The recordings of the real control plane (test/fixtures/real, README there: kube-apiserver
 * v1.35.4 and etcd 3.6.16 exporting their own spans at 100% sampling) replayed the way
 * `kubestitch replay` does (replayDirectory): what a user sees of the real spans in the output.
 */
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureSink } from '../../src/export/capture-sink.js';
import type { SpanData } from '../../src/model/span.js';
import { type ReplaySummary, replayDirectory } from '../../src/replay.js';
import { parseTraceRequestJson } from '../../src/sources/otlp/otlp-json-request.js';
import { flattenRequest, hexOf, serviceNameOf, stringAttr } from '../../src/stitch/span-entries.js';
import { checkInvariants, isComponentsOwnTiming } from '../support/invariants.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/real/', import.meta.url));
const scenarios = (await readdir(FIXTURES, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);

/** A span of the recording's spans.jsonl, as the component sent it. */
interface InputSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly service: string;
  readonly auditId: string | undefined;
}

function inputSpans(text: string): InputSpan[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => flattenRequest(parseTraceRequestJson(l)))
    .map((e) => ({
      traceId: hexOf(e.span.traceId),
      spanId: hexOf(e.span.spanId),
      parentSpanId: hexOf(e.span.parentSpanId),
      service: serviceNameOf(e),
      auditId: stringAttr(e.span.attributes, 'audit-id'),
    }));
}

const ORIGINAL = 'kubestitch.original_trace_id';
const isReal = (s: SpanData): boolean => typeof s.attributes[ORIGINAL] === 'string';

async function replay(dir: string): Promise<{ spans: SpanData[]; summary: ReplaySummary }> {
  const sink = new CaptureSink();
  const summary = await replayDirectory(dir, sink, { cluster: 'e2e' });
  return { spans: [...sink.spans], summary };
}

describe.each(scenarios)('replay of the real control plane: %s', (scenario) => {
  let spans: SpanData[] = [];
  let summary: ReplaySummary | undefined;
  let input: InputSpan[] = [];

  beforeAll(async () => {
    ({ spans, summary } = await replay(join(FIXTURES, scenario)));
    input = inputSpans(await readFile(join(FIXTURES, scenario, 'spans.jsonl'), 'utf8'));
  });

  it('exports every real span once, each in a kubestitch trace', () => {
    const real = spans.filter(isReal);
    expect(real.length).toBe(input.length);
    expect(new Set(real.map((s) => `${String(s.attributes[ORIGINAL])}/${s.spanId}`)).size).toBe(input.length);
    expect(summary?.stitch.rewrittenSpans).toBe(input.length);
    for (const s of real) expect(s.resource.attributes['k8s.cluster.name']).toBe('e2e');
  });

  it('holds DESIGN §3.5 for synthesized and real spans alike, but for what the components measured', () => {
    const problems = checkInvariants(spans);
    expect(problems.filter((p) => !isComponentsOwnTiming(p, spans))).toEqual([]);
    // And those are rare: two etcd spans in all six recordings.
    expect(problems.length).toBeLessThanOrEqual(2);
  });

  it("puts every etcd span in its apiserver parent's trace", () => {
    const byOriginal = new Map(spans.filter(isReal).map((s) => [`${String(s.attributes[ORIGINAL])}/${s.spanId}`, s]));
    const etcd = input.filter((s) => s.service === 'etcd');
    expect(etcd.length).toBeGreaterThan(0);
    for (const e of etcd) {
      const out = byOriginal.get(`${e.traceId}/${e.spanId}`);
      const parent = byOriginal.get(`${e.traceId}/${e.parentSpanId}`);
      expect(parent?.resource.attributes['service.name']).toBe('apiserver');
      expect(out?.traceId).toBe(parent?.traceId);
    }
  });

  it('nests the real spans of each audited request under its pseudo-span, which covers them', () => {
    const pseudo = new Map(
      spans
        .filter((s) => !isReal(s) && typeof s.attributes['audit-id'] === 'string')
        .map((s) => [s.attributes['audit-id'], s]),
    );
    const byOriginalTrace = new Map<string, SpanData[]>();
    for (const s of spans.filter(isReal)) {
      const key = String(s.attributes[ORIGINAL]);
      byOriginalTrace.set(key, [...(byOriginalTrace.get(key) ?? []), s]);
    }
    const audited = new Map(input.filter((s) => s.auditId !== undefined).map((s) => [s.traceId, s.auditId]));
    expect(audited.size).toBeGreaterThan(0);
    for (const [trace, auditId] of audited) {
      const request = pseudo.get(auditId);
      const real = byOriginalTrace.get(trace) ?? [];
      expect(request, `pseudo-span of ${auditId ?? ''}`).toBeDefined();
      for (const s of real) expect(s.traceId).toBe(request?.traceId);
      // The trace's root, and any span whose parent the apiserver dropped (its export queue was
      // full), hang from the pseudo-span; every other span stays under the parent it named.
      const roots = real.filter((s) => !input.some((i) => i.traceId === trace && i.spanId === s.parentSpanId));
      expect(roots.length).toBeGreaterThan(0);
      for (const root of roots) {
        expect(root.parentSpanId).toBe(request?.spanId);
        expect(root.startMs).toBeGreaterThanOrEqual(request?.startMs ?? Infinity);
        expect(root.endMs).toBeLessThanOrEqual(request?.endMs ?? -Infinity);
      }
    }
  });
});

describe('replay of the real control plane when the apiserver sent every request twice', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ks-real-twice-'));
    await cp(join(FIXTURES, 'job'), dir, { recursive: true });
    const lines = (await readFile(join(dir, 'spans.jsonl'), 'utf8')).split('\n').filter((l) => l.trim() !== '');
    // At-least-once delivery: each request again right after, as an exporter's retry.
    await writeFile(join(dir, 'spans.jsonl'), lines.flatMap((l) => [l, l]).join('\n') + '\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exports each real span once and counts the copies', async () => {
    const once = await replay(join(FIXTURES, 'job'));
    const twice = await replay(dir);
    const ids = (r: { spans: SpanData[] }): string[] =>
      r.spans.map((s) => `${s.traceId}/${s.spanId}`).sort((a, b) => (a < b ? -1 : 1));
    expect(ids(twice)).toEqual(ids(once));
    expect(checkInvariants(twice.spans).filter((p) => p.startsWith('duplicate'))).toEqual([]);
    expect(twice.summary.stitch.duplicateSpans).toBe(once.summary.stitch.spansIn);
  });
});
