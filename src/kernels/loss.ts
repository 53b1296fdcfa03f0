/**
 * Losses and their gradients w.r.t. the prediction: shaders/loss.wgsl (per-sample losses, one
 * invocation per row; one-hot of sparse labels; a deterministic sum), the softmax family for
 * the cross-entropy from logits (softmax fused with it, one workgroup per row), float64 on the CPU.
 */
import lossShader from '../../shaders/loss.wgsl?raw';
import { NNError, checkKeys, formatShape } from '../errors';
import { IDS_LIB, LOSS_TERMS_LIB, MATH_LIB, type ShaderFile } from '../gpu/shaders';
import type { Scheduler } from '../gpu/scheduler';
import type { GpuTensor, Runtime } from '../runtime';
import type { Tensor } from '../tensor';
import type { Tolerance } from '../ulp';
import { VALUE, findLoss, rowGrad, rowValue, type LossEntry, type LossName, type ValueId } from '../losses/table';
import { RowMode, groupsPerBinding, recordRows, recordXentBoth, span, xentBothFits, xentFromLogitsCpu, xentFromLogitsGradCpu } from './softmax';

const KERNEL: ShaderFile = { file: 'loss.wgsl', code: lossShader };
const SHADERS = [MATH_LIB, IDS_LIB, LOSS_TERMS_LIB, KERNEL];

export type Reduction = 'mean' | 'sum' | 'none';

export interface LossOptions {
  /** 'mean' (default: mean of the per-sample losses), 'sum', or 'none' (per-sample losses). */
  reduction?: Reduction;
  /** Cross-entropies only: yPred holds logits (stable log-sigmoid / log-softmax form, no clipping). */
  fromLogits?: boolean;
}

export { EPSILON, LOSS_NAMES, type LossName } from '../losses/table';

/** The canonical loss name for a name or Keras/TensorFlow.js alias; throws NNError otherwise. */
export function resolveLossName(name: unknown): LossName {
  return findLoss('loss', name).name;
}

interface Plan {
  name: LossName;
  entry: LossEntry;
  reduction: Reduction;
  fromLogits: boolean;
  /** samples (rows) and row length (last axis of yPred) */
  rows: number;
  len: number;
  sampleShape: number[];
  sparse: boolean;
}

function plan(rt: Runtime, op: string, name: unknown, yPred: Tensor, yTrue: Tensor, options: unknown): Plan {
  const entry = findLoss(`loss${op}`, name);
  const canonical = entry.name;
  const where = `${canonical}${op}`;
  rt.checkTensor(where, yPred, 'yPred');
  rt.checkTensor(where, yTrue, 'yTrue');
  let opts: LossOptions = {};
  if (options !== undefined) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new NNError(`${where}: options must be an object like {reduction: 'mean'}, got ${String(options)}`);
    const isXent = canonical === 'binaryCrossentropy' || canonical === 'categoricalCrossentropy' || canonical === 'sparseCategoricalCrossentropy';
    const known = isXent ? ['reduction', 'fromLogits'] : ['reduction'];
    checkKeys(where, options, known);
    opts = options as LossOptions;
  }
  const reduction = opts.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new NNError(`${where}: reduction must be 'mean', 'sum' or 'none', got ${String(reduction)}`);
  }
  if (opts.fromLogits !== undefined && typeof opts.fromLogits !== 'boolean') throw new NNError(`${where}: fromLogits must be true or false, got ${String(opts.fromLogits)}`);
  const ps = yPred.shape;
  if (ps.length === 0) throw new NNError(`${where}: expected yPred of rank >= 1 (samples along the leading axes, outputs along the last), got a scalar`);
  const sampleShape = ps.slice(0, -1);
  const len = ps[ps.length - 1];
  const rows = sampleShape.reduce((p, d) => p * d, 1);
  const sparse = canonical === 'sparseCategoricalCrossentropy';
  const ts = yTrue.shape;
  if (sparse) {
    const ok = (ts.length === sampleShape.length && sampleShape.every((d, i) => d === ts[i])) ||
      (ts.length === ps.length && ts[ts.length - 1] === 1 && sampleShape.every((d, i) => d === ts[i]));
    if (!ok) throw new NNError(`${where}: expected yTrue (class indices) of shape ${formatShape(sampleShape)} or ${formatShape([...sampleShape, 1])} for yPred ${formatShape(ps)}, got ${formatShape(ts)}`);
  } else if (ts.length !== ps.length || ts.some((d, i) => d !== ps[i])) {
    throw new NNError(`${where}: expected yTrue of shape ${formatShape(ps)}, got ${formatShape(ts)}`);
  }
  if ((canonical === 'categoricalCrossentropy' || sparse) && len === 0) throw new NNError(`${where}: yPred ${formatShape(ps)} has no classes`);
  return { name: canonical, entry, reduction, fromLogits: !!opts.fromLogits, rows, len, sampleShape, sparse };
}

/** The value id loss.wgsl computes, or null for softmax cross-entropy from logits (softmax.wgsl). */
function lossId(p: Plan): ValueId | null {
  const id = p.fromLogits && p.entry.logitsId !== null ? p.entry.logitsId : p.entry.id;
  return id === VALUE.CCE_LOGITS ? null : id;
}

// ------------------------------------------------------------------ GPU recording

function lossParams(p: { rows: number; len: number; baseIn: number; baseOut: number; scale?: number }): Uint8Array {
  const buf = new ArrayBuffer(32);
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  u[0] = p.rows;
  u[1] = p.len;
  u[2] = p.baseIn;
  u[3] = p.baseOut;
  f[4] = p.scale ?? 1;
  return new Uint8Array(buf);
}

const WG = 64;

/** Per-row loss (entry 'forward') or gradient ('backward') over [rows, len], split to fit bindings. */
function recordLossRows(s: Scheduler, label: string, entry: 'forward' | 'backward', id: ValueId, pred: GPUBuffer, tgt: GPUBuffer, out: GPUBuffer, rows: number, len: number, scale: number): void {
  if (rows === 0) return;
  const pipeline = s.pipeline(SHADERS, entry, { LOSS: id, WG }, `${label.split(' ')[0]}:${entry}`);
  const per = groupsPerBinding(s, label, Math.max(1, len), 'a sample');
  for (let r0 = 0; r0 < rows; r0 += per) {
    const r1 = Math.min(rows, r0 + per);
    const P = span(pred, r0 * len, r1 * len);
    const T = span(tgt, r0 * len, r1 * len);
    const O = entry === 'forward' ? span(out, r0, r1) : span(out, r0 * len, r1 * len);
    s.dispatch({
      label,
      pipeline,
      bindings: [bind(0, P), bind(1, T), bind(2, O)],
      uniform: lossParams({ rows: r1 - r0, len, baseIn: P.base, baseOut: O.base, scale }),
      uniformBinding: 3,
      workgroups: Math.ceil((r1 - r0) / WG),
    });
  }
}

function recordOneHot(s: Scheduler, label: string, labels: GPUBuffer, out: GPUBuffer, rows: number, len: number): void {
  const pipeline = s.pipeline(SHADERS, 'one_hot', { WG }, `${label.split(' ')[0]}:one_hot`);
  const per = groupsPerBinding(s, label, len, 'a sample');
  for (let r0 = 0; r0 < rows; r0 += per) {
    const r1 = Math.min(rows, r0 + per);
    const L = span(labels, r0, r1);
    const O = span(out, r0 * len, r1 * len);
    s.dispatch({
      label,
      pipeline,
      bindings: [bind(1, L), bind(2, O)],
      uniform: lossParams({ rows: r1 - r0, len, baseIn: L.base, baseOut: O.base }),
      uniformBinding: 3,
      workgroups: Math.ceil(((r1 - r0) * len) / WG),
    });
  }
}

const RWG = 256;
const PER = 16;

/** out[0] = scale * sum(x[0..n)), by passes of deterministic workgroup sums. */
export function recordSum(s: Scheduler, label: string, x: GPUBuffer, n: number, out: GPUBuffer, scale: number): void {
  const pipeline = s.pipeline(SHADERS, 'reduce_sum', { WG: RWG, PER }, `${label.split(' ')[0]}:reduce_sum`);
  if (n === 0) {
    s.write(out, 0, Float32Array.of(scale === Infinity ? NaN : 0));
    return;
  }
  if (n * 4 > s.maxBindingBytes) throw new NNError(`${label}: ${n} per-sample losses exceed this adapter's storage binding limit (${s.maxBindingBytes} bytes)`);
  const temps: GPUBuffer[] = [];
  let src = x;
  let count = n;
  do {
    const groups = Math.max(1, Math.ceil(count / (RWG * PER)));
    const last = groups === 1;
    const dst = last ? out : s.createStorage(Math.ceil(groups / 4) * 16, `${label}:partial sums`);
    if (!last) temps.push(dst);
    s.dispatch({
      label,
      pipeline,
      bindings: [{ binding: 0, buffer: src, offset: 0, size: Math.max(16, Math.ceil(count / 4) * 16) }, { binding: 2, buffer: dst, offset: 0, size: Math.max(16, Math.ceil(groups / 4) * 16) }],
      uniform: lossParams({ rows: count, len: 1, baseIn: 0, baseOut: 0, scale: last ? scale : 1 }),
      uniformBinding: 3,
      workgroups: groups,
    });
    src = dst;
    count = groups;
  } while (src !== out);
  for (const t of temps) s.releaseStorage(t);
}

function bind(binding: number, r: { buffer: GPUBuffer; offset: number; size: number }) {
  return { binding, buffer: r.buffer, offset: r.offset, size: r.size };
}

/** Dense targets on the GPU: yTrue itself, or one-hot rows made from sparse labels (released by `done`). */
function denseTargets(s: Scheduler, label: string, p: Plan, yTrue: GpuTensor): { buffer: GPUBuffer; done(): void } {
  if (!p.sparse) return { buffer: yTrue.buffer, done: () => undefined };
  const buffer = s.createStorage(Math.max(16, Math.ceil((p.rows * p.len) / 4) * 16), `${label}:one-hot`);
  recordOneHot(s, label, yTrue.buffer, buffer, p.rows, p.len);
  return { buffer, done: () => s.releaseStorage(buffer) };
}

// ------------------------------------------------------------------ CPU reference (float64)

/** Sparse labels to one-hot rows; throws NNError naming the first bad label. */
function oneHotCpu(op: string, labels: Float32Array, rows: number, len: number): Float32Array {
  const t = new Float32Array(rows * len);
  for (let r = 0; r < rows; r++) {
    const c = labels[r];
    checkLabel(op, c, r, len);
    t[r * len + c] = 1;
  }
  return t;
}

function checkBinaryTargets(op: string, t: Float32Array): void {
  for (let i = 0; i < t.length; i++) {
    if (!(t[i] >= 0 && t[i] <= 1)) throw new NNError(`${op}: target ${t[i]} at index ${i} is outside [0, 1]`);
  }
}

/** loss[row] over [rows, len] rows of p (prediction) and t (dense targets). */
function perSampleCpu(loss: Float64Array, id: ValueId | null, p: Float32Array, t: Float32Array, rows: number, len: number): void {
  if (id === null) return xentFromLogitsCpu(loss, p, t, rows, len);
  for (let r = 0; r < rows; r++) loss[r] = rowValue(id, p, r * len, t, r * len, len);
}

/** dp over [rows, len]: scale * d(per-sample loss)/dp. */
function gradCpu(dp: Float32Array, id: ValueId | null, p: Float32Array, t: Float32Array, rows: number, len: number, scale: number): void {
  if (id === null) return xentFromLogitsGradCpu(dp, p, t, rows, len, scale);
  for (let r = 0; r < rows; r++) rowGrad(id, p, r * len, t, r * len, len, scale, dp);
}

/**
 * Sparse labels must be class indices and binary targets lie in [0, 1]. The values are checked
 * on the host where they are at hand (the CPU path, a small uploaded tensor): a throw now;
 * otherwise they are read back and a bad value is reported to the next read or sync.
 */
function checkTargets(rt: Runtime, op: string, p: Plan, yTrue: Tensor): void {
  if (p.sparse) {
    rt.checkValues(yTrue, (t) => {
      for (let r = 0; r < p.rows; r++) checkLabel(op, t[r], r, p.len);
    });
  } else if (p.name === 'binaryCrossentropy') {
    rt.checkValues(yTrue, (t) => checkBinaryTargets(op, t));
  }
}

function checkLabel(op: string, c: number, r: number, len: number): void {
  if (!Number.isInteger(c) || c < 0 || c >= len) {
    throw new NNError(`${op}: label ${c} at index ${r} is not a class index: expected an integer in [0, ${len - 1}]`);
  }
}

function cpuTargets(op: string, p: Plan, t: Float32Array): Float32Array {
  if (p.sparse) return oneHotCpu(op, t, p.rows, p.len);
  if (p.name === 'binaryCrossentropy') checkBinaryTargets(op, t);
  return t;
}

/** Sum in float64, pairwise (a stable order for the reference). */
function pairwiseSum(x: Float64Array, lo = 0, hi = x.length): number {
  if (hi - lo <= 8) {
    let s = 0;
    for (let i = lo; i < hi; i++) s += x[i];
    return s;
  }
  const mid = (lo + hi) >> 1;
  return pairwiseSum(x, lo, mid) + pairwiseSum(x, mid, hi);
}

// ------------------------------------------------------------------ ops

const LOSS_TOL: Tolerance = { rtol: 1e-6, atol: 1e-12 };

/**
 * The loss of `yPred` against `yTrue`: a scalar (shape []) for 'mean' / 'sum', or per-sample
 * losses (yPred's shape without its last axis) for 'none'.
 * Label / target values are checked (NNError): at once where the values are on the host (the
 * CPU path, small tensors uploaded with `rt.tensor`), else on the next read or sync.
 */
export function lossForward(rt: Runtime, name: string, yPred: Tensor, yTrue: Tensor, options?: LossOptions): Tensor {
  const p = plan(rt, '', name, yPred, yTrue, options);
  const id = lossId(p);
  const label = `${p.name}.forward ${formatShape(yPred.shape)}`;
  checkTargets(rt, label, p, yTrue);
  const outShape = p.reduction === 'none' ? p.sampleShape : [];
  const scale = p.reduction === 'mean' ? 1 / p.rows : 1;
  return rt.run({
    op: label,
    inputs: [yPred, yTrue],
    outputs: [outShape],
    tolerance: LOSS_TOL,
    gpu: (s, [pg, tg], [out]) => {
      const targets = denseTargets(s, label, p, tg);
      const perSample = p.reduction === 'none' ? out.buffer : s.createStorage(Math.max(16, Math.ceil(p.rows / 4) * 16), `${label}:per-sample`);
      try {
        if (id === null) {
          const t: GpuTensor = { buffer: targets.buffer, size: pg.size, shape: pg.shape };
          recordRows(s, label, RowMode.Xent, pg, t, { buffer: perSample, size: p.rows, shape: p.sampleShape }, { axis: 0, outer: p.rows, len: p.len, inner: 1 });
        } else {
          recordLossRows(s, label, 'forward', id, pg.buffer, targets.buffer, perSample, p.rows, p.len, 1);
        }
        if (p.reduction !== 'none') recordSum(s, label, perSample, p.rows, out.buffer, scale);
      } finally {
        targets.done();
        if (perSample !== out.buffer) s.releaseStorage(perSample);
      }
    },
    cpu: ([ps, ts], [out]) => {
      const t = cpuTargets(label, p, ts);
      const per = new Float64Array(p.rows);
      perSampleCpu(per, id, ps, t, p.rows, p.len);
      if (p.reduction === 'none') out.set(per);
      else out[0] = pairwiseSum(per) * scale;
    },
  })[0];
}

/** d(loss)/d(yPred) for the same reduction ('none': each sample's own gradient). */
export function lossBackward(rt: Runtime, name: string, yPred: Tensor, yTrue: Tensor, options?: LossOptions): Tensor {
  const p = plan(rt, '.backward', name, yPred, yTrue, options);
  const id = lossId(p);
  const label = `${p.name}.backward ${formatShape(yPred.shape)}`;
  checkTargets(rt, label, p, yTrue);
  const scale = p.reduction === 'mean' ? 1 / p.rows : 1;
  return rt.run({
    op: label,
    inputs: [yPred, yTrue],
    outputs: [yPred.shape],
    // absolute part: cancellation in p * sum(t) - t and similar differences of O(1) terms
    tolerance: { rtol: 1e-5, atol: 1e-7 * scale },
    gpu: (s, [pg, tg], [dp]) => {
      const targets = denseTargets(s, label, p, tg);
      try {
        if (id === null) {
          const t: GpuTensor = { buffer: targets.buffer, size: pg.size, shape: pg.shape };
          recordRows(s, label, RowMode.XentGrad, pg, t, dp, { axis: 0, outer: p.rows, len: p.len, inner: 1 }, scale);
        } else {
          recordLossRows(s, label, 'backward', id, pg.buffer, targets.buffer, dp.buffer, p.rows, p.len, scale);
        }
      } finally {
        targets.done();
      }
    },
    cpu: ([ps, ts], [dp]) => gradCpu(dp, id, ps, cpuTargets(label, p, ts), p.rows, p.len, scale),
  })[0];
}

/**
 * The loss and its gradient together: `{loss, grad}`, equal to `lossForward` and `lossBackward`.
 * Softmax cross-entropy from logits (categorical or sparse) reads each row once for both on
 * the GPU; the other losses record the two ops.
 */
export function lossAndGrad(rt: Runtime, name: string, yPred: Tensor, yTrue: Tensor, options?: LossOptions): { loss: Tensor; grad: Tensor } {
  const p = plan(rt, '', name, yPred, yTrue, options);
  if (lossId(p) !== null || !xentBothFits(p.len) || p.rows === 0) {
    return { loss: lossForward(rt, name, yPred, yTrue, options), grad: lossBackward(rt, name, yPred, yTrue, options) };
  }
  const label = `${p.name}.forward+backward ${formatShape(yPred.shape)}`;
  checkTargets(rt, label, p, yTrue);
  const scale = p.reduction === 'mean' ? 1 / p.rows : 1;
  const [loss, grad] = rt.run({
    op: label,
    inputs: [yPred, yTrue],
    outputs: [p.reduction === 'none' ? p.sampleShape : [], yPred.shape],
    tolerance: { rtol: 1e-5, atol: 1e-7 * scale },
    gpu: (s, [pg, tg], [out, dp]) => {
      const targets = denseTargets(s, label, p, tg);
      const perSample = p.reduction === 'none' ? out.buffer : s.createStorage(Math.max(16, Math.ceil(p.rows / 4) * 16), `${label}:per-sample`);
      try {
        recordXentBoth(s, label, pg, targets.buffer, dp, perSample, p.rows, p.len, scale);
        if (p.reduction !== 'none') recordSum(s, label, perSample, p.rows, out.buffer, scale);
      } finally {
        targets.done();
        if (perSample !== out.buffer) s.releaseStorage(perSample);
      }
    },
    cpu: ([ps, ts], [out, dp]) => {
      const t = cpuTargets(label, p, ts);
      const per = new Float64Array(p.rows);
      perSampleCpu(per, null, ps, t, p.rows, p.len);
      if (p.reduction === 'none') out.set(per);
      else out[0] = pairwiseSum(per) * scale;
      gradCpu(dp, null, ps, t, p.rows, p.len, scale);
    },
  });
  return { loss, grad };
}
