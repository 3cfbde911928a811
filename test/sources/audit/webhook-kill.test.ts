import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventList, post } from './https-client.js';
import type { TestPki } from './tls-fixture.js';
import { makeTestPki } from './tls-fixture.js';

const CHILD = fileURLToPath(new URL('./fixtures/webhook-child.ts', import.meta.url));
const TOKEN = 'kill-test-token';

interface Child {
  readonly process: ChildProcessByStdio<null, Readable, null>;
  readonly pending: readonly string[];
  readonly url: string;
}

/** Starts the webhook in a child process (node + tsx) and waits for its ready line. */
async function startChild(dataDir: string, pkiDir: string): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, pkiDir], {
    cwd: process.cwd(),
    env: { ...process.env, KUBESTITCH_TEST_APPEND_DELAY_MS: '200' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const [line] = (await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => Promise.reject(new Error(`webhook child exited early (${String(code)})`))),
  ])) as [string];
  const ready = JSON.parse(line) as { pending: string[]; port: number };
  return { process: child, pending: ready.pending, url: `https://localhost:${ready.port}/audit` };
}

let pki: TestPki;
let dataDir: string;
beforeAll(async () => {
  pki = await makeTestPki();
  dataDir = await mkdtemp(join(tmpdir(), 'kubestitch-kill-'));
});
afterAll(async () => {
  await rm(pki.dir, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
});

describe('AuditWebhookServer durability', () => {
  it('keeps a batch answered with 200 when the process is killed -9 right after, without duplicating its redelivery', async () => {
    const first = await startChild(dataDir, pki.dir);
    expect(first.pending).toEqual([]);
    const batch = eventList('kill', 5);
    const reply = await post(first.url, batch, { ca: pki.ca, token: TOKEN });
    const exited = once(first.process, 'exit');
    first.process.kill('SIGKILL');
    expect(reply.status).toBe(200);
    expect(await exited).toEqual([null, 'SIGKILL']);

    const second = await startChild(dataDir, pki.dir);
    try {
      expect(second.pending).toEqual(Array.from({ length: 5 }, (_, i) => `kill-${i}/ResponseComplete`));
      const redelivered = await post(second.url, batch, { ca: pki.ca, token: TOKEN });
      expect(JSON.parse(redelivered.body)).toEqual({ accepted: 0, duplicates: 5 });
    } finally {
      const done = once(second.process, 'exit');
      second.process.kill('SIGTERM');
      expect(await done).toEqual([0, null]);
    }
  });
});
