/**
 * Activation explorer: f and f' of the chosen activations on the GPU, the CPU reference
 * overlaid, the largest ULP difference, presets for the notes' figures, and user-defined
 * activations (a WGSL expression with its JavaScript twin).
 */
import { BUILTIN_ACTIVATIONS, type ActivationParams, type Runtime } from '../../src/index';
import { Chart, fitLegend, line, makeChart, markers, points, xyOptions, type XY } from './charts';
import { $, $input, el, fmt, linspace, maxUlp, renderQueue, showError, startPage } from './common';

interface Selection {
  /** Name registered with the runtime. */
  name: string;
  params: ActivationParams;
}

interface Curve {
  name: string;
  label: string;
  params: ActivationParams;
  formula: string;
  x: number[];
  f: number[];
  df: number[];
  cpuF: number[];
  cpuDf: number[];
  ulpF: { ulp: number; x: number };
  ulpDf: { ulp: number; x: number };
  peak: { x: number; y: number };
}

interface Preset {
  id: string;
  label: string;
  lo: number;
  hi: number;
  curves: Selection[];
  f: boolean;
  df: boolean;
  peak: boolean;
}

const PRESETS: Preset[] = [
  { id: 'sigmoid', label: 'Sigmoid on [−8, 8]', lo: -8, hi: 8, curves: [{ name: 'sigmoid', params: {} }], f: true, df: false, peak: false },
  { id: 'relu', label: 'ReLU on [−8, 8]', lo: -8, hi: 8, curves: [{ name: 'relu', params: {} }], f: true, df: false, peak: false },
  {
    id: 'five',
    label: 'The five together on [−2, 4]',
    lo: -2,
    hi: 4,
    curves: [
      { name: 'sigmoid', params: {} },
      { name: 'relu', params: {} },
      { name: 'identity', params: {} },
      { name: 'linear', params: { a: 1.5, b: 1 } },
      { name: 'tanh', params: {} },
    ],
    f: true,
    df: false,
    peak: false,
  },
  { id: 'tanh', label: 'tanh and its derivative on [−5, 5]', lo: -5, hi: 5, curves: [{ name: 'tanh', params: {} }], f: true, df: true, peak: false },
  { id: 'sigmoid-derivative', label: 'Sigmoid and its derivative: peak 0.25', lo: -10, hi: 10, curves: [{ name: 'sigmoid', params: {} }], f: true, df: true, peak: true },
];

const { rt, cpu } = await startPage('activations');
const errorBox = $('error');
const schedule = renderQueue(render, errorBox);
const list = $('activation-list');
const paramBox = $('param-inputs');
const customs = new Map<string, { label: string; formula: string }>();

// ------------------------------------------------------------------ controls

function addCheckbox(name: string, label: string, checked: boolean): void {
  const id = `act-${name}`;
  const input = el('input', { type: 'checkbox', id, value: name });
  input.checked = checked;
  input.addEventListener('change', () => {
    syncParamInputs();
    schedule();
  });
  list.append(el('label', { for: id }, input, label));
}

for (const a of BUILTIN_ACTIVATIONS) addCheckbox(a.name, a.name, false);

function checkedNames(): string[] {
  return Array.from(list.querySelectorAll<HTMLInputElement>('input[type=checkbox]')).filter((c) => c.checked).map((c) => c.value);
}

function paramNamesOf(name: string): readonly string[] {
  return BUILTIN_ACTIVATIONS.find((a) => a.name === name)?.paramNames ?? [];
}

/** One input per parameter of each checked activation (blank = the documented default). */
function syncParamInputs(): void {
  const wanted = new Set<string>();
  for (const name of checkedNames()) {
    const spec = BUILTIN_ACTIVATIONS.find((a) => a.name === name);
    for (const p of paramNamesOf(name)) {
      const id = `param-${name}-${p}`;
      wanted.add(id);
      if (document.getElementById(id)) continue;
      let input: HTMLInputElement | HTMLSelectElement;
      if (p === 'bipolar') {
        input = el('input', { type: 'checkbox', id });
      } else if (p === 'approximate') {
        input = el('select', { id }, el('option', { value: 'none', text: 'none' }), el('option', { value: 'tanh', text: 'tanh' }));
      } else {
        input = el('input', { type: 'number', step: 'any', id, placeholder: 'default' });
      }
      input.dataset.activation = name;
      input.dataset.param = p;
      input.addEventListener('change', schedule);
      const wrap = el('div', { class: 'field', 'data-for': id }, el('label', { for: id, text: `${name}: ${p}` }), input);
      if (spec?.doc.params) wrap.append(el('span', { class: 'hint', text: spec.doc.params }));
      paramBox.append(wrap);
    }
  }
  for (const w of Array.from(paramBox.querySelectorAll<HTMLElement>('[data-for]'))) if (!wanted.has(w.dataset.for!)) w.remove();
}

function paramsOf(name: string): ActivationParams {
  const out: ActivationParams = {};
  for (const input of Array.from(paramBox.querySelectorAll<HTMLInputElement | HTMLSelectElement>(`[data-activation="${name}"]`))) {
    const p = input.dataset.param!;
    if (input instanceof HTMLInputElement && input.type === 'checkbox') {
      if (input.checked) out[p] = true;
    } else if (input instanceof HTMLSelectElement) {
      if (input.value !== 'none') out[p] = input.value;
    } else if (input.value.trim() !== '') {
      out[p] = Number(input.value);
    }
  }
  return out;
}

function setParam(name: string, p: string, v: number | boolean | string | undefined): void {
  const input = document.getElementById(`param-${name}-${p}`) as HTMLInputElement | HTMLSelectElement | null;
  if (!input) return;
  if (input instanceof HTMLInputElement && input.type === 'checkbox') input.checked = v === true;
  else input.value = v === undefined ? (input instanceof HTMLSelectElement ? 'none' : '') : String(v);
}

function applyPreset(p: Preset): void {
  for (const c of Array.from(list.querySelectorAll<HTMLInputElement>('input[type=checkbox]'))) c.checked = p.curves.some((s) => s.name === c.value);
  syncParamInputs();
  for (const s of p.curves) for (const name of paramNamesOf(s.name)) setParam(s.name, name, s.params[name] as number | undefined);
  $input('x-min').value = String(p.lo);
  $input('x-max').value = String(p.hi);
  $input('n-points').value = '201';
  $input('show-f').checked = p.f;
  $input('show-df').checked = p.df;
  $input('mark-peak').checked = p.peak;
  hooks.preset = p.id;
  schedule();
}

const presetBox = $('presets');
for (const p of PRESETS) {
  const b = el('button', { type: 'button', class: 'secondary', 'data-preset': p.id, text: p.label });
  b.addEventListener('click', () => applyPreset(p));
  presetBox.append(b);
}

for (const id of ['x-min', 'x-max', 'n-points', 'show-f', 'show-df', 'show-cpu', 'mark-peak']) $(id).addEventListener('change', schedule);
$('controls').addEventListener('submit', (e) => {
  e.preventDefault();
  schedule();
});

// ------------------------------------------------------------------ custom activations

function jsFunction(what: string, args: string[], body: string): (...a: number[]) => number {
  let fn: (...a: number[]) => number;
  try {
    fn = new Function(...args, `"use strict"; return (${body});`) as (...a: number[]) => number;
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
  const probe = fn(...args.map(() => 0.5));
  if (typeof probe !== 'number') throw new Error(`${what}: must return a number, got ${typeof probe}`);
  return fn;
}

async function addCustom(): Promise<void> {
  showError(errorBox, null);
  const label = $input('custom-name').value.trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(label)) throw new Error('Your activation: the name must be an identifier, like myAct');
  if (BUILTIN_ACTIVATIONS.some((a) => a.name === label || a.aliases.includes(label))) throw new Error(`Your activation: '${label}' is a built-in; pick another name`);
  const wgslF = ($('custom-wgsl-f') as HTMLTextAreaElement).value.trim();
  const wgslB = ($('custom-wgsl-b') as HTMLTextAreaElement).value.trim();
  const forward = jsFunction('JavaScript f(x)', ['x'], ($('custom-js-f') as HTMLTextAreaElement).value);
  const backward = jsFunction('JavaScript dy·f′(x)', ['x', 'y', 'dy'], ($('custom-js-b') as HTMLTextAreaElement).value);
  // Each definition is registered under a fresh name, so the same label can be redefined.
  let name = label;
  for (let k = 2; customs.has(name); k++) name = `${label}_${k}`;
  const def = { wgsl: { forward: wgslF, backward: wgslB }, cpu: { forward, backward } };
  await rt.defineActivation(name, def);
  if (cpu !== rt) await cpu.defineActivation(name, def);
  customs.set(name, { label, formula: wgslF });
  // Replace an earlier definition of the same label in the list.
  for (const [old, c] of customs) {
    if (old !== name && c.label === label) list.querySelector(`input[value="${old}"]`)?.closest('label')?.remove();
  }
  addCheckbox(name, `${label} (yours)`, true);
  schedule();
}

$('custom-add').addEventListener('click', () => addCustom().catch((e) => showError(errorBox, e)));

// ------------------------------------------------------------------ computing

async function evaluate(r: Runtime, name: string, params: ActivationParams, xs: Float32Array): Promise<{ f: Float32Array; df: Float32Array }> {
  const x = r.tensor(xs);
  const ones = r.tensor(new Float32Array(xs.length).fill(1));
  try {
    const y = r.activation(name, x, params);
    const dx = r.activationGrad(name, x, ones, params);
    try {
      const [f, df] = await Promise.all([y.read(), dx.read()]);
      return { f, df };
    } finally {
      y.dispose();
      dx.dispose();
    }
  } finally {
    x.dispose();
    ones.dispose();
  }
}

function labelOf(name: string, params: ActivationParams): string {
  const base = customs.get(name)?.label ?? name;
  const ps = Object.entries(params).filter(([, v]) => v !== undefined);
  return ps.length ? `${base} (${ps.map(([k, v]) => `${k}=${v}`).join(', ')})` : base;
}

function formulaOf(name: string): string {
  return customs.get(name)?.formula ?? BUILTIN_ACTIVATIONS.find((a) => a.name === name)?.doc.formula ?? '';
}

function readRange(): { lo: number; hi: number; n: number } {
  const lo = Number($input('x-min').value);
  const hi = Number($input('x-max').value);
  const n = Math.round(Number($input('n-points').value));
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) throw new Error(`Range: 'to' must be larger than 'from' (got ${lo} to ${hi})`);
  if (!(n >= 2 && n <= 100_000)) throw new Error(`Range: points must be between 2 and 100000 (got ${n})`);
  return { lo, hi, n };
}

const hooks = window.__demo;
const chart: Chart = makeChart($('chart') as HTMLCanvasElement, 'Activation functions and derivatives; values listed in the table below', {
  type: 'line',
  data: { datasets: [] },
  options: xyOptions('x', 'f(x), f′(x)'),
});
hooks.chartData = () => chart.data.datasets.map((d) => ({ label: d.label, data: (d.data as XY[]).map((p) => [p.x, p.y]) }));

async function render(): Promise<void> {
  const { lo, hi, n } = readRange();
  const xs = linspace(lo, hi, n);
  const names = checkedNames();
  const curves: Curve[] = [];
  let gpuMs = 0;
  let cpuMs = 0;
  for (const name of names) {
    const params = paramsOf(name);
    let t0 = performance.now();
    const g = await evaluate(rt, name, params, xs);
    gpuMs += performance.now() - t0;
    t0 = performance.now();
    const c = await evaluate(cpu, name, params, xs);
    cpuMs += performance.now() - t0;
    const uf = maxUlp(g.f, c.f);
    const ud = maxUlp(g.df, c.df);
    let peak = 0;
    for (let i = 1; i < n; i++) if (g.df[i] > g.df[peak]) peak = i;
    curves.push({
      name,
      label: labelOf(name, params),
      params,
      formula: formulaOf(name),
      x: Array.from(xs),
      f: Array.from(g.f),
      df: Array.from(g.df),
      cpuF: Array.from(c.f),
      cpuDf: Array.from(c.df),
      ulpF: { ulp: uf.ulp, x: xs[Math.max(0, uf.index)] },
      ulpDf: { ulp: ud.ulp, x: xs[Math.max(0, ud.index)] },
      peak: { x: xs[peak], y: g.df[peak] },
    });
  }
  drawChart(curves);
  fillTable(curves);
  const where = rt === cpu ? 'CPU path' : 'GPU';
  $('timing').textContent = names.length
    ? `${n} points × ${names.length} activation(s): ${where} ${gpuMs.toFixed(1)} ms (including upload and read-back), CPU reference ${cpuMs.toFixed(1)} ms.`
    : 'Choose an activation or a figure from the notes.';
  hooks.activations = { lo, hi, n, curves };
}

function drawChart(curves: Curve[]): void {
  const showF = $input('show-f').checked;
  const showDf = $input('show-df').checked;
  const showCpu = $input('show-cpu').checked;
  const markPeak = $input('mark-peak').checked;
  const every = Math.max(1, Math.round(curves[0]?.x.length / 40 || 1));
  const datasets: Chart['data']['datasets'] = [];
  const cpuPoints: XY[] = [];
  curves.forEach((c, i) => {
    if (showF) datasets.push(line(`${c.label}`, points(c.x, c.f), i));
    if (showDf) datasets.push(line(`${c.label}′ (derivative)`, points(c.x, c.df), i, true));
    if (showCpu) {
      if (showF) cpuPoints.push(...points(c.x, c.cpuF, every));
      if (showDf) cpuPoints.push(...points(c.x, c.cpuDf, every));
    }
  });
  if (cpuPoints.length) datasets.push(markers('CPU reference (every few points)', cpuPoints, 6, 4, 'crossRot'));
  if (markPeak) {
    curves.forEach((c, i) => {
      const d = markers(`peak of ${c.label}′: ${fmt(c.peak.y)} at x = ${fmt(c.peak.x)}`, [{ x: c.peak.x, y: c.peak.y }], i, 7, 'rectRot');
      datasets.push(d);
    });
  }
  chart.data.datasets = datasets;
  const { lo, hi } = readRange();
  const xScale = chart.options.scales!.x!;
  xScale.min = lo;
  xScale.max = hi;
  fitLegend(chart);
  chart.update();
}

function fillTable(curves: Curve[]): void {
  const body = $('results').querySelector('tbody')!;
  body.replaceChildren(
    ...curves.map((c) =>
      el(
        'tr',
        { 'data-activation': c.name },
        el('th', { class: 'text', scope: 'row', text: c.label }),
        el('td', { class: 'text' }, el('code', { text: c.formula })),
        el('td', { class: c.ulpF.ulp <= 4 ? 'good' : 'bad', text: `${c.ulpF.ulp} ULP${c.ulpF.ulp ? ` at x = ${fmt(c.ulpF.x)}` : ''}` }),
        el('td', { class: c.ulpDf.ulp <= 4 ? 'good' : 'bad', text: `${c.ulpDf.ulp} ULP${c.ulpDf.ulp ? ` at x = ${fmt(c.ulpDf.x)}` : ''}` }),
        el('td', { text: `${fmt(c.peak.y)} at x = ${fmt(c.peak.x)}` }),
      ),
    ),
  );
}

hooks.presets = PRESETS.map((p) => p.id);
applyPreset(PRESETS[PRESETS.length - 1]);
