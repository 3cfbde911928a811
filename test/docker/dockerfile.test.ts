import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly stage: number;
}

/** Dockerfile instructions with continuation lines joined and comments dropped, per stage. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = -1;
  let pending = '';
  for (const raw of text.split('\n')) {
    if (pending === '' && /^\s*#/.test(raw)) continue;
    const line = pending + raw.trim();
    if (line.endsWith('\\')) {
      pending = `${line.slice(0, -1).trim()} `;
      continue;
    }
    pending = '';
    const m = /^([A-Za-z]+)\s+(.*)$/.exec(line);
    if (m === null || m[1] === undefined || m[2] === undefined) continue;
    const keyword = m[1].toUpperCase();
    if (keyword === 'FROM') stage += 1;
    out.push({ keyword, args: m[2], stage });
  }
  return out;
}

const ALL = instructions(DOCKERFILE);
const FINAL = Math.max(...ALL.map((i) => i.stage));
const final = (keyword: string): Instruction[] => ALL.filter((i) => i.stage === FINAL && i.keyword === keyword);

describe('Dockerfile', () => {
  it('has no problems dockerfile-utils reports (errors or warnings)', () => {
    const diagnostics = validate(DOCKERFILE).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(diagnostics).toEqual([]);
  });

  it('is multi-stage on a tag-pinned Node 24 LTS slim image, the runtime stage built from the build stage', () => {
    const froms = ALL.filter((i) => i.keyword === 'FROM');
    expect(froms.map((f) => f.args)).toEqual(['${NODE_IMAGE} AS build', '${NODE_IMAGE} AS runtime']);
    const arg = ALL.find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_IMAGE='));
    expect(arg?.args).toMatch(/^NODE_IMAGE=node:24\.\d+-bookworm-slim$/);
    expect(final('COPY').some((c) => c.args.startsWith('--from=build /src/dist '))).toBe(true);
  });

  it('installs production dependencies only in the runtime stage, with install scripts off', () => {
    const runs = final('RUN').map((r) => r.args);
    expect(runs.some((r) => /npm ci --omit=dev\b/.test(r) && r.includes('--ignore-scripts'))).toBe(true);
    expect(runs.some((r) => /npm (install|i) /.test(r))).toBe(false);
    const buildRuns = ALL.filter((i) => i.stage === 0 && i.keyword === 'RUN').map((r) => r.args);
    expect(buildRuns).toContain('npm run build');
  });

  it('runs as the numeric non-root user 10001 that owns the data volume', () => {
    const users = final('USER').map((u) => u.args);
    expect(users).toEqual(['10001:10001']);
    expect(final('RUN').some((r) => r.args.includes('chown 10001:10001 /var/lib/kubestitch'))).toBe(true);
    expect(final('VOLUME').map((v) => v.args)).toEqual(['["/var/lib/kubestitch"]']);
  });

  it('starts `kubestitch run` with the config file the chart mounts, exposing the chart ports', () => {
    expect(final('ENTRYPOINT').map((e) => JSON.parse(e.args) as unknown)).toEqual([['node', '/app/bin/kubestitch.js']]);
    expect(final('CMD').map((c) => JSON.parse(c.args) as unknown)).toEqual([
      ['run', '--config', '/etc/kubestitch/config.yaml'],
    ]);
    const exposed = final('EXPOSE').flatMap((e) => e.args.split(/\s+/).map(Number));
    const values = parseYaml(readFileSync(join(ROOT, 'charts/kubestitch/values.yaml'), 'utf8')) as {
      auditWebhook: { port: number };
      otlp: { grpcPort: number; httpPort: number };
      viewer: { port: number };
      admin: { port: number };
    };
    const chartPorts = [values.auditWebhook.port, values.otlp.grpcPort, values.otlp.httpPort, values.viewer.port, values.admin.port]; // prettier-ignore
    expect(exposed.sort()).toEqual(chartPorts.sort());
  });

  it('bakes in no secrets: no credential-like ENV/ARG, no key or env files copied', () => {
    const envs = ALL.filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG').map((i) => i.args);
    expect(envs.filter((e) => /(TOKEN|PASSWORD|SECRET|API_KEY|NPM_AUTH)/i.test(e))).toEqual([]);
    const copies = ALL.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD').map((i) => i.args);
    expect(copies.filter((c) => /\.env\b|\.npmrc|\.pem|\.key\b|id_rsa|\s\.\s/.test(c))).toEqual([]);
  });
});

describe('.dockerignore', () => {
  it('keeps dependencies, VCS data, build output, tools, test artifacts and data dirs out of the context', () => {
    const entries = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    for (const e of ['node_modules', '.git', 'dist', 'test-artifacts', '.tools', '.kubestitch-data', 'bench/results']) {
      expect(entries).toContain(e);
    }
  });
});

describe('runtime dependencies', () => {
  // The image installs with --omit=dev: a package that compiled code imports but package.json
  // lists only under devDependencies makes the container crash at start.
  it('every package imported by src/ and storage/ is a production dependency', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    const prod = new Set(Object.keys(pkg.dependencies ?? {}));
    const builtins = new Set(builtinModules);
    const missing = new Set<string>();
    for (const file of [...tsFiles(join(ROOT, 'src')), ...tsFiles(join(ROOT, 'storage'))]) {
      for (const spec of runtimeImports(readFileSync(file, 'utf8'))) {
        if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec)) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec);
        if (!prod.has(name)) missing.add(`${name} (${file.slice(ROOT.length)})`);
      }
    }
    expect([...missing]).toEqual([]);
  });
});

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** Module specifiers that survive compilation: `import type` and `export type` are erased. */
function runtimeImports(source: string): string[] {
  const specs: string[] = [];
  const re =
    /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of source.matchAll(re)) {
    if (m[2] !== undefined) continue;
    const spec = m[3] ?? m[4];
    if (spec !== undefined) specs.push(spec);
  }
  return specs;
}
