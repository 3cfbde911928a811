/* global requestAnimationFrame, ResizeObserver */
// The trace waterfall: nested spans as rows with duration bars. Only the rows in view (plus a
// margin) exist in the DOM, so a 5,000-span trace scrolls as fast as a 50-span one.
import { formatDuration, h } from './format.js';

const ROW_PX = 26;
const OVERSCAN = 12;
const INDENT_PX = 14;

function bySpanOrder(a, b) {
  return (
    a.startTime - b.startTime ||
    (a.operationName < b.operationName ? -1 : a.operationName > b.operationName ? 1 : 0) ||
    (a.spanID < b.spanID ? -1 : 1)
  );
}

/**
 * Flattens a Jaeger trace into depth-first rows. A span whose CHILD_OF parent is missing from the
 * trace (not arrived yet) is shown as a root, so partial traces still render.
 */
export function buildModel(trace) {
  const byId = new Map(trace.spans.map((s) => [s.spanID, s]));
  const children = new Map();
  const roots = [];
  for (const s of trace.spans) {
    const ref = s.references.find((r) => r.refType === 'CHILD_OF' && r.traceID === s.traceID && byId.has(r.spanID));
    if (ref === undefined) roots.push(s);
    else {
      const list = children.get(ref.spanID);
      if (list === undefined) children.set(ref.spanID, [s]);
      else list.push(s);
    }
  }
  roots.sort(bySpanOrder);
  const nodes = [];
  // Iterative depth-first walk: deep traces must not overflow the call stack.
  const stack = roots.map((span) => ({ span, depth: 0, parent: -1 })).reverse();
  while (stack.length > 0) {
    const { span, depth, parent } = stack.pop();
    const kids = (children.get(span.spanID) ?? []).sort(bySpanOrder);
    const index = nodes.length;
    const process = trace.processes[span.processID];
    const service = process?.serviceName ?? 'unknown_service';
    const error = span.tags.some((t) => t.key === 'error' && (t.value === true || t.value === 'true'));
    // Still in progress (live only): the query API drew it to "now".
    const open = span.tags.some((t) => t.key === 'kubestitch.open' && t.value === true);
    const who = describeSpan(span, process);
    nodes.push({ span, depth, parent, index, childCount: kids.length, end: index, service, error, open, ...who });
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ span: kids[i], depth: depth + 1, parent: index });
  }
  // Subtree end indexes, children before parents (they come later in depth-first order).
  for (let i = nodes.length - 1; i >= 0; i--) {
    const p = nodes[i].parent;
    if (p >= 0 && nodes[i].end > nodes[p].end) nodes[p].end = nodes[i].end;
  }
  markCriticalPath(nodes, children, roots);
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const s of trace.spans) {
    t0 = Math.min(t0, s.startTime);
    t1 = Math.max(t1, s.startTime + s.duration);
  }
  return { nodes, t0, t1: Math.max(t1, t0 + 1) };
}

function tagValue(tags, key) {
  const t = (tags ?? []).find((x) => x.key === key);
  return t === undefined || t.value === '' ? undefined : String(t.value);
}

/**
 * What a row says besides the span name: the object it is about (`web-7c9-x`, the pod, for the
 * many "pod startup" rows) and the actor instance (`node-3`, `replicaset-controller`).
 */
function describeSpan(span, process) {
  const kind = tagValue(span.tags, 'k8s.object.kind');
  const name = tagValue(span.tags, 'k8s.object.name') ?? tagValue(span.tags, 'k8s.pod.name');
  const ns = tagValue(span.tags, 'k8s.namespace.name');
  const instance = tagValue(process?.tags, 'k8s.node.name') ?? tagValue(process?.tags, 'kubestitch.controller.name');
  const service = process?.serviceName ?? 'unknown_service';
  return {
    objectName: name,
    object: name === undefined ? undefined : `${kind ?? ''} ${ns && kind !== 'Node' ? `${ns}/` : ''}${name}`.trim(),
    instance,
    actor:
      instance === undefined
        ? service
        : instance === tagValue(process?.tags, 'k8s.node.name')
          ? `${service}@${instance}`
          : `${service}/${instance}`,
  };
}

/**
 * Jaeger's critical path: from a span's end, the child that finished last, then the one that
 * finished last before that child started, and so on, each the same way. Iterative.
 */
function markCriticalPath(nodes, children, roots) {
  const byId = new Map(nodes.map((n) => [n.span.spanID, n]));
  for (const n of nodes) n.critical = false;
  const todo = roots.map((r) => byId.get(r.spanID));
  while (todo.length > 0) {
    const node = todo.pop();
    node.critical = true;
    const kids = [...(children.get(node.span.spanID) ?? [])].sort(
      (a, b) => b.startTime + b.duration - (a.startTime + a.duration),
    );
    let cursor = node.span.startTime + node.span.duration;
    for (const k of kids) {
      const end = k.startTime + k.duration;
      if (end > cursor || end <= node.span.startTime) continue;
      const kid = byId.get(k.spanID);
      if (kid === undefined || kid.critical) continue;
      todo.push(kid);
      cursor = k.startTime;
    }
  }
}

export class Waterfall {
  constructor(scroller, inner, axis, { onSelect }) {
    this.scroller = scroller;
    this.inner = inner;
    this.axis = axis;
    this.onSelect = onSelect;
    this.model = { nodes: [], t0: 0, t1: 1 };
    this.colors = new Map();
    this.collapsed = new Set();
    this.visible = [];
    this.active = 0;
    this.selected = undefined;
    this.pending = false;
    scroller.addEventListener('scroll', () => this.schedule());
    scroller.addEventListener('keydown', (e) => this.onKey(e));
    scroller.addEventListener('click', (e) => this.onClick(e));
    if (typeof ResizeObserver === 'function') new ResizeObserver(() => this.schedule()).observe(scroller);
  }

  setTrace(model, colors) {
    this.model = model;
    this.colors = colors;
    this.collapsed = new Set();
    this.selected = undefined;
    this.active = 0;
    this.scroller.scrollTop = 0;
    this.recompute();
    this.renderAxis();
  }

  /** A newer version of the same trace (an open one, fetched again): keeps collapsed rows, selection and scroll. */
  updateTrace(model, colors) {
    this.model = model;
    this.colors = colors;
    const ids = new Set(model.nodes.map((n) => n.span.spanID));
    for (const id of this.collapsed) if (!ids.has(id)) this.collapsed.delete(id);
    if (this.selected !== undefined && !ids.has(this.selected)) this.selected = undefined;
    this.recompute();
    this.renderAxis();
  }

  recompute() {
    const { nodes } = this.model;
    const visible = [];
    for (let i = 0; i < nodes.length; i++) {
      visible.push(i);
      if (this.collapsed.has(nodes[i].span.spanID)) i = nodes[i].end;
    }
    this.visible = visible;
    this.version = (this.version ?? 0) + 1;
    this.inner.style.height = `${visible.length * ROW_PX}px`;
    this.active = Math.min(this.active, Math.max(0, visible.length - 1));
    this.render();
  }

  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.render();
    });
  }

  renderAxis() {
    const { t0, t1 } = this.model;
    this.axis.replaceChildren(
      ...[0, 0.25, 0.5, 0.75, 1].map((f) => {
        const tick = h('span', { class: 'tick', text: formatDuration((t1 - t0) * f) });
        tick.style.left = `${f * 96 + 2}%`;
        return tick;
      }),
    );
  }

  render() {
    const top = this.scroller.scrollTop;
    const height = this.scroller.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW_PX) - OVERSCAN);
    const last = Math.min(this.visible.length, Math.ceil((top + height) / ROW_PX) + OVERSCAN);
    // Scrolling within the overscan margin changes nothing: keep the rows (and focus, hover) as they are.
    const key = `${first}:${last}:${this.active}:${this.selected}:${this.version}`;
    if (key === this.renderedKey) return;
    this.renderedKey = key;
    const rows = [];
    for (let v = first; v < last; v++) rows.push(this.row(v));
    this.inner.replaceChildren(...rows);
    const activeNode = this.model.nodes[this.visible[this.active]];
    if (activeNode !== undefined) this.scroller.setAttribute('aria-activedescendant', `row-${activeNode.span.spanID}`);
  }

  row(v) {
    const node = this.model.nodes[this.visible[v]];
    const { span, depth, childCount, service } = node;
    const { t0, t1 } = this.model;
    const color = this.colors.get(service) ?? '#888';
    const expanded = !this.collapsed.has(span.spanID);
    const toggle =
      childCount > 0
        ? h('button', {
            class: 'toggle',
            type: 'button',
            tabindex: '-1',
            'data-toggle': span.spanID,
            'aria-label': `${expanded ? 'Collapse' : 'Expand'} ${childCount} child spans of ${span.operationName}`,
            text: expanded ? '▾' : '▸',
          })
        : h('span', { class: 'toggle-spacer' });
    const swatch = h('span', { class: 'swatch', 'aria-hidden': 'true' });
    swatch.style.background = color;
    const name = h(
      'div',
      { class: 'name' },
      toggle,
      h(
        'button',
        {
          class: 'span-button',
          type: 'button',
          tabindex: '-1',
          'data-select': span.spanID,
          title: `${span.operationName}${node.object ? ` of ${node.object}` : ''} by ${node.actor}${node.critical ? ' — on the critical path' : ''}`,
        },
        swatch,
        h('span', { class: 'op', text: span.operationName }),
        node.objectName ? h('span', { class: 'obj', text: node.objectName }) : null,
        h('span', { class: 'svc', text: node.instance ?? service }),
      ),
    );
    name.style.paddingLeft = `${depth * INDENT_PX}px`;
    const range = t1 - t0;
    const left = ((span.startTime - t0) / range) * 96 + 2;
    const width = (span.duration / range) * 96;
    const bar = h('div', { class: node.open ? 'bar open' : 'bar', 'aria-hidden': 'true' });
    bar.style.left = `${left}%`;
    bar.style.width = `${width}%`;
    bar.style.background = color;
    const shown = `${formatDuration(span.duration)}${node.open ? ' in progress' : ''}`;
    const label = h('span', { class: 'duration', text: shown });
    // Right of the bar when there is room, else left of it, else (a bar across the whole
    // timeline) inside it: never over the name column.
    if (left + width < 80) label.style.left = `calc(${left + width}% + 4px)`;
    else if (left > 12) label.style.right = `calc(${100 - left}% + 4px)`;
    else {
      label.style.right = `calc(${Math.max(0, 100 - left - width)}% + 6px)`;
      label.classList.add('inside');
    }
    const row = h(
      'div',
      {
        id: `row-${span.spanID}`,
        class: `row${node.error ? ' error' : ''}${node.open ? ' open' : ''}${node.critical ? ' critical' : ''}${v === this.active ? ' active' : ''}`,
        role: 'treeitem',
        'aria-level': depth + 1,
        'aria-selected': this.selected === span.spanID ? 'true' : 'false',
        'aria-expanded': childCount > 0 ? String(expanded) : undefined,
        'aria-label': `${span.operationName}${node.objectName ? ` ${node.objectName}` : ''}, ${node.actor}, ${shown}${node.critical ? ', critical path' : ''}${node.error ? ', error' : ''}`,
        'data-depth': depth,
        'data-span-id': span.spanID,
      },
      name,
      h('div', { class: 'timeline' }, bar, label),
    );
    row.style.top = `${v * ROW_PX}px`;
    return row;
  }

  toggle(spanID) {
    if (this.collapsed.has(spanID)) this.collapsed.delete(spanID);
    else this.collapsed.add(spanID);
    const index = this.model.nodes.findIndex((n) => n.span.spanID === spanID);
    this.recompute();
    const v = this.visible.indexOf(index);
    if (v >= 0) this.active = v;
    this.render();
  }

  select(spanID) {
    const index = this.model.nodes.findIndex((n) => n.span.spanID === spanID);
    if (index < 0) return;
    // Reveal a span hidden in a collapsed subtree before selecting it.
    for (let p = this.model.nodes[index].parent; p >= 0; p = this.model.nodes[p].parent) {
      this.collapsed.delete(this.model.nodes[p].span.spanID);
    }
    this.recompute();
    this.selected = spanID;
    this.active = this.visible.indexOf(index);
    this.scrollIntoView(this.active);
    this.render();
    this.onSelect(this.model.nodes[index]);
  }

  scrollIntoView(v) {
    const top = v * ROW_PX;
    const s = this.scroller;
    if (top < s.scrollTop) s.scrollTop = top;
    else if (top + ROW_PX > s.scrollTop + s.clientHeight) s.scrollTop = top + ROW_PX - s.clientHeight;
  }

  onClick(e) {
    const toggle = e.target.closest('[data-toggle]');
    if (toggle) return this.toggle(toggle.dataset.toggle);
    const row = e.target.closest('[data-span-id]');
    if (row) this.select(row.dataset.spanId);
  }

  onKey(e) {
    const n = this.visible.length;
    if (n === 0) return;
    const node = this.model.nodes[this.visible[this.active]];
    let next = this.active;
    switch (e.key) {
      case 'ArrowDown':
        next = Math.min(n - 1, this.active + 1);
        break;
      case 'ArrowUp':
        next = Math.max(0, this.active - 1);
        break;
      case 'PageDown':
        next = Math.min(n - 1, this.active + Math.floor(this.scroller.clientHeight / ROW_PX));
        break;
      case 'PageUp':
        next = Math.max(0, this.active - Math.floor(this.scroller.clientHeight / ROW_PX));
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = n - 1;
        break;
      case 'ArrowRight':
        if (node.childCount > 0 && this.collapsed.has(node.span.spanID)) this.toggle(node.span.spanID);
        else next = Math.min(n - 1, this.active + 1);
        break;
      case 'ArrowLeft':
        if (node.childCount > 0 && !this.collapsed.has(node.span.spanID)) this.toggle(node.span.spanID);
        else if (node.parent >= 0) next = this.visible.indexOf(node.parent);
        break;
      case 'Enter':
      case ' ':
        this.select(node.span.spanID);
        break;
      default:
        return;
    }
    e.preventDefault();
    if (next !== this.active && next >= 0) {
      this.active = next;
      this.scrollIntoView(next);
      this.render();
    }
  }
}
