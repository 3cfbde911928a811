import { escapeControl } from '../model/terminal-text.js';

/**
 * Text from the cluster (object names, actors, reasons) on its way to a terminal: see
 * escapeControl, the one escaping every output path shares.
 */
export function clean(text: string): string {
  return escapeControl(text);
}
