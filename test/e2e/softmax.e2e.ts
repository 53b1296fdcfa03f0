import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { afterRender, demo, launch, openPage, screenshot, serveSite, waitForText, type OpenedPage, type Site } from './harness';

interface SoftmaxState {
  logits: number[];
  targets: number[];
  activation: string;
  loss: string;
  names: string[];
  winner: number;
  y: number[];
  cpuY: number[];
  ulp: number;
  lossValue: number;
  cpuLoss: number;
  grad: number[];
  cpuGrad: number[];
  expSum: number;
}

let site: Site;
let browser: Browser;
let p: OpenedPage;

beforeAll(async () => {
  site = await serveSite();
  browser = await launch();
  p = await openPage(browser, `${site.url}/softmax.html`);
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('softmax and loss explorer', () => {
  it("shows the notes' table for [2, 10, 1, 4]: the cat wins", async () => {
    expect(await p.page.isHidden('#error')).toBe(true);
    const s = await demo<SoftmaxState>(p.page, 'softmax');
    expect(s.logits).toEqual([2, 10, 1, 4]);
    expect(s.y.map((v) => v.toFixed(6))).toEqual(['0.000334', '0.997071', '0.000123', '0.002471']);
    expect(s.names[s.winner]).toBe('cat');
    expect(s.ulp).toBeLessThanOrEqual(4);
    // Cross-entropy of the one-hot target on "cat", and its gradient y - t at the logits.
    expect(s.lossValue).toBeCloseTo(-Math.log(s.y[1]), 6);
    s.grad.forEach((g, i) => expect(g).toBeCloseTo(s.y[i] - s.targets[i], 6));
    await waitForText(p.page, '#probabilities tbody', '0.997071');
    await screenshot(p.page, 'softmax-cat');
  });

  it('reproduces the by-hand softmax of [1.3, 5.1, 2.2, 0.7, 1.1] and its cross-entropy', async () => {
    await afterRender(p.page, () => p.page.click('[data-preset="1"]'));
    const s = await demo<SoftmaxState>(p.page, 'softmax');
    const want = [0.02019047, 0.9025377, 0.04966054, 0.01108076, 0.01653056];
    s.y.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(2e-7));
    expect(s.expSum).toBeCloseTo(181.7341, 3);
    expect(s.lossValue).toBeCloseTo(-Math.log(s.y[1]), 6);
    s.grad.forEach((g, i) => expect(g).toBeCloseTo(s.y[i] - s.targets[i], 6));
    for (let i = 0; i < s.y.length; i++) expect(s.grad[i]).toBeCloseTo(s.cpuGrad[i], 6);
  });

  it('fills the output activation and loss from the problem type', async () => {
    const cases: [string, string, string][] = [
      ['binary', 'sigmoid', 'binary_crossentropy'],
      ['multiclass', 'softmax', 'categorical_crossentropy'],
      ['multilabel', 'sigmoid', 'binary_crossentropy'],
      ['regression', 'none', 'mse'],
      ['regression01', 'sigmoid', 'mse'],
    ];
    for (const [problem, act, loss] of cases) {
      await afterRender(p.page, () => p.page.selectOption('#problem', problem));
      expect(await p.page.inputValue('#out-activation')).toBe(act);
      expect(await p.page.inputValue('#loss')).toBe(loss);
      const s = await demo<SoftmaxState>(p.page, 'softmax');
      expect(s.activation).toBe(act);
      expect(Math.abs(s.lossValue - s.cpuLoss)).toBeLessThanOrEqual(1e-6 * Math.abs(s.cpuLoss) + 1e-9);
      s.grad.forEach((g, i) => expect(Math.abs(g - s.cpuGrad[i])).toBeLessThanOrEqual(1e-5 * Math.abs(s.cpuGrad[i]) + 1e-8));
      expect(await p.page.isHidden('#error')).toBe(true);
    }
    expect(await p.page.getAttribute('#guide tr.highlight', 'data-problem')).toBe('regression01');
    await screenshot(p.page, 'softmax-guide');
    expect(p.errors).toEqual([]);
  });
});
