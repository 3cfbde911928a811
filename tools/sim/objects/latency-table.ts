import type { Rng } from '../engine/rng.js';

/**
 * Pod creation → ContainersReady latency with images already on the node and no readiness probe,
 * derived from kube-burner's node-density run on a Kubernetes v1.30.5 / AWS cluster
 * (afcollins/kube-audit-log-tool, podLatencyMeasurement-node-density.json, 679 pods; values are
 * second-resolution, counts per bucket). test/sim/latency-table.test.ts re-derives it from the corpus.
 */
export const CONTAINERS_READY_MS_HISTOGRAM: readonly (readonly [ms: number, pods: number])[] = [
  [1000, 143],
  [2000, 256],
  [3000, 78],
  [4000, 81],
  [5000, 83],
  [6000, 38],
];

/** Same run: creation → PodScheduled. 655 pods within the same second, 24 across a second boundary. */
export const SCHEDULING_MS_HISTOGRAM: readonly (readonly [ms: number, pods: number])[] = [
  [0, 655],
  [1000, 24],
];

/**
 * Draws a sandbox-plus-container-start overhead in µs from the measured distribution. The bucket
 * value is a difference of two second-truncated timestamps, so the true latency lies within a
 * second below it; the draw spreads it uniformly there, with a floor of 0.6 s.
 */
export function drawStartupOverheadUs(rng: Rng): number {
  const total = CONTAINERS_READY_MS_HISTOGRAM.reduce((s, [, n]) => s + n, 0);
  let pick = rng.int(1, total);
  let ms = 1000;
  for (const [bucket, n] of CONTAINERS_READY_MS_HISTOGRAM) {
    ms = bucket;
    pick -= n;
    if (pick <= 0) break;
  }
  return Math.max(600_000, Math.round((ms - rng.range(0, 1000)) * 1000));
}
