/**
 * Cuts a committed fixture out of an e2e recording: the lines of one namespace (its objects,
 * Events and audited requests), the Nodes its pods ran on, and the real spans of the requests kept
 * (every span of an original trace that holds one of their audit ids, so etcd's children come too).
 * Lines are copied as the components wrote them; nothing is rewritten.
 *
 *   node --import tsx e2e/trim-recording.ts <recording-dir> <namespace> <out-dir>
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Json = Record<string, unknown>;

const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const lines = (file: string): string[] => {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
  } catch {
    return [];
  }
};

function namespaceOf(watchLine: Json): string | undefined {
  const o = obj(watchLine['object']);
  const ns = obj(o['metadata'])['namespace'];
  return typeof ns === 'string' ? ns : undefined;
}

/** Keeps the spans of original traces that hold one of `auditIds`; drops requests left empty. */
function trimSpans(requestLines: string[], auditIds: Set<string>): string[] {
  const keepTraces = new Set<string>();
  const spansOf = (req: Json): Json[] =>
    ((req['resourceSpans'] as Json[] | undefined) ?? []).flatMap((rs) =>
      ((obj(rs)['scopeSpans'] as Json[] | undefined) ?? []).flatMap(
        (ss) => (obj(ss)['spans'] as Json[] | undefined) ?? [],
      ),
    );
  const requests = requestLines.map((l) => JSON.parse(l) as Json);
  for (const req of requests) {
    for (const span of spansOf(req)) {
      const attrs = (span['attributes'] as { key: string; value: Json }[] | undefined) ?? [];
      const id = attrs.find((a) => a.key === 'audit-id')?.value['stringValue'];
      if (typeof id === 'string' && auditIds.has(id)) keepTraces.add(String(span['traceId']));
    }
  }
  const out: string[] = [];
  for (const req of requests) {
    const resourceSpans = ((req['resourceSpans'] as Json[] | undefined) ?? [])
      .map((rs) => ({
        ...rs,
        scopeSpans: ((obj(rs)['scopeSpans'] as Json[] | undefined) ?? [])
          .map((ss) => ({
            ...ss,
            spans: ((obj(ss)['spans'] as Json[] | undefined) ?? []).filter((s) => keepTraces.has(String(s['traceId']))),
          }))
          .filter((ss) => ss.spans.length > 0),
      }))
      .filter((rs) => rs.scopeSpans.length > 0);
    if (resourceSpans.length > 0) out.push(JSON.stringify({ resourceSpans }));
  }
  return out;
}

function main(): void {
  const [dir, ns, outDir] = process.argv.slice(2);
  if (dir === undefined || ns === undefined || outDir === undefined) {
    console.error('usage: trim-recording.ts <recording-dir> <namespace> <out-dir>');
    process.exit(2);
  }
  const watch = lines(join(dir, 'watch.jsonl')).map((l) => ({ l, v: JSON.parse(l) as Json }));
  const nodes = new Set<string>();
  const keptWatch = watch.filter(({ v }) => namespaceOf(v) === ns);
  for (const { v } of keptWatch) {
    const node = obj(obj(v['object'])['spec'])['nodeName'];
    if (typeof node === 'string') nodes.add(node);
  }
  const isNode = (v: Json): boolean => {
    const o = obj(v['object']);
    return o['kind'] === 'Node' && nodes.has(String(obj(o['metadata'])['name']));
  };
  const keptLines = watch.filter(({ v }) => namespaceOf(v) === ns || isNode(v)).map((x) => x.l);
  const keptEvents = lines(join(dir, 'events.jsonl')).filter((l) => namespaceOf(JSON.parse(l) as Json) === ns);
  const audit = lines(join(dir, 'audit.log')).map((l) => ({ l, v: JSON.parse(l) as Json }));
  const keptAudit = audit.filter(({ v }) => obj(v['objectRef'])['namespace'] === ns);
  const auditIds = new Set(keptAudit.map(({ v }) => String(v['auditID'])));
  const keptSpans = trimSpans(lines(join(dir, 'spans.jsonl')), auditIds);
  mkdirSync(outDir, { recursive: true });
  const write = (name: string, ls: string[]): void =>
    writeFileSync(join(outDir, name), ls.map((l) => l + '\n').join(''));
  write('watch.jsonl', keptLines);
  write('events.jsonl', keptEvents);
  write(
    'audit.log',
    keptAudit.map((x) => x.l),
  );
  write('spans.jsonl', keptSpans);
  console.error(
    `${ns}: ${keptLines.length} watch, ${keptEvents.length} events, ${keptAudit.length} audit, ${keptSpans.length} span requests`,
  );
}

main();
