import { describe, expect, it } from 'vitest';
import type { IngestRecord, KubeEvent, WatchType } from '../../../src/model/records.js';
import { compareRecords } from '../../../src/sources/recording/record-order.js';
import type { RankedRecord } from '../../../src/sources/recording/record-order.js';

const T = Date.parse('2024-05-01T10:00:00Z');

function obj(kind: string, name: string, timeMs: number, rv: string, type: WatchType = 'ADDED'): RankedRecord {
  const object = { kind, metadata: { name, namespace: 'shop', resourceVersion: rv } };
  const record: IngestRecord = {
    source: 'object',
    type,
    object,
    timeMs,
    timeEstimated: false,
    origin: { file: 'watch.jsonl', line: 1 },
  };
  return { record, raw: JSON.stringify({ type, object }) };
}

function ev(name: string, timeMs: number): RankedRecord {
  const event: KubeEvent = {
    key: name,
    namespace: 'shop',
    name,
    regarding: { kind: 'Pod', apiVersion: 'v1', namespace: 'shop', name: 'p', uid: '', fieldPath: '' },
    reason: 'Scheduled',
    type: 'Normal',
    note: '',
    action: '',
    reportingController: 'default-scheduler',
    reportingInstance: '',
    firstMs: timeMs,
    lastMs: timeMs,
    count: 1,
  };
  const record: IngestRecord = {
    source: 'event',
    type: 'ADDED',
    event,
    timeMs,
    timeEstimated: false,
    origin: { file: 'events.jsonl', line: 1 },
  };
  return { record, raw: JSON.stringify(event) };
}

function label(r: RankedRecord): string {
  const rec = r.record;
  if (rec.source === 'event') return `Event/${rec.event.name}`;
  if (rec.source !== 'object') return rec.source;
  const meta = rec.object['metadata'] as { name: string; resourceVersion: string };
  return `${rec.type} ${String(rec.object['kind'])}/${meta.name}@${meta.resourceVersion}`;
}

function sorted(records: readonly RankedRecord[]): string[] {
  return [...records].sort(compareRecords).map(label);
}

describe('compareRecords', () => {
  describe('ordering rules', () => {
    it('orders by time first, whatever the kind', () => {
      expect(sorted([obj('Deployment', 'd', T + 2, '5'), ev('e', T), obj('Pod', 'p', T + 1, '9')])).toEqual([
        'Event/e',
        'ADDED Pod/p@9',
        'ADDED Deployment/d@5',
      ]);
    });

    it('within one millisecond (the precision of receive times), puts owners first, then the exact time', () => {
      expect(sorted([obj('Deployment', 'd', T + 0.9, '5'), ev('e', T), obj('Pod', 'p', T + 0.5, '9')])).toEqual([
        'ADDED Deployment/d@5',
        'ADDED Pod/p@9',
        'Event/e',
      ]);
    });

    it('puts owners before what they own, and Events last, within one instant', () => {
      const input = [
        ev('e', T),
        obj('Service', 's', T, '1'),
        obj('Pod', 'p', T, '2'),
        obj('ReplicaSet', 'rs', T, '3'),
        obj('Deployment', 'd', T, '4'),
        obj('Job', 'j', T, '5'),
        obj('CronJob', 'cj', T, '6'),
        obj('Node', 'n', T, '7'),
      ];
      expect(sorted(input)).toEqual([
        'ADDED Node/n@7',
        'ADDED CronJob/cj@6',
        'ADDED Deployment/d@4',
        'ADDED Job/j@5',
        'ADDED ReplicaSet/rs@3',
        'ADDED Pod/p@2',
        'ADDED Service/s@1',
        'Event/e',
      ]);
    });

    it('orders versions of one kind by resourceVersion, then by watch type', () => {
      const input = [
        obj('Pod', 'p', T, '12', 'DELETED'),
        obj('Pod', 'p', T, '11', 'MODIFIED'),
        obj('Pod', 'q', T, '10', 'DELETED'),
        obj('Pod', 'q', T, '10', 'ADDED'),
        obj('Pod', 'q', T, '10', 'MODIFIED'),
      ];
      expect(sorted(input)).toEqual([
        'ADDED Pod/q@10',
        'MODIFIED Pod/q@10',
        'DELETED Pod/q@10',
        'MODIFIED Pod/p@11',
        'DELETED Pod/p@12',
      ]);
    });
  });

  describe('totality', () => {
    it('sorts every permutation of a set of ties to the same sequence', () => {
      const input = [
        obj('Pod', 'a', T, ''),
        obj('Pod', 'b', T, ''),
        obj('Pod', 'c', T, 'x'),
        ev('e1', T),
        ev('e2', T),
        obj('ConfigMap', 'cm', T, '3'),
      ];
      const expected = sorted(input);
      for (const perm of permutations(input)) expect(sorted(perm)).toEqual(expected);
    });
  });
});

function permutations<X>(items: readonly X[]): X[][] {
  if (items.length <= 1) return [[...items]];
  const out: X[][] = [];
  items.forEach((item, i) => {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) out.push([item, ...rest]);
  });
  return out;
}
