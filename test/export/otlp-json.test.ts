import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { encodeOtlpJson, encodeOtlpJsonBytes } from '../../src/export/otlp-json.js';
import { decodeOtlpJsonLine, OtlpJsonDecodeError } from '../support/otlp-json-decode.js';
import type { SpanData } from '../../src/model/span.js';
import { OTLP_PROTO_ROOT, TRACE_SERVICE_PROTO } from '../support/otlp-grpc-receiver.js';
import { CHILD_ID, GRANDCHILD_ID, ROOT_ID, TRACE_ID, sampleTrace } from './sample-trace.js';

const GOLDEN = readFileSync(new URL('./golden/sample-trace.otlp.jsonl', import.meta.url), 'utf8');

type Json = Record<string, unknown>;

function encodedSpans(line: string): Json[] {
  const request = JSON.parse(line) as { resourceSpans: { scopeSpans: { spans: Json[] }[] }[] };
  return request.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
}

function span(overrides: Partial<SpanData>): SpanData {
  const [root] = sampleTrace();
  if (root === undefined) throw new Error('sample trace is empty');
  return { ...root, ...overrides };
}

describe('encodeOtlpJson', () => {
  it('writes the golden Collector file-exporter line for a three-span trace', () => {
    expect(`${encodeOtlpJson(sampleTrace(), { scopeVersion: '0.1.0' })}\n`).toBe(GOLDEN);
  });

  it('uses hex ids, decimal-string nanos, integer enums and typed attribute values', () => {
    const [root, child, grandchild] = encodedSpans(encodeOtlpJson(sampleTrace()));
    expect(root).toMatchObject({
      traceId: TRACE_ID,
      spanId: ROOT_ID,
      kind: 1,
      startTimeUnixNano: '1700000000000500000',
      endTimeUnixNano: '1700000012345678000',
      status: { code: 1 },
    });
    expect(root).not.toHaveProperty('parentSpanId');
    expect(root?.['attributes']).toEqual(
      expect.arrayContaining([
        { key: 'kubestitch.revision', value: { intValue: '3' } },
        { key: 'test.ratio', value: { doubleValue: 0.75 } },
        { key: 'kubestitch.image.cached', value: { boolValue: false } },
        {
          key: 'k8s.node.condition.type',
          value: {
            arrayValue: { values: [{ stringValue: 'Available' }, { stringValue: 'Progressing' }] },
          },
        },
      ]),
    );
    expect(child).toMatchObject({ parentSpanId: ROOT_ID, status: {} });
    expect(grandchild).toMatchObject({
      parentSpanId: CHILD_ID,
      kind: 2,
      status: { message: 'ImagePullBackOff', code: 2 },
      events: [{ timeUnixNano: '1700000005000750000', name: 'BackOff' }],
    });
  });

  it('converts fractional epoch ms to nanos exactly, without float error', () => {
    // Via float ns this would come out as 1700000000123456055.
    const [encoded] = encodedSpans(encodeOtlpJson([span({ startMs: 1700000000123.456 })]));
    expect(encoded?.['startTimeUnixNano']).toBe('1700000000123456000');
  });

  it('groups spans by resource attributes in order of first appearance, whatever the key order', () => {
    const request = JSON.parse(encodeOtlpJson(sampleTrace())) as {
      resourceSpans: { resource: { attributes: Json[] }; scopeSpans: { spans: Json[] }[] }[];
    };
    expect(request.resourceSpans.map((rs) => rs.scopeSpans[0]?.spans.map((s) => s['spanId']))).toEqual([
      [ROOT_ID, CHILD_ID],
      [GRANDCHILD_ID],
    ]);
    expect(request.resourceSpans[1]?.resource.attributes).toContainEqual({
      key: 'service.name',
      value: { stringValue: 'kubelet' },
    });
  });

  it("writes a real span under its own instrumentation scope (carried as otel.scope.*), kubestitch's under kubestitch", () => {
    const real = span({
      spanId: 'aaaaaaaaaaaaaaaa',
      attributes: { 'http.route': '/api', 'otel.scope.name': 'otelhttp', 'otel.scope.version': '0.42.0' },
    });
    const ours = span({ spanId: 'bbbbbbbbbbbbbbbb' });
    const request = JSON.parse(encodeOtlpJson([ours, real], { scopeVersion: '1.2.3' })) as {
      resourceSpans: { scopeSpans: { scope: Json; spans: Json[] }[] }[];
    };
    const scopes = request.resourceSpans[0]?.scopeSpans ?? [];
    expect(scopes.map((ss) => [ss.scope, ss.spans.map((s) => s['spanId'])])).toEqual([
      [{ name: 'kubestitch', version: '1.2.3' }, ['bbbbbbbbbbbbbbbb']],
      [{ name: 'otelhttp', version: '0.42.0' }, ['aaaaaaaaaaaaaaaa']],
    ]);
    expect(scopes[1]?.spans[0]?.['attributes']).toEqual([{ key: 'http.route', value: { stringValue: '/api' } }]);
  });

  it('gives byte-identical output for equal input, whatever the attribute key order', () => {
    const reordered = sampleTrace().map((s) => ({
      ...s,
      attributes: Object.fromEntries(Object.entries(s.attributes).reverse()),
    }));
    expect(encodeOtlpJson(reordered)).toBe(encodeOtlpJson(sampleTrace()));
  });

  it('stays on one line when values contain line breaks', () => {
    const line = encodeOtlpJson([span({ name: 'a\nb\r\nc\u2028' })]);
    expect(line).not.toMatch(/[\n\r]/);
    expect(decodeOtlpJsonLine(line)[0]?.name).toBe('a\nb\r\nc\u2028');
  });

  it('throws a RangeError for a span with an invalid id', () => {
    expect(() => encodeOtlpJson([span({ spanId: 'XYZ' })])).toThrow(RangeError);
  });

  it('produces a message the OTLP protobuf schema accepts field for field', async () => {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => (isAbsolute(target) ? target : join(OTLP_PROTO_ROOT, target));
    await root.load(join(OTLP_PROTO_ROOT, TRACE_SERVICE_PROTO));
    const Request = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
    const json = JSON.parse(encodeOtlpJson(sampleTrace(), { scopeVersion: '0.1.0' })) as unknown;

    const message = Request.fromObject(mapIds(json, (hex) => Buffer.from(String(hex), 'hex')) as Json);
    expect(Request.verify(message)).toBeNull();
    const decoded = Request.decode(Request.encode(message).finish());
    const back = Request.toObject(decoded, { longs: String, enums: Number });
    // fromObject drops unknown field names silently, so equality shows every field is real.
    expect(mapIds(back, (bytes) => (bytes instanceof Uint8Array ? Buffer.from(bytes).toString('hex') : bytes))).toEqual(
      json,
    );
  });
});

describe('encodeOtlpJsonBytes', () => {
  // What a file line or an HTTP body holds must not depend on which encoder wrote it.
  function bytesOfText(spans: readonly SpanData[], version?: string): Buffer {
    return Buffer.from(encodeOtlpJson(spans, version === undefined ? {} : { scopeVersion: version }), 'utf8');
  }

  it('gives the UTF-8 bytes of the golden line, its newline after it', () => {
    expect(encodeOtlpJsonBytes(sampleTrace(), { scopeVersion: '0.1.0' }, '\n').toString('utf8')).toBe(GOLDEN);
  });

  it('gives the bytes of encodeOtlpJson for several resources and scopes, non-ASCII text and lone surrogates', () => {
    const diff = span({
      spanId: 'cccccccccccccccc',
      name: 'scale ∅ → 3 … 🚀',
      events: [
        { name: 'diff', timeMs: 1700000001000, attributes: { 'kubestitch.diff.changes': ['a: ∅ → 1', 'b: x'] } },
      ],
    });
    const real = span({
      spanId: 'aaaaaaaaaaaaaaaa',
      attributes: { 'otel.scope.name': 'é-scope', 'otel.scope.version': '1', note: 'naïve' },
    });
    const lone = span({ spanId: 'dddddddddddddddd', status: { code: 'error', message: 'half \ud83d of a pair' } });
    const batches: SpanData[][] = [[], sampleTrace(), [diff, ...sampleTrace(), real], [real, lone, diff]];
    for (const batch of batches) {
      expect(encodeOtlpJsonBytes(batch).equals(bytesOfText(batch))).toBe(true);
      expect(encodeOtlpJsonBytes(batch, { scopeVersion: '2.0' }).equals(bytesOfText(batch, '2.0'))).toBe(true);
    }
    expect(encodeOtlpJsonBytes([lone]).toString('utf8')).toContain('half \\ud83d of a pair');
  });

  it('throws a RangeError for a span with an invalid id', () => {
    expect(() => encodeOtlpJsonBytes([span({ spanId: 'XYZ' })])).toThrow(RangeError);
  });
});

describe('decodeOtlpJsonLine', () => {
  it('returns the encoded spans unchanged', () => {
    expect(decodeOtlpJsonLine(encodeOtlpJson(sampleTrace()))).toEqual(sampleTrace());
  });

  it('accepts the alternative proto3 JSON spellings other writers use', () => {
    const line = JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: TRACE_ID.toUpperCase(),
                  spanId: ROOT_ID,
                  parentSpanId: '',
                  name: 'x',
                  kind: 'SPAN_KIND_CLIENT',
                  startTimeUnixNano: 1_000_000,
                  endTimeUnixNano: '2000000',
                  attributes: [{ key: 'n', value: { intValue: 7 } }],
                  status: { code: 'STATUS_CODE_ERROR' },
                },
              ],
            },
          ],
        },
      ],
    });
    expect(decodeOtlpJsonLine(line)).toEqual([
      {
        traceId: TRACE_ID,
        spanId: ROOT_ID,
        name: 'x',
        kind: 'client',
        startMs: 1,
        endMs: 2,
        resource: { attributes: {} },
        attributes: { n: 7 },
        events: [],
        links: [],
        status: { code: 'error', message: '' },
      },
    ]);
  });

  it('throws OtlpJsonDecodeError naming the bad field', () => {
    const line = encodeOtlpJson(sampleTrace()).replace(`"spanId":"${CHILD_ID}"`, '"spanId":"abc"');
    expect(() => decodeOtlpJsonLine(line)).toThrow(OtlpJsonDecodeError);
    expect(() => decodeOtlpJsonLine(line)).toThrow('resourceSpans[0].scopeSpans[0].spans[1].spanId');
  });

  it('throws OtlpJsonDecodeError for text that is not JSON', () => {
    expect(() => decodeOtlpJsonLine('{"resourceSpans":[')).toThrow(OtlpJsonDecodeError);
  });

  it('throws OtlpJsonDecodeError for attribute values SpanData cannot hold', () => {
    const line = encodeOtlpJson(sampleTrace()).replace('{"stringValue":"shop"}', '{"kvlistValue":{"values":[]}}');
    expect(() => decodeOtlpJsonLine(line)).toThrow(/unsupported AnyValue/);
  });
});

/** Rewrites traceId/spanId/parentSpanId values anywhere in a JSON-like tree. */
function mapIds(value: unknown, convert: (id: unknown) => unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => mapIds(item, convert));
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      ['traceId', 'spanId', 'parentSpanId'].includes(key) ? convert(inner) : mapIds(inner, convert),
    ]),
  );
}
