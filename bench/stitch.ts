import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { AuditEntry } from '../src/model/records.js';
import type { SpanLinkData } from '../src/model/span.js';
import { parseTraceRequestJson } from '../src/sources/otlp/otlp-json-request.js';
import type { TraceBatch } from '../src/otlp/otlp-message.js';
import type { TraceBatchSink } from '../src/otlp/trace-batch-sink.js';
import { Stitcher } from '../src/stitch/stitcher.js';
import type { StitchStats } from '../src/stitch/stitch-types.js';
import { Synthesizer } from '../src/synth/synthesizer.js';
import { type RawLine, parseLine } from './line-records.js';
import { percentile } from './stats.js';

/** Stitch forwarding measured, or why it could not be. */
export type StitchResult =
  | {
      readonly status: 'ok';
      readonly spans: number;
      readonly seconds: number;
      readonly spansPerS: number;
      readonly addedP50Ms: number;
      readonly addedP99Ms: number;
      readonly stats: StitchStats;
    }
  | { readonly status: 'unavailable'; readonly reason: string };

const METHOD: Readonly<Record<string, string>> = { create: 'POST', update: 'PUT', patch: 'PATCH', delete: 'DELETE' };

/**
 * Stitch forwarding of real spans: for every audited request of `lines`, the trace kube-apiserver
 * would export for it (otelhttp server span with `audit-id`, endpoint handler span, etcd client
 * span) enters the Stitcher when it ended — before the audit event, as in a live cluster — and
 * waits for synth's anchor, then is rewritten into the pseudo-span's trace. Throughput counts
 * only time spent inside the Stitcher (ingest, onAnchor, expire); added latency is from the moment
 * the Stitcher has both the spans and their anchor to the moment it hands them on. The requests
 * are parsed from OTLP/JSON beforehand (the receiver's work, not stitching). Never rejects for a
 * simulator workload.
 */
export async function measureStitch(lines: readonly RawLine[]): Promise<StitchResult> {
  let nowMs = 0;
  let stitchMs = 0;
  let callStart = 0;
  const added: number[] = [];
  const sink: TraceBatchSink = {
    offer: (batch: TraceBatch) => {
      const t = performance.now() - callStart;
      for (let i = 0; i < batch.spanCount; i++) added.push(t);
      return true;
    },
    hasRoom: () => true,
    flush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const stitcher = new Stitcher({ sink, cluster: 'bench', clock: { nowMs: () => nowMs } });
  const timed = <T>(fn: () => T): T => {
    callStart = performance.now();
    try {
      return fn();
    } finally {
      stitchMs += performance.now() - callStart;
    }
  };
  const synth = new Synthesizer({
    cluster: 'bench',
    onAnchor: (anchor) => timed((): readonly SpanLinkData[] | undefined => stitcher.onAnchor(anchor)),
  });
  lines.forEach((line, i) => {
    const record = parseLine(line, i + 1);
    if (record === undefined) return;
    nowMs = record.timeMs;
    timed(() => stitcher.expire());
    if (record.source === 'audit') {
      const request = parseTraceRequestJson(apiserverTraceJson(record.audit));
      timed(() => stitcher.ingest({ request, spanCount: 3 }));
    }
    synth.process(record);
  });
  timed(() => void stitcher.shutdown());
  await stitcher.shutdown();
  const spans = stitcher.stats.spansIn;
  if (spans === 0) return { status: 'unavailable', reason: 'the sample holds no audited request' };
  return {
    status: 'ok',
    spans,
    seconds: stitchMs / 1000,
    spansPerS: spans / (stitchMs / 1000),
    addedP50Ms: percentile(added, 0.5),
    addedP99Ms: percentile(added, 0.99),
    stats: structuredClone(stitcher.stats),
  };
}

/**
 * The OTLP/JSON request kube-apiserver (1.32+, tracing on) exports for one audited request:
 * otelhttp server span → endpoint handler span, both with `audit-id`, → etcd Txn client span.
 */
export function apiserverTraceJson(a: AuditEntry): string {
  const id = (label: string, bytes: number): string =>
    createHash('sha256')
      .update(`${a.auditId}/${label}`)
      .digest('hex')
      .slice(0, bytes * 2);
  const ns = (ms: number): string => String(Math.round(ms * 1e6));
  const traceId = id('trace', 16);
  const [top, handler, etcd] = [id('top', 8), id('handler', 8), id('etcd', 8)];
  const path = a.requestUri.split('?')[0] ?? '';
  const kv = (key: string, v: string | number): object => ({
    key,
    value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v },
  });
  const d = a.stageMs - a.receivedMs;
  const spans = [
    {
      traceId,
      spanId: top,
      name: `${METHOD[a.verb] ?? 'GET'} ${path}`,
      kind: 2,
      startTimeUnixNano: ns(a.receivedMs),
      endTimeUnixNano: ns(a.stageMs),
      attributes: [
        kv('audit-id', a.auditId),
        kv('http.request.method', METHOD[a.verb] ?? 'GET'),
        kv('url.path', path),
        kv('user_agent.original', a.userAgent),
        kv('http.response.status_code', a.code ?? 200),
      ],
    },
    {
      traceId,
      spanId: handler,
      parentSpanId: top,
      name: a.verb === 'create' ? 'Create' : 'Update',
      kind: 1,
      startTimeUnixNano: ns(a.receivedMs + d * 0.1),
      endTimeUnixNano: ns(a.stageMs - d * 0.1),
      attributes: [kv('audit-id', a.auditId)],
    },
    {
      traceId,
      spanId: etcd,
      parentSpanId: handler,
      name: 'etcdserverpb.KV/Txn',
      kind: 3,
      startTimeUnixNano: ns(a.receivedMs + d * 0.5),
      endTimeUnixNano: ns(a.receivedMs + d * 0.8),
      attributes: [kv('rpc.system', 'grpc'), kv('rpc.service', 'etcdserverpb.KV'), kv('rpc.method', 'Txn')],
    },
  ];
  const resource = { attributes: [kv('service.name', 'apiserver')] };
  return JSON.stringify({ resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'otelhttp' }, spans }] }] });
}
