/**
 * Standalone fake apiserver for benchmarks and manual runs:
 *
 *   node --import tsx tools/sim/apiserver/main.ts --scenario rolling-update --port 0 [--pods 100000]
 *     [--speed instant|N] [--kubeconfig PATH] [--context NAME] [--bookmark-interval-ms MS]
 *
 * Prints one JSON line on stdout once it serves ({"url","kubeconfig","resourceVersion","pid"}),
 * progress on stderr, and serves until SIGTERM/SIGINT. With --speed instant (default) the
 * scenario is fully played before the line is printed; with a number it plays after it, paced.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runScenario } from '../run-scenario.js';
import { SCENARIOS } from '../scenarios/index.js';
import type { ScenarioName } from '../scenarios/index.js';
import { startFakeApiserver } from './fake-apiserver.js';
import { loadObjects, playRecording } from './play-recording.js';
import { syntheticPods } from './synthetic-pods.js';

function fail(message: string): never {
  process.stderr.write(`fake-apiserver: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      port: { type: 'string', default: '0' },
      pods: { type: 'string', default: '0' },
      speed: { type: 'string', default: 'instant' },
      kubeconfig: { type: 'string' },
      context: { type: 'string', default: 'sim' },
      'bookmark-interval-ms': { type: 'string', default: '1000' },
    },
    strict: true,
  });
  const scenario = values.scenario;
  if (scenario !== undefined && !(SCENARIOS as readonly string[]).includes(scenario))
    fail(`unknown scenario ${scenario}; one of ${SCENARIOS.join(', ')}`);
  const speed = values.speed === 'instant' ? 'instant' : Number(values.speed);
  if (speed !== 'instant' && !(speed > 0)) fail(`--speed must be "instant" or a positive number, not ${values.speed}`);
  const pods = Number(values.pods);
  if (!Number.isInteger(pods) || pods < 0) fail(`--pods must be a non-negative integer, not ${values.pods}`);

  const server = await startFakeApiserver({
    port: Number(values.port),
    bookmarkIntervalMs: Number(values['bookmark-interval-ms']),
  });
  const kubeconfig = await server.kubeconfig(
    values.kubeconfig ?? join(await mkdtemp(join(tmpdir(), 'kubestitch-fake-apiserver-')), 'kubeconfig'),
    values.context,
  );
  const stop = new AbortController();
  const shutdown = (): void => {
    stop.abort();
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  if (pods > 0) {
    const n = await loadObjects(server, syntheticPods(pods));
    process.stderr.write(`fake-apiserver: loaded ${n} pods at resourceVersion ${server.resourceVersion()}\n`);
  }
  const recording = scenario === undefined ? undefined : runScenario(scenario as ScenarioName);
  const play = async (): Promise<void> => {
    if (recording === undefined) return;
    const r = await playRecording(server, recording, { speed, signal: stop.signal });
    process.stderr.write(`fake-apiserver: played ${r.applied} lines (${r.skipped} skipped) of ${scenario}\n`);
  };
  if (speed === 'instant') await play();
  process.stdout.write(
    `${JSON.stringify({ url: server.url, kubeconfig, resourceVersion: server.resourceVersion(), pid: process.pid })}\n`,
  );
  if (speed !== 'instant') await play();
}

main().catch((e: unknown) => fail((e as Error).stack ?? String(e)));
