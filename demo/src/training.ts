/**
 * Training playground: the notes' examples, generated datasets (XOR, circles, spirals, blobs,
 * a 1-D curve) or a network of your own, trained with the model API (Sequential, Dense,
 * compile, fit) in short segments so that the loss curves, the decision boundary, the network
 * diagram, the gradient norms, the weights and the predictions update live; stop/resume; the
 * same run on the CPU path; settings in the address; CSV and PNG downloads.
 */
import { Dense, Sequential, adagrad, adam, adamw, rmsprop, setSeed, sgd, type NestedArray, type Runtime } from '../../src/index';
import { Chart, DARK, chartState, line, linearAxis, logAxis, makeChart, markers, points, xyOptions, type XY } from './charts';
import { $, $input, FieldError, clearErrors, el, fmt, nextFrame, readNumber, rendered, renderQueue, reportError, showWhere, startPage } from './common';
import { DATASETS, generate, type DatasetPreset, type DataSettings } from './datasets';
import { EXAMPLES, type Example, type LayerSpec } from './examples';
import { csv, download, drawDiagram, drawHeatmap, gradientNorms, grid2d, rowsOf, unitMaps, weightsCsv, type DiagramState } from './playground';

const ACTIVATIONS = ['relu', 'sigmoid', 'tanh', 'linear', 'softmax', 'leakyRelu', 'elu', 'softplus', 'silu', 'gelu'];
/** Random initial weights use this seed, so runs repeat (as tf.random.set_seed in the notes). */
const SEED = 1234;
/** The heatmap's grid (HEAT_G² points), also the resolution of the diagram's unit maps. */
const HEAT_G = 40;

const { rt, cpu } = await startPage('training');
const hooks = window.__demo;
const errorBox = $('error');
const onGpu = rt !== cpu;
const pathName = onGpu ? 'GPU' : 'CPU path';

// ------------------------------------------------------------------ the form

interface Config {
  /** The notes' example, a generated dataset, or JSON data of your own. */
  source: 'notes' | 'dataset' | 'custom';
  dataset: DataSettings | null;
  extent: [number, number] | null;
  inputs: number;
  layers: LayerSpec[];
  loss: string;
  metric: string;
  /** sgd, adam, adamw, rmsprop or adagrad (one for the whole network: the model API has one optimizer per model). */
  optimizer: string;
  lr: number;
  momentum: number;
  epochs: number;
  batchSize: number;
  stopBelow: number | null;
  x: number[][];
  y: number[][];
  /** Inputs to predict after training (the notes' new x), without labels. */
  predictX: number[][] | null;
  /** Held-out test data with labels (generated datasets). */
  test: { x: number[][]; y: number[][] } | null;
  weights: NestedArray[] | null;
}

const layersBox = $('layers');
const exampleSelect = $('example') as HTMLSelectElement;
const notesGroup = el('optgroup', { label: 'From the notes' }, ...EXAMPLES.map((e) => el('option', { value: e.id, text: e.title })));
const dataGroup = el('optgroup', { label: 'Playground datasets' }, ...DATASETS.map((d) => el('option', { value: d.id, text: d.title })));
exampleSelect.append(notesGroup, dataGroup, el('option', { value: 'custom', text: 'Your own (edit the fields below)' }));

const datasetOf = (id: string): DatasetPreset | null => DATASETS.find((d) => d.id === id) ?? null;
const exampleOf = (id: string): Example | null => EXAMPLES.find((e) => e.id === id) ?? null;

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

/** The layers as typed (units unchecked: see readLayers). */
function layerValues(): LayerSpec[] {
  return Array.from(layersBox.querySelectorAll<HTMLElement>('[data-layer]')).map((row) => ({
    units: Number(row.querySelector('input')!.value),
    activation: row.querySelector('select')!.value,
  }));
}

function readLayers(): LayerSpec[] {
  return Array.from(layersBox.querySelectorAll<HTMLElement>('[data-layer]')).map((row, i) => ({
    units: readNumber(row.querySelector('input')!, `layer ${i + 1}: units`, { integer: true, min: 1, max: 256 }),
    activation: row.querySelector('select')!.value,
  }));
}

function json(v: unknown): string {
  return JSON.stringify(v);
}

const sel = (id: string) => $(id) as HTMLSelectElement;
const area = (id: string) => $(id) as HTMLTextAreaElement;

function setTraining(t: { loss: string; metric: string; optimizer?: string; lr: number; momentum: number; epochs: number; batchSize: number; stopBelow?: number }): void {
  sel('optimizer').value = t.optimizer ?? 'sgd';
  sel('loss').value = t.loss;
  sel('metric').value = t.metric;
  $input('lr').value = String(t.lr);
  $input('momentum').value = String(t.momentum);
  $input('epochs').value = String(t.epochs);
  $input('batch').value = String(t.batchSize);
  $input('stop-below').value = t.stopBelow === undefined ? '' : String(t.stopBelow);
  syncSliders();
}

function loadExample(e: Example): void {
  $('example-note').textContent = e.note;
  $input('n-inputs').value = String(e.inputs);
  $input('n-inputs').readOnly = false;
  setLayers(e.layers);
  setTraining({ ...e, momentum: 0 });
  area('x-train').value = json(e.x);
  area('y-train').value = json(e.y);
  area('x-test').value = e.xTest ? json(e.xTest) : '';
  area('init-weights').value = e.weights ? json(e.weights) : '';
  showSource('notes');
}

function loadDataset(d: DatasetPreset): void {
  $('example-note').textContent = d.note;
  $input('n-inputs').value = d.id === 'regression' ? '1' : '2';
  $input('n-inputs').readOnly = true;
  setLayers(d.layers);
  setTraining(d);
  $input('samples').value = String(d.data.samples);
  $input('noise').value = String(d.data.noise);
  $input('test-fraction').value = String(d.data.testFraction);
  $input('data-seed').value = '1';
  area('init-weights').value = '';
  showSource('dataset');
}

function showSource(source: Config['source']): void {
  $('generator').hidden = source !== 'dataset';
  $('data-set').hidden = source === 'dataset';
  if (source !== 'dataset') $input('n-inputs').readOnly = false;
  syncGeneratorLabels();
}

function syncGeneratorLabels(): void {
  $('samples-value').textContent = $input('samples').value;
  $('noise-value').textContent = $input('noise').value;
  $('test-fraction-value').textContent = `${Math.round(Number($input('test-fraction').value) * 100)} %`;
}

/** The log sliders follow the number fields (and the other way round, see below). */
function syncSliders(): void {
  const lr = Number($input('lr').value);
  if (lr > 0) $input('lr-slider').value = String(Math.log10(lr));
  const ep = Number($input('epochs').value);
  if (ep >= 1) $input('epochs-slider').value = String(Math.log10(ep));
}

function fromLogSlider(v: number, integer: boolean): string {
  const x = 10 ** v;
  const r = Number(x.toPrecision(2));
  return String(integer ? Math.max(1, Math.round(r)) : r);
}

function parseMatrix(field: HTMLElement, what: string, text: string, cols: number | null): number[][] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new FieldError(field, `${what}: not valid JSON (write rows like [[1, 2], [3, 4]])`);
  }
  if (!Array.isArray(v) || v.length === 0) throw new FieldError(field, `${what}: expected a non-empty array of rows`);
  const rows = v.map((r) => (Array.isArray(r) ? r : [r]));
  rows.forEach((r, i) => {
    if (!r.every((n) => typeof n === 'number' && Number.isFinite(n) && Math.abs(n) <= 3.4e38)) throw new FieldError(field, `${what}: row ${i} has a value that is not a float32 number`);
    if (cols !== null && r.length !== cols) throw new FieldError(field, `${what}: row ${i} has ${r.length} values, expected ${cols}`);
  });
  return rows as number[][];
}

/** The weight shapes a network needs, Keras order. */
function weightShapes(inputs: number, layers: LayerSpec[]): number[][] {
  const out: number[][] = [];
  layers.forEach((l, i) => {
    out.push([i === 0 ? inputs : layers[i - 1].units, l.units], [l.units]);
  });
  return out;
}

function shapeOf(v: unknown): number[] {
  return Array.isArray(v) ? [v.length, ...(Array.isArray(v[0]) ? [v[0].length] : [])] : [];
}

function weightsFit(weights: unknown, inputs: number, layers: LayerSpec[]): boolean {
  const want = weightShapes(inputs, layers);
  return Array.isArray(weights) && weights.length === want.length && weights.every((w, k) => json(shapeOf(w)) === json(want[k]));
}

function readGenerator(kind: DatasetPreset['id']): DataSettings {
  return {
    kind,
    samples: readNumber($input('samples'), 'points', { integer: true, min: 10, max: 5000 }),
    noise: readNumber($input('noise'), 'noise', { min: 0, max: 2 }),
    testFraction: readNumber($input('test-fraction'), 'held out for testing', { min: 0.05, max: 0.95 }),
    seed: readNumber($input('data-seed'), 'data seed', { integer: true, min: 0 }),
  };
}

function readConfig(): Config {
  const inputs = readNumber($input('n-inputs'), 'inputs per sample', { integer: true, min: 1, max: 64 });
  const layers = readLayers();
  const lr = readNumber($input('lr'), 'learning rate');
  if (!(lr > 0)) throw new FieldError($input('lr'), 'learning rate: must be larger than 0');
  const momentum = readNumber($input('momentum'), 'momentum', { min: 0, max: 0.999 });
  const epochs = readNumber($input('epochs'), 'epochs', { integer: true, min: 1, max: 1_000_000 });
  const batchSize = readNumber($input('batch'), 'batch size', { integer: true, min: 1 });
  const stopBelow = readNumber($input('stop-below'), 'stop when the loss is below', { optional: true });
  const loss = sel('loss').value;
  const metric = sel('metric').value;
  const optimizer = sel('optimizer').value;
  const outUnits = layers[layers.length - 1].units;
  const d = datasetOf(exampleSelect.value);
  const base = { inputs, layers, loss, metric, optimizer, lr, momentum, epochs, batchSize, stopBelow };
  if (d) {
    if (outUnits !== 1) throw new FieldError($(`layer-${layers.length - 1}-units`), `layer ${layers.length}: units: this dataset has one output, so the last layer needs 1 unit`);
    const settings = readGenerator(d.id);
    const data = generate(settings);
    return { ...base, source: 'dataset', dataset: settings, extent: data.extent, x: data.x, y: data.y, predictX: null, test: { x: data.xTest, y: data.yTest }, weights: null };
  }
  const x = parseMatrix($('x-train'), 'training inputs x', area('x-train').value, inputs);
  const y = parseMatrix($('y-train'), 'labels y', area('y-train').value, outUnits);
  if (x.length !== y.length) throw new FieldError($('y-train'), `labels y: ${y.length} rows, but there are ${x.length} input rows`);
  const testText = area('x-test').value.trim();
  const predictX = testText ? parseMatrix($('x-test'), 'inputs to predict', testText, inputs) : null;
  const wText = area('init-weights').value.trim();
  let weights: NestedArray[] | null = null;
  if (wText) {
    try {
      weights = JSON.parse(wText) as NestedArray[];
    } catch {
      throw new FieldError($('init-weights'), 'initial weights: not valid JSON');
    }
    if (!weightsFit(weights, inputs, layers)) {
      const want = weightShapes(inputs, layers).map((s) => `[${s.join('×')}]`);
      throw new FieldError($('init-weights'), `initial weights: this network needs ${want.length} arrays shaped ${want.join(', ')}; empty the field for random weights`);
    }
  }
  const source = exampleOf(exampleSelect.value) ? 'notes' : 'custom';
  return { ...base, source, dataset: null, extent: null, x, y, predictX, test: null, weights };
}

// ------------------------------------------------------------------ models and training

function buildModel(r: Runtime, c: Config): Sequential {
  setSeed(SEED);
  const model = new Sequential(
    c.layers.map((l, i) => Dense({ units: l.units, activation: l.activation, ...(i === 0 ? { inputShape: [c.inputs] } : {}) })),
    { runtime: r },
  );
  const optimizer =
    c.optimizer === 'adam' ? adam({ learningRate: c.lr })
    : c.optimizer === 'adamw' ? adamw({ learningRate: c.lr })
    : c.optimizer === 'rmsprop' ? rmsprop({ learningRate: c.lr, momentum: c.momentum })
    : c.optimizer === 'adagrad' ? adagrad({ learningRate: c.lr })
    : sgd({ learningRate: c.lr, momentum: c.momentum });
  model.compile({ optimizer, loss: c.loss, metrics: c.metric ? [c.metric] : [] });
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
  /** Test loss and metric at the end of each segment (epoch index, value). */
  testLoss: XY[];
  testMetric: XY[];
  /** Per-layer gradient norms at the end of each segment. */
  gradNorms: { epoch: number; norms: number[] }[];
  /** Time spent in fit() only. */
  ms: number;
  /** Wall time of the run, drawing included. */
  wallMs: number;
  /** fit() calls made. */
  calls: number;
  stoppedBelow: number | null;
  /** The network's output for x in the last epoch's forward pass, before its update. */
  yLastForward: number[][] | null;
  finished: boolean;
  /** The loss became NaN or infinite: the epoch (counted from the start of the run) and the value. */
  diverged: { epoch: number; value: string } | null;
}

function newRun(path: Run['path'], config: Config, model: Sequential): Run {
  return { path, config, model, epochsDone: 0, loss: [], metric: [], testLoss: [], testMetric: [], gradNorms: [], ms: 0, wallMs: 0, calls: 0, stoppedBelow: null, yLastForward: null, finished: false, diverged: null };
}

/** Appends without spreading (a million epochs would overflow the call stack). */
function append(to: number[], from: readonly number[]): void {
  for (let i = 0; i < from.length; i++) to.push(from[i]);
}

/**
 * Trains `run` up to its epoch count in segments; `onSegment` runs between segments. The
 * segment length adapts so that each fit() call takes about `targetMs` (drawing stays live
 * and the page responsive). Without `onSegment` it is one fit() call. The last epoch runs on
 * its own after a predict, which is the forward pass the notes print. Rows are never shuffled,
 * so the result does not depend on how the epochs are split into calls.
 */
async function train(run: Run, shouldStop: () => boolean, onSegment: (() => Promise<void>) | null, targetMs = 30): Promise<void> {
  const { config: c, model } = run;
  const total = c.epochs;
  let segment = onSegment ? (c.source === 'dataset' ? 1 : Math.max(1, Math.min(2000, Math.ceil(total / 60)))) : total;
  const maxSegment = Math.max(2000, Math.ceil(total / 20));
  while (run.epochsDone < total && !shouldStop()) {
    let count = Math.min(segment, total - run.epochsDone);
    const lastOne = run.epochsDone + count === total;
    if (lastOne && count > 1) count -= 1;
    if (run.epochsDone === total - 1 && onSegment) run.yLastForward = await rowsOf(await model.predict(c.x));
    const t0 = performance.now();
    let h;
    try {
      h = await model.fit(c.x, c.y, {
        epochs: count,
        batchSize: c.batchSize,
        shuffle: false,
        ...(c.stopBelow !== null ? { stopWhenLossBelow: c.stopBelow } : {}),
      });
    } catch (e) {
      const m = /loss became (\S+) at epoch (\d+)/.exec((e as Error).message ?? '');
      if (!m) throw e;
      run.ms += performance.now() - t0;
      run.calls++;
      run.diverged = { epoch: run.epochsDone + Number(m[2]), value: m[1] };
      break;
    }
    const fitMs = performance.now() - t0;
    run.ms += fitMs;
    run.calls++;
    append(run.loss, h.loss);
    if (c.metric) append(run.metric, h.history[c.metric] ?? []);
    run.epochsDone += h.loss.length;
    if (h.stopped?.reason === 'stopWhenLossBelow') {
      run.stoppedBelow = run.epochsDone - 1;
      run.yLastForward = null;
      break;
    }
    if (onSegment) {
      await onSegment();
      // Aim the next call at targetMs (at most doubling or halving per step).
      const scale = Math.min(2, Math.max(0.5, targetMs / Math.max(1, fitMs)));
      segment = Math.max(1, Math.min(maxSegment, Math.round(count * scale)));
    }
  }
  run.finished = run.diverged === null && (run.epochsDone >= total || run.stoppedBelow !== null);
}

// ------------------------------------------------------------------ charts

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
const gradChart: Chart = makeChart($('grad-chart') as HTMLCanvasElement, 'Gradient norm per layer over the epochs (log scale)', {
  type: 'line',
  data: { datasets: [] },
  options: xyOptions('epoch', '‖∂E/∂W‖'),
});
hooks.charts = () => ({ loss: chartState(lossChart), pred: chartState(predChart), grad: chartState(gradChart) });

/** At most ~1500 points per curve: every k-th epoch plus the last. */
function thin(values: number[]): XY[] {
  const k = Math.max(1, Math.ceil(values.length / 1500));
  const out: XY[] = [];
  for (let i = 0; i < values.length; i += k) if (Number.isFinite(values[i])) out.push({ x: i, y: values[i] });
  const last = values.length - 1;
  if (values.length && last % k !== 0 && Number.isFinite(values[last])) out.push({ x: last, y: values[last] });
  return out;
}

function drawLoss(run: Run): void {
  const c = run.config;
  const train = thin(run.loss);
  const ds: Chart['data']['datasets'] = [line(`training loss (${c.loss})`, train, 0)];
  if (run.testLoss.length) ds.push(line('test loss', run.testLoss, 1, true));
  if (c.metric) {
    ds.push({ ...line(`training ${c.metric} (right axis)`, thin(run.metric), 2), yAxisID: 'y2' });
    if (run.testMetric.length) ds.push({ ...line(`test ${c.metric} (right axis)`, run.testMetric, 4, true), yAxisID: 'y2' });
  }
  lossChart.data.datasets = ds;
  const scales = lossChart.options.scales!;
  const all = [...train.map((p) => p.y), ...run.testLoss.map((p) => p.y)];
  const log = all.length > 0 && all.every((v) => v > 0);
  scales.x = linearAxis('epoch', { min: 0 }) as never;
  scales.y = (log ? logAxis('loss (log scale)') : linearAxis('loss')) as never;
  const metricValues = [...run.metric, ...run.testMetric.map((p) => p.y)].filter(Number.isFinite);
  const metricLog = c.metric !== 'accuracy' && metricValues.length > 0 && metricValues.every((v) => v > 0) && Math.max(...metricValues) / Math.min(...metricValues) > 100;
  const y2 = c.metric === 'accuracy'
    ? linearAxis('accuracy', { min: 0, max: 1 })
    : metricLog
      ? logAxis(`${c.metric} (log scale)`)
      : linearAxis(c.metric || 'metric');
  scales.y2 = { ...y2, position: 'right', display: !!c.metric, grid: { drawOnChartArea: false } } as never;
  lossChart.update();
}

function drawGradients(run: Run): void {
  const layers = run.config.layers;
  const ds = layers.map((l, i) =>
    line(
      `layer ${i + 1} (${l.activation})`,
      run.gradNorms.filter((g) => g.norms[i] > 0 && Number.isFinite(g.norms[i])).map((g) => ({ x: g.epoch, y: g.norms[i] })),
      i,
    ),
  );
  gradChart.data.datasets = ds;
  const scales = gradChart.options.scales!;
  scales.x = linearAxis('epoch', { min: 0 }) as never;
  scales.y = logAxis('‖∂E/∂W‖ (log scale)') as never;
  gradChart.update();
}

function drawPredictions(c: Config, predictions: number[][], predicted: number[][] | null, curve: { x: number[]; y: number[] } | null): void {
  const outUnits = c.layers[c.layers.length - 1].units;
  const scales = predChart.options.scales!;
  if (c.inputs === 1 && outUnits === 1) {
    const xs = c.x.map((r) => r[0]);
    const ds: Chart['data']['datasets'] = [markers('training data', points(xs, c.y.map((r) => r[0])), 2, 4, 'rectRot'), markers('prediction (training x)', points(xs, predictions.map((r) => r[0])), 0, 3)];
    if (c.test) ds.push(markers('test data', points(c.test.x.map((r) => r[0]), c.test.y.map((r) => r[0])), 4, 4, 'triangle'));
    if (predicted) ds.push(markers('prediction (new x)', points(c.predictX!.map((r) => r[0]), predicted.map((r) => r[0])), 1, 5, 'triangle'));
    if (curve) ds.push(line('the network over x', points(curve.x, curve.y), 1));
    predChart.data.datasets = ds;
    scales.x = linearAxis('x') as never;
    scales.y = linearAxis('y') as never;
  } else {
    const ds: Chart['data']['datasets'] = Array.from({ length: outUnits }, (_, k) => markers(outUnits > 1 ? `output ${k + 1}` : 'output', points(c.y.map((r) => r[k]), predictions.map((r) => r[k])), k, 5));
    let lo = 0;
    let hi = 1;
    for (const r of c.y) for (const v of r) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    predChart.data.datasets = [...ds, { ...line('perfect: prediction = label', [{ x: lo, y: lo }, { x: hi, y: hi }], 6, true), borderWidth: 1 }];
    scales.x = linearAxis('label') as never;
    scales.y = linearAxis('prediction') as never;
  }
  predChart.update();
}

// ------------------------------------------------------------------ the live views

interface Drawn {
  weights: NestedArray[];
  predictions: number[][];
  testPredictions: number[][] | null;
  heatmap: number[] | null;
  diagram: DiagramState;
}

const heatGrid = new Map<string, number[][]>();
function gridFor(extent: [number, number], g: number): number[][] {
  const key = `${extent.join(',')} ${g}`;
  let v = heatGrid.get(key);
  if (!v) heatGrid.set(key, (v = grid2d(extent[0], extent[1], g)));
  return v;
}

const frames: number[] = [];
hooks.frames = frames;

/** Nested rows of a [C, K] kernel or a [K] bias read back as a flat array. */
function nestWeights(flat: Float32Array[], shapes: readonly (readonly number[])[]): NestedArray[] {
  return flat.map((v, k) => {
    const [rows, cols] = shapes[k];
    return cols === undefined ? Array.from(v) : Array.from({ length: rows }, (_, r) => Array.from(v.subarray(r * cols, (r + 1) * cols)));
  });
}

/**
 * The weights, predictions, heatmap, diagram and tables for `model` (trained or not), and
 * with `run` the test loss and the gradient norms: all the GPU work is recorded first and read
 * back together, so a frame costs about one round trip to the GPU.
 */
async function drawViews(c: Config, model: Sequential, run: Run | null = null): Promise<Drawn> {
  const twoD = c.source === 'dataset' && c.inputs === 2 && c.extent !== null;
  const oneD = c.source === 'dataset' && c.inputs === 1 && c.extent !== null;
  const w = model.getWeightTensors();
  const at = run ? Math.max(0, run.epochsDone - 1) : 0;
  try {
    const curveX = oneD ? Array.from({ length: 161 }, (_, i) => c.extent![0] + ((c.extent![1] - c.extent![0]) * i) / 160) : null;
    const finite = (ws: Float32Array[]) => ws.every((v) => v.every(Number.isFinite));
    // The heatmap is the last layer of the unit maps: `dense` layer by layer over the grid
    // (predict's fused kernel runs the rows one after another, slow on a software adapter).
    const [weightsFlat, predictions, testPredictions, curve, maps, test] = await Promise.all([
      Promise.all(w.map((t) => t.read())),
      model.predict(c.source === 'dataset' ? c.x.slice(0, 10) : c.x).then(rowsOf),
      c.predictX ? model.predict(c.predictX).then(rowsOf) : null,
      curveX ? model.predict(curveX.map((v) => [v])).then(rowsOf) : null,
      twoD ? unitMaps(rt, c.layers, w, gridFor(c.extent!, HEAT_G), HEAT_G) : null,
      run && c.test ? model.evaluate(c.test.x, c.test.y) : null,
    ]);
    // The gradient norms need finite weights (after a divergence they are not).
    if (run && finite(weightsFlat)) run.gradNorms.push({ epoch: at, norms: await gradientNorms(rt, c.layers, w, c.x, c.y, c.loss) });
    if (run && test !== null) {
      const [l, m] = Array.isArray(test) ? test : [test];
      run.testLoss.push({ x: at, y: l });
      if (c.metric && m !== undefined) run.testMetric.push({ x: at, y: m });
    }
    const weights = nestWeights(weightsFlat, w.map((t) => t.shape));
    const heatmap = maps ? maps.maps[maps.maps.length - 1][0] : null;
    $('heatmap-box').hidden = !twoD;
    $('pred-box').hidden = twoD;
    if (heatmap) {
      drawHeatmap($('heatmap') as HTMLCanvasElement, heatmap, HEAT_G, c.extent!, [{ x: c.x, y: c.y, test: false }, ...(c.test ? [{ x: c.test.x, y: c.test.y, test: true }] : [])], DARK);
    } else {
      drawPredictions(c, predictions, testPredictions, curve && curveX ? { x: curveX, y: curve.map((r) => r[0]) } : null);
    }
    if (twoD || oneD) frames.push(performance.now());
    const diagram = drawDiagram($('diagram'), c.inputs, c.layers, weights, maps);
    $('diagram-hint').textContent = maps ? 'Each unit shows its output over the input plane (blue: positive, orange: negative).' : '';
    fillTables(c, weights, predictions, testPredictions);
    return { weights, predictions, testPredictions, heatmap, diagram };
  } finally {
    w.forEach((t) => t.dispose());
  }
}

function fillTables(c: Config, weights: NestedArray[], predictions: number[][], testPredictions: number[][] | null): void {
  const rows: HTMLElement[] = [];
  c.layers.forEach((l, i) => {
    const W = weights[2 * i] as number[][];
    const b = weights[2 * i + 1] as number[];
    rows.push(el('tr', {}, el('th', { class: 'text', scope: 'row', text: `layer ${i + 1} kernel W${i + 1} [${W.length}×${l.units}]` }), el('td', { class: 'text' }, el('code', { text: W.map((r) => `[${r.map(six).join(', ')}]`).join(' ') }))));
    rows.push(el('tr', {}, el('th', { class: 'text', scope: 'row', text: `layer ${i + 1} bias b${i + 1}` }), el('td', { class: 'text' }, el('code', { text: `[${b.map(six).join(', ')}]` }))));
  });
  $('weights').querySelector('tbody')!.replaceChildren(...rows);

  const outUnits = c.layers[c.layers.length - 1].units;
  const shown = Math.min(c.x.length, c.source === 'dataset' ? 10 : 200);
  const head = el('tr', {}, el('th', { scope: 'col', text: 'x' }), ...Array.from({ length: outUnits }, (_, k) => el('th', { scope: 'col', text: outUnits > 1 ? `label y${k + 1}` : 'label' })), ...Array.from({ length: outUnits }, (_, k) => el('th', { scope: 'col', text: outUnits > 1 ? `prediction y${k + 1}` : 'prediction' })));
  $('predictions').querySelector('thead')!.replaceChildren(head);
  $('predictions').querySelector('tbody')!.replaceChildren(
    ...c.x.slice(0, shown).map((x, i) => el('tr', {}, el('td', { text: `[${x.map((v) => fmt(v)).join(', ')}]` }), ...c.y[i].map((v) => el('td', { text: fmt(v) })), ...predictions[i].map((v) => el('td', { text: six(v) })))),
  );
  $('predictions-caption').textContent = shown < c.x.length ? `Predictions against labels (the first ${shown} of ${c.x.length} training rows)` : 'Predictions against labels';
  const testTable = $('test-predictions') as HTMLTableElement;
  testTable.hidden = !testPredictions;
  if (testPredictions) {
    testTable.querySelector('thead')!.replaceChildren(el('tr', {}, el('th', { scope: 'col', text: 'new x' }), el('th', { scope: 'col', text: 'prediction' })));
    testTable.querySelector('tbody')!.replaceChildren(...c.predictX!.map((x, i) => el('tr', {}, el('td', { text: `[${x.map((v) => fmt(v)).join(', ')}]` }), el('td', { text: testPredictions[i].map(six).join(', ') }))));
  }
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
  if (run.testLoss.length) items.push(['test loss', fmt(run.testLoss[run.testLoss.length - 1].y, 6)]);
  if (run.testMetric.length) items.push([`test ${c.metric}`, fmt(run.testMetric[run.testMetric.length - 1].y, 6)]);
  const where = run.path === 'gpu' && onGpu ? 'on the GPU' : 'on the CPU path';
  items.push([`time in fit() ${where}`, `${run.ms.toFixed(0)} ms`]);
  items.push(['wall time, drawing included', `${run.wallMs.toFixed(0)} ms`]);
  if (run.yLastForward && run.config.x.length === 1) items.push(['y in the last epoch (as the notes print)', `(${run.yLastForward[0].map((v) => v.toFixed(6)).join(', ')})`]);
  if (run.stoppedBelow !== null) items.push(['stopped', `loss below ${c.stopBelow} at epoch ${run.stoppedBelow}`]);
  if (run.diverged) items.push(['diverged', `the loss became ${run.diverged.value} at epoch ${run.diverged.epoch}`]);
  $('progress').replaceChildren(...items.map(([k, v]) => el('div', {}, el('dt', { text: k }), el('dd', { text: v }))));
  $('run-status').textContent = `${state}: epoch ${run.epochsDone} / ${c.epochs}, loss ${last === undefined ? '—' : fmt(last, 4)}${run.testMetric.length ? `, test ${c.metric} ${fmt(run.testMetric[run.testMetric.length - 1].y, 3)}` : ''}`;
  hooks.status = state;
}

// ------------------------------------------------------------------ buttons and state

let gpuRun: Run | null = null;
let lastDrawn: Drawn | null = null;
/** Largest difference between the heatmap and predict over the same grid, after the last run. */
let heatmapVsPredict: number | null = null;
let stopRequested = false;
let running = false;
const comparisons: { path: string; epochs: number; ms: number; loss: number; diff: number | null }[] = [];

const LOCKED = ['problem-set', 'generator', 'network-set', 'training-set', 'data-set'];

function resumable(): boolean {
  return !!gpuRun && !gpuRun.finished && !gpuRun.diverged && gpuRun.epochsDone > 0;
}

function setButtons(): void {
  ($('train') as HTMLButtonElement).disabled = running;
  ($('stop') as HTMLButtonElement).disabled = !running;
  ($('resume') as HTMLButtonElement).disabled = running || !resumable();
  ($('compare') as HTMLButtonElement).disabled = running || !gpuRun || !gpuRun.finished;
  for (const id of LOCKED) ($(id) as HTMLFieldSetElement).disabled = running;
  for (const b of Array.from($('deep-buttons').querySelectorAll('button'))) b.disabled = running;
  ($('restore-settings') as HTMLButtonElement).disabled = running;
  $('lock-note').hidden = !running;
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
  $('run-status').textContent = 'Not trained yet.';
  $('changed-note').hidden = true;
  $('weights-caption').textContent = 'Weights and biases, updated while training';
  lossChart.data.datasets = [];
  lossChart.update();
  gradChart.data.datasets = [];
  gradChart.update();
  delete hooks.training;
  setButtons();
}

function publish(run: Run, drawn: Drawn | null): void {
  hooks.training = {
    example: exampleSelect.value,
    epochs: run.config.epochs,
    epochsDone: run.epochsDone,
    finished: run.finished,
    running,
    resumable: resumable(),
    diverged: run.diverged,
    loss: run.loss,
    metric: run.metric,
    testLoss: run.testLoss,
    testMetric: run.testMetric,
    gradNorms: run.gradNorms,
    stoppedBelow: run.stoppedBelow,
    yLastForward: run.yLastForward,
    gpuMs: run.ms,
    wallMs: run.wallMs,
    optimizer: run.config.optimizer,
    heatmapVsPredict,
    lr: run.config.lr,
    layers: run.config.layers,
    ...(drawn ?? {}),
    comparisons,
  };
}

/** After the run ends: status, the weights caption and, on divergence, the error beside Train. */
function finishState(run: Run): string {
  if (run.diverged) {
    $('weights-caption').textContent = `Weights after epoch ${run.epochsDone}: the last segment before the loss became ${run.diverged.value} (at epoch ${run.diverged.epoch}); the diverging segment was not kept`;
    reportError(
      errorBox,
      new Error(`Training diverged: the loss became ${run.diverged.value} at epoch ${run.diverged.epoch}. The steps grew instead of shrinking; try a smaller learning rate (this run used ${run.config.lr}) and Train again.`),
    );
    return 'diverged';
  }
  $('weights-caption').textContent = run.finished ? `Weights after epoch ${run.epochsDone}` : `Weights after epoch ${run.epochsDone} (stopped; Resume continues from here)`;
  return run.finished ? 'finished' : 'stopped';
}

async function go(resume: boolean): Promise<void> {
  clearErrors(errorBox);
  $('changed-note').hidden = true;
  if (!resume) {
    const config = readConfig();
    resetRun();
    gpuRun = newRun('gpu', config, buildModel(rt, config));
  }
  const run = gpuRun!;
  running = true;
  stopRequested = false;
  frames.length = 0;
  setButtons();
  drawProgress(run, 'training…');
  const wall0 = performance.now();
  const wallBefore = run.wallMs;
  let chartsAt = 0;
  let done = false;
  // The settings stay locked until the last drawing is done, so that a new run cannot start
  // while this one is still drawing.
  try {
    await train(run, () => stopRequested, async () => {
      lastDrawn = await drawViews(run.config, run.model, run);
      // The heatmap and the diagram redraw every segment; the charts about four times a second.
      if (performance.now() - chartsAt > 250) {
        drawLoss(run);
        drawGradients(run);
        chartsAt = performance.now();
      }
      run.wallMs = wallBefore + performance.now() - wall0;
      drawProgress(run, 'training…');
      publish(run, lastDrawn);
      rendered();
      await nextFrame();
    });
    ($('stop') as HTMLButtonElement).disabled = true;
    const lastAt = Math.max(run.gradNorms.at(-1)?.epoch ?? -1, run.testLoss.at(-1)?.x ?? -1);
    const measured = lastAt === run.epochsDone - 1;
    lastDrawn = await drawViews(run.config, run.model, measured || run.epochsDone === 0 ? null : run);
    if (lastDrawn.heatmap) {
      // The heatmap comes from `dense` layer by layer; check it against predict over the same grid.
      const p = await rowsOf(await run.model.predict(gridFor(run.config.extent!, HEAT_G)));
      heatmapVsPredict = p.reduce((m, r, i) => Math.max(m, Math.abs(r[0] - lastDrawn!.heatmap![i])), 0);
    }
    drawLoss(run);
    drawGradients(run);
    run.wallMs = wallBefore + performance.now() - wall0;
    drawProgress(run, finishState(run));
    if (run.finished) {
      comparisons.length = 0;
      comparisons.push({ path: `${onGpu ? 'GPU (WebGPU)' : 'CPU path (no WebGPU)'}, live run: time in fit() only (${run.calls} calls; ${run.wallMs.toFixed(0)} ms with drawing)`, epochs: run.epochsDone, ms: run.ms, loss: run.loss[run.loss.length - 1], diff: null });
      drawComparison();
    }
    showWhere(`${run.epochsDone} epochs in ${run.calls} fit() call(s)`, onGpu ? run.ms : null, onGpu ? null : run.ms);
    done = true;
  } finally {
    running = false;
    setButtons();
  }
  if (done) {
    publish(run, lastDrawn);
    rendered();
  }
}

function flatWeights(w: NestedArray[]): number[] {
  return (w as unknown[]).flat(3) as number[];
}

async function compareOnCpu(): Promise<void> {
  if (!gpuRun?.finished) return;
  clearErrors(errorBox);
  running = true;
  setButtons();
  const live = gpuRun;
  try {
    const c = live.config;
    const reference = flatWeights(await live.model.getWeights());
    comparisons.splice(1);
    for (const [r, path] of [
      [rt, 'gpu'],
      [cpu, 'cpu'],
    ] as const) {
      if (path === 'gpu' && r === cpu) continue;
      drawProgress(live, `timing the ${path === 'gpu' ? 'GPU' : 'CPU path'}…`);
      await nextFrame();
      const run = newRun(path, c, buildModel(r, c));
      // The GPU path in one fit() call; the CPU path blocks the page while it computes, so it
      // runs in calls of about 100 ms with the page drawn in between (the time counts fit() only).
      await train(run, () => false, path === 'gpu' ? null : () => nextFrame(), 100);
      const w = flatWeights(await run.model.getWeights());
      const label = path === 'gpu' ? 'GPU (WebGPU), one fit() call' : `CPU path, ${run.calls === 1 ? 'one fit() call' : `${run.calls} fit() calls, the page drawn between them; time in fit() only`}`;
      comparisons.push({ path: label, epochs: run.epochsDone, ms: run.ms, loss: run.loss[run.loss.length - 1], diff: w.reduce((m, v, i) => Math.max(m, Math.abs(v - reference[i])), 0) });
      run.model.dispose();
      drawComparison();
    }
    drawProgress(live, 'finished');
    const g = comparisons.find((k) => k.path.startsWith('GPU (WebGPU), one'));
    const k = comparisons.find((x) => x.path.startsWith('CPU path,'));
    if (k) showWhere(`${k.epochs} epochs in one fit() call`, g ? g.ms : null, k.ms);
  } catch (e) {
    drawProgress(live, 'finished (the comparison failed)');
    throw e;
  } finally {
    running = false;
    setButtons();
  }
  publish(live, lastDrawn);
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
  reportError(errorBox, e);
  running = false;
  setButtons();
  // A bad field stops Train before a run starts: the last run's status stays as it was.
  if (e instanceof FieldError) $('run-status').textContent = `Not started: ${e.message}`;
  else if (gpuRun) drawProgress(gpuRun, gpuRun.diverged ? 'diverged' : 'failed');
  else $('run-status').textContent = 'Not trained: see the message below.';
  rendered();
};
$('train').addEventListener('click', () => go(false).catch(report));
$('resume').addEventListener('click', () => go(true).catch(report));
$('stop').addEventListener('click', () => {
  stopRequested = true;
});
$('compare').addEventListener('click', () => compareOnCpu().catch(report));

// ------------------------------------------------------------------ edits

/** Before any run, and after edits that end one, the data and the untrained network are drawn. */
const schedulePreview = renderQueue(async () => {
  if (running || gpuRun) return;
  const c = readConfig();
  const model = buildModel(rt, c);
  try {
    lastDrawn = await drawViews(c, model);
  } finally {
    model.dispose();
  }
}, errorBox);

/** An edit: for a notes example switch to "custom"; keep a stopped run (with a warning), else redraw. */
function edited(target: EventTarget | null, architecture: boolean): void {
  if (target === exampleSelect || running) return;
  const d = datasetOf(exampleSelect.value);
  if (!d && exampleSelect.value !== 'custom') {
    exampleSelect.value = 'custom';
    $('example-note').textContent = 'Your own: changed from the example.';
  } else if (d) {
    $('example-note').textContent = `${d.note} (Settings changed from the preset's.)`;
  }
  if (architecture) checkInitialWeights();
  if (gpuRun && resumable()) {
    $('changed-text').textContent = `You changed the settings after stopping at epoch ${gpuRun.epochsDone}. The stopped run is kept: Resume continues it with the settings it started with; Train starts a new run with the new ones.`;
    $('changed-note').hidden = false;
  } else {
    resetRun();
    schedulePreview();
  }
  saveUrl();
}

/** When the network's shape changes, initial weights that no longer fit are cleared (random with the seed instead). */
function checkInitialWeights(): void {
  const text = area('init-weights').value.trim();
  if (!text) return;
  let w: unknown = null;
  try {
    w = JSON.parse(text);
  } catch {
    return;
  }
  if (weightsFit(w, Number($input('n-inputs').value), layerValues())) return;
  area('init-weights').value = '';
  $('weights-note').hidden = false;
  $('weights-note').textContent = `The initial weights were for a different network shape, so they were cleared: training starts from random weights (seed ${SEED}).`;
}

const isArchitecture = (t: EventTarget | null) => t instanceof HTMLElement && (t.id === 'n-inputs' || /^layer-\d+-(units|activation)$/.test(t.id));

exampleSelect.addEventListener('change', () => {
  const e = exampleOf(exampleSelect.value);
  const d = datasetOf(exampleSelect.value);
  $('weights-note').hidden = true;
  if (e) loadExample(e);
  else if (d) loadDataset(d);
  else {
    $('example-note').textContent = 'Edit the network, the settings and the data, then train.';
    showSource('custom');
  }
  if (resumable()) {
    $('changed-text').textContent = `You chose another problem after stopping at epoch ${gpuRun!.epochsDone}. The stopped run is kept: Resume continues it; Train starts a new run with this problem.`;
    $('changed-note').hidden = false;
  } else {
    resetRun();
    schedulePreview();
  }
  saveUrl();
});
$('controls').addEventListener('change', (ev) => {
  if ((ev.target as HTMLElement).id === 'share-link') return;
  if ((ev.target as HTMLElement).closest('#share-set')) return;
  edited(ev.target, isArchitecture(ev.target));
});
$('controls').addEventListener('submit', (e) => e.preventDefault());
for (const id of ['samples', 'noise', 'test-fraction']) $(id).addEventListener('input', () => syncGeneratorLabels());
$('lr-slider').addEventListener('input', () => {
  $input('lr').value = fromLogSlider(Number($input('lr-slider').value), false);
});
$('epochs-slider').addEventListener('input', () => {
  $input('epochs').value = fromLogSlider(Number($input('epochs-slider').value), true);
});
$('lr').addEventListener('input', syncSliders);
$('epochs').addEventListener('input', syncSliders);

$('add-layer').addEventListener('click', () => {
  if (layersBox.children.length >= 8) return;
  // A new hidden layer goes before the output layer, so the output stays as it was.
  const layers = layerValues();
  layers.splice(Math.max(0, layers.length - 1), 0, { units: 4, activation: 'tanh' });
  setLayers(layers);
  edited($('add-layer'), true);
});
$('remove-layer').addEventListener('click', () => {
  if (layersBox.children.length <= 1) return;
  const layers = layerValues();
  layers.splice(layers.length - 2, 1);
  setLayers(layers.length ? layers : [{ units: 1, activation: 'linear' }]);
  edited($('remove-layer'), true);
});
$('restore-settings').addEventListener('click', () => {
  if (!gpuRun) return;
  applyConfig(gpuRun.config);
  $('changed-note').hidden = true;
  saveUrl();
});

/** Puts a run's settings back into the form. */
function applyConfig(c: Config): void {
  $input('n-inputs').value = String(c.inputs);
  setLayers(c.layers);
  setTraining({ ...c, stopBelow: c.stopBelow ?? undefined });
  if (c.dataset) {
    exampleSelect.value = c.dataset.kind;
    $input('samples').value = String(c.dataset.samples);
    $input('noise').value = String(c.dataset.noise);
    $input('test-fraction').value = String(c.dataset.testFraction);
    $input('data-seed').value = String(c.dataset.seed);
    showSource('dataset');
  } else {
    area('x-train').value = json(c.x);
    area('y-train').value = json(c.y);
    area('x-test').value = c.predictX ? json(c.predictX) : '';
    area('init-weights').value = c.weights ? json(c.weights) : '';
    showSource(c.source);
  }
}

/** The vanishing-gradient demonstration: five hidden layers of 8 units on the circles. */
function deep(activation: string): void {
  if (running) return;
  if (!datasetOf(exampleSelect.value) || exampleSelect.value === 'regression') {
    exampleSelect.value = 'circles';
    loadDataset(datasetOf('circles')!);
  }
  setLayers([...Array.from({ length: 5 }, () => ({ units: 8, activation })), { units: 1, activation: 'sigmoid' }]);
  $input('epochs').value = '100';
  $input('lr').value = '0.03';
  syncSliders();
  $('example-note').textContent = `${datasetOf(exampleSelect.value)!.note} (Five hidden ${activation} layers: compare the gradient norms of the first and last layers below.)`;
  resetRun();
  saveUrl();
  go(false).catch(report);
}
$('deep-sigmoid').addEventListener('click', () => deep('sigmoid'));
$('deep-relu').addEventListener('click', () => deep('relu'));

// ------------------------------------------------------------------ the address and downloads

/** The settings as `#p=circles&net=8tanh-1sigmoid&lr=0.1...` (JSON data of your own is not included). */
function urlState(): URLSearchParams {
  const q = new URLSearchParams();
  q.set('p', exampleSelect.value);
  if (datasetOf(exampleSelect.value)) {
    q.set('n', $input('samples').value);
    q.set('noise', $input('noise').value);
    q.set('test', $input('test-fraction').value);
    q.set('seed', $input('data-seed').value);
  } else {
    q.set('in', $input('n-inputs').value);
  }
  q.set('net', layerValues().map((l) => `${l.units}${l.activation}`).join('-'));
  q.set('loss', sel('loss').value);
  q.set('metric', sel('metric').value);
  q.set('opt', sel('optimizer').value);
  q.set('lr', $input('lr').value);
  q.set('mom', $input('momentum').value);
  q.set('ep', $input('epochs').value);
  q.set('bs', $input('batch').value);
  if ($input('stop-below').value.trim()) q.set('stop', $input('stop-below').value.trim());
  return q;
}

function saveUrl(): void {
  history.replaceState(null, '', `${location.pathname}${location.search}#${urlState().toString()}`);
  $input('share-link').value = location.href;
}

/** Applies `#p=...` from the address; returns false when there is none. */
function loadUrl(): boolean {
  const q = new URLSearchParams(location.hash.slice(1));
  const p = q.get('p');
  if (!p) return false;
  const e = exampleOf(p);
  const d = datasetOf(p);
  if (e) loadExample(e);
  else if (d) loadDataset(d);
  else loadExample(EXAMPLES[0]);
  exampleSelect.value = e || d ? p : p === 'custom' ? 'custom' : EXAMPLES[0].id;
  const set = (key: string, id: string) => {
    const v = q.get(key);
    if (v !== null) $input(id).value = v;
  };
  set('n', 'samples');
  set('noise', 'noise');
  set('test', 'test-fraction');
  set('seed', 'data-seed');
  if (!d) set('in', 'n-inputs');
  const net = q.get('net');
  if (net) {
    const layers = net.split('-').map((s) => /^(\d+)([A-Za-z]+)$/.exec(s)).filter((m): m is RegExpExecArray => !!m && ACTIVATIONS.includes(m[2]));
    if (layers.length) setLayers(layers.map((m) => ({ units: Number(m[1]), activation: m[2] })));
  }
  for (const [key, id] of [['loss', 'loss'], ['metric', 'metric'], ['opt', 'optimizer']] as const) {
    const v = q.get(key);
    if (v !== null && Array.from(sel(id).options).some((o) => o.value === v)) sel(id).value = v;
  }
  set('lr', 'lr');
  set('mom', 'momentum');
  set('ep', 'epochs');
  set('bs', 'batch');
  set('stop', 'stop-below');
  syncSliders();
  syncGeneratorLabels();
  if (e) checkInitialWeights();
  return true;
}

$('copy-link').addEventListener('click', () => {
  saveUrl();
  const link = $input('share-link');
  link.select();
  navigator.clipboard?.writeText(link.value).then(
    () => ($('run-status').textContent = 'The link is copied (and shown in the field below).'),
    () => ($('run-status').textContent = 'Copy the link from the field below.'),
  );
});

function requireRun(): Run {
  if (!gpuRun || gpuRun.loss.length === 0) throw new Error('Nothing to export yet: train first.');
  return gpuRun;
}

$('export-loss').addEventListener('click', () => {
  try {
    const run = requireRun();
    const c = run.config;
    const test = new Map(run.testLoss.map((p) => [p.x, p.y]));
    const testM = new Map(run.testMetric.map((p) => [p.x, p.y]));
    const header = ['epoch', 'loss', ...(c.metric ? [c.metric] : []), ...(run.testLoss.length ? ['test_loss'] : []), ...(run.testMetric.length ? [`test_${c.metric}`] : [])];
    const rows = run.loss.map((l, i) => [i, l, ...(c.metric ? [run.metric[i] ?? null] : []), ...(run.testLoss.length ? [test.get(i) ?? null] : []), ...(run.testMetric.length ? [testM.get(i) ?? null] : [])]);
    download('loss.csv', new Blob([csv(header, rows)], { type: 'text/csv' }));
  } catch (e) {
    reportError(errorBox, e);
  }
});
$('export-weights').addEventListener('click', () => {
  try {
    const run = requireRun();
    if (!lastDrawn) throw new Error('Nothing to export yet: train first.');
    download('weights.csv', new Blob([weightsCsv(run.config.layers, lastDrawn.weights)], { type: 'text/csv' }));
  } catch (e) {
    reportError(errorBox, e);
  }
});
$('export-png').addEventListener('click', () => {
  try {
    requireRun();
    const parts = [lossChart.canvas, $('heatmap-box').hidden ? predChart.canvas : ($('heatmap') as HTMLCanvasElement), gradChart.canvas];
    const h = Math.max(...parts.map((p) => p.height));
    const out = document.createElement('canvas');
    out.width = parts.reduce((s, p) => s + p.width, 0);
    out.height = h;
    const g = out.getContext('2d')!;
    g.fillStyle = DARK ? '#111827' : '#ffffff';
    g.fillRect(0, 0, out.width, out.height);
    let x = 0;
    for (const p of parts) {
      g.drawImage(p, x, 0);
      x += p.width;
    }
    download('training.png', out.toDataURL('image/png'));
  } catch (e) {
    reportError(errorBox, e);
  }
});

// ------------------------------------------------------------------ start

if (!loadUrl()) loadExample(EXAMPLES[0]);
saveUrl();
setButtons();
hooks.examples = EXAMPLES.map((e) => e.id);
hooks.datasets = DATASETS.map((d) => d.id);
showWhere('nothing yet (press Train)', null, null);
schedulePreview();
