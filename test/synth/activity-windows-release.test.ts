import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ActivityWindows } from '../../src/synth/activity-windows.js';
import { SpanTree } from '../../src/synth/span-tree.js';

const WINDOW_MS = 30 * 60_000;
const T0 = Date.parse('2026-03-01T10:00:00Z');

describe('activity windows, once ended and exported', () => {
  it('are not held: a service under churn keeps no ended window with its events (#16)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const tree = new SpanTree('c');
    const windows = new ActivityWindows(tree, WINDOW_MS);
    // Fewer than the 1,024 closed slots after which the FIFO is spliced: those used to stay.
    const refs: WeakRef<object>[] = [];
    for (let i = 0; i < 10; i++) {
      const subject = { id: `uid-${i}`, kind: 'Pod', attributes: { 'k8s.pod.name': `p-${i}` } };
      windows.addEvent(subject, { name: 'diff', timeMs: T0 + i, attributes: {} }, { 'service.name': 'kubelet' });
      refs.push(new WeakRef(windows.windowFor(subject, T0 + i, {})));
    }
    windows.advance(T0 + WINDOW_MS);
    tree.advance(T0 + WINDOW_MS);
    expect(tree.takeBatch()).toHaveLength(10);
    windows.advance(T0 + 2 * WINDOW_MS + 1);
    // WeakRef targets stay alive until the end of the job that created or read them.
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
  });
});
