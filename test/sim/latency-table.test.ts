import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../tools/sim/engine/rng.js';
import {
  CONTAINERS_READY_MS_HISTOGRAM,
  drawStartupOverheadUs,
  SCHEDULING_MS_HISTOGRAM,
} from '../../tools/sim/objects/latency-table.js';
import { CORPUS, corpusPath } from '../support/corpus.js';

const BURNER = corpusPath(CORPUS.kubeBurner);

function histogram(values: number[]): [number, number][] {
  const h = new Map<number, number>();
  for (const v of values) h.set(v, (h.get(v) ?? 0) + 1);
  return [...h].sort((a, b) => a[0] - b[0]);
}

describe('latency table', () => {
  describe('CONTAINERS_READY_MS_HISTOGRAM', () => {
    it('is the histogram of the kube-burner node-density measurement', () => {
      const dir = readdirSync(BURNER).find((d) => d.startsWith('collected-metrics-')) ?? '';
      const rows = JSON.parse(readFileSync(join(BURNER, dir, 'podLatencyMeasurement-node-density.json'), 'utf8')) as {
        containersReadyLatency: number;
        schedulingLatency: number;
      }[];
      expect(histogram(rows.map((r) => r.containersReadyLatency))).toEqual(CONTAINERS_READY_MS_HISTOGRAM);
      expect(histogram(rows.map((r) => r.schedulingLatency))).toEqual(SCHEDULING_MS_HISTOGRAM);
    });
  });

  describe('drawStartupOverheadUs', () => {
    it('stays within the measured range and is centred like it', () => {
      const rng = new Rng(5);
      const draws = Array.from({ length: 2000 }, () => drawStartupOverheadUs(rng));
      expect(Math.min(...draws)).toBeGreaterThanOrEqual(600_000);
      expect(Math.max(...draws)).toBeLessThanOrEqual(6_000_000);
      const sorted = [...draws].sort((a, b) => a - b);
      const median = sorted[sorted.length >> 1] ?? 0;
      expect(median).toBeGreaterThan(1_000_000);
      expect(median).toBeLessThan(2_500_000);
    });
  });
});
