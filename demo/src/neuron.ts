/**
 * The notes' Celsius-to-Fahrenheit neuron: net input z = w x + b (the `linear` activation with
 * a = w, b = b) followed by h(z) = max(floor, z), defined with `defineActivation`.
 * C = [-20, -10, 0, 36.5, 40, 50, 100] -> [32, 32, 32, 97.7, 104, 122, 212].
 */
import type { Runtime } from '../../src/index';
import { C2F } from '../../examples/seeds';
import { Chart, line, makeChart, markers, points, xyOptions, type XY } from './charts';
import { $, $input, el, fmt, parseNumbers, renderQueue, showError, startPage } from './common';

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
  const w = Number($input('weight').value);
  const b = Number($input('bias').value);
  const floor = Number($input('floor').value);
  for (const [k, v] of [['weight', w], ['bias', b], ['clamp', floor]] as const) if (!Number.isFinite(v)) throw new Error(`${k}: enter a number`);
  return { xs: parseNumbers('inputs', $input('inputs').value), w, b, floor };
}

async function render(): Promise<void> {
  showError(errorBox, null);
  const { xs, w, b, floor } = readInputs();
  const g = await neuron(rt, xs, w, b, floor);
  const c = await neuron(cpu, xs, w, b, floor);
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

  // The curve, as the notes draw it: np.arange(-100, 100, 0.1).
  const grid = Array.from({ length: 2000 }, (_, i) => -100 + i * 0.1);
  const curve = await neuron(rt, grid, w, b, floor);
  chart.data.datasets = [
    line('output y = h(z)', points(grid, curve.y), 0),
    line('net input z = w·x + b', points(grid, curve.z), 4, true),
    { ...markers('CPU reference', points(xs, c.y), 6, 7, 'crossRot'), order: -1 },
    markers('the test temperatures (GPU)', points(xs, g.y), 1, 5),
  ];
  const s = chart.options.scales!;
  s.x!.min = -20;
  s.x!.max = 50;
  s.y!.min = 0;
  s.y!.max = 150;
  s.y!.ticks = { stepSize: 25 };
  chart.update();

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
