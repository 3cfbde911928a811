import { describe, expect, it } from 'vitest';
import { type Metric, mergedResultsJson } from '../../bench/report.js';

const machine = { cpu: 'x', cores: 2, node: 'v20', loadavg_1m_at_start: 3 };
const metric = (key: string, value: number): Metric => ({ key, label: key, value, unit: '', better: 'higher' });

describe('mergedResultsJson', () => {
  it("replaces only the measured phases' figures, details and notes, and says which run measured them", () => {
    const previous = {
      replay_vs_json_parse: 0.1,
      audit_vs_json_parse: 0.2,
      machine: { cpu: 'full run' },
      notes: ['latency: old', 'replay: old'],
      details: { replay: { old: true }, latency: { kept: true } },
    };
    const run = { phases: ['replay'], command: 'BENCH_PHASES=replay npm run bench', machine, wall_s: 300 };
    const out = mergedResultsJson(previous, [metric('replay_vs_json_parse', 0.3)], run, { replay: { new: true } }, [
      'replay: new',
    ]);
    expect(out['replay_vs_json_parse']).toBe(0.3);
    expect(out['audit_vs_json_parse']).toBe(0.2);
    expect(out['machine']).toEqual({ cpu: 'full run' });
    expect(out['notes']).toEqual(['latency: old', 'replay: new']);
    expect(out['details']).toEqual({ replay: { new: true }, latency: { kept: true } });
    expect(out['partial_runs']).toEqual([expect.objectContaining({ ...run, metrics: ['replay_vs_json_parse'] })]);
  });
});
