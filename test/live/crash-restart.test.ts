import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { synthesizeRecords } from '../../src/replay.js';
import { runScenario, writeRecording } from '../../tools/sim/index.js';
import { splitInitialList } from '../../tools/sim/apiserver/index.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { killAllCli, rolloutShapes, spawnKubestitch } from '../support/cli-process.js';
import { OtlpGrpcReceiver } from '../support/otlp-grpc-receiver.js';
import type { ReceivedSpan } from '../support/otlp-grpc-receiver.js';
import { fakeCluster, mergedLines, until } from './support/live-harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  killAllCli();
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('kubestitch run, killed with -9 in the middle of a rollout', () => {
  it(
    'finishes the trace after a restart: complete, no span exported twice, none lost',
    { timeout: 240_000 },
    async () => {
      // Real time, so object timestamps and receive times agree: the rollout starts in 10 s and
      // takes 34 s.
      const rec = runScenario('rolling-update', { startMs: Date.now() + 10_000 });
      const { initial, rest } = splitInitialList(rec);
      const lines = mergedLines(rest);
      const { api, kubeconfig } = await fakeCluster();
      cleanups.push(() => api.close());
      api.preload(initial);
      const receiver = new OtlpGrpcReceiver();
      const { url } = await receiver.start();
      cleanups.push(() => receiver.stop());
      const dataDir = await mkdtemp(join(tmpdir(), 'ks-crash-'));
      const args = ['--kubeconfig', kubeconfig, '--data-dir', dataDir, '--otlp-endpoint', url, '--cluster', 'live'];
      const play = async (from: number, to: number): Promise<void> => {
        for (const line of lines.slice(from, to)) {
          const due = Date.parse(line.ts);
          if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
          api.apply(line.type, line.object as Record<string, unknown>);
        }
      };

      const first = spawnKubestitch(['run', ...args]);
      await until(() => api.watchCount() >= 10, 'the informers to watch', 30_000);
      const third = Math.floor(lines.length / 3);
      await play(0, third);
      first.child.kill('SIGKILL');
      await first.exit;
      // The cluster goes on while kubestitch is down (it takes seconds to start again), and after.
      const second = spawnKubestitch(['run', ...args]);
      await play(third, lines.length);

      // The rollout trace ends up with every span a replay of the same recording has.
      const dir = await mkdtemp(join(tmpdir(), 'ks-crash-replay-'));
      await writeRecording(dir, { ...rec, audit: [] });
      const expected = rolloutShapes(synthesizeRecords((await readRecording(dir)).records, { cluster: 'live' }).flat());
      const whole = (): boolean => JSON.stringify(rolloutShapes(receiver.spans())) === JSON.stringify(expected);
      await until(whole, 'the whole rollout trace', 20_000).catch(() => undefined);
      second.child.kill('SIGTERM');
      expect(await second.exit).toBe(0);
      const received: ReceivedSpan[] = receiver.spans();
      expect(rolloutShapes(received)).toEqual(expected);
      const ids = received.map((s) => `${s.traceId}/${s.spanId}`);
      expect(ids.length - new Set(ids).size).toBe(0);
    },
  );
});
