import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OtlpHttpSink, retryAfterMs } from '../../src/export/otlp-http-sink.js';
import type { OtlpHttpSinkOptions } from '../../src/export/otlp-http-sink.js';
import type { SpanData } from '../../src/model/span.js';
import { encodeTraceResponse } from '../../src/sources/otlp/otlp-proto-codec.js';
import { OtlpHttpReceiver } from '../support/otlp-http-receiver.js';
import { sampleTrace } from './sample-trace.js';

const API_KEY = 'hc-secret-key-0123456789';

/** What a backend shows of a span: everything but the scope attributes the decoder adds. */
function view(span: SpanData): object {
  const attributes = Object.fromEntries(Object.entries(span.attributes).filter(([k]) => !k.startsWith('otel.scope.')));
  return { ...span, attributes, startMs: Math.round(span.startMs * 1000), endMs: Math.round(span.endMs * 1000) };
}

function bySpanId(spans: readonly SpanData[]): object[] {
  return [...spans].sort((a, b) => a.spanId.localeCompare(b.spanId)).map(view);
}

/** `n` distinct spans of the sample's root. */
function manySpans(n: number): SpanData[] {
  const [root] = sampleTrace();
  if (root === undefined) throw new Error('sample trace is empty');
  return Array.from({ length: n }, (_, i) => ({ ...root, spanId: (i + 1).toString(16).padStart(16, '0') }));
}

describe('OtlpHttpSink', () => {
  let receiver: OtlpHttpReceiver;
  let base: string;
  const sinks: OtlpHttpSink[] = [];
  let slept: number[];

  function sink(options: Partial<OtlpHttpSinkOptions> = {}): OtlpHttpSink {
    const created = new OtlpHttpSink({
      url: `${base}/v1/traces`,
      encoding: 'protobuf',
      scopeVersion: '0.1.0',
      timeoutMillis: 5_000,
      sleep: (ms) => {
        slept.push(ms);
        return Promise.resolve();
      },
      ...options,
    });
    sinks.push(created);
    return created;
  }

  beforeEach(async () => {
    receiver = new OtlpHttpReceiver();
    base = await receiver.start();
    slept = [];
  });

  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((s) => s.shutdown()));
    await receiver.stop();
  });

  describe('write', () => {
    it('POSTs gzip protobuf to /v1/traces with the API-key header, and the body decodes to the spans sent', async () => {
      const spans = sampleTrace();
      expect(await sink({ headers: { 'x-honeycomb-team': API_KEY } }).write(spans)).toEqual({ status: 'ok' });

      expect(receiver.requests).toHaveLength(1);
      const [req] = receiver.requests;
      expect(req).toMatchObject({ method: 'POST', path: '/v1/traces' });
      expect(req?.headers).toMatchObject({
        'content-type': 'application/x-protobuf',
        'content-encoding': 'gzip',
        'x-honeycomb-team': API_KEY,
      });
      expect(bySpanId(req?.spans ?? [])).toEqual(bySpanId(spans));
      expect(req?.spans[0]?.attributes).toMatchObject({
        'otel.scope.name': 'kubestitch',
        'otel.scope.version': '0.1.0',
      });
    });

    it('sends OTLP/JSON uncompressed when asked, decoding to the same spans', async () => {
      const spans = sampleTrace();
      expect(await sink({ encoding: 'json', compression: 'none' }).write(spans)).toEqual({ status: 'ok' });

      const [req] = receiver.requests;
      expect(req?.headers['content-type']).toBe('application/json');
      expect(req?.headers['content-encoding']).toBeUndefined();
      expect(bySpanId(req?.spans ?? [])).toEqual(bySpanId(spans));
    });

    it('splits a large write into requests of at most 512 spans, every span sent once', async () => {
      const spans = manySpans(1_100);
      expect(await sink().write(spans)).toEqual({ status: 'ok' });

      expect(receiver.requests.map((r) => r.spans.length)).toEqual([512, 512, 76]);
      const ids = new Set(receiver.requests.flatMap((r) => r.spans.map((s) => s.spanId)));
      expect(ids.size).toBe(1_100);
    });

    it('retries a 503 after the Retry-After the receiver asked for, then succeeds', async () => {
      receiver.answer({ status: 503, headers: { 'retry-after': '2' } });
      const s = sink();
      expect(await s.write(sampleTrace())).toEqual({ status: 'ok' });

      expect(receiver.requests).toHaveLength(2);
      expect(slept).toEqual([2_000]);
      expect(s.stats).toMatchObject({ requests: 2, retries: 1 });
    });

    it('backs off exponentially on 429/502/504 without Retry-After and answers retryable when they persist', async () => {
      receiver.answer({ status: 429 }, { status: 502 }, { status: 504 }, { status: 429 });
      const result = await sink({ maxRetries: 3, initialBackoffMs: 100 }).write(sampleTrace());

      expect(result).toMatchObject({ status: 'retryable', afterMs: 800 });
      expect(slept).toEqual([100, 200, 400]);
      expect(receiver.requests).toHaveLength(4);
    });

    it('does not wait here for a Retry-After beyond its limit: retryable with that delay', async () => {
      receiver.answer({ status: 429, headers: { 'retry-after': '120' } });
      const result = await sink({ maxRetryAfterMs: 30_000 }).write(sampleTrace());

      expect(result).toMatchObject({ status: 'retryable', afterMs: 120_000 });
      expect(receiver.requests).toHaveLength(1);
    });

    it('fails a 401 at once, with the status and the reason but never the header value', async () => {
      receiver.answer({ status: 401, body: 'invalid API key' });
      const result = await sink({ headers: { authorization: `Bearer ${API_KEY}` } }).write(sampleTrace());

      expect(result.status).toBe('failed');
      const message = result.status === 'failed' ? result.error.message : '';
      expect(message).toContain('401');
      expect(message).toContain('invalid API key');
      expect(message).not.toContain(API_KEY);
      expect(receiver.requests).toHaveLength(1);
    });

    it('counts a protobuf partial success without retrying it', async () => {
      const body = encodeTraceResponse({ partialSuccess: { rejectedSpans: 2, errorMessage: 'span too old' } });
      receiver.answer({ status: 200, headers: { 'content-type': 'application/x-protobuf' }, body });
      const told: [number, string][] = [];
      const s = sink({ onRejected: (n, m) => told.push([n, m]) });

      expect(await s.write(sampleTrace())).toEqual({ status: 'ok' });
      expect(s.stats.rejectedSpans).toBe(2);
      expect(told).toEqual([[2, 'span too old']]);
      expect(receiver.requests).toHaveLength(1);
    });

    it('counts a JSON partial success (rejectedSpans as a string, as int64 is in OTLP/JSON)', async () => {
      const body = JSON.stringify({ partialSuccess: { rejectedSpans: '3', errorMessage: 'quota' } });
      receiver.answer({ status: 200, headers: { 'content-type': 'application/json' }, body });
      const s = sink({ encoding: 'json' });

      expect(await s.write(sampleTrace())).toEqual({ status: 'ok' });
      expect(s.stats.rejectedSpans).toBe(3);
    });

    it('answers retryable when nothing listens, after its retries', async () => {
      await receiver.stop();
      const result = await sink({ maxRetries: 1, initialBackoffMs: 10 }).write(sampleTrace());

      expect(result.status).toBe('retryable');
      expect(slept).toEqual([10]);
    });

    it('refuses writes after shutdown', async () => {
      const s = sink();
      await s.shutdown();
      expect((await s.write(sampleTrace())).status).toBe('failed');
      expect(receiver.requests).toHaveLength(0);
    });
  });
});

describe('retryAfterMs', () => {
  it('reads delay-seconds and HTTP dates, and nothing else', () => {
    const now = Date.parse('2026-12-07T12:00:00Z');
    expect(retryAfterMs('5', now)).toBe(5_000);
    expect(retryAfterMs('Mon, 07 Dec 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Mon, 07 Dec 2026 11:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
});
