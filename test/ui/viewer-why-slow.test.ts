import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore, TraceStore } from '../../storage/index.js';
import type { SpanData } from '../../src/model/span.js';
import type { UiServer } from '../../src/ui/ui-server.js';
import { startUiServer } from '../../src/ui/ui-server.js';
import { launchChromium, trackedPage } from './support/headless.js';
import { rolloutBatches, rolloutRoot } from './rollout-fixture.js';

// The viewer answering "why was it slow" (#20): row labels, critical path, details pane, list
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);
const BASE = 1_772_000_000_000;

let store: TraceStore;
let server: UiServer;
let browser: Browser;
let spans: SpanData[];
const pageErrors: string[] = [];

function span(
  traceId: string,
  spanId: string,
  name: string,
  startMs: number,
  endMs: number,
  more: Partial<SpanData> = {},
): SpanData {
  return {
    traceId,
    spanId,
    name,
    kind: 'internal',
    startMs,
    endMs,
    resource: { attributes: { 'service.name': 'kubelet', 'k8s.node.name': 'node-9' } },
    attributes: { 'k8s.object.kind': 'Pod', 'k8s.object.name': 'lonely', 'k8s.namespace.name': 'ns' },
    events: [],
    links: [],
    status: { code: 'unset' },
    ...more,
  };
}

/** A Node activity window, and a pod startup whose first Event came 12.49 ms before it started. */
function extraTraces(): SpanData[] {
  const nodeAttrs = { 'k8s.object.kind': 'Node', 'k8s.object.name': 'node-9' };
  return [
    span('a'.repeat(32), '1'.repeat(16), 'Node activity', BASE, BASE + 1_800_000, { attributes: nodeAttrs }),
    span('c'.repeat(32), '2'.repeat(16), 'pod startup', BASE + 1000, BASE + 3000, {
      attributes: {
        'k8s.object.kind': 'Pod',
        'k8s.object.name': 'lonely',
        'k8s.namespace.name': 'ns',
        'kubestitch.outcome': 'failed',
      },
      events: [{ name: 'Scheduled', timeMs: BASE + 1000 - 12.49, attributes: {} }],
      status: { code: 'error', message: 'image pull' },
    }),
  ];
}

beforeAll(async () => {
  store = await TraceStore.open(new MemoryStore());
  const batches = await rolloutBatches();
  for (const b of batches) await store.write(b);
  spans = batches.flat();
  await store.write(extraTraces());
  server = await startUiServer({ store, addr: '127.0.0.1:0' });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await store?.close();
});

async function openPage(path: string): Promise<Page> {
  const page = await trackedPage(browser, pageErrors);
  await page.goto(`${server.url}${path}`);
  return page;
}

function listColumn(page: Page, index: number): Promise<string[]> {
  return page.locator(`#trace-list tbody tr td:nth-child(${index})`).allTextContents();
}

describe('viewer: why was it slow', () => {
  it('labels each pod row with its pod and node, marks the critical path, colours services by name', async () => {
    const root = rolloutRoot(spans);
    const page = await openPage(`/trace/${root.traceId}`);
    await page.locator('.row').first().waitFor();
    const pods = spans.filter((s) => s.traceId === root.traceId && s.name === 'pod startup');
    for (const pod of pods) {
      const row = page.locator(`.row[data-span-id="${pod.spanId}"]`);
      await row.scrollIntoViewIfNeeded();
      expect(await row.locator('.obj').textContent()).toBe(String(pod.attributes['k8s.pod.name']));
      expect(await row.locator('.svc').textContent()).toBe(String(pod.resource.attributes['k8s.node.name']));
    }
    await page.locator('#waterfall').evaluate((el) => ((el as unknown as { scrollTop: number }).scrollTop = 0));
    // Duration labels stay in the timeline, never over the (now longer) row labels.
    const rootRow = page.locator(`.row[data-span-id="${root.spanId}"]`);
    const timeline = await rootRow.locator('.timeline').boundingBox();
    const label = await rootRow.locator('.duration').boundingBox();
    expect(label?.x ?? 0).toBeGreaterThanOrEqual(timeline?.x ?? Infinity);
    // The rollout root is on the critical path, and so is the last-ending child under it.
    expect(await page.locator(`.row[data-span-id="${root.spanId}"]`).getAttribute('class')).toContain('critical');
    const children = spans.filter((s) => s.parentSpanId === root.spanId).sort((a, b) => a.startMs - b.startMs);
    // Collapse the root's children one by one so each is in view (the list is windowed).
    for (const c of children) {
      const toggle = page.locator(`.row[data-span-id="${c.spanId}"] [data-toggle]`);
      if ((await toggle.count()) > 0 && (await toggle.textContent()) === '▾') await toggle.click();
    }
    children.sort((a, b) => b.endMs - a.endMs);
    const last = children[0];
    expect(await page.locator(`.row[data-span-id="${last?.spanId}"]`).getAttribute('class')).toContain('critical');
    const notLast = children.find((c) => (c.endMs < (last?.startMs ?? 0) ? false : c !== last));
    if (notLast !== undefined) {
      expect(await page.locator(`.row[data-span-id="${notLast.spanId}"]`).getAttribute('class')).not.toContain(
        'critical',
      );
    }
    const kubeletColour = async (): Promise<string | null> =>
      page
        .locator('#service-legend li', { hasText: /^kubelet$/ })
        .locator('.swatch')
        .getAttribute('style');
    const first = await kubeletColour();
    // The actors of a rollout never share a colour.
    const swatches = await page
      .locator('#service-legend li .swatch')
      .evaluateAll((els) => els.map((el) => (el as unknown as { style: { background: string } }).style.background));
    expect(new Set(swatches).size).toBe(swatches.length);
    await page.goto(`${server.url}/trace/${'c'.repeat(32)}`);
    await page.locator('#trace-title', { hasText: 'pod startup' }).waitFor();
    // kubelet is the only service here, the third of several in the rollout: same colour anyway.
    expect(await kubeletColour()).toBe(first);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('prints a negative event offset with its sign; the details pane resizes and wraps', async () => {
    const page = await openPage(`/trace/${'c'.repeat(32)}`);
    await page.locator('.row .span-button').first().click();
    const details = page.locator('#span-details');
    await details.locator('.events li', { hasText: 'Scheduled' }).waitFor();
    expect(await details.locator('.events li').first().textContent()).toContain('at -12.490ms');
    const before = (await details.boundingBox())?.width ?? 0;
    await page.locator('#details-splitter').focus();
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowLeft');
    const after = (await details.boundingBox())?.width ?? 0;
    expect(after).toBeGreaterThan(before + 150);
    const splitter = await page.locator('#details-splitter').boundingBox();
    if (splitter !== null) {
      await page.mouse.move(splitter.x + 2, splitter.y + 50);
      await page.mouse.down();
      await page.mouse.move(splitter.x + 302, splitter.y + 50, { steps: 5 });
      await page.mouse.up();
    }
    expect((await details.boundingBox())?.width ?? 0).toBeLessThan(after - 250);
    // No value or key overflows the pane sideways.
    const overflow = await details.evaluate((el) => {
      const e = el as unknown as { scrollWidth: number; clientWidth: number };
      return e.scrollWidth - e.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(1);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL('viewer-details.png', ARTIFACTS).pathname });
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('shows field diffs across the full width of the details pane, wrapped', async () => {
    const root = rolloutRoot(spans);
    const pod = spans.find((s) => s.traceId === root.traceId && s.name === 'pod startup');
    const page = await openPage(`/trace/${root.traceId}?span=${pod?.spanId ?? ''}`);
    const details = page.locator('#span-details');
    const diff = details.locator('.diff').first();
    await diff.waitFor();
    const pane = await details.boundingBox();
    const box = await diff.boundingBox();
    // The diff spans the pane (less its padding and the event's border), not a table column.
    expect(box?.width ?? 0).toBeGreaterThan((pane?.width ?? Infinity) * 0.85);
    expect(
      await diff.evaluate(
        (el) =>
          (el as unknown as { scrollWidth: number; clientWidth: number }).scrollWidth -
          (el as unknown as { clientWidth: number }).clientWidth,
      ),
    ).toBeLessThanOrEqual(1);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('hides activity windows by default, sorts by duration and filters by operation, outcome, duration', async () => {
    const page = await openPage('/');
    await page.locator('#trace-list tbody tr').first().waitFor();
    expect(await listColumn(page, 1)).not.toContain('Node activity');
    await page.locator('#show-activity').check();
    await expect.poll(() => listColumn(page, 1)).toContain('Node activity');
    await page.locator('#show-activity').uncheck();

    await page.locator('th button[data-sort="duration"]').click();
    expect(await page.locator('th', { has: page.locator('[data-sort="duration"]') }).getAttribute('aria-sort')).toBe(
      'descending',
    );
    const names = await listColumn(page, 1);
    expect(names[0]).toBe('Deployment rollout');
    await page.locator('th button[data-sort="duration"]').click();
    expect((await listColumn(page, 1)).at(-1)).toBe('Deployment rollout');

    await page.locator('#filter-operation').selectOption('pod startup');
    expect(new Set(await listColumn(page, 1))).toEqual(new Set(['pod startup']));
    await page.locator('#filter-outcome').selectOption('failed');
    await page.locator('#filter-operation').selectOption('');
    expect(await listColumn(page, 2)).toEqual(['Pod ns/lonely']);
    await page.locator('#filter-outcome').selectOption('');
    await page.locator('#filter-operation').selectOption('');
    await page.locator('#filter-min-duration').fill('20s');
    const durations = await listColumn(page, 4);
    expect(durations.length).toBeGreaterThan(0);
    for (const d of durations) expect(d).toMatch(/^(\d+\.\d+s|\dm \d+s)$/);
    expect(durations.every((d) => !d.endsWith('s') || d.includes('m') || parseFloat(d) >= 20)).toBe(true);
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL('viewer-list.png', ARTIFACTS).pathname });
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('takes kubectl object forms in the search box', async () => {
    const page = await openPage('/');
    for (const q of ['deploy/web', 'deployments web', 'deployment.apps/web']) {
      await page.locator('#object-search').fill(q);
      await page.locator('#object-search').press('Enter');
      await page.locator('#list-title', { hasText: 'Traces of objects matching' }).waitFor();
      await expect.poll(() => listColumn(page, 2)).toContain('Deployment shop/web');
    }
    // A Node's traces are its activity windows: hidden, and the status line says how to see them.
    await page.goto(`${server.url}/search?q=${encodeURIComponent('no/node-9')}`);
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/1 activity windows are hidden/);
    await page.locator('#show-activity').check();
    await expect.poll(() => listColumn(page, 1)).toEqual(['Node activity']);
    expect(await page.locator('#status').textContent()).toBe('');
    await page.locator('#show-activity').uncheck();
    await page.locator('#object-search').fill('po/lonely');
    await page.locator('#object-suggestions [role=option]').first().waitFor();
    await expect
      .poll(() => page.locator('#object-suggestions [role=option]').first().textContent())
      .toMatch(/^Pod\s*ns\/lonely/);
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
