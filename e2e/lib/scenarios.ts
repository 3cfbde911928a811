/**
 * The workloads the e2e drives against the real control plane, each in its own namespace and all
 * at once (as in a cluster, operations overlap). What a test later expects of each trace is in
 * e2e/tests/; the names here (namespaces, objects) are how it finds them.
 */
import type { Kubectl } from './kubectl.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Label that makes the fake kubelet (kwok stage pod-ready) never report the pod Ready. */
export const NEVER_READY = 'e2e.kubestitch.dev/never-ready';
/**
 * Template label: kwok fails the container (stage pod-fail) of a Job pod whose attempt — the
 * job-controller's job-index-failure-count annotation, 0 for the first — is below this number.
 */
export const FAIL_ATTEMPTS = 'e2e.kubestitch.dev/fail-attempts';

function namespace(name: string): string {
  return `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${name} }\n`;
}

function podSpec(image: string, labels: Record<string, string>, extra = ''): string {
  const l = Object.entries(labels)
    .map(([k, v]) => `${k}: "${v}"`)
    .join(', ');
  return `
    metadata: { labels: { ${l} } }
    spec:
      terminationGracePeriodSeconds: 5
      ${extra}
      containers:
        - name: app
          image: ${image}
          resources: { requests: { cpu: 100m, memory: 64Mi } }`;
}

async function deploymentLifecycle(k: Kubectl): Promise<void> {
  const ns = 'e2e-deploy';
  const manifest = (image: string): string => `${namespace(ns)}---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: ${ns} }
spec:
  replicas: 3
  progressDeadlineSeconds: 120
  selector: { matchLabels: { app: web } }
  strategy: { type: RollingUpdate, rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }
  template:${podSpec(image, { app: 'web' })}
`;
  await k.apply(manifest('nginx:1.25'));
  await k.run(['rollout', 'status', '-n', ns, 'deployment/web', '--timeout=120s']);
  await sleep(3000);
  await k.run(['set', 'image', '-n', ns, 'deployment/web', 'app=nginx:1.26']);
  await k.run(['rollout', 'status', '-n', ns, 'deployment/web', '--timeout=120s']);
  await sleep(3000);
  await k.run(['scale', '-n', ns, 'deployment/web', '--replicas=5']);
  await k.run(['rollout', 'status', '-n', ns, 'deployment/web', '--timeout=120s']);
  await sleep(3000);
  await k.run(['scale', '-n', ns, 'deployment/web', '--replicas=2']);
  await k.until('web scaled down to 2 pods', async () => {
    const pods = await k.json<{ items: unknown[] }>(['get', 'pods', '-n', ns, '-l', 'app=web']);
    return pods.items.length === 2;
  });
  await sleep(3000);
  await k.run(['delete', '-n', ns, 'deployment/web', '--wait=true', '--timeout=120s']);
  await k.until('web pods gone', async () => {
    const pods = await k.json<{ items: unknown[] }>(['get', 'pods', '-n', ns, '-l', 'app=web']);
    return pods.items.length === 0;
  });
}

async function stuckRollout(k: Kubectl): Promise<void> {
  const ns = 'e2e-stuck';
  await k.apply(`${namespace(ns)}---
apiVersion: apps/v1
kind: Deployment
metadata: { name: stuck, namespace: ${ns} }
spec:
  replicas: 2
  progressDeadlineSeconds: 15
  selector: { matchLabels: { app: stuck } }
  template:${podSpec('nginx:9.9', { app: 'stuck', [NEVER_READY]: 'true' })}
`);
  await k.until(
    'stuck to report ProgressDeadlineExceeded',
    async () => {
      const d = await k.json<{ status?: { conditions?: { type: string; reason?: string }[] } }>([
        'get',
        'deployment',
        '-n',
        ns,
        'stuck',
      ]);
      return (d.status?.conditions ?? []).some(
        (c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded',
      );
    },
    90_000,
  );
}

async function statefulSetRollout(k: Kubectl): Promise<void> {
  const ns = 'e2e-sts';
  const manifest = (image: string): string => `${namespace(ns)}---
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: db, namespace: ${ns} }
spec:
  replicas: 2
  serviceName: db
  selector: { matchLabels: { app: db } }
  template:${podSpec(image, { app: 'db' })}
`;
  await k.apply(manifest('postgres:16.1'));
  await k.run(['rollout', 'status', '-n', ns, 'statefulset/db', '--timeout=120s']);
  await sleep(3000);
  await k.apply(manifest('postgres:16.2'));
  await k.run(['rollout', 'status', '-n', ns, 'statefulset/db', '--timeout=120s']);
}

async function daemonSetRollout(k: Kubectl): Promise<void> {
  const ns = 'e2e-ds';
  const manifest = (image: string): string => `${namespace(ns)}---
apiVersion: apps/v1
kind: DaemonSet
metadata: { name: agent, namespace: ${ns} }
spec:
  selector: { matchLabels: { app: agent } }
  template:${podSpec(image, { app: 'agent' })}
`;
  await k.apply(manifest('fluent-bit:3.0'));
  await k.run(['rollout', 'status', '-n', ns, 'daemonset/agent', '--timeout=120s']);
  await sleep(3000);
  await k.apply(manifest('fluent-bit:3.1'));
  await k.run(['rollout', 'status', '-n', ns, 'daemonset/agent', '--timeout=120s']);
}

async function jobWithRetry(k: Kubectl): Promise<void> {
  const ns = 'e2e-job';
  // The first attempt's container exits 1 (kwok's pod-fail stage) and the retry the job-controller
  // creates after its back-off succeeds. Indexed with backoffLimitPerIndex so that the controller
  // numbers each attempt on the pod it creates (job-index-failure-count): the failing attempt is
  // known from the pod's creation, where a label added once the pod existed raced kwok making it
  // Ready (under load the label landed after the pod was on its way to Succeeded).
  await k.apply(`${namespace(ns)}---
apiVersion: batch/v1
kind: Job
metadata: { name: migrate, namespace: ${ns} }
spec:
  completionMode: Indexed
  completions: 1
  backoffLimitPerIndex: 3
  template:${podSpec('migrate:1.0', { app: 'migrate', [FAIL_ATTEMPTS]: '1' }, 'restartPolicy: Never')}
`);
  await k.run(['wait', '-n', ns, 'job/migrate', '--for=condition=Complete', '--timeout=120s']);
}

async function cronJobRun(k: Kubectl): Promise<void> {
  const ns = 'e2e-cron';
  await k.apply(`${namespace(ns)}---
apiVersion: batch/v1
kind: CronJob
metadata: { name: report, namespace: ${ns} }
spec:
  schedule: '* * * * *'
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      backoffLimit: 0
      template:${podSpec('report:1.0', { app: 'report' }, 'restartPolicy: Never')
        .split('\n')
        .map((l) => (l === '' ? l : '    ' + l))
        .join('\n')}
`);
  // The controller starts a Job at the next full minute: up to 60 s, plus the run.
  await k.until(
    'a report Job to complete',
    async () => {
      const jobs = await k.json<{ items: { status?: { succeeded?: number } }[] }>(['get', 'jobs', '-n', ns]);
      return jobs.items.some((j) => (j.status?.succeeded ?? 0) > 0);
    },
    150_000,
  );
  await k.run(['patch', '-n', ns, 'cronjob/report', '--type=merge', '-p', '{"spec":{"suspend":true}}']);
}

export const SCENARIOS = {
  deploy: deploymentLifecycle,
  stuck: stuckRollout,
  sts: statefulSetRollout,
  ds: daemonSetRollout,
  job: jobWithRetry,
  cron: cronJobRun,
} as const;
