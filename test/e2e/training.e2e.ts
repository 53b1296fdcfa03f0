import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { NET222_EXPECTED } from '../../examples/seeds';
import { demo, launch, openPage, screenshot, serveSite, waitForText, waitOrAlert, type OpenedPage, type Site } from './harness';

interface TrainingState {
  example: string;
  epochs: number;
  epochsDone: number;
  finished: boolean;
  running: boolean;
  loss: number[];
  stoppedBelow: number | null;
  yLastForward: number[][] | null;
  weights: (number[] | number[][])[];
  predictions: number[][];
  testPredictions: number[][] | null;
  comparisons: { path: string; epochs: number; ms: number; loss: number; diff: number | null }[];
}

const FINISHED = "window.__demo.training?.finished === true && !window.__demo.training.running && document.body.dataset.training !== '1'";

let site: Site;
let browser: Browser;
let p: OpenedPage;

async function chooseExample(page: Page, id: string): Promise<void> {
  await page.selectOption('#example', id);
}

/** Clicks Train and waits until the run has finished (or stopped). */
async function trainToEnd(page: Page, timeout = 150_000): Promise<TrainingState> {
  await page.click('#train');
  await waitOrAlert(page, FINISHED, timeout);
  return demo<TrainingState>(page, 'training');
}

beforeAll(async () => {
  site = await serveSite();
  browser = await launch();
  p = await openPage(browser, `${site.url}/training.html`);
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('training playground', () => {
  it("trains the 2-2-2 network (ReLU + sigmoid) to the notes' numbers after 1000 epochs", async () => {
    await chooseExample(p.page, 'net222-sigmoid');
    const s = await trainToEnd(p.page);
    expect(s.epochsDone).toBe(1000);
    expect(s.loss.length).toBe(1000);
    expect(s.loss[999]).toBeLessThan(s.loss[0]);
    // y in the forward pass of the last epoch, as the notes print it: (0.359368, 0.809741).
    const want = NET222_EXPECTED.sigmoid1000;
    expect(s.yLastForward![0].map((v) => v.toFixed(6))).toEqual(want.y);
    const [W1, b1, W2, b2] = s.weights as [number[][], number[], number[][], number[]];
    const six = (a: number[]) => a.map((v) => v.toFixed(6));
    expect([six(W1[0]), six(W1[1]), six(b1), six(W2[0]), six(W2[1]), six(b2)]).toEqual(want.lines);
    await waitForText(p.page, '#progress', '(0.359368, 0.809741)');
    await screenshot(p.page, 'training-222-gpu');

    // The same run on the CPU path: same weights to float32 precision, both times shown.
    await p.page.click('#compare');
    await waitOrAlert(p.page, "(window.__demo.training?.comparisons?.length ?? 0) >= 3 && document.body.dataset.training !== '1'");
    const c = await demo<TrainingState>(p.page, 'training');
    const cpuRow = c.comparisons.find((r) => r.path.startsWith('CPU'))!;
    expect(cpuRow.epochs).toBe(1000);
    expect(cpuRow.diff!).toBeLessThan(1e-5);
    expect(c.comparisons.every((r) => r.ms > 0)).toBe(true);
    await waitForText(p.page, '#comparison', 'CPU path');
    await screenshot(p.page, 'training-222-compare');
    expect(p.errors).toEqual([]);
  });

  it('stops and resumes', async () => {
    await chooseExample(p.page, 'net222-softmax');
    await p.page.fill('#epochs', '20000');
    await p.page.click('#train');
    await waitOrAlert(p.page, '(window.__demo.training?.epochsDone ?? 0) > 0');
    await p.page.click('#stop');
    await waitOrAlert(p.page, "document.body.dataset.training !== '1'");
    const stopped = await demo<TrainingState>(p.page, 'training');
    expect(stopped.finished).toBe(false);
    expect(stopped.epochsDone).toBeGreaterThan(0);
    expect(stopped.epochsDone).toBeLessThan(20000);
    await waitForText(p.page, '#progress', 'stopped');
    await p.page.click('#resume');
    await waitOrAlert(p.page, FINISHED, 150_000);
    const done = await demo<TrainingState>(p.page, 'training');
    expect(done.epochsDone).toBe(20000);
    expect(done.loss.length).toBe(20000);
    expect(done.loss[19999]).toBeLessThan(done.loss[0]);
    expect(done.predictions[0][1]).toBeGreaterThan(0.99);
    expect(p.errors).toEqual([]);
  });

  it('stops the linear-output network when E < 1e-7, at epoch 665', async () => {
    await chooseExample(p.page, 'net222-linear');
    const s = await trainToEnd(p.page);
    expect(s.stoppedBelow).toBe(NET222_EXPECTED.linearStop.epoch);
    expect(s.loss[665]).toBeLessThan(1e-7);
    expect(s.loss[664]).toBeGreaterThanOrEqual(1e-7);
  });

  it('fits y = 2x and predicts about [7, 10, 11, 12]', async () => {
    await chooseExample(p.page, 'y2x');
    const s = await trainToEnd(p.page);
    expect(s.loss[s.loss.length - 1]).toBeLessThan(s.loss[0]);
    [7, 10, 11, 12].forEach((v, i) => expect(Math.abs(s.testPredictions![i][0] - v)).toBeLessThan(0.3));
    await screenshot(p.page, 'training-y2x');
  });

  it("starts the house classifier with a hidden unit at the notes' cross-entropy, 0.6909", async () => {
    await chooseExample(p.page, 'house-hidden');
    const s = await trainToEnd(p.page);
    expect(s.loss[0]).toBeCloseTo(0.6909422, 5);
    expect(s.loss[s.loss.length - 1]).toBeLessThan(s.loss[0]);
    await screenshot(p.page, 'training-house');
    expect(p.errors).toEqual([]);
  });
});
