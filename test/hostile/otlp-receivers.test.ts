import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CaptureSink } from '../../src/export/capture-sink.js';
import { startOtlpStitch } from '../../src/live/otlp-stitch-service.js';
import type { OtlpStitchOptions, OtlpStitchService } from '../../src/live/otlp-stitch-service.js';
import { post } from '../sources/audit/https-client.js';
import type { TestPki } from '../sources/audit/tls-fixture.js';
import { makeTestPki } from '../sources/audit/tls-fixture.js';
import { etcdServerBatch, idOf } from '../stitch/real-spans.js';

// #17 item 3: the OTLP receivers listen on loopback unless told otherwise, each on the address it
// was given, and can ask for a bearer token and serve TLS.
const BODY = JSON.stringify(
  etcdServerBatch(idOf('recv', 16), idOf('recv-parent', 8), {
    startMs: 1_700_000_000_000,
    endMs: 1_700_000_000_004,
  }),
);
const TOKEN = 'otlp-receiver-token-0123456789';
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

let pki: TestPki;
let dir = '';
beforeAll(async () => {
  pki = await makeTestPki();
  dir = await mkdtemp(join(tmpdir(), 'ks-otlp-recv-'));
});
afterAll(async () => {
  await rm(pki.dir, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
});
const services: OtlpStitchService[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
});

async function start(options: Partial<OtlpStitchOptions>): Promise<OtlpStitchService> {
  const service = await startOtlpStitch({ grpcPort: 0, httpPort: 0, ...options }, 'c', new CaptureSink(), quiet);
  services.push(service);
  return service;
}

/** The HTTP status of an OTLP/JSON export, or 'refused' when nothing listens there. */
async function send(
  host: string,
  port: number | undefined,
  headers: Record<string, string> = {},
): Promise<number | string> {
  try {
    const res = await fetch(`http://${host}:${port ?? 0}/v1/traces`, {
      method: 'POST',
      body: BODY,
      headers: { 'content-type': 'application/json', ...headers },
      signal: AbortSignal.timeout(5_000),
    });
    return res.status;
  } catch {
    return 'refused';
  }
}

const otherAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;

describe('OTLP receivers (#17 item 3)', () => {
  it('listen on 127.0.0.1 by default, not on the other interfaces', async () => {
    const service = await start({});
    expect(await send('127.0.0.1', service.httpPort)).toBe(200);
    if (otherAddress !== undefined) expect(await send(otherAddress, service.httpPort)).toBe('refused');
  });

  it('bind each receiver where its own address says (HTTP used to follow gRPC)', async () => {
    const service = await start({ grpcHost: '127.0.0.1', httpHost: '127.0.0.2' });
    expect(await send('127.0.0.2', service.httpPort)).toBe(200);
    expect(await send('127.0.0.1', service.httpPort)).toBe('refused');
  });

  it('ask for a bearer token from a token file when given one', async () => {
    const tokenFile = join(dir, 'tokens');
    await writeFile(tokenFile, `# comment\n${TOKEN}\n`);
    const service = await start({ tokenFile });
    expect(await send('127.0.0.1', service.httpPort)).toBe(401);
    expect(await send('127.0.0.1', service.httpPort, { authorization: 'Bearer wrong' })).toBe(401);
    expect(await send('127.0.0.1', service.httpPort, { authorization: `Bearer ${TOKEN}` })).toBe(200);
  });

  it('serve TLS and, with a client CA, require a client certificate it signed', async () => {
    const tls = { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile, clientCaFile: pki.caFile };
    const service = await start({ tls });
    const url = `https://localhost:${service.httpPort ?? 0}/v1/traces`;
    const ok = await post(url, BODY, { ca: pki.ca, cert: pki.client.cert, key: pki.client.key });
    expect(ok.status).toBe(200);
    const stranger = await post(url, BODY, { ca: pki.ca, cert: pki.stranger.cert, key: pki.stranger.key }).catch(
      () => ({ status: 'refused' }),
    );
    expect(stranger.status).not.toBe(200);
    expect(await send('127.0.0.1', service.httpPort)).toBe('refused');
  });

  it('with a client CA and tokens, take a certificate the CA signed or a token, as the audit webhook does', async () => {
    const tokenFile = join(dir, 'tokens-mtls');
    await writeFile(tokenFile, `${TOKEN}\n`);
    const tls = { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile, clientCaFile: pki.caFile };
    const service = await start({ tls, tokenFile });
    const url = `https://localhost:${service.httpPort ?? 0}/v1/traces`;
    const http = (o: { cert?: Buffer; key?: Buffer; token?: string }): Promise<number> =>
      post(url, BODY, { ca: pki.ca, ...o }).then((r) => r.status);
    expect(await http({ cert: pki.client.cert, key: pki.client.key })).toBe(200);
    expect(await http({ token: TOKEN })).toBe(200);
    expect(await http({})).toBe(401);
    expect(await http({ cert: pki.stranger.cert, key: pki.stranger.key })).toBe(401);
    expect(await http({ token: 'wrong' })).toBe(401);

    const grpcPort = service.grpcPort ?? 0;
    expect(await grpcExport(grpcPort, { cert: pki.client.cert, key: pki.client.key })).toBe('OK');
    expect(await grpcExport(grpcPort, { token: TOKEN })).toBe('OK');
    expect(await grpcExport(grpcPort, {})).toBe('UNAUTHENTICATED');
    expect(await grpcExport(grpcPort, { cert: pki.stranger.cert, key: pki.stranger.key })).toBe('UNAUTHENTICATED');
  });
});

/** One OTLP/gRPC Export (an empty request) over TLS to localhost; the status name it got. */
async function grpcExport(port: number, o: { cert?: Buffer; key?: Buffer; token?: string }): Promise<string> {
  const client = new grpc.Client(
    `localhost:${port}`,
    grpc.credentials.createSsl(pki.ca, o.key ?? null, o.cert ?? null),
  );
  const metadata = new grpc.Metadata();
  if (o.token !== undefined) metadata.set('authorization', `Bearer ${o.token}`);
  const pass = (b: Buffer): Buffer => b;
  try {
    return await new Promise<string>((resolve) =>
      client.makeUnaryRequest(
        '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        pass,
        pass,
        Buffer.alloc(0),
        metadata,
        { deadline: Date.now() + 5_000 },
        (err) => resolve(err === null ? 'OK' : (grpc.status[err.code] ?? String(err.code))),
      ),
    );
  } finally {
    client.close();
  }
}
