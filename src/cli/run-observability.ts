import type { RunningService } from '../live/run-service.js';
import type { HealthReport } from '../metrics/admin-server.js';
import type { KubestitchMetrics } from '../metrics/kubestitch-metrics.js';
import type { InformerState } from '../metrics/self-metrics-sources.js';
import {
  auditFileSources,
  forwarderSources,
  otlpReceiverSources,
  pipelineSources,
  spanSinkBridgeSources,
  spoolSources,
  stitcherSources,
  synthSources,
} from '../metrics/self-metrics-adapters.js';
import type { InformerPhase } from '../sources/watch/informer.js';
import type { SpoolingSink } from '../export/spooling-sink.js';

const STATE: Readonly<Record<InformerPhase, InformerState>> = {
  starting: 'syncing',
  listing: 'syncing',
  watching: 'watching',
  backoff: 'backoff',
  stopped: 'stopped',
};

/**
 * Hands the running service's counters to the self-metrics (read at scrape time): records in per
 * source, lag, drops, informer states, the export spool. Returns the unregister function.
 */
export function registerServiceMetrics(
  metrics: KubestitchMetrics,
  service: RunningService,
  spool: SpoolingSink | undefined,
): () => void {
  const offs = [
    metrics.self.register(synthSources(service.synth)),
    metrics.self.register(pipelineSources(service.pipeline)),
    // Records in come from synth (synthSources): counting the pipeline's too would double them.
    metrics.self.register({
      informers: () =>
        service.status().informers.map((i) => ({
          name: i.resource,
          state: STATE[i.phase],
          restarts: i.restarts,
          // Every relist follows a 410 (only then is the resume point dropped); further lists
          // are retries of a list that failed, already counted as restarts.
          relists: i.relistsOn410,
          ...(i.lastListMs !== undefined ? { lastSyncMs: i.lastListMs } : {}),
        })),
    }),
    metrics.self.register({ rejected: () => service.status().rejected }),
    metrics.self.register(auditFileSources({ stats: () => service.status().auditFile })),
    ...(spool !== undefined ? [metrics.self.register(spoolSources(spool))] : []),
  ];
  const otlp = service.otlp?.parts;
  if (otlp !== undefined) {
    offs.push(metrics.self.register(stitcherSources(otlp.stitcher)));
    if (otlp.forwarder !== undefined) offs.push(metrics.self.register(forwarderSources(otlp.forwarder)));
    if (otlp.bridge !== undefined) offs.push(metrics.self.register(spanSinkBridgeSources(otlp.bridge)));
    // Real spans received count as records in (source otlp), from each receiver that listens.
    for (const receiver of otlp.receivers) offs.push(metrics.self.register(otlpReceiverSources(receiver)));
  }
  return () => {
    for (const off of offs) off();
  };
}

/** Where the process stands, for /healthz and /readyz. */
export interface RunState {
  phase: 'starting' | 'standby' | 'running' | 'stopping';
  service: RunningService | undefined;
  leader: string | undefined;
  leaderError: string | undefined;
}

/**
 * /healthz: the process works (a standby that can reach the apiserver too). 503 once stopping.
 * An informer in backoff is not unhealthy (it retries by itself; a restart would not help), but
 * its state is listed.
 */
export function healthReport(state: RunState): HealthReport {
  const ok = state.phase !== 'stopping' && (state.phase !== 'standby' || state.leaderError === undefined);
  return {
    ok,
    checks: {
      phase: state.phase,
      ...(state.leaderError !== undefined ? { leaderElection: state.leaderError } : {}),
      informers: informerChecks(state),
    },
  };
}

function informerChecks(state: RunState): Record<string, unknown> {
  return Object.fromEntries(
    (state.service?.status().informers ?? []).map((i) => [
      i.resource,
      {
        phase: i.phase,
        synced: i.synced,
        restarts: i.restarts,
        ...(i.lastError !== undefined ? { lastError: i.lastError } : {}),
      },
    ]),
  );
}

/**
 * /readyz: ready to take traffic — running (not a standby: the audit webhook and OTLP receivers
 * only listen on the leader, so a Service must not route to a standby) with every informer
 * synced. The body lists each informer's phase.
 */
export function readyReport(state: RunState): HealthReport {
  const status = state.service?.status();
  const informers = informerChecks(state);
  return {
    ok: state.phase === 'running' && status?.synced === true,
    checks: {
      phase: state.phase,
      ...(state.leader !== undefined ? { leader: state.leader } : {}),
      informers,
      ...(status !== undefined ? { journalPending: status.journal.pendingEntries } : {}),
    },
  };
}
