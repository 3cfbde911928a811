/**
 * The pipeline's rooms import only rooms before them (docs/architecture.md): a replay walks
 * sources → graph → synth → stitch → export with no climb back. Read from the import statements
 * of src/, so a new climb fails here rather than in a newcomer's head.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

// In pipeline order; `model` and `otlp` are the data every stage shares.
const PIPELINE = ['model', 'otlp', 'sources', 'graph', 'synth', 'stitch', 'export'] as const;
// storage/ sits beside src/ as a library: the webhook's durable intake (sources) and the export
// spool (export) use it. docs/architecture.md lists the first as a climb still to remove.
const LIBRARY: Readonly<Record<string, readonly string[]>> = { sources: ['storage'], export: ['storage'] };

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

// The room of a path relative to src/: its first folder (src/replay.ts belongs to replay/), or
// `storage` for the library beside src/.
function roomOf(pathFromSrc: string): string {
  const [first = ''] = pathFromSrc.split('/');
  if (first === '..') return pathFromSrc.split('/')[1] ?? '';
  return first.replace(/\.[jt]s$/, '');
}

/** Every room each room imports from (relative imports only; packages are not rooms). */
function importsByRoom(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const file of tsFiles(SRC)) {
    const room = roomOf(relative(SRC, file));
    const text = readFileSync(file, 'utf8');
    for (const [, spec = ''] of text.matchAll(/\bfrom '(\.{1,2}\/[^']+)'/g)) {
      const target = roomOf(relative(SRC, normalize(join(dirname(file), spec))));
      if (target === room) continue;
      const set = out.get(room) ?? new Set<string>();
      set.add(target);
      out.set(room, set);
    }
  }
  return out;
}

describe('the pipeline rooms', () => {
  const imports = importsByRoom();

  it.each(PIPELINE.map((room, i) => [room, i] as const))('%s imports only rooms before it', (room, i) => {
    const allowed = new Set<string>([...PIPELINE.slice(0, i), ...(LIBRARY[room] ?? [])]);
    const climbs = [...(imports.get(room) ?? [])].filter((target) => !allowed.has(target)).sort();
    expect(climbs).toEqual([]);
  });

  it('stitch imports only model and otlp, and otlp imports nothing', () => {
    expect([...(imports.get('stitch') ?? [])].sort()).toEqual(['model', 'otlp']);
    expect([...(imports.get('otlp') ?? [])]).toEqual([]);
  });

  it('reads the imports it checks (a room with none would pass for nothing)', () => {
    expect([...(imports.get('synth') ?? [])].sort()).toEqual(['graph', 'model']);
    expect(imports.get('export')?.has('otlp')).toBe(true);
  });
});
