// The span details panel: what a span is about, its attributes, span events (field diffs shown
// as old → new) and its links to related objects' traces.
import { summaries } from './api.js';
import { formatDuration, formatOffset, formatTime, h } from './format.js';

const OWNER_KEYS = [
  ['Deployment', 'k8s.deployment.name'],
  ['ReplicaSet', 'k8s.replicaset.name'],
  ['StatefulSet', 'k8s.statefulset.name'],
  ['DaemonSet', 'k8s.daemonset.name'],
  ['Job', 'k8s.job.name'],
  ['CronJob', 'k8s.cronjob.name'],
  ['Pod', 'k8s.pod.name'],
  ['Node', 'k8s.node.name'],
];

function tagMap(tags) {
  return new Map(tags.map((t) => [t.key, t.value]));
}

function kvTable(rows, caption) {
  return h(
    'table',
    { class: 'kv' },
    caption ? h('caption', { class: 'visually-hidden', text: caption }) : null,
    h(
      'tbody',
      {},
      rows.filter((r) => r !== null).map(([k, v]) => h('tr', {}, h('th', { scope: 'row', text: k }), h('td', {}, v))),
    ),
  );
}

function valueText(v) {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Objects the span names: its own object first, then owners from the semconv keys. */
function relatedObjects(tags) {
  const ns = tags.get('k8s.namespace.name');
  const out = [];
  const seen = new Set();
  const add = (kind, name) => {
    const q = kind === 'Node' || !ns ? `${kind} ${name}` : `${kind} ${ns}/${name}`;
    if (!seen.has(q)) out.push(q);
    seen.add(q);
  };
  const kind = tags.get('k8s.object.kind');
  const name = tags.get('k8s.object.name');
  if (kind && name) add(kind, name);
  for (const [k, key] of OWNER_KEYS) if (tags.get(key)) add(k, tags.get(key));
  return out;
}

function diffList(value) {
  let changes;
  try {
    changes = JSON.parse(value);
  } catch {
    changes = [String(value)];
  }
  return h(
    'ul',
    { class: 'diff', 'aria-label': 'Changed fields' },
    (Array.isArray(changes) ? changes : [changes]).map((c) => h('li', { text: String(c) })),
  );
}

function eventItem(log, t0) {
  const fields = tagMap(log.fields);
  const name = String(fields.get('event') ?? 'event');
  const rest = log.fields.filter((f) => f.key !== 'event' && f.key !== 'kubestitch.diff.changes');
  const warning = fields.get('kubestitch.event.type') === 'Warning';
  return h(
    'li',
    { class: warning ? 'warning' : '' },
    h('strong', { text: name }),
    warning ? ' (Warning)' : '',
    ` at ${formatOffset(log.timestamp - t0)}`,
    fields.has('kubestitch.diff.changes') ? diffList(fields.get('kubestitch.diff.changes')) : null,
    rest.length > 0 ? kvTable(rest.map((f) => [f.key, valueText(f.value)])) : null,
  );
}

async function linkList(span, ctx) {
  const refs = span.references.filter((r) => r.refType === 'FOLLOWS_FROM');
  if (refs.length === 0) return null;
  let known = new Map();
  try {
    known = new Map((await summaries([...new Set(refs.map((r) => r.traceID))])).map((s) => [s.traceId, s]));
  } catch {
    // Links still show their ids when summaries cannot be fetched.
  }
  return h(
    'ul',
    { class: 'links' },
    refs.map((r) => {
      const s = known.get(r.traceID);
      const label = s ? `${s.root.object ?? s.root.name} — ${s.root.name}` : `trace ${r.traceID}`;
      const same = r.traceID === span.traceID;
      return h(
        'li',
        {},
        same
          ? h('button', {
              type: 'button',
              class: 'linklike',
              onclick: () => ctx.selectSpan(r.spanID),
              text: `span ${r.spanID} in this trace`,
            })
          : h('a', { href: `/trace/${r.traceID}`, 'data-trace-link': r.traceID, text: label }),
      );
    }),
  );
}

/** Fills the details panel for one waterfall node. */
export async function renderDetails(panel, node, trace, model, ctx) {
  const { span, service } = node;
  const tags = tagMap(span.tags);
  const process = trace.processes[span.processID];
  const status = tags.get('otel.status_code') ?? 'unset';
  const objects = relatedObjects(tags);
  const parent = node.parent >= 0 ? model.nodes[node.parent].span : undefined;
  panel.dataset.spanId = span.spanID;
  panel.replaceChildren(
    h('h2', { text: span.operationName }),
    kvTable([
      ['Service', service],
      ['Actor', node.actor],
      node.object ? ['Object', node.object] : null,
      ['Critical path', node.critical ? 'yes — the trace waited on it' : 'no'],
      ['Duration', formatDuration(span.duration)],
      ['Start', `${formatOffset(span.startTime - model.t0)} (${formatTime(span.startTime)})`],
      ['Kind', String(tags.get('span.kind') ?? 'internal')],
      [
        'Status',
        String(status) + (tags.get('otel.status_description') ? `: ${tags.get('otel.status_description')}` : ''),
      ],
      ['Outcome', String(tags.get('kubestitch.outcome') ?? '—')],
      ['Span ID', span.spanID],
      [
        'Parent',
        parent
          ? h('button', {
              type: 'button',
              class: 'linklike',
              onclick: () => ctx.selectSpan(parent.spanID),
              text: parent.operationName,
            })
          : '— (root)',
      ],
    ]),
    objects.length > 0 ? h('h3', { text: 'Kubernetes objects' }) : null,
    objects.length > 0
      ? h(
          'ul',
          { class: 'objects' },
          objects.map((q) =>
            h(
              'li',
              {},
              h('a', { href: `/search?q=${encodeURIComponent(q)}`, 'data-search': q, text: `Traces of ${q}` }),
            ),
          ),
        )
      : null,
    h('h3', { text: `Attributes (${span.tags.length})` }),
    kvTable(
      span.tags.map((t) => [t.key, valueText(t.value)]),
      'Span attributes',
    ),
    h('h3', { text: `Events (${span.logs.length})` }),
    span.logs.length > 0
      ? h(
          'ul',
          { class: 'events' },
          span.logs.map((l) => eventItem(l, model.t0)),
        )
      : h('p', { class: 'hint', text: 'No span events.' }),
    h('h3', { text: 'Resource' }),
    kvTable([
      ['service.name', process?.serviceName ?? service],
      ...(process?.tags ?? []).map((t) => [t.key, valueText(t.value)]),
    ]),
  );
  const links = await linkList(span, ctx);
  if (links !== null && panel.dataset.spanId === span.spanID) panel.append(h('h3', { text: 'Links' }), links);
}
