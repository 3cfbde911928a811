import { serverPlan, byApp } from '../kubelet/container-behavior.js';
import { US_PER_MS } from '../engine/time-format.js';
import { container } from '../objects/pod-builder.js';
import { daemonSet, probe, statefulSet } from '../objects/workloads.js';
import { s, threeNodes, type Scenario } from './scenario.js';

/** db/pg 3× postgres:16.4 → 16.6: pods replaced pg-2, pg-1, pg-0, each once the previous is ready. */
export const statefulsetRollout: Scenario = {
  prehistoryUs: s(20 * 60),
  setup(cl, t0) {
    threeNodes(cl);
    cl.behaviors.add(byApp('pg'), (_p, _c, _a, rng) => ({
      ...serverPlan(rng),
      warmupUs: rng.int(6_800, 9_500) * US_PER_MS,
      stopUs: rng.int(900, 2_600) * US_PER_MS,
      probeFailure: '/var/run/postgresql:5432 - no response\n',
    }));
    const pg = container({
      name: 'postgres',
      image: 'postgres:16.4',
      ports: [{ name: 'postgres', containerPort: 5432, protocol: 'TCP' }],
      env: [{ name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' }],
      resources: { limits: { memory: '2Gi' }, requests: { cpu: '500m', memory: '1Gi' } },
      volumeMounts: [{ name: 'data', mountPath: '/var/lib/postgresql/data' }],
      readinessProbe: probe({
        exec: { command: ['pg_isready', '-U', 'postgres'] },
        initialDelaySeconds: 5,
        periodSeconds: 5,
      }),
    });
    cl.at(t0 + s(30), () =>
      cl.kubectl.apply(statefulSet({ namespace: 'db', name: 'pg', replicas: 3, serviceName: 'pg', containers: [pg] })),
    );
  },
  script(cl, start) {
    cl.at(start + s(5), () =>
      cl.kubectl.setImage(
        { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'db', name: 'pg' },
        'postgres',
        'postgres:16.6',
      ),
    );
    return s(180);
  },
};

/** monitoring/node-exporter on every node, rolled v1.8.2 → v1.9.0 one node at a time. */
export const daemonsetRollout: Scenario = {
  prehistoryUs: s(10 * 60),
  setup(cl, t0) {
    threeNodes(cl);
    const exporter = container({
      name: 'node-exporter',
      image: 'quay.io/prometheus/node-exporter:v1.8.2',
      args: ['--path.rootfs=/host', '--web.listen-address=:9100'],
      ports: [{ name: 'metrics', containerPort: 9100, protocol: 'TCP' }],
      resources: { limits: { memory: '64Mi' }, requests: { cpu: '50m', memory: '32Mi' } },
      volumeMounts: [{ name: 'root', readOnly: true, mountPath: '/host' }],
      readinessProbe: probe({
        httpGet: { path: '/', port: 9100, scheme: 'HTTP' },
        initialDelaySeconds: 3,
        periodSeconds: 5,
      }),
    });
    const ds = daemonSet({
      namespace: 'monitoring',
      name: 'node-exporter',
      containers: [exporter],
      pod: { hostNetwork: true, volumes: [{ name: 'root', hostPath: { path: '/', type: '' } }] },
    });
    cl.at(t0 + s(25), () => cl.kubectl.apply(ds));
  },
  script(cl, start) {
    cl.at(start + s(5), () =>
      cl.kubectl.setImage(
        { apiVersion: 'apps/v1', kind: 'DaemonSet', namespace: 'monitoring', name: 'node-exporter' },
        'node-exporter',
        'quay.io/prometheus/node-exporter:v1.9.0',
      ),
    );
    return s(120);
  },
};
