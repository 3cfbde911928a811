import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/** The chart under test and the helm binary CI fetches (scripts/fetch-k8s-tools.sh). */
export const CHART_DIR = fileURLToPath(new URL('../../charts/kubestitch/', import.meta.url));
export const HELM = fileURLToPath(new URL('../../.tools/bin/helm', import.meta.url));

/** The values files every chart test runs against: the defaults plus each file in ci/. */
export const VALUES_FILES = [undefined, 'ci/ha-values.yaml', 'ci/minimal-values.yaml', 'ci/kind-values.yaml'] as const;

export interface HelmResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs helm. Throws (never skips) when the binary is missing, so a machine without it fails the
 * chart tests loudly instead of passing them vacuously.
 */
export function helm(args: readonly string[], cwd: string = CHART_DIR): HelmResult {
  if (!existsSync(HELM)) {
    throw new Error(`helm not found at ${HELM}: run "bash scripts/fetch-k8s-tools.sh" (CI does it in .ci/run)`);
  }
  const r = spawnSync(HELM, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error !== undefined) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A rendered manifest: enough shape to dispatch on, the rest checked by the model classes. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [k: string]: unknown };
  readonly [k: string]: unknown;
}

/** `helm template` with extra args; throws with helm's message when rendering fails. */
/**
 * The env var the chart's pods get from status.podIP and bind the OTLP receivers to (`$(POD_IP)`
 * in the rendered config): set here so chart configs resolve as they would in a pod.
 */
export const TEST_POD_IP = '10.244.0.7';
process.env['POD_IP'] ??= TEST_POD_IP;

export function renderChart(extraArgs: readonly string[] = [], release = 'ks'): Manifest[] {
  const r = helm(['template', release, '.', '--namespace', 'kubestitch', ...extraArgs]);
  if (r.status !== 0) throw new Error(`helm template ${extraArgs.join(' ')} failed:\n${r.stderr}`);
  return parseManifests(r.stdout);
}

/** Splits helm's multi-document output into objects; a YAML error is a test failure. */
export function parseManifests(text: string): Manifest[] {
  const out: Manifest[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message}`);
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    out.push(value as Manifest);
  }
  return out;
}

/** Args selecting one values file (or none for the chart defaults). */
export function valuesArgs(file: string | undefined): string[] {
  return file === undefined ? [] : ['-f', file];
}

export function findManifest(manifests: readonly Manifest[], kind: string, nameSuffix = ''): Manifest {
  const m = manifests.find((x) => x.kind === kind && x.metadata.name.endsWith(nameSuffix));
  if (m === undefined) throw new Error(`no ${kind}${nameSuffix ? ` named *${nameSuffix}` : ''} rendered`);
  return m;
}
