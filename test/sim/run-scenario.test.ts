import { describe, expect, it } from 'vitest';
import { runScenario, SCENARIOS, watchLineJson } from '../../tools/sim/index.js';
import type { KubeJson, Recording } from '../../tools/sim/index.js';
import { num } from '../../src/model/kube-json.js';
import {
  auditProblems,
  eventSubjectProblems,
  initialList,
  liveLines,
  metaOf,
  ownerProblems,
  streamOrderProblems,
} from './recording-checks.js';

function serialize(rec: Recording): string {
  return [
    ...rec.watch.map(watchLineJson),
    ...rec.events.map(watchLineJson),
    ...rec.audit.map((a) => JSON.stringify(a)),
  ].join('\n');
}

const recordings = new Map<string, Recording>(SCENARIOS.map((s) => [s, runScenario(s)]));

function rec(name: string): Recording {
  const r = recordings.get(name);
  if (r === undefined) throw new Error(`no recording for ${name}`);
  return r;
}

describe('runScenario', () => {
  describe('determinism', () => {
    it('gives byte-identical recordings for the same name and options', () => {
      expect(serialize(runScenario('rolling-update'))).toBe(serialize(rec('rolling-update')));
      expect(serialize(runScenario('crashloop', { seed: 7 }))).toBe(serialize(runScenario('crashloop', { seed: 7 })));
    });

    it('gives different uids for a different seed or cluster name', () => {
      const uids = (r: Recording): string[] => r.watch.map((l) => metaOf(l.object).uid);
      const base = new Set(uids(rec('rolling-update')));
      expect(uids(runScenario('rolling-update', { seed: 2 })).some((u) => base.has(u))).toBe(false);
      expect(uids(runScenario('rolling-update', { cluster: 'other' })).some((u) => base.has(u))).toBe(false);
    });

    it('starts the recording at startMs', () => {
      const r = runScenario('scale-up-down', { startMs: Date.UTC(2025, 0, 2, 3, 4, 5) });
      expect(r.watch[0]?.ts).toBe('2025-01-02T03:04:05.000Z');
    });
  });

  for (const name of SCENARIOS) {
    describe(`scenario ${name}`, () => {
      it('lists the three nodes first, all ADDED at the first instant', () => {
        const list = initialList(rec(name));
        expect(
          list
            .slice(0, 3)
            .map((l) => metaOf(l.object).name)
            .sort(),
        ).toEqual(['node-1', 'node-2', 'node-3']);
        expect(list.every((l) => l.type === 'ADDED')).toBe(true);
      });

      it('keeps receive times in order and resourceVersions strictly increasing after the list', () => {
        expect(streamOrderProblems(liveLines(rec(name)), 'watch')).toEqual([]);
        expect(streamOrderProblems(rec(name).events, 'events')).toEqual([]);
      });

      it('only references owners and event subjects that are in the recording', () => {
        expect(ownerProblems(rec(name))).toEqual([]);
        expect(eventSubjectProblems(rec(name))).toEqual([]);
      });

      it('matches every audited response to a later watch line with the same resourceVersion', () => {
        expect(auditProblems(rec(name))).toEqual([]);
      });

      it('bumps metadata.generation exactly when spec changes', () => {
        const prev = new Map<string, KubeJson>();
        for (const l of rec(name).watch) {
          const uid = metaOf(l.object).uid;
          const before = prev.get(uid);
          prev.set(uid, l.object);
          const gen = num(l.object, 'metadata', 'generation');
          if (before === undefined || gen === undefined || l.type === 'DELETED') continue;
          const specChanged = JSON.stringify(before['spec']) !== JSON.stringify(l.object['spec']);
          expect(gen - (num(before, 'metadata', 'generation') ?? 0)).toBe(specChanged ? 1 : 0);
        }
      });

      it('keeps audit stage timestamps in order, a few ms after receipt', () => {
        const audit = rec(name).audit;
        for (let i = 0; i < audit.length; i++) {
          const a = audit[i];
          if (a === undefined) continue;
          expect(a.stageTimestamp >= a.requestReceivedTimestamp).toBe(true);
          const prev = audit[i - 1];
          if (prev !== undefined) expect(a.stageTimestamp >= prev.stageTimestamp).toBe(true);
        }
      });
    });
  }
});
