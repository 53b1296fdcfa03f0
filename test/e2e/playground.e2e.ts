import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ROOT, chartView, demo, launch, openPage, screenshot, serveSite, waitForText, waitOrAlert, type OpenedPage, type Site } from './harness';

interface PlayState {
  example: string;
  epochs: number;
  epochsDone: number;
  finished: boolean;
  testLoss: { x: number; y: number }[];
  testMetric: { x: number; y: number }[];
  gradNorms: { epoch: number; norms: number[] }[];
  heatmap: number[] | null;
  heatmapVsPredict: number | null;
  weights: (number[] | number[][])[];
  diagram: { nodes: { layer: number; unit: number; thumb: boolean }[]; edges: { layer: number; from: number; to: number; w: number; colour: string; width: number }[] };
  layers: { units: number; activation: string }[];
  wallMs: number;
  gpuMs: number;
}

const FINISHED = "window.__demo.training?.finished === true && document.body.dataset.training !== '1'";
/** Frame gaps measured while training, written to test-results/frame-gaps.json (CI keeps test-results/). */
const GAPS: Record<string, { frames: number; medianMs: number; p90Ms: number; trainingMs: number }> = {};

let site: Site;
let browser: Browser;
let p: OpenedPage;

/** The training state without the per-epoch arrays (a million numbers need not cross over). */
function state(page: Page): Promise<PlayState> {
  return page.evaluate(() => {
    const t = window.__demo.training as Record<string, unknown>;
    return JSON.parse(JSON.stringify({ ...t, loss: undefined, metric: undefined }));
  }) as Promise<PlayState>;
}

/** Trains the selected problem to the end, sampling the heatmap's frame times while it runs. */
async function trainAndWatch(page: Page, name: string): Promise<PlayState> {
  await page.click('#train');
  // Frames arrive during training: the frame count moves while body[data-training] is set.
  await page
    .waitForFunction(() => document.body.dataset.training === '1' && (window.__demo.frames as number[]).length >= 2, null, { timeout: 120_000 })
    .catch(async (e) => {
      const seen = await page.evaluate(() => ({ training: document.body.dataset.training, frames: (window.__demo.frames as number[]).length, status: window.__demo.status, error: document.getElementById('error')?.textContent }));
      throw new Error(`e2e: no frames while training ${name}: ${JSON.stringify(seen)} (${(e as Error).message})`);
    });
  await waitOrAlert(page, FINISHED, 170_000);
  const frames = await page.evaluate(() => window.__demo.frames as number[]);
  const gaps = frames.slice(1).map((t, i) => t - frames[i]).sort((a, b) => a - b);
  const s = await state(page);
  GAPS[name] = { frames: frames.length, medianMs: Math.round(gaps[gaps.length >> 1]), p90Ms: Math.round(gaps[Math.floor(gaps.length * 0.9)]), trainingMs: Math.round(s.wallMs) };
  expect(frames.length).toBeGreaterThanOrEqual(3);
  return s;
}

beforeAll(async () => {
  site = await serveSite();
  browser = await launch();
  p = await openPage(browser, `${site.url}/training.html`);
});
afterAll(async () => {
  const dir = join(ROOT, 'test-results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'frame-gaps.json'), `${JSON.stringify(GAPS, null, 2)}\n`);
  console.log('heatmap/diagram frame gaps during training (SwiftShader):', JSON.stringify(GAPS));
  await browser?.close();
  await site?.close();
});

describe('playground', () => {
  for (const id of ['xor', 'circles', 'spirals']) {
    it(`${id}: the default settings reach >= 95% test accuracy, with the heatmap and diagram redrawn while it trains`, async () => {
      await p.page.selectOption('#example', id);
      const s = await trainAndWatch(p.page, id);
      expect(s.epochsDone).toBe(s.epochs);
      const acc = s.testMetric[s.testMetric.length - 1];
      expect(acc.x).toBe(s.epochs - 1);
      expect(acc.y, `${id} test accuracy`).toBeGreaterThanOrEqual(0.95);
      // A test-loss curve beside the training loss, and the accuracy on its fixed [0, 1] axis.
      const c = await chartView(p.page, 'loss');
      expect(c.datasets.map((d) => d.label)).toEqual(expect.arrayContaining(['test loss', 'test accuracy (right axis)']));
      // The heatmap: the network's output over the plane, the same as predict over the grid.
      expect(s.heatmap!.length).toBe(40 * 40);
      expect(s.heatmapVsPredict!).toBeLessThan(1e-5);
      await screenshot(p.page, `playground-${id}`);
      expect(p.errors).toEqual([]);
    }, 240_000);
  }

  it('draws the network: one edge per weight, coloured by sign and wider for larger |w|, units as activation maps', async () => {
    const s = await state(p.page);
    const { edges, nodes } = s.diagram;
    const want = [2, ...s.layers.map((l) => l.units)];
    expect(edges.length).toBe(want.slice(1).reduce((n, k, i) => n + k * want[i], 0));
    for (const e of edges) {
      const w = (s.weights[2 * e.layer] as number[][])[e.from][e.to];
      expect(e.w).toBe(w);
      expect(e.colour).toBe(w >= 0 ? 'rgb(0, 114, 178)' : 'rgb(213, 94, 0)');
    }
    const sorted = [...edges].sort((a, b) => Math.abs(a.w) - Math.abs(b.w));
    expect(sorted[sorted.length - 1].width).toBeGreaterThan(sorted[0].width);
    expect(nodes.every((n) => n.thumb)).toBe(true);
    // The DOM holds the same: a line per edge with its weight.
    expect(await p.page.$$eval('#diagram line[data-edge]', (ls) => ls.length)).toBe(edges.length);
  });

  it('shows vanishing gradients: in a deep sigmoid net the first layer gets far less than the last; with ReLU it does not', async () => {
    const ratio = async (button: string): Promise<number> => {
      await p.page.click(button);
      await p.page.waitForFunction(() => ((window.__demo.training as { gradNorms?: unknown[] } | undefined)?.gradNorms?.length ?? 0) >= 2, null, { timeout: 120_000 });
      await p.page.click('#stop');
      await p.page.waitForFunction(() => document.body.dataset.training !== '1', null, { timeout: 120_000 });
      const g = (await state(p.page)).gradNorms[0].norms;
      return g[0] / g[g.length - 1];
    };
    const sigmoid = await ratio('#deep-sigmoid');
    const grad = await chartView(p.page, 'grad');
    expect(grad.datasets.length).toBe(6);
    expect(grad.scales.y.type).toBe('logarithmic');
    await screenshot(p.page, 'playground-vanishing-sigmoid');
    const relu = await ratio('#deep-relu');
    expect(sigmoid).toBeLessThan(1e-2);
    expect(relu).toBeGreaterThan(0.1);
  }, 240_000);

  it('fits the 1-D curve and draws the network over x', async () => {
    await p.page.selectOption('#example', 'regression');
    await trainAndWatch(p.page, 'regression');
    const c = await chartView(p.page, 'pred');
    const curve = c.datasets.find((d) => d.label === 'the network over x')!;
    expect(curve.data.length).toBe(161);
    const s = await state(p.page);
    expect(s.testLoss[s.testLoss.length - 1].y).toBeLessThan(0.1);
    await screenshot(p.page, 'playground-regression');
  }, 240_000);

  it('exports the loss per epoch and the weights as CSV, and the charts as PNG', async () => {
    const s = await state(p.page);
    const save = async (button: string): Promise<Buffer> => {
      const [dl] = await Promise.all([p.page.waitForEvent('download', { timeout: 30_000 }), p.page.click(button)]);
      return readFileSync((await dl.path())!);
    };
    const loss = (await save('#export-loss')).toString('utf8').trim().split('\n');
    expect(loss[0]).toBe('epoch,loss,mae,test_loss,test_mae');
    expect(loss.length).toBe(s.epochsDone + 1);
    const weights = (await save('#export-weights')).toString('utf8').trim().split('\n');
    expect(weights[0]).toBe('layer,kind,row,col,value');
    expect(weights.length - 1).toBe(s.weights.flat(2).length);
    const png = await save('#export-png');
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
  });

  it('trains with the optimizer chosen (Adam here)', async () => {
    await p.page.selectOption('#example', 'circles');
    await p.page.selectOption('#optimizer', 'adam');
    await p.page.fill('#lr', '0.01');
    await p.page.dispatchEvent('#lr', 'change');
    await p.page.fill('#epochs', '100');
    await p.page.dispatchEvent('#epochs', 'change');
    await p.page.click('#train');
    await waitOrAlert(p.page, FINISHED, 170_000);
    const s = await p.page.evaluate(() => {
      const t = window.__demo.training as { optimizer: string; loss: number[]; testMetric: { y: number }[] };
      return { optimizer: t.optimizer, first: t.loss[0], last: t.loss[t.loss.length - 1], acc: t.testMetric[t.testMetric.length - 1].y };
    });
    expect(s.optimizer).toBe('adam');
    expect(s.last).toBeLessThan(s.first / 2);
    expect(await p.page.evaluate(() => location.hash)).toContain('opt=adam');
  });

  it('keeps its settings in the address: a link opens the same problem and network', async () => {
    await p.page.selectOption('#example', 'circles');
    await p.page.fill('#lr', '0.05');
    await p.page.dispatchEvent('#lr', 'change');
    const url = await p.page.evaluate(() => location.href);
    expect(url).toContain('p=circles');
    expect(url).toContain('lr=0.05');
    const other = await openPage(browser, url.replace('net=8tanh-1sigmoid', 'net=6relu-3tanh-1sigmoid'));
    expect(await other.page.inputValue('#example')).toBe('circles');
    expect(await other.page.inputValue('#lr')).toBe('0.05');
    expect(await other.page.inputValue('#layer-1-activation')).toBe('tanh');
    expect(await other.page.inputValue('#layer-0-units')).toBe('6');
    expect(await other.page.inputValue('#share-link')).toContain('net=6relu-3tanh-1sigmoid');
    expect(other.errors).toEqual([]);
    await other.page.context().close();
  });

  it('follows prefers-color-scheme: dark', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'dark' });
    const page = await context.newPage();
    await page.goto(`${site.url}/training.html#p=spirals`);
    await page.waitForFunction(() => window.__demo?.ready === true, null, { timeout: 60_000 });
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = bg.match(/\d+/g)!.map(Number);
    expect(0.2126 * r + 0.7152 * g + 0.0722 * b).toBeLessThan(60);
    await waitForText(page, '#example-note', 'spiral');
    await screenshot(page, 'playground-dark');
    await context.close();
    expect(p.errors).toEqual([]);
    expect((await demo<{ errors: string[] }>(p.page)).errors).toEqual([]);
  });
});
