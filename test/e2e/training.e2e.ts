import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { NET222_EXPECTED } from '../../examples/seeds';
import { chartView, demo, fieldError, inView, launch, openPage, screenshot, serveSite, waitForText, waitOrAlert, type OpenedPage, type Site } from './harness';

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
  resumable: boolean;
  diverged: { epoch: number; value: string } | null;
  lr: number;
  gpuMs: number;
  wallMs: number;
}

/** Sets a field as a person would: type, then leave it (a change event). */
async function setField(page: Page, id: string, value: string): Promise<void> {
  await page.fill(`#${id}`, value);
  await page.dispatchEvent(`#${id}`, 'change');
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

  it('locks the settings while training, keeps a stopped run when a setting changes, and resumes it', async () => {
    await chooseExample(p.page, 'net222-softmax');
    await setField(p.page, 'epochs', '20000');
    await p.page.click('#train');
    await waitOrAlert(p.page, '(window.__demo.training?.epochsDone ?? 0) > 0');
    // While it trains the settings are locked, and the page says so (no edit is silently ignored).
    expect(await p.page.isDisabled('#lr')).toBe(true);
    expect(await p.page.isDisabled('#add-layer')).toBe(true);
    expect(await p.page.isVisible('#lock-note')).toBe(true);
    await screenshot(p.page, 'training-locked');
    await p.page.click('#stop');
    await waitOrAlert(p.page, "document.body.dataset.training !== '1'");
    const stopped = await demo<TrainingState>(p.page, 'training');
    expect(stopped.finished).toBe(false);
    expect(stopped.epochsDone).toBeGreaterThan(0);
    expect(stopped.epochsDone).toBeLessThan(20000);
    await waitForText(p.page, '#progress', 'stopped');
    expect(await p.page.isEnabled('#lr')).toBe(true);
    // An edit after Stop keeps the run (with a warning) instead of throwing it away.
    await setField(p.page, 'lr', '0.5');
    await waitForText(p.page, '#changed-note', 'The stopped run is kept');
    const kept = await demo<TrainingState>(p.page, 'training');
    expect(kept.epochsDone).toBe(stopped.epochsDone);
    expect(kept.resumable).toBe(true);
    expect(await p.page.isEnabled('#resume')).toBe(true);
    await screenshot(p.page, 'training-changed-after-stop');
    await p.page.click('#resume');
    await waitOrAlert(p.page, FINISHED, 150_000);
    const done = await demo<TrainingState>(p.page, 'training');
    expect(done.epochsDone).toBe(20000);
    expect(done.loss.length).toBe(20000);
    expect(done.loss[19999]).toBeLessThan(done.loss[0]);
    expect(done.predictions[0][1]).toBeGreaterThan(0.99);
    expect(done.lr).toBe(0.01); // resumed with the run's own settings
    expect(p.errors).toEqual([]);
  });

  it('"Add a layer" switches to your own network and clears initial weights that no longer fit', async () => {
    await chooseExample(p.page, 'net222-sigmoid');
    await p.page.click('#add-layer');
    expect(await p.page.inputValue('#example')).toBe('custom');
    expect(await p.page.inputValue('#init-weights')).toBe('');
    await waitForText(p.page, '#weights-note', 'cleared');
    const s = await trainToEnd(p.page);
    expect(s.epochsDone).toBe(1000);
    expect(s.weights.length).toBe(6);
  });

  it('re-initialises the weights when the units change (no "setWeights: expected 12 arrays")', async () => {
    await chooseExample(p.page, 'net222-sigmoid');
    await setField(p.page, 'layer-0-units', '3');
    expect(await p.page.inputValue('#example')).toBe('custom');
    expect(await p.page.inputValue('#init-weights')).toBe('');
    const s = await trainToEnd(p.page);
    expect((s.weights[0] as number[][])[0].length).toBe(3);
    expect(await p.page.isHidden('#error')).toBe(true);
  });

  it('says "diverged" when the loss blows up: Resume off, no false "restored", the error beside Train, axes readable', async () => {
    await chooseExample(p.page, 'y2x');
    await setField(p.page, 'lr', '0.5');
    await p.page.click('#train');
    await p.page.waitForFunction(() => (window.__demo.training as { diverged: unknown } | undefined)?.diverged && document.body.dataset.training !== '1');
    const s = await demo<TrainingState>(p.page, 'training');
    expect(s.diverged!.value).toMatch(/NaN|Infinity/);
    await waitForText(p.page, '#progress', 'diverged');
    await waitForText(p.page, '#run-status', 'diverged');
    expect(await p.page.isDisabled('#resume')).toBe(true);
    const caption = (await p.page.textContent('#weights-caption')) ?? '';
    expect(caption).not.toContain('restored');
    expect(caption).toContain(`after epoch ${s.epochsDone}`);
    const err = (await p.page.textContent('#error')) ?? '';
    expect(err).toContain('diverged');
    expect(err).not.toContain('restored');
    expect(await inView(p.page, '#error')).toBe(true);
    // Beside the Train button that started the run, not beside the field edited last.
    expect(await p.page.evaluate(() => !!document.getElementById('error')!.closest('.run-panel'))).toBe(true);
    // The right (metric) axis: inside the canvas, with distinct tick labels.
    const c = await chartView(p.page, 'loss');
    const y2 = c.scales.y2;
    expect(y2.display).toBe(true);
    expect(new Set(y2.ticks).size).toBe(y2.ticks.length);
    expect(y2.right).toBeLessThanOrEqual(c.width);
    expect(y2.left).toBeGreaterThanOrEqual(c.chartArea.right);
    const values = c.datasets.filter((d) => d.axis === 'y2').flatMap((d) => d.data.map((xy) => xy[1]));
    expect(Math.max(...values)).toBeLessThanOrEqual(y2.max);
    await screenshot(p.page, 'training-diverged');
  });

  it('labels the times truthfully, fixes the accuracy axis to [0, 1] and writes readable log ticks', async () => {
    await chooseExample(p.page, 'house');
    const s = await trainToEnd(p.page);
    const progress = (await p.page.textContent('#progress')) ?? '';
    expect(progress).toContain('time in fit() on the GPU');
    expect(progress).toContain('wall time, drawing included');
    expect(progress).not.toContain('(with drawing)');
    expect(s.wallMs).toBeGreaterThanOrEqual(s.gpuMs);
    const c = await chartView(p.page, 'loss');
    expect([c.scales.y2.min, c.scales.y2.max]).toEqual([0, 1]);
    expect(c.scales.y.type).toBe('logarithmic');
    const ticks = c.scales.y.ticks;
    expect(ticks.length).toBeGreaterThan(0);
    expect(new Set(ticks).size).toBe(ticks.length);
    for (const t of ticks) expect(t, `tick ${t}`).toMatch(/^(\d+(\.\d+)?|\d(\.\d)?e-?\d+)$/);
    for (const t of ticks) expect(t, `tick ${t}`).not.toMatch(/\.\d*0$/);
  });

  it('rejects an empty learning rate beside the field and does not start', async () => {
    await chooseExample(p.page, 'y2x');
    await setField(p.page, 'lr', '');
    await p.page.click('#train');
    const e = await fieldError(p.page, 'lr');
    expect(e).toMatchObject({ invalid: true, visible: true, describedBy: true });
    expect(e.message).toContain('empty');
    expect(await p.page.evaluate(() => document.body.dataset.training)).not.toBe('1');
    await waitForText(p.page, '#run-status', 'Not started');
    await setField(p.page, 'lr', '0.01');
  });

  it('shows Train near the form on a phone-sized screen', async () => {
    const phone = await openPage(browser, `${site.url}/training.html`, { width: 390, height: 844 });
    const top = await phone.page.evaluate(() => document.getElementById('train')!.getBoundingClientRect().top + window.scrollY);
    const select = await phone.page.evaluate(() => document.getElementById('example')!.getBoundingClientRect().top + window.scrollY);
    expect(top).toBeLessThan(844);
    expect(top - select).toBeLessThan(844 / 2);
    await screenshot(phone.page, 'training-phone');
    expect(phone.errors).toEqual([]);
    await phone.page.context().close();
  });

  it('runs the same on the CPU at 1e6 epochs without crashing (no push(...a million losses))', async () => {
    await chooseExample(p.page, 'net222-softmax');
    await setField(p.page, 'epochs', '1000000');
    await trainToEnd(p.page, 170_000);
    await p.page.click('#compare');
    await waitOrAlert(p.page, "(window.__demo.training?.comparisons?.length ?? 0) >= 3 && document.body.dataset.training !== '1'", 170_000);
    const rows = await p.page.evaluate(() => (window.__demo.training as { comparisons: { path: string; epochs: number; diff: number | null }[] }).comparisons);
    const cpuRow = rows.find((r) => r.path.startsWith('CPU path'))!;
    expect(cpuRow.epochs).toBe(1_000_000);
    expect(cpuRow.diff!).toBeLessThan(1e-4);
    await waitForText(p.page, '#progress', 'finished');
    expect(await p.page.isHidden('#error')).toBe(true);
    expect(p.errors).toEqual([]);
  }, 400_000);

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
