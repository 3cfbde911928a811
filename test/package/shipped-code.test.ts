import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// What `npm pack` ships is bin/ and dist/, and dist/ is compiled from the folders
// tsconfig.build.json includes. The simulator and fake apiserver live in tools/: they must not be
// compiled in, and no shipped file may import them (the package would then fail to load).
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function* tsFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* tsFiles(path);
    else if (name.endsWith('.ts')) yield path;
  }
}

it('the package ships bin/ and dist/ compiled from src/ and storage/ only', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
  expect(pkg.files).toEqual(['bin', 'dist']);
  const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
  expect(build.include).toEqual(['src', 'storage']);
});

it('no shipped source imports anything outside src/, storage/ or a package', () => {
  const outside: string[] = [];
  for (const top of ['src', 'storage']) {
    for (const file of tsFiles(join(ROOT, top))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
        const target = relative(ROOT, resolve(dirname(file), m[1] ?? ''));
        if (!target.startsWith('src/') && !target.startsWith('storage/'))
          outside.push(`${relative(ROOT, file)} → ${target}`);
      }
    }
  }
  expect(outside).toEqual([]);
});

it('the simulator is not under src/ any more', () => {
  expect(readdirSync(join(ROOT, 'src'))).not.toContain('sim');
});
