/* global document */
// Formatting helpers shared by the viewer's modules. Plain functions, no DOM.

/** A duration in µs as people read it: 812µs, 7.2ms, 34.19s, 2m 5s. */
export function formatDuration(us) {
  if (!Number.isFinite(us)) return '';
  if (us === 0) return '0s';
  if (us < 1000) return `${Math.round(us)}µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)}ms`;
  if (us < 60_000_000) return `${(us / 1_000_000).toFixed(2)}s`;
  const totalS = Math.round(us / 1_000_000);
  if (totalS < 3600) return `${Math.floor(totalS / 60)}m ${totalS % 60}s`;
  return `${Math.floor(totalS / 3600)}h ${Math.floor((totalS % 3600) / 60)}m`;
}

/** Epoch µs as a local date-time with milliseconds. */
export function formatTime(us) {
  const d = new Date(us / 1000);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
  );
}

// Twelve hues far apart, dark enough for white text and distinguishable side by side.
const PALETTE = [
  '#3d7be0',
  '#e0793d',
  '#2f9e6a',
  '#b04fc4',
  '#c9a227',
  '#d9466b',
  '#1fa3b4',
  '#7a6be0',
  '#8c6d46',
  '#5a8f2e',
  '#e05a9e',
  '#4f6582',
];

/**
 * An offset from the trace start in µs, signed: +3.05s, -12.490ms (an Event recorded before the
 * span it belongs to started), +850µs.
 */
export function formatOffset(us) {
  const sign = us < 0 ? '-' : '+';
  const a = Math.abs(us);
  if (a >= 1000 && a < 1_000_000) return `${sign}${(a / 1000).toFixed(3)}ms`;
  return `${sign}${formatDuration(a)}`;
}

/** A small stable hash (FNV-1a) of a string. */
function hash(text) {
  let x = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    x ^= text.charCodeAt(i);
    x = Math.imul(x, 0x01000193) >>> 0;
  }
  return x;
}

// The actors of almost every trace get colours of their own, so no two of them ever share one;
// any other service takes a colour from a hash of its name.
const KNOWN = {
  'kube-controller-manager': PALETTE[0],
  kubelet: PALETTE[1],
  'kube-scheduler': PALETTE[2],
  'kube-apiserver': PALETTE[3],
  kubectl: PALETTE[4],
  etcd: PALETTE[5],
  containerd: PALETTE[6],
};

/** The colour of a service, the same in every trace (not by order of appearance). */
export function serviceColor(service) {
  return Object.hasOwn(KNOWN, service) ? KNOWN[service] : PALETTE[hash(service) % PALETTE.length];
}

/** Colour per service of a trace (sorted by name for the legend). */
export function serviceColors(services) {
  return new Map([...new Set(services)].sort().map((s) => [s, serviceColor(s)]));
}

/** Creates an element with attributes and children (strings become text nodes, never HTML). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}
