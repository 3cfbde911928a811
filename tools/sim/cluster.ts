import { CronJobController } from './controllers/cronjob-controller.js';
import { DaemonSetController } from './controllers/daemonset-controller.js';
import { DeploymentController } from './controllers/deployment-controller.js';
import { GarbageCollector } from './controllers/garbage-collector.js';
import { JobController } from './controllers/job-controller.js';
import { NodeLifecycleController } from './controllers/node-lifecycle-controller.js';
import { ReplicaSetController } from './controllers/replicaset-controller.js';
import { Scheduler } from './controllers/scheduler.js';
import { StatefulSetController } from './controllers/statefulset-controller.js';
import { ApiServer } from './engine/api-server.js';
import { EventLoop } from './engine/event-loop.js';
import { Kubectl } from './engine/kubectl.js';
import { ObjectTable } from './engine/object-table.js';
import { RecordingSink } from './engine/recording-sink.js';
import { Rng } from './engine/rng.js';
import type { SimContext } from './engine/sim-context.js';
import { US_PER_S } from './engine/time-format.js';
import { WatchHub } from './engine/watch-hub.js';
import { Behaviors } from './kubelet/container-behavior.js';
import { Kubelet } from './kubelet/kubelet.js';
import { buildNode, type NodeFacts } from './objects/node-builder.js';
import type { Recording } from './types.js';

const DAY_US = 86_400 * US_PER_S;

export interface ClusterOptions {
  /** Virtual time the cluster starts at (µs since the epoch). */
  readonly startUs: number;
  readonly seed: number;
  /** Mixed into every random stream, so two clusters with one seed never share uids. */
  readonly cluster: string;
}

/** node-N's address, pod CIDR and zone. */
export function nodeFacts(index: number, cpu = 4): NodeFacts {
  const zones = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
  return {
    name: `node-${index}`,
    ip: `10.0.${Math.floor(index / 250) + 1}.${(index % 250) + 10}`,
    podCidr: `10.244.${index}.0/24`,
    zone: zones[(index - 1) % zones.length] ?? 'eu-west-1a',
    cpu,
  };
}

/**
 * A whole simulated cluster: virtual clock, apiserver/etcd, the control-plane controllers,
 * kube-scheduler, one kubelet per node and a kubectl user, all reacting to each other through
 * watches. Nothing is recorded until `beginRecording()`.
 */
export class SimCluster {
  readonly loop: EventLoop;
  readonly sink = new RecordingSink();
  readonly api: ApiServer;
  readonly ctx: SimContext;
  readonly behaviors = new Behaviors();
  readonly kubectl: Kubectl;
  readonly kubelets = new Map<string, Kubelet>();
  readonly #cidrs = new Map<string, string>();
  readonly #rng: Rng;

  constructor(opts: ClusterOptions) {
    const seedKey = `${opts.cluster}`;
    this.#rng = new Rng(opts.seed, `${seedKey}/cluster`);
    this.loop = new EventLoop(opts.startUs);
    const hub = new WatchHub(new Rng(opts.seed, `${seedKey}/watch`), this.sink);
    const table = new ObjectTable(new Rng(opts.seed, `${seedKey}/etcd`), this.#rng.int(1_200_000, 4_800_000));
    this.api = new ApiServer({
      table,
      loop: this.loop,
      rng: new Rng(opts.seed, `${seedKey}/apiserver`),
      sink: this.sink,
      hub,
    });
    this.ctx = { loop: this.loop, api: this.api, hub, seed: opts.seed, streamPrefix: seedKey };
    new DeploymentController(this.ctx);
    new ReplicaSetController(this.ctx);
    new Scheduler(this.ctx);
    new JobController(this.ctx);
    new CronJobController(this.ctx);
    new StatefulSetController(this.ctx);
    new DaemonSetController(this.ctx);
    new GarbageCollector(this.ctx);
    new NodeLifecycleController(this.ctx, this.#cidrs).start();
    this.kubectl = new Kubectl(this.ctx);
  }

  /** A node that has been in the cluster for weeks: Ready, heartbeating, its kubelet running. */
  addExistingNode(facts: NodeFacts, preloadedImages: readonly string[] = []): Kubelet {
    const kubelet = this.#kubelet(facts, preloadedImages);
    const age = this.#rng.int(20, 60) * DAY_US + this.#rng.int(0, DAY_US);
    const node = buildNode(
      facts,
      new Rng(this.ctx.seed, `${this.ctx.streamPrefix}/node/${facts.name}`),
      this.loop.nowUs - age,
      true,
    );
    this.api.preload(node, this.loop.nowUs - age);
    kubelet.status.start();
    return kubelet;
  }

  /** A node that joins now: its kubelet registers it; the CNI is up `cniReadyUs` later. */
  joinNode(facts: NodeFacts, cniReadyUs: number): Kubelet {
    const kubelet = this.#kubelet(facts, []);
    kubelet.status.register(cniReadyUs);
    kubelet.status.start();
    return kubelet;
  }

  #kubelet(facts: NodeFacts, images: readonly string[]): Kubelet {
    this.#cidrs.set(facts.name, facts.podCidr);
    const kubelet = new Kubelet(this.ctx, facts, this.behaviors, new Set(images));
    this.kubelets.set(facts.name, kubelet);
    return kubelet;
  }

  /** Runs `fn` at `atUs` of virtual time. */
  at(atUs: number, fn: () => void): void {
    this.loop.at(atUs, fn);
  }

  runUntil(atUs: number): void {
    this.loop.runUntil(atUs);
  }

  /** Starts recording: the watch's initial list (ADDED for what exists), then live changes. */
  beginRecording(): void {
    const listedUs = this.ctx.hub.beginRecording(this.api.table, this.loop.nowUs);
    this.loop.advanceTo(listedUs);
  }

  /** Everything recorded since the last drain. */
  drain(): Recording {
    return this.sink.drain();
  }
}
