import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ATTR } from '../../src/model/attributes.js';
import type { SpanData } from '../../src/model/span.js';
import { synthesizeRecords } from '../../src/replay.js';
import { readRecording } from '../../src/sources/recording/read-recording.js';
import { skewed } from './skewed-records.js';

// Issue 14, kind skew: in the real sts recording pod db-0's termination began at 10:23:36.84; at
// 10:23:38.38 kwok (the kubelet there) deleted it for good — the stored object already carried the
// earlier delete's deletionTimestamp (10:23:38Z). In order, that delete arrives while the
// termination is open and ends it. With the audit stream 1.5 s behind the pod's (kind-skew seed 3),
// the pod's records closed the termination first at their second-precision time (10:23:37.0),
// more than 1 s before the delete, which opened a Pod activity root of its own. The final delete
// is the termination's.

const STS = fileURLToPath(new URL('../fixtures/real/sts', import.meta.url));
const FINAL_DELETE = '8b4ecd0c-3aea-4f03-9414-d899a658e94d';

function parentOfDelete(spans: readonly SpanData[]): string | undefined {
  const del = spans.find((s) => s.attributes[ATTR.auditId] === FINAL_DELETE);
  return spans.find((s) => s.spanId === del?.parentSpanId)?.name;
}

describe('a pod’s final delete arriving after its records closed the termination', () => {
  it('is the termination’s, in order and with the audit stream late', async () => {
    const { records } = await readRecording(STS);
    for (const input of [records, skewed(records, { StatefulSet: 374, Pod: 2280, audit: 3815, Event: 3601 })]) {
      expect(parentOfDelete(synthesizeRecords(input, { cluster: 'c' }).flat())).toBe('pod termination');
    }
  });
});
