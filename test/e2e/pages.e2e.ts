import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { BASE_ARGS, demo, launch, openPage, screenshot, serveSite, waitForText, type Site } from './harness';

const PAGES = ['index', 'activations', 'softmax', 'neuron', 'training'];

let site: Site;
let browser: Browser;

beforeAll(async () => {
  site = await serveSite();
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('every demo page', () => {
  for (const name of PAGES) {
    it(`${name}: loads on WebGPU with no console errors, shared nav, narrow screen`, async () => {
      const { page, errors } = await openPage(browser, `${site.url}/${name === 'index' ? '' : `${name}.html`}`);
      const d = await demo<{ backend: string; adapter: unknown; errors: string[]; page: string }>(page);
      expect(d.page).toBe(name);
      expect(d.backend).toBe('webgpu');
      expect(d.adapter).toBeTruthy();
      expect(d.errors).toEqual([]);
      expect(errors).toEqual([]);
      // One nav, with this page marked current.
      const nav = await page.$$eval('nav[aria-label="Demo pages"] a', (as) => as.map((a) => [a.textContent, a.getAttribute('aria-current')]));
      expect(nav.length).toBe(PAGES.length);
      expect(nav.filter(([, c]) => c === 'page').length).toBe(1);
      // Every form control has an accessible name.
      const unlabelled = await page.$$eval('input, select, textarea, button', (els) =>
        els
          .filter((e) => {
            const el = e as HTMLInputElement;
            if (el.type === 'hidden') return false;
            const byLabel = el.labels && el.labels.length > 0;
            const text = (el.getAttribute('aria-label') ?? '') + (el.tagName === 'BUTTON' ? el.textContent ?? '' : '');
            return !byLabel && !text.trim();
          })
          .map((e) => e.outerHTML.slice(0, 80)),
      );
      expect(unlabelled).toEqual([]);
      // What ran where: the adapter, and on a software adapter why small work is faster on the CPU path.
      const where = await waitForText(page, '#where', 'Ran on the GPU');
      expect(where).toMatch(/swiftshader/i);
      expect(where).toContain('software adapter');
      await screenshot(page, `desktop-${name}`);
      // A phone-sized screen: nothing wider than the viewport.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(300);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await screenshot(page, `phone-${name}`);
      expect(errors).toEqual([]);
      expect((await demo<{ errors: string[] }>(page)).errors).toEqual([]);
      await page.context().close();
    });
  }
});

/** Visible headings, captions, buttons and leads that name the GPU (they must not on the CPU path). */
function gpuClaims(page: import('playwright-core').Page): Promise<string[]> {
  return page.$$eval('main h1, main h2, main caption, main th, main button, main legend, main p.lead, main figcaption', (els) =>
    els.filter((e) => (e as HTMLElement).offsetParent !== null && /\bGPU\b/.test(e.textContent ?? '')).map((e) => `${e.tagName}: ${e.textContent}`),
  );
}

describe('without WebGPU', () => {
  it('says so plainly and runs on the CPU path when asked with ?cpu', async () => {
    const { page, errors } = await openPage(browser, `${site.url}/activations.html?cpu`);
    const d = await demo<{ backend: string; fallbackReason: string }>(page);
    expect(d.backend).toBe('cpu');
    const text = await waitForText(page, '#backend-status', 'No WebGPU: running on the CPU path');
    expect(text).toContain('?cpu');
    const s = await demo<{ curves: { f: number[] }[] }>(page, 'activations');
    expect(s.curves[0].f.length).toBe(201);
    expect(await gpuClaims(page)).toEqual([]);
    expect(errors).toEqual([]);
    await screenshot(page, 'fallback-activations-cpu-query');
    await page.context().close();
  });

  it('falls back in a browser that has no WebGPU adapter', async () => {
    const plain = await launch(BASE_ARGS); // no --enable-unsafe-webgpu: navigator.gpu finds no adapter
    try {
      for (const name of PAGES) {
        const { page, errors } = await openPage(plain, `${site.url}/${name === 'index' ? '' : `${name}.html`}`);
        const d = await demo<{ backend: string; fallbackReason: string; errors: string[] }>(page);
        expect(d.backend, name).toBe('cpu');
        expect(d.errors, name).toEqual([]);
        const banner = await waitForText(page, '#backend-status', 'No WebGPU: running on the CPU path');
        // navigator.gpu is there, the adapter is not: the banner says that, not "switched on".
        expect(await page.evaluate(() => !!navigator.gpu), name).toBe(true);
        expect((d as unknown as { fallbackKind: string }).fallbackKind, name).toBe('no-adapter');
        expect(banner, name).toContain('found no GPU adapter');
        expect(banner, name).not.toContain('switched on');
        expect(await gpuClaims(page), name).toEqual([]);
        await waitForText(page, '#where', 'Ran on the CPU path only');
        expect(errors, name).toEqual([]);
        if (name === 'training' || name === 'softmax') await screenshot(page, `fallback-${name}`);
        await page.context().close();
      }
    } finally {
      await plain.close();
    }
  });

  it('says "navigator.gpu is missing" when the browser has no WebGPU API at all', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript(() => {
      delete (Navigator.prototype as unknown as { gpu?: unknown }).gpu;
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${site.url}/training.html`);
    await page.waitForFunction(() => window.__demo?.ready === true, null, { timeout: 60_000 });
    const d = await demo<{ backend: string; fallbackKind: string }>(page);
    expect(d).toMatchObject({ backend: 'cpu', fallbackKind: 'no-api' });
    const banner = await waitForText(page, '#backend-status', 'navigator.gpu is missing');
    expect(banner).not.toContain('adapter');
    expect(await gpuClaims(page)).toEqual([]);
    expect(await page.textContent('#train')).toBe('Train on the CPU path');
    expect(errors).toEqual([]);
    await context.close();
  });
});
