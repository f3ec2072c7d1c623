/// <reference lib="dom" />
/**
 * The plan pictures in a real browser (Debian's chromium through playwright-core): lanes and
 * bars render and match the plan, hover shows dependencies, hostile names stay text, no console
 * error and no network request, and a plan of 10,000 actions stays responsive. Screenshots go to
 * $SWITCHYARD_SCREENSHOTS (default: a `switchyard-render` folder in the temp directory).
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action } from '../../src/model/action.js';
import { renderPlan } from '../../src/report/render.js';
import { browserAvailability, launchBrowser, type TestBrowser } from '../support/browser.js';
import { clusterPlan, demoPlan, expectedPicture, HOSTILE, hostilePlan, syntheticPlan, type Planned } from './support.js';

const availability = browserAvailability();
if (!availability.run) console.warn(`render.browser.test: ${availability.why}`);

const shots = process.env['SWITCHYARD_SCREENSHOTS'] ?? join(tmpdir(), 'switchyard-render');
const work = mkdtempSync(join(tmpdir(), 'switchyard-render-pages-'));

interface Watch {
  errors: string[];
  external: string[];
  dialogs: string[];
}

function watch(page: Page): Watch {
  const w: Watch = { errors: [], external: [], dialogs: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') w.errors.push(m.text());
  });
  page.on('pageerror', (e) => w.errors.push(String(e)));
  page.on('request', (r) => {
    if (!r.url().startsWith('file:')) w.external.push(r.url());
  });
  page.on('dialog', (d) => {
    w.dialogs.push(d.message());
    void d.dismiss();
  });
  return w;
}

function writePage(name: string, text: string): string {
  const file = join(work, name);
  writeFileSync(file, text);
  return pathToFileURL(file).href;
}

async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(shots, { recursive: true });
  const path = join(shots, name);
  await page.screenshot({ path, fullPage: false });
  expect(statSync(path).size).toBeGreaterThan(5_000);
  return path;
}

describe.skipIf(!availability.run)('plan pictures in chromium', () => {
  let browser: TestBrowser;
  let page: Page;
  let seen: Watch;
  beforeAll(async () => {
    browser = await launchBrowser(availability.run ? availability.path : '');
    page = await browser.context.newPage();
    seen = watch(page);
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function open(url: string, html = true): Promise<number> {
    seen.errors.length = 0;
    seen.external.length = 0;
    const t0 = Date.now();
    await page.goto(url, { waitUntil: 'load' });
    if (html) await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    return Date.now() - t0;
  }

  async function checkHtml(name: string, p: Planned): Promise<void> {
    const { plan } = p;
    const want = expectedPicture(plan);
    await open(writePage(`${name}.html`, renderPlan(p.instance, plan)));
    expect(await page.getAttribute('body', 'data-mode')).toBe('static');
    // Lanes: exactly the nodes that have actions; on each, exactly the bars of its actions.
    const lanes = await page.$$eval('#lanes .lane', (els) =>
      els.map((e) => ({ node: e.getAttribute('data-node')!, bars: Array.from(e.querySelectorAll('[data-action]')).map((b) => Number(b.getAttribute('data-action'))) })),
    );
    expect(lanes.map((l) => l.node).sort()).toEqual([...want.lanes].sort());
    for (const l of lanes) expect(l.bars.sort((a, b) => a - b)).toEqual([...want.barsByNode.get(l.node)!].sort((a, b) => a - b));
    const ids = await page.$$eval('[data-action]', (els) => els.map((e) => Number(e.getAttribute('data-action'))));
    expect(ids.length).toBe(want.bars);
    expect(new Set(ids)).toEqual(new Set(plan.actions.map((a) => a.id)));
    // Every bar is drawn: a visible box inside its lane's track.
    const boxes = await page.$$eval('#lanes [data-action]', (els) =>
      els.map((e) => {
        const r = e.getBoundingClientRect();
        const t = e.parentElement!.getBoundingClientRect();
        return { w: r.width, h: r.height, inside: r.left >= t.left - 1 && r.right <= t.right + 4, vis: getComputedStyle(e).visibility };
      }),
    );
    for (const b of boxes) {
      expect(b.w).toBeGreaterThanOrEqual(3);
      expect(b.h).toBeGreaterThan(10);
      expect(b.inside).toBe(true);
      expect(b.vis).toBe('visible');
    }
    // Colours by type; a migration labelled with its destination on its source, its source on its destination.
    const mig = plan.actions.find((a): a is Extract<Action, { type: 'migrate' }> => a.type === 'migrate');
    if (mig) {
      const src = page.locator(`.lane[data-node="${mig.from}"] [data-action="${mig.id}"]`);
      const dst = page.locator(`.lane[data-node="${mig.to}"] [data-action="${mig.id}"]`);
      expect(await src.textContent()).toBe(`${mig.vm} → ${mig.to}`);
      expect(await dst.textContent()).toBe(`${mig.vm} ← ${mig.from}`);
      expect(await src.evaluate((e) => getComputedStyle(e).backgroundColor)).toBe('rgb(0, 114, 178)');
    }
    // Hover: what the action waits for and what waits for it are marked, and the tooltip names them.
    console.info(`screenshot: ${await screenshot(page, `${name}.html.png`)}`);
    const withDep = plan.actions.find((a) => (a.after ?? []).length > 0);
    if (withDep) {
      const dep = withDep.after![0]!;
      await page.locator(`[data-action="${withDep.id}"]`).first().hover();
      expect(await page.locator(`[data-action="${dep}"]`).first().getAttribute('class')).toMatch(/\bdep\b/);
      expect(await page.locator(`[data-action="${withDep.id}"]`).first().getAttribute('class')).toMatch(/\bfocus\b/);
      const tip = await page.locator('#tip').textContent();
      expect(tip).toContain(`#${withDep.id} ${withDep.type}`);
      expect(tip).toContain(`waits for: #${dep}`);
      console.info(`screenshot: ${await screenshot(page, `${name}.hover.html.png`)}`);
      await page.mouse.move(2, 2);
      expect(await page.locator('#lanes.hovering').count()).toBe(0);
    }
    // Load before → after on each lane, one meter per resource.
    const meters = await page.$$eval('#lanes .lane', (els) => els.map((e) => e.querySelectorAll('.meter').length));
    for (const m of meters) expect(m).toBe(p.instance.vms.first()!.demand.size);
    expect(seen.errors).toEqual([]);
    expect(seen.external).toEqual([]);
  }

  it('draws the demo plan: every lane, every bar, colours, labels, dependencies on hover', async () => {
    await checkHtml('demo', await demoPlan());
  });

  it('draws a 30-node consolidation with power-off the same way', async () => {
    const p = await clusterPlan();
    expect(p.plan.actions.length).toBeGreaterThan(40);
    expect(p.plan.actions.some((a) => a.type === 'shutdownNode')).toBe(true);
    await checkHtml('cluster', p);
  });

  it('draws the SVG picture with a rect per bar and a group per lane', async () => {
    const p = await clusterPlan();
    const want = expectedPicture(p.plan);
    await open(writePage('cluster.svg', renderPlan(p.instance, p.plan, { format: 'svg' })), false);
    expect(await page.$$eval('g.lane', (els) => els.map((e) => e.getAttribute('data-node')!).sort())).toEqual([...want.lanes].sort());
    const rects = await page.$$eval('rect[data-action]', (els) => els.map((e) => ({ id: Number(e.getAttribute('data-action')), w: e.getBoundingClientRect().width })));
    expect(rects.length).toBe(want.bars);
    expect(new Set(rects.map((r) => r.id)).size).toBe(p.plan.actions.length);
    for (const r of rects) expect(r.w).toBeGreaterThanOrEqual(2.5);
    console.info(`screenshot: ${await screenshot(page, 'cluster.svg.png')}`);
    expect(seen.errors).toEqual([]);
  });

  it('keeps hostile node and VM ids as text (no script runs, no markup injected)', async () => {
    const p = await hostilePlan();
    expect(p.plan.actions.length).toBeGreaterThan(0);
    for (const format of ['html', 'svg'] as const) {
      await open(writePage(`hostile.${format}`, renderPlan(p.instance, p.plan, { format })), format === 'html');
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(await page.locator('img').count()).toBe(0);
      const names = await page.$$eval(format === 'html' ? '.lane' : 'g.lane', (els) => els.map((e) => e.getAttribute('data-node')));
      expect(names).toContain(HOSTILE.node);
      expect(await page.locator(`[data-action]`).count()).toBe(expectedPicture(p.plan).bars);
      expect(seen.dialogs).toEqual([]);
      expect(seen.errors).toEqual([]);
    }
    await open(writePage('hostile2.html', renderPlan(p.instance, p.plan)));
    const first = p.plan.actions[0]!;
    await page.locator(`[data-action="${first.id}"]`).first().hover();
    expect(await page.locator('#tip').textContent()).toContain('vm' in first ? first.vm : first.node);
  });

  it('keeps a plan of 10,000 actions responsive: only the lanes in view are in the page', async () => {
    const p = syntheticPlan(10_000, 2_000, 7);
    const t0 = Date.now();
    const html = renderPlan(p.instance, p.plan);
    const renderMs = Date.now() - t0;
    const want = expectedPicture(p.plan);
    const loadMs = await open(writePage('big.html', html));
    console.info(`10,000 actions: rendered in ${renderMs} ms (${(html.length / 1e6).toFixed(1)} MB), page ready in ${loadMs} ms`);
    expect(await page.getAttribute('body', 'data-mode')).toBe('virtual');
    expect(Number(await page.getAttribute('body', 'data-lanes'))).toBe(want.lanes.size);
    expect(Number(await page.getAttribute('body', 'data-bars'))).toBe(want.bars);
    const dom = async (): Promise<{ elements: number; lanes: number; bars: number; lastNode: string | null }> =>
      page.evaluate(() => {
        const lanes = document.querySelectorAll('#lanes .lane');
        return {
          elements: document.getElementsByTagName('*').length,
          lanes: lanes.length,
          bars: document.querySelectorAll('[data-action]').length,
          lastNode: lanes.length > 0 ? lanes[lanes.length - 1]!.getAttribute('data-node') : null,
        };
      });
    const top = await dom();
    expect(top.lanes).toBeGreaterThan(5);
    expect(top.lanes).toBeLessThan(want.lanes.size / 4);
    expect(top.elements).toBeLessThan(6_000);
    expect(seen.errors).toEqual([]);
    // Scroll to the end: the last lanes are drawn within a frame or two, and the DOM stays bounded.
    const scrollMs = await page.evaluate(async () => {
      const t = performance.now();
      window.scrollTo(0, document.body.scrollHeight);
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return performance.now() - t;
    });
    const bottom = await dom();
    const lastLane = [...want.lanes].sort().at(-1)!;
    expect(bottom.lastNode).toBe(lastLane);
    expect(bottom.elements).toBeLessThan(6_000);
    expect(scrollMs).toBeLessThan(2_000);
    console.info(`screenshot: ${await screenshot(page, 'big.html.png')}`);
    // Any action can be found by id: its lane is drawn and its bar marked.
    const target = p.plan.actions[4_321]!;
    await page.fill('#find', String(target.id));
    await page.dispatchEvent('#find', 'change');
    expect(await page.locator(`[data-action="${target.id}"].found`).count()).toBeGreaterThan(0);
    // Hovering stays cheap.
    const hoverMs = await page.evaluate(() => {
      const bar = document.querySelector('[data-action]')!;
      const t = performance.now();
      bar.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
      return performance.now() - t;
    });
    expect(hoverMs).toBeLessThan(500);
    console.info(`10,000 actions: ${top.elements} elements in the page, scroll-to-end drawn in ${Math.round(scrollMs)} ms, hover ${Math.round(hoverMs)} ms`);
    expect(seen.errors).toEqual([]);
    expect(seen.external).toEqual([]);
  });
});
