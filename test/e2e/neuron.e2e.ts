import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { afterRender, demo, launch, openPage, screenshot, serveSite, waitForText, type OpenedPage, type Site } from './harness';

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
});
