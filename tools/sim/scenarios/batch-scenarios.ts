import { admitJob, nextScheduleUs } from '../controllers/cronjob-controller.js';
import { batchPlan, byApp } from '../kubelet/container-behavior.js';
import { container } from '../objects/pod-builder.js';
import { cronJob, job } from '../objects/workloads.js';
import { s, threeNodes, type Scenario } from './scenario.js';

/**
 * shop/db-migrate (backoffLimit 3, an init container waiting for the database): the first two pods
 * fail with exit code 1, the third succeeds.
 */
export const jobRetries: Scenario = {
  prehistoryUs: s(5 * 60),
  setup(cl) {
    threeNodes(cl);
    const seen = new Map<string, number>();
    cl.behaviors.add(byApp('db-migrate', 'wait-for-db'), (_p, _c, _a, rng) => batchPlan(rng, [900, 2_200], 0));
    cl.behaviors.add(byApp('db-migrate', 'migrate'), (pod, _c, _a, rng) => {
      const uid = pod.metadata.uid ?? '';
      if (!seen.has(uid)) seen.set(uid, seen.size);
      return (seen.get(uid) ?? 0) < 2 ? batchPlan(rng, [3_500, 6_500], 1) : batchPlan(rng, [5_000, 9_000], 0);
    });
  },
  script(cl, start) {
    const spec = job({
      namespace: 'shop',
      name: 'db-migrate',
      backoffLimit: 3,
      restartPolicy: 'Never',
      labels: { app: 'db-migrate' },
      initContainers: [
        container({
          name: 'wait-for-db',
          image: 'busybox:1.36',
          command: ['sh', '-c', 'until nc -z postgres.shop.svc 5432; do sleep 1; done'],
          resources: {},
        }),
      ],
      containers: [
        container({
          name: 'migrate',
          image: 'ghcr.io/acme/shop-migrations:1.14.0',
          args: ['migrate', '--to=latest'],
          env: [{ name: 'DATABASE_HOST', value: 'postgres.shop.svc' }],
          resources: { limits: { memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
        }),
      ],
    });
    cl.at(start + s(3), () => cl.kubectl.apply(spec, admitJob));
    return s(120);
  },
};

/**
 * batch/report runs every 5 minutes; three earlier runs exist. The recording covers the next run:
 * Job `report-<minutes>` with one pod to completion, SawCompletedJob, and the oldest Job deleted
 * (history limit 3) with its pod collected by the garbage collector.
 */
export const cronjob: Scenario = {
  prehistoryUs: s(17 * 60),
  setup(cl, t0) {
    threeNodes(cl);
    cl.behaviors.add(byApp('report'), (_p, _c, _a, rng) => batchPlan(rng, [6_000, 12_000], 0));
    const report = cronJob({
      namespace: 'batch',
      name: 'report',
      schedule: '*/5 * * * *',
      backoffLimit: 2,
      restartPolicy: 'OnFailure',
      labels: { app: 'report' },
      containers: [
        container({
          name: 'report',
          image: 'ghcr.io/acme/report-builder:3.2.0',
          args: ['--window=5m', '--out=s3://acme-reports/hourly/'],
          resources: { limits: { memory: '512Mi' }, requests: { cpu: '250m', memory: '256Mi' } },
        }),
      ],
    });
    cl.at(t0 + s(20), () => cl.kubectl.apply(report));
  },
  script(cl, start) {
    const next = nextScheduleUs('*/5 * * * *', start - 1);
    return next - start + s(90);
  },
};
