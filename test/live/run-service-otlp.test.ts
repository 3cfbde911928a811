import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { CaptureSink } from '../../src/export/capture-sink.js';
import { registerServiceMetrics } from '../../src/cli/run-observability.js';
import { startRunService } from '../../src/live/run-service.js';
import { KubestitchMetrics } from '../../src/metrics/kubestitch-metrics.js';
import { runScenario } from '../../tools/sim/index.js';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('kubestitch run with the audit webhook and the OTLP receiver', () => {
  it('puts an apiserver span sent by the OTel SDK under the audited request it served', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ks-run-otlp-'));
    const tokenFile = `${dataDir}.token`;
    await writeFile(tokenFile, 'tok\n');
    const sink = new CaptureSink();
    const svc = await startRunService({
      cluster: 'live',
      dataDir,
      sink,
      logger: silent,
      webhook: { host: '127.0.0.1', port: 0, insecureHttp: true, tokenFile },
      otlp: { host: '127.0.0.1', grpcPort: 0, httpPort: 0 },
    });
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'apiserver' }),
      spanProcessors: [
        new SimpleSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${svc.otlpGrpcPort ?? 0}` })),
      ],
    });
    try {
      const audit = runScenario('rolling-update').audit as unknown as {
        auditID: string;
        verb: string;
        objectRef: { resource: string };
      }[];
      const res = await fetch(`http://127.0.0.1:${svc.webhookAddress?.port ?? 0}/audit`, {
        method: 'POST',
        headers: { authorization: 'Bearer tok', 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: audit }),
      });
      expect(res.status).toBe(200);
      await svc.pipeline.drain();
      const create = audit.find((a) => a.verb === 'create' && a.objectRef.resource === 'pods');
      const pseudo = sink.spans.find((s) => s.attributes['audit-id'] === create?.auditID);
      expect(pseudo?.name).toBe('create pods');
      // Within the request's time, as the apiserver's span of it is: the pseudo-span was already
      // exported, so a span sticking out of it would stay in its own trace (docs/stitching.md).
      const hr = (ms: number): [number, number] => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];
      const span = provider.getTracer('otelhttp').startSpan('HTTP POST', {
        kind: SpanKind.SERVER,
        attributes: { 'audit-id': create?.auditID ?? '', 'http.method': 'POST' },
        startTime: hr((pseudo?.startMs ?? 0) + 0.001),
      });
      span.end(hr((pseudo?.endMs ?? 0) - 0.001));
      await provider.forceFlush();
      await waitFor(() => sink.spans.some((s) => s.name === 'HTTP POST'));
      const real = sink.spans.find((s) => s.name === 'HTTP POST');
      expect(real?.traceId).toBe(pseudo?.traceId);
      expect(real?.parentSpanId).toBe(pseudo?.spanId);
      expect(real?.resource.attributes['service.name']).toBe('apiserver');
      // /metrics counts the real span as a record in from the OTLP source.
      const metrics = new KubestitchMetrics();
      const off = registerServiceMetrics(metrics, svc, undefined);
      const text = (await metrics.render('text/plain')).body;
      off();
      expect(text).toMatch(/^kubestitch_records_in_total\{source="otlp"\} 1$/m);
      expect(text).toMatch(/^kubestitch_records_in_total\{source="audit"\} [1-9]\d*$/m);
    } finally {
      await provider.shutdown();
      await svc.stop();
    }
  });
});
