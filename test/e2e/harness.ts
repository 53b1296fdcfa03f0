/**
 * What the end-to-end tests share: a static server for demo-dist/ on 127.0.0.1, Chromium
 * launched with WebGPU (SwiftShader) through playwright-core, console-error capture and
 * screenshots into test-results/screenshots/. Every wait has a timeout.
 */
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type {} from '../../demo/src/common';

export const ROOT = resolve(import.meta.dirname, '../..');
export const SITE = join(ROOT, 'demo-dist');
export const SHOTS = join(ROOT, 'test-results/screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const BASE_ARGS = ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
export const WEBGPU_ARGS = [...BASE_ARGS, '--enable-unsafe-webgpu'];

/** How long a page may take to compute its first render (SwiftShader on a shared CPU). */
export const READY_MS = 90_000;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.wgsl': 'text/plain; charset=utf-8',
};

export interface Site {
  url: string;
  close(): Promise<void>;
}

/** Serves demo-dist/ on 127.0.0.1 at a free port. */
export async function serveSite(): Promise<Site> {
  if (!existsSync(join(SITE, 'index.html'))) {
    throw new Error(`e2e: ${SITE}/index.html is missing; build the demo first (npm run test:e2e does: vite build --config vite.demo.config.ts)`);
  }
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let file = normalize(join(SITE, path));
    if (!file.startsWith(SITE)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** Chromium with a fresh temporary profile (playwright's launch makes one per browser). */
export function launch(args = WEBGPU_ARGS): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args, timeout: 60_000 });
}

export interface OpenedPage {
  page: Page;
  /** Console errors and uncaught exceptions seen so far. */
  errors: string[];
}

/** Opens `path` in a new context and waits until the page's first render is done. */
export async function openPage(browser: Browser, url: string, viewport = { width: 1280, height: 900 }): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(30_000);
  context.setDefaultNavigationTimeout(30_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  // An uncaught error during start-up fails at once instead of waiting for the timeout.
  let failStartup: (e: Error) => void = () => undefined;
  const crashed = new Promise<never>((_, reject) => (failStartup = reject));
  page.on('pageerror', (e) => failStartup(new Error(`e2e: ${url} threw while starting: ${e.message}`)));
  await page.goto(url, { waitUntil: 'load' });
  await Promise.race([page.waitForFunction(() => window.__demo?.ready === true, null, { timeout: READY_MS }), crashed]);
  crashed.catch(() => undefined);
  return { page, errors };
}

/** Runs `action` and waits until the page has finished one more render after it. */
export async function afterRender(page: Page, action: () => Promise<unknown>, timeout = READY_MS): Promise<void> {
  const before = await page.evaluate(() => window.__demo.renders);
  await action();
  await page.waitForFunction((n) => window.__demo.renders > n, before, { timeout });
  // A change made during a render triggers one more; wait for the page to settle.
  await page.waitForFunction(() => !document.body.dataset.busy, null, { timeout });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true, timeout: 30_000 });
  return path;
}

/** Page state from `window.__demo` (plain data only). */
export function demo<T = Record<string, unknown>>(page: Page, key?: string): Promise<T> {
  return page.evaluate((k) => {
    const d = window.__demo as unknown as Record<string, unknown>;
    return JSON.parse(JSON.stringify(k ? d[k] : d, (_key, v) => (typeof v === 'function' ? undefined : v)));
  }, key) as Promise<T>;
}

/** Waits until the element's text contains `text` (throws with the last text seen). */
export async function waitForText(page: Page, selector: string, text: string, timeout = 30_000): Promise<string> {
  try {
    await page.waitForFunction(
      ([sel, t]) => (document.querySelector(sel)?.textContent ?? '').includes(t),
      [selector, text] as const,
      { timeout },
    );
  } catch {
    const seen = await page.textContent(selector, { timeout: 1000 }).catch(() => null);
    throw new Error(`e2e: ${selector} never contained '${text}' within ${timeout} ms; last text: ${JSON.stringify(seen)}`);
  }
  return (await page.textContent(selector)) ?? '';
}

/**
 * Waits for `condition` (a predicate source run in the page) or for the page's alert region
 * (#error) to show something, whichever comes first; throws with the alert's text in the latter case.
 */
export async function waitOrAlert(page: Page, condition: string, timeout = READY_MS): Promise<void> {
  const handle = await page.waitForFunction(
    (src) => {
      const err = document.getElementById('error');
      if (err && !err.hidden && err.textContent) return { error: err.textContent };
      return (0, eval)(src) ? { error: null } : false;
    },
    condition,
    { timeout },
  );
  const { error } = (await handle.jsonValue()) as { error: string | null };
  if (error) throw new Error(`e2e: the page reported an error: ${error}`);
}

/** A field's error state: aria-invalid, the message under it, and whether the message is on screen. */
export async function fieldError(page: Page, id: string): Promise<{ invalid: boolean; message: string; visible: boolean; describedBy: boolean }> {
  const sel = `#${id}-error`;
  await page.waitForSelector(sel, { timeout: 30_000 });
  return page.evaluate((fid) => {
    const f = document.getElementById(fid)!;
    const m = document.getElementById(`${fid}-error`)!;
    const r = m.getBoundingClientRect();
    return {
      invalid: f.getAttribute('aria-invalid') === 'true',
      message: m.textContent ?? '',
      visible: r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight,
      describedBy: (f.getAttribute('aria-describedby') ?? '').split(' ').includes(`${fid}-error`),
    };
  }, id);
}

/** Whether the element is shown and inside the viewport. */
export function inView(page: Page, selector: string): Promise<boolean> {
  return page.evaluate((s) => {
    const e = document.querySelector(s) as HTMLElement | null;
    if (!e || e.hidden) return false;
    const r = e.getBoundingClientRect();
    return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
  }, selector);
}

export interface ChartView {
  datasets: { label: string; type: string; data: [number, number][]; sorted: boolean; drawn: number; colour: unknown; border: unknown; dashed: boolean; axis: string }[];
  legend: { text: string; fill: unknown; stroke: unknown; dash: number[]; swatch: string }[];
  scales: Record<string, { type: string; min: number; max: number; display: boolean; ticks: string[]; left: number; right: number }>;
  chartArea: { left: number; right: number; top: number; bottom: number };
  width: number;
}

/** What a chart of the page shows (`window.__demo.chart()` or `.charts()[name]`). */
export function chartView(page: Page, name?: string): Promise<ChartView> {
  return page.evaluate((n) => {
    const d = window.__demo as unknown as { chart?: () => unknown; charts?: () => Record<string, unknown> };
    return JSON.parse(JSON.stringify(n ? d.charts!()[n] : d.chart!()));
  }, name) as Promise<ChartView>;
}
