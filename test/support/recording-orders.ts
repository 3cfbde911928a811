import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { prng } from './prng.js';

export type LineOrder = 'as-recorded' | 'reversed' | 'shuffled-1' | 'shuffled-2';
export const LINE_ORDERS: readonly LineOrder[] = ['as-recorded', 'reversed', 'shuffled-1', 'shuffled-2'];

function reorder(lines: string[], order: LineOrder): string[] {
  if (order === 'as-recorded') return lines;
  if (order === 'reversed') return [...lines].reverse();
  const rand = prng(order === 'shuffled-1' ? 1 : 2);
  const out = [...lines];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const tmp = out[i] as string;
    out[i] = out[j] as string;
    out[j] = tmp;
  }
  return out;
}

/** Copies a JSON-lines recording directory with the lines of every file put in `order`. */
export async function copyInOrder(src: string, dest: string, order: LineOrder): Promise<void> {
  await mkdir(dest, { recursive: true });
  for (const f of await readdir(src)) {
    const lines = (await readFile(join(src, f), 'utf8')).split('\n').filter((l) => l.trim() !== '');
    await writeFile(join(dest, f), reorder(lines, order).join('\n') + '\n');
  }
}
