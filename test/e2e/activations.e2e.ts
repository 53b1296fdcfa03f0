import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { BUILTIN_ACTIVATIONS } from '../../src/activations/table';
import { ulpDistance } from '../../src/ulp';
import { afterRender, chartView, demo, fieldError, inView, launch, openPage, screenshot, serveSite, waitForText, type OpenedPage, type Site } from './harness';

interface Curve {
  name: string;
  label: string;
  params: Record<string, number>;
  x: number[];
  f: number[];
  df: number[];
  cpuF: number[];
  cpuDf: number[];
  ulpF: { ulp: number; x: number };
  ulpDf: { ulp: number; x: number };
  peak: { x: number; y: number };
}
type State = { lo: number; hi: number; n: number; curves: Curve[] };

/** Worst ULP distance between the page's GPU values and float32(reference), subnormals flushed. */
function worstUlp(got: number[], ref: number[]): { ulp: number; i: number } {
  let w = { ulp: 0, i: -1 };
  got.forEach((g, i) => {
    const r = Math.fround(ref[i]);
    const d = Math.abs(g) < 2 ** -126 && Math.abs(r) < 2 ** -126 ? 0 : ulpDistance(g, r);
    if (d > w.ulp) w = { ulp: d, i };
  });
  return w;
}

let site: Site;
let browser: Browser;
let p: OpenedPage;

beforeAll(async () => {
  site = await serveSite();
  browser = await launch();
  p = await openPage(browser, `${site.url}/activations.html`);
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('activation explorer', () => {
  it('loads on a real WebGPU adapter with no console errors', async () => {
    const d = await demo<{ backend: string; adapter: { vendor: string; architecture: string } | null; errors: string[] }>(p.page);
    expect(d.backend).toBe('webgpu');
    expect(d.adapter).not.toBeNull();
    expect(d.errors).toEqual([]);
    expect(p.errors).toEqual([]);
    await waitForText(p.page, '#backend-status', 'WebGPU');
  });

  it('redraws each figure of the notes, the GPU values matching the CPU reference', async () => {
    const expected: Record<string, { lo: number; hi: number; names: string[] }> = {
      sigmoid: { lo: -8, hi: 8, names: ['sigmoid'] },
      relu: { lo: -8, hi: 8, names: ['relu'] },
      five: { lo: -2, hi: 4, names: ['sigmoid', 'relu', 'identity', 'linear', 'tanh'] },
      tanh: { lo: -5, hi: 5, names: ['tanh'] },
      'sigmoid-derivative': { lo: -10, hi: 10, names: ['sigmoid'] },
    };
    for (const [id, want] of Object.entries(expected)) {
      await afterRender(p.page, () => p.page.click(`[data-preset="${id}"]`));
      const s = await demo<State>(p.page, 'activations');
      expect(s.lo, id).toBe(want.lo);
      expect(s.hi, id).toBe(want.hi);
      expect(s.curves.map((c) => c.name).sort(), id).toEqual([...want.names].sort());
      for (const c of s.curves) {
        // The page's own comparison (GPU vs the CPU path), and ours against the table's formulas.
        expect(c.ulpF.ulp, `${id} ${c.label} f`).toBeLessThanOrEqual(4);
        expect(c.ulpDf.ulp, `${id} ${c.label} f'`).toBeLessThanOrEqual(4);
        const spec = BUILTIN_ACTIVATIONS.find((a) => a.name === c.name)!;
        const packed = spec.pack(c.params);
        const f = worstUlp(c.f, c.x.map((x) => spec.forward(x, packed)));
        const df = worstUlp(c.df, c.x.map((x) => spec.backward(x, 1, packed)));
        expect(f.ulp, `${id} ${c.name} f at x=${c.x[f.i]}`).toBeLessThanOrEqual(4);
        expect(df.ulp, `${id} ${c.name} f' at x=${c.x[df.i]}`).toBeLessThanOrEqual(4);
      }
      // What is plotted is what the GPU returned.
      const plotted = await p.page.evaluate(() => (window.__demo.chartData as () => { label: string; data: number[][] }[])());
      for (const c of s.curves) {
        const ds = plotted.find((d) => d.label === c.label);
        expect(ds, `${id}: a dataset for ${c.label}`).toBeTruthy();
        expect(ds!.data.map((xy) => xy[1])).toEqual(c.f);
      }
      await screenshot(p.page, `activations-${id}`);
    }
    const s = await demo<State>(p.page, 'activations');
    // The seeds: the derivative of the sigmoid peaks at 0.25, at x = 0.
    expect(s.curves[0].peak).toEqual({ x: 0, y: 0.25 });
    await waitForText(p.page, '#results tbody', '0.25 at x = 0');
    const linear = (await (async () => {
      await afterRender(p.page, () => p.page.click('[data-preset="five"]'));
      return demo<State>(p.page, 'activations');
    })()).curves.find((c) => c.name === 'linear')!;
    expect(linear.label).toBe('linear (a=1.5, b=1)');
    expect(linear.f[0]).toBeCloseTo(1.5 * -2 + 1, 6);
  });

  it('plots every built-in activation within 4 ULP of the CPU path', async () => {
    await afterRender(p.page, async () => {
      await p.page.evaluate(() => {
        for (const c of Array.from(document.querySelectorAll<HTMLInputElement>('#activation-list input'))) c.checked = true;
      });
      await p.page.fill('#x-min', '-6');
      await p.page.fill('#x-max', '6');
      await p.page.check('#show-df');
      await p.page.click('#plot');
    });
    const s = await demo<State>(p.page, 'activations');
    expect(s.curves.length).toBe(BUILTIN_ACTIVATIONS.length);
    const bad = s.curves.filter((c) => c.ulpF.ulp > 4 || c.ulpDf.ulp > 4).map((c) => `${c.name}: f ${c.ulpF.ulp} ULP at ${c.ulpF.x}, f' ${c.ulpDf.ulp} ULP at ${c.ulpDf.x}`);
    expect(bad).toEqual([]);
    await screenshot(p.page, 'activations-all');
  });

  it('works from the keyboard', async () => {
    await p.page.focus('[data-preset="sigmoid"]');
    await afterRender(p.page, async () => {
      await p.page.keyboard.press('Tab'); // to the next preset: ReLU
      await p.page.keyboard.press('Enter');
    });
    const s = await demo<State>(p.page, 'activations');
    expect(s.curves.map((c) => c.name)).toEqual(['relu']);
    const focused = await p.page.evaluate(() => document.activeElement?.getAttribute('data-preset'));
    expect(focused).toBe('relu');
  });

  it('plots a custom activation typed as WGSL with its JavaScript twin', async () => {
    await afterRender(p.page, () => p.page.click('#custom-add'));
    const s = await demo<State>(p.page, 'activations');
    const c = s.curves.find((k) => k.name === 'bentIdentity')!;
    expect(c).toBeTruthy();
    expect(c.ulpF.ulp).toBeLessThanOrEqual(4);
    expect(c.ulpDf.ulp).toBeLessThanOrEqual(4);
    // A WGSL error is reported beside "Add and plot" (in view), not at the top of the page.
    await p.page.fill('#custom-wgsl-f', 'x +* 2.0');
    await p.page.click('#custom-add');
    await waitForText(p.page, '#custom-error', 'does not compile');
    expect(await inView(p.page, '#custom-error')).toBe(true);
    expect(await p.page.isHidden('#error')).toBe(true);
    await p.page.fill('#custom-wgsl-f', '(sqrt(x * x + 1.0) - 1.0) / 2.0 + x');
    expect(p.errors).toEqual([]);
  });
});

describe('activation explorer: bad input', () => {
  it('rejects an empty "from x" beside the field (aria-invalid, in view) instead of reading it as 0', async () => {
    await afterRender(p.page, () => p.page.click('[data-preset="sigmoid"]'));
    await p.page.fill('#x-min', '');
    await afterRender(p.page, () => p.page.press('#x-min', 'Enter'));
    const e = await fieldError(p.page, 'x-min');
    expect(e).toMatchObject({ invalid: true, visible: true, describedBy: true });
    expect(e.message).toContain('empty');
    // The plot is still the last good one, [-8, 8], not [0, 8].
    expect((await demo<State>(p.page, 'activations')).lo).toBe(-8);
    await screenshot(p.page, 'activations-error-empty');
    // Fixing the field clears the error.
    await p.page.fill('#x-min', '-4');
    await afterRender(p.page, () => p.page.press('#x-min', 'Enter'));
    expect(await p.page.getAttribute('#x-min', 'aria-invalid')).toBeNull();
    expect(await p.page.$('#x-min-error')).toBeNull();
    expect((await demo<State>(p.page, 'activations')).lo).toBe(-4);
  });

  it('rejects 2.5 points instead of rounding to 3', async () => {
    await p.page.fill('#n-points', '2.5');
    await afterRender(p.page, () => p.page.press('#n-points', 'Enter'));
    const e = await fieldError(p.page, 'n-points');
    expect(e.invalid).toBe(true);
    expect(e.message).toContain('whole number');
    expect((await demo<State>(p.page, 'activations')).n).toBe(201);
    await p.page.fill('#n-points', '201');
    await afterRender(p.page, () => p.page.press('#n-points', 'Enter'));
  });

  it("says a parameter of 1e39 is too large for float32 in the page's words, beside the field", async () => {
    await afterRender(p.page, () => p.page.click('[data-preset="five"]'));
    await p.page.fill('#param-linear-a', '1e39');
    await afterRender(p.page, () => p.page.press('#param-linear-a', 'Enter'));
    const e = await fieldError(p.page, 'param-linear-a');
    expect(e.invalid).toBe(true);
    expect(e.message).toContain('too large for a float32');
    expect(e.message).not.toContain('must be a finite float32');
    await p.page.fill('#param-linear-a', '1.5');
    await afterRender(p.page, () => p.page.press('#param-linear-a', 'Enter'));
    expect(p.errors).toEqual([]);
  });
});

describe('activation explorer: the chart', () => {
  it("draws the CPU reference on f' too: one sorted dataset per curve, every point drawn, f and f' with different swatches", async () => {
    await afterRender(p.page, () => p.page.click('[data-preset="sigmoid-derivative"]'));
    const c = await chartView(p.page);
    const cpuF = c.datasets.find((d) => d.label === 'CPU reference: sigmoid');
    const cpuDf = c.datasets.find((d) => d.label === 'CPU reference: sigmoid′');
    expect(cpuF, 'a CPU dataset for f').toBeTruthy();
    expect(cpuDf, "a CPU dataset for f'").toBeTruthy();
    expect(cpuDf!.data.length).toBeGreaterThan(20);
    // Chart.js (parsing: false) assumes sorted x and draws only the run it finds: all must be drawn.
    for (const d of c.datasets) {
      expect(d.sorted, d.label).toBe(true);
      expect(d.drawn, d.label).toBe(d.data.length);
    }
    const s = await demo<State>(p.page, 'activations');
    // The CPU markers on f' are the CPU path's f' values.
    cpuDf!.data.forEach(([x, y]) => expect(y).toBe(s.curves[0].cpuDf[s.curves[0].x.indexOf(x)]));
    const f = c.legend.find((l) => l.text === 'sigmoid')!;
    const df = c.legend.find((l) => l.text === 'sigmoid′ (derivative)')!;
    expect(f && df).toBeTruthy();
    expect(df.dash.length).toBeGreaterThan(0);
    expect(f.dash.length).toBe(0);
    expect(df.swatch).not.toBe(f.swatch);
    await screenshot(p.page, 'activations-cpu-on-derivative');
  });

  it('reads f(x) and f′(x) at the x slider from the GPU, and redraws when a parameter slider moves', async () => {
    await afterRender(p.page, () => p.page.fill('#x-at', '1'));
    await p.page.waitForFunction(() => (window.__demo.at as { x: number } | undefined)?.x === 1);
    const at = await demo<{ x: number; values: { name: string; f: number; df: number; cpuF: number }[] }>(p.page, 'at');
    const sig = at.values.find((v) => v.name === 'sigmoid')!;
    expect(sig.f).toBeCloseTo(1 / (1 + Math.exp(-1)), 6);
    expect(sig.df).toBeCloseTo(Math.exp(-1) / (1 + Math.exp(-1)) ** 2, 6);
    await waitForText(p.page, '#at-x tbody', '0.7310586');
    // linear's a from its slider: a = 2 gives f(-2) = 2 * -2 + 1.
    await afterRender(p.page, () => p.page.click('[data-preset="five"]'));
    await afterRender(p.page, () => p.page.fill('#param-linear-a-slider', '2'));
    const lin = (await demo<State>(p.page, 'activations')).curves.find((c) => c.name === 'linear')!;
    expect(lin.params).toEqual({ a: 2, b: 1 });
    expect(lin.f[0]).toBeCloseTo(-3, 6);
    expect(await p.page.inputValue('#param-linear-a')).toBe('2');
    await screenshot(p.page, 'activations-sliders');
  });

  it('says what ran where, and why a software adapter is slower than the CPU path here', async () => {
    const text = await waitForText(p.page, '#where', 'Ran on the GPU');
    expect(text).toMatch(/swiftshader/i);
    expect(text).toContain('software adapter');
    expect(text).toMatch(/CPU reference path took [\d.]+ ms/);
    expect(p.errors).toEqual([]);
  });
});
