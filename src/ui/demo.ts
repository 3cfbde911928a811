import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTraceStore } from '../../storage/index.js';
import type { TraceStore } from '../../storage/index.js';
import { assembleOutputs } from '../app/outputs.js';
import { replayDirectory } from '../replay.js';
import { DEFAULT_UI_ADDR, parseListenAddr, startUiServer } from './ui-server.js';
import type { UiServer } from './ui-server.js';

export interface DemoOptions {
  /** The bundled demo folder (`examples/demo`): `rollout/` and `real-audit/` recordings. */
  readonly demoDir: string;
  /** Viewer address; default 127.0.0.1:16686, or a free port when that one is taken. */
  readonly addr?: string;
  /** Where the store lives; default a fresh temp dir, removed on stop. */
  readonly dataDir?: string;
  readonly log: (line: string) => void;
}

/** A running demo: where to look, and how to stop it. */
export interface RunningDemo {
  readonly url: string;
  /** The rollout of Deployment shop/web, the trace to open first. */
  readonly rolloutUrl: string | undefined;
  stop(): Promise<void>;
}

const RECORDINGS = ['rollout', 'real-audit'] as const;

async function listen(store: TraceStore, addr: string | undefined, log: (l: string) => void): Promise<UiServer> {
  try {
    return await startUiServer({ store, addr: addr ?? DEFAULT_UI_ADDR });
  } catch (err: unknown) {
    // On a fresh clone the only likely failure is a Jaeger already on 16686: take any free port.
    if (addr !== undefined || (err as { code?: string }).code !== 'EADDRINUSE') throw err;
    log(`kubestitch demo: ${DEFAULT_UI_ADDR} is in use; serving on a free port instead`);
    return startUiServer({ store, addr: `${parseListenAddr(DEFAULT_UI_ADDR).host}:0` });
  }
}

/**
 * `npm run demo`: replays the bundled recordings into an embedded trace store and serves the
 * viewer. Rejects when a recording cannot be read, the store cannot be opened or the address
 * cannot be bound (everything opened so far is closed again).
 */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const tempDir = options.dataDir === undefined ? await mkdtemp(join(tmpdir(), 'kubestitch-demo-')) : undefined;
  const dataDir = options.dataDir ?? tempDir ?? '';
  const store = await openTraceStore(dataDir);
  const cleanup = async (): Promise<void> => {
    await store.close();
    if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
  };
  try {
    // The same assembly as replay and run; the demo's only output is the store it serves.
    const { sink } = await assembleOutputs({ traceStore: store });
    if (sink === undefined) throw new Error('no output assembled for the demo store');
    for (const name of RECORDINGS) {
      const summary = await replayDirectory(join(options.demoDir, name), sink, { cluster: 'demo' });
      options.log(
        `kubestitch demo: ${name}: ${summary.recording.records.length} records → ${summary.spans} spans in ${summary.traces} traces`,
      );
      if (summary.exportFailures.length > 0)
        throw new Error(`storing ${name} failed: ${summary.exportFailures[0] ?? ''}`);
    }
    await sink.flush();
    const server = await listen(store, options.addr, options.log);
    const [web] = await store.searchObjects('Deployment shop/web', { limit: 1 });
    const rollout = web?.traces.find((t) => t.root.name === 'Deployment rollout');
    return {
      url: `${server.url}/`,
      rolloutUrl: rollout === undefined ? undefined : `${server.url}/trace/${rollout.traceId}`,
      stop: async () => {
        await server.close();
        await cleanup();
      },
    };
  } catch (err: unknown) {
    await cleanup();
    throw err;
  }
}
