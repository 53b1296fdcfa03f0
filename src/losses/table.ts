/**
 * Losses and metrics, each written once: names and aliases, the id WGSL sees (generated into
 * shaders/lib/ids.wgsl as `VALUE_<NAME>`), the Keras 3 convention, the float64 reference of one
 * row, and the float32 step-by-step twin of shaders/lib/losses.wgsl that the fused trainer's
 * CPU path uses. `rt.loss` / `lossGrad` / `lossAndGrad`, `compile`, `evaluate`, the metrics and
 * both training engines resolve names and conventions here.
 */
import { NNError } from '../errors';

/** Keras' `epsilon()`: probabilities are clipped to [EPSILON, 1 - EPSILON] in float32. */
export const EPSILON = Math.fround(1e-7);
export const CLIP_LO = EPSILON;
export const CLIP_HI = Math.fround(1 - EPSILON);

/**
 * One id space for every per-row value the kernels compute (a loss or a metric). The numbers are
 * the WGSL constants `VALUE_*`; nothing else repeats them.
 */
export const VALUE = {
  MSE: 0,
  MAE: 1,
  HALF_SQUARED_ERROR: 2,
  BCE: 3,
  BCE_LOGITS: 4,
  CCE: 5,
  CCE_LOGITS: 6,
  BINARY_ACCURACY: 7,
  CATEGORICAL_ACCURACY: 8,
} as const;
export type ValueId = (typeof VALUE)[keyof typeof VALUE];

export type LossName = 'mse' | 'mae' | 'halfSquaredError' | 'binaryCrossentropy' | 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy';

export interface LossEntry {
  readonly name: LossName;
  readonly aliases: readonly string[];
  /** Value id on probabilities / real predictions, and (cross-entropies) on logits. */
  readonly id: ValueId;
  readonly logitsId: ValueId | null;
  /** How a row's elements combine: the mean over the last axis (Keras) or their sum. */
  readonly overRow: 'mean' | 'sum';
  /** What targets must be: any finite value, in [0, 1], or class indices (one-hot rows inside). */
  readonly targets: 'real' | 'binary' | 'classIndices';
  /** The Keras 3 convention, for the docs and error messages. */
  readonly keras: string;
}

const CLIP = 'p clipped to [1e-7, 1 - 1e-7] (gradient 0 outside), NaN kept';
export const LOSSES = [
  { name: 'mse', aliases: ['meanSquaredError', 'mean_squared_error', 'MSE', 'MeanSquaredError'], id: VALUE.MSE, logitsId: null, overRow: 'mean', targets: 'real', keras: 'mean over the last axis of (p - t)^2' },
  { name: 'mae', aliases: ['meanAbsoluteError', 'mean_absolute_error', 'MAE', 'MeanAbsoluteError'], id: VALUE.MAE, logitsId: null, overRow: 'mean', targets: 'real', keras: "mean of |p - t|; gradient sign(p - t), 0 at p == t (Keras on TensorFlow; Keras on JAX gives -1/K: docs/keras-parity.md)" },
  { name: 'halfSquaredError', aliases: ['half_squared_error', 'HalfSquaredError'], id: VALUE.HALF_SQUARED_ERROR, logitsId: null, overRow: 'sum', targets: 'real', keras: "not in Keras: the seeds' E = sum (p - t)^2 / 2 per sample" },
  { name: 'binaryCrossentropy', aliases: ['binary_crossentropy', 'BinaryCrossentropy', 'bce', 'BCE'], id: VALUE.BCE, logitsId: VALUE.BCE_LOGITS, overRow: 'mean', targets: 'binary', keras: `mean of -(t log p + (1 - t) log(1 - p)), ${CLIP}; fromLogits: log-sigmoid form, no clip` },
  { name: 'categoricalCrossentropy', aliases: ['categorical_crossentropy', 'CategoricalCrossentropy', 'cce', 'CCE'], id: VALUE.CCE, logitsId: VALUE.CCE_LOGITS, overRow: 'sum', targets: 'real', keras: `-sum t log p after p is divided by its row sum, ${CLIP}; fromLogits: log-softmax form, no clip` },
  { name: 'sparseCategoricalCrossentropy', aliases: ['sparse_categorical_crossentropy', 'SparseCategoricalCrossentropy', 'scce'], id: VALUE.CCE, logitsId: VALUE.CCE_LOGITS, overRow: 'sum', targets: 'classIndices', keras: 'categoricalCrossentropy of the one-hot rows of integer class indices' },
] as const satisfies readonly LossEntry[];
/** A loss by its canonical name or an alias. */
export type LossSpelling = (typeof LOSSES)[number]['name'] | (typeof LOSSES)[number]['aliases'][number];

export const LOSS_NAMES: readonly LossName[] = LOSSES.map((l) => l.name);
const ALL_LOSSES: readonly LossEntry[] = LOSSES;

const LOSS_BY_NAME = new Map<string, LossEntry>();
for (const l of ALL_LOSSES) for (const n of [l.name, ...l.aliases]) LOSS_BY_NAME.set(n, l);

/** The name of the loss a name or alias means, or undefined. */
export const canonicalLoss = (name: string): string | undefined => LOSS_BY_NAME.get(name)?.name;

/** A value named for an error message: quoted strings, typed others. */
function shown(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : v === undefined ? 'nothing' : `${typeof v} ${String(v)}`;
}

/** The entry for a loss name or Keras / TensorFlow.js alias; throws NNError naming the known ones. */
export function findLoss(op: string, name: unknown): LossEntry {
  const e = typeof name === 'string' ? LOSS_BY_NAME.get(name) : undefined;
  if (!e) {
    throw new NNError(`${op}: ${name === undefined ? 'no loss given' : `unknown loss ${shown(name)}`} (known: ${LOSS_NAMES.join(', ')}; Keras spellings like 'mean_squared_error' and 'bce' are accepted)`);
  }
  return e;
}

// ------------------------------------------------------------------ metrics

export interface MetricEntry {
  readonly name: string;
  readonly aliases: readonly string[];
  /** A value id, or 'accuracy' (binary or categorical, chosen from the loss and units as Keras does). */
  readonly id: ValueId | 'accuracy';
  /** Only with class-index labels (a sparse loss). */
  readonly sparse: boolean;
}

export const METRICS = [
  { name: 'mse', aliases: ['meanSquaredError', 'mean_squared_error'], id: VALUE.MSE, sparse: false },
  { name: 'mae', aliases: ['meanAbsoluteError', 'mean_absolute_error'], id: VALUE.MAE, sparse: false },
  { name: 'halfSquaredError', aliases: ['half_squared_error'], id: VALUE.HALF_SQUARED_ERROR, sparse: false },
  { name: 'binaryAccuracy', aliases: ['binary_accuracy'], id: VALUE.BINARY_ACCURACY, sparse: false },
  { name: 'categoricalAccuracy', aliases: ['categorical_accuracy'], id: VALUE.CATEGORICAL_ACCURACY, sparse: false },
  { name: 'binaryCrossentropy', aliases: ['binary_crossentropy', 'bce'], id: VALUE.BCE, sparse: false },
  { name: 'categoricalCrossentropy', aliases: ['categorical_crossentropy', 'cce'], id: VALUE.CCE, sparse: false },
  { name: 'accuracy', aliases: ['acc'], id: 'accuracy', sparse: false },
  { name: 'sparseCategoricalAccuracy', aliases: ['sparse_categorical_accuracy'], id: VALUE.CATEGORICAL_ACCURACY, sparse: true },
  { name: 'sparseCategoricalCrossentropy', aliases: ['sparse_categorical_crossentropy'], id: VALUE.CCE, sparse: true },
] as const satisfies readonly MetricEntry[];
/** A metric by its name or an alias. */
export type MetricSpelling = (typeof METRICS)[number]['name'] | (typeof METRICS)[number]['aliases'][number];
const METRIC_BY_NAME = new Map<string, MetricEntry>();
for (const m of METRICS) for (const n of [m.name, ...m.aliases]) METRIC_BY_NAME.set(n, m);

/** The name of the metric a name or alias means, or undefined. */
export const canonicalMetric = (name: string): string | undefined => METRIC_BY_NAME.get(name)?.name;

/** The value id of a metric for this loss and output width; Keras: 'accuracy' is binary with one output or a BCE loss. */
export function metricValueId(op: string, name: unknown, loss: LossEntry, units: number): ValueId {
  const m = typeof name === 'string' ? METRIC_BY_NAME.get(name) : undefined;
  if (!m) throw new NNError(`${op}: unknown metric ${shown(name)} (known: ${METRICS.flatMap((e) => [e.name, ...e.aliases]).join(', ')})`);
  if (m.sparse && loss.targets !== 'classIndices') {
    throw new NNError(`${op}: metric '${name}' needs class-index labels, i.e. the loss 'sparseCategoricalCrossentropy' (the loss is '${loss.name}')`);
  }
  if (m.id !== 'accuracy') return m.id;
  return (units === 1 || loss.id === VALUE.BCE) && loss.targets !== 'classIndices' ? VALUE.BINARY_ACCURACY : VALUE.CATEGORICAL_ACCURACY;
}

// ------------------------------------------------------------------ float64 references

const clip = (p: number) => (Number.isNaN(p) ? p : Math.min(Math.max(p, CLIP_LO), CLIP_HI));
const slope = (p: number) => (p >= CLIP_LO && p <= CLIP_HI ? 1 : 0);

/** One row's value (float64): p[po ..], t[to ..] of length len. Logit ids are in kernels/softmax.ts. */
export function rowValue(id: ValueId, p: ArrayLike<number>, po: number, t: ArrayLike<number>, to: number, len: number): number {
  let acc = 0;
  switch (id) {
    case VALUE.CCE: {
      let sum = 0;
      for (let k = 0; k < len; k++) sum += p[po + k];
      for (let k = 0; k < len; k++) if (t[to + k] !== 0 || Number.isNaN(p[po + k])) acc -= t[to + k] * Math.log(clip(p[po + k] / sum));
      return acc;
    }
    case VALUE.BINARY_ACCURACY:
      for (let k = 0; k < len; k++) acc += p[po + k] > 0.5 === t[to + k] > 0.5 ? 1 : 0;
      return acc / len;
    case VALUE.CATEGORICAL_ACCURACY: {
      let bp = 0;
      let bt = 0;
      for (let k = 1; k < len; k++) {
        if (p[po + k] > p[po + bp]) bp = k;
        if (t[to + k] > t[to + bt]) bt = k;
      }
      return bp === bt ? 1 : 0;
    }
  }
  for (let k = 0; k < len; k++) acc += elementValue(id, p[po + k], t[to + k]);
  return id === VALUE.HALF_SQUARED_ERROR ? acc : acc / len;
}

function elementValue(id: ValueId, p: number, t: number): number {
  const d = p - t;
  switch (id) {
    case VALUE.MSE: return d * d;
    case VALUE.MAE: return Math.abs(d);
    case VALUE.HALF_SQUARED_ERROR: return (d * d) / 2;
    case VALUE.BCE: return Number.isNaN(p) ? NaN : -(t * Math.log(clip(p)) + (1 - t) * Math.log1p(-clip(p)));
    case VALUE.BCE_LOGITS: return Math.max(p, 0) - p * t + Math.log1p(Math.exp(-Math.abs(p)));
    default: throw new Error(`value id ${id} is not elementwise`);
  }
}

/** d(row value)/dp times `scale` (float64) into dp[po ..]. */
export function rowGrad(id: ValueId, p: ArrayLike<number>, po: number, t: ArrayLike<number>, to: number, len: number, scale: number, dp: { [i: number]: number }): void {
  if (id === VALUE.CCE) {
    // L = -sum t_k log c(u_k), u = p / S:  dL/dp_j = (A - t_j c'_j / c_j) / S,  A = sum t_k c'_k u_k / c_k
    let sum = 0;
    for (let k = 0; k < len; k++) sum += p[po + k];
    let a = 0;
    for (let k = 0; k < len; k++) {
      const u = p[po + k] / sum;
      a += (t[to + k] * slope(u) * u) / clip(u);
    }
    for (let k = 0; k < len; k++) {
      const u = p[po + k] / sum;
      dp[po + k] = (scale * (a - (t[to + k] * slope(u)) / clip(u))) / sum;
    }
    return;
  }
  const s = id === VALUE.HALF_SQUARED_ERROR ? scale : scale / len;
  for (let k = 0; k < len; k++) {
    const pv = p[po + k];
    const tv = t[to + k];
    let g: number;
    switch (id) {
      case VALUE.MSE: g = 2 * (pv - tv); break;
      case VALUE.MAE: g = Math.sign(pv - tv); break;
      case VALUE.HALF_SQUARED_ERROR: g = pv - tv; break;
      case VALUE.BCE: g = Number.isNaN(pv) ? NaN : (slope(pv) * (clip(pv) - tv)) / (clip(pv) * (1 - clip(pv))); break;
      case VALUE.BCE_LOGITS: g = 1 / (1 + Math.exp(-pv)) - tv; break;
      default: throw new Error(`value id ${id} has no gradient`);
    }
    dp[po + k] = s * g;
  }
}

// ------------------------------------------------------------------ float32 twins of shaders/lib/losses.wgsl

const fr = Math.fround;
const log32 = (x: number) => fr(Math.log(x));
const log1p32 = (x: number) => fr(Math.log1p(x));

/** `loss_row_value` of shaders/lib/losses.wgsl in float32 steps (plain sums in element order). */
export function rowValue32(id: ValueId, p: ArrayLike<number>, po: number, t: ArrayLike<number>, to: number, len: number): number {
  let s = 0;
  switch (id) {
    case VALUE.CCE: {
      let sum = 0;
      for (let k = 0; k < len; k++) sum = fr(sum + p[po + k]);
      for (let k = 0; k < len; k++) {
        const tk = t[to + k];
        if (tk !== 0 || Number.isNaN(p[po + k])) s = fr(s + fr(tk * log32(clip(fr(p[po + k] / sum)))));
      }
      return -s;
    }
    case VALUE.BINARY_ACCURACY:
    case VALUE.CATEGORICAL_ACCURACY:
      return fr(rowValue(id, p, po, t, to, len));
  }
  for (let k = 0; k < len; k++) {
    const pv = p[po + k];
    const tv = t[to + k];
    const d = fr(pv - tv);
    let v: number;
    switch (id) {
      case VALUE.MSE: v = fr(d * d); break;
      case VALUE.MAE: v = Math.abs(d); break;
      case VALUE.HALF_SQUARED_ERROR: v = fr(fr(d * d) * 0.5); break;
      case VALUE.BCE: {
        const c = clip(pv);
        v = Number.isNaN(pv) ? NaN : -fr(fr(tv * log32(c)) + fr(fr(1 - tv) * log1p32(-c)));
        break;
      }
      default: throw new Error(`value id ${id} is not a trainer value`);
    }
    s = fr(s + v);
  }
  return id === VALUE.HALF_SQUARED_ERROR ? s : fr(s / len);
}

/** `loss_row_grad` of shaders/lib/losses.wgsl in float32 steps: dp[k] = d(row value)/dp_k / nb. */
export function rowGrad32(id: ValueId, p: ArrayLike<number>, po: number, t: ArrayLike<number>, to: number, len: number, nb: number, dp: { [i: number]: number }, dpo: number): void {
  if (id === VALUE.CCE) {
    let sum = 0;
    for (let k = 0; k < len; k++) sum = fr(sum + p[po + k]);
    let a = 0;
    for (let k = 0; k < len; k++) {
      const u = fr(p[po + k] / sum);
      a = fr(a + fr(fr(fr(t[to + k] * slope(u)) * u) / clip(u)));
    }
    for (let k = 0; k < len; k++) {
      const u = fr(p[po + k] / sum);
      dp[dpo + k] = fr(fr(fr(a - fr(fr(t[to + k] * slope(u)) / clip(u))) / sum) / nb);
    }
    return;
  }
  for (let k = 0; k < len; k++) {
    const pv = p[po + k];
    const tv = t[to + k];
    let g: number;
    switch (id) {
      case VALUE.MSE: g = fr(fr(2 * fr(pv - tv)) / len); break;
      case VALUE.MAE: g = fr(Math.sign(fr(pv - tv)) / len); break;
      case VALUE.HALF_SQUARED_ERROR: g = fr(pv - tv); break;
      case VALUE.BCE: {
        const c = clip(pv);
        g = Number.isNaN(pv) ? NaN : fr(fr(fr(slope(pv) * fr(c - tv)) / fr(c * fr(1 - c))) / len);
        break;
      }
      default: throw new Error(`value id ${id} is not a trainer value`);
    }
    dp[dpo + k] = fr(g / nb);
  }
}

/** The loss op name (`rt.lossGrad`) that computes value id `id` on probabilities. */
export function lossOpName(id: ValueId): string {
  const e = LOSSES.find((l) => l.id === id && l.targets !== 'classIndices');
  if (!e) throw new Error(`no loss op computes value id ${id}`);
  return e.name;
}
