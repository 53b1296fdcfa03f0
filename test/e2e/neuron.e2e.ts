import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { afterRender, chartView, demo, fieldError, launch, openPage, screenshot, serveSite, waitForText, type OpenedPage, type Site } from './harness';

interface NeuronState {
  xs: number[];
  z: number[];
  y: number[];
  cpuY: number[];
  expected: number[] | null;
  curve: { x: number[]; y: number[] };
}

let site: Site;
let browser: Browser;
let p: OpenedPage;

beforeAll(async () => {
  site = await serveSite();
  browser = await launch();
  p = await openPage(browser, `${site.url}/neuron.html`);
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('C2F neuron', () => {
  it("reproduces the notes' temperatures on the GPU", async () => {
    const s = await demo<NeuronState>(p.page, 'neuron');
    expect(s.xs).toEqual([-20, -10, 0, 36.5, 40, 50, 100]);
    expect(s.expected).toEqual([32, 32, 32, 97.7, 104, 122, 212]);
    s.y.forEach((v, i) => expect(v).toBeCloseTo(s.expected![i], 4));
    expect(s.y).toEqual(s.cpuY);
    // The net input before the clamp: 9/5 C + 32.
    s.z.forEach((v, i) => expect(v).toBeCloseTo(1.8 * s.xs[i] + 32, 4));
    // The curve is flat at 32 below z = 32 and follows the line above.
    const i0 = s.curve.x.findIndex((x) => x >= -50);
    expect(s.curve.y[i0]).toBe(32);
    expect(s.curve.y[s.curve.x.length - 1]).toBeCloseTo(1.8 * 99.9 + 32, 3);
    await waitForText(p.page, '#chain', '(4) net input z');
    await waitForText(p.page, '#chain', '97.7 °F');
    await screenshot(p.page, 'neuron');
  });

  it('follows another input through the chain and recomputes with a new weight', async () => {
    await p.page.selectOption('#pick', '0');
    await waitForText(p.page, '#chain', 'clamped');
    await afterRender(p.page, async () => {
      await p.page.fill('#weight', '2');
      await p.page.press('#weight', 'Enter');
    });
    const s = await demo<NeuronState>(p.page, 'neuron');
    expect(s.y[6]).toBe(232);
    expect(s.expected).toBeNull();
    expect(p.errors).toEqual([]);
  });

  it('draws every input, in any order: 37 does not vanish from "-300, 1000, 37"', async () => {
    await afterRender(p.page, async () => {
      await p.page.fill('#inputs', '-300, 1000, 37');
      await p.page.press('#inputs', 'Enter');
    });
    const c = await chartView(p.page);
    const gpu = c.datasets.find((d) => d.label === 'the test temperatures (GPU)')!;
    const ref = c.datasets.find((d) => d.label === 'CPU reference')!;
    for (const d of [gpu, ref]) {
      expect(d.data.map((xy) => xy[0]).sort((a, b) => a - b)).toEqual([-300, 37, 1000]);
      expect(d.sorted, d.label).toBe(true);
      expect(d.drawn, d.label).toBe(3);
    }
    // The view widens to show them.
    expect(c.scales.x.min).toBeLessThanOrEqual(-300);
    expect(c.scales.x.max).toBeGreaterThanOrEqual(1000);
    await screenshot(p.page, 'neuron-unsorted-inputs');
  });

  it('rejects an empty weight (not w = 0) and says 1e39 is too large for float32 in its own words', async () => {
    await afterRender(p.page, () => p.page.click('#reset'));
    await p.page.fill('#weight', '');
    await afterRender(p.page, () => p.page.press('#weight', 'Enter'));
    let e = await fieldError(p.page, 'weight');
    expect(e).toMatchObject({ invalid: true, visible: true });
    expect(e.message).toContain('empty');
    expect((await demo<{ w: number }>(p.page, 'neuron')).w).toBe(1.8);
    await p.page.fill('#weight', '1e39');
    await afterRender(p.page, () => p.page.press('#weight', 'Enter'));
    e = await fieldError(p.page, 'weight');
    expect(e.message).toContain('too large for a float32');
    expect(e.message).not.toContain("parameter 'a'");
    await afterRender(p.page, () => p.page.click('#reset'));
    expect(await p.page.$('#weight-error')).toBeNull();
    await waitForText(p.page, '#where', 'Ran on the GPU');
    expect(p.errors).toEqual([]);
  });
});
