import type { WorkloadOptions } from '../tools/sim/index.js';
import type { LiveMemoryConfig } from './live-memory.js';
import type { ReplayClusterOptions } from './replay-cluster.js';

/** Sizes of one bench run. */
export interface BenchConfig {
  /** The simulated workload replayed for audit and watch throughput. */
  readonly throughput: WorkloadOptions;
  /** Cluster sizes (pods) at which retained heap is read. */
  readonly heapPods: readonly number[];
  readonly podsPerDeployment: number;
  /** Paced latency run: records per second and how many records. */
  readonly latencyRatePerS: number;
  readonly latencyRecords: number;
  /** Audit events pushed through the intake log, and events per webhook batch. */
  readonly intakeEvents: number;
  readonly intakeBatch: number;
  /** The workload the latency, intake and stitch phases take their lines from. */
  readonly sample: WorkloadOptions;
  /** `kubestitch run` against a fake apiserver: cluster size and pod churn after the sync. */
  readonly live: LiveMemoryConfig;
  /** `kubestitch replay` of a generated cluster: Deployments × replicas, each rolled out `rollouts` times. */
  readonly replay: ReplayClusterOptions;
}

/**
 * The full-size run, or every size times `scale` (BENCH_SCALE, for a quick look; rates stay).
 * Throws on a scale that is not a positive number.
 */
export function benchConfig(scale: number): BenchConfig {
  if (!(scale > 0)) throw new Error(`BENCH_SCALE must be a positive number, got ${scale}`);
  const n = (v: number): number => Math.max(1, Math.round(v * scale));
  return {
    // Chunks of 20 s (~1,900 audit records on average): each chunk is read and parsed whole before
    // it is processed, and a 60 s one (~5,500, up to 9,400) kept more parsed records alive than
    // replay's reorder window (4,096 lines, parsed when taken) or `run` (each as it arrives).
    throughput: { deployments: n(200), podsPerDeployment: 20, rollouts: 2, seed: 1, cluster: 'bench', chunkMs: 20_000 },
    heapPods: [n(10_000), n(100_000)],
    podsPerDeployment: 20,
    latencyRatePerS: 5_000,
    latencyRecords: n(100_000),
    intakeEvents: n(20_000),
    intakeBatch: 400,
    sample: { deployments: n(200), podsPerDeployment: 20, rollouts: 2, seed: 2, cluster: 'bench' },
    live: { pods: n(100_000), podsPerDeployment: 20, rounds: 2, changesPerRound: n(10_000) },
    replay: { deployments: n(1_000), podsPerDeployment: 4, rollouts: 2 },
  };
}
