/**
 * Text from the cluster (object names, actors, reasons) on its way to a terminal: control
 * characters (C0, DEL, C1 — escape sequences start with them) become visible `\xNN` escapes, so
 * a crafted object name cannot move the cursor, recolour or retitle the terminal.
 * Replace with the shared terminal-escaping helper once it lands (hostile-input issue).
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

export function clean(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
