import { rm } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../storage/index.js';
import type { AppendResult, IntakeEntry, IntakeRecord } from '../../../storage/intake-log.js';
import { IntakeLog } from '../../../storage/intake-log.js';
import type { AcceptedAuditEvent, AuditWebhookServerOptions } from '../../../src/sources/audit/webhook-server.js';
import { AuditWebhookServer } from '../../../src/sources/audit/webhook-server.js';
import { eventList, post } from './https-client.js';
import type { TestPki } from './tls-fixture.js';
import { makeTestPki } from './tls-fixture.js';

const TOKEN = 'audit-webhook-token-0123456789';

let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
});
afterAll(async () => {
  await rm(pki.dir, { recursive: true, force: true });
});

const servers: AuditWebhookServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(overrides: Partial<AuditWebhookServerOptions> = {}) {
  const intake = await IntakeLog.open(new MemoryStore());
  const accepted: AcceptedAuditEvent[] = [];
  const server = new AuditWebhookServer({
    intake,
    port: 0,
    host: '127.0.0.1',
    tls: { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile, clientCaFile: pki.caFile },
    bearerTokens: ['another-token', TOKEN],
    onAccepted: (events) => void accepted.push(...events),
    ...overrides,
  });
  servers.push(server);
  const { port } = await server.listen();
  return { server, intake, accepted, url: `https://localhost:${port}/audit` };
}

async function pending(intake: IntakeLog): Promise<IntakeRecord[]> {
  const out: IntakeRecord[] = [];
  for await (const record of intake.pending()) out.push(record);
  return out;
}

describe('AuditWebhookServer', () => {
  describe('authentication', () => {
    it('answers 401 with a WWW-Authenticate challenge when no credentials are sent', async () => {
      const { url, intake } = await start();
      const reply = await post(url, eventList('a', 1), { ca: pki.ca });
      expect(reply.status).toBe(401);
      expect(reply.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(JSON.parse(reply.body)).toMatchObject({ kind: 'Status', code: 401, reason: 'Unauthorized' });
      expect(await pending(intake)).toEqual([]);
    });

    it('answers 403 to a wrong bearer token and 200 to a right one', async () => {
      const { url, intake } = await start();
      expect((await post(url, eventList('a', 1), { ca: pki.ca, token: 'wrong' })).status).toBe(403);
      expect(await pending(intake)).toEqual([]);
      const ok = await post(url, eventList('a', 2), { ca: pki.ca, token: TOKEN });
      expect(ok.status).toBe(200);
      expect(JSON.parse(ok.body)).toEqual({ accepted: 2, duplicates: 0 });
    });

    it('accepts a client certificate signed by the configured CA without a token', async () => {
      const { url, intake } = await start({ bearerTokens: [] });
      const reply = await post(url, eventList('c', 1), { ca: pki.ca, ...pki.client });
      expect(reply.status).toBe(200);
      expect((await pending(intake)).map((r) => r.id)).toEqual(['c-0/ResponseComplete']);
    });

    it('rejects a client certificate from another CA with 403', async () => {
      const { url, intake } = await start({ bearerTokens: [] });
      const reply = await post(url, eventList('c', 1), { ca: pki.ca, ...pki.stranger });
      expect(reply.status).toBe(403);
      expect(JSON.parse(reply.body).message).toMatch(/client certificate was not accepted/);
      expect(await pending(intake)).toEqual([]);
    });

    it('refuses to start without TLS unless insecureHttp, and without any credential kind', () => {
      const intake = { append: () => Promise.reject(new Error('unused')) };
      expect(() => new AuditWebhookServer({ intake, port: 0, bearerTokens: [TOKEN] })).toThrow(/insecureHttp/);
      const tls = { certFile: pki.serverCertFile, keyFile: pki.serverKeyFile };
      expect(() => new AuditWebhookServer({ intake, port: 0, tls })).toThrow(/bearerTokens or tls.clientCaFile/);
    });
  });

  describe('request validation', () => {
    it('answers 400 with a clear message to malformed JSON and stores nothing', async () => {
      const { url, intake } = await start();
      const reply = await post(url, '{"kind":"EventList","items":[', { ca: pki.ca, token: TOKEN });
      expect(reply.status).toBe(400);
      expect(JSON.parse(reply.body).message).toBe('malformed JSON: Unexpected end of JSON input');
      expect(await pending(intake)).toEqual([]);
    });

    it('answers 400 to a body that is not an EventList, storing nothing', async () => {
      const { url, intake } = await start();
      const notAList = await post(url, '{"kind":"PodList","items":[]}', { ca: pki.ca, token: TOKEN });
      expect(notAList.status).toBe(400);
      expect(await pending(intake)).toEqual([]);
    });

    it('refuses a bad item alone, counted by reason, and stores the rest of its batch', async () => {
      const { url, intake, server } = await start();
      const list = JSON.parse(eventList('v', 4)) as { items: Array<Record<string, unknown>> };
      delete list.items[1]?.['auditID'];
      // 100,000 levels deep: this once answered 500 for the whole batch, which the apiserver resends forever.
      list.items[2] = { ...list.items[2], requestObject: 'DEEP' };
      list.items[3] = { ...list.items[3], stageTimestamp: '1900-01-01T00:00:00Z' };
      const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
      const body = JSON.stringify(list).replace('"DEEP"', deep);
      const reply = await post(url, body, { ca: pki.ca, token: TOKEN });
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toEqual({ accepted: 1, duplicates: 0, rejected: 3 });
      expect((await pending(intake)).map((r) => r.id)).toEqual(['v-0/ResponseComplete']);
      expect(server.stats().rejected).toEqual({
        'auditID missing or not a string': 1,
        'too deep': 1,
        'time out of range': 1,
      });
    });

    it('answers 413 past maxBodyBytes, by Content-Length or mid-stream, storing nothing', async () => {
      const { url, intake } = await start({ maxBodyBytes: 2048 });
      const big = eventList('big', 20);
      expect(big.length).toBeGreaterThan(4096);
      const declared = await post(url, big, { ca: pki.ca, token: TOKEN });
      expect(declared.status).toBe(413);
      const chunks = [big.slice(0, 1500), big.slice(1500, 3000), big.slice(3000)];
      const streamed = await post(url, '', { ca: pki.ca, token: TOKEN, chunks });
      expect(streamed.status).toBe(413);
      expect(await pending(intake)).toEqual([]);
      expect((await post(url, eventList('small', 1), { ca: pki.ca, token: TOKEN })).status).toBe(200);
    });

    it('answers 405 to other methods and 404 to other paths', async () => {
      const { url } = await start();
      const get = await post(url, '', { ca: pki.ca, token: TOKEN, method: 'GET' });
      expect(get.status).toBe(405);
      expect(get.headers['allow']).toBe('POST');
      expect((await post(url.replace('/audit', '/other'), '', { ca: pki.ca, token: TOKEN })).status).toBe(404);
    });
  });

  describe('storing', () => {
    it('stores a redelivered batch once and hands accepted events to onAccepted after they are durable', async () => {
      const { url, intake, accepted, server } = await start();
      const batch = eventList('r', 3);
      expect(JSON.parse((await post(url, batch, { ca: pki.ca, token: TOKEN })).body)).toEqual({
        accepted: 3,
        duplicates: 0,
      });
      expect(JSON.parse((await post(url, batch, { ca: pki.ca, token: TOKEN })).body)).toEqual({
        accepted: 0,
        duplicates: 3,
      });
      expect((await pending(intake)).map((r) => [r.seq, r.id])).toEqual([
        [1, 'r-0/ResponseComplete'],
        [2, 'r-1/ResponseComplete'],
        [3, 'r-2/ResponseComplete'],
      ]);
      expect(accepted.map((a) => [a.seq, a.event['auditID']])).toEqual([
        [1, 'r-0'],
        [2, 'r-1'],
        [3, 'r-2'],
      ]);
      expect(server.stats()).toEqual({ responses: { '200': 2 }, eventsAccepted: 3, duplicates: 3, rejected: {} });
    });

    it('stores redacted events (no ConfigMap data)', async () => {
      const { url, intake } = await start();
      const configMap = { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name: 'm' }, data: { pw: 'hunter2' } };
      const body = eventList('cm', 1, { objectRef: { resource: 'configmaps', name: 'm' }, requestObject: configMap });
      expect((await post(url, body, { ca: pki.ca, token: TOKEN })).status).toBe(200);
      const [record] = await pending(intake);
      expect(record?.body).toContain('"resource":"configmaps"');
      expect(record?.body).not.toContain('hunter2');
    });

    it('answers 503 with Retry-After when the intake log is full or failing', async () => {
      const full = await start({
        intake: await IntakeLog.open(new MemoryStore(), { maxBytes: 600 }),
        retryAfterSeconds: 7,
      });
      const reply = await post(full.url, eventList('f', 3), { ca: pki.ca, token: TOKEN });
      expect(reply.status).toBe(503);
      expect(reply.headers['retry-after']).toBe('7');
      expect(JSON.parse(reply.body).message).toMatch(/intake log is full/);
      const failing = await start({ intake: { append: () => Promise.reject(new Error('EIO')) } });
      expect((await post(failing.url, eventList('f', 1), { ca: pki.ca, token: TOKEN })).status).toBe(503);
    });
  });

  describe('close', () => {
    it('waits for a request in flight, which still gets its 200, and is idempotent', async () => {
      let release: (() => void) | undefined;
      const inner = await IntakeLog.open(new MemoryStore());
      const intake = {
        append: async (entries: readonly IntakeEntry[]): Promise<AppendResult> => {
          await new Promise<void>((resolve) => (release = resolve));
          return inner.append(entries);
        },
      };
      const { url, server } = await start({ intake });
      const reply = post(url, eventList('z', 1), { ca: pki.ca, token: TOKEN });
      while (release === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
      let closed = false;
      const closing = server.close().then(() => (closed = true));
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(closed).toBe(false);
      release();
      expect((await reply).status).toBe(200);
      await closing;
      await expect(server.close()).resolves.toBeUndefined();
      await expect(post(url, eventList('z', 1), { ca: pki.ca, token: TOKEN })).rejects.toThrow(/ECONNREFUSED/);
    });
  });
});
