/**
 * `npm run bench`: kubestitch's throughput, memory and latency against the physical limit
 * (`JSON.parse` of the same bytes). Prints a table and writes bench/results/latest.json, and
 * compares with bench/baseline.json. BENCH_SCALE=0.1 runs every workload at a tenth of its size
 * (rates and goals stay; per-pod heap needs the full size to mean anything).
 */
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { benchConfig } from './config.js';
import { measureLatency } from './latency.js';
import { measureLiveMemory } from './live-memory.js';
import { type Measurements, headlineMetrics, workloadSizes } from './metrics.js';
import { heapPhase, intakePhase, samplePhase, throughputPhase } from './phases.js';
import { formatTable, machine, readBaseline, resultsJson, writeJson } from './report.js';
import { round } from './stats.js';
import { measureStitch } from './stitch.js';

const RESULTS = fileURLToPath(new URL('results/latest.json', import.meta.url));
const BASELINE = fileURLToPath(new URL('baseline.json', import.meta.url));

async function measure(scale: number, step: (what: string) => void): Promise<Measurements> {
  const config = benchConfig(scale);
  step(`heap: ${config.heapPods.join(' / ')} tracked pods, settled then starting`);
  const heap = heapPhase(config);
  step(`throughput: ${JSON.stringify(config.throughput)}`);
  const throughput = await throughputPhase(config.throughput);
  step(`sample for latency, intake and stitch: ${config.latencyRecords} records`);
  const sample = samplePhase(config.sample, config.latencyRecords);
  step(`latency: ${sample.lines.length} records at ${config.latencyRatePerS}/s`);
  const latency = await measureLatency(sample.lines, config.latencyRatePerS);
  const intakeLines = sample.auditLines.slice(0, config.intakeEvents);
  step(`intake: ${intakeLines.length} audit events in webhook batches of ${config.intakeBatch}`);
  const intake = await intakePhase(intakeLines, config.intakeBatch);
  step('stitch: apiserver traces of the sample');
  const stitch = await measureStitch(sample.lines);
  const { pods, rounds, changesPerRound } = config.live;
  step(`live-memory: kubestitch run against a fake apiserver of ${pods} pods, ${rounds}×${changesPerRound} changes`);
  const live = await measureLiveMemory(config.live, step);
  return { config, heap, throughput, latency, intake, stitch, live };
}

function notes(r: Measurements): string[] {
  const out = [
    `latency: arrival of the record that completes a span → span handed to the exporter, leaf spans only ` +
      `(${r.latency.leafSpans} audited requests and pod phases); ${r.latency.operationSpans} operation spans ` +
      `(rollouts, scales, pod startups) are excluded: they end when their last part arrives.`,
    'heap: retained heap after GC between the two cluster sizes, per pod (owners and nodes in its share); ' +
      'objects are renamed clones of one simulated Deployment, fed as watch ADDED records.',
  ];
  const l = r.live;
  const growth = l.points.map((p) => `${p.label} ${(p.heapBytes / 1e6).toFixed(0)} MB`).join(', ');
  out.push(
    `run: \`kubestitch run --out /dev/null\` in a child process against a fake apiserver (another child) ` +
      `of ${l.pods} settled pods (${l.objects} objects); heap after full GC: ${growth}. Churn: ` +
      `${l.churn.map((c) => `${c.restarts} restarts + ${c.deletes} deletes + ${c.creates} creates`).join(', ')}. ` +
      `"clock +N min": the service's clock (Date.now) moved on past the 30 min activity windows and the 1 h ` +
      `operation age, once after the sync ("settled", the reference for the per-change figures) and once ` +
      `after the churn ("windows ended"). Synced in ${l.syncSeconds.toFixed(0)} s to /readyz, ${l.processedSeconds.toFixed(0)} s ` +
      `to every object processed; /metrics is ${(l.metricsBytes / 1e3).toFixed(0)} KB at this size.`,
  );
  if (l.recordsCountedPerEvent !== 1)
    out.push(
      `run: kubestitch_records_in_total{source="watch"} counts each event ${l.recordsCountedPerEvent}× ` +
        '(synth and pipeline both registered); the bench divides it out.',
    );
  if (r.stitch.status === 'unavailable') out.push(`stitch: not available yet (${r.stitch.reason})`);
  else {
    const s = r.stitch.stats;
    out.push(
      `stitch: time inside the Stitcher only; added latency from having spans and anchor to handing them on. ` +
        `${s.rewrittenSpans} of ${s.spansIn} spans reparented, ${s.expiredSpans} released after holdMs ` +
        `(mostly 'create events' requests, which get no pseudo-span).`,
    );
  }
  return out;
}

async function main(): Promise<void> {
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  const step = (what: string): void => console.error(`[${seconds().toFixed(0).padStart(4)}s] ${what}`);
  const scale = Number(process.env['BENCH_SCALE'] ?? '1');
  const host = machine();
  const r = await measure(scale, step);
  const metrics = headlineMetrics(r);
  const { heap, throughput, latency, intake, stitch, live } = r;
  const sim = { records_per_s: throughput.simRecords / throughput.simSeconds, seconds: throughput.simSeconds };
  await writeJson(
    RESULTS,
    resultsJson(metrics, {
      machine: host,
      command: scale === 1 ? 'npm run bench' : `BENCH_SCALE=${scale} npm run bench`,
      wall_s: round(seconds()),
      workload: workloadSizes(r),
      notes: notes(r),
      details: { throughput, heap, latency, intake, stitch, live, simulator: sim },
    }),
  );
  console.log(formatTable(metrics, await readBaseline(BASELINE)));
  for (const note of notes(r)) console.log(`\n${note}`);
  console.log(`\n${host.cpu}, ${host.cores} cores, node ${host.node}, load ${host.loadavg_1m_at_start} at start`);
  console.log(`wall ${seconds().toFixed(0)} s; written ${RESULTS}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
