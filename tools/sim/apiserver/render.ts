import type { Negotiated } from './media.js';
import { partialObject } from './media.js';
import type { ResourceInfo } from './resources.js';
import { badRequest } from './status.js';
import type { StoredObject } from './store.js';
import { withTypeMeta } from './store.js';
import type { TableOptions } from './table.js';
import { toTable } from './table.js';

type Json = Record<string, unknown>;

/** The object parsed, with kind/apiVersion. */
export function fullObject(r: ResourceInfo, o: StoredObject): Json {
  return JSON.parse(withTypeMeta(r, o.body)) as Json;
}

/** Table options from the query (`includeObject`). Throws ApiError 400 for an unknown value. */
export function tableOptions(query: URLSearchParams, nowMs: number, noHeaders = false): TableOptions {
  const include = query.get('includeObject') ?? 'PartialObjectMetadata';
  if (include !== 'None' && include !== 'Object' && include !== 'PartialObjectMetadata')
    throw badRequest(
      `includeObject: Unsupported value: "${include}": supported values: "None", "Object", "PartialObjectMetadata"`,
    );
  return { includeObject: include, noHeaders, nowMs };
}

/** One object as the negotiated rendering, as JSON text. */
export function renderObject(r: ResourceInfo, o: StoredObject, neg: Negotiated, table: TableOptions): string {
  switch (neg.rendering) {
    case 'object':
      return withTypeMeta(r, o.body);
    case 'partial':
      return JSON.stringify(partialObject(fullObject(r, o)));
    case 'table':
      return JSON.stringify(toTable(r, [fullObject(r, o)], { resourceVersion: String(o.rv) }, table));
  }
}
