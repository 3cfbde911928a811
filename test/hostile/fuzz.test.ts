import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../storage/index.js';
import { IntakeLog } from '../../storage/intake-log.js';
import type { IntakeRecord } from '../../storage/intake-log.js';
import { OtlpJsonFileSink } from '../../src/export/otlp-json-file-sink.js';
import { watchEntry } from '../../src/live/journal-entries.js';
import type { WatchType } from '../../src/model/records.js';
import { replayDirectory } from '../../src/replay.js';
import { toIntakeItem } from '../../src/sources/audit/audit-entry.js';
import { AuditFileFollower } from '../../src/sources/audit/audit-file-follower.js';
import { auditRecordOf } from '../../src/sources/audit/parse-audit.js';
import { AuditWebhookServer } from '../../src/sources/audit/webhook-server.js';
import { reasonKey } from '../../src/sources/input-boundary.js';
import { splitJsonValues } from '../../src/sources/json-values.js';
import { parseTraceRequestJson } from '../../src/sources/otlp/otlp-json-request.js';
import { watchValueToRecords } from '../../src/sources/recording/read-recording.js';
import { auditLine, eventLine, otlpLine, secretAuditEvents, secretWatchLines, watchLine } from './fuzz-inputs.js';

// #17: random and mutated records of every input kind. Properties: nothing throws past the input
// boundary, nothing stalls, every input is accepted or rejected with a counted reason, and no
// marker from a secret field reaches any output. Seeded, so a CI failure replays locally.
const SEED = 1717;
const STALL_MS = 15_000;

const tally = { tried: 0, accepted: 0, rejected: new Map<string, number>(), crashed: 0, stalled: 0, leaked: 0 };
const reject = (reason: string): void => {
  const key = reasonKey(reason);
  tally.rejected.set(key, (tally.rejected.get(key) ?? 0) + 1);
};
let runId = 0;
const nextMarker = (): string => `S3CR3T-MARKER-${++runId}`;

function leaks(text: string, marker: string): boolean {
  if (!text.includes(marker)) return false;
  tally.leaked++;
  return true;
}

/** Runs `work`, counting a throw as a crash and a run past STALL_MS (or never settling) as a stall. */
async function guarded<T>(work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const stall = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error('stalled')), STALL_MS);
  });
  try {
    return await Promise.race([work(), stall]);
  } catch (error: unknown) {
    if (error instanceof Error && error.message === 'stalled') tally.stalled++;
    else tally.crashed++;
    throw error;
  } finally {
    clearTimeout(timer);
    if (performance.now() - started > STALL_MS) tally.stalled++;
  }
}

/**
 * Counts one file's values at the boundary; returns how many the splitter yielded (the inputs).
 * When the first line parses, the file is JSON lines: then that is exactly its non-blank lines.
 */
function countFile(lines: readonly string[], check: (value: unknown, line: number) => string | undefined): number {
  let seen = 0;
  for (const v of splitJsonValues(`${lines.join('\n')}\n`)) {
    seen++;
    const problem = v.ok ? check(v.value, v.line) : v.reason;
    if (problem === undefined) tally.accepted++;
    else reject(problem);
  }
  const first = lines.find((l) => l.trim() !== '');
  if (first !== undefined && parsesAsJson(first)) expect(seen).toBe(lines.filter((l) => l.trim() !== '').length);
  return seen;
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function watchCheck(marker: string) {
  return (value: unknown, line: number): string | undefined => {
    const records = watchValueToRecords(value, { file: 'fuzz', line });
    if (typeof records === 'string') return records;
    // What the live journal and `kubestitch record` would store for it.
    for (const r of records) {
      if (r.source === 'object')
        expect(leaks(watchEntry(r.type as WatchType, r.object, r.timeMs).body, marker)).toBe(false);
    }
    return undefined;
  };
}

function otlpCheck(value: unknown): string | undefined {
  try {
    parseTraceRequestJson(JSON.stringify(value));
    return undefined;
  } catch (error: unknown) {
    // Counted as one reason: the message names the field, which varies with the mutation.
    if (error instanceof Error && error.name === 'OtlpDecodeError') return `OTLP/JSON decode error: ${error.message}`;
    throw error;
  }
}

const dirs: string[] = [];
let webhook: { server: AuditWebhookServer; intake: IntakeLog; url: string } | undefined;
beforeAll(async () => {
  const intake = await IntakeLog.open(new MemoryStore());
  const server = new AuditWebhookServer({ intake, port: 0, host: '127.0.0.1', insecureHttp: true, allowUnauthenticated: true }); // prettier-ignore
  const { port } = await server.listen();
  webhook = { server, intake, url: `http://127.0.0.1:${port}/audit` };
});
afterAll(async () => {
  await webhook?.server.close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  const rejected = [...tally.rejected].sort((a, b) => b[1] - a[1]);
  const total = rejected.reduce((n, [, c]) => n + c, 0);
  const rows = [
    `inputs tried            ${tally.tried}`,
    `accepted                ${tally.accepted}`,
    `rejected with reason    ${total}`,
    ...rejected.map(([reason, n]) => `  ${String(n).padStart(6)}  ${reason}`),
    `crashed                 ${tally.crashed}`,
    `stalled                 ${tally.stalled}`,
    `leaked                  ${tally.leaked}`,
  ];
  console.log(`hostile-input fuzz table (#17)\n${rows.join('\n')}`);
});

const lines = (arb: fc.Arbitrary<string>): fc.Arbitrary<string[]> => fc.array(arb, { minLength: 1, maxLength: 12 });

describe('hostile input, property-based (#17)', () => {
  it('replay of watch lines, Events, audit lines and OTLP/JSON spans: counted, no throw, no stall, no leak', async () => {
    await fc.assert(
      fc.asyncProperty(lines(watchLine), lines(eventLine), lines(auditLine), lines(otlpLine), async (w, e, a, o) => {
        const marker = nextMarker();
        const watch = [...w, ...secretWatchLines(marker)];
        const audit = [...a, ...secretAuditEvents(marker, `r${runId}`).map((x) => JSON.stringify(x))];
        const files = { 'watch.jsonl': watch, 'events.jsonl': e, 'audit.log': audit, 'spans.jsonl': o };
        const dir = await mkdtemp(join(tmpdir(), 'ks-fuzz-'));
        dirs.push(dir);
        await Promise.all(Object.entries(files).map(([f, l]) => writeFile(join(dir, f), `${l.join('\n')}\n`)));
        const auditCheck = (v: unknown, line: number): string | undefined => {
          const r = auditRecordOf(v, { file: 'audit.log', line });
          return typeof r === 'string' ? r : undefined;
        };
        const counted =
          countFile(watch, watchCheck(marker)) +
          countFile(e, watchCheck(marker)) +
          countFile(audit, auditCheck) +
          o.reduce((n, line) => n + countFile([line], otlpCheck), 0);
        tally.tried += counted;
        expect(counted).toBeGreaterThan(0);
        const out = join(dir, 'out.jsonl');
        const summary = await guarded(() => replayDirectory(dir, new OtlpJsonFileSink({ path: out }), { cluster: 'fuzz' })); // prettier-ignore
        expect(summary.exportFailures).toEqual([]);
        const written = await readFile(out, 'utf8').catch(() => '');
        expect(leaks(written, marker)).toBe(false);
        expect(leaks(JSON.stringify(summary.recording.problems), marker)).toBe(false);
      }),
      { numRuns: 40, seed: SEED },
    );
  }, 40_000);

  it('audit EventLists POSTed to the webhook: every item accepted or refused alone, never a 5xx, no leak', async () => {
    if (webhook === undefined) throw new Error('webhook not started');
    const { url, intake } = webhook;
    // Mostly whole bodies; one in six cut off somewhere.
    const cut = fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() });
    await fc.assert(
      fc.asyncProperty(lines(auditLine), cut, async (a, cutAt) => {
        const marker = nextMarker();
        // Built as text: JSON.stringify itself would overflow on the deepest items. Ids are made
        // unique per run, so redeliveries across runs do not read as duplicates.
        const items = [...a, ...secretAuditEvents(marker, 'w').map((x) => JSON.stringify(x))].map((text) =>
          parsesAsJson(text) ? text.replace(/"auditID":"/g, `"auditID":"${runId}-`) : JSON.stringify(text),
        );
        let body = `{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[${items.join(',')}]}`;
        if (cutAt !== null) body = body.slice(0, cutAt % body.length);
        tally.tried += items.length;
        const before = { ...webhook?.server.stats().rejected };
        const res = await guarded(() => fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } })); // prettier-ignore
        const answer = (await res.json()) as { accepted?: number; duplicates?: number; rejected?: number; message?: string }; // prettier-ignore
        expect(res.status).toBeLessThan(500);
        if (res.status === 200) {
          const kept = (answer.accepted ?? 0) + (answer.duplicates ?? 0);
          expect(kept + (answer.rejected ?? 0)).toBe(items.length);
          tally.accepted += kept;
          for (const [reason, n] of Object.entries(webhook?.server.stats().rejected ?? {})) {
            for (let i = before[reason] ?? 0; i < n; i++) reject(reason);
          }
        } else {
          for (let i = 0; i < items.length; i++) reject(`webhook ${res.status}: ${answer.message ?? ''}`);
        }
        const stored: IntakeRecord[] = [];
        for await (const r of intake.pending()) stored.push(r);
        const bodies = stored.map((r) => r.body).join('\n');
        expect(leaks(bodies, marker)).toBe(false);
        // The live pipeline reads them back through the same audit boundary.
        for (const r of stored) auditRecordOf(JSON.parse(r.body), { file: 'journal', line: r.seq });
      }),
      { numRuns: 60, seed: SEED },
    );
  }, 30_000);

  it('audit lines followed from a file: each line delivered or refused with a reason, no leak', async () => {
    await fc.assert(
      fc.asyncProperty(lines(auditLine), async (a) => {
        const marker = nextMarker();
        // Array lines are managed-cluster exports (one value, many events or none): counted elsewhere.
        const own = a.filter((l) => !l.trimStart().startsWith('['));
        const all = [...own, ...secretAuditEvents(marker, `f${runId}`).map((x) => JSON.stringify(x))];
        const dir = await mkdtemp(join(tmpdir(), 'ks-fuzz-follow-'));
        dirs.push(dir);
        const path = join(dir, 'audit.log');
        await appendFile(path, `${all.join('\n')}\n`);
        const nonBlank = all.filter((l) => l.trim() !== '').length;
        tally.tried += nonBlank;
        const delivered: string[] = [];
        const follower = new AuditFileFollower({
          path,
          onEvents: async (events) => {
            for (const e of events) delivered.push(toIntakeItem(e).entry.body);
          },
          onMalformed: ({ reason }) => reject(reason.replace(/^not an audit Event: /, '')),
        });
        await guarded(() => follower.pollOnce());
        await follower.close();
        const stats = follower.stats();
        expect(stats.eventsDelivered + stats.malformedLines).toBe(nonBlank);
        tally.accepted += stats.eventsDelivered;
        expect(leaks(delivered.join('\n'), marker)).toBe(false);
      }),
      { numRuns: 40, seed: SEED },
    );
  }, 30_000);

  it('adds up: every input tried was accepted or rejected with a reason; none crashed, stalled or leaked', () => {
    const rejected = [...tally.rejected.values()].reduce((a, b) => a + b, 0);
    expect(tally.tried).toBeGreaterThan(1000);
    expect(tally.accepted + rejected).toBe(tally.tried);
    expect(tally.rejected.size).toBeGreaterThan(5);
    expect({ crashed: tally.crashed, stalled: tally.stalled, leaked: tally.leaked }).toEqual({
      crashed: 0,
      stalled: 0,
      leaked: 0,
    });
  });
});
