/** Virtual time is integer microseconds since the Unix epoch throughout the simulator. */
export const US_PER_MS = 1_000;
export const US_PER_S = 1_000_000;

function iso(us: number): string {
  return new Date(Math.floor(us / US_PER_MS)).toISOString();
}

/** `2026-03-01T10:00:05Z`: metav1.Time, truncated to the second like the apiserver does. */
export function rfc3339Seconds(us: number): string {
  return `${iso(us).slice(0, 19)}Z`;
}

/** `2026-03-01T10:00:05.123Z`: watch receive times. */
export function rfc3339Millis(us: number): string {
  return iso(us);
}

/** `2026-03-01T10:00:05.123456Z`: metav1.MicroTime and audit timestamps. */
export function rfc3339Micros(us: number): string {
  const micros = String(((us % US_PER_S) + US_PER_S) % US_PER_S).padStart(6, '0');
  return `${iso(us).slice(0, 19)}.${micros}Z`;
}

/** Seconds since `fromUs` as Go prints a duration rounded to milliseconds: `3.212s`, `812ms`. */
export function goDurationMs(us: number): string {
  const ms = Math.round(us / US_PER_MS);
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 60) return `${trimZeros(s.toFixed(3))}s`;
  const m = Math.floor(s / 60);
  return `${m}m${trimZeros((s - m * 60).toFixed(3))}s`;
}

function trimZeros(n: string): string {
  return n.includes('.') ? n.replace(/0+$/, '').replace(/\.$/, '') : n;
}
