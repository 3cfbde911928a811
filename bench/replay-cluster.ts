import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import type { WatchLine } from '../tools/sim/index.js';
import { generateWorkload, watchLineJson } from '../tools/sim/index.js';

/** The generated recording of the replay phase. */
export interface ReplayCluster {
  readonly dir: string;
  readonly records: number;
  readonly bytes: number;
}

/** Options: Deployments, replicas and rollouts of each, and how many are alive at once. */
export interface ReplayClusterOptions {
  readonly deployments: number;
  readonly podsPerDeployment: number;
  readonly rollouts: number;
  /** Deployments whose lives overlap (as generateWorkload's `concurrency`). Default 20. */
  readonly concurrency?: number;
}

const TEMPLATE_NAME = 'app-0';
const TEMPLATE_NAMESPACE = 'load-0';
const ISO_TIME = /"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)"/g;

/**
 * Writes the recording (watch.jsonl + events.jsonl) of a cluster of `deployments` Deployments
 * that are each created, rolled out `rollouts` times and deleted: the simulator runs ONE such
 * Deployment, and its namespace's watch and Event lines are cloned per Deployment — renamed
 * (`app-N` in `load-N%16`), fresh uids, every timestamp shifted so `concurrency` lives overlap.
 * Orders of magnitude faster than simulating the whole cluster, and the same shape. Node lines are
 * left out (they belong to no Deployment). Rejects on I/O errors.
 */
export async function writeReplayCluster(dir: string, o: ReplayClusterOptions): Promise<ReplayCluster> {
  const template = templateLines(o);
  const lifetimeMs = spanOf(template.watch) + 1000;
  const spacingMs = Math.round(lifetimeMs / (o.concurrency ?? 20));
  const uidPattern = new RegExp(template.uids.join('|'), 'g');
  await mkdir(dir, { recursive: true });
  let records = 0;
  let bytes = 0;
  for (const [file, lines] of [
    ['watch.jsonl', template.watch],
    ['events.jsonl', template.events],
  ] as const) {
    const out = createWriteStream(join(dir, file));
    for (let d = 0; d < o.deployments; d++) {
      const text = cloneLines(lines, d, d * spacingMs, uidPattern);
      bytes += Buffer.byteLength(text);
      records += lines.length;
      if (!out.write(text)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  }
  return { dir, records, bytes };
}

interface Template {
  readonly watch: readonly string[];
  readonly events: readonly string[];
  readonly uids: readonly string[];
}

function templateLines(o: ReplayClusterOptions): Template {
  const watch: string[] = [];
  const events: string[] = [];
  const uids = new Set<string>();
  const mine = (l: WatchLine): boolean => {
    const meta = l.object['metadata'];
    return typeof meta === 'object' && meta !== null && 'namespace' in meta && meta.namespace === TEMPLATE_NAMESPACE;
  };
  const options = { deployments: 1, podsPerDeployment: o.podsPerDeployment, rollouts: o.rollouts, seed: 16 };
  for (const chunk of generateWorkload(options)) {
    for (const l of chunk.watch.filter(mine)) watch.push(watchLineJson(l));
    for (const l of chunk.events.filter(mine)) events.push(watchLineJson(l));
  }
  for (const line of [...watch, ...events])
    for (const m of line.matchAll(/"uid":"([0-9a-f-]{36})"/g)) uids.add(m[1] ?? '');
  return { watch, events, uids: [...uids].filter((u) => u !== '') };
}

function spanOf(lines: readonly string[]): number {
  const times = lines.map((l) => Date.parse(/"ts":"([^"]+)"/.exec(l)?.[1] ?? ''));
  return Math.max(...times) - Math.min(...times);
}

// One pass for uids and names, one for timestamps; the clone index is spelled into each uid.
function cloneLines(lines: readonly string[], d: number, shiftMs: number, uidPattern: RegExp): string {
  const suffix = d.toString(16).padStart(12, '0');
  const names = (s: string): string =>
    s
      .replaceAll(`"${TEMPLATE_NAMESPACE}"`, `"load-${d % 16}"`)
      .replaceAll(TEMPLATE_NAME, `app-${d}`)
      .replace(uidPattern, (uid) => `${uid.slice(0, 24)}${suffix}`);
  const times = (s: string): string =>
    s.replace(ISO_TIME, (_, iso: string) => {
      const shifted = new Date(Date.parse(iso) + shiftMs).toISOString();
      // Keep the source's precision: whole seconds stay whole seconds.
      return `"${iso.includes('.') ? shifted : shifted.replace(/\.\d+Z$/, 'Z')}"`;
    });
  return `${lines.map((l) => times(names(l))).join('\n')}\n`;
}
