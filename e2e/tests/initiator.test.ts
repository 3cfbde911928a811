/**
 * Who started web's rollouts when only the watch and Events are there (issue 14): the recording
 * `kubestitch record` made keeps who wrote each object's spec and when (managedFields), so its
 * replay without the audit log names kubectl — `kubectl apply` for the first revision, `kubectl
 * set image` for the second; with the audit log the requests themselves tell it and managedFields
 * name nobody.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureSink } from '../../src/export/capture-sink.js';
import type { SpanData } from '../../src/model/span.js';
import { replayDirectory } from '../../src/replay.js';
import { ART, Traces, attr, readSpans } from '../support/artifacts.js';

async function replayWatchOnly(): Promise<readonly SpanData[]> {
  const dir = await mkdtemp(join(tmpdir(), 'ks-e2e-initiator-'));
  try {
    for (const f of ['watch.jsonl', 'events.jsonl']) await cp(join(ART, 'recording', f), join(dir, f));
    const sink = new CaptureSink();
    await replayDirectory(dir, sink, { cluster: 'e2e' });
    return sink.spans;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const web = { 'k8s.namespace.name': 'e2e-deploy', 'k8s.deployment.name': 'web' };

/** `initiator (manager, source)` of a span, `-` when it names none. */
function initiatorOf(s: SpanData): string {
  const who = attr(s, 'kubestitch.initiator');
  if (who === undefined) return '-';
  return `${who} (${attr(s, 'kubestitch.initiator.manager') ?? '?'}, ${attr(s, 'kubestitch.initiator.source') ?? '?'})`;
}

describe('the initiator of web’s rollouts', () => {
  it('watch and Events alone: kubectl, by the field managers of `kubectl apply` and `kubectl set image`', async () => {
    const t = new Traces(await replayWatchOnly());
    const named = ['1', '2'].map((rev) =>
      t.ops('Deployment rollout', { ...web, 'kubestitch.revision': rev }).map(initiatorOf),
    );
    expect(named).toEqual([
      ['kubectl (kubectl-client-side-apply, managed-fields)'],
      ['kubectl (kubectl-set, managed-fields)'],
    ]);
  });

  it.each([
    ['live (kubestitch run, audit webhook)', 'spans.jsonl'],
    ['the replay of the whole recording', 'replay-spans.jsonl'],
  ])('with the audit log, %s: named by the requests, never by managedFields', (_what, file) => {
    const rollouts = new Traces(readSpans(file)).ops('Deployment rollout', web);
    expect(rollouts.length).toBeGreaterThanOrEqual(2);
    expect(rollouts.map(initiatorOf)).toEqual(rollouts.map(() => '-'));
  });
});
