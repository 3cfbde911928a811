/**
 * Reads the chart's Grafana dashboard and lists what its queries reference, so a test can hold
 * it against a real exposition.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const DASHBOARD_PATH = fileURLToPath(
  new URL('../../charts/kubestitch/dashboards/kubestitch.json', import.meta.url),
);

export interface DashboardTarget {
  readonly panel: string;
  readonly expr: string;
  readonly exemplar: boolean;
  readonly datasourceUid: string | undefined;
}

export interface DashboardPanel {
  readonly title: string;
  readonly type: string;
  readonly datasourceUid: string | undefined;
  readonly links: readonly { readonly url: string }[];
  readonly targets: readonly DashboardTarget[];
}

export interface Dashboard {
  readonly schemaVersion: number;
  readonly uid: string;
  readonly variables: readonly { readonly name: string; readonly type: string; readonly query: unknown }[];
  readonly panels: readonly DashboardPanel[];
}

interface RawPanel {
  title?: string;
  type?: string;
  datasource?: { uid?: string };
  fieldConfig?: { defaults?: { links?: { url: string }[] } };
  targets?: { expr?: string; exemplar?: boolean; datasource?: { uid?: string } }[];
  panels?: RawPanel[];
}

/** Loads the dashboard JSON (rows flattened). Throws when the file is missing or not JSON. */
export async function loadDashboard(): Promise<Dashboard> {
  const raw = JSON.parse(await readFile(DASHBOARD_PATH, 'utf8')) as {
    schemaVersion: number;
    uid: string;
    templating: { list: { name: string; type: string; query: unknown }[] };
    panels: RawPanel[];
  };
  const flat = raw.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
  return {
    schemaVersion: raw.schemaVersion,
    uid: raw.uid,
    variables: raw.templating.list,
    panels: flat.map((p) => ({
      title: p.title ?? '',
      type: p.type ?? '',
      datasourceUid: p.datasource?.uid,
      links: p.fieldConfig?.defaults?.links ?? [],
      targets: (p.targets ?? []).map((t) => ({
        panel: p.title ?? '',
        expr: t.expr ?? '',
        exemplar: t.exemplar === true,
        datasourceUid: t.datasource?.uid,
      })),
    })),
  };
}

/** `metric{label="…",…}` selectors and bare metric names in a PromQL expression. */
export function selectors(expr: string): { readonly metric: string; readonly labels: readonly string[] }[] {
  const out: { metric: string; labels: string[] }[] = [];
  for (const m of expr.matchAll(/\b(kubestitch_[a-z0-9_]+)(\{([^}]*)\})?/g)) {
    const labels = [...(m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].map((l) => l[1] ?? '');
    out.push({ metric: m[1] ?? '', labels });
  }
  return out;
}

/** Label names in `by (…)` clauses. */
export function groupingLabels(expr: string): string[] {
  return [...expr.matchAll(/\bby\s*\(([^)]*)\)/g)].flatMap((m) =>
    (m[1] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
  );
}

/** `$name` / `${name}` variables used in a string. */
export function variablesIn(text: string): string[] {
  return [...text.matchAll(/\$\{?([a-zA-Z_][a-zA-Z0-9_]*)/g)].map((m) => m[1] ?? '');
}
