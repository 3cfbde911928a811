import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureSink } from '../../src/export/capture-sink.js';
import { replayDirectory } from '../../src/replay.js';
import { runScenario, writeRecording } from '../../tools/sim/index.js';
import type { AuditEventJson, KubeJson } from '../../tools/sim/index.js';
import { reasonKey } from '../../src/sources/input-boundary.js';
import { parseTraceRequestJson } from '../../src/sources/otlp/otlp-json-request.js';
import { OtlpDecodeError } from '../../src/sources/otlp/otlp-proto-codec.js';

// #17 items 1 and 4: out-of-range times and untrusted depth are refused one record at a time at
// the input boundary; the valid spans of the same recording all come out.
const scenario = runScenario('rolling-update');
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function recording(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ks-hostile-'));
  dirs.push(dir);
  await writeRecording(dir, scenario);
  return dir;
}

async function replaySpans(dir: string): Promise<{ names: string[]; reasons: Record<string, number> }> {
  const sink = new CaptureSink();
  const summary = await replayDirectory(dir, sink, { cluster: 'sim' });
  expect(summary.exportFailures).toEqual([]);
  const reasons: Record<string, number> = {};
  for (const p of summary.recording.problems) reasons[reasonKey(p.reason)] = (reasons[reasonKey(p.reason)] ?? 0) + 1;
  return { names: sink.spans.map((s) => s.name).sort(), reasons };
}

function firstOf<T>(items: readonly T[], what: string): T {
  const item = items[0];
  if (item === undefined) throw new Error(`scenario has no ${what}`);
  return item;
}

const pod = (): KubeJson => {
  const line = scenario.watch.find((l) => (l.object as { kind?: string }).kind === 'Pod');
  if (line === undefined) throw new Error('scenario has no pod');
  return line.object;
};

let baseline: string[] = [];
beforeAll(async () => {
  baseline = (await replaySpans(await recording())).names;
  expect(baseline.length).toBeGreaterThan(10);
});

describe('times out of range (#17 item 1)', () => {
  it('refuses a pod status stamped 1900, an Event in 9999 and an audit event of 1900, and loses no valid span', async () => {
    const dir = await recording();
    const bad = pod() as { metadata: Record<string, unknown>; status?: Record<string, unknown> };
    const forged = {
      ...bad,
      metadata: { ...bad.metadata, name: 'forged', uid: 'forged-uid', resourceVersion: '999999' },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '1900-01-01T00:00:00Z' }],
      },
    };
    await appendFile(
      join(dir, 'watch.jsonl'),
      `${JSON.stringify({ type: 'MODIFIED', object: forged, ts: '2024-05-01T10:00:00Z' })}\n`,
    );
    const event = firstOf(scenario.events, 'Event').object;
    const future = {
      ...event,
      lastTimestamp: '9999-12-31T23:59:59Z',
      metadata: { ...(event as { metadata: object }).metadata, name: 'future' },
    };
    await appendFile(join(dir, 'events.jsonl'), `${JSON.stringify({ type: 'ADDED', object: future })}\n`);
    const audit: AuditEventJson = firstOf(scenario.audit, 'audit event');
    const old = {
      ...audit,
      auditID: 'forged-audit',
      requestReceivedTimestamp: '1900-01-01T00:00:00Z',
      stageTimestamp: '1900-01-01T00:00:00.1Z',
    };
    await appendFile(join(dir, 'audit.log'), `${JSON.stringify(old)}\n`);

    const { names, reasons } = await replaySpans(dir);
    expect(names).toEqual(baseline);
    expect(reasons['time out of range']).toBe(3);
  });
});

describe('untrusted depth (#17 item 4)', () => {
  it('refuses a Pod spec 5,000 deep in a watch line and an audit object 100,000 deep, and replays the rest', async () => {
    const dir = await recording();
    const deepPod = `{"type":"ADDED","ts":"2024-05-01T10:00:00Z","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"deep","uid":"deep"},"spec":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}}`;
    await appendFile(join(dir, 'watch.jsonl'), `${deepPod}\n`);
    const audit = JSON.stringify({
      ...firstOf(scenario.audit, 'audit event'),
      auditID: 'deep-audit',
      requestObject: 'DEEP',
    });
    const deepAudit = audit.replace('"DEEP"', `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    await appendFile(join(dir, 'audit.log'), `${deepAudit}\n`);

    const { names, reasons } = await replaySpans(dir);
    expect(names).toEqual(baseline);
    expect(reasons['too deep']).toBe(2);
  });
});

describe('untrusted depth in OTLP/JSON (#17 item 4)', () => {
  it('refuses a 100,000-deep attribute value with a decode error, not a stack overflow', () => {
    const deep = `${'{"kvlistValue":{"values":[{"key":"k","value":'.repeat(100_000)}{}${'}]}}'.repeat(100_000)}`;
    const body = `{"resourceSpans":[{"resource":{"attributes":[{"key":"a","value":${deep}}]},"scopeSpans":[]}]}`;
    expect(() => parseTraceRequestJson(body)).toThrow(OtlpDecodeError);
    expect(() => parseTraceRequestJson(body)).toThrow(/too deep/);
  });
});

describe('unknown audit verbs (#17 item 7)', () => {
  it('are refused with a counted reason instead of vanishing among the read verbs', async () => {
    const dir = await recording();
    const audit = firstOf(scenario.audit, 'audit event');
    const odd = [
      { ...audit, auditID: 'odd-1', verb: 'frobnicate' },
      { ...audit, auditID: 'odd-2', verb: undefined },
    ];
    await appendFile(join(dir, 'audit.log'), `${odd.map((a) => JSON.stringify(a)).join('\n')}\n`);
    const { names, reasons } = await replaySpans(dir);
    expect(names).toEqual(baseline);
    expect(reasons['unknown audit verb']).toBe(2);
  });
});
