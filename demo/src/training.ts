/**
 * Training playground: the notes' examples or a small network of your own, trained with the
 * model API (Sequential, Dense, compile, fit) on the GPU in short segments so the loss curve,
 * the weights and the predictions update live; stop/resume; the same run on the CPU path.
 */
import { Dense, Sequential, setSeed, sgd, type NestedArray, type Runtime } from '../../src/index';
import { Chart, line, makeChart, markers, points, xyOptions, type XY } from './charts';
import { $, $input, el, fmt, nextFrame, rendered, showError, startPage } from './common';
import { EXAMPLES, type Example, type LayerSpec } from './examples';

const ACTIVATIONS = ['relu', 'sigmoid', 'tanh', 'linear', 'softmax', 'leakyRelu', 'elu', 'softplus', 'silu', 'gelu'];
/** Random initial weights use this seed, so runs repeat (as tf.random.set_seed in the notes). */
const SEED = 1234;

const { rt, cpu } = await startPage('training');
const hooks = window.__demo;
const errorBox = $('error');

// ------------------------------------------------------------------ the form

interface Config {
  inputs: number;
  layers: LayerSpec[];
  loss: string;
  metric: string;
  lr: number;
  epochs: number;
  batchSize: number;
  stopBelow: number | null;
  x: number[][];
  y: number[][];
  xTest: number[][] | null;
  weights: NestedArray[] | null;
}

const layersBox = $('layers');

function addLayerRow(spec: LayerSpec): void {
  const i = layersBox.children.length;
  const units = el('input', { type: 'number', min: '1', max: '64', step: '1', id: `layer-${i}-units`, value: String(spec.units) });
  const act = el('select', { id: `layer-${i}-activation` }, ...ACTIVATIONS.map((a) => el('option', { value: a, text: a })));
  act.value = spec.activation;
  layersBox.append(
    el(
      'div',
      { class: 'row', 'data-layer': String(i) },
      el('div', { class: 'field' }, el('label', { for: units.id, text: `layer ${i + 1}: units` }), units),
      el('div', { class: 'field' }, el('label', { for: act.id, text: `layer ${i + 1}: activation` }), act),
    ),
  );
}

function setLayers(layers: LayerSpec[]): void {
  layersBox.replaceChildren();
  layers.forEach(addLayerRow);
}

function readLayers(): LayerSpec[] {
  return Array.from(layersBox.querySelectorAll<HTMLElement>('[data-layer]')).map((row) => ({
    units: Number(row.querySelector('input')!.value),
    activation: row.querySelector('select')!.value,
  }));
}

$('add-layer').addEventListener('click', () => {
  if (layersBox.children.length < 6) addLayerRow({ units: 2, activation: 'relu' });
});
$('remove-layer').addEventListener('click', () => {
  if (layersBox.children.length > 1) layersBox.lastElementChild!.remove();
});

const exampleSelect = $('example') as HTMLSelectElement;
for (const e of EXAMPLES) exampleSelect.append(el('option', { value: e.id, text: e.title }));
exampleSelect.append(el('option', { value: 'custom', text: 'Your own (edit the fields below)' }));

function json(v: unknown): string {
  return JSON.stringify(v);
}

function loadExample(e: Example): void {
  $('example-note').textContent = e.note;
  $input('n-inputs').value = String(e.inputs);
  setLayers(e.layers);
  ($('loss') as HTMLSelectElement).value = e.loss;
  ($('metric') as HTMLSelectElement).value = e.metric;
  $input('lr').value = String(e.lr);
  $input('epochs').value = String(e.epochs);
  $input('batch').value = String(e.batchSize);
  $input('stop-below').value = e.stopBelow === undefined ? '' : String(e.stopBelow);
  ($('x-train') as HTMLTextAreaElement).value = json(e.x);
  ($('y-train') as HTMLTextAreaElement).value = json(e.y);
  ($('x-test') as HTMLTextAreaElement).value = e.xTest ? json(e.xTest) : '';
  ($('init-weights') as HTMLTextAreaElement).value = e.weights ? json(e.weights) : '';
}

exampleSelect.addEventListener('change', () => {
  const e = EXAMPLES.find((k) => k.id === exampleSelect.value);
  if (e) loadExample(e);
  else $('example-note').textContent = 'Edit the network, the settings and the data, then train.';
  resetRun();
});
$('controls').addEventListener('change', (ev) => {
  if (ev.target !== exampleSelect && exampleSelect.value !== 'custom') {
    exampleSelect.value = 'custom';
    $('example-note').textContent = 'Your own: changed from the example.';
  }
  if (ev.target !== exampleSelect) resetRun();
});
$('controls').addEventListener('submit', (e) => e.preventDefault());

function parseMatrix(what: string, text: string, cols: number | null): number[][] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error(`${what}: not valid JSON (write rows like [[1, 2], [3, 4]])`);
  }
  if (!Array.isArray(v) || v.length === 0) throw new Error(`${what}: expected a non-empty array of rows`);
  const rows = v.map((r) => (Array.isArray(r) ? r : [r]));
  rows.forEach((r, i) => {
    if (!r.every((n) => typeof n === 'number' && Number.isFinite(n))) throw new Error(`${what}: row ${i} has a value that is not a number`);
    if (cols !== null && r.length !== cols) throw new Error(`${what}: row ${i} has ${r.length} values, expected ${cols}`);
  });
  return rows as number[][];
}

function readConfig(): Config {
  const inputs = Number($input('n-inputs').value);
  if (!Number.isInteger(inputs) || inputs < 1) throw new Error('inputs per sample: enter a whole number of at least 1');
  const layers = readLayers();
  layers.forEach((l, i) => {
    if (!Number.isInteger(l.units) || l.units < 1) throw new Error(`layer ${i + 1}: units must be a whole number of at least 1`);
  });
  const lr = Number($input('lr').value);
  const epochs = Number($input('epochs').value);
  const batchSize = Number($input('batch').value);
  if (!(lr > 0)) throw new Error('learning rate: enter a positive number');
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error('epochs: enter a whole number of at least 1');
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('batch size: enter a whole number of at least 1');
  const stopText = $input('stop-below').value.trim();
  const stopBelow = stopText === '' ? null : Number(stopText);
  if (stopBelow !== null && !Number.isFinite(stopBelow)) throw new Error('stop when the loss is below: enter a number or leave it empty');
  const outUnits = layers[layers.length - 1].units;
  const x = parseMatrix('training inputs x', ($('x-train') as HTMLTextAreaElement).value, inputs);
  const y = parseMatrix('labels y', ($('y-train') as HTMLTextAreaElement).value, outUnits);
  if (x.length !== y.length) throw new Error(`data: ${x.length} input rows but ${y.length} label rows`);
  const testText = ($('x-test') as HTMLTextAreaElement).value.trim();
  const xTest = testText ? parseMatrix('inputs to predict', testText, inputs) : null;
  const wText = ($('init-weights') as HTMLTextAreaElement).value.trim();
  let weights: NestedArray[] | null = null;
  if (wText) {
    try {
      weights = JSON.parse(wText) as NestedArray[];
    } catch {
      throw new Error('initial weights: not valid JSON');
    }
  }
  const metric = ($('metric') as HTMLSelectElement).value;
  return { inputs, layers, loss: ($('loss') as HTMLSelectElement).value, metric, lr, epochs, batchSize, stopBelow, x, y, xTest, weights };
}

// ------------------------------------------------------------------ models and training

function buildModel(r: Runtime, c: Config): Sequential {
  setSeed(SEED);
  const model = new Sequential(
    c.layers.map((l, i) => Dense({ units: l.units, activation: l.activation, ...(i === 0 ? { inputShape: [c.inputs] } : {}) })),
    { runtime: r },
  );
  model.compile({ optimizer: sgd({ learningRate: c.lr }), loss: c.loss, metrics: c.metric ? [c.metric] : [] });
  model.build();
  if (c.weights) model.setWeights(c.weights);
  return model;
}

interface Run {
  path: 'gpu' | 'cpu';
  config: Config;
  model: Sequential;
  epochsDone: number;
  loss: number[];
  metric: number[];
  /** Time spent in fit() (and the final predict), without drawing. */
  ms: number;
  stoppedBelow: number | null;
  /** The network's output for x in the last epoch's forward pass, before its update. */
  yLastForward: number[][] | null;
  finished: boolean;
}

async function readRows(t: { read(): Promise<Float32Array>; dispose(): void; shape: readonly number[] }): Promise<number[][]> {
  const v = await t.read();
  t.dispose();
  const cols = t.shape[1] ?? 1;
  return Array.from({ length: v.length / cols }, (_, i) => Array.from(v.subarray(i * cols, (i + 1) * cols)));
}

/**
 * Trains `run` up to its epoch count in segments; `onSegment` runs between segments (drawing).
 * The last epoch runs on its own after a predict, which is the forward pass the notes print.
 */
async function train(run: Run, shouldStop: () => boolean, onSegment: (() => Promise<void>) | null): Promise<void> {
  const { config: c, model } = run;
  const total = c.epochs;
  const segment = onSegment ? Math.max(1, Math.min(2000, Math.ceil(total / 60))) : total;
  while (run.epochsDone < total && !shouldStop()) {
    let count = Math.min(segment, total - run.epochsDone);
    const lastOne = run.epochsDone + count === total;
    if (lastOne && count > 1) count -= 1;
    const t0 = performance.now();
    if (run.epochsDone === total - 1) run.yLastForward = await readRows(await model.predict(c.x));
    const h = await model.fit(c.x, c.y, {
      epochs: count,
      batchSize: c.batchSize,
      shuffle: false,
      ...(c.stopBelow !== null ? { stopWhenLossBelow: c.stopBelow } : {}),
    });
    run.ms += performance.now() - t0;
    run.loss.push(...h.loss);
    if (c.metric) run.metric.push(...(h.history[c.metric] ?? []));
    run.epochsDone += h.loss.length;
    if (h.stopped?.reason === 'stopWhenLossBelow') {
      run.stoppedBelow = run.epochsDone - 1;
      run.yLastForward = null;
      break;
    }
    if (onSegment) await onSegment();
  }
  run.finished = run.epochsDone >= total || run.stoppedBelow !== null;
}

// ------------------------------------------------------------------ drawing

/** Six decimals, as the notes print weights. */
const six = (v: number): string => (Math.abs(v) < 1e6 ? v.toFixed(6) : fmt(v));

const lossChart: Chart = makeChart($('loss-chart') as HTMLCanvasElement, 'Loss and metric per epoch', {
  type: 'line',
  data: { datasets: [] },
  options: xyOptions('epoch', 'loss'),
});
const predChart: Chart = makeChart($('pred-chart') as HTMLCanvasElement, 'Predictions against labels', {
  type: 'scatter',
  data: { datasets: [] },
  options: xyOptions('label', 'prediction'),
});

/** At most ~1500 points per curve: every k-th epoch plus the last. */
function thin(values: number[]): XY[] {
  const k = Math.max(1, Math.ceil(values.length / 1500));
  const out: XY[] = [];
  for (let i = 0; i < values.length; i += k) out.push({ x: i, y: values[i] });
  if (values.length && (values.length - 1) % k !== 0) out.push({ x: values.length - 1, y: values[values.length - 1] });
  return out;
}

function drawLoss(run: Run): void {
  const c = run.config;
  const ds = [line(`loss (${c.loss})`, thin(run.loss), 0)];
  if (c.metric) ds.push({ ...line(c.metric, thin(run.metric), 1, true), yAxisID: 'y2' } as typeof ds[number]);
  lossChart.data.datasets = ds;
  const scales = lossChart.options.scales!;
  const allPositive = run.loss.every((v) => v > 0);
  scales.y = { type: allPositive ? 'logarithmic' : 'linear', title: { display: true, text: `loss${allPositive ? ' (log scale)' : ''}` } };
  scales.y2 = { type: 'linear', position: 'right', display: !!c.metric, grid: { drawOnChartArea: false }, title: { display: true, text: c.metric } };
  lossChart.update();
}

async function drawModel(run: Run): Promise<{ weights: NestedArray[]; predictions: number[][]; testPredictions: number[][] | null }> {
  const c = run.config;
  const weights = await run.model.getWeights();
  const predictions = await readRows(await run.model.predict(c.x));
  const testPredictions = c.xTest ? await readRows(await run.model.predict(c.xTest)) : null;

  // Weights: one row per layer and kind.
  const rows: HTMLElement[] = [];
  c.layers.forEach((l, i) => {
    const W = weights[2 * i] as number[][];
    const b = weights[2 * i + 1] as number[];
    rows.push(el('tr', {}, el('th', { class: 'text', scope: 'row', text: `layer ${i + 1} kernel W${i + 1} [${W.length}×${l.units}]` }), el('td', { class: 'text' }, el('code', { text: W.map((r) => `[${r.map(six).join(', ')}]`).join(' ') }))));
    rows.push(el('tr', {}, el('th', { class: 'text', scope: 'row', text: `layer ${i + 1} bias b${i + 1}` }), el('td', { class: 'text' }, el('code', { text: `[${b.map(six).join(', ')}]` }))));
  });
  $('weights').querySelector('tbody')!.replaceChildren(...rows);

  // Predictions against labels.
  const outUnits = c.layers[c.layers.length - 1].units;
  const head = el('tr', {}, el('th', { scope: 'col', text: 'x' }), ...Array.from({ length: outUnits }, (_, k) => el('th', { scope: 'col', text: outUnits > 1 ? `label y${k + 1}` : 'label' })), ...Array.from({ length: outUnits }, (_, k) => el('th', { scope: 'col', text: outUnits > 1 ? `prediction y${k + 1}` : 'prediction' })));
  $('predictions').querySelector('thead')!.replaceChildren(head);
  $('predictions').querySelector('tbody')!.replaceChildren(
    ...c.x.map((x, i) => el('tr', {}, el('td', { text: `[${x.map((v) => fmt(v)).join(', ')}]` }), ...c.y[i].map((v) => el('td', { text: fmt(v) })), ...predictions[i].map((v) => el('td', { text: six(v) })))),
  );
  const testTable = $('test-predictions') as HTMLTableElement;
  testTable.hidden = !testPredictions;
  if (testPredictions) {
    testTable.querySelector('thead')!.replaceChildren(el('tr', {}, el('th', { scope: 'col', text: 'new x' }), el('th', { scope: 'col', text: 'prediction' })));
    testTable.querySelector('tbody')!.replaceChildren(...c.xTest!.map((x, i) => el('tr', {}, el('td', { text: `[${x.map((v) => fmt(v)).join(', ')}]` }), el('td', { text: testPredictions[i].map(six).join(', ') }))));
  }

  // The prediction chart: y against x for one input and one output (as the notes draw), else prediction against label.
  const scales = predChart.options.scales!;
  if (c.inputs === 1 && outUnits === 1) {
    const xs = c.x.map((r) => r[0]);
    const ds = [markers('label', points(xs, c.y.map((r) => r[0])), 2, 6, 'rectRot'), markers('prediction (training x)', points(xs, predictions.map((r) => r[0])), 0, 4)];
    if (testPredictions) ds.push(markers('prediction (new x)', points(c.xTest!.map((r) => r[0]), testPredictions.map((r) => r[0])), 1, 5, 'triangle'));
    predChart.data.datasets = ds;
    scales.x = { type: 'linear', title: { display: true, text: 'x' } };
    scales.y = { type: 'linear', title: { display: true, text: 'y' } };
  } else {
    const ds = Array.from({ length: outUnits }, (_, k) => markers(outUnits > 1 ? `output ${k + 1}` : 'output', points(c.y.map((r) => r[k]), predictions.map((r) => r[k])), k, 5));
    const all = c.y.flat();
    const lo = Math.min(...all, 0);
    const hi = Math.max(...all, 1);
    predChart.data.datasets = [...ds, { ...line('perfect: prediction = label', [{ x: lo, y: lo }, { x: hi, y: hi }], 6, true), borderWidth: 1 }];
    scales.x = { type: 'linear', title: { display: true, text: 'label' } };
    scales.y = { type: 'linear', title: { display: true, text: 'prediction' } };
  }
  predChart.update();
  return { weights, predictions, testPredictions };
}

function drawProgress(run: Run, state: string): void {
  const c = run.config;
  const last = run.loss[run.loss.length - 1];
  const items: [string, string][] = [
    ['status', state],
    ['epoch', `${run.epochsDone} / ${c.epochs}`],
    [`loss (${c.loss})`, last === undefined ? '—' : fmt(last, 6)],
  ];
  if (c.metric) items.push([c.metric, run.metric.length ? fmt(run.metric[run.metric.length - 1], 6) : '—']);
  items.push([`time on the ${run.path === 'gpu' && rt !== cpu ? 'GPU' : 'CPU path'} (with drawing)`, `${run.ms.toFixed(0)} ms`]);
  if (run.yLastForward && run.config.x.length === 1) items.push(['y in the last epoch (as the notes print)', `(${run.yLastForward[0].map((v) => v.toFixed(6)).join(', ')})`]);
  if (run.stoppedBelow !== null) items.push(['stopped', `loss below ${c.stopBelow} at epoch ${run.stoppedBelow}`]);
  $('progress').replaceChildren(...items.map(([k, v]) => el('div', {}, el('dt', { text: k }), el('dd', { text: v }))));
}

// ------------------------------------------------------------------ buttons

let gpuRun: Run | null = null;
let lastDrawn: Awaited<ReturnType<typeof drawModel>> | null = null;
let stopRequested = false;
let running = false;
const comparisons: { path: string; epochs: number; ms: number; loss: number; diff: number | null }[] = [];

function setButtons(): void {
  ($('train') as HTMLButtonElement).disabled = running;
  ($('stop') as HTMLButtonElement).disabled = !running;
  ($('resume') as HTMLButtonElement).disabled = running || !gpuRun || gpuRun.finished;
  ($('compare') as HTMLButtonElement).disabled = running || !gpuRun || !gpuRun.finished;
  document.body.dataset.training = running ? '1' : '';
}

function resetRun(): void {
  if (running) return;
  gpuRun?.model.dispose();
  gpuRun = null;
  lastDrawn = null;
  comparisons.length = 0;
  $('comparison').querySelector('tbody')!.replaceChildren();
  $('progress').replaceChildren();
  setButtons();
}

function publish(run: Run, drawn: Awaited<ReturnType<typeof drawModel>> | null): void {
  hooks.training = {
    example: exampleSelect.value,
    epochs: run.config.epochs,
    epochsDone: run.epochsDone,
    finished: run.finished,
    running,
    loss: run.loss,
    metric: run.metric,
    stoppedBelow: run.stoppedBelow,
    yLastForward: run.yLastForward,
    gpuMs: run.ms,
    ...(drawn ?? {}),
    comparisons,
  };
}

async function go(resume: boolean): Promise<void> {
  showError(errorBox, null);
  if (!resume) {
    resetRun();
    const config = readConfig();
    gpuRun = { path: 'gpu', config, model: buildModel(rt, config), epochsDone: 0, loss: [], metric: [], ms: 0, stoppedBelow: null, yLastForward: null, finished: false };
  }
  const run = gpuRun!;
  running = true;
  stopRequested = false;
  setButtons();
  drawProgress(run, 'training…');
  try {
    await train(run, () => stopRequested, async () => {
      drawLoss(run);
      drawProgress(run, 'training…');
      lastDrawn = await drawModel(run);
      publish(run, lastDrawn);
      rendered();
      await nextFrame();
    });
  } finally {
    running = false;
    setButtons();
  }
  drawLoss(run);
  const drawn = (lastDrawn = await drawModel(run));
  drawProgress(run, run.finished ? 'finished' : 'stopped');
  if (run.finished) {
    comparisons.length = 0;
    comparisons.push({ path: `${rt === cpu ? 'CPU path (no WebGPU)' : 'GPU (WebGPU)'}, live run with drawing`, epochs: run.epochsDone, ms: run.ms, loss: run.loss[run.loss.length - 1], diff: null });
    drawComparison();
  }
  publish(run, drawn);
  rendered();
}

/** Trains the same configuration from the start on `r` in one go (no drawing) and times it. */
async function timedRun(r: Runtime, path: Run['path'], c: Config): Promise<Run> {
  const run: Run = { path, config: c, model: buildModel(r, c), epochsDone: 0, loss: [], metric: [], ms: 0, stoppedBelow: null, yLastForward: null, finished: false };
  await train(run, () => false, null);
  return run;
}

function flatWeights(w: NestedArray[]): number[] {
  return (w as unknown[]).flat(3) as number[];
}

async function compareOnCpu(): Promise<void> {
  if (!gpuRun?.finished) return;
  showError(errorBox, null);
  running = true;
  setButtons();
  try {
    const c = gpuRun.config;
    const reference = flatWeights(await gpuRun.model.getWeights());
    comparisons.splice(1);
    for (const [r, path, label] of [
      [rt, 'gpu', rt === cpu ? 'CPU path (no WebGPU), one fit() call' : 'GPU (WebGPU), one fit() call'],
      [cpu, 'cpu', 'CPU path, one fit() call'],
    ] as const) {
      if (path === 'gpu' && r === cpu) continue;
      drawProgress(gpuRun, `timing the ${path === 'gpu' ? 'GPU' : 'CPU path'}…`);
      await nextFrame();
      const run = await timedRun(r, path, c);
      const w = flatWeights(await run.model.getWeights());
      comparisons.push({ path: label, epochs: run.epochsDone, ms: run.ms, loss: run.loss[run.loss.length - 1], diff: w.reduce((m, v, i) => Math.max(m, Math.abs(v - reference[i])), 0) });
      run.model.dispose();
      drawComparison();
    }
    drawProgress(gpuRun, 'finished');
  } finally {
    running = false;
    setButtons();
  }
  publish(gpuRun, lastDrawn);
  rendered();
}

function drawComparison(): void {
  $('comparison').querySelector('tbody')!.replaceChildren(
    ...comparisons.map((r) =>
      el(
        'tr',
        {},
        el('th', { class: 'text', scope: 'row', text: r.path }),
        el('td', { text: String(r.epochs) }),
        el('td', { text: `${r.ms.toFixed(0)} ms` }),
        el('td', { text: fmt(r.loss, 7) }),
        el('td', { text: r.diff === null ? '—' : fmt(r.diff, 3) }),
      ),
    ),
  );
}

const report = (e: unknown) => {
  showError(errorBox, e);
  running = false;
  setButtons();
  rendered();
};
$('train').addEventListener('click', () => go(false).catch(report));
$('resume').addEventListener('click', () => go(true).catch(report));
$('stop').addEventListener('click', () => {
  stopRequested = true;
});
$('compare').addEventListener('click', () => compareOnCpu().catch(report));

loadExample(EXAMPLES[0]);
setButtons();
hooks.examples = EXAMPLES.map((e) => e.id);
rendered();
