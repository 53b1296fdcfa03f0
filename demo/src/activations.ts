/**
 * Activation explorer: f and f' of the chosen activations on the GPU, the CPU reference
 * overlaid, the largest ULP difference, presets for the notes' figures, and user-defined
 * activations (a WGSL expression with its JavaScript twin).
 */
import { BUILTIN_ACTIVATIONS, type ActivationParams, type Runtime } from '../../src/index';
import { Chart, chartState, fitLegend, line, linearAxis, makeChart, markers, points, xyOptions, type XY } from './charts';
import { $, $input, FieldError, clearErrors, el, fmt, linspace, maxUlp, readNumber, renderQueue, rendered, reportError, showWhere, startPage } from './common';

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
      if (input instanceof HTMLInputElement && input.type === 'number') wrap.append(paramSlider(name, p, input));
      if (spec?.doc.params) wrap.append(el('span', { class: 'hint', text: spec.doc.params }));
      paramBox.append(wrap);
    }
  }
  for (const w of Array.from(paramBox.querySelectorAll<HTMLElement>('[data-for]'))) if (!wanted.has(w.dataset.for!)) w.remove();
}

/** Slider range per parameter name (the number field beside it takes any float32). */
const SLIDER: Record<string, [number, number]> = { a: [-3, 3], b: [-3, 3], alpha: [0, 3], beta: [0, 1], gamma: [0, 3] };

/** A slider for one numeric parameter; moving it writes the number field and redraws. */
function paramSlider(name: string, p: string, input: HTMLInputElement): HTMLInputElement {
  const [lo, hi] = name === 'leakyRelu' && p === 'alpha' ? [0, 1] : (SLIDER[p] ?? [-3, 3]);
  const spec = BUILTIN_ACTIVATIONS.find((a) => a.name === name);
  const def = Number(spec?.pack({})[spec.paramNames.indexOf(p)] ?? 0);
  const slider = el('input', { type: 'range', id: `${input.id}-slider`, min: String(lo), max: String(hi), step: '0.01', value: String(Math.min(hi, Math.max(lo, def))), 'aria-label': `${name}: ${p} (slider)` });
  slider.dataset.sliderFor = input.id;
  slider.addEventListener('input', () => {
    input.value = slider.value;
    schedule();
  });
  input.addEventListener('input', () => {
    const v = Number(input.value);
    if (input.value.trim() !== '' && Number.isFinite(v)) slider.value = String(v);
  });
  return slider;
}

function paramsOf(name: string): ActivationParams {
  const out: ActivationParams = {};
  for (const input of Array.from(paramBox.querySelectorAll<HTMLInputElement | HTMLSelectElement>(`[data-activation="${name}"]`))) {
    const p = input.dataset.param!;
    if (input instanceof HTMLInputElement && input.type === 'checkbox') {
      if (input.checked) out[p] = true;
    } else if (input instanceof HTMLSelectElement) {
      if (input.value !== 'none') out[p] = input.value;
    } else {
      const v = readNumber(input, `${name}: ${p}`, { optional: true });
      if (v !== null) out[p] = v;
    }
  }
  return out;
}

/** The library's parameter errors ("celu: parameter 'alpha' must be non-zero") as field errors. */
function asFieldError(name: string, e: unknown): unknown {
  const m = /parameter '(\w+)' (.*)$/.exec((e as Error)?.message ?? '');
  const field = m && document.getElementById(`param-${name}-${m[1]}`);
  if (!m || !field) return e;
  const why = m[2].replace(/^must be non-zero$/, 'must not be 0').replace(/^must be a finite float32, got .*$/, 'is too large for a float32 (about ±3.4×10^38 at most)');
  return new FieldError(field, `${name}: ${m[1]} ${why}`);
}

function setParam(name: string, p: string, v: number | boolean | string | undefined): void {
  const input = document.getElementById(`param-${name}-${p}`) as HTMLInputElement | HTMLSelectElement | null;
  if (!input) return;
  if (input instanceof HTMLInputElement && input.type === 'checkbox') input.checked = v === true;
  else input.value = v === undefined ? (input instanceof HTMLSelectElement ? 'none' : '') : String(v);
  const slider = document.getElementById(`${input.id}-slider`) as HTMLInputElement | null;
  if (slider && v !== undefined) slider.value = String(v);
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
  $input('x-at').value = '0';
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
$('x-at').addEventListener('input', () => readAt());
$('controls').addEventListener('submit', (e) => {
  e.preventDefault();
  schedule();
});

// ------------------------------------------------------------------ custom activations

function jsFunction(what: string, field: HTMLElement, args: string[], body: string): (...a: number[]) => number {
  let fn: (...a: number[]) => number;
  let probe: unknown;
  try {
    fn = new Function(...args, `"use strict"; return (${body});`) as (...a: number[]) => number;
    probe = fn(...args.map(() => 0.5));
  } catch (e) {
    throw new FieldError(field, `${what}: ${(e as Error).message}`);
  }
  if (typeof probe !== 'number') throw new FieldError(field, `${what}: must return a number, got ${typeof probe}`);
  return fn;
}

async function addCustom(): Promise<void> {
  clearErrors(customError);
  const nameField = $input('custom-name');
  const label = nameField.value.trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(label)) throw new FieldError(nameField, 'Your activation: the name must be an identifier, like myAct');
  if (BUILTIN_ACTIVATIONS.some((a) => a.name === label || a.aliases.includes(label))) throw new FieldError(nameField, `Your activation: '${label}' is a built-in; pick another name`);
  const wgslF = ($('custom-wgsl-f') as HTMLTextAreaElement).value.trim();
  const wgslB = ($('custom-wgsl-b') as HTMLTextAreaElement).value.trim();
  if (!wgslF) throw new FieldError($('custom-wgsl-f'), 'WGSL f(x): enter an expression in x');
  if (!wgslB) throw new FieldError($('custom-wgsl-b'), 'WGSL dy·f′(x): enter an expression in x, y and dy');
  const forward = jsFunction('JavaScript f(x)', $('custom-js-f'), ['x'], ($('custom-js-f') as HTMLTextAreaElement).value);
  const backward = jsFunction('JavaScript dy·f′(x)', $('custom-js-b'), ['x', 'y', 'dy'], ($('custom-js-b') as HTMLTextAreaElement).value);
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

const customError = $('custom-error');
$('custom-add').addEventListener('click', () => addCustom().catch((e) => reportError(customError, e)));

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
  const lo = readNumber($input('x-min'), 'from x');
  const hi = readNumber($input('x-max'), 'to x');
  if (!(hi > lo)) throw new FieldError($input('x-max'), `to x: must be larger than 'from x' (got ${lo} to ${hi})`);
  const n = readNumber($input('n-points'), 'points', { integer: true, min: 2, max: 100_000 });
  return { lo, hi, n };
}

const hooks = window.__demo;
const chart: Chart = makeChart($('chart') as HTMLCanvasElement, 'Activation functions and derivatives; values listed in the table below', {
  type: 'line',
  data: { datasets: [] },
  options: xyOptions('x', 'f(x), f′(x)'),
});
chart.options.scales!.x = linearAxis('x') as never;
chart.options.scales!.y = linearAxis('f(x), f′(x)') as never;
hooks.chartData = () => chart.data.datasets.map((d) => ({ label: d.label, data: (d.data as XY[]).map((p) => [p.x, p.y]) }));
hooks.chart = () => chartState(chart);

async function render(): Promise<void> {
  const { lo, hi, n } = readRange();
  const xs = linspace(lo, hi, n);
  const names = checkedNames();
  const curves: Curve[] = [];
  let gpuMs = 0;
  let cpuMs = 0;
  const chosen = names.map((name) => ({ name, params: paramsOf(name) }));
  for (const { name, params } of chosen) {
    let t0 = performance.now();
    const g = await evaluate(rt, name, params, xs).catch((e) => Promise.reject(asFieldError(name, e)));
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
  lastCurves = curves;
  syncSlider(lo, hi);
  await readAt(true);
  drawChart(curves);
  fillTable(curves);
  if (names.length) showWhere(`f and f′ at ${n} points × ${names.length} activation(s)`, rt === cpu ? null : gpuMs, cpuMs);
  else $('where').textContent = 'Choose an activation or a figure from the notes.';
  hooks.activations = { lo, hi, n, curves };
}

// ------------------------------------------------------------------ the value at one x

let lastCurves: Curve[] = [];
let atValues: { name: string; label: string; x: number; f: number; df: number; cpuF: number; cpuDf: number }[] = [];
let atBusy = false;
let atAgain = false;

/** Keeps the x slider inside the plotted range (step: 1/1000 of it). */
function syncSlider(lo: number, hi: number): void {
  const s = $input('x-at');
  const v = Number(s.value);
  s.min = String(lo);
  s.max = String(hi);
  s.step = String((hi - lo) / 1000);
  s.value = String(Math.min(hi, Math.max(lo, Number.isFinite(v) ? v : 0)));
}

/** f(x) and f′(x) at the slider's x, read from the GPU (and the CPU path), then the marker redrawn. */
async function readAt(inRender = false): Promise<void> {
  if (atBusy) {
    atAgain = true;
    return;
  }
  atBusy = true;
  try {
    do {
      atAgain = false;
      const x = Math.fround(Number($input('x-at').value));
      const xs = new Float32Array([x]);
      const out: typeof atValues = [];
      for (const c of lastCurves) {
        const g = await evaluate(rt, c.name, c.params, xs);
        const k = await evaluate(cpu, c.name, c.params, xs);
        out.push({ name: c.name, label: c.label, x, f: g.f[0], df: g.df[0], cpuF: k.f[0], cpuDf: k.df[0] });
      }
      atValues = out;
      $('x-at-value').textContent = fmt(x);
      $('at-x').querySelector('tbody')!.replaceChildren(
        ...out.map((v) => el('tr', { 'data-activation': v.name }, el('th', { class: 'text', scope: 'row', text: v.label }), el('td', { text: fmt(v.f, 7) }), el('td', { text: fmt(v.df, 7) }))),
      );
      hooks.at = { x, values: out };
      if (!inRender) {
        drawChart(lastCurves);
        rendered();
      }
    } while (atAgain);
  } catch (e) {
    reportError(errorBox, e);
  } finally {
    atBusy = false;
  }
}

function drawChart(curves: Curve[]): void {
  const showF = $input('show-f').checked;
  const showDf = $input('show-df').checked;
  const showCpu = $input('show-cpu').checked;
  const markPeak = $input('mark-peak').checked;
  const every = Math.max(1, Math.round(curves[0]?.x.length / 40 || 1));
  const datasets: Chart['data']['datasets'] = [];
  curves.forEach((c, i) => {
    if (showF) datasets.push(line(`${c.label}`, points(c.x, c.f), i));
    if (showDf) datasets.push(line(`${c.label}′ (derivative)`, points(c.x, c.df), i, true));
  });
  // One marker dataset per curve (f and f′ separately): each sorted by x, as Chart.js needs.
  if (showCpu) {
    curves.forEach((c, i) => {
      if (showF) datasets.push(markers(`CPU reference: ${c.label}`, points(c.x, c.cpuF, every), i, 4, 'crossRot'));
      if (showDf) datasets.push(markers(`CPU reference: ${c.label}′`, points(c.x, c.cpuDf, every), i, 4, 'triangle'));
    });
  }
  const at = atValues.filter((v) => curves.some((c) => c.name === v.name));
  if (at.length && (showF || showDf)) {
    const pts: XY[] = [];
    for (const v of at) {
      if (showF) pts.push({ x: v.x, y: v.f });
      if (showDf) pts.push({ x: v.x, y: v.df });
    }
    datasets.push({ ...markers(`at x = ${fmt(at[0].x)} (slider)`, pts, 6, 6, 'rectRot'), backgroundColor: 'transparent' });
  }
  if (markPeak) {
    curves.forEach((c, i) => {
      const d = markers(`peak of ${c.label}′: ${fmt(c.peak.y)} at x = ${fmt(c.peak.x)}`, [{ x: c.peak.x, y: c.peak.y }], i, 7, 'rectRot');
      datasets.push(d);
    });
  }
  chart.data.datasets = datasets;
  const xScale = chart.options.scales!.x!;
  xScale.min = curves[0]?.x[0] ?? xScale.min;
  xScale.max = curves[0]?.x[curves[0].x.length - 1] ?? xScale.max;
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
