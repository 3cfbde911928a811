import { appendFile, mkdir, writeFile } from 'node:fs/promises';
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
  await writeChunk(dir, rec, writeFile);
}

/**
 * Streams chunks (e.g. from generateWorkload) into a recording directory, so a recording larger
 * than memory can be written: the files are truncated first, then each chunk is appended.
 * Rejects with the file-system error if a write fails; chunks after it are not consumed.
 */
export async function writeRecordingStream(dir: string, chunks: Iterable<Recording>): Promise<void> {
  await writeRecording(dir, { watch: [], events: [], audit: [] });
  for (const chunk of chunks) await writeChunk(dir, chunk, appendFile);
}

async function writeChunk(
  dir: string,
  rec: Recording,
  write: (path: string, data: string) => Promise<void>,
): Promise<void> {
  const lines = (items: readonly string[]): string => (items.length === 0 ? '' : `${items.join('\n')}\n`);
  await write(join(dir, 'watch.jsonl'), lines(rec.watch.map(watchLineJson)));
  await write(join(dir, 'events.jsonl'), lines(rec.events.map(watchLineJson)));
  await write(join(dir, 'audit.log'), lines(rec.audit.map((a) => JSON.stringify(a))));
}
