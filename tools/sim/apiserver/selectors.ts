import type { ResourceInfo } from './resources.js';
import { badRequest } from './status.js';

type Json = Record<string, unknown>;

/** A parsed selector: true when the object matches. */
export type Selector = (object: Json) => boolean;

interface Requirement {
  readonly key: string;
  readonly op: '=' | '!=' | 'in' | 'notin' | 'exists' | '!';
  readonly values: readonly string[];
}

/** Splits on commas that are not inside `( … )` (set-based values). */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out.map((x) => x.trim()).filter((x) => x !== '');
}

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;

function parseLabelRequirement(part: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
  if (set !== null) {
    const values = (set[3] ?? '').split(',').map((v) => v.trim());
    return checkKey({ key: set[1] ?? '', op: set[2] === 'in' ? 'in' : 'notin', values });
  }
  const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
  if (eq !== null)
    return checkKey({ key: eq[1] ?? '', op: eq[2] === '!=' ? '!=' : '=', values: [(eq[3] ?? '').trim()] });
  if (part.startsWith('!')) return checkKey({ key: part.slice(1).trim(), op: '!', values: [] });
  return checkKey({ key: part, op: 'exists', values: [] });
}

function checkKey(r: Requirement): Requirement {
  if (!KEY.test(r.key)) throw badRequest(`unable to parse requirement: invalid label key "${r.key}"`);
  return r;
}

function test(r: Requirement, value: string | undefined): boolean {
  switch (r.op) {
    case '=':
      return value === r.values[0];
    case '!=':
      return value !== r.values[0];
    case 'in':
      return value !== undefined && r.values.includes(value);
    case 'notin':
      return value === undefined || !r.values.includes(value);
    case 'exists':
      return value !== undefined;
    case '!':
      return value === undefined;
  }
}

/**
 * Parses a label selector (`app=web,tier!=db,env in (a,b),!legacy`). Undefined for an empty one.
 * Throws ApiError 400 for a requirement it cannot parse.
 */
export function parseLabelSelector(text: string | undefined): Selector | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const reqs = splitTop(text).map(parseLabelRequirement);
  return (object) => {
    const labels = record(record(object.metadata)?.labels);
    return reqs.every((r) => {
      const v = labels?.[r.key];
      return test(r, typeof v === 'string' ? v : undefined);
    });
  };
}

const COMMON_FIELDS: Readonly<Record<string, readonly string[]>> = {
  'metadata.name': ['metadata', 'name'],
  'metadata.namespace': ['metadata', 'namespace'],
};

const POD_FIELDS = {
  'spec.nodeName': ['spec', 'nodeName'],
  'spec.restartPolicy': ['spec', 'restartPolicy'],
  'spec.schedulerName': ['spec', 'schedulerName'],
  'spec.serviceAccountName': ['spec', 'serviceAccountName'],
  'spec.hostNetwork': ['spec', 'hostNetwork'],
  'status.phase': ['status', 'phase'],
  'status.podIP': ['status', 'podIP'],
  'status.nominatedNodeName': ['status', 'nominatedNodeName'],
};

const CORE_EVENT_FIELDS = {
  'involvedObject.kind': ['involvedObject', 'kind'],
  'involvedObject.namespace': ['involvedObject', 'namespace'],
  'involvedObject.name': ['involvedObject', 'name'],
  'involvedObject.uid': ['involvedObject', 'uid'],
  'involvedObject.apiVersion': ['involvedObject', 'apiVersion'],
  'involvedObject.resourceVersion': ['involvedObject', 'resourceVersion'],
  'involvedObject.fieldPath': ['involvedObject', 'fieldPath'],
  reason: ['reason'],
  reportingComponent: ['reportingComponent'],
  source: ['source', 'component'],
  type: ['type'],
};

/** Field labels each built-in resource supports beyond metadata.name/namespace. */
const EXTRA_FIELDS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  '/pods': POD_FIELDS,
  '/events': CORE_EVENT_FIELDS,
  '/nodes': { 'spec.unschedulable': ['spec', 'unschedulable'] },
  '/namespaces': { 'status.phase': ['status', 'phase'] },
  '/secrets': { type: ['type'] },
  'batch/jobs': { 'status.successful': ['status', 'successful'] },
};

/**
 * Parses a field selector (`metadata.name=x,spec.nodeName!=`), allowing only the field labels the
 * resource supports, like the apiserver. Undefined for an empty one. Throws ApiError 400 for an
 * unsupported field label or set-based syntax.
 */
export function parseFieldSelector(r: ResourceInfo, text: string | undefined): Selector | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const fields = { ...COMMON_FIELDS, ...EXTRA_FIELDS[`${r.group}/${r.resource}`] };
  const reqs = splitTop(text).map((part) => {
    const m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (m === null) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    const label = m[1] ?? '';
    const path = fields[label];
    if (path === undefined) throw badRequest(`field label not supported: ${label}`);
    return { path, negate: m[2] === '!=', value: (m[3] ?? '').trim() };
  });
  return (object) =>
    reqs.every((q) => {
      const v = fieldString(object, q.path);
      return q.negate ? v !== q.value : v === q.value;
    });
}

/** The exact name a field selector pins (`metadata.name=x`), for single-object watches. */
export function selectedName(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const m = /(?:^|,)\s*metadata\.name\s*==?\s*([^,]+)/.exec(text);
  return m?.[1]?.trim();
}

function fieldString(object: Json, path: readonly string[]): string {
  let cur: unknown = object;
  for (const k of path) cur = record(cur)?.[k];
  if (typeof cur === 'string') return cur;
  if (typeof cur === 'number' || typeof cur === 'boolean') return String(cur);
  return '';
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
