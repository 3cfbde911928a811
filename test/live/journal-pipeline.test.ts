import { describe, expect, it } from 'vitest';
import { IntakeLog, MemoryStore } from '../../storage/index.js';
import { CaptureSink } from '../../src/export/capture-sink.js';
import { JournalPipeline } from '../../src/live/journal-pipeline.js';
import { runScenario } from '../../tools/sim/index.js';
import { Synthesizer } from '../../src/synth/synthesizer.js';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

async function setup(): Promise<{ intake: IntakeLog; sink: CaptureSink; pipeline: JournalPipeline }> {
  const intake = await IntakeLog.open(new MemoryStore().namespace('audit-intake'));
  const sink = new CaptureSink();
  const synth = new Synthesizer({ cluster: 'test' });
  return { intake, sink, pipeline: new JournalPipeline({ journal: intake, synth, sink, logger: silent }) };
}

function auditEntries(): { id: string; body: string }[] {
  return runScenario('rolling-update').audit.map((a) => ({ id: `${a.auditID}/${a.stage}`, body: JSON.stringify(a) }));
}

describe('JournalPipeline', () => {
  describe('drain', () => {
    it('commits everything it exported by the end of the pass', async () => {
      const { intake, sink, pipeline } = await setup();
      const entries = auditEntries();
      await intake.append(entries.slice(0, 400));
      await pipeline.drain();
      await intake.append(entries.slice(400));
      await pipeline.drain();
      expect(pipeline.stats.processed).toBe(entries.length);
      expect(sink.spans.length).toBeGreaterThan(0);
      expect(intake.committedSeq).toBe(entries.length);
      expect(intake.stats().pendingEntries).toBe(0);
    });

    it('leaves entries whose spans the sink refused uncommitted, and commits them once it accepts', async () => {
      const { intake, sink, pipeline } = await setup();
      const entries = auditEntries();
      sink.setResult({ status: 'retryable', afterMs: 10, error: new Error('backend down') });
      await intake.append(entries);
      await pipeline.drain();
      const stuck = intake.committedSeq;
      expect(stuck).toBeLessThan(entries.length);
      expect(pipeline.stats.exportFailures).toBeGreaterThan(0);
      sink.setResult({ status: 'ok' });
      await pipeline.drain();
      expect(intake.committedSeq).toBe(entries.length);
      expect(sink.spans.length).toBeGreaterThan(0);
    });
  });
});
