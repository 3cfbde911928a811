import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';

/** A headline figure: its value (null when not measured), unit, and goal if it has one. */
export interface Metric {
  readonly key: string;
  readonly label: string;
  readonly value: number | null;
  readonly unit: string;
  /** e.g. `>= 0.4`; `higher`/`lower` says which way is better when there is no goal. */
  readonly goal?: string;
  readonly better: 'higher' | 'lower';
}

/** Where the run happened. */
export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly loadavg_1m_at_start: number;
}

/** The machine this process runs on, with the 1-minute load average now (others' work skews figures). */
export function machine(): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    node: process.version,
    loadavg_1m_at_start: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

/** The results file: headline keys at the top level, then machine, workload sizes and details. */
export function resultsJson(
  metrics: readonly Metric[],
  extra: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of metrics) out[m.key] = m.value;
  return { ...out, ...extra };
}

/**
 * A results file with the figures of a run of some phases put over those of `previous` (the last
 * results): each metric it measured, its phases' details and notes (a note is a phase's when it
 * starts with the same word before ':'), and a line in `partial_runs` saying which run measured
 * what, under what load. The rest stays as the run that made it left it.
 */
export function mergedResultsJson(
  previous: Readonly<Record<string, unknown>>,
  metrics: readonly Metric[],
  run: {
    readonly phases: readonly string[];
    readonly command: string;
    readonly machine: Machine;
    readonly wall_s: number;
  },
  details: Readonly<Record<string, unknown>>,
  notes: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...previous };
  for (const m of metrics) out[m.key] = m.value;
  const before = isRecord(previous['details']) ? previous['details'] : {};
  out['details'] = { ...before, ...details };
  const topic = (note: string): string => note.slice(0, Math.max(0, note.indexOf(':')));
  const replaced = new Set(notes.map(topic));
  const kept = Array.isArray(previous['notes']) ? previous['notes'].filter((n) => !replaced.has(topic(String(n)))) : [];
  out['notes'] = [...kept, ...notes];
  const runs = Array.isArray(previous['partial_runs']) ? previous['partial_runs'] : [];
  out['partial_runs'] = [...runs, { ...run, at: new Date().toISOString(), metrics: metrics.map((m) => m.key) }];
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The parsed JSON object at `path`; {} when it is missing or not an object. */
export async function readJsonObject(path: string): Promise<Record<string, unknown>> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
    return isRecord(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/** Writes `value` as pretty JSON, creating the directory. Rejects on I/O errors. */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** The headline numbers of a baseline file; an empty map when it is missing or unreadable. */
export async function readBaseline(path: string): Promise<ReadonlyMap<string, number | null>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return new Map();
  }
  const out = new Map<string, number | null>();
  if (typeof parsed !== 'object' || parsed === null) return out;
  for (const [k, v] of Object.entries(parsed)) if (typeof v === 'number' || v === null) out.set(k, v);
  return out;
}

/** The terminal table: metric, value, goal (✓/✗), baseline and the change against it. */
export function formatTable(metrics: readonly Metric[], baseline: ReadonlyMap<string, number | null>): string {
  const rows = [['metric', 'value', 'goal', 'baseline', 'change']];
  for (const m of metrics) {
    const base = baseline.get(m.key);
    rows.push([
      m.label,
      m.value === null ? 'n/a' : `${fmt(m.value)} ${m.unit}`.trim(),
      m.goal === undefined ? '' : `${m.goal} ${meets(m) ? '✓' : '✗'}`,
      base === undefined || base === null ? '—' : fmt(base),
      change(m, base),
    ]);
  }
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows
    .map((r, i) => {
      const line = r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)));
      return i === 0 ? `${line.join('  ')}\n${'-'.repeat(line.join('  ').length)}` : line.join('  ');
    })
    .join('\n');
}

function meets(m: Metric): boolean {
  const match = /^([<>]=?)\s*([\d.]+)/.exec(m.goal ?? '');
  if (match === null || m.value === null) return false;
  const limit = Number(match[2]);
  return match[1]?.startsWith('>') === true ? m.value >= limit : m.value <= limit;
}

function change(m: Metric, base: number | null | undefined): string {
  if (base === undefined || base === null || m.value === null || base === 0) return '—';
  const pct = ((m.value - base) / Math.abs(base)) * 100;
  const good = m.better === 'higher' ? pct >= 0 : pct <= 0;
  const sign = pct >= 0 ? '+' : '';
  return `${sign}${pct.toFixed(1)}% ${Math.abs(pct) < 5 ? '≈' : good ? 'better' : 'worse'}`;
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  if (abs >= 1000) return Math.round(v).toLocaleString('en-US');
  if (abs >= 10) return v.toFixed(1);
  return v.toFixed(abs >= 1 ? 2 : 3);
}
