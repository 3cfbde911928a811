/* global fetch, URLSearchParams */
// The viewer's calls to the query API (the same Jaeger-compatible API Grafana uses).

async function getJson(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  let body;
  try {
    body = await res.json();
  } catch {
    throw new Error(`${path}: HTTP ${res.status}`);
  }
  if (!res.ok) throw new Error(body?.errors?.[0]?.msg ?? `${path}: HTTP ${res.status}`);
  return body.data;
}

export function searchObjects(q, { limit = 10, traces = 20 } = {}) {
  const p = new URLSearchParams({ q, limit: String(limit), traces: String(traces) });
  return getJson(`/api/objects?${p}`);
}

export function recentTraces(limit = 50) {
  return getJson(`/api/summaries?limit=${limit}`);
}

export function summaries(traceIds) {
  if (traceIds.length === 0) return Promise.resolve([]);
  const p = new URLSearchParams();
  for (const id of traceIds) p.append('traceID', id);
  return getJson(`/api/summaries?${p}`);
}

export async function trace(traceId) {
  const data = await getJson(`/api/traces/${encodeURIComponent(traceId)}`);
  return data[0];
}

/** The operations still in progress (live service only; empty for replay and serve). */
export function openOperations() {
  return getJson('/api/open-operations');
}
