/**
 * `npm run bench`: kubestitch's throughput, memory and latency against the physical limit
 * (`JSON.parse` of the same bytes). Prints a table and writes bench/results/latest.json, and
 * compares with bench/baseline.json. BENCH_SCALE=0.1 runs every workload at a tenth of its size
 * (rates and goals stay; per-pod heap needs the full size to mean anything). BENCH_PHASES=replay,throughput
 * runs only those phases (of heap, throughput, replay, latency, intake, stitch, live) and puts
 * their figures into results/latest.json over the last ones, noting the run in `partial_runs`
 * (a scaled run of some phases leaves it alone).
 */
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { benchConfig } from './config.js';
import { measureLatency } from './latency.js';
import { type LiveMemoryResult, measureLiveMemory } from './live-memory.js';
import { type Measurements, headlineMetrics, workloadSizes } from './metrics.js';
import { heapPhase, intakePhase, samplePhase, throughputPhase } from './phases.js';
import {
  formatTable,
  machine,
  mergedResultsJson,
  readBaseline,
  readJsonObject,
  resultsJson,
  writeJson,
} from './report.js';
import { type ReplayPhaseResult, replayPhase } from './replay-phase.js';
import { round } from './stats.js';
import { measureStitch } from './stitch.js';

const RESULTS = fileURLToPath(new URL('results/latest.json', import.meta.url));
const BASELINE = fileURLToPath(new URL('baseline.json', import.meta.url));

const PHASES = ['heap', 'throughput', 'replay', 'latency', 'intake', 'stitch', 'live'] as const;
type Phase = (typeof PHASES)[number];

/** The phases BENCH_PHASES names (all when unset). Throws for a name that is not a phase. */
function selectedPhases(list: string | undefined): ReadonlySet<Phase> {
  if (list === undefined || list.trim() === '') return new Set(PHASES);
  const names = list.split(',').map((p) => p.trim());
  const unknown = names.filter((p) => !(PHASES as readonly string[]).includes(p));
  if (unknown.length > 0)
    throw new Error(`BENCH_PHASES: no phase ${unknown.join(', ')} (phases: ${PHASES.join(', ')})`);
  return new Set(PHASES.filter((p) => names.includes(p)));
}

async function measure(scale: number, phases: ReadonlySet<Phase>, step: (what: string) => void): Promise<Measurements> {
  const config = benchConfig(scale);
  const r: { -readonly [K in keyof Measurements]: Measurements[K] } = { config };
  if (phases.has('heap')) {
    step(`heap: ${config.heapPods.join(' / ')} tracked pods, settled then starting`);
    r.heap = heapPhase(config);
  }
  if (phases.has('throughput')) {
    step(`throughput: ${JSON.stringify(config.throughput)}`);
    r.throughput = await throughputPhase(config.throughput);
  }
  if (phases.has('replay')) {
    step(`replay: kubestitch replay --out of a generated cluster ${JSON.stringify(config.replay)}`);
    r.replay = await replayPhase(config.replay);
  }
  if (phases.has('latency') || phases.has('intake') || phases.has('stitch')) {
    step(`sample for latency, intake and stitch: ${config.latencyRecords} records`);
    const sample = samplePhase(config.sample, config.latencyRecords);
    if (phases.has('latency')) {
      step(`latency: ${sample.lines.length} records at ${config.latencyRatePerS}/s`);
      r.latency = await measureLatency(sample.lines, config.latencyRatePerS);
    }
    if (phases.has('intake')) {
      const intakeLines = sample.auditLines.slice(0, config.intakeEvents);
      step(`intake: ${intakeLines.length} audit events in webhook batches of ${config.intakeBatch}`);
      r.intake = await intakePhase(intakeLines, config.intakeBatch);
    }
    if (phases.has('stitch')) {
      step('stitch: apiserver traces of the sample');
      r.stitch = await measureStitch(sample.lines);
    }
  }
  if (phases.has('live')) {
    const { pods, rounds, changesPerRound } = config.live;
    step(`live-memory: kubestitch run against a fake apiserver of ${pods} pods, ${rounds}×${changesPerRound} changes`);
    r.live = await measureLiveMemory(config.live, step);
  }
  return r;
}

function notes(r: Measurements): string[] {
  const out: string[] = [];
  if (r.latency !== undefined)
    out.push(
      `latency: arrival of the record that completes a span → span handed to the exporter, leaf spans only ` +
        `(${r.latency.leafSpans} audited requests and pod phases); ${r.latency.operationSpans} operation spans ` +
        `(rollouts, scales, pod startups) are excluded: they end when their last part arrives.`,
    );
  if (r.heap !== undefined)
    out.push(
      'heap: retained heap after GC between the two cluster sizes, per pod (owners and nodes in its share); ' +
        'objects are renamed clones of one simulated Deployment, fed as watch ADDED records.',
    );
  if (r.replay !== undefined) out.push(replayNote(r.replay));
  if (r.live !== undefined) out.push(...liveNotes(r.live));
  if (r.stitch?.status === 'unavailable') out.push(`stitch: not available yet (${r.stitch.reason})`);
  else if (r.stitch !== undefined) {
    const s = r.stitch.stats;
    out.push(
      `stitch: time inside the Stitcher only; added latency from having spans and anchor to handing them on. ` +
        `${s.rewrittenSpans} of ${s.spansIn} spans reparented, ${s.expiredSpans} released after holdMs ` +
        `(mostly 'create events' requests, which get no pseudo-span).`,
    );
  }
  return out;
}

function replayNote(p: ReplayPhaseResult): string {
  const { deployments, podsPerDeployment, rollouts } = p.cluster;
  return (
    `replay: the built \`kubestitch replay DIR --out FILE\` (bin/kubestitch.js, dist/) in a child process, ` +
    `timed and its peak RSS read inside it at exit (start-up included) ` +
    `over a generated recording of ${deployments} Deployments × ${podsPerDeployment} replicas rolled out ` +
    `${rollouts}× (watch.jsonl + events.jsonl: ${p.records} records, ${(p.bytes / 1e6).toFixed(0)} MB; clones of ` +
    `one simulated Deployment, 20 alive at a time), against reading the same files line by line and JSON.parse ` +
    `of each line in this process (${p.parseSeconds.toFixed(1)} s). Replay ${p.replaySeconds.toFixed(1)} s wall, ` +
    `${p.replayCpuSeconds.toFixed(1)} s CPU; \`kubestitch --version\` measured the same way: ` +
    `${p.startupSeconds.toFixed(2)} s, ${(p.startupMaxRssBytes / 1e6).toFixed(0)} MB peak RSS. ${p.spans} spans in ${p.requests} requests, ` +
    `${(p.outputBytes / 1e6).toFixed(0)} MB of OTLP/JSON.`
  );
}

function liveNotes(l: LiveMemoryResult): string[] {
  const out: string[] = [];
  const growth = l.points.map((p) => `${p.label} ${(p.heapBytes / 1e6).toFixed(0)} MB`).join(', ');
  out.push(
    `run: \`kubestitch run --out /dev/null\` (the built CLI, bin/kubestitch.js) in a child process against a fake apiserver (another child) ` +
      `of ${l.pods} settled pods (${l.objects} objects); heap after full GC: ${growth}. Churn: ` +
      `${l.churn.map((c) => `${c.restarts} restarts + ${c.deletes} deletes + ${c.creates} creates`).join(', ')}. ` +
      `"clock +N min": the service's clock (Date.now) moved on past the 30 min activity windows and the 1 h ` +
      `operation age, once after the sync ("settled", the reference for the per-change figures) and once ` +
      `after the churn ("windows ended"). Synced in ${l.syncSeconds.toFixed(0)} s to /readyz, ${l.processedSeconds.toFixed(0)} s ` +
      `to every object processed; /metrics is ${(l.metricsBytes / 1e3).toFixed(0)} KB at this size. The same ` +
      `service watching one empty namespace (the built CLI's modules, the Nodes) holds ` +
      `${(l.idleHeapBytes / 1e6).toFixed(0)} MB: the part of the heap that is not per pod.`,
  );
  if (l.storm !== undefined) {
    const s = l.storm;
    out.push(
      `run: storm — ${s.pods} pods created at once under the cluster's ReplicaSets, unschedulable (Pending), ` +
        `processed in ${s.seconds.toFixed(0)} s; heap ${s.points.map((p) => `${p.label} ${(p.heapBytes / 1e6).toFixed(0)} MB`).join(', ')}; ` +
        `${s.operationsEvicted} pod startups ended early by the bound on open operations (drops open-operations-full).`,
    );
  }
  if (l.recordsCountedPerEvent !== 1)
    out.push(
      `run: kubestitch_records_in_total{source="watch"} counts each event ${l.recordsCountedPerEvent}× ` +
        '(synth and pipeline both registered); the bench divides it out.',
    );
  return out;
}

async function main(): Promise<void> {
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  const step = (what: string): void => console.error(`[${seconds().toFixed(0).padStart(4)}s] ${what}`);
  const scale = Number(process.env['BENCH_SCALE'] ?? '1');
  const phases = selectedPhases(process.env['BENCH_PHASES']);
  const host = machine();
  const r = await measure(scale, phases, step);
  const metrics = headlineMetrics(r);
  console.log(formatTable(metrics, await readBaseline(BASELINE)));
  for (const note of notes(r)) console.log(`\n${note}`);
  console.log(`\n${host.cpu}, ${host.cores} cores, node ${host.node}, load ${host.loadavg_1m_at_start} at start`);
  const { heap, throughput, replay, latency, intake, stitch, live } = r;
  if (phases.size < PHASES.length && scale !== 1) {
    console.log(`wall ${seconds().toFixed(0)} s; a scaled run of some phases, so ${RESULTS} is left as it was`);
    return;
  }
  if (phases.size < PHASES.length) {
    // Only these phases' figures change; the others stay as the run that measured them left them.
    const list = [...phases];
    const run = {
      phases: list,
      command: `BENCH_PHASES=${list.join(',')} ${commandOf(scale)}`,
      machine: host,
      wall_s: round(seconds()),
    };
    const details = { throughput, replay, heap, latency, intake, stitch, live };
    const measured = Object.fromEntries(Object.entries(details).filter(([, v]) => v !== undefined));
    await writeJson(RESULTS, mergedResultsJson(await readJsonObject(RESULTS), metrics, run, measured, notes(r)));
    console.log(`wall ${seconds().toFixed(0)} s; phases ${list.join(', ')} only, merged into ${RESULTS}`);
    return;
  }
  const sim = throughput && {
    records_per_s: throughput.simRecords / throughput.simSeconds,
    seconds: throughput.simSeconds,
  };
  await writeJson(
    RESULTS,
    resultsJson(metrics, {
      machine: host,
      command: commandOf(scale),
      wall_s: round(seconds()),
      workload: workloadSizes(r),
      notes: notes(r),
      details: { throughput, replay, heap, latency, intake, stitch, live, simulator: sim },
    }),
  );
  console.log(`wall ${seconds().toFixed(0)} s; written ${RESULTS}`);
}

function commandOf(scale: number): string {
  return scale === 1 ? 'npm run bench' : `BENCH_SCALE=${scale} npm run bench`;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
