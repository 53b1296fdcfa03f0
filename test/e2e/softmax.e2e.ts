import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { afterRender, chartView, demo, fieldError, launch, openPage, screenshot, serveSite, waitForText, type OpenedPage, type Site } from './harness';

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
  closedDiff: number;
  clipped: boolean;
  note: string;
}

async function setLogits(text: string): Promise<void> {
  await afterRender(p.page, async () => {
    await p.page.fill('#logits', text);
    await p.page.press('#logits', 'Enter');
  });
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

describe('softmax and loss explorer: what it says is true', () => {
  it('says the gradient and y − t agree to within float32 rounding, and shows by how much', async () => {
    await afterRender(p.page, () => p.page.selectOption('#problem', 'multiclass'));
    await afterRender(p.page, () => p.page.click('[data-preset="0"]'));
    const s = await demo<SoftmaxState>(p.page, 'softmax');
    const worst = Math.max(...s.grad.map((g, i) => Math.abs(g - Math.fround(s.y[i] - s.targets[i]))));
    expect(worst).toBeGreaterThan(0); // -0.00292909 against -0.00292902: not "exactly"
    expect(s.note).not.toContain('exactly');
    expect(s.note).toContain('to within float32 rounding');
    expect(s.closedDiff).toBeGreaterThan(0);
    expect(s.closedDiff).toBeLessThan(1e-6);
    // The difference column shows it per class.
    const cells = await p.page.$$eval('#probabilities tbody tr', (rows) => rows.map((r) => r.lastElementChild!.textContent));
    expect(cells.length).toBe(4);
    expect(cells.some((c) => c !== '0')).toBe(true);
  });

  it('explains why dE/dz is 0 for [1000, 0, -1000] although y − t is ±1 (the loss clips y)', async () => {
    await setLogits('1000, 0, -1000');
    const s = await demo<SoftmaxState>(p.page, 'softmax');
    expect(s.y).toEqual([1, 0, 0]);
    expect(s.clipped).toBe(true);
    expect(s.note).toContain('clips y');
    expect(s.note).toContain('fromLogits');
    expect(await p.page.isHidden('#error')).toBe(true);
    await screenshot(p.page, 'softmax-clipped');
  });

  it('rejects a logit of 1e39 beside the field instead of showing NaN with a GPU/CPU loss mismatch', async () => {
    const before = await demo<SoftmaxState>(p.page, 'softmax');
    await setLogits('1e39, 0, 1');
    const e = await fieldError(p.page, 'logits');
    expect(e).toMatchObject({ invalid: true, visible: true });
    expect(e.message).toContain('too large for a float32');
    const after = await demo<SoftmaxState>(p.page, 'softmax');
    expect(after.logits).toEqual(before.logits);
    expect(await p.page.textContent('#probabilities')).not.toContain('NaN');
    await setLogits('2, 10, 1, 4');
  });

  it('marks bad targets on the targets field, in view', async () => {
    await afterRender(p.page, async () => {
      await p.page.fill('#targets', '0, 1, 0');
      await p.page.press('#targets', 'Enter');
    });
    const e = await fieldError(p.page, 'targets');
    expect(e).toMatchObject({ invalid: true, visible: true });
    expect(e.message).toContain('expected 4 numbers');
    await afterRender(p.page, () => p.page.selectOption('#true-class', '1'));
    expect(await p.page.$('#targets-error')).toBeNull();
  });

  it("gives the legend the bars' colour", async () => {
    const c = await chartView(p.page);
    const out = c.datasets[0];
    const swatch = c.legend.find((l) => l.text === out.label)!;
    expect(typeof out.colour).toBe('string'); // one colour for every bar
    expect(swatch.fill).toBe(out.colour);
  });

  it('says what ran where', async () => {
    const text = await waitForText(p.page, '#where', 'Ran on the GPU');
    expect(text).toContain('software adapter');
    expect(p.errors).toEqual([]);
  });
});
