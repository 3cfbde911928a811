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

/** Colour per service, stable within one trace (sorted names). */
export function serviceColors(services) {
  const colors = new Map();
  [...new Set(services)].sort().forEach((s, i) => colors.set(s, PALETTE[i % PALETTE.length]));
  return colors;
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
