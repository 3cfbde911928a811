import type { ResourceInfo } from './resources.js';
import { notAcceptable } from './status.js';

/** What the client asked the object(s) to be rendered as. */
export type Rendering = 'object' | 'partial' | 'table';

export interface Negotiated {
  readonly rendering: Rendering;
  /** The response Content-Type for a list or single-object response. */
  readonly contentType: string;
}

interface MediaRange {
  readonly type: string;
  readonly params: ReadonlyMap<string, string>;
}

/** Parses an Accept header into media ranges in the client's order (q-values ignored, as order is what clients send). */
export function parseAccept(accept: string | undefined): MediaRange[] {
  if (accept === undefined || accept.trim() === '') return [{ type: 'application/json', params: new Map() }];
  return accept.split(',').map((part) => {
    const [type = '', ...rest] = part.split(';');
    const params = new Map<string, string>();
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0) params.set(p.slice(0, eq).trim(), p.slice(eq + 1).trim());
    }
    return { type: type.trim().toLowerCase(), params };
  });
}

const JSON_TYPES = new Set(['application/json', '*/*', 'application/*', '*']);
const META = 'meta.k8s.io';

/** Response Content-Types, with the `as`/`g`/`v` parameters that say which rendering was served. */
export const CONTENT_TYPE_JSON = 'application/json';
export const CONTENT_TYPE_TABLE = 'application/json;as=Table;g=meta.k8s.io;v=v1';
export const CONTENT_TYPE_PARTIAL = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';
export const CONTENT_TYPE_PARTIAL_LIST = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';

/**
 * Content negotiation for reads. `list` requests accept PartialObjectMetadataList, single objects
 * and watch events PartialObjectMetadata; Table works for all three. The first range the server
 * can serve wins. Throws ApiError 406 when none can be served (e.g. protobuf only, or
 * PartialObjectMetadata asked for a list).
 */
export function negotiate(accept: string | undefined, shape: 'list' | 'object' | 'watch'): Negotiated {
  for (const range of parseAccept(accept)) {
    if (!JSON_TYPES.has(range.type)) continue;
    const as = range.params.get('as');
    if (as === undefined) return { rendering: 'object', contentType: CONTENT_TYPE_JSON };
    if (range.params.get('g') !== META || range.params.get('v') !== 'v1') continue;
    if (as === 'Table') return { rendering: 'table', contentType: CONTENT_TYPE_TABLE };
    if (as === 'PartialObjectMetadataList' && shape === 'list')
      return { rendering: 'partial', contentType: CONTENT_TYPE_PARTIAL_LIST };
    if (as === 'PartialObjectMetadata' && shape !== 'list')
      return { rendering: 'partial', contentType: CONTENT_TYPE_PARTIAL };
  }
  const supported =
    shape === 'list'
      ? 'application/json, application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io'
      : 'application/json, application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io';
  throw notAcceptable(`only the following media types are accepted: ${supported}`);
}

/** Which aggregated discovery version (if any) the client prefers over the legacy documents. */
export function aggregatedDiscovery(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const range of parseAccept(accept)) {
    if (!JSON_TYPES.has(range.type)) continue;
    const as = range.params.get('as');
    if (as === undefined) return undefined;
    if (as !== 'APIGroupDiscoveryList' || range.params.get('g') !== 'apidiscovery.k8s.io') continue;
    const v = range.params.get('v');
    if (v === 'v2' || v === 'v2beta1') return v;
  }
  return undefined;
}

/** The metadata-only form of an object. */
export function partialObject(object: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata ?? {} };
}

/** The list kind the apiserver names a resource's list: `PodList`. */
export function listKind(r: ResourceInfo): string {
  return `${r.kind}List`;
}
