import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore, TraceStore } from '../../storage/index.js';
import type { SpanData } from '../../src/model/span.js';
import type { UiServer } from '../../src/ui/ui-server.js';
import { startUiServer } from '../../src/ui/ui-server.js';
import { launchChromium, trackedPage } from './support/headless.js';
import { FakeOpenOperations } from './fake-open-operations.js';
import { rolloutBatches, rolloutRoot } from './rollout-fixture.js';

const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);
const EARLIER_TRACE = 'd'.repeat(32);
const WAITING_ON = 'pod web-7c94-x2: readiness (unready 4m12s)';

let store: TraceStore;
let source: FakeOpenOperations;
let server: UiServer;
let browser: Browser;
let root: SpanData;
/** The spans of the rollout still open at `cutMs` (the rollout, its scale-up, a pod startup …). */
let open: SpanData[];
let ended: SpanData[];
let cutMs: number;
/** The server's clock: the rollout is watched `cutMs`, then time moves on. */
let nowMs: number;
const pageErrors: string[] = [];

beforeAll(async () => {
  const spans = (await rolloutBatches()).flat();
  root = rolloutRoot(spans);
  const inTrace = spans.filter((s) => s.traceId === root.traceId);
  // The rollout as the live service sees it mid-way: what ended is stored, what started is open.
  cutMs = root.startMs + (root.endMs - root.startMs) / 2;
  ended = inTrace.filter((s) => s.endMs <= cutMs);
  open = inTrace.filter((s) => s.startMs < cutMs && s.endMs > cutMs);
  nowMs = cutMs;
  store = await TraceStore.open(new MemoryStore());
  await store.write(ended);
  // An earlier rollout, finished: what the finished list shows beside the one in progress.
  await store.write(inTrace.map((s) => ({ ...s, traceId: EARLIER_TRACE })));
  source = new FakeOpenOperations(open, new Map([[root.spanId, WAITING_ON]]));
  server = await startUiServer({ store, addr: '127.0.0.1:0', openOperations: source, nowMs: () => nowMs });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await store?.close();
});

async function openPage(): Promise<Page> {
  const page = await trackedPage(browser, pageErrors);
  return page;
}

describe('viewer in headless Chromium, live operations in progress', () => {
  it('lists the in-progress rollout above the finished traces, refreshing, and opens it with open spans to now', async () => {
    expect(open.length).toBeGreaterThan(1);
    expect(open.some((s) => s.spanId === root.spanId)).toBe(true);
    const page = await openPage();
    await page.goto(`${server.url}/`);

    const openRow = page.locator('#open-list tbody tr');
    await openRow.first().waitFor();
    expect(await openRow.count()).toBe(1);
    const cells = await openRow.locator('td').allTextContents();
    expect(cells[0]).toBe('Deployment rollout');
    expect(cells[1]).toBe('Deployment shop/web');
    expect(cells[4]).toBe(WAITING_ON);
    // Above the finished traces.
    const openBox = await page.locator('#open-view').boundingBox();
    const listBox = await page.locator('#list-view').boundingBox();
    expect(openBox && listBox && openBox.y + openBox.height <= listBox.y).toBe(true);
    await page.locator(`#trace-list a[data-trace-link="${EARLIER_TRACE}"]`).waitFor();
    // Its partial trace (what has ended so far) is not listed among the finished ones.
    const finishedLink = page.locator(`#trace-list a[data-trace-link="${root.traceId}"]`);
    expect(await finishedLink.count()).toBe(0);

    // Two minutes later the next refresh (every 5 s) shows the elapsed time grown.
    const before = cells[2];
    nowMs = cutMs + 120_000;
    await expect.poll(() => openRow.locator('td').nth(2).textContent(), { timeout: 8_000 }).not.toBe(before);
    expect(await openRow.locator('td').nth(2).textContent()).toMatch(/^\d+m \d+s$/);

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL('viewer-open-start.png', ARTIFACTS).pathname, fullPage: false });
    await openRow.getByRole('link', { name: 'Deployment rollout' }).click();
    await page.locator('#trace-title', { hasText: 'Deployment rollout — Deployment shop/web' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/trace/${root.traceId}`);
    await expect.poll(() => page.locator('#trace-meta').textContent()).toMatch(/^In progress · .* so far · /);
    expect(await page.locator('#trace-meta').textContent()).toContain(`${open.length + ended.length} spans`);
    // The start page's refresh stopped: the table is gone with it.
    expect(await page.locator('#open-view').isHidden()).toBe(true);

    // Every open span is drawn to now with the open style and label; the ended ones are not.
    const rootRow = page.locator(`.row[data-span-id="${root.spanId}"]`);
    expect(await rootRow.getAttribute('class')).toMatch(/\bopen\b/);
    expect(await rootRow.locator('.bar').getAttribute('class')).toBe('bar open');
    expect(await rootRow.locator('.duration').textContent()).toMatch(/ in progress$/);
    // Rows are windowed: check every rendered row, at the top and after jumping to the end.
    const openIds = new Set(open.map((s) => s.spanId));
    const renderedRows = () =>
      page.locator('.row').evaluateAll((rows) =>
        rows.map((r) => ({
          id: r.getAttribute('data-span-id') ?? '',
          open: /\bopen\b/.test(r.getAttribute('class') ?? ''),
          label: r.querySelector('.duration')?.textContent ?? '',
        })),
      );
    const seen = new Set<string>();
    const checkRendered = async (): Promise<void> => {
      for (const r of await renderedRows()) {
        seen.add(r.id);
        expect({ id: r.id, open: r.open, inProgress: / in progress$/.test(r.label) }).toEqual({
          id: r.id,
          open: openIds.has(r.id),
          inProgress: openIds.has(r.id),
        });
      }
    };
    await checkRendered();
    await page.locator('#waterfall').focus();
    await page.keyboard.press('End');
    await checkRendered();
    expect(seen.size).toBe(open.length + ended.length);

    await page.screenshot({ path: new URL('viewer-open.png', ARTIFACTS).pathname, fullPage: false });

    // The open trace is fetched again every 5 s: a minute later its open spans reach the new now.
    await page.locator('#waterfall').focus();
    await page.keyboard.press('Home');
    const rootLabel = page.locator(`.row[data-span-id="${root.spanId}"] .duration`);
    const shownBefore = await rootLabel.textContent();
    nowMs += 60_000;
    await expect.poll(() => rootLabel.textContent(), { timeout: 8_000 }).not.toBe(shownBefore);
    expect(await rootLabel.textContent()).toMatch(/ in progress$/);

    // Searching its Deployment lists it as the rollout in progress, not as what is stored of it.
    await page.goto(`${server.url}/search?q=${encodeURIComponent('shop/web')}`);
    const searchRow = page.locator('#trace-list tbody tr', {
      has: page.locator(`a[data-trace-link="${root.traceId}"]`),
    });
    await searchRow.waitFor();
    const searchCells = await searchRow.locator('td').allTextContents();
    expect(searchCells.slice(0, 3)).toEqual(['Deployment rollout', 'Deployment shop/web', 'in-progress']);

    // The rollout ends: its spans are stored, it leaves the open list, and the start page's next
    // refresh moves it to the finished traces.
    await page.goto(`${server.url}/`);
    await openRow.first().waitFor();
    await store.write(open.map((s) => ({ ...s })));
    source.setOpen([]);
    await expect.poll(() => page.locator('#open-view').isHidden(), { timeout: 8_000 }).toBe(true);
    await expect.poll(() => finishedLink.count()).toBe(1);
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 60_000); // waits on three of the viewer's 5 s refreshes

  it('shows no in-progress table when nothing is open', async () => {
    const quiet = await startUiServer({ store, addr: '127.0.0.1:0' });
    try {
      const page = await openPage();
      await page.goto(`${quiet.url}/`);
      await expect.poll(() => page.locator('#trace-list tbody tr').count()).toBeGreaterThan(0);
      expect(await page.locator('#open-view').isHidden()).toBe(true);
      expect(pageErrors).toEqual([]);
      await page.close();
    } finally {
      await quiet.close();
    }
  });
});
