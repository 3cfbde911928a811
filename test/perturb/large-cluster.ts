import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IngestRecord } from '../../src/model/records.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { nodeFacts, SimCluster } from '../../tools/sim/cluster.js';
import { admitJob } from '../../tools/sim/controllers/cronjob-controller.js';
import type { ObjectId } from '../../tools/sim/engine/object-table.js';
import { US_PER_MS, US_PER_S } from '../../tools/sim/engine/time-format.js';
import { batchPlan, byApp } from '../../tools/sim/kubelet/container-behavior.js';
import { container } from '../../tools/sim/objects/pod-builder.js';
import { cronJob, daemonSet, deployment, job, nginx, statefulSet } from '../../tools/sim/objects/workloads.js';
import { DEFAULT_START_MS, writeRecording } from '../../tools/sim/index.js';

/** The size of a generated cluster: its Deployments (3–4 replicas each), rolled out twice. */
export interface LargeClusterOptions {
  readonly deployments: number;
  readonly seed: number;
}

// Names that prefix one another (web / web-api / web-api-v2 …): a Deployment's ReplicaSets and
// pods are named `<deployment>-<hash>[-<suffix>]`, so an owner found by name prefix goes wrong here.
const STEMS = ['web', 'web-api', 'web-api-v2', 'cart', 'cart-worker', 'api', 'api-gw', 'search'];
const NAMESPACES = 6;
const SMALL = { requests: { cpu: '50m', memory: '64Mi' } };
// Every image is one the simulated registry has (tools/sim/objects/images.ts): any other tag fails to pull.

function s(seconds: number): number {
  return Math.round(seconds * US_PER_S);
}

function deploymentName(d: number): { namespace: string; name: string } {
  const stem = STEMS[d % STEMS.length] ?? 'app';
  const round = Math.floor(d / STEMS.length);
  return { namespace: `team-${d % NAMESPACES}`, name: round === 0 ? stem : `${stem}-${round}` };
}

function idOf(kind: string, namespace: string, name: string): ObjectId {
  return { apiVersion: kind === 'CronJob' || kind === 'Job' ? 'batch/v1' : 'apps/v1', kind, namespace, name };
}

/**
 * A busy cluster recorded with audit (DESIGN §3.6 at scale): `deployments` Deployments of 3–4
 * replicas, two StatefulSets, a DaemonSet on six nodes and a CronJob exist before the recording;
 * during its four minutes every Deployment is rolled out twice (`set image`, then `rollout
 * restart`), a namespace's worth in the same second (one audit batch), two are scaled while
 * rolling, the StatefulSets and the DaemonSet roll, two Jobs run, the CronJob fires, and three
 * Deployments are deleted while others named with their names as prefix stay. Deterministic.
 */
export function largeCluster(o: LargeClusterOptions): SimCluster {
  const start = DEFAULT_START_MS * US_PER_MS;
  const t0 = start - s(6 * 60);
  const cl = new SimCluster({ startUs: t0, seed: o.seed, cluster: `large-${o.seed}` });
  for (let i = 1; i <= 6; i++) cl.addExistingNode(nodeFacts(i, 16));
  cl.behaviors.add(byApp('batch'), (_p, _c, _a, rng) => batchPlan(rng, [4_000, 9_000], 0));
  cl.behaviors.add(byApp('report'), (_p, _c, _a, rng) => batchPlan(rng, [3_000, 6_000], 0));
  prehistory(cl, o, t0);
  cl.runUntil(start);
  cl.beginRecording();
  script(cl, o, start);
  cl.runUntil(start + s(240));
  return cl;
}

function prehistory(cl: SimCluster, o: LargeClusterOptions, t0: number): void {
  for (let d = 0; d < o.deployments; d++) {
    const { namespace, name } = deploymentName(d);
    const spec = deployment({
      namespace,
      name,
      replicas: 3 + (d % 2),
      containers: [nginx('nginx:1.25')],
      ...(d % 3 === 0 ? { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } : {}),
    });
    cl.at(t0 + s(20) + d * 700 * US_PER_MS, () => cl.kubectl.apply(spec));
  }
  for (const [i, name] of ['db', 'cache'].entries()) {
    const c = container({
      name: 'server',
      image: 'postgres:16.4',
      ports: [{ containerPort: 5432, protocol: 'TCP' }],
      resources: SMALL,
    });
    const spec = statefulSet({ namespace: 'data', name, replicas: 3, serviceName: name, containers: [c] });
    cl.at(t0 + s(10 + i), () => cl.kubectl.apply(spec));
  }
  const exporter = container({ name: 'exporter', image: 'quay.io/prometheus/node-exporter:v1.8.2', resources: SMALL });
  cl.at(t0 + s(5), () =>
    cl.kubectl.apply(daemonSet({ namespace: 'monitoring', name: 'node-exporter', containers: [exporter] })),
  );
  const report = container({ name: 'report', image: 'ghcr.io/acme/report-builder:3.2.0', resources: SMALL });
  const cj = { namespace: 'batch', name: 'report', schedule: '*/2 * * * *', backoffLimit: 2 } as const;
  cl.at(t0 + s(15), () =>
    cl.kubectl.apply(cronJob({ ...cj, restartPolicy: 'OnFailure', labels: { app: 'report' }, containers: [report] })),
  );
}

function script(cl: SimCluster, o: LargeClusterOptions, start: number): void {
  for (let d = 0; d < o.deployments; d++) {
    const { namespace, name } = deploymentName(d);
    const id = idOf('Deployment', namespace, name);
    // A namespace's Deployments roll within one second, namespaces 3 s apart.
    const first = start + s(5 + 3 * (d % NAMESPACES)) + (d % 7) * 90 * US_PER_MS;
    cl.at(first, () => cl.kubectl.setImage(id, 'nginx', 'nginx:1.26'));
    cl.at(first + s(70 + (d % 5)), () => cl.kubectl.rolloutRestart(id));
  }
  // Scaled while rolling (up), and after the first rollout (down).
  const [a, b] = [deploymentName(1), deploymentName(4)];
  cl.at(start + s(8), () => cl.kubectl.scale(idOf('Deployment', a.namespace, a.name), 6));
  cl.at(start + s(50), () => cl.kubectl.scale(idOf('Deployment', b.namespace, b.name), 1));
  cl.at(start + s(12), () => cl.kubectl.setImage(idOf('StatefulSet', 'data', 'db'), 'server', 'postgres:16.6'));
  cl.at(start + s(40), () => cl.kubectl.setImage(idOf('StatefulSet', 'data', 'cache'), 'server', 'postgres:16.6'));
  cl.at(start + s(20), () =>
    cl.kubectl.setImage(
      idOf('DaemonSet', 'monitoring', 'node-exporter'),
      'exporter',
      'quay.io/prometheus/node-exporter:v1.9.0',
    ),
  );
  for (const [i, name] of ['migrate', 'backfill'].entries()) {
    const c = container({ name: 'batch', image: 'ghcr.io/acme/shop-migrations:1.14.0', resources: {} });
    const spec = job({
      namespace: 'batch',
      name,
      backoffLimit: 1,
      restartPolicy: 'Never',
      labels: { app: 'batch' },
      containers: [c],
    });
    cl.at(start + s(30 + 25 * i), () => cl.kubectl.apply(spec, admitJob));
  }
  // `web`, `cart` and `api` go while `web-api`, `cart-worker`, `api-gw` stay.
  for (const d of [0, 3, 5].filter((x) => x < o.deployments)) {
    const { namespace, name } = deploymentName(d);
    cl.at(start + s(180), () => cl.kubectl.delete(idOf('Deployment', namespace, name)));
  }
}

/** The cluster's recording as the harness reads it (written through a temporary directory). */
export async function largeClusterRecords(o: LargeClusterOptions): Promise<IngestRecord[]> {
  const cl = largeCluster(o);
  const dir = join(await mkdtemp(join(tmpdir(), 'ks-perturb-large-')), `large-${o.deployments}`);
  await writeRecording(dir, cl.drain());
  return [...(await readRecording(dir)).records];
}
