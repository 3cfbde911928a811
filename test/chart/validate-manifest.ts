import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, PersistentVolumeClaim, Pod, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import type { Manifest } from './helm.js';

interface Validatable {
  validate(): void;
}
type ModelFactory = (data: Manifest) => Validatable;

// Built-in kinds: the kubernetes-models classes carry the OpenAPI schemas of Kubernetes 1.27 (the
// chart's minimum) and reject wrong types, missing required fields and bad enums. They accept
// unknown fields (so do the upstream schemas); chart.test.ts asserts the fields that matter.
const MODELS: Record<string, ModelFactory> = {
  'apps/v1/Deployment': (d) => new Deployment(d as never),
  'apps/v1/StatefulSet': (d) => new StatefulSet(d as never),
  'networking.k8s.io/v1/NetworkPolicy': (d) => new NetworkPolicy(d as never),
  'policy/v1/PodDisruptionBudget': (d) => new PodDisruptionBudget(d as never),
  'rbac.authorization.k8s.io/v1/ClusterRole': (d) => new ClusterRole(d as never),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': (d) => new ClusterRoleBinding(d as never),
  'rbac.authorization.k8s.io/v1/Role': (d) => new Role(d as never),
  'rbac.authorization.k8s.io/v1/RoleBinding': (d) => new RoleBinding(d as never),
  'v1/ConfigMap': (d) => new ConfigMap(d as never),
  'v1/PersistentVolumeClaim': (d) => new PersistentVolumeClaim(d as never),
  'v1/Pod': (d) => new Pod(d as never),
  'v1/Secret': (d) => new Secret(d as never),
  'v1/Service': (d) => new Service(d as never),
  'v1/ServiceAccount': (d) => new ServiceAccount(d as never),
};

const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

/**
 * Validates one rendered manifest and returns the problems found (empty = valid). Built-in kinds
 * go through their kubernetes-models class. CRD kinds (ServiceMonitor, Certificate) have no model
 * in kubernetes-models: their metadata is checked with the ObjectMeta schema (through a
 * ConfigMap) and the spec fields the chart sets against the CRDs' documented types; anything
 * else in their specs is not checked. An unknown kind is itself a problem.
 */
export function validateManifest(m: Manifest): string[] {
  const key = `${m.apiVersion}/${m.kind}`;
  const factory = MODELS[key];
  if (factory !== undefined) return attempt(() => factory(m).validate());
  const metadataProblems = attempt(() => new ConfigMap({ metadata: m.metadata } as never).validate());
  if (key === 'monitoring.coreos.com/v1/ServiceMonitor') return [...metadataProblems, ...serviceMonitorProblems(m)];
  if (key === 'cert-manager.io/v1/Certificate') return [...metadataProblems, ...certificateProblems(m)];
  return [`no schema for ${key}: add it to validate-manifest.ts`];
}

function attempt(fn: () => void): string[] {
  try {
    fn();
    return [];
  } catch (err: unknown) {
    return [err instanceof Error ? err.message : String(err)];
  }
}

function serviceMonitorProblems(m: Manifest): string[] {
  const problems: string[] = [];
  const spec = asRecord(m['spec']);
  const selector = asRecord(spec?.['selector']);
  if (selector === undefined || asRecord(selector['matchLabels']) === undefined) {
    problems.push('ServiceMonitor spec.selector.matchLabels is required');
  }
  const endpoints = spec?.['endpoints'];
  if (!Array.isArray(endpoints) || endpoints.length === 0) problems.push('ServiceMonitor spec.endpoints is empty');
  for (const [i, e] of (Array.isArray(endpoints) ? endpoints : []).entries()) {
    const ep = asRecord(e) ?? {};
    if (typeof ep['port'] !== 'string') problems.push(`endpoints[${i}].port must be a port name`);
    if (typeof ep['path'] !== 'string' || !ep['path'].startsWith('/')) problems.push(`endpoints[${i}].path`);
    for (const f of ['interval', 'scrapeTimeout']) {
      if (ep[f] !== undefined && !(typeof ep[f] === 'string' && DURATION.test(ep[f]))) {
        problems.push(`endpoints[${i}].${f} must be a duration`);
      }
    }
  }
  return problems;
}

function certificateProblems(m: Manifest): string[] {
  const problems: string[] = [];
  const spec = asRecord(m['spec']) ?? {};
  if (typeof spec['secretName'] !== 'string' || spec['secretName'] === '') problems.push('spec.secretName required');
  const issuer = asRecord(spec['issuerRef']);
  if (issuer === undefined || typeof issuer['name'] !== 'string' || issuer['name'] === '') {
    problems.push('spec.issuerRef.name required');
  }
  if (issuer !== undefined && !['Issuer', 'ClusterIssuer'].includes(String(issuer['kind']))) {
    problems.push('spec.issuerRef.kind must be Issuer or ClusterIssuer');
  }
  for (const f of ['dnsNames', 'ipAddresses', 'usages']) {
    const v = spec[f];
    if (v !== undefined && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) {
      problems.push(`spec.${f} must be a list of strings`);
    }
  }
  for (const f of ['duration', 'renewBefore']) {
    if (spec[f] !== undefined && !(typeof spec[f] === 'string' && DURATION.test(spec[f]))) {
      problems.push(`spec.${f} must be a duration`);
    }
  }
  return problems;
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
