import type { BenchConfig } from './config.js';
import type { LatencyResult } from './latency.js';
import type { LiveMemoryResult, LiveStorm } from './live-memory.js';
import type { HeapPhase, IntakePhase, ThroughputPhase } from './phases.js';
import type { ReplayPhaseResult } from './replay-phase.js';
import type { Metric } from './report.js';
import { round } from './stats.js';
import type { StitchResult } from './stitch.js';

/** Everything one run measured; a phase not selected (BENCH_PHASES) is absent. */
export interface Measurements {
  readonly config: BenchConfig;
  readonly heap?: HeapPhase;
  readonly throughput?: ThroughputPhase;
  readonly replay?: ReplayPhaseResult;
  readonly latency?: LatencyResult;
  readonly intake?: IntakePhase;
  readonly stitch?: StitchResult;
  readonly live?: LiveMemoryResult;
}

const MB = 1e6;

/** The headline figures of the phases that ran, in table order; the keys are those of results/latest.json. */
export function headlineMetrics(r: Measurements): Metric[] {
  const rate = r.config.latencyRatePerS;
  return [
    ...(r.throughput === undefined ? [] : throughputMetrics(r.throughput)),
    ...(r.replay === undefined ? [] : replayMetrics(r.replay)),
    ...(r.heap === undefined ? [] : heapMetrics(r.heap)),
    ...(r.latency === undefined
      ? []
      : [
          m('latency_p50_ms', `latency p50 @${rate}/s`, r.latency.p50Ms, 'ms', 'lower'),
          m('latency_p99_ms', `latency p99 @${rate}/s`, r.latency.p99Ms, 'ms', 'lower'),
        ]),
    ...(r.stitch === undefined ? [] : stitchMetrics(r.stitch)),
    ...(r.intake === undefined ? [] : intakeMetrics(r.intake)),
    ...(r.live === undefined ? [] : liveMetrics(r.live)),
  ];
}

function throughputMetrics({ audit, watch }: ThroughputPhase): Metric[] {
  return [
    m('audit_records_per_s', 'audit ingest', audit.records / audit.pipelineSeconds, 'rec/s', 'higher'),
    m('audit_mb_per_s', 'audit ingest', audit.bytes / MB / audit.pipelineSeconds, 'MB/s', 'higher'),
    m('audit_json_parse_mb_per_s', 'audit JSON.parse', audit.bytes / MB / audit.jsonParseSeconds, 'MB/s', 'higher'),
    m(
      'audit_vs_json_parse',
      'audit ingest / JSON.parse',
      audit.jsonParseSeconds / audit.pipelineSeconds,
      '',
      'higher',
      '>= 0.4',
    ),
    m('watch_records_per_s', 'watch+Events ingest', watch.records / watch.pipelineSeconds, 'rec/s', 'higher'),
    m('watch_mb_per_s', 'watch+Events ingest', watch.bytes / MB / watch.pipelineSeconds, 'MB/s', 'higher'),
    m('watch_json_parse_mb_per_s', 'watch JSON.parse', watch.bytes / MB / watch.jsonParseSeconds, 'MB/s', 'higher'),
    m(
      'watch_vs_json_parse',
      'watch ingest / JSON.parse',
      watch.jsonParseSeconds / watch.pipelineSeconds,
      '',
      'higher',
      '>= 0.4',
    ),
  ];
}

function replayMetrics(r: ReplayPhaseResult): Metric[] {
  const size = `${r.cluster.deployments}×${r.cluster.podsPerDeployment} cluster`;
  return [
    m('replay_records_per_s', `replay → OTLP/JSON, ${size}`, r.records / r.replaySeconds, 'rec/s', 'higher'),
    m(
      'replay_vs_json_parse',
      'replay / read-lines+JSON.parse',
      r.parseSeconds / r.replaySeconds,
      '',
      'higher',
      '>= 0.4',
    ),
    m(
      'replay_cpu_vs_json_parse',
      'replay / JSON.parse, CPU time',
      r.parseCpuSeconds / r.replayCpuSeconds,
      '',
      'higher',
    ),
    m(
      'replay_peak_rss_mb',
      `replay peak RSS, ${(r.bytes / MB).toFixed(0)} MB in`,
      r.replayMaxRssBytes / MB,
      'MB',
      'lower',
      '<= 300',
    ),
    // Node and the built CLI's modules alone (`kubestitch --version`): the floor under the peak.
    m('replay_startup_rss_mb', 'CLI start-up RSS (no replay)', r.startupMaxRssBytes / MB, 'MB', 'lower'),
    m('replay_spans_per_request', 'replay spans per OTLP request', r.spans / r.requests, '', 'higher'),
  ];
}

function heapMetrics(heap: HeapPhase): Metric[] {
  const largest = heap.settled.points.at(-1);
  return [
    m('heap_bytes_per_pod', 'heap per settled pod', heap.settled.bytesPerPod, 'B', 'lower', '<= 1024'),
    m('heap_bytes_per_pod_open_ops', 'heap per starting pod', heap.starting.bytesPerPod, 'B', 'lower'),
    m('heap_mb_settled', `heap, ${largest?.pods ?? 0} settled pods`, (largest?.heapBytes ?? NaN) / MB, 'MB', 'lower'),
    m('peak_rss_mb', `peak RSS, ${largest?.pods ?? 0} settled pods`, heap.peakRssMb, 'MB', 'lower'),
  ];
}

function stitchMetrics(stitch: StitchResult): Metric[] {
  const stitched = stitch.status === 'ok' ? stitch : undefined;
  return [
    m('stitch_spans_per_s', 'stitch forwarding', stitched?.spansPerS ?? null, 'spans/s', 'higher'),
    m('stitch_latency_p50_ms', 'stitch added latency p50', stitched?.addedP50Ms ?? null, 'ms', 'lower'),
    m('stitch_latency_p99_ms', 'stitch added latency p99', stitched?.addedP99Ms ?? null, 'ms', 'lower'),
  ];
}

function intakeMetrics(intake: IntakePhase): Metric[] {
  return [
    m('durable_records_per_s', 'audit via LevelDB intake', intake.leveldb.recordsPerS, 'rec/s', 'higher'),
    m('memory_intake_records_per_s', 'audit via memory intake', intake.memory.recordsPerS, 'rec/s', 'higher'),
    m(
      'durable_vs_memory',
      'LevelDB / memory intake',
      intake.leveldb.recordsPerS / intake.memory.recordsPerS,
      '',
      'higher',
    ),
  ];
}

function liveMetrics(l: LiveMemoryResult): Metric[] {
  const synced = l.points[0];
  const ended = l.points.at(-1);
  const churn = l.churn.reduce((a, c) => ({ events: a.events + c.events, s: a.s + c.seconds }), { events: 0, s: 0 });
  const pods = `${l.pods} pods`;
  return [
    m('live_sync_s', `run: first full sync, ${pods}`, l.processedSeconds, 's', 'lower'),
    m('live_sync_objects_per_s', 'run: objects listed and processed', l.syncObjectsPerS, 'obj/s', 'higher'),
    m('live_heap_mb_synced', `run: heap after sync, ${pods}`, (synced?.heapBytes ?? NaN) / MB, 'MB', 'lower'),
    m('live_heap_bytes_per_pod', 'run: heap per pod (all of it)', l.heapBytesPerPod, 'B', 'lower'),
    m('live_heap_mb_settled', 'run: heap once the sync settled', l.settledHeapBytes / MB, 'MB', 'lower'),
    m(
      'live_heap_bytes_per_pod_settled',
      'run: heap per pod, settled (all of it)',
      l.settledHeapBytes / l.pods,
      'B',
      'lower',
      '<= 1024',
    ),
    m(
      'live_heap_bytes_per_pod_settled_over_idle',
      'run: heap per pod, settled, over the idle service',
      l.settledBytesPerPodOverIdle,
      'B',
      'lower',
    ),
    m('live_rss_mb_synced', `run: RSS after sync, ${pods}`, (synced?.rssBytes ?? NaN) / MB, 'MB', 'lower'),
    m('live_peak_rss_mb', 'run: peak RSS', l.peakRssBytes / MB, 'MB', 'lower'),
    m('live_churn_events_per_s', 'run: pod changes processed', churn.events / churn.s, 'ev/s', 'higher'),
    m(
      'live_heap_growth_bytes_per_change',
      'run: heap per change, windows open',
      l.heapGrowthBytesPerChange,
      'B',
      'lower',
    ),
    m(
      'live_heap_retained_bytes_per_change',
      'run: heap per change, windows ended',
      l.heapRetainedBytesPerChange,
      'B',
      'lower',
      '<= 100',
    ),
    m('live_data_dir_mb', 'run: data dir after churn', (ended?.dataDirBytes ?? NaN) / MB, 'MB', 'lower'),
    ...(l.storm === undefined ? [] : stormMetrics(l.storm)),
  ];
}

function stormMetrics(s: LiveStorm): Metric[] {
  const pods = `${s.pods} pending pods`;
  return [
    m(
      'live_storm_bytes_per_pending_pod',
      `run: heap per pod, storm of ${pods}`,
      s.heapBytesPerPendingPod,
      'B',
      'lower',
    ),
    m(
      'live_storm_bytes_per_pending_pod_expired',
      'run: heap per storm pod, startups ended',
      s.heapBytesPerPendingPodAfterMaxAge,
      'B',
      'lower',
    ),
    m('live_storm_peak_rss_mb', `run: peak RSS with the storm`, s.peakRssBytes / MB, 'MB', 'lower'),
  ];
}

/** Workload sizes of the phases that ran, as written to the results file. */
export function workloadSizes(r: Measurements): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (r.throughput !== undefined) {
    const { audit, watch } = r.throughput;
    Object.assign(out, {
      throughput: r.config.throughput,
      audit_records: audit.records,
      audit_bytes: audit.bytes,
      watch_records: watch.records,
      watch_bytes: watch.bytes,
    });
  }
  if (r.replay !== undefined) {
    Object.assign(out, { replay: r.config.replay, replay_records: r.replay.records, replay_bytes: r.replay.bytes });
  }
  if (r.heap !== undefined) {
    Object.assign(out, {
      heap_pods: r.config.heapPods,
      heap_deployments: r.config.heapPods.map((p) => p / r.config.podsPerDeployment),
    });
  }
  if (r.latency !== undefined) out['latency_records'] = r.latency.records;
  if (r.intake !== undefined)
    Object.assign(out, { intake_events: r.intake.leveldb.records, intake_batch: r.config.intakeBatch });
  if (r.stitch !== undefined) out['stitch_spans'] = r.stitch.status === 'ok' ? r.stitch.spans : 0;
  if (r.live !== undefined) Object.assign(out, { live: r.config.live, live_objects: r.live.objects });
  return out;
}

function m(
  key: string,
  label: string,
  value: number | null,
  unit: string,
  better: Metric['better'],
  goal?: string,
): Metric {
  const v = value === null || !Number.isFinite(value) ? null : round(value, 4);
  return goal === undefined ? { key, label, value: v, unit, better } : { key, label, value: v, unit, better, goal };
}
