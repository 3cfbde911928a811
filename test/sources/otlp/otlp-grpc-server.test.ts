import * as grpc from '@grpc/grpc-js';
import { SpanKind, context, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import type { IntakeResult, TraceBatch, TraceResponse } from '../../../src/otlp/otlp-message.js';
import { createOtlpForwardSink } from '../../../src/export/otlp-forward-sink.js';
import { SpanSinkBridge } from '../../../src/export/span-sink-bridge.js';
import { OtlpGrpcServer } from '../../../src/sources/otlp/otlp-grpc-server.js';
import {
  TRACE_EXPORT_PATH,
  decodeTraceResponse,
  encodeTraceRequest,
} from '../../../src/sources/otlp/otlp-proto-codec.js';
import { Stitcher } from '../../../src/stitch/stitcher.js';
import { OtlpGrpcReceiver } from '../../support/otlp-grpc-receiver.js';
import { apiserverTrace, toRequest } from '../../stitch/real-spans.js';

type ExporterConfig = NonNullable<ConstructorParameters<typeof OTLPTraceExporter>[0]>;

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function serve(intake: (batch: TraceBatch) => IntakeResult, bearerTokens?: string[]): Promise<number> {
  const server = new OtlpGrpcServer({ intake, port: 0, host: '127.0.0.1', ...(bearerTokens ? { bearerTokens } : {}) });
  cleanup.push(() => server.close());
  return (await server.listen()).port;
}

/** One raw Export call, as any OTLP client makes it. */
function exportRaw(port: number, body: Buffer, metadata = new grpc.Metadata()): Promise<TraceResponse> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise<TraceResponse>((resolve, reject) => {
    client.makeUnaryRequest(
      TRACE_EXPORT_PATH,
      (b: Buffer) => b,
      decodeTraceResponse,
      body,
      metadata,
      (err, res) => {
        client.close();
        if (err !== null) reject(err);
        else resolve(res ?? {});
      },
    );
  });
}

const SAMPLE = encodeTraceRequest(
  toRequest(
    apiserverTrace({
      label: 'sample',
      auditId: 'a1',
      method: 'GET',
      path: '/api/v1/pods',
      userAgent: 'kubectl',
      startMs: 1_700_000_000_000,
      endMs: 1_700_000_000_020,
      status: 200,
      auditIdOn: 'top-and-handler',
    }).request,
  ),
);

describe('OtlpGrpcServer', () => {
  describe('Export', () => {
    it('hands the decoded request to the intake', async () => {
      const seen: TraceBatch[] = [];
      const port = await serve((batch) => {
        seen.push(batch);
        return { status: 'ok' };
      });
      expect(await exportRaw(port, SAMPLE)).toEqual({});
      expect(seen[0]?.spanCount).toBe(3);
      expect(encodeTraceRequest(seen[0]?.request ?? { resourceSpans: [] })).toEqual(SAMPLE);
    });

    it('answers INVALID_ARGUMENT for bytes that are not a request, ingesting nothing', async () => {
      let calls = 0;
      const port = await serve(() => {
        calls += 1;
        return { status: 'ok' };
      });
      await expect(exportRaw(port, Buffer.from([0x0a, 0xff, 0x01]))).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
      });
      expect(calls).toBe(0);
    });

    it('answers UNAUTHENTICATED without the bearer token and OK with it', async () => {
      const port = await serve(() => ({ status: 'ok' }), ['s3cret']);
      await expect(exportRaw(port, SAMPLE)).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
      const wrong = new grpc.Metadata();
      wrong.set('authorization', 'Bearer nope');
      await expect(exportRaw(port, SAMPLE, wrong)).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
      const right = new grpc.Metadata();
      right.set('authorization', 'Bearer s3cret');
      expect(await exportRaw(port, SAMPLE, right)).toEqual({});
    });

    it('answers UNAVAILABLE when the intake says retryable, and carries warnings as partial success', async () => {
      const answers: IntakeResult[] = [
        { status: 'retryable', afterMs: 1_000, error: new Error('downstream queue full') },
        { status: 'ok', message: '1 spans with an invalid trace id were forwarded without stitching' },
      ];
      const port = await serve(() => answers.shift() ?? { status: 'ok' });
      await expect(exportRaw(port, SAMPLE)).rejects.toMatchObject({
        code: grpc.status.UNAVAILABLE,
        details: 'downstream queue full',
      });
      expect(await exportRaw(port, SAMPLE)).toEqual({
        partialSuccess: {
          rejectedSpans: 0,
          errorMessage: '1 spans with an invalid trace id were forwarded without stitching',
        },
      });
    });
  });

  describe('live, behind the OTel SDK exporter', () => {
    it('stitches and forwards what the SDK sends, gzip-compressed, to a downstream receiver', async () => {
      const downstream = new OtlpGrpcReceiver();
      const { url } = await downstream.start();
      cleanup.push(() => downstream.stop());
      // The forward path of `run --otlp-forward-endpoint`: the export's spooled gRPC sink.
      const forwarder = await createOtlpForwardSink({ url });
      cleanup.push(() => forwarder.shutdown());
      const stitcher = new Stitcher({
        sink: new SpanSinkBridge(forwarder),
        holdMs: 200,
        sweepIntervalMs: 20,
        memoryMax: 1_000,
        cluster: 'live',
      });
      cleanup.push(() => stitcher.shutdown());
      const port = await serve(stitcher.ingest);
      const anchor = {
        kind: 'audit',
        auditId: 'live-audit-1',
        traceId: 'ab'.repeat(16),
        spanId: 'cd'.repeat(8),
      } as const;
      stitcher.onAnchor(anchor);

      const exporter = new OTLPTraceExporter({
        url: `http://127.0.0.1:${port}`,
        compression: 'gzip' as ExporterConfig['compression'],
      });
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': 'apiserver', 'host.name': 'control-plane' }),
        spanProcessors: [new SimpleSpanProcessor(exporter)],
      });
      cleanup.push(() => provider.shutdown());
      const tracer = provider.getTracer('go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp', '0.42.0');
      const top = tracer.startSpan('HTTP POST', {
        kind: SpanKind.SERVER,
        attributes: {
          'audit-id': 'live-audit-1',
          'http.method': 'POST',
          'http.status_code': 201,
          'x.ratio': 0.5,
          'x.tags': ['a', 'b'],
        },
      });
      const handler = tracer.startSpan(
        'Create',
        { attributes: { 'audit-id': 'live-audit-1' } },
        trace.setSpan(context.active(), top),
      );
      handler.addEvent('About to store object in database');
      handler.end();
      top.end();
      const other = provider.getTracer('my-app').startSpan('GET /cart', { kind: SpanKind.SERVER });
      other.end();
      await provider.forceFlush();
      await waitFor(() => downstream.spans().length >= 3);
      const received = downstream.spans();
      const byName = new Map(received.map((s) => [s.name, s]));
      const stitchedTop = byName.get('HTTP POST');
      expect(stitchedTop?.traceId).toBe(anchor.traceId);
      expect(stitchedTop?.parentSpanId).toBe(anchor.spanId);
      expect(stitchedTop?.attributes).toMatchObject({
        'audit-id': 'live-audit-1',
        'http.status_code': 201,
        'x.ratio': 0.5,
        'x.tags': ['a', 'b'],
        'kubestitch.original_trace_id': top.spanContext().traceId,
        'kubestitch.stitch.rule': 'audit-id',
      });
      expect(stitchedTop?.resource).toMatchObject({ 'service.name': 'apiserver', 'k8s.cluster.name': 'live' });
      // Through SpanData and out again, the component keeps its own instrumentation scope.
      expect(stitchedTop?.scope).toEqual({
        name: 'go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp',
        version: '0.42.0',
      });
      expect(stitchedTop?.attributes['otel.scope.name']).toBeUndefined();
      expect(byName.get('Create')?.parentSpanId).toBe(top.spanContext().spanId);
      expect(byName.get('Create')?.events.map((e) => e.name)).toEqual(['About to store object in database']);
      // Unrelated: not held, not changed.
      expect(byName.get('GET /cart')?.traceId).toBe(other.spanContext().traceId);
      expect(byName.get('GET /cart')?.attributes['kubestitch.stitch.rule']).toBeUndefined();
      expect(Object.values(forwarder.stats().droppedSpans).every((n) => n === 0)).toBe(true);
    });
  });
});

async function waitFor(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
