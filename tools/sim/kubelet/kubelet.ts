import type { WriteCtx } from '../engine/api-server.js';
import { CoreEventRecorder } from '../engine/core-event-recorder.js';
import { jsonEqual } from '../engine/hash.js';
import { kubeletActor } from '../engine/identities.js';
import type { Pod } from '../engine/k8s-types.js';
import { idOf } from '../engine/object-table.js';
import type { Rng } from '../engine/rng.js';
import { streamOf, type SimContext } from '../engine/sim-context.js';
import { POD_STATUS_MERGE_KEYS, sortDeep, twoWayPatch } from '../engine/strategic-patch.js';
import { US_PER_MS, US_PER_S } from '../engine/time-format.js';
import { drawStartupOverheadUs } from '../objects/latency-table.js';
import type { NodeFacts } from '../objects/node-builder.js';
import type { Behaviors } from './container-behavior.js';
import { ContainerRunner } from './container-runner.js';
import { NodeStatusReporter } from './node-status.js';
import { generatePodStatus } from './pod-status.js';
import { allStopped, newPodRt, type ContainerRt, type PodRt } from './pod-runtime.js';
import { ReadinessProber } from './readiness-prober.js';

/**
 * The kubelet of one node: admits pods bound to it, creates the sandbox, runs init and app
 * containers through the ContainerRunner, reports pod status at PLEG relist ticks (1 s) as
 * strategic-merge patches, terminates pods gracefully (Killing, SIGTERM, final DELETE with grace 0),
 * and reports node status through NodeStatusReporter. `disconnect()` cuts it off from the apiserver.
 */
export class Kubelet {
  readonly facts: NodeFacts;
  readonly #c: SimContext;
  readonly #rng: Rng;
  readonly #ctx: WriteCtx;
  readonly #events: CoreEventRecorder;
  readonly #runner: ContainerRunner;
  readonly #prober: ReadinessProber;
  readonly #pods = new Map<string, PodRt>();
  readonly #overheadUs = new Map<string, number>();
  readonly #relistOffsetUs: number;
  readonly status: NodeStatusReporter;
  #connected = true;
  #ipSeq = 2;

  constructor(c: SimContext, facts: NodeFacts, behaviors: Behaviors, images: Set<string>) {
    this.#c = c;
    this.facts = facts;
    this.#rng = streamOf(c, `kubelet/${facts.name}`);
    this.#ctx = { actor: kubeletActor(facts.name, facts.ip, this.#rng) };
    this.#events = new CoreEventRecorder(c.api, c.loop, this.#rng, this.#ctx, {
      component: 'kubelet',
      host: facts.name,
    });
    this.#relistOffsetUs = this.#rng.int(0, US_PER_S - 1);
    this.status = new NodeStatusReporter(c, facts, this.#ctx, this.#events, this.#rng, images);
    this.#runner = new ContainerRunner({
      loop: c.loop,
      rng: this.#rng,
      events: this.#events,
      behaviors,
      images,
      currentPod: (rt) => this.#pod(rt),
      markDirty: (rt) => this.#markDirty(rt),
      onExit: (rt, ct) => this.#atRelist(() => this.#handleExit(rt, ct)),
      onStarted: (rt, ct) => this.#prober.watch(rt, ct, this.#nextRelistUs()),
      startDelayUs: (rt) => Math.round((this.#overheadUs.get(rt.uid) ?? 1_000_000) * 0.35),
    });
    this.#prober = new ReadinessProber(
      c.loop,
      this.#runner,
      (rt) => this.#syncStatus(rt),
      (rt) => rt.podIp ?? '',
    );
    c.hub.subscribe((type, obj, atUs) => {
      if (obj.kind === 'Pod' && (obj as Pod).spec.nodeName === facts.name) this.#onPod(type, obj as Pod, atUs);
    });
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** The node loses its connection to the apiserver: no status, no heartbeats, no events. */
  disconnect(): void {
    this.#connected = false;
    this.status.connected = false;
  }

  /** Connection back: node status first (with its transitions), then every pod's status. */
  reconnect(): void {
    this.#connected = true;
    this.status.connected = true;
    this.status.heartbeat();
    for (const rt of this.#pods.values())
      this.#c.loop.after(this.#rng.int(200, 9_000) * US_PER_MS, () => this.#syncStatus(rt));
  }

  #onPod(type: string, pod: Pod, atUs: number): void {
    if (!this.#connected) return;
    const uid = pod.metadata.uid ?? '';
    const rt = this.#pods.get(uid);
    if (type === 'DELETED') {
      this.#pods.delete(uid);
      this.#overheadUs.delete(uid);
      if (rt !== undefined) rt.terminating = true;
      return;
    }
    if (rt === undefined) {
      if (pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed') return;
      const fresh = newPodRt(pod, idOf(pod), atUs);
      this.#pods.set(uid, fresh);
      this.#c.loop.at(atUs + this.#rng.int(5, 45) * US_PER_MS, () => this.#admit(fresh));
      return;
    }
    if (pod.metadata.deletionTimestamp !== undefined && !rt.terminating) {
      this.#c.loop.at(atUs + this.#rng.int(4, 30) * US_PER_MS, () => this.#terminate(rt));
    }
  }

  #pod(rt: PodRt): Pod | undefined {
    return this.#c.api.get<Pod>(rt.id);
  }

  #admit(rt: PodRt): void {
    if (rt.terminating) return;
    rt.startUs = this.#c.loop.nowUs;
    const overhead = drawStartupOverheadUs(this.#rng);
    this.#overheadUs.set(rt.uid, overhead);
    this.#syncStatus(rt);
    this.#c.loop.after(Math.round(overhead * 0.55), () => {
      if (rt.terminating) return;
      rt.sandboxUs = this.#c.loop.nowUs;
      const pod = this.#pod(rt);
      rt.podIp =
        pod?.spec.hostNetwork === true
          ? this.facts.ip
          : `${this.facts.podCidr.split('.').slice(0, 3).join('.')}.${this.#ipSeq++}`;
      this.#nextStep(rt);
    });
  }

  /** Next init container, or all app containers one after another. */
  #nextStep(rt: PodRt): void {
    if (rt.terminating) return;
    const init = rt.inits.find((c) => !(c.state === 'terminated' && c.terminated?.exitCode === 0));
    if (init !== undefined) {
      if (init.state !== 'running') this.#runner.start(rt, init, () => undefined);
      return;
    }
    const startFrom = (i: number): void => {
      const c = rt.mains[i];
      if (c === undefined || rt.terminating) return;
      if (c.starts > 0) return startFrom(i + 1);
      this.#runner.start(rt, c, () => startFrom(i + 1));
    };
    startFrom(0);
  }

  #handleExit(rt: PodRt, c: ContainerRt): void {
    if (rt.terminating) {
      this.#afterStop(rt);
      return;
    }
    const policy = this.#pod(rt)?.spec.restartPolicy ?? 'Always';
    const failed = (c.terminated?.exitCode ?? 0) !== 0;
    if (c.init) {
      if (!failed) this.#nextStep(rt);
      else if (policy !== 'Never') this.#runner.restart(rt, c);
      else this.#killSandbox(rt);
      return;
    }
    if (policy === 'Always' || (policy === 'OnFailure' && failed)) {
      this.#runner.restart(rt, c);
      return;
    }
    if (rt.mains.every((m) => m.state === 'terminated')) this.#killSandbox(rt);
  }

  #killSandbox(rt: PodRt): void {
    this.#c.loop.after(this.#rng.int(50, 400) * US_PER_MS, () => {
      rt.sandboxDownUs = this.#c.loop.nowUs;
      this.#markDirty(rt);
    });
  }

  #terminate(rt: PodRt): void {
    if (rt.terminating) return;
    rt.terminating = true;
    const all = [...rt.inits, ...rt.mains];
    for (const c of all) {
      if (c.state !== 'running') {
        c.gen++;
        continue;
      }
      this.#runner.event(rt, c, 'Normal', 'Killing', `Stopping container ${c.spec.name}`);
      const gen = c.gen;
      this.#c.loop.after(c.plan?.stopUs ?? US_PER_S, () => this.#runner.exit(rt, c, gen, 0));
    }
    if (allStopped(rt)) this.#afterStop(rt);
  }

  #afterStop(rt: PodRt): void {
    if (!allStopped(rt) || rt.sandboxDownUs !== undefined) return;
    rt.sandboxDownUs = this.#c.loop.nowUs;
    this.#markDirty(rt);
  }

  #nextRelistUs(): number {
    const now = this.#c.loop.nowUs;
    const k = Math.floor((now - this.#relistOffsetUs) / US_PER_S) + 1;
    return this.#relistOffsetUs + k * US_PER_S + this.#rng.int(1, 40) * US_PER_MS;
  }

  #atRelist(fn: () => void): void {
    this.#c.loop.at(this.#nextRelistUs(), fn);
  }

  #markDirty(rt: PodRt): void {
    if (rt.syncQueued) return;
    rt.syncQueued = true;
    this.#atRelist(() => {
      rt.syncQueued = false;
      this.#syncStatus(rt);
    });
  }

  /** The status manager: patch pods/status when the generated status differs from the API's. */
  #syncStatus(rt: PodRt): void {
    if (!this.#connected) return;
    const cur = this.#pod(rt);
    if (cur === undefined || cur.metadata.uid !== rt.uid) return;
    const next = generatePodStatus(rt, cur, this.facts.ip, this.#c.loop.nowUs);
    if (!jsonEqual(cur.status, next)) {
      const body = sortDeep({
        metadata: { uid: rt.uid },
        status: twoWayPatch(cur.status, next, POD_STATUS_MERGE_KEYS),
      });
      this.#c.api.patch<Pod>(rt.id, body, (d) => ({ ...d, status: next }), this.#ctx, 'status');
    }
    if (rt.terminating && rt.sandboxDownUs !== undefined && !rt.finalDeleteQueued) {
      rt.finalDeleteQueued = true;
      this.#c.loop.after(this.#rng.int(20, 180) * US_PER_MS, () => {
        this.#c.api.delete(rt.id, this.#ctx, { gracePeriodSeconds: 0, preconditionUid: rt.uid });
      });
    }
  }
}
