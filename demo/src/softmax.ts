/**
 * Softmax and loss explorer: logits -> output activation (softmax, sigmoid or none) -> loss
 * against targets, and the gradient at the logits (the loss's gradient chained through the
 * activation's backward: y - t for softmax with cross-entropy), on the GPU and the CPU path.
 */
import { EPSILON, type Runtime, type Tensor } from '../../src/index';
import { Chart, chartState, colour, makeChart } from './charts';
import { $, $input, FieldError, el, fmt, maxUlp, parseNumbers, renderQueue, showWhere, startPage } from './common';

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
  loss(name: string, yPred: Tensor, yTrue: Tensor, opts?: { fromLogits?: boolean }): Tensor;
  lossGrad(name: string, yPred: Tensor, yTrue: Tensor, opts?: { fromLogits?: boolean }): Tensor;
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

/** Softmax cross-entropy straight from the logits (`fromLogits`: no clipping): loss and dE/dz. */
async function fromLogits(r: Runtime, logits: number[], targets: number[]): Promise<{ loss: number; dz: Float32Array }> {
  const k = r as LossRuntime;
  return r.tidy(async () => {
    const z = r.tensor(logits, [1, logits.length]);
    const t = r.tensor(targets, [1, logits.length]);
    const [l, dz] = await Promise.all([k.loss('categoricalCrossentropy', z, t, { fromLogits: true }).read(), k.lossGrad('categoricalCrossentropy', z, t, { fromLogits: true }).read()]);
    return { loss: l[0], dz };
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
hooks.chart = () => chartState(chart);

async function render(): Promise<void> {
  if (missing.length) throw new Error(`This build of webgpu-nn has no ${missing.join(', ')} yet; the softmax and loss explorer needs them.`);
  const logits = parseNumbers('logits', $input('logits').value, $('logits'));
  const targets = parseNumbers('targets', $input('targets').value, $('targets'));
  if (targets.length !== logits.length) throw new FieldError($('targets'), `targets: expected ${logits.length} numbers (one per logit), got ${targets.length}`);
  const act = ($('out-activation') as HTMLSelectElement).value as OutActivation;
  const loss = ($('loss') as HTMLSelectElement).value as LossName;
  if (loss !== 'mse') {
    const bad = targets.findIndex((t) => !(t >= 0 && t <= 1));
    if (bad >= 0) throw new FieldError($('targets'), `targets: ${loss} needs targets between 0 and 1 (probabilities); entry ${bad + 1} is ${targets[bad]}`);
  }
  let t0 = performance.now();
  const g = await compute(rt, logits, targets, act, loss);
  const gpuMs = performance.now() - t0;
  t0 = performance.now();
  const c = await compute(cpu, logits, targets, act, loss);
  const cpuMs = performance.now() - t0;
  const broken = [...g.y, g.loss, ...g.dz, ...c.y, c.loss, ...c.dz].some((v) => !Number.isFinite(v));
  if (broken) {
    throw new Error(
      `The computation overflowed float32 for these numbers: an intermediate value became infinite, so some outputs are not numbers ` +
        `(loss ${fmt(g.loss, 7)} ${rt === cpu ? '' : `on the GPU, ${fmt(c.loss, 7)} on the CPU path`}). Use smaller logits or targets.`,
    );
  }
  const names = classNames(logits.length);
  const winner = g.y.reduce((best, v, i) => (v > g.y[best] ? i : best), 0);
  const exps = logits.map((v) => Math.exp(v));
  const expSum = exps.reduce((a, b) => a + b, 0);

  chart.data.labels = names;
  // One colour for every output bar, so the legend's swatch is the bars' colour; the winner has a thick outline.
  chart.data.datasets = [
    {
      label: `output y (${act === 'none' ? 'identity' : act}, ${rt === cpu ? 'CPU path' : 'GPU'}); the winner outlined`,
      data: Array.from(g.y),
      backgroundColor: colour(0),
      borderColor: names.map((_, i) => (i === winner ? colour(1) : colour(0))),
      borderWidth: names.map((_, i) => (i === winner ? 4 : 0)),
    },
    { label: 'target t', data: targets, backgroundColor: '#9aa5b1' },
  ];
  chart.update();

  // The closed form the pairing simplifies to, and how far the computed gradient is from it.
  const n = logits.length;
  const closed =
    act === 'softmax' && loss === 'categorical_crossentropy'
      ? { text: 'y − t', scale: 1 }
      : act === 'sigmoid' && loss === 'binary_crossentropy'
        ? { text: `(y − t)/${n}`, scale: 1 / n }
        : act === 'none' && loss === 'mse'
          ? { text: `2(y − t)/${n}`, scale: 2 / n }
          : null;
  const diffs = closed ? Array.from(g.dz, (d, i) => d - closed.scale * (g.y[i] - targets[i])) : [];
  const worst = diffs.reduce((m, d) => Math.max(m, Math.abs(d)), 0);
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
        el('td', { text: closed ? fmt(diffs[i], 3) : '—' }),
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
  // The cross-entropies clip y to [ε, 1 − ε] (ε = 1e-7, as Keras) before the log: where y is clipped the loss is flat.
  const clipped = loss !== 'mse' && act !== 'none' && Array.from(g.y).some((y, i) => (y < EPSILON && targets[i] > 0) || (y > 1 - EPSILON && targets[i] < 1));
  let chain: string;
  if (!closed) {
    chain = 'This pairing does not simplify to a multiple of y − t: the gradient is the loss gradient chained through the activation.';
  } else if (clipped) {
    const fl = act === 'softmax' && loss === 'categorical_crossentropy' ? await fromLogits(rt, logits, targets) : null;
    chain =
      `In exact arithmetic the gradient at the logits is ${closed.text}, but here it is not: the loss clips y to [1e-7, 1 − 1e-7] before taking the log (as Keras does, so log 0 never happens), ` +
      `and some y lies outside that range, where the clipped loss is flat: E = ${fmt(g.loss, 7)} and ∂E/∂z is ${fmt(worst, 3)} away from ${closed.text}.` +
      (fl ? ` Computed from the logits instead (fromLogits: true, no clipping; what training uses), E = ${fmt(fl.loss, 7)} and ∂E/∂z = [${Array.from(fl.dz, (v) => fmt(v, 4)).join(', ')}], which is y − t.` : '');
  } else {
    const which = closed.scale === 1 ? 'the last two columns agree' : `∂E/∂z equals ${closed.text}`;
    chain = `With this pairing the gradient at the logits is ${closed.text} in exact arithmetic: ${which} to within float32 rounding (largest difference ${fmt(worst, 3)}; ∂E/∂z is computed in float32 through the activation's derivative, y − t by one subtraction).`;
  }
  $('formula-note').textContent = `${lossShown}. ${chain} ∂E/∂z is computed ${rt === cpu ? 'on the CPU path' : 'on the GPU'} as lossGrad followed by the activation's backward.`;
  showWhere(`the output, loss and gradient for ${n} classes`, rt === cpu ? null : gpuMs, cpuMs);

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
    closedForm: closed?.text ?? null,
    closedDiff: worst,
    clipped,
    note: $('formula-note').textContent,
  };
}

applyProblem();
syncClasses(false);
schedule();
