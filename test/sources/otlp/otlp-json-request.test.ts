import { describe, expect, it } from 'vitest';
import { OtlpDecodeError, decodeTraceRequest, encodeTraceRequest } from '../../../src/sources/otlp/otlp-proto-codec.js';
import { parseTraceRequestJson } from '../../../src/sources/otlp/otlp-json-request.js';

// A Collector file-exporter line with every field OTLP/JSON can carry for traces.
const FULL = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'etcd' } }], droppedAttributesCount: 1 },
      scopeSpans: [
        {
          scope: { name: 'otelgrpc', version: '0.42.0', attributes: [{ key: 's', value: { boolValue: false } }] },
          spans: [
            {
              traceId: '5B8EFFF798038103D269B633813FC60C',
              spanId: 'EEE19B7EC3C1B174',
              traceState: 'vendor=1',
              parentSpanId: 'eee19b7ec3c1b173',
              flags: 769,
              name: 'etcdserverpb.KV/Txn',
              kind: 'SPAN_KIND_SERVER',
              startTimeUnixNano: '1544712660000000001',
              endTimeUnixNano: 1544712661000000,
              attributes: [
                { key: 'i', value: { intValue: '-9223372036854775808' } },
                { key: 'd', value: { doubleValue: 'NaN' } },
                { key: 'a', value: { arrayValue: { values: [{ intValue: 1 }, { stringValue: 'x' }] } } },
                { key: 'k', value: { kvlistValue: { values: [{ key: 'n', value: { bytesValue: 'AAH+/w==' } }] } } },
                { key: 'empty', value: {} },
              ],
              droppedAttributesCount: 2,
              events: [{ timeUnixNano: '1544712660500000000', name: 'message', droppedAttributesCount: 3 }],
              droppedEventsCount: 4,
              links: [
                {
                  traceId: '5b8efff798038103d269b633813fc60d',
                  spanId: 'eee19b7ec3c1b175',
                  traceState: 't',
                  flags: 256,
                },
              ],
              droppedLinksCount: 5,
              status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
              someFutureField: { ignored: true },
            },
          ],
          schemaUrl: 'https://opentelemetry.io/schemas/1.21.0',
        },
      ],
      schemaUrl: 'https://opentelemetry.io/schemas/1.21.0',
    },
  ],
};

describe('parseTraceRequestJson', () => {
  it('keeps every field and value type, surviving a protobuf round trip unchanged', () => {
    const request = parseTraceRequestJson(JSON.stringify(FULL));
    const span = request.resourceSpans[0]?.scopeSpans[0]?.spans[0];
    expect(span?.traceId?.toString('hex')).toBe('5b8efff798038103d269b633813fc60c');
    expect(span?.kind).toBe(2);
    expect(span?.status).toEqual({ message: 'boom', code: 2 });
    expect(span?.endTimeUnixNano).toBe('1544712661000000');
    expect(span?.attributes[2]?.value).toEqual({ arrayValue: { values: [{ intValue: '1' }, { stringValue: 'x' }] } });
    expect(span?.attributes[3]?.value?.kvlistValue?.values[0]?.value?.bytesValue).toEqual(
      Buffer.from([0, 1, 254, 255]),
    );
    const bytes = encodeTraceRequest(request);
    expect(encodeTraceRequest(decodeTraceRequest(bytes))).toEqual(bytes);
    const decoded = decodeTraceRequest(bytes);
    expect(decoded.resourceSpans[0]?.scopeSpans[0]?.spans[0]).toMatchObject({
      traceState: 'vendor=1',
      flags: 769,
      droppedAttributesCount: 2,
      droppedEventsCount: 4,
      droppedLinksCount: 5,
    });
    expect(decoded.resourceSpans[0]?.resource?.droppedAttributesCount).toBe(1);
    expect(decoded.resourceSpans[0]?.scopeSpans[0]?.schemaUrl).toBe('https://opentelemetry.io/schemas/1.21.0');
    expect(Number.isNaN(decoded.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.attributes[1]?.value?.doubleValue)).toBe(
      true,
    );
  });

  it('rejects malformed input with the path of the offending field', () => {
    const bad =
      (patch: object): (() => unknown) =>
      () =>
        parseTraceRequestJson(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [patch] }] }] }));
    expect(bad({ traceId: 'abc' })).toThrow('resourceSpans[0].scopeSpans[0].spans[0].traceId: expected hex, got "abc"');
    expect(bad({ startTimeUnixNano: -1 })).toThrow(OtlpDecodeError);
    expect(bad({ kind: 'SERVER' })).toThrow('spans[0].kind: unknown enum value "SERVER"');
    expect(bad({ attributes: [{ key: 'x', value: { boolValue: 'yes' } }] })).toThrow('boolValue: expected a boolean');
    expect(() => parseTraceRequestJson('{')).toThrow('body is not valid JSON');
    expect(() => parseTraceRequestJson('[]')).toThrow('body: expected an object');
  });
});

describe('decodeTraceRequest', () => {
  it('throws OtlpDecodeError for bytes that are not protobuf of the request', () => {
    expect(() => decodeTraceRequest(Buffer.from([0x0a, 0xff, 0x01]))).toThrow(OtlpDecodeError);
  });
});
