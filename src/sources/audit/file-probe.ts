import { readdir, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** `stat` that resolves `undefined` for a missing path; rejects with any other error. */
export async function statOrUndefined(path: string): Promise<{ ino: number; size: number } | undefined> {
  try {
    return await stat(path);
  } catch (error: unknown) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The entry of `dir` with this inode (a rotated backup), or `undefined`. Never rejects. */
export async function findByInode(dir: string, inode: number): Promise<string | undefined> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    const found = await statOrUndefined(join(dir, name)).catch(() => undefined);
    if (found?.ino === inode) return join(dir, name);
  }
  return undefined;
}

/** The byte at `offset`, or `undefined` past the end. Rejects with read errors. */
export async function byteAt(handle: FileHandle, offset: number): Promise<number | undefined> {
  const one = Buffer.alloc(1);
  const { bytesRead } = await handle.read(one, 0, 1, offset);
  return bytesRead === 1 ? one[0] : undefined;
}

/** Whether a file-system error means "no such file". */
export function isNotFound(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}
