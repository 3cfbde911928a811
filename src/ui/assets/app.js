/* global window, document, history, location, clearTimeout, setTimeout, URLSearchParams */
// The kubestitch viewer: object search with autocomplete → trace list → waterfall + details.
// Routes: /  (recent traces), /search?q=…  (traces of matching objects), /trace/{id}.
import * as api from './api.js';
import { renderDetails } from './details.js';
import { formatDuration, formatTime, h, serviceColors } from './format.js';
import { searchTerms } from './kube-forms.js';
import { isOpenTrace, startOpenOperations, stopOpenOperations } from './open-operations.js';
import { setupSplitter } from './splitter.js';
import { setTraces, setupTraceList } from './trace-list.js';
import { Waterfall, buildModel } from './waterfall.js';

const $ = (id) => document.getElementById(id);
const status = (text) => {
  $('status').textContent = text;
};

// ---- trace list -------------------------------------------------------------------------------

function showList(title, traces) {
  $('trace-view').hidden = true;
  $('list-view').hidden = false;
  $('list-title').textContent = title;
  document.title = `${title} — kubestitch`;
  setTraces(traces);
}

/** The status line under the list: why it is empty, and how to see activity windows. */
function listStatus({ total, shown, hiddenActivity }) {
  const hidden =
    hiddenActivity > 0 ? ` ${hiddenActivity} activity windows are hidden: tick “Show activity windows”.` : '';
  status(total === 0 ? 'No traces found.' : shown === 0 ? `No trace matches the filters.${hidden}` : '');
}

/** The finished traces: one still in progress is listed above them instead. */
async function loadRecent() {
  const recent = await api.recentTraces(50);
  showList(
    'Recent traces',
    recent.filter((t) => !isOpenTrace(t.traceId)),
  );
}

async function showRecent() {
  status('Loading recent traces…');
  await startOpenOperations(() => loadRecent().catch((err) => status(`Error: ${err.message}`)));
  await loadRecent();
}

/** A trace still in progress is listed as its open operation, not as the part of it stored so far. */
function inProgress(summary, op) {
  if (op === undefined) return summary;
  const object = `${op.kind} ${op.namespace ? `${op.namespace}/` : ''}${op.name}`.trim();
  return { ...summary, inProgress: true, root: { ...summary.root, name: op.operation, object } };
}

async function showSearch(q, exact) {
  $('object-search').value = q;
  status(`Searching for ${q}…`);
  const [objects, open] = await Promise.all([
    api.searchObjects(searchTerms(q), { limit: exact ? 1 : 20, traces: 50 }),
    api.openOperations().catch(() => []),
  ]);
  const openById = new Map(open.map((o) => [o.traceID, o]));
  const seen = new Set();
  const traces = [];
  for (const o of objects) {
    for (const t of o.traces) {
      if (!seen.has(t.traceId)) traces.push(inProgress(t, openById.get(t.traceId)));
      seen.add(t.traceId);
    }
  }
  traces.sort((a, b) => b.startUs - a.startUs);
  const what = exact && objects[0] ? objectLabel(objects[0]) : `objects matching “${q}”`;
  showList(objects.length === 0 ? `No object matches “${q}”` : `Traces of ${what}`, traces);
}

// ---- trace view -------------------------------------------------------------------------------

let waterfall;
let current;
// An open trace (live only) is fetched again every few seconds until nothing in it is open.
const TRACE_REFRESH_MS = 5000;
let traceTimer;

function renderTraceHeader(trace, model, colors) {
  const root = model.nodes[0];
  const rootTags = new Map(root.span.tags.map((t) => [t.key, t.value]));
  const object = rootTags.get('k8s.object.kind')
    ? `${rootTags.get('k8s.object.kind')} ${rootTags.get('k8s.namespace.name') ? `${rootTags.get('k8s.namespace.name')}/` : ''}${rootTags.get('k8s.object.name')}`
    : '';
  $('trace-title').textContent = `${root.span.operationName}${object ? ` — ${object}` : ''}`;
  document.title = `${$('trace-title').textContent} — kubestitch`;
  $('trace-meta').textContent =
    `${root.open ? 'In progress' : `Outcome ${rootTags.get('kubestitch.outcome') ?? (root.error ? 'error' : 'ok')}`} · ` +
    `${formatDuration(model.t1 - model.t0)}${root.open ? ' so far' : ''} · ` +
    `${trace.spans.length} spans · ${colors.size} services · started ${formatTime(model.t0)} · trace ${trace.traceID}`;
  $('service-legend').replaceChildren(
    ...[...colors].map(([svc, color]) => {
      const sw = h('span', { class: 'swatch', 'aria-hidden': 'true' });
      sw.style.background = color;
      return h('li', {}, sw, svc);
    }),
    h('li', { class: 'critical-key', text: 'red edge: the critical path (what the duration waited on)' }),
  );
}

function modelOf(trace) {
  const model = buildModel(trace);
  return { model, colors: serviceColors(model.nodes.map((n) => n.service)) };
}

async function showTrace(traceId, spanId) {
  status('Loading trace…');
  let trace;
  try {
    trace = await api.trace(traceId);
  } catch (err) {
    status(`Cannot load trace ${traceId}: ${err.message}`);
    return;
  }
  const { model, colors } = modelOf(trace);
  current = { trace, model };
  $('list-view').hidden = true;
  $('trace-view').hidden = false;
  renderTraceHeader(trace, model, colors);
  $('span-details').replaceChildren(
    h('p', { class: 'hint', text: 'Select a span to see its attributes, events and links.' }),
  );
  waterfall.setTrace(model, colors);
  status('');
  if (spanId) waterfall.select(spanId);
  scheduleTraceRefresh(traceId);
}

function scheduleTraceRefresh(traceId) {
  clearTimeout(traceTimer);
  if (!current.model.nodes.some((n) => n.open)) return;
  traceTimer = setTimeout(async () => {
    let trace;
    try {
      trace = await api.trace(traceId);
    } catch {
      scheduleTraceRefresh(traceId); // keep what is shown; try again
      return;
    }
    if (location.pathname !== `/trace/${traceId}`) return; // left meanwhile
    const { model, colors } = modelOf(trace);
    current = { trace, model };
    renderTraceHeader(trace, model, colors);
    waterfall.updateTrace(model, colors);
    scheduleTraceRefresh(traceId);
  }, TRACE_REFRESH_MS);
}

function onSelectSpan(node) {
  if (!current) return;
  renderDetails($('span-details'), node, current.trace, current.model, {
    selectSpan: (id) => waterfall.select(id),
  }).catch((err) => status(`Cannot show span details: ${err.message}`));
}

// ---- routing ----------------------------------------------------------------------------------

async function route() {
  try {
    const m = /^\/trace\/([0-9a-fA-F]{1,32})$/.exec(location.pathname);
    const params = new URLSearchParams(location.search);
    stopOpenOperations();
    clearTimeout(traceTimer);
    if (m) await showTrace(m[1], params.get('span'));
    else if (location.pathname === '/search' && params.get('q'))
      await showSearch(params.get('q'), params.get('exact') === '1');
    else await showRecent();
  } catch (err) {
    status(`Error: ${err.message}`);
  }
}

function navigate(url) {
  history.pushState(null, '', url);
  void route();
}

// ---- object search with autocomplete ----------------------------------------------------------

function objectLabel(o) {
  return o.namespace && o.kind !== 'Node' ? `${o.kind} ${o.namespace}/${o.name}` : `${o.kind} ${o.name}`;
}

function setupSearch() {
  const input = $('object-search');
  const list = $('object-suggestions');
  let options = [];
  let active = -1;
  let timer;
  let seq = 0;

  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };
  const highlight = (i) => {
    active = i;
    [...list.children].forEach((li, j) => li.setAttribute('aria-selected', String(j === i)));
    if (i >= 0) input.setAttribute('aria-activedescendant', `suggestion-${i}`);
  };
  const choose = (o) => {
    close();
    const q = objectLabel(o);
    input.value = q;
    navigate(`/search?q=${encodeURIComponent(q)}&exact=1`);
  };
  const suggest = async () => {
    const q = input.value.trim();
    const mine = ++seq;
    if (q === '') return close();
    let found;
    try {
      found = await api.searchObjects(searchTerms(q), { limit: 10, traces: 0 });
    } catch {
      return close();
    }
    if (mine !== seq) return; // a newer keystroke already asked
    options = found;
    list.replaceChildren(
      ...found.map((o, i) =>
        h(
          'li',
          {
            id: `suggestion-${i}`,
            role: 'option',
            'aria-selected': 'false',
            onmousedown: (e) => {
              e.preventDefault();
              choose(o);
            },
          },
          h('span', { class: 'kind', text: o.kind }),
          h('span', { text: o.namespace && o.kind !== 'Node' ? `${o.namespace}/${o.name}` : o.name }),
          h('span', { class: 'count', text: `${o.traceCount} trace${o.traceCount === 1 ? '' : 's'}` }),
        ),
      ),
    );
    list.hidden = found.length === 0;
    input.setAttribute('aria-expanded', String(found.length > 0));
    active = -1;
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => void suggest(), 120);
  });
  input.addEventListener('keydown', (e) => {
    if (list.hidden) return;
    if (e.key === 'ArrowDown') highlight(Math.min(options.length - 1, active + 1));
    else if (e.key === 'ArrowUp') highlight(Math.max(0, active - 1));
    else if (e.key === 'Escape') close();
    else if (e.key === 'Enter' && active >= 0) choose(options[active]);
    else return;
    e.preventDefault();
  });
  input.addEventListener('blur', () => setTimeout(close, 100));
  $('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const q = input.value.trim();
    close();
    navigate(q === '' ? '/' : `/search?q=${encodeURIComponent(q)}`);
  });
}

// ---- start ------------------------------------------------------------------------------------

document.addEventListener('click', (e) => {
  const a = e.target.closest('a[href^="/"]');
  if (!a || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});
window.addEventListener('popstate', () => void route());
waterfall = new Waterfall($('waterfall'), $('waterfall-inner'), $('time-axis'), { onSelect: onSelectSpan });
setupSearch();
setupTraceList(listStatus);
setupSplitter($('details-splitter'), document.querySelector('.trace-layout'));
void route();
