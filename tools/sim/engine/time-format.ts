/** Virtual time is integer microseconds since the Unix epoch throughout the simulator. */
export const US_PER_MS = 1_000;
export const US_PER_S = 1_000_000;

let isoSecond = Number.NaN;
let isoSecondText = '';

/** `2026-03-01T10:00:05` for the second holding `us` (memoized: timestamps come in bursts). */
function secondText(us: number): string {
  const second = Math.floor(us / US_PER_S);
  if (second !== isoSecond) {
    isoSecond = second;
    isoSecondText = new Date(second * 1000).toISOString().slice(0, 19);
  }
  return isoSecondText;
}

function fraction(us: number, digits: number): string {
  const micros = ((us % US_PER_S) + US_PER_S) % US_PER_S;
  return String(Math.floor(micros / 10 ** (6 - digits))).padStart(digits, '0');
}

/** `2026-03-01T10:00:05Z`: metav1.Time, truncated to the second like the apiserver does. */
export function rfc3339Seconds(us: number): string {
  return `${secondText(us)}Z`;
}

/** `2026-03-01T10:00:05.123Z`: watch receive times. */
export function rfc3339Millis(us: number): string {
  return `${secondText(us)}.${fraction(us, 3)}Z`;
}

/** `2026-03-01T10:00:05.123456Z`: metav1.MicroTime and audit timestamps. */
export function rfc3339Micros(us: number): string {
  return `${secondText(us)}.${fraction(us, 6)}Z`;
}

/** A duration as Go prints one truncated to milliseconds: `3.212s`, `812ms`, `2m40s`. */
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
