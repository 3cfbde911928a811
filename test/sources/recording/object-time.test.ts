import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/model/kube-json.js';
import { estimateWriteTimeMs, numericResourceVersion } from '../../../src/sources/recording/object-time.js';
import { CORPUS, readCorpusJson, readCorpusYaml } from '../../support/corpus.js';

const ms = (iso: string): number => Date.parse(iso);

describe('object-time', () => {
  describe('estimateWriteTimeMs', () => {
    it('takes the latest condition transition of a real running pod', async () => {
      // Created 19:27:22, started 19:27:23, container running 19:27:24, Ready 19:27:25.
      const pod = await readCorpusJson(`${CORPUS.k9s}p1.json`);
      expect(estimateWriteTimeMs(pod)).toBe(ms('2019-12-31T19:27:25Z'));
    });

    it('takes condition lastUpdateTime of a real Deployment', async () => {
      const dp = await readCorpusJson(`${CORPUS.k9s}dp.json`);
      expect(estimateWriteTimeMs(dp)).toBe(ms('2019-07-14T04:54:20Z'));
    });

    it('reads a real pod with managedFields and container states', async () => {
      const pod = await readCorpusYaml(`${CORPUS.khi}k8s/sample_pod.yaml`);
      expect(estimateWriteTimeMs(pod)).toBe(ms('2024-01-01T09:36:15Z'));
    });

    it('uses a managedFields update time later than everything else', () => {
      const obj: JsonObject = {
        kind: 'Service',
        metadata: {
          name: 's',
          creationTimestamp: '2024-05-01T10:00:00Z',
          managedFields: [
            { manager: 'kubectl', time: '2024-05-01T10:00:00Z' },
            { manager: 'x', time: '2024-05-01T11:30:00Z' },
          ],
        },
      };
      expect(estimateWriteTimeMs(obj)).toBe(ms('2024-05-01T11:30:00Z'));
    });

    it('counts a graceful deletion at its request time, not its deadline', () => {
      const pod: JsonObject = {
        kind: 'Pod',
        metadata: {
          name: 'p',
          creationTimestamp: '2024-05-01T10:00:00Z',
          deletionTimestamp: '2024-05-01T10:10:30Z',
          deletionGracePeriodSeconds: 30,
        },
      };
      expect(estimateWriteTimeMs(pod)).toBe(ms('2024-05-01T10:10:00Z'));
    });

    it('sees terminated times of init containers and of the last state', () => {
      const pod: JsonObject = {
        kind: 'Pod',
        metadata: { name: 'p', creationTimestamp: '2024-05-01T10:00:00Z' },
        status: {
          initContainerStatuses: [
            {
              name: 'init',
              state: { terminated: { startedAt: '2024-05-01T10:00:05Z', finishedAt: '2024-05-01T10:00:09Z' } },
            },
          ],
          containerStatuses: [
            {
              name: 'app',
              state: { waiting: { reason: 'CrashLoopBackOff' } },
              lastState: { terminated: { startedAt: '2024-05-01T10:00:10Z', finishedAt: '2024-05-01T10:00:42Z' } },
            },
          ],
        },
      };
      expect(estimateWriteTimeMs(pod)).toBe(ms('2024-05-01T10:00:42Z'));
    });

    it('keeps microseconds of a MicroTime field', () => {
      const obj: JsonObject = {
        kind: 'Lease',
        metadata: { name: 'l', managedFields: [{ time: '2024-05-01T10:00:00.250000Z' }] },
      };
      expect(estimateWriteTimeMs(obj)).toBe(ms('2024-05-01T10:00:00.250Z'));
    });

    it('returns undefined when the object holds no timestamp', () => {
      expect(
        estimateWriteTimeMs({ kind: 'Pod', metadata: { name: 'p' }, status: { phase: 'Pending' } }),
      ).toBeUndefined();
    });
  });

  describe('numericResourceVersion', () => {
    it('reads an etcd revision', async () => {
      expect(numericResourceVersion(await readCorpusJson(`${CORPUS.k9s}dp.json`))).toBe(37116271);
    });

    it('returns undefined for a missing or opaque resourceVersion', () => {
      for (const rv of [undefined, '', 'abc', '12a', '-5', '1234567890123456', 12]) {
        expect(numericResourceVersion({ metadata: { resourceVersion: rv } })).toBeUndefined();
      }
    });
  });
});
