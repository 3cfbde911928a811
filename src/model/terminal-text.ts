/**
 * Text from the cluster or from input files (object names, actors, reasons, paths) on its way to
 * a terminal. Control characters (C0, DEL, C1: escape sequences start with them) become visible
 * `\xNN` escapes, and bidirectional overrides/isolates `\u{NNNN}`, so a crafted object name
 * cannot move the cursor, clear or retitle the terminal, or make text read in another order.
 * Everything else, non-ASCII letters included, is kept. Never throws.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function escapeControl(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
