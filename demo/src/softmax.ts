/**
 * Softmax and loss explorer: logits -> output activation (softmax, sigmoid or none) -> loss
 * against targets, and the gradient at the logits (the loss's gradient chained through the
 * activation's backward: y - t for softmax with cross-entropy), on the GPU and the CPU path.
 */
import type { Runtime, Tensor } from '../../src/index';
import { Chart, colour, makeChart } from './charts';
import { $, $input, el, fmt, maxUlp, parseNumbers, renderQueue, startPage } from './common';

type OutActivation = 'softmax' | 'sigmoid' | 'none';
type LossName = 'categorical_crossentropy' | 'binary_crossentropy' | 'mse';

/** The notes' table (end of 004): problem type -> output activation -> loss. */
const GUIDE: { id: string; problem: string; activation: OutActivation; loss: LossName; shown: string }[] = [
  { id: 'binary', problem: 'Binary classification', activation: 'sigmoid', loss: 'binary_crossentropy', shown: 'binary_crossentropy' },
  { id: 'multiclass', problem: 'Multi-class, single-label classification', activation: 'softmax', loss: 'categorical_crossentropy', shown: 'categorical_crossentropy' },
  { id: 'multilabel', problem: 'Multi-class, multi-label classification', activation: 'sigmoid', loss: 'binary_crossentropy', shown: 'binary_crossentropy' },
  { id: 'regression', problem: 'Regression to arbitrary values', activation: 'none', loss: 'mse', shown: 'mse' },
  { id: 'regression01', problem: 'Regression to values between 0 and 1', activation: 'sigmoid', loss: 'mse', shown: 'mse or binary_crossentropy' },
];

const PRESETS = [
  { label: '[2, 10, 1, 4]: dog, cat, puppy, person', logits: '2, 10, 1, 4', classes: 'dog, cat, puppy, person', truth: 1 },
  { label: '[1.3, 5.1, 2.2, 0.7, 1.1]', logits: '1.3, 5.1, 2.2, 0.7, 1.1', classes: 'class 0, class 1, class 2, class 3, class 4', truth: 1 },
];

/** The runtime's name for each loss (Keras spellings are shown). */
const LOSS_OP: Record<LossName, string> = {
  categorical_crossentropy: 'categoricalCrossentropy',
  binary_crossentropy: 'binaryCrossentropy',
  mse: 'mse',
};

interface Outputs {
  y: Float32Array;
  loss: number;
  dz: Float32Array;
}

type LossRuntime = Runtime & {
  softmax(x: Tensor): Tensor;
  softmaxGrad(y: Tensor, dy: Tensor): Tensor;
  loss(name: string, yPred: Tensor, yTrue: Tensor): Tensor;
  lossGrad(name: string, yPred: Tensor, yTrue: Tensor): Tensor;
};

const { rt, cpu } = await startPage('softmax');
const hooks = window.__demo;
const errorBox = $('error');
const schedule = renderQueue(render, errorBox);

const missing = ['softmax', 'softmaxGrad', 'loss', 'lossGrad'].filter((m) => typeof (rt as unknown as Record<string, unknown>)[m] !== 'function');

async function compute(r: Runtime, logits: number[], targets: number[], act: OutActivation, loss: LossName): Promise<Outputs> {
  const k = r as LossRuntime;
  const n = logits.length;
  return r.tidy(async () => {
    const z = r.tensor(logits, [1, n]);
    const t = r.tensor(targets, [1, n]);
    const y = act === 'softmax' ? k.softmax(z) : r.activation(act === 'sigmoid' ? 'sigmoid' : 'identity', z);
    const l = k.loss(LOSS_OP[loss], y, t);
    const dy = k.lossGrad(LOSS_OP[loss], y, t);
    // Back through the output activation to the logits.
    const dz = act === 'softmax' ? k.softmaxGrad(y, dy) : act === 'sigmoid' ? r.activationGrad('sigmoid', z, dy) : dy;
    const [yv, lv, dzv] = await Promise.all([y.read(), l.read(), dz.read()]);
    return { y: yv, loss: lv[0], dz: dzv };
  });
}

// ------------------------------------------------------------------ controls

const problem = $('problem') as HTMLSelectElement;
for (const g of GUIDE) problem.append(el('option', { value: g.id, text: g.problem }));
problem.value = 'multiclass';

const guideBody = $('guide').querySelector('tbody')!;
for (const g of GUIDE) {
  guideBody.append(
    el('tr', { 'data-problem': g.id }, el('th', { class: 'text', scope: 'row', text: g.problem }), el('td', { class: 'text' }, el('code', { text: g.activation })), el('td', { class: 'text' }, el('code', { text: g.shown }))),
  );
}

function applyProblem(): void {
  const g = GUIDE.find((r) => r.id === problem.value)!;
  ($('out-activation') as HTMLSelectElement).value = g.activation;
  ($('loss') as HTMLSelectElement).value = g.loss;
  for (const tr of Array.from(guideBody.querySelectorAll('tr'))) tr.classList.toggle('highlight', tr.dataset.problem === g.id);
}

function classNames(n: number): string[] {
  const names = $input('classes').value.split(',').map((s) => s.trim()).filter(Boolean);
  return Array.from({ length: n }, (_, i) => names[i] ?? `class ${i}`);
}

/** Refills the true-class choice (and the one-hot targets) for the current logits. */
function syncClasses(keepTruth = true): void {
  let n: number;
  try {
    n = parseNumbers('logits', $input('logits').value).length;
  } catch {
    return;
  }
  const pick = $('true-class') as HTMLSelectElement;
  const old = Number(pick.value);
  pick.replaceChildren(...classNames(n).map((c, i) => el('option', { value: String(i), text: c })));
  pick.value = String(keepTruth && old < n ? old : Math.min(1, n - 1));
  fillOneHot();
}

function fillOneHot(): void {
  const n = ($('true-class') as HTMLSelectElement).options.length;
  const k = Number(($('true-class') as HTMLSelectElement).value);
  $input('targets').value = Array.from({ length: n }, (_, i) => (i === k ? 1 : 0)).join(', ');
}

const presetBox = $('logit-presets');
PRESETS.forEach((p, i) => {
  const b = el('button', { type: 'button', class: 'secondary', 'data-preset': String(i), text: p.label });
  b.addEventListener('click', () => {
    $input('logits').value = p.logits;
    $input('classes').value = p.classes;
    syncClasses(false);
    ($('true-class') as HTMLSelectElement).value = String(p.truth);
    fillOneHot();
    schedule();
  });
  presetBox.append(b);
});

problem.addEventListener('change', () => {
  applyProblem();
  schedule();
});
$('logits').addEventListener('change', () => {
  syncClasses();
  schedule();
});
$('classes').addEventListener('change', () => {
  syncClasses();
  schedule();
});
$('true-class').addEventListener('change', () => {
  fillOneHot();
  schedule();
});
for (const id of ['out-activation', 'loss', 'targets']) $(id).addEventListener('change', schedule);
$('controls').addEventListener('submit', (e) => {
  e.preventDefault();
  schedule();
});

// ------------------------------------------------------------------ output

const chart: Chart = makeChart($('chart') as HTMLCanvasElement, 'Bar chart of the output per class and the targets', {
  type: 'bar',
  data: { labels: [], datasets: [] },
  options: {
    plugins: { legend: { position: 'bottom' } },
    scales: { y: { beginAtZero: true, title: { display: true, text: 'output y' } } },
  },
});

async function render(): Promise<void> {
  if (missing.length) throw new Error(`This build of webgpu-nn has no ${missing.join(', ')} yet; the softmax and loss explorer needs them.`);
  const logits = parseNumbers('logits', $input('logits').value);
  const targets = parseNumbers('targets', $input('targets').value);
  if (targets.length !== logits.length) throw new Error(`targets: expected ${logits.length} numbers (one per logit), got ${targets.length}`);
  const act = ($('out-activation') as HTMLSelectElement).value as OutActivation;
  const loss = ($('loss') as HTMLSelectElement).value as LossName;
  const g = await compute(rt, logits, targets, act, loss);
  const c = await compute(cpu, logits, targets, act, loss);
  const names = classNames(logits.length);
  const winner = g.y.reduce((best, v, i) => (v > g.y[best] ? i : best), 0);
  const exps = logits.map((v) => Math.exp(v));
  const expSum = exps.reduce((a, b) => a + b, 0);

  chart.data.labels = names;
  chart.data.datasets = [
    { label: `output y (${act === 'none' ? 'identity' : act}, GPU)`, data: Array.from(g.y), backgroundColor: names.map((_, i) => (i === winner ? colour(1) : colour(0))) },
    { label: 'target t', data: targets, backgroundColor: '#cbd2d9' },
  ];
  chart.update();

  const body = $('probabilities').querySelector('tbody')!;
  body.replaceChildren(
    ...logits.map((z, i) =>
      el(
        'tr',
        { class: i === winner ? 'highlight' : '' },
        el('th', { class: 'text', scope: 'row', text: names[i] }),
        el('td', { text: fmt(z) }),
        el('td', { text: g.y[i].toFixed(6), title: String(g.y[i]) }),
        el('td', { text: c.y[i].toFixed(6), title: String(c.y[i]) }),
        el('td', { text: String(maxUlp([g.y[i]], [c.y[i]]).ulp) }),
        el('td', { text: fmt(targets[i]) }),
        el('td', { text: fmt(Math.fround(g.y[i] - targets[i])) }),
        el('td', { text: fmt(g.dz[i]) }),
      ),
    ),
  );

  const lossShown = loss === 'categorical_crossentropy' ? 'E = −Σ t log y' : loss === 'binary_crossentropy' ? 'E = −mean(t log y + (1 − t) log(1 − y))' : 'E = mean((y − t)²)';
  const metrics: [string, string][] = [
    ['winner', `${names[winner]} (${g.y[winner].toFixed(6)})`],
    [`loss ${loss}`, fmt(g.loss, 7)],
    ['CPU reference', fmt(c.loss, 7)],
    ['Σ e^z', fmt(expSum, 7)],
  ];
  $('loss-metrics').replaceChildren(...metrics.map(([k, v]) => el('div', {}, el('dt', { text: k }), el('dd', { text: v }))));
  const chain =
    act === 'softmax' && loss === 'categorical_crossentropy'
      ? 'With softmax and cross-entropy the gradient at the logits is exactly y − t (the last two columns agree).'
      : act === 'sigmoid' && loss === 'binary_crossentropy'
        ? `With sigmoid and binary cross-entropy (a mean over ${logits.length} outputs) the gradient at the logits is (y − t)/${logits.length}.`
        : act === 'none' && loss === 'mse'
          ? `With no activation and mse (a mean over ${logits.length} outputs) the gradient is 2(y − t)/${logits.length}.`
          : 'This pairing does not simplify to a multiple of y − t: the gradient is the loss gradient chained through the activation.';
  $('formula-note').textContent = `${lossShown}. ${chain} ∂E/∂z is computed on the GPU as lossGrad followed by the activation's backward.`;

  hooks.softmax = {
    logits,
    targets,
    activation: act,
    loss,
    names,
    winner,
    y: Array.from(g.y),
    cpuY: Array.from(c.y),
    ulp: maxUlp(g.y, c.y).ulp,
    lossValue: g.loss,
    cpuLoss: c.loss,
    grad: Array.from(g.dz),
    cpuGrad: Array.from(c.dz),
    expSum,
  };
}

applyProblem();
syncClasses(false);
schedule();
