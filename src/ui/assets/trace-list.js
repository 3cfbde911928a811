/* global document */
// The trace list: sortable columns, filters by operation, outcome and minimum duration, and
// activity windows (30-minute catch-all spans, Node activity) hidden unless asked for.
import { formatDuration, formatTime, h } from './format.js';

const $ = (id) => document.getElementById(id);

/** kubestitch's outcome of the root (failed, unfinished, …) when it has one, else error / ok; in-progress while open (live). */
export function outcomeOf(s) {
  if (s.inProgress) return 'in-progress';
  if (s.root.outcome) return s.root.outcome;
  if (s.root.error || s.errorCount > 0) return 'error';
  return s.root.isRoot ? 'ok' : 'incomplete';
}

/** Catch-all activity windows ("Pod activity", "Node activity"): context, not operations. */
export function isActivity(s) {
  return / activity$/.test(s.root.name);
}

const KEYS = {
  operation: (s) => s.root.name,
  object: (s) => s.root.object ?? '',
  outcome: outcomeOf,
  duration: (s) => s.endUs - s.startUs,
  start: (s) => s.startUs,
  spans: (s) => s.spanCount,
};

/** "5s", "250ms", "2m", "1.5" (seconds) → µs; undefined when empty or unreadable. */
export function parseDuration(text) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(µs|us|ms|s|m|h)?\s*$/.exec(text);
  if (!m) return undefined;
  const unit = { µs: 1, us: 1, ms: 1e3, s: 1e6, m: 6e7, h: 3.6e9 }[m[2] ?? 's'];
  return Number(m[1]) * unit;
}

const state = { traces: [], sort: 'start', dir: -1, onRendered: () => undefined };

function options(select, values) {
  const keep = select.value;
  select.replaceChildren(
    h('option', { value: '', text: 'all' }),
    ...values.map((v) => h('option', { value: v, text: v })),
  );
  select.value = values.includes(keep) ? keep : '';
}

function render() {
  const op = $('filter-operation').value;
  const outcome = $('filter-outcome').value;
  const minUs = parseDuration($('filter-min-duration').value);
  const showActivity = $('show-activity').checked;
  const activity = state.traces.filter(isActivity).length;
  $('activity-count').textContent = activity > 0 ? `(${activity})` : '';
  const key = KEYS[state.sort];
  const rows = state.traces
    .filter((s) => showActivity || !isActivity(s))
    .filter((s) => op === '' || s.root.name === op)
    .filter((s) => outcome === '' || outcomeOf(s) === outcome)
    .filter((s) => minUs === undefined || s.endUs - s.startUs >= minUs)
    .sort((a, b) => {
      const x = key(a);
      const y = key(b);
      return (x < y ? -1 : x > y ? 1 : 0) * state.dir || b.startUs - a.startUs;
    })
    .map(row);
  for (const th of document.querySelectorAll('#trace-list th')) {
    const name = th.querySelector('button')?.dataset.sort;
    th.setAttribute('aria-sort', name === state.sort ? (state.dir > 0 ? 'ascending' : 'descending') : 'none');
  }
  $('trace-list').tBodies[0].replaceChildren(...rows);
  const result = { total: state.traces.length, shown: rows.length, hiddenActivity: showActivity ? 0 : activity };
  state.onRendered(result);
  return result;
}

function row(s) {
  const outcome = outcomeOf(s);
  return h(
    'tr',
    {},
    h('td', {}, h('a', { href: `/trace/${s.traceId}`, 'data-trace-link': s.traceId, text: s.root.name })),
    h('td', { text: s.root.object ?? '' }),
    h('td', {
      class: `outcome-${outcome}`,
      text: outcome + (s.errorCount > 0 ? ` (${s.errorCount} error span${s.errorCount === 1 ? '' : 's'})` : ''),
    }),
    h('td', { class: 'num', text: formatDuration(s.endUs - s.startUs) }),
    h('td', { text: formatTime(s.startUs) }),
    h('td', { class: 'num', text: String(s.spanCount) }),
  );
}

/** Shows `traces` under the current sort and filters: how many rows, how many activity windows hidden. */
export function setTraces(traces) {
  state.traces = traces;
  const ops = [...new Set(traces.filter((s) => !isActivity(s)).map((s) => s.root.name))].sort();
  options($('filter-operation'), ops);
  options($('filter-outcome'), [...new Set(traces.map(outcomeOf))].sort());
  return render();
}

/** Wires the headers and filters (once, at start); `onRendered` hears what each render shows. */
export function setupTraceList(onRendered) {
  state.onRendered = onRendered;
  for (const b of document.querySelectorAll('#trace-list th button')) {
    b.addEventListener('click', () => {
      const name = b.dataset.sort;
      // A new column starts with what is usually wanted: longest, newest, most first; names A→Z.
      if (state.sort === name) state.dir = -state.dir;
      else state.dir = ['duration', 'start', 'spans'].includes(name) ? -1 : 1;
      state.sort = name;
      render();
    });
  }
  for (const id of ['filter-operation', 'filter-outcome', 'filter-min-duration', 'show-activity']) {
    $(id).addEventListener('input', () => render());
    $(id).addEventListener('change', () => render());
  }
  $('list-filters').addEventListener('submit', (e) => e.preventDefault());
}
