import { describe, expect, it } from 'vitest';
import { renderChart, VALUES_FILES, valuesArgs } from './helm.js';
import type { Manifest } from './helm.js';

interface Rule {
  readonly apiGroups?: string[];
  readonly resources?: string[];
  readonly verbs?: string[];
  readonly resourceNames?: string[];
  readonly nonResourceURLs?: string[];
}

const READ = new Set(['get', 'list', 'watch']);
const LEASE_WRITE = new Set(['get', 'create', 'update']);

// Every combination that changes RBAC: the CI values files, forced leader election, extra kinds.
const VARIANTS: readonly (readonly string[])[] = [
  ...VALUES_FILES.map((f) => valuesArgs(f)),
  ['--set', 'leaderElection.enabled=true'],
  ['--set', 'replicaCount=3', '--set-json', 'watchKinds=["services.v1","widgets.v1beta1.example.com:metadata"]'],
];

function rulesOf(manifests: readonly Manifest[]): { kind: string; rule: Rule }[] {
  return manifests
    .filter((m) => m.kind === 'ClusterRole' || m.kind === 'Role')
    .flatMap((m) => ((m['rules'] as Rule[] | undefined) ?? []).map((rule) => ({ kind: m.kind, rule })));
}

/** What a rule grants beyond the allowed set; empty when the rule is fine. */
function violations(kind: string, r: Rule): string[] {
  const out: string[] = [];
  const all = [...(r.apiGroups ?? []), ...(r.resources ?? []), ...(r.verbs ?? [])];
  if (all.some((x) => x.includes('*'))) out.push('uses a wildcard');
  if ((r.resources ?? []).some((x) => x === 'secrets' || x.startsWith('secrets/'))) out.push('names secrets');
  if ((r.nonResourceURLs ?? []).length > 0) out.push('grants non-resource URLs');
  const isLease = (r.apiGroups ?? []).join() === 'coordination.k8s.io' && (r.resources ?? []).join() === 'leases';
  const allowed = isLease ? LEASE_WRITE : READ;
  const extra = (r.verbs ?? []).filter((v) => !allowed.has(v));
  if (extra.length > 0) out.push(`grants ${extra.join(',')}`);
  if (isLease && kind !== 'Role') out.push('lease writes must be namespaced (Role), not cluster-wide');
  if ((r.resources ?? []).some((x) => x.includes('/'))) out.push('grants a subresource');
  return out;
}

describe('chart RBAC', () => {
  describe.each(VARIANTS.map((args) => [args.join(' ') || 'default values', args] as const))('%s', (_l, args) => {
    it('grants only get/list/watch, plus get/create/update on Leases, never Secrets or "*"', () => {
      const rules = rulesOf(renderChart(args));
      expect(rules.length).toBeGreaterThan(0);
      const bad = rules.flatMap(({ kind, rule }) => violations(kind, rule).map((v) => `${JSON.stringify(rule)} ${v}`));
      expect(bad).toEqual([]);
    });
  });

  it('reads every kind run-flags names, and each configured extra kind', () => {
    const rules = rulesOf(renderChart(['--set-json', 'watchKinds=["services.v1","ingresses.v1.networking.k8s.io"]']));
    const granted = new Set(
      rules.flatMap(({ rule }) =>
        (rule.apiGroups ?? []).flatMap((g) => (rule.resources ?? []).map((r) => `${r}.${g}`)),
      ),
    );
    const expected = [
      'deployments.apps', 'replicasets.apps', 'statefulsets.apps', 'daemonsets.apps', 'jobs.batch', 'cronjobs.batch',
      'pods.', 'nodes.', 'namespaces.', 'events.', 'events.events.k8s.io', 'services.', 'ingresses.networking.k8s.io',
    ]; // prettier-ignore
    expect(expected.filter((e) => !granted.has(e))).toEqual([]);
  });

  it('writes Leases only with leader election, limited to its own Lease for get/update', () => {
    expect(rulesOf(renderChart()).filter(({ kind }) => kind === 'Role')).toEqual([]);
    const roles = rulesOf(renderChart(['--set', 'replicaCount=2'])).filter(({ kind }) => kind === 'Role');
    expect(roles.map(({ rule }) => rule)).toEqual([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['ks-kubestitch'], verbs: ['get', 'update'] }, // prettier-ignore
    ]);
  });

  it('refuses to watch Secrets', () => {
    expect(() => renderChart(['--set-json', 'watchKinds=["secrets.v1"]'])).toThrow(/watchKinds/);
  });
});
