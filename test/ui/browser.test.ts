import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore, TraceStore } from '../../storage/index.js';
import type { SpanData } from '../../src/model/span.js';
import type { UiServer } from '../../src/ui/ui-server.js';
import { startUiServer } from '../../src/ui/ui-server.js';
import { launchChromium, trackedPage } from './support/headless.js';
import { rolloutBatches, rolloutRoot } from './rollout-fixture.js';

const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);

/** The slice of a DOM element the assertions read (tsconfig has no DOM lib). */
interface Styled {
  readonly style: { readonly paddingLeft: string; readonly top: string };
}

let store: TraceStore;
let server: UiServer;
let browser: Browser;
let spans: SpanData[];
const pageErrors: string[] = [];

/** The viewer's own duration format for 1 s ≤ d < 60 s (format.js). */
function seconds(span: SpanData): string {
  return `${(Math.round((span.endMs - span.startMs) * 1000) / 1e6).toFixed(2)}s`;
}

/** A deep, wide synthetic trace of `n` spans: root → 50 groups → pods, to exercise windowing. */
function bigTrace(n: number): SpanData[] {
  const traceId = 'b'.repeat(32);
  const base = 1_772_000_000_000;
  const id = (i: number): string => i.toString(16).padStart(16, '0');
  const out: SpanData[] = [];
  for (let i = 1; i <= n; i++) {
    const parent = i === 1 ? undefined : i <= 51 ? 1 : 2 + ((i - 52) % 50);
    out.push({
      traceId,
      spanId: id(i),
      ...(parent !== undefined ? { parentSpanId: id(parent) } : {}),
      name: i === 1 ? 'Big rollout' : i <= 51 ? `group ${i}` : `pod ${i}`,
      kind: 'internal',
      startMs: base + i,
      endMs: base + (i === 1 ? n + 10_000 : i <= 51 ? n + 5_000 : i + 1_000),
      resource: { attributes: { 'service.name': i % 3 === 0 ? 'kubelet' : 'kube-controller-manager' } },
      attributes: {
        'k8s.object.kind': 'Deployment',
        'k8s.object.name': 'big',
        'k8s.namespace.name': 'load',
      },
      events: [],
      links: [],
      status: { code: 'ok' },
    });
  }
  return out;
}

beforeAll(async () => {
  store = await TraceStore.open(new MemoryStore());
  const batches = await rolloutBatches();
  for (const b of batches) await store.write(b);
  spans = batches.flat();
  await store.write(bigTrace(5000));
  server = await startUiServer({ store, addr: '127.0.0.1:0' });
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

function row(page: Page, name: string) {
  return page.locator('.row', { has: page.locator('.op', { hasText: new RegExp(`^${name}$`) }) });
}

describe('viewer in headless Chromium', () => {
  it('finds the Deployment, opens its rollout trace and shows nested ReplicaSet and pod spans', async () => {
    const page = await openPage();
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.locator('#trace-list tbody tr').count()).toBeGreaterThan(0);

    // Object search with autocomplete, driven by the keyboard.
    await page.locator('#object-search').fill('shop/web');
    const suggestion = page.locator('#object-suggestions [role=option]').first();
    await suggestion.waitFor();
    expect(await suggestion.textContent()).toMatch(/^Deployment\s*shop\/web/);
    await page.locator('#object-search').press('ArrowDown');
    await page.locator('#object-search').press('Enter');
    await page.locator('#list-title', { hasText: 'Traces of Deployment shop/web' }).waitFor();
    const link = page.getByRole('link', { name: 'Deployment rollout' });
    await link.click();

    const root = rolloutRoot(spans);
    await page.locator('#trace-title', { hasText: 'Deployment rollout — Deployment shop/web' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/trace/${root.traceId}`);

    const inTrace = spans.filter((s) => s.traceId === root.traceId);
    const scaleUp = inTrace.find((s) => s.name === 'ReplicaSet scale up');
    const pods = inTrace.filter((s) => s.name === 'pod startup' && s.parentSpanId === scaleUp?.spanId);
    expect(scaleUp).toBeDefined();
    expect(pods.length).toBe(3);
    const rsRow = row(page, 'ReplicaSet scale up');
    await rsRow.waitFor();
    expect(await row(page, 'Deployment rollout').getAttribute('aria-level')).toBe('1');
    expect(await rsRow.getAttribute('aria-level')).toBe('2');
    expect(await rsRow.locator('.duration').textContent()).toBe(scaleUp && seconds(scaleUp));
    // Inline styles, read from the element itself: rows are re-created as the list scrolls.
    const px = (r: typeof rsRow, part: string, prop: 'paddingLeft' | 'top'): Promise<number> =>
      r.locator(part).evaluate((el, p) => parseFloat((el as unknown as Styled).style[p]), prop);
    const rsIndent = await px(rsRow, '.name', 'paddingLeft');
    const rsTop = await rsRow.evaluate((el) => parseFloat((el as unknown as Styled).style.top));
    for (const pod of pods) {
      const podRow = page.locator(`.row[data-span-id="${pod.spanId}"]`);
      await podRow.scrollIntoViewIfNeeded();
      expect(await podRow.getAttribute('aria-level')).toBe('3');
      expect(await podRow.locator('.duration').textContent()).toBe(seconds(pod));
      expect(await px(podRow, '.name', 'paddingLeft')).toBeGreaterThan(rsIndent);
      // Pod rows come after their ReplicaSet row, in the ReplicaSet's subtree.
      expect(await podRow.evaluate((el) => parseFloat((el as unknown as Styled).style.top))).toBeGreaterThan(rsTop);
    }

    // Clicking a span shows its attributes, span events (diffs) and links.
    const pod = pods[0];
    await page.locator(`.row[data-span-id="${pod?.spanId}"] .span-button`).click();
    const details = page.locator('#span-details');
    await details.locator('h2', { hasText: 'pod startup' }).waitFor();
    const podName = String(pod?.attributes['k8s.pod.name']);
    await expect
      .poll(() => details.locator('tr', { hasText: 'k8s.pod.name' }).locator('td').textContent())
      .toBe(podName);
    expect(await details.locator('.events li strong', { hasText: 'diff' }).count()).toBeGreaterThan(0);
    expect(await details.locator('.diff li').first().textContent()).toMatch(/→/);
    await details.locator('h3', { hasText: 'Links' }).waitFor();
    expect(await details.locator('.links a').first().textContent()).toMatch(/Node/);
    expect(await row(page, 'pod startup').first().getAttribute('aria-selected')).toBeDefined();

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: new URL('viewer.png', ARTIFACTS).pathname, fullPage: false });
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it('renders a 5,000-span trace as a windowed list that scrolls to its last span', async () => {
    const page = await openPage();
    await page.goto(`${server.url}/trace/${'b'.repeat(32)}`);
    await page.locator('#trace-title', { hasText: 'Big rollout' }).waitFor();
    await expect.poll(() => page.locator('#trace-meta').textContent()).toMatch(/5000 spans/);
    const rendered = await page.locator('.row').count();
    expect(rendered).toBeGreaterThan(10);
    expect(rendered).toBeLessThan(200);
    // Keyboard: End jumps to the last row and keeps it rendered.
    await page.locator('#waterfall').focus();
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.locator('#span-details h2', { hasText: /^pod \d+$/ }).waitFor();
    expect(await page.locator('.row').count()).toBeLessThan(200);
    // Collapsing the root leaves a single row.
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.locator('.row').count()).toBe(1);
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
