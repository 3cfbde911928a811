import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { resolveRunSettings, withExportTls } from '../../src/cli/run-config.js';
import { describeOtlpExport, resolveOtlpExport, withTlsLoaded } from '../../src/export/otlp-export-config.js';
import type { Environment, OtlpExportConfig, OtlpExportFlags } from '../../src/export/otlp-export-config.js';
import { OtlpGrpcSink } from '../../src/export/otlp-grpc-sink.js';
import { OtlpHttpSink } from '../../src/export/otlp-http-sink.js';
import { createOtlpSink } from '../../src/export/otlp-sink.js';
import type { SpanSink } from '../../src/export/sink.js';
import { makeTestPki } from '../sources/audit/tls-fixture.js';
import type { TestPki } from '../sources/audit/tls-fixture.js';
import { captureIo } from '../support/cli-capture.js';
import { OtlpGrpcReceiver } from '../support/otlp-grpc-receiver.js';
import { OtlpHttpReceiver } from '../support/otlp-http-receiver.js';
import { sampleTrace } from './sample-trace.js';

// Exports to loopback receivers that serve TLS with a throwaway CA and let in only clients with a
// certificate that CA signed — what a Collector with `tls: {client_ca_file: …}` does.
let pki: TestPki;
let clientCertFile: string;
let clientKeyFile: string;
const receivers: { stop(): Promise<void> }[] = [];
const sinks: SpanSink[] = [];

beforeAll(async () => {
  pki = await makeTestPki();
  clientCertFile = join(pki.dir, 'kube-apiserver.crt');
  clientKeyFile = join(pki.dir, 'kube-apiserver.key');
});

afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.shutdown()));
  await Promise.all(receivers.splice(0).map((r) => r.stop()));
});

function resolved(flags: OtlpExportFlags, env: Environment = {}): OtlpExportConfig {
  const config = resolveOtlpExport(flags, env);
  if (config === undefined || typeof config === 'string') throw new Error(`expected a config, got ${config}`);
  return config;
}

// What a command does at start: resolve, then read the TLS files.
function resolvedAndLoaded(flags: OtlpExportFlags, env: Environment = {}): OtlpExportConfig | undefined | string {
  const config = resolveOtlpExport(flags, env);
  return config === undefined || typeof config === 'string' ? config : withTlsLoaded(config);
}

async function receiverTls(): Promise<{ cert: Buffer; key: Buffer; clientCa: Buffer }> {
  return { cert: await readFile(pki.serverCertFile), key: await readFile(pki.serverKeyFile), clientCa: pki.ca };
}

async function startGrpc(): Promise<{ url: string; receiver: OtlpGrpcReceiver }> {
  const receiver = new OtlpGrpcReceiver();
  receivers.push(receiver);
  const { url } = await receiver.start(0, await receiverTls());
  return { url, receiver };
}

async function startHttp(): Promise<{ url: string; receiver: OtlpHttpReceiver }> {
  const receiver = new OtlpHttpReceiver();
  receivers.push(receiver);
  return { url: await receiver.start(await receiverTls()), receiver };
}

const EXAMPLE = new URL('../../examples/rolling-update-audit/', import.meta.url).pathname;

const MTLS = (): OtlpExportFlags => ({
  certificate: pki.caFile,
  clientCertificate: clientCertFile,
  clientKey: clientKeyFile,
});

describe('OTLP export over TLS with a client certificate (mTLS)', () => {
  it('gRPC: the spans reach a receiver that requires a client certificate', async () => {
    const { url, receiver } = await startGrpc();
    const sink = createOtlpSink(resolved({ endpoint: url, ...MTLS() }));
    sinks.push(sink);
    expect(await sink.write(sampleTrace())).toEqual({ status: 'ok' });
    expect(receiver.spans().map((s) => s.name)).toEqual(sampleTrace().map((s) => s.name));
  });

  it('gRPC: from the OTEL_EXPORTER_OTLP_* variables alone, TRACES_ over the general one', async () => {
    const { url, receiver } = await startGrpc();
    const env = {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url,
      OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: pki.caFile,
      OTEL_EXPORTER_OTLP_CERTIFICATE: join(pki.dir, 'other-ca.crt'),
      OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: clientCertFile,
      OTEL_EXPORTER_OTLP_CLIENT_KEY: clientKeyFile,
    };
    const sink = createOtlpSink(resolved({}, env));
    sinks.push(sink);
    expect(await sink.write(sampleTrace())).toEqual({ status: 'ok' });
    expect(receiver.spans()).toHaveLength(sampleTrace().length);
  });

  it('gRPC: without a client certificate, or without the CA, the export fails with the TLS reason and nothing arrives', async () => {
    const { url, receiver } = await startGrpc();
    const noClient = new OtlpGrpcSink({ url, timeoutMillis: 3_000, tls: { ca: pki.ca } });
    const noCa = new OtlpGrpcSink({ url, timeoutMillis: 3_000, tls: { cert: pki.client.cert, key: pki.client.key } });
    sinks.push(noClient, noCa);
    for (const [sink, reason] of [
      [noClient, /UNAVAILABLE.*certificate required/],
      [noCa, /UNAVAILABLE.*self-signed certificate/],
    ] as const) {
      const result = await sink.write(sampleTrace());
      expect(result.status).toBe('retryable');
      expect(result.status === 'ok' ? '' : result.error.message).toMatch(reason);
    }
    expect(receiver.spans()).toEqual([]);
  });

  it('HTTP: the spans reach a receiver that requires a client certificate, protobuf and JSON', async () => {
    const { url, receiver } = await startHttp();
    for (const protocol of ['http/protobuf', 'http/json']) {
      const sink = createOtlpSink(resolved({ endpoint: url, protocol, ...MTLS() }));
      sinks.push(sink);
      expect(await sink.write(sampleTrace())).toEqual({ status: 'ok' });
    }
    expect(receiver.requests.map((r) => [r.path, r.spans.length])).toEqual([
      ['/v1/traces', sampleTrace().length],
      ['/v1/traces', sampleTrace().length],
    ]);
  });

  it('HTTP: without a client certificate, or without the CA, the export fails with the TLS reason', async () => {
    const { url, receiver } = await startHttp();
    const base = { url: `${url}/v1/traces`, encoding: 'protobuf' as const, maxRetries: 0, timeoutMillis: 3_000 };
    const noClient = new OtlpHttpSink({ ...base, tls: { ca: pki.ca } });
    const noCa = new OtlpHttpSink({ ...base, tls: { cert: pki.client.cert, key: pki.client.key } });
    const stranger = new OtlpHttpSink({ ...base, tls: { ca: pki.ca, ...pki.stranger } });
    sinks.push(noClient, noCa, stranger);
    for (const [sink, reason] of [
      [noClient, /certificate required/],
      [noCa, /self-signed certificate/],
      // The receiver drops a certificate of a CA it does not trust (TLS 1.3: after the client's Finished).
      [stranger, /unknown ca|socket hang up|ECONNRESET/i],
    ] as const) {
      const result = await sink.write(sampleTrace());
      expect(result.status).toBe('retryable');
      expect(result.status === 'ok' ? '' : result.error.message).toMatch(reason);
    }
    expect(receiver.requests).toEqual([]);
  });
});

describe('resolveOtlpExport: TLS settings', () => {
  it('says which CA and client certificate it uses, by path, in the export description', () => {
    const config = resolved({ endpoint: 'https://collector:4317', ...MTLS() });
    expect(describeOtlpExport(config)).toContain(`tls ca ${pki.caFile}, client certificate ${clientCertFile}`);
    const loaded = withTlsLoaded(config);
    expect(typeof loaded === 'string' ? loaded : loaded.tls?.ca?.equals(pki.ca)).toBe(true);
  });

  const errors: [string, () => OtlpExportFlags, Environment, RegExp][] = [
    [
      'an unreadable CA file',
      () => ({ endpoint: 'https://c', certificate: '/nonexistent/ca.crt' }),
      {},
      /^--otlp-certificate: cannot read \/nonexistent\/ca\.crt \(ENOENT\)$/,
    ],
    [
      'a key without its certificate',
      () => ({ endpoint: 'https://c', clientKey: clientKeyFile }),
      {},
      /^--otlp-client-key needs --otlp-client-certificate/,
    ],
    [
      'a certificate without its key (variable)',
      () => ({ endpoint: 'https://c' }),
      { OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: '/x.crt' },
      /^OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE needs --otlp-client-key/,
    ],
    [
      'a CA file that holds a key',
      () => ({ endpoint: 'https://c', certificate: clientKeyFile }),
      {},
      /^--otlp-certificate: the file holds no PEM certificate$/,
    ],
    [
      'a client key of another certificate',
      () => ({ endpoint: 'https://c', clientCertificate: clientCertFile, clientKey: join(pki.dir, 'stranger.key') }),
      {},
      /^--otlp-client-certificate and --otlp-client-key: not a usable certificate and key/,
    ],
    [
      'TLS files for a plaintext endpoint',
      () => ({ endpoint: 'http://c:4317', certificate: pki.caFile }),
      {},
      /^--otlp-certificate needs an https:\/\/ endpoint/,
    ],
    [
      'a bad INSECURE value',
      () => ({ endpoint: 'c:4317' }),
      { OTEL_EXPORTER_OTLP_INSECURE: 'yes' },
      /^OTEL_EXPORTER_OTLP_INSECURE must be true or false/,
    ],
  ];
  it.each(errors)('%s is a usage error naming its flag or variable', (_, flags, env, message) => {
    expect(resolvedAndLoaded(flags(), env)).toMatch(message);
  });

  it('ignores TLS variables for a plaintext endpoint (they may be set for a whole pod)', () => {
    const config = resolved({ endpoint: 'http://c:4317' }, { OTEL_EXPORTER_OTLP_CERTIFICATE: '/nonexistent' });
    expect(config.tlsFiles).toBeUndefined();
  });

  it('a gRPC endpoint without a scheme is TLS, or plaintext with --otlp-insecure / OTEL_EXPORTER_OTLP_INSECURE', () => {
    expect(resolved({ endpoint: 'collector:4317' }).url).toBe('https://collector:4317');
    expect(resolved({ endpoint: 'collector:4317', insecure: true }).url).toBe('http://collector:4317');
    expect(
      resolved({}, { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317', OTEL_EXPORTER_OTLP_TRACES_INSECURE: 'TRUE' }).url,
    ).toBe('http://collector:4317');
    // The scheme, when given, says it: insecure does not turn https:// into plaintext.
    expect(resolved({ endpoint: 'https://collector:4317', insecure: true }).url).toBe('https://collector:4317');
  });
});

describe('the TLS flags on the command line', () => {
  it('replay --otlp-certificate/--otlp-client-certificate/--otlp-client-key exports over mTLS; without the client pair it exits 1', async () => {
    const { url, receiver } = await startHttp();
    const base = ['replay', EXAMPLE, '--otlp-endpoint', url, '--otlp-protocol', 'http/protobuf'];
    const tls = ['--otlp-certificate', pki.caFile, '--otlp-client-certificate', clientCertFile];
    const ok = captureIo();
    expect(await main([...base, ...tls, '--otlp-client-key', clientKeyFile], ok.io)).toBe(0);
    expect(receiver.requests.flatMap((r) => r.spans).length).toBeGreaterThan(10);

    const usage = captureIo();
    expect(await main([...base, ...tls], usage.io)).toBe(2);
    expect(usage.err()).toContain('--otlp-client-certificate needs --otlp-client-key');
  });

  it('run takes them from its config file as well', () => {
    const file = `otlp-endpoint: https://collector:4318\notlp-certificate: ${pki.caFile}\notlp-client-certificate: ${clientCertFile}\notlp-client-key: ${clientKeyFile}\n`;
    const s = resolveRunSettings({}, file, 'cfg.yaml');
    if (typeof s === 'string') throw new Error(s);
    expect(s.otlpExport === undefined ? '' : describeOtlpExport(s.otlpExport)).toContain(
      `tls ca ${pki.caFile}, client certificate ${clientCertFile}`,
    );
    expect(withExportTls(resolveRunSettings({ 'otlp-certificate': '/nonexistent.crt' }, file, 'cfg.yaml'))).toBe(
      '--otlp-certificate: cannot read /nonexistent.crt (ENOENT)',
    );
  });
});
