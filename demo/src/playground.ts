/**
 * The training playground's live views, all computed with the runtime (the GPU when there is
 * one): the decision-boundary heatmap (`predict` over a grid), the network diagram (edges
 * coloured and sized by the weights, each node showing its unit's activation over the input
 * plane, from `dense` layer by layer), per-layer gradient norms (a forward and backward pass
 * with `denseForward` / `lossGrad` / `denseGrad`), and the CSV / PNG downloads.
 */
import type { NestedArray, Runtime, Tensor } from '../../src/index';
import type { LayerSpec } from './examples';

/** Two classes: orange for 0, blue for 1 (Okabe-Ito), white in between. */
const C0 = [213, 94, 0];
const C1 = [0, 114, 178];

/** Colour of a value in [0, 1] (a class probability): orange -> white -> blue. */
export function probColour(p: number, alpha = 1): string {
  const [r, g, b] = mix(Math.min(1, Math.max(0, p)));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

function mix(p: number): [number, number, number] {
  const w = [255, 255, 255];
  const [a, t] = p < 0.5 ? [C0, (0.5 - p) * 2] : [C1, (p - 0.5) * 2];
  return [0, 1, 2].map((k) => Math.round(w[k] + (a[k] - w[k]) * t * 0.85)) as [number, number, number];
}

/** A g x g grid over [lo, hi]^2, row-major from the top (x2 = hi) down: rows of [x1, x2]. */
export function grid2d(lo: number, hi: number, g: number): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < g; r++) {
    const x2 = hi - ((r + 0.5) * (hi - lo)) / g;
    for (let c = 0; c < g; c++) out.push([lo + ((c + 0.5) * (hi - lo)) / g, x2]);
  }
  return out;
}

/** Reads a [N, K] tensor into rows and disposes it. */
export async function rowsOf(t: Tensor): Promise<number[][]> {
  const v = await t.read();
  const cols = t.shape[1] ?? 1;
  t.dispose();
  return Array.from({ length: v.length / cols }, (_, i) => Array.from(v.subarray(i * cols, (i + 1) * cols)));
}

// ------------------------------------------------------------------ heatmap

export interface Points {
  x: number[][];
  y: number[][];
  test: boolean;
}

/**
 * Draws the model's output over the plane (`values`, g x g, row-major from the top) and the
 * data points on `canvas`; classification outputs are probabilities of class 1.
 */
export function drawHeatmap(canvas: HTMLCanvasElement, values: number[], g: number, extent: [number, number], sets: Points[], dark: boolean): void {
  const size = canvas.width;
  const ctx = canvas.getContext('2d')!;
  const img = new ImageData(g, g);
  values.forEach((p, i) => {
    const [r, gg, b] = mix(p);
    img.data.set([r, gg, b, 255], i * 4);
  });
  const small = document.createElement('canvas');
  small.width = g;
  small.height = g;
  small.getContext('2d')!.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.clearRect(0, 0, size, size);
  ctx.drawImage(small, 0, 0, size, size);
  // The 0.5 contour is where the colour turns white; the axes through 0:
  const [lo, hi] = extent;
  const px = (v: number) => ((v - lo) / (hi - lo)) * size;
  ctx.strokeStyle = dark ? 'rgba(0,0,0,0.35)' : 'rgba(0,0,0,0.2)';
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(px(0), 0);
  ctx.lineTo(px(0), size);
  ctx.moveTo(0, size - px(0));
  ctx.lineTo(size, size - px(0));
  ctx.stroke();
  for (const s of sets) {
    s.x.forEach((x, i) => {
      ctx.beginPath();
      ctx.arc(px(x[0]), size - px(x[1]), s.test ? 3.5 : 3, 0, 2 * Math.PI);
      ctx.fillStyle = probColour(s.y[i][0] >= 0.5 ? 1 : 0);
      ctx.fill();
      ctx.lineWidth = s.test ? 1.5 : 1;
      ctx.strokeStyle = s.test ? '#111' : '#fff';
      ctx.stroke();
    });
  }
}

// ------------------------------------------------------------------ network diagram

export interface UnitMaps {
  /** Per layer (inputs first), per unit: its value over the thumbnail grid (row-major). */
  maps: number[][][];
  g: number;
}

/**
 * Each unit's output over a g x g grid of the input plane: the inputs, then `dense` layer by
 * layer with the weight tensors `w` (Keras order [W1, b1, W2, b2, ...]).
 */
export async function unitMaps(r: Runtime, layers: LayerSpec[], w: Tensor[], gridRows: number[][], g: number): Promise<UnitMaps> {
  const tensors: Tensor[] = [];
  const keep = <T extends Tensor>(t: T): T => (tensors.push(t), t);
  try {
    let a = keep(r.tensor(gridRows));
    const outs: Tensor[] = [];
    layers.forEach((l, i) => {
      const act = l.activation === 'softmax' ? null : l.activation === 'linear' ? 'identity' : l.activation;
      let y = keep(r.dense(a, w[2 * i], w[2 * i + 1], act ? { activation: act } : {}));
      if (l.activation === 'softmax') y = keep(r.softmax(y));
      outs.push(y);
      a = y;
    });
    const read = await Promise.all(outs.map((t) => t.read()));
    const columns = (v: Float32Array, k: number) => Array.from({ length: k }, (_, u) => Array.from({ length: v.length / k }, (_, row) => v[row * k + u]));
    const inputs = gridRows[0].map((_, c) => gridRows.map((row) => row[c]));
    return { maps: [inputs, ...read.map((v, i) => columns(v, layers[i].units))], g };
  } finally {
    tensors.forEach((t) => t.dispose());
  }
}

/** Paints one unit's values (scaled by `scale`) into its thumbnail canvas. */
function paintThumb(canvas: HTMLCanvasElement, values: number[], g: number, scale: number): void {
  if (canvas.width !== g) {
    canvas.width = g;
    canvas.height = g;
  }
  const img = new ImageData(g, g);
  values.forEach((v, i) => {
    const [r, gg, b] = mix(0.5 + (0.5 * v) / scale);
    img.data.set([r, gg, b, 255], i * 4);
  });
  canvas.getContext('2d')!.putImageData(img, 0, 0);
}

export interface DiagramState {
  nodes: { layer: number; unit: number; thumb: boolean }[];
  edges: { layer: number; from: number; to: number; w: number; colour: string; width: number }[];
}

const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

const NODE = 30;
const GAP_Y = 10;
const GAP_X = 92;

/** Builds the diagram's structure (edges as SVG lines, units as canvases); kept while the shape stays. */
function buildDiagram(box: HTMLElement, cols: number[], layers: LayerSpec[]): void {
  const tallest = Math.max(...cols);
  const width = (cols.length - 1) * GAP_X + NODE + 8;
  const height = tallest * (NODE + GAP_Y) + 24;
  const pos = (layer: number, unit: number): [number, number] => [4 + layer * GAP_X, 20 + ((tallest - cols[layer]) * (NODE + GAP_Y)) / 2 + unit * (NODE + GAP_Y)];
  const stage = document.createElement('div');
  stage.className = 'diagram-stage';
  stage.style.width = `${width}px`;
  stage.style.height = `${height}px`;
  stage.setAttribute('role', 'img');
  stage.setAttribute('aria-label', `Network diagram: ${cols.join(' → ')} units; edge colour and width show each weight, each unit its output over the inputs`);
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height });
  layers.forEach((_, i) => {
    for (let from = 0; from < cols[i]; from++) {
      for (let to = 0; to < cols[i + 1]; to++) {
        const [x1, y1] = pos(i, from);
        const [x2, y2] = pos(i + 1, to);
        const e = svg('line', { x1: x1 + NODE, y1: y1 + NODE / 2, x2, y2: y2 + NODE / 2, 'stroke-opacity': 0.75 });
        e.dataset.edge = `${i} ${from} ${to}`;
        e.append(svg('title', {}));
        root.append(e);
      }
    }
  });
  cols.forEach((_, layer) => {
    const label = svg('text', { x: pos(layer, 0)[0] + NODE / 2, y: 12, 'text-anchor': 'middle', 'font-size': 11, fill: 'currentColor' });
    label.textContent = layer === 0 ? 'input' : layers[layer - 1].activation;
    root.append(label);
  });
  stage.append(root);
  cols.forEach((n, layer) => {
    for (let unit = 0; unit < n; unit++) {
      const [x, y] = pos(layer, unit);
      const c = document.createElement('canvas');
      c.className = 'unit';
      c.width = 1;
      c.height = 1;
      c.style.left = `${x}px`;
      c.style.top = `${y}px`;
      c.title = layer === 0 ? `input x${unit + 1}` : `layer ${layer} unit ${unit + 1} (${layers[layer - 1].activation})`;
      c.dataset.unit = `${layer} ${unit}`;
      stage.append(c);
    }
  });
  box.replaceChildren(stage);
}

/**
 * The network as columns of units (inputs, then each layer); an edge per weight, blue for
 * positive and orange for negative, its width growing with |w|; each unit drawn as its
 * activation map when `maps` is given. Redraws in place while the network's shape stays.
 */
export function drawDiagram(box: HTMLElement, inputs: number, layers: LayerSpec[], weights: NestedArray[], maps: UnitMaps | null): DiagramState {
  const cols = [inputs, ...layers.map((l) => l.units)];
  const key = `${cols.join(',')} ${layers.map((l) => l.activation).join(',')}`;
  if (box.dataset.shape !== key) {
    buildDiagram(box, cols, layers);
    box.dataset.shape = key;
  }
  const state: DiagramState = { nodes: [], edges: [] };
  let wMax = 0;
  layers.forEach((_, i) => (weights[2 * i] as number[][]).forEach((row) => row.forEach((w) => Number.isFinite(w) && (wMax = Math.max(wMax, Math.abs(w))))));
  for (const e of Array.from(box.querySelectorAll<SVGLineElement>('line[data-edge]'))) {
    const [i, from, to] = e.dataset.edge!.split(' ').map(Number);
    const w = (weights[2 * i] as number[][])[from][to];
    const width = Number.isFinite(w) ? Math.max(0.5, Math.min(6, 0.5 + 5.5 * Math.sqrt(Math.abs(w) / (wMax || 1)))) : 1;
    const colour = !Number.isFinite(w) ? '#888888' : w >= 0 ? 'rgb(0, 114, 178)' : 'rgb(213, 94, 0)';
    e.setAttribute('stroke', colour);
    e.setAttribute('stroke-width', width.toFixed(2));
    e.dataset.w = String(w);
    e.firstElementChild!.textContent = `layer ${i + 1}: weight from unit ${from + 1} to unit ${to + 1} = ${w.toPrecision(4)}`;
    state.edges.push({ layer: i, from, to, w, colour, width });
  }
  // One colour scale per layer: inputs by their largest |value|, layers by max(1, largest |value|).
  const scales = (maps?.maps ?? []).map((m, layer) => {
    let top = 0;
    for (const u of m) for (const v of u) if (Math.abs(v) > top) top = Math.abs(v);
    return layer === 0 ? Math.max(1e-6, top) : Math.max(1, top);
  });
  for (const c of Array.from(box.querySelectorAll<HTMLCanvasElement>('canvas[data-unit]'))) {
    const [layer, unit] = c.dataset.unit!.split(' ').map(Number);
    const m = maps?.maps[layer];
    c.classList.toggle('plain', !m);
    if (m) paintThumb(c, m[unit], maps!.g, scales[layer]);
    state.nodes.push({ layer, unit, thumb: !!m });
  }
  return state;
}

// ------------------------------------------------------------------ gradient norms

/** Runtime loss names for the model's Keras spellings. */
const LOSS_OP: Record<string, string> = { mse: 'mse', mae: 'mae', binary_crossentropy: 'binaryCrossentropy', categorical_crossentropy: 'categoricalCrossentropy' };

/**
 * The L2 norm of dE/dW for each layer's kernel at the weights `w` (tensors, Keras order), over
 * the whole training set: a forward pass (`denseForward`, keeping z) and the backward pass
 * (`lossGrad`, `denseGrad`).
 */
export async function gradientNorms(r: Runtime, layers: LayerSpec[], w: Tensor[], x: number[][], y: number[][], loss: string): Promise<number[]> {
  const tensors: Tensor[] = [];
  const keep = <T extends Tensor | null>(t: T): T => (t && tensors.push(t), t);
  try {
    const acts = layers.map((l) => (l.activation === 'softmax' ? null : l.activation === 'linear' ? 'identity' : l.activation));
    const ins: Tensor[] = [keep(r.tensor(x))];
    const zs: (Tensor | null)[] = [];
    let out: Tensor = ins[0];
    layers.forEach((l, i) => {
      const f = r.denseForward(ins[i], w[2 * i], w[2 * i + 1], acts[i] ? { activation: acts[i]!, keepPreActivation: true } : {});
      keep(f.y);
      keep(f.z);
      out = l.activation === 'softmax' ? keep(r.softmax(f.y)) : f.y;
      zs.push(f.z);
      ins.push(out);
    });
    let dy = keep(r.lossGrad(LOSS_OP[loss] ?? loss, out, keep(r.tensor(y))));
    const dW: Tensor[] = [];
    for (let i = layers.length - 1; i >= 0; i--) {
      if (layers[i].activation === 'softmax') dy = keep(r.softmaxGrad(out, dy));
      const g = r.denseGrad(ins[i], w[2 * i], dy, acts[i] ? { activation: acts[i]!, z: zs[i]!, computeDx: i > 0 } : { computeDx: i > 0 });
      keep(g.dkernel);
      keep(g.dbias);
      keep(g.dx);
      dW[i] = g.dkernel;
      if (g.dx) dy = g.dx;
    }
    const vals = await Promise.all(dW.map((t) => t.read()));
    return vals.map((v) => Math.sqrt(v.reduce((s, a) => s + a * a, 0)));
  } finally {
    tensors.forEach((t) => t.dispose());
  }
}

// ------------------------------------------------------------------ downloads

/** Saves `data` as a file named `name` (a Blob, or a data: URL such as a canvas's PNG). */
export function download(name: string, data: Blob | string): void {
  const url = typeof data === 'string' ? data : URL.createObjectURL(data);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  if (typeof data !== 'string') setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** CSV text from a header and rows (numbers written in full). */
export function csv(header: string[], rows: (number | string | null)[][]): string {
  return [header.join(','), ...rows.map((r) => r.map((v) => (v === null ? '' : String(v))).join(','))].join('\n') + '\n';
}

export function weightsCsv(layers: LayerSpec[], weights: NestedArray[]): string {
  const rows: (number | string)[][] = [];
  layers.forEach((_, i) => {
    (weights[2 * i] as number[][]).forEach((row, r) => row.forEach((w, c) => rows.push([i + 1, 'kernel', r, c, w])));
    (weights[2 * i + 1] as number[]).forEach((w, c) => rows.push([i + 1, 'bias', '', c, w]));
  });
  return csv(['layer', 'kind', 'row', 'col', 'value'], rows);
}
