/**
 * SelfMetricsSources over the stats objects components already keep, so the wiring code writes
 * `metrics.self.register(synthSources(synth))` instead of spelling label values itself. Each
 * adapter takes the component structurally (only its stats), so tests can pass plain objects.
 */
import type { AuditFileFollowerStats } from '../sources/audit/audit-file-follower.js';
import type { OtlpServerStats } from '../sources/otlp/otlp-grpc-server.js';
import type { SpoolingSinkStats } from '../export/spooling-sink.js';
import type { SpanSinkBridgeStats } from '../export/span-sink-bridge.js';
import type { StitchStats } from '../stitch/stitch-types.js';
import type { SynthStats } from '../synth/synthesizer.js';
import type { SelfMetricsSources } from './self-metrics-sources.js';

/** Drop reasons the adapters report (`kubestitch_drops_total{reason}`). */
export const DROP_REASON = {
  auditMalformed: 'audit-malformed',
  exportBacklogFull: 'export-backlog-full',
  auditFileMalformed: 'audit-file-malformed',
  forwardFailed: 'otlp-forward-failed',
  realSpanUnconvertible: 'real-span-unconvertible',
  realSpanExportFailed: 'real-span-export-failed',
  realSpanRefused: 'real-span-queue-full',
  /** Open operations / activity windows ended early (close_reason max-open): too many open at once. */
  openOperationsFull: 'open-operations-full',
  openWindowsFull: 'open-windows-full',
  /** CRD owners the deletion tracker forgot past its bound: their deletion, later, is no operation. */
  deletionOwnersFull: 'deletion-owners-full',
} as const;

/**
 * Records synth processed, by source: `watch` (objects), `events`, `audit`; and the operations
 * and windows it ended early because too many were open (drops `open-operations-full`,
 * `open-windows-full`: exported unfinished, but no longer followed), and the CRD owners it forgot
 * (`deletion-owners-full`).
 */
export function synthSources(synth: {
  readonly stats: Readonly<SynthStats>;
  readonly evictions?: { readonly operations: number; readonly windows: number };
  readonly deletionOwnersForgotten?: number;
}): SelfMetricsSources {
  return {
    recordsIn: () => ({
      watch: synth.stats.objectRecords,
      events: synth.stats.eventRecords,
      audit: synth.stats.auditRecords,
    }),
    drops: () => ({
      [DROP_REASON.openOperationsFull]: synth.evictions?.operations ?? 0,
      [DROP_REASON.openWindowsFull]: synth.evictions?.windows ?? 0,
      [DROP_REASON.deletionOwnersFull]: synth.deletionOwnersForgotten ?? 0,
    }),
  };
}

/**
 * The live intake pipeline: malformed intake entries, spans dropped from a full export backlog
 * and, when it keeps one, the lag of its last record (`kubestitch_lag_seconds{source="pipeline"}`).
 * Structural, so it fits the audit intake pipeline and its journal successor alike.
 */
export function pipelineSources(pipeline: {
  readonly stats: { readonly malformed: number; readonly droppedSpans: number; readonly lagMs?: number };
}): SelfMetricsSources {
  return {
    drops: () => ({
      [DROP_REASON.auditMalformed]: pipeline.stats.malformed,
      [DROP_REASON.exportBacklogFull]: pipeline.stats.droppedSpans,
    }),
    lagSeconds: (): Record<string, number> => {
      const lag = pipeline.stats.lagMs;
      return lag === undefined ? {} : { pipeline: lag / 1000 };
    },
  };
}

/**
 * The export spool: bytes held and spans dropped (total, and by reason as `spool-<reason>` drops).
 * Structural over SpoolingSink.stats().
 */
export function spoolSources(spool: {
  stats(): { readonly spooledBytes: number; readonly droppedSpans: Readonly<Record<string, number>> };
}): SelfMetricsSources {
  return {
    spool: () => {
      const s = spool.stats();
      return { bytes: s.spooledBytes, droppedSpans: Object.values(s.droppedSpans).reduce((a, b) => a + b, 0) };
    },
    drops: () =>
      Object.fromEntries(Object.entries(spool.stats().droppedSpans).map(([reason, n]) => [`spool-${reason}`, n])),
  };
}

/** The audit log follower's unusable lines (nothing while no follower runs). */
export function auditFileSources(follower: {
  stats(): Pick<AuditFileFollowerStats, 'malformedLines'> | undefined;
}): SelfMetricsSources {
  return {
    drops: (): Record<string, number> => {
      const stats = follower.stats();
      return stats === undefined ? {} : { [DROP_REASON.auditFileMalformed]: stats.malformedLines };
    },
  };
}

/** Real spans received by an OTLP receiver (gRPC and HTTP add up under source `otlp`). */
export function otlpReceiverSources(server: { stats(): OtlpServerStats }): SelfMetricsSources {
  return { recordsIn: () => ({ otlp: server.stats().spans }) };
}

/** The stitch stage's hits, misses and hold timeouts. */
export function stitcherSources(stitcher: { readonly stats: Readonly<StitchStats> }): SelfMetricsSources {
  return { stitch: () => stitcher.stats };
}

/**
 * Real spans forwarded to `--otlp-forward-endpoint` (`spans_out{sink="otlp-forward"}`: exported)
 * and what its spool gave up on (any reason, as `otlp-forward-failed`). Structural over
 * SpoolingSink.stats(); refusals are the bridge's (spanSinkBridgeSources).
 */
export function forwarderSources(forwarder: {
  stats(): Pick<SpoolingSinkStats, 'exportedSpans' | 'droppedSpans'>;
}): SelfMetricsSources {
  return {
    spansOut: () => ({ 'otlp-forward': forwarder.stats().exportedSpans }),
    drops: () => ({
      [DROP_REASON.forwardFailed]: Object.values(forwarder.stats().droppedSpans).reduce((a, b) => a + b, 0),
    }),
  };
}

/** Real spans written to the span sink when nothing is forwarded (their spans_out is MetricsSink's). */
export function spanSinkBridgeSources(bridge: { readonly stats: Readonly<SpanSinkBridgeStats> }): SelfMetricsSources {
  return {
    drops: () => ({
      [DROP_REASON.realSpanUnconvertible]: bridge.stats.unconvertibleSpans,
      [DROP_REASON.realSpanExportFailed]: bridge.stats.failedSpans,
      [DROP_REASON.realSpanRefused]: bridge.stats.refusedSpans,
    }),
  };
}
