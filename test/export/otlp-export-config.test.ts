import { describe, expect, it } from 'vitest';
import { describeOtlpExport, parseHeaderList, resolveOtlpExport } from '../../src/export/otlp-export-config.js';
import type { Environment, OtlpExportConfig, OtlpExportFlags } from '../../src/export/otlp-export-config.js';

const G = 'OTEL_EXPORTER_OTLP_';
const T = 'OTEL_EXPORTER_OTLP_TRACES_';

function resolve(flags: OtlpExportFlags, env: Environment = {}): ReturnType<typeof resolveOtlpExport> {
  return resolveOtlpExport(flags, env);
}

function ok(flags: OtlpExportFlags, env: Environment = {}): OtlpExportConfig {
  const r = resolve(flags, env);
  if (typeof r === 'string') throw new Error(`unexpected usage error: ${r}`);
  if (r === undefined) throw new Error('no export resolved');
  return r;
}

describe('resolveOtlpExport', () => {
  it('exports nothing when no endpoint is given anywhere, whatever else is set', () => {
    expect(resolve({ protocol: 'http/json' }, { [`${G}HEADERS`]: 'a=b' })).toBeUndefined();
  });

  it('defaults to gRPC, gzip, 10 s, no headers', () => {
    expect(ok({ endpoint: 'http://collector:4317' })).toEqual({
      url: 'http://collector:4317',
      protocol: 'grpc',
      headers: {},
      compression: 'gzip',
      timeoutMs: 10_000,
    });
  });

  // [what, flags, env, expected url, expected protocol]
  const endpoints: [string, OtlpExportFlags, Environment, string, string][] = [
    ['generic variable, gRPC: as is', {}, { [`${G}ENDPOINT`]: 'http://c:4317' }, 'http://c:4317', 'grpc'],
    [
      'generic variable, HTTP: /v1/traces appended',
      {},
      { [`${G}ENDPOINT`]: 'http://c:4318', [`${G}PROTOCOL`]: 'http/protobuf' },
      'http://c:4318/v1/traces',
      'http/protobuf',
    ],
    [
      'generic variable with a path: appended after it (Grafana Cloud /otlp)',
      { protocol: 'http/protobuf' },
      { [`${G}ENDPOINT`]: 'https://otlp-gateway.grafana.net/otlp/' },
      'https://otlp-gateway.grafana.net/otlp/v1/traces',
      'http/protobuf',
    ],
    [
      'traces variable: as is, and over the generic one',
      { protocol: 'http/json' },
      { [`${T}ENDPOINT`]: 'http://t:4318/custom', [`${G}ENDPOINT`]: 'http://g:4318' },
      'http://t:4318/custom',
      'http/json',
    ],
    [
      'flag over both variables; a base URL gets /v1/traces',
      { endpoint: 'http://f:4318', protocol: 'http/protobuf' },
      { [`${T}ENDPOINT`]: 'http://t:4318/v1/traces', [`${G}ENDPOINT`]: 'http://g:4318' },
      'http://f:4318/v1/traces',
      'http/protobuf',
    ],
    [
      'flag already ending in /v1/traces: as is',
      { endpoint: 'https://api.honeycomb.io/v1/traces', protocol: 'http/protobuf' },
      {},
      'https://api.honeycomb.io/v1/traces',
      'http/protobuf',
    ],
    [
      'protocol: traces variable over generic, flag over both',
      { endpoint: 'http://f:4317' },
      { [`${T}PROTOCOL`]: 'grpc', [`${G}PROTOCOL`]: 'http/json' },
      'http://f:4317',
      'grpc',
    ],
  ];
  it.each(endpoints)('endpoint and protocol: %s', (_what, flags, env, url, protocol) => {
    expect(ok(flags, env)).toMatchObject({ url, protocol });
  });

  it('merges headers per name: flags over TRACES_HEADERS over HEADERS, values percent-decoded', () => {
    const config = ok(
      { endpoint: 'http://c:4317', headers: ['X-Scope-OrgID=tenant-flag'] },
      {
        [`${G}HEADERS`]: 'authorization=Basic%20dXNlcjpwYXNz, x-scope-orgid=tenant-env ,x-a=1',
        [`${T}HEADERS`]: 'x-a=2',
      },
    );
    expect(config.headers).toEqual({
      authorization: 'Basic dXNlcjpwYXNz',
      'x-scope-orgid': 'tenant-flag',
      'x-a': '2',
    });
  });

  it('keeps a flag header value with commas and "=" whole (it is not a list)', () => {
    expect(ok({ endpoint: 'http://c:4317', headers: ['x-k=a=b,c'] }).headers).toEqual({ 'x-k': 'a=b,c' });
  });

  it('takes compression and timeout from the flag, then TRACES_, then the generic variable', () => {
    const env = { [`${T}COMPRESSION`]: 'none', [`${G}COMPRESSION`]: 'gzip', [`${G}TIMEOUT`]: '2500' };
    expect(ok({ endpoint: 'http://c:4317' }, env)).toMatchObject({ compression: 'none', timeoutMs: 2_500 });
    expect(ok({ endpoint: 'http://c:4317', compression: 'gzip', timeout: '3s' }, env)).toMatchObject({
      compression: 'gzip',
      timeoutMs: 3_000,
    });
    expect(ok({ endpoint: 'http://c:4317', timeout: '500ms' }).timeoutMs).toBe(500);
  });

  // [what, flags, env, text the error names]
  const errors: [string, OtlpExportFlags, Environment, string][] = [
    ['unknown protocol flag', { endpoint: 'http://c', protocol: 'http' }, {}, '--otlp-protocol'],
    ['unknown protocol variable', { endpoint: 'http://c' }, { [`${G}PROTOCOL`]: 'udp' }, `${G}PROTOCOL`],
    ['bad compression', { endpoint: 'http://c', compression: 'zstd' }, {}, '--otlp-compression'],
    ['bad timeout', { endpoint: 'http://c', timeout: 'soon' }, {}, '--otlp-timeout'],
    ['zero timeout variable', { endpoint: 'http://c' }, { [`${T}TIMEOUT`]: '0' }, `${T}TIMEOUT`],
    ['endpoint not a URL', { endpoint: 'collector:4317x' }, {}, '--otlp-endpoint'],
    ['endpoint variable without scheme', {}, { [`${G}ENDPOINT`]: 'localhost' }, `${G}ENDPOINT`],
    ['header flag without "="', { endpoint: 'http://c', headers: ['x-api-key'] }, {}, '--otlp-header'],
    ['header name with a space', { endpoint: 'http://c', headers: ['x api=1'] }, {}, '--otlp-header'],
    ['header value with a newline', { endpoint: 'http://c', headers: ['x-a=1\r\nx-b: 2'] }, {}, 'control character'],
    ['HEADERS entry without key', { endpoint: 'http://c' }, { [`${G}HEADERS`]: '=v' }, `${G}HEADERS`],
    ['HEADERS bad percent-encoding', { endpoint: 'http://c' }, { [`${T}HEADERS`]: 'k=%zz' }, `${T}HEADERS`],
  ];
  it.each(errors)('refuses %s with a message naming where it came from', (_what, flags, env, names) => {
    const r = resolve(flags, env);
    expect(typeof r).toBe('string');
    expect(r).toContain(names);
  });

  it('never puts a header value in an error', () => {
    const r = resolve({ endpoint: 'http://c', headers: ['x-api-key=top\u0001secret'] });
    expect(r).toContain('x-api-key');
    expect(r).not.toContain('secret');
  });
});

describe('parseHeaderList', () => {
  it('skips empty entries and trims around keys and values', () => {
    expect(parseHeaderList(' a = 1 ,, b=2,', 'X')).toEqual({ a: '1', b: '2' });
  });
});

describe('describeOtlpExport', () => {
  it('names the headers but not their values, nor URL credentials', () => {
    const text = describeOtlpExport(
      ok({ endpoint: 'https://u:pw@h/v1/traces', protocol: 'http/json', headers: ['x-k=v1'] }),
    );
    expect(text).toBe('http/json https://h/v1/traces (compression gzip, timeout 10000 ms, headers x-k)');
  });
});
