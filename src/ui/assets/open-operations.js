/* global document, setTimeout, clearTimeout */
// The start page's "In progress" table: operations still open in the live service, above the
// finished traces, refreshed every few seconds while the start page is shown.
import * as api from './api.js';
import { formatDuration, formatTime, h } from './format.js';

const REFRESH_MS = 5000;
const $ = (id) => document.getElementById(id);

let timer;
let generation = 0;
let openIds = new Set();

function objectOf(o) {
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`.trim();
}

function row(o) {
  return h(
    'tr',
    { 'data-open-trace': o.traceID },
    h('td', {}, h('a', { href: `/trace/${o.traceID}`, text: o.operation })),
    h('td', { text: objectOf(o) }),
    h('td', { class: 'num', text: formatDuration(o.elapsedMs * 1000) }),
    h('td', { text: formatTime(o.startTime) }),
    h('td', { class: 'waiting-on', text: o.waitingOn || '—' }),
  );
}

function render(ops) {
  $('open-view').hidden = ops.length === 0;
  $('open-count').textContent = ops.length > 0 ? `(${ops.length})` : '';
  $('open-list').tBodies[0].replaceChildren(...ops.map(row));
}

/** Loads and shows the open operations; true when the set of open traces changed. */
async function load() {
  let ops;
  try {
    ops = await api.openOperations();
  } catch {
    return false; // keep what is shown; the next refresh tries again
  }
  render(ops);
  const ids = new Set(ops.map((o) => o.traceID));
  const changed = ids.size !== openIds.size || [...ids].some((id) => !openIds.has(id));
  openIds = ids;
  return changed;
}

function schedule(mine, onChange) {
  timer = setTimeout(async () => {
    const changed = await load();
    if (mine !== generation) return; // the start page was left meanwhile
    if (changed) onChange();
    schedule(mine, onChange);
  }, REFRESH_MS);
}

/**
 * Shows the open operations (resolves once they are loaded) and refreshes them every few seconds
 * until `stopOpenOperations`; `onChange` hears when an operation opened or ended, so the finished
 * list can be reloaded.
 */
export async function startOpenOperations(onChange) {
  stopOpenOperations();
  const mine = generation;
  await load();
  if (mine === generation) schedule(mine, onChange);
}

/** Hides the table and stops refreshing (another page is shown). */
export function stopOpenOperations() {
  generation++;
  clearTimeout(timer);
  $('open-view').hidden = true;
}

/** Whether a trace is still in progress (as of the last refresh): it belongs above, not in the finished list. */
export function isOpenTrace(traceId) {
  return openIds.has(traceId);
}
