import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sortDeep } from './engine/strategic-patch.js';
import type { Recording, WatchLine } from './types.js';

/**
 * kubectl prints objects with sorted keys (it decodes them into maps); the audit log keeps the
 * apiserver's struct order.
 */
export function watchLineJson(line: WatchLine): string {
  return JSON.stringify({ type: line.type, object: sortDeep(line.object), ts: line.ts });
}

/**
 * Writes a recording directory: `watch.jsonl`, `events.jsonl`, `audit.log`, one compact JSON per
 * line in emission order (empty files for empty streams). Creates the directory if needed.
 * Rejects with the file-system error when the directory or a file cannot be written.
 */
export async function writeRecording(dir: string, rec: Recording): Promise<void> {
  await mkdir(dir, { recursive: true });
  const lines = (items: readonly string[]): string => (items.length === 0 ? '' : `${items.join('\n')}\n`);
  await writeFile(join(dir, 'watch.jsonl'), lines(rec.watch.map(watchLineJson)));
  await writeFile(join(dir, 'events.jsonl'), lines(rec.events.map(watchLineJson)));
  await writeFile(join(dir, 'audit.log'), lines(rec.audit.map((a) => JSON.stringify(a))));
}
