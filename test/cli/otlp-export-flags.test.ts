import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { resolveRunSettings } from '../../src/cli/run-config.js';
import { decodeOtlpJsonLine } from '../support/otlp-json-decode.js';
import { captureIo } from '../support/cli-capture.js';
import { OtlpHttpReceiver } from '../support/otlp-http-receiver.js';

const EXAMPLE = new URL('../../examples/rolling-update-audit/', import.meta.url).pathname;
const API_KEY = 'hcaik_0123456789abcdef';
const OTEL_VARS = ['ENDPOINT', 'PROTOCOL', 'HEADERS', 'COMPRESSION', 'TIMEOUT'].flatMap((x) => [
  `OTEL_EXPORTER_OTLP_${x}`,
  `OTEL_EXPORTER_OTLP_TRACES_${x}`,
]);

async function fileSpanIds(path: string): Promise<string[]> {
  const lines = (await readFile(path, 'utf8')).trim().split('\n');
  return lines.flatMap((l) => decodeOtlpJsonLine(l).map((s) => s.spanId)).sort();
}

describe('kubestitch replay exporting over OTLP/HTTP', () => {
  let receiver: OtlpHttpReceiver;
  let base: string;
  let saved: Record<string, string | undefined>;

  beforeEach(async () => {
    saved = Object.fromEntries(OTEL_VARS.map((k) => [k, process.env[k]]));
    for (const k of OTEL_VARS) delete process.env[k];
    receiver = new OtlpHttpReceiver();
    base = await receiver.start();
  });

  afterEach(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await receiver.stop();
  });

  it('sends every span of the --out file to /v1/traces with the API-key header, never printing the key', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'ks-otlp-http-')), 'spans.jsonl');
    const c = captureIo();
    const args = ['replay', EXAMPLE, '--out', out, '--otlp-endpoint', base, '--otlp-protocol', 'http/protobuf'];
    expect(await main([...args, '--otlp-header', `x-honeycomb-team=${API_KEY}`], c.io)).toBe(0);

    expect(receiver.requests.length).toBeGreaterThan(0);
    for (const r of receiver.requests) {
      expect(r.path).toBe('/v1/traces');
      expect(r.headers['x-honeycomb-team']).toBe(API_KEY);
      expect(r.headers['content-encoding']).toBe('gzip');
    }
    const received = receiver.requests.flatMap((r) => r.spans.map((s) => s.spanId)).sort();
    expect(received).toEqual(await fileSpanIds(out));
    expect(c.err() + c.out()).not.toContain(API_KEY);
  });

  it('takes the endpoint, protocol and headers from OTEL_EXPORTER_OTLP_* when no flag is given', async () => {
    process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] = base;
    process.env['OTEL_EXPORTER_OTLP_PROTOCOL'] = 'http/json';
    process.env['OTEL_EXPORTER_OTLP_HEADERS'] = 'authorization=Basic%20dTpw,x-scope-orgid=1';
    process.env['OTEL_EXPORTER_OTLP_TRACES_HEADERS'] = 'x-scope-orgid=2';
    const c = captureIo();
    expect(await main(['replay', EXAMPLE], c.io)).toBe(0);

    const [first] = receiver.requests;
    expect(first?.path).toBe('/v1/traces');
    expect(first?.headers).toMatchObject({
      'content-type': 'application/json',
      authorization: 'Basic dTpw',
      'x-scope-orgid': '2',
    });
    expect(receiver.requests.flatMap((r) => r.spans).length).toBeGreaterThan(10);
  });

  it('exits 1 and says why when the backend refuses the key', async () => {
    receiver.answer(...Array.from({ length: 20 }, () => ({ status: 403, body: 'bad key' })));
    const c = captureIo();
    const args = ['replay', EXAMPLE, '--otlp-endpoint', base, '--otlp-protocol', 'http/json'];
    expect(await main([...args, '--otlp-header', `x-api-key=${API_KEY}`], c.io)).toBe(1);
    expect(c.err()).toContain('403');
    expect(c.err()).not.toContain(API_KEY);
  });

  // [what, extra args, env, text the message names]
  const usage: [string, string[], Record<string, string>, string][] = [
    ['an unknown protocol', ['--otlp-endpoint', 'http://c', '--otlp-protocol', 'http'], {}, '--otlp-protocol'],
    ['a header without a value', ['--otlp-endpoint', 'http://c', '--otlp-header', 'x-key'], {}, '--otlp-header'],
    ['a bad compression', ['--otlp-endpoint', 'http://c', '--otlp-compression', 'br'], {}, '--otlp-compression'],
    ['a bad timeout', ['--otlp-endpoint', 'http://c', '--otlp-timeout', '-1'], {}, '--otlp-timeout'],
    ['a bad HEADERS variable', [], { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c', OTEL_EXPORTER_OTLP_HEADERS: 'k=%zz' }, 'OTEL_EXPORTER_OTLP_HEADERS'], // prettier-ignore
  ];
  it.each(usage)('is a usage error (exit 2) for %s', async (_what, extra, env, names) => {
    Object.assign(process.env, env);
    const c = captureIo();
    expect(await main(['replay', EXAMPLE, ...extra], c.io)).toBe(2);
    expect(c.err()).toContain(names);
    expect(receiver.requests).toHaveLength(0);
  });

  it('is a usage error for kubestitch run too, before anything starts', async () => {
    const c = captureIo();
    const dataDir = await mkdtemp(join(tmpdir(), 'ks-run-'));
    const args = ['run', '--data-dir', dataDir, '--otlp-endpoint', 'http://c:4318', '--otlp-protocol', 'thrift'];
    expect(await main(args, c.io)).toBe(2);
    expect(c.err()).toContain('--otlp-protocol');
  });
});

describe('resolveRunSettings OTLP export', () => {
  it('resolves flags over the config file over the environment, headers from a YAML list kept whole', () => {
    const file = 'otlp-protocol: http/protobuf\notlp-header:\n  - "x-a=1,2"\n  - x-b=3\notlp-timeout: 5s\n';
    const s = resolveRunSettings({ 'otlp-compression': 'none' }, file, 'cfg.yaml', {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com/otlp',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-b=env,x-c=env',
    });
    if (typeof s === 'string') throw new Error(s);
    expect(s.otlpExport).toEqual({
      url: 'https://otlp.example.com/otlp/v1/traces',
      protocol: 'http/protobuf',
      headers: { 'x-a': '1,2', 'x-b': '3', 'x-c': 'env' },
      compression: 'none',
      timeoutMs: 5_000,
    });
    // An OTLP export replaces the default embedded store, as --otlp-endpoint does.
    expect(s.embeddedStore).toBe(false);
  });

  it('names the config file key at fault', () => {
    expect(resolveRunSettings({}, 'otlp-endpoint: http://c\notlp-compression: lz4\n', 'cfg.yaml')).toContain(
      '--otlp-compression',
    );
  });
});
