/**
 * The notes' Celsius-to-Fahrenheit neuron: net input z = w x + b (the `linear` activation with
 * a = w, b = b) followed by h(z) = max(floor, z), defined with `defineActivation`.
 * C = [-20, -10, 0, 36.5, 40, 50, 100] -> [32, 32, 32, 97.7, 104, 122, 212].
 */
import type { Runtime } from '../../src/index';
import { C2F } from '../../examples/seeds';
import { Chart, chartState, line, makeChart, markers, points, xyOptions, type XY } from './charts';
import { $, $input, FieldError, el, fmt, parseNumbers, readNumber, renderQueue, showWhere, startPage } from './common';

const SEED_C = C2F.celsius;
const SEED_F = C2F.fahrenheit;

const { rt, cpu } = await startPage('neuron');
const hooks = window.__demo;
const errorBox = $('error');

/** WGSL float literal for `v` (rounded to float32). */
function wgslFloat(v: number): string {
  const s = String(Math.fround(v));
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

/** h(z) = max(floor, z) as a custom activation, one per floor value and runtime. */
const defined = new Map<Runtime, Map<number, string>>();
async function clampActivation(r: Runtime, floor: number): Promise<string> {
  let m = defined.get(r);
  if (!m) defined.set(r, (m = new Map()));
  const known = m.get(floor);
  if (known) return known;
  const name = `clampBelow${m.size}`;
  const f = wgslFloat(floor);
  const f32floor = Math.fround(floor);
  await r.defineActivation(name, {
    wgsl: { forward: `max(${f}, x)`, backward: `select(0.0, dy, x >= ${f})` },
    cpu: { forward: (x) => Math.max(f32floor, x), backward: (x, _y, dy) => (x >= f32floor ? dy : 0) },
  });
  m.set(floor, name);
  return name;
}

/** Runs the neuron on `r`: net inputs z and outputs y. */
async function neuron(r: Runtime, xs: number[], w: number, b: number, floor: number): Promise<{ z: Float32Array; y: Float32Array }> {
  const clamp = await clampActivation(r, floor);
  const x = r.tensor(xs);
  const z = r.activation('linear', x, { a: w, b });
  const y = r.activation(clamp, z);
  const [zv, yv] = await Promise.all([z.read(), y.read()]);
  for (const t of [x, z, y]) t.dispose();
  return { z: zv, y: yv };
}

const chart: Chart = makeChart($('chart') as HTMLCanvasElement, 'Fahrenheit against Celsius: flat at 32 below about −17.8 °C, then the line 9/5·C + 32', {
  type: 'line',
  data: { datasets: [] },
  options: xyOptions('Celsius', 'Fahrenheit'),
});
hooks.chartData = () => chart.data.datasets.map((d) => ({ label: d.label, data: (d.data as XY[]).map((p) => [p.x, p.y]) }));
hooks.chart = () => chartState(chart);

interface Result {
  xs: number[];
  z: number[];
  y: number[];
  cpuY: number[];
  w: number;
  b: number;
  floor: number;
}
let last: Result | null = null;

function readInputs(): { xs: number[]; w: number; b: number; floor: number } {
  const w = readNumber($input('weight'), '(2) weight w');
  const b = readNumber($input('bias'), '(3) bias b');
  const floor = readNumber($input('floor'), 'clamp below');
  return { xs: parseNumbers('(1) inputs x', $input('inputs').value, $('inputs')), w, b, floor };
}

/** The library's "linear: parameter 'a' must be a finite float32" in the page's words, on the field. */
function rephrase(e: unknown): unknown {
  const m = /^linear: parameter '([ab])' (.*)$/.exec((e as Error)?.message ?? '');
  if (!m) return e;
  return m[1] === 'a'
    ? new FieldError($('weight'), `(2) weight w: ${m[2].replace(/must be a finite float32.*/, 'is too large for a float32 (about ±3.4×10^38 at most)')}`)
    : new FieldError($('bias'), `(3) bias b: ${m[2].replace(/must be a finite float32.*/, 'is too large for a float32 (about ±3.4×10^38 at most)')}`);
}

async function render(): Promise<void> {
  const { xs, w, b, floor } = readInputs();
  let t0 = performance.now();
  const g = await neuron(rt, xs, w, b, floor).catch((e) => Promise.reject(rephrase(e)));
  const gpuMs = performance.now() - t0;
  t0 = performance.now();
  const c = await neuron(cpu, xs, w, b, floor);
  const cpuMs = performance.now() - t0;
  last = { xs, z: Array.from(g.z), y: Array.from(g.y), cpuY: Array.from(c.y), w, b, floor };

  const isSeed = xs.length === SEED_C.length && xs.every((v, i) => v === SEED_C[i]) && w === 1.8 && b === 32 && floor === 32;
  const body = $('results').querySelector('tbody')!;
  body.replaceChildren(
    ...xs.map((x, i) =>
      el(
        'tr',
        {},
        el('td', { text: fmt(x) }),
        el('td', { text: fmt(g.z[i]) }),
        el('td', { text: fmt(g.y[i]) }),
        el('td', { text: fmt(c.y[i]) }),
        el('td', { text: isSeed ? String(SEED_F[i]) : '—' }),
      ),
    ),
  );

  // The curve, as the notes draw it: np.arange(-100, 100, 0.1), widened (still 2000 points
  // from the notes' start) when an input lies outside, so that every input is on the chart.
  const xLo = Math.min(-20, ...xs);
  const xHi = Math.max(50, ...xs);
  const from = Math.min(-100, xLo);
  const step = Math.max(0.1, (Math.max(100, xHi) - from) / 2000);
  const grid = Array.from({ length: 2000 }, (_, i) => from + i * step);
  const curve = await neuron(rt, grid, w, b, floor);
  chart.data.datasets = [
    line('output y = h(z)', points(grid, curve.y), 0),
    line('net input z = w·x + b', points(grid, curve.z), 4, true),
    { ...markers('CPU reference', points(xs, c.y), 6, 7, 'crossRot'), order: -1 },
    markers('the test temperatures (GPU)', points(xs, g.y), 1, 5),
  ];
  const s = chart.options.scales!;
  const widened = xLo < -20 || xHi > 50;
  const finiteYs = [...g.y].filter(Number.isFinite);
  const yHi = Math.max(150, ...finiteYs);
  const yLo = Math.min(0, ...finiteYs);
  s.x!.min = xLo;
  s.x!.max = xHi;
  s.y!.min = yLo;
  s.y!.max = yHi;
  s.y!.ticks = yHi === 150 && yLo === 0 ? { stepSize: 25 } : {};
  chart.update();
  $('view-note').textContent = widened || yHi > 150 || yLo < 0
    ? `Widened to show every input: x from ${fmt(xLo)} to ${fmt(xHi)}, y from ${fmt(yLo)} to ${fmt(yHi)} (the notes show [−20, 50] × [0, 150]).`
    : 'As in the notes: x from −100 to 100 in steps of 0.1, shown on [−20, 50] × [0, 150].';
  showWhere(`the neuron for ${xs.length} inputs`, rt === cpu ? null : gpuMs, cpuMs);

  const pick = $('pick') as HTMLSelectElement;
  const keep = pick.value;
  pick.replaceChildren(...xs.map((x, i) => el('option', { value: String(i), text: `${fmt(x)} °C` })));
  pick.value = keep && Number(keep) < xs.length ? keep : String(Math.min(3, xs.length - 1));
  drawChain();
  hooks.neuron = { ...last, isSeed, expected: isSeed ? SEED_F : null, curve: { x: grid, y: Array.from(curve.y) } };
}

function drawChain(): void {
  if (!last) return;
  const i = Number(($('pick') as HTMLSelectElement).value);
  const { xs, z, y, w, b, floor } = last;
  const steps: [string, string, string, string?][] = [
    ['(1) input x', `${fmt(xs[i])} °C`, ''],
    ['(2) weight w', fmt(w), w === 1.8 ? '= 9/5' : ''],
    ['(3) bias b', fmt(b), ''],
    ['(4) net input z', fmt(z[i]), 'z = w·x + b'],
    ['(5) activation h(z)', `max(${fmt(floor)}, z)`, z[i] < floor ? `z < ${fmt(floor)}: clamped` : `z ≥ ${fmt(floor)}: passes z`, 'act'],
    ['(6) output y', `${fmt(y[i])} °F`, ''],
  ];
  $('chain').replaceChildren(
    ...steps.map(([name, val, note, cls]) =>
      el('li', { class: cls ?? '' }, el('span', { class: 'num', text: name }), el('span', { class: 'val', text: val }), note ? el('span', { class: 'hint', text: note }) : ''),
    ),
  );
}

const schedule = renderQueue(render, errorBox);

$('controls').addEventListener('submit', (e) => {
  e.preventDefault();
  schedule();
});
for (const id of ['weight', 'bias', 'floor', 'inputs']) $(id).addEventListener('change', schedule);
$('pick').addEventListener('change', drawChain);
$('reset').addEventListener('click', () => {
  $input('weight').value = '1.8';
  $input('bias').value = '32';
  $input('floor').value = '32';
  $input('inputs').value = SEED_C.join(', ');
  schedule();
});
schedule();
