import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KvStore } from '../../storage/index.js';
import { CaptureSink } from '../../src/export/capture-sink.js';
import type { SpanSink } from '../../src/export/sink.js';
import { startRunService } from '../../src/live/run-service.js';
import { shutdownSteps } from '../../src/live/run-shutdown.js';
import type { StartedParts } from '../../src/live/run-shutdown.js';
import { runShutdown } from '../../src/live/shutdown.js';

function capturingLogger(): {
  logger: { info: () => void; warn: () => void; error: (obj: object, msg: string) => void };
  errors: { obj: object; msg: string }[];
} {
  const errors: { obj: object; msg: string }[] = [];
  return {
    logger: { info: () => undefined, warn: () => undefined, error: (obj, msg) => errors.push({ obj, msg }) },
    errors,
  };
}

// Every part a run can start, each noting when it was stopped.
function everyPart(calls: string[]): StartedParts {
  const note = (name: string) => (): Promise<void> => {
    calls.push(name);
    return Promise.resolve();
  };
  const stoppable = (name: string) => ({
    stop: () => {
      calls.push(name);
      return Promise.resolve();
    },
  });
  const sink: SpanSink = {
    write: () => Promise.resolve({ status: 'ok' }),
    flush: () => {
      calls.push('sink.flush');
      return Promise.resolve();
    },
    shutdown: () => {
      calls.push('sink.shutdown');
      return Promise.resolve();
    },
  };
  return {
    store: { close: note('store') } as unknown as KvStore,
    sink: { sink, owned: true },
    intake: { close: note('intake') } as unknown as StartedParts['intake'],
    otlp: { close: note('otlp') },
    pipeline: { drain: note('pipeline') },
    webhook: stoppable('webhook'),
    follower: stoppable('follower'),
    watch: stoppable('watch'),
    ticker: stoppable('ticker'),
    compactor: stoppable('compactor'),
  };
}

describe('run shutdown', () => {
  describe('shutdownSteps', () => {
    it('stops intake, drains the journal, then the OTLP stage, the journal, the export and the store', async () => {
      const calls: string[] = [];
      const steps = shutdownSteps(everyPart(calls));
      expect(steps.map((s) => s.name)).toEqual([
        'stop journal compaction',
        'stop clock ticks',
        'stop informers',
        'stop audit log follower',
        'stop audit webhook',
        'drain journal',
        'stop OTLP receivers',
        'close journal',
        'drain export',
        'close store',
      ]);
      await runShutdown(steps, capturingLogger().logger);
      expect(calls).toEqual([
        'compactor',
        'ticker',
        'watch',
        'follower',
        'webhook',
        'pipeline',
        'otlp',
        'intake',
        'sink.flush',
        'sink.shutdown',
        'store',
      ]);
    });

    it('only flushes a sink it was given (the caller shuts it down), and has no step for a part not started', async () => {
      const calls: string[] = [];
      const parts = everyPart(calls);
      const given = parts.sink;
      if (given === undefined) throw new Error('no sink');
      const steps = shutdownSteps({ store: parts.store, sink: { sink: given.sink, owned: false } });
      expect(steps.map((s) => s.name)).toEqual(['drain export', 'close store']);
      await runShutdown(steps, capturingLogger().logger);
      expect(calls).toEqual(['sink.flush', 'store']);
    });
  });

  describe('runShutdown', () => {
    it('logs a failing step by name and still runs every later step', async () => {
      const ran: string[] = [];
      const { logger, errors } = capturingLogger();
      const failed = await runShutdown(
        [
          { name: 'stop audit webhook', run: () => Promise.reject(new Error('EBUSY')) },
          { name: 'drain export', run: () => (ran.push('drain export'), Promise.resolve()) },
          { name: 'close store', run: () => (ran.push('close store'), Promise.resolve()) },
        ],
        logger,
      );
      expect(failed).toEqual(['stop audit webhook']);
      expect(ran).toEqual(['drain export', 'close store']);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.obj).toMatchObject({ step: 'stop audit webhook' });
      expect(errors[0]?.msg).toContain('stop audit webhook failed');
    });
  });

  describe('startRunService stop', () => {
    it('closes the store even when the export cannot drain, and says which step failed', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'ks-shutdown-'));
      const auditLog = join(dataDir, '..', `${dataDir.split('/').pop() ?? 'x'}.audit.log`);
      await writeFile(auditLog, '');
      const { logger, errors } = capturingLogger();
      const stuck = new CaptureSink();
      const svc = await startRunService({
        cluster: 'live',
        dataDir,
        auditLogPath: auditLog,
        // Built for the store: the service owns it and drains it on stop.
        sink: () => Promise.resolve(Object.assign(stuck, { flush: () => Promise.reject(new Error('backend gone')) })),
        logger,
      });
      await svc.stop();
      expect(errors.map((e) => e.obj)).toEqual([expect.objectContaining({ step: 'drain export' })]);
      // The data dir's lock is free again: the store was closed after the failed step.
      const again = await startRunService({ cluster: 'live', dataDir, sink: new CaptureSink(), logger });
      await again.stop();
      expect(errors).toHaveLength(1);
    });
  });
});
