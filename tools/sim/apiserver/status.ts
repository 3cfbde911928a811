import type { ResourceInfo } from './resources.js';

/** A `meta/v1 Status` as the apiserver writes it for errors and for some deletes. */
export interface StatusBody {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Success' | 'Failure';
  readonly message?: string;
  readonly reason?: string;
  readonly details?: StatusDetails;
  readonly code: number;
}

export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly uid?: string;
  readonly causes?: readonly { readonly reason?: string; readonly message: string; readonly field?: string }[];
  readonly retryAfterSeconds?: number;
}

/**
 * A failed request: thrown inside the request handlers and turned into a Status response by the
 * router, so one bad request never affects the server.
 */
export class ApiError extends Error {
  readonly status: StatusBody;
  /** Extra response headers (Retry-After for 429/504). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: number,
    reason: string,
    message: string,
    details?: StatusDetails,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = failure(code, reason, message, details);
    this.headers = headers;
  }
}

/** A Failure Status body. */
export function failure(code: number, reason: string, message: string, details?: StatusDetails): StatusBody {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details === undefined ? {} : { details }),
    code,
  };
}

function qualified(r: ResourceInfo): string {
  return r.group === '' ? r.resource : `${r.resource}.${r.group}`;
}

function nameDetails(r: ResourceInfo, name: string): StatusDetails {
  return { name, ...(r.group === '' ? {} : { group: r.group }), kind: r.resource };
}

/** 404 NotFound for a named object of `r`. */
export function notFound(r: ResourceInfo, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(r)} "${name}" not found`, nameDetails(r, name));
}

/** 404 for a path no resource serves, worded like the apiserver's mux. */
export function pathNotFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** 409 AlreadyExists for a create of an existing name. */
export function alreadyExists(r: ResourceInfo, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualified(r)} "${name}" already exists`, nameDetails(r, name));
}

/** 409 Conflict with the apiserver's "Operation cannot be fulfilled" wording. */
export function conflict(r: ResourceInfo, name: string, why: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`,
    nameDetails(r, name),
  );
}

/** The optimistic-concurrency failure clients retry on. */
export function staleResourceVersion(r: ResourceInfo, name: string): ApiError {
  return conflict(
    r,
    name,
    'the object has been modified; please apply your changes to the latest version and try again',
  );
}

/** 400 BadRequest. */
export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

/** 422 with one cause per invalid field, like admission/validation failures. */
export function invalid(
  r: ResourceInfo,
  name: string,
  causes: readonly { field: string; message: string }[],
): ApiError {
  const summary = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  return new ApiError(422, 'Invalid', `${r.kind} "${name}" is invalid: ${summary}`, {
    ...nameDetails(r, name),
    kind: r.kind,
    causes: causes.map((c) => ({ reason: 'FieldValueInvalid', message: c.message, field: c.field })),
  });
}

/** 410 for a resourceVersion the store no longer has history for. */
export function expired(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

/** 405 for a verb the path does not serve. */
export function methodNotAllowed(): ApiError {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

/** 406 when no offered media type can be served. */
export function notAcceptable(message: string): ApiError {
  return new ApiError(406, 'NotAcceptable', message);
}

/** 415 for a PATCH body type the server does not decode (apply-patch included). */
export function unsupportedMediaType(contentType: string): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format (${contentType}) - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
  );
}

/** The 504 a read at a resourceVersion newer than the store gets after waiting for it. */
export function tooLargeResourceVersion(requested: number, current: number): ApiError {
  return new ApiError(
    504,
    'Timeout',
    `Too large resource version: ${requested}, current: ${current}`,
    { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
    { 'Retry-After': '1' },
  );
}

/** Status for an injected fault; reason and message as the apiserver words these codes. */
export function injected(code: number): ApiError {
  const reasons: Record<number, [string, string]> = {
    400: ['BadRequest', 'bad request (injected fault)'],
    401: ['Unauthorized', 'Unauthorized'],
    403: ['Forbidden', 'forbidden (injected fault)'],
    404: ['NotFound', 'the server could not find the requested resource'],
    409: ['Conflict', 'conflict (injected fault)'],
    410: ['Expired', 'too old resource version (injected fault)'],
    429: ['TooManyRequests', 'Too many requests, please try again later.'],
    500: ['InternalError', 'Internal error occurred: injected fault'],
    503: ['ServiceUnavailable', 'the server is currently unable to handle the request'],
    504: [
      'Timeout',
      'the server was unable to return a response in the time allotted, but may still be processing the request',
    ],
  };
  const [reason, message] = reasons[code] ?? ['Unknown', `injected fault ${code}`];
  const retry: Record<string, string> = code === 429 || code === 503 ? { 'Retry-After': '1' } : {};
  return new ApiError(code, reason, message, code === 429 ? { retryAfterSeconds: 1 } : undefined, retry);
}
