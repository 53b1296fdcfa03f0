/**
 * Softmax and log-softmax over any axis, their backward, and the fused softmax cross-entropy
 * from logits used by the losses: shaders/softmax*.wgsl on the GPU, float64 loops on the CPU.
 * Which kernel, how many lanes and which cross-lane reductions: a plan made once per scheduler
 * from its device profile (`rowPlan`).
 */
import softmaxShader from '../../shaders/softmax.wgsl?raw';
import softmaxRegShader from '../../shaders/softmax_reg.wgsl?raw';
import softmaxLongShader from '../../shaders/softmax_long.wgsl?raw';
import rowsLib from '../../shaders/lib/rows.wgsl?raw';
import reduceWorkgroupLib from '../../shaders/lib/reduce_workgroup.wgsl?raw';
import reduceSubgroupLib from '../../shaders/lib/reduce_subgroup.wgsl?raw';
import { NNError, checkKeys, formatShape } from '../errors';
import { MATH_LIB, type ShaderFile } from '../gpu/shaders';
import type { Scheduler } from '../gpu/scheduler';
import type { GpuTensor, Runtime } from '../runtime';
import type { Tensor } from '../tensor';

const ROWS_LIB: ShaderFile = { file: 'lib/rows.wgsl', code: rowsLib };
const REDUCE_WORKGROUP_LIB: ShaderFile = { file: 'lib/reduce_workgroup.wgsl', code: reduceWorkgroupLib };
const REDUCE_SUBGROUP_LIB: ShaderFile = { file: 'lib/reduce_subgroup.wgsl', code: reduceSubgroupLib };
const SOFTMAX_KERNEL: ShaderFile = { file: 'softmax.wgsl', code: softmaxShader };
const SOFTMAX_REG_KERNEL: ShaderFile = { file: 'softmax_reg.wgsl', code: softmaxRegShader };
const SOFTMAX_LONG_KERNEL: ShaderFile = { file: 'softmax_long.wgsl', code: softmaxLongShader };

/**
 * The modules of the family: softmax.wgsl, and the register and long-row kernels with either
 * reduction library (the subgroup one first: its `enable` has to open the module).
 */
export const SOFTMAX_MODULES = {
  rows: [MATH_LIB, ROWS_LIB, SOFTMAX_KERNEL],
  regWorkgroup: [MATH_LIB, ROWS_LIB, REDUCE_WORKGROUP_LIB, SOFTMAX_REG_KERNEL],
  regSubgroup: [REDUCE_SUBGROUP_LIB, MATH_LIB, ROWS_LIB, SOFTMAX_REG_KERNEL],
  longWorkgroup: [MATH_LIB, ROWS_LIB, REDUCE_WORKGROUP_LIB, SOFTMAX_LONG_KERNEL],
  longSubgroup: [REDUCE_SUBGROUP_LIB, MATH_LIB, ROWS_LIB, SOFTMAX_LONG_KERNEL],
} as const satisfies Record<string, readonly ShaderFile[]>;

/** MODE of lib/rows.wgsl. */
export const enum RowMode {
  Softmax = 0,
  LogSoftmax = 1,
  SoftmaxGrad = 2,
  LogSoftmaxGrad = 3,
  Xent = 4,
  XentGrad = 5,
  XentBoth = 6,
}

/** Rows up to this length run one invocation per row (several rows per workgroup). */
export const SMALL_ROW = 16;
/** Softmax / log-softmax rows up to this length run one invocation per row (`rows_lane`). */
export const LANE_ROW = 16;
/** Rows longer than this are split into chunks of CHUNK elements, one workgroup each. */
export const CHUNK = 8192;

export interface AxisOptions {
  /** Axis to normalise over; negative counts from the end. Default -1 (the last). */
  axis?: number;
}

/** The tensor seen as [outer, len, inner] around `axis`. */
export interface RowView {
  axis: number;
  outer: number;
  len: number;
  inner: number;
}

export function rowView(op: string, shape: readonly number[], axis: unknown = -1): RowView {
  if (shape.length === 0) throw new NNError(`${op}: expected a tensor of rank >= 1, got a scalar (shape [])`);
  if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < -shape.length || axis >= shape.length) {
    throw new NNError(`${op}: axis ${String(axis)} is out of range for shape ${formatShape(shape)} (expected an integer in [${-shape.length}, ${shape.length - 1}])`);
  }
  const ax = axis < 0 ? axis + shape.length : axis;
  const prod = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);
  return { axis: ax, outer: prod(shape.slice(0, ax)), len: shape[ax], inner: prod(shape.slice(ax + 1)) };
}

function checkOptions(op: string, opts: unknown, allowed: string[]): Record<string, unknown> {
  if (opts === undefined) return {};
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new NNError(`${op}: options must be an object like {axis: -1}, got ${String(opts)}`);
  checkKeys(op, opts, allowed);
  return opts as Record<string, unknown>;
}

// ------------------------------------------------------------------ GPU recording

/** A binding range covering elements [start, end) of a buffer, and the element offset of `start` in it. */
export function span(buffer: GPUBuffer, start: number, end: number): { buffer: GPUBuffer; offset: number; size: number; base: number } {
  const offset = Math.floor((start * 4) / 256) * 256;
  const size = Math.max(16, Math.ceil((end * 4) / 16) * 16 - offset);
  return { buffer, offset, size, base: start - offset / 4 };
}

/** Largest number of `unit`-element groups one binding may hold (room left for the 256-byte alignment). */
export function groupsPerBinding(s: Scheduler, op: string, unit: number, what: string): number {
  const n = Math.floor((s.maxBindingBytes - 272) / (unit * 4));
  if (n < 1) {
    throw new NNError(`${op}: ${what} of ${unit} elements (${unit * 4} bytes, plus up to 272 bytes for the 256-byte alignment of a binding's offset) is larger than this adapter's storage binding limit (${s.maxBindingBytes} bytes); use a smaller axis length`);
  }
  return n;
}

/** How the family runs on one device. */
export interface RowPlan {
  /** Lanes of the register kernels (rows_reg, rows_reg2, the long-row kernels), and G = sqrt(WG). */
  readonly WG: number;
  readonly G: number;
  /** vec4 slots per lane of the register kernels: rows up to 4 * kmax * WG take them. */
  readonly kmax: number;
  /** Cross-lane reductions by subgroup operations (WG = the subgroup size), else workgroup memory. */
  readonly subgroups: boolean;
  readonly regModule: readonly ShaderFile[];
  readonly longModule: readonly ShaderFile[];
  /** Lanes of `rows` (one workgroup per row) below and from 2048 elements, and of the chunked kernels. */
  readonly rowsWG: number;
  readonly rowsWGLong: number;
  readonly chunkWG: number;
  /** Longest gradient / cross-entropy rows on the register path (0: none). */
  readonly reg2Max: number;
  /** Rows per workgroup of the register kernels, fixed (0: from the number of rows). */
  readonly rowsPerGroup: number;
  readonly software: boolean;
  /** Long rows: workgroups a dispatch aims for, the shortest chunk, or a fixed chunk (0: planned). */
  readonly longGroups: number;
  readonly longMinChunk: number;
  readonly longChunk: number;
}

/** Register slots (vec4) per lane: a private array, so kept small on GPUs (registers). KMAX of softmax_reg.wgsl is the larger. */
const KMAX_SOFTWARE = 64;
const KMAX_GPU = 8;
/**
 * Longest rows of gradients and cross-entropy that take the register path on CPU adapters. Paired
 * on lavapipe against the one-workgroup-per-row kernel: 2.8-5.5x faster at 64 elements, 1.8-3x at
 * 100, even at 300, 0.83-0.94x from 600 to 2,000 (two register arrays of up to 64 vec4s per lane
 * cost more than they save there).
 */
const REG2_MAX_SOFTWARE = 256;
/** Workgroups a long-row dispatch aims for before it splits rows into chunks (all cores busy). */
const LONG_GROUPS_SOFTWARE = 8;
const LONG_GROUPS_GPU = 512;
/** Shortest chunk of a split long row (a workgroup's fixed cost is high on CPU adapters). */
const LONG_MIN_CHUNK_SOFTWARE = 1 << 16;
const LONG_MIN_CHUNK_GPU = 1 << 13;

function makeRowPlan(s: Scheduler): RowPlan {
  const { software, subgroupSize, maxWorkgroupSize } = s.profile;
  const t = s.tuning;
  const subgroups = subgroupSize > 0;
  const kmax = software ? KMAX_SOFTWARE : KMAX_GPU;
  const WG = subgroups ? subgroupSize : software ? 16 : 64;
  // workgroup-memory reductions need WG = G * G; 256 where the device allows it
  const wide = maxWorkgroupSize >= 256 ? 256 : 64;
  return Object.freeze({
    WG,
    G: Math.round(Math.sqrt(WG)),
    kmax,
    subgroups,
    regModule: subgroups ? SOFTMAX_MODULES.regSubgroup : SOFTMAX_MODULES.regWorkgroup,
    longModule: subgroups ? SOFTMAX_MODULES.longSubgroup : SOFTMAX_MODULES.longWorkgroup,
    // CPU adapters (lavapipe) pay per invocation and per barrier: 16 lanes measured ~1.5x faster than 64
    rowsWG: software ? 16 : 64,
    rowsWGLong: software ? 16 : wide,
    chunkWG: software ? 16 : wide,
    reg2Max: t.reg2 === 'never' ? 0 : t.reg2 === 'always' || !software ? 4 * kmax * WG : Math.min(REG2_MAX_SOFTWARE, 4 * kmax * WG),
    rowsPerGroup: t.rowsPerGroup ?? 0,
    software,
    longGroups: software ? LONG_GROUPS_SOFTWARE : LONG_GROUPS_GPU,
    longMinChunk: software ? LONG_MIN_CHUNK_SOFTWARE : LONG_MIN_CHUNK_GPU,
    longChunk: t.longChunk ?? 0,
  });
}

/** This scheduler's plan for the family (made once, from `s.profile` and `s.tuning`). */
export function rowPlan(s: Scheduler): RowPlan {
  return s.plan(makeRowPlan);
}

/** Rows per workgroup of the register kernels (workgroups have a high fixed cost on CPU adapters). */
function regRows(plan: RowPlan, rows: number): number {
  if (plan.rowsPerGroup > 0) return plan.rowsPerGroup;
  if (!plan.software) return 1;
  return Math.max(1, Math.min(16, Math.floor(rows / 64)));
}

/** Slots per lane for a row of `len`: exact up to 8, then a multiple of 8 (fewer pipelines). */
function regSlots(len: number, WG: number): number {
  const k = Math.ceil(len / (4 * WG));
  return k <= 8 ? k : Math.ceil(k / 8) * 8;
}

function packParams(p: { rows: number; len: number; nchunk?: number; chunk?: number; baseIn: number; baseOut: number; inner?: number; scale?: number; baseLoss?: number }): Uint8Array {
  const buf = new ArrayBuffer(48);
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  u[0] = p.rows;
  u[1] = p.len;
  u[2] = p.nchunk ?? 1;
  u[3] = p.chunk ?? p.len;
  u[4] = p.baseIn;
  u[5] = p.baseOut;
  u[6] = p.inner ?? 1;
  f[7] = p.scale ?? 1;
  u[8] = p.baseLoss ?? 0;
  return new Uint8Array(buf);
}

/**
 * Records `mode` over a [outer, len, inner] view of `a` (and `b`, same shape). Writes `out`
 * of the same shape, or one value per row for Xent (inner must be 1 then).
 */
export function recordRows(s: Scheduler, label: string, mode: RowMode, a: GpuTensor, b: GpuTensor | null, out: GpuTensor, v: RowView, scale = 1): void {
  const { outer, len, inner } = v;
  if (outer * len * inner === 0) {
    if (mode === RowMode.Xent && outer > 0) throw new NNError(`${label}: rows of length 0 have no cross-entropy`);
    return;
  }
  const bBuf = (b ?? a).buffer;
  const perRowOut = mode === RowMode.Xent;
  const kernel = label.split(' ')[0];
  const plan = rowPlan(s);
  if (inner > 1) {
    const WG = 64;
    const pipeline = s.pipeline(SOFTMAX_MODULES.rows, 'strided', { MODE: mode, WG, G: 8, VEC4: 0 }, `${kernel}:strided`);
    const slab = len * inner;
    const per = groupsPerBinding(s, label, slab, 'a slice along the axis');
    for (let o0 = 0; o0 < outer; o0 += per) {
      const o1 = Math.min(outer, o0 + per);
      const A = span(a.buffer, o0 * slab, o1 * slab);
      const B = span(bBuf, o0 * slab, o1 * slab);
      const O = span(out.buffer, o0 * slab, o1 * slab);
      const cols = (o1 - o0) * inner;
      s.dispatch({
        label,
        pipeline,
        bindings: [bind(0, A), bind(1, B), bind(2, O)],
        uniform: packParams({ rows: cols, len, baseIn: A.base, baseOut: O.base, inner, scale }),
        uniformBinding: 3,
        workgroups: Math.ceil(cols / WG),
      });
    }
    return;
  }
  const rows = outer;
  const per = groupsPerBinding(s, label, len, 'a row');
  const vec4 = len % 4 === 0 ? 1 : 0;
  if (mode === RowMode.Softmax || mode === RowMode.LogSoftmax) {
    const lane = len <= LANE_ROW;
    if (lane || len <= 4 * plan.kmax * plan.WG) {
      // rows_lane: WG = 64 independent lanes (the module's reductions go unused)
      const WG = lane ? 64 : plan.WG;
      const ROWS = lane ? WG : regRows(plan, rows);
      const KN = lane ? Math.ceil(len / 4) : regSlots(len, WG);
      const entry = lane ? 'rows_lane' : 'rows_reg';
      const consts = { MODE: mode, WG, G: Math.round(Math.sqrt(WG)), VEC4: vec4, KN, ROWS: lane ? 1 : ROWS };
      const pipeline = s.pipeline(plan.regModule, entry, consts, `${kernel}:${entry}`);
      for (let r0 = 0; r0 < rows; r0 += per) {
        const r1 = Math.min(rows, r0 + per);
        const A = span(a.buffer, r0 * len, r1 * len);
        const O = span(out.buffer, r0 * len, r1 * len);
        s.dispatch({
          label,
          pipeline,
          bindings: [bind(0, A), bind(2, O)],
          uniform: packParams({ rows: r1 - r0, len, baseIn: A.base, baseOut: O.base, scale }),
          uniformBinding: 3,
          workgroups: Math.ceil((r1 - r0) / ROWS),
        });
      }
      return;
    }
    recordLong(s, plan, label, kernel, mode, a, out, rows, len, per, vec4);
    return;
  }
  if (len > SMALL_ROW && len <= plan.reg2Max) {
    recordReg2(s, plan, label, kernel, mode, a, bBuf, out, rows, len, per, vec4, scale);
    return;
  }
  let entry: 'rows_small' | 'rows' | 'chunked';
  let WG: number;
  if (len <= SMALL_ROW) {
    entry = 'rows_small';
    WG = 64;
  } else if (len <= CHUNK) {
    entry = 'rows';
    WG = len >= 2048 ? plan.rowsWGLong : plan.rowsWG;
  } else {
    entry = 'chunked';
    WG = plan.chunkWG;
  }
  const G = Math.round(Math.sqrt(WG));
  const consts = { MODE: mode, WG, G, VEC4: vec4 };
  const nchunk = entry === 'chunked' ? Math.ceil(len / CHUNK) : 1;
  const module = SOFTMAX_MODULES.rows;
  let part: GPUBuffer | null = null;
  if (entry === 'chunked') part = s.createStorage(Math.min(per, rows) * nchunk * 32, `${kernel}:partials`);
  try {
    for (let r0 = 0; r0 < rows; r0 += per) {
      const r1 = Math.min(rows, r0 + per);
      const n = r1 - r0;
      const A = span(a.buffer, r0 * len, r1 * len);
      const B = span(bBuf, r0 * len, r1 * len);
      const O = perRowOut ? span(out.buffer, r0, r1) : span(out.buffer, r0 * len, r1 * len);
      const io = [bind(0, A), bind(1, B), bind(2, O)];
      const uniform = packParams({ rows: n, len, nchunk, chunk: CHUNK, baseIn: A.base, baseOut: O.base, scale });
      if (entry === 'chunked') {
        const P = { buffer: part!, offset: 0, size: n * nchunk * 32 };
        s.dispatch({ label, pipeline: s.pipeline(module, 'rows_partial', consts, `${kernel}:rows_partial`), bindings: [io[0], io[1], bind(5, P)], uniform, uniformBinding: 3, workgroups: n * nchunk });
        s.dispatch({ label, pipeline: s.pipeline(module, 'rows_finish', consts, `${kernel}:rows_finish`), bindings: [...io, bind(4, P)], uniform, uniformBinding: 3, workgroups: n * nchunk });
      } else {
        const workgroups = entry === 'rows' ? n : Math.ceil(n / WG);
        s.dispatch({ label, pipeline: s.pipeline(module, entry, consts, `${kernel}:${entry}`), bindings: io, uniform, uniformBinding: 3, workgroups });
      }
    }
  } finally {
    if (part) s.releaseStorage(part);
  }
}

/**
 * Modes 2-6 on medium rows: `rows_reg2` (or `rows_reg_xent_both` for mode 6, whose per-row
 * losses go to `perRow`), with rows_reg's lanes, slots and reductions.
 */
function recordReg2(s: Scheduler, plan: RowPlan, label: string, kernel: string, mode: RowMode, a: GpuTensor, b: GPUBuffer, out: GpuTensor, rows: number, len: number, per: number, vec4: number, scale: number, perRow: GPUBuffer | null = null): void {
  const WG = plan.WG;
  const ROWS = regRows(plan, rows);
  const entry = mode === RowMode.XentBoth ? 'rows_reg_xent_both' : 'rows_reg2';
  const consts = { MODE: mode, WG, G: plan.G, VEC4: vec4, KN: regSlots(len, WG), ROWS };
  const pipeline = s.pipeline(plan.regModule, entry, consts, `${kernel}:${entry}`);
  for (let r0 = 0; r0 < rows; r0 += per) {
    const r1 = Math.min(rows, r0 + per);
    const A = span(a.buffer, r0 * len, r1 * len);
    const B = span(b, r0 * len, r1 * len);
    const O = mode === RowMode.Xent ? span(out.buffer, r0, r1) : span(out.buffer, r0 * len, r1 * len);
    const L = perRow ? span(perRow, r0, r1) : null;
    s.dispatch({
      label,
      pipeline,
      bindings: L ? [bind(0, A), bind(1, B), bind(2, O), bind(6, L)] : [bind(0, A), bind(1, B), bind(2, O)],
      uniform: packParams({ rows: r1 - r0, len, baseIn: A.base, baseOut: O.base, scale, baseLoss: L?.base ?? 0 }),
      uniformBinding: 3,
      workgroups: Math.ceil((r1 - r0) / ROWS),
    });
  }
}

/**
 * Chunks per row for softmax / log-softmax rows longer than rows_reg takes: 1 (`rows_long`, one
 * workgroup per row, one dispatch) when there are enough rows to fill the adapter, else enough
 * chunks (a multiple of 4 * WG elements, at least the minimum chunk) for `long_stats` + `long_write`.
 */
export function longPlan(plan: RowPlan, rows: number, len: number): { nchunk: number; chunk: number } {
  const unit = 4 * plan.WG;
  if (plan.longChunk > 0) {
    const chunk = Math.ceil(plan.longChunk / unit) * unit;
    return { nchunk: Math.ceil(len / chunk), chunk };
  }
  const n = Math.min(Math.ceil(plan.longGroups / rows), Math.floor(len / plan.longMinChunk));
  if (n <= 1) return { nchunk: 1, chunk: len };
  const chunk = Math.ceil(len / n / unit) * unit;
  return { nchunk: Math.ceil(len / chunk), chunk };
}

function recordLong(s: Scheduler, plan: RowPlan, label: string, kernel: string, mode: RowMode, a: GpuTensor, out: GpuTensor, rows: number, len: number, per: number, vec4: number): void {
  const { WG, G } = plan;
  // rows per dispatch: as even as the binding limit allows
  const per2 = Math.ceil(rows / Math.ceil(rows / per));
  const consts = { MODE: mode, WG, G, VEC4: vec4 };
  const parts: GPUBuffer[] = [];
  try {
    for (let r0 = 0; r0 < rows; r0 += per2) {
      const r1 = Math.min(rows, r0 + per2);
      const n = r1 - r0;
      const A = span(a.buffer, r0 * len, r1 * len);
      const O = span(out.buffer, r0 * len, r1 * len);
      const { nchunk, chunk } = longPlan(plan, n, len);
      const uniform = packParams({ rows: n, len, nchunk, chunk, baseIn: A.base, baseOut: O.base });
      if (nchunk === 1) {
        const pipeline = s.pipeline(plan.longModule, 'rows_long', consts, `${kernel}:rows_long`);
        s.dispatch({ label, pipeline, bindings: [bind(0, A), bind(2, O)], uniform, uniformBinding: 3, workgroups: n });
        continue;
      }
      const part = s.createStorage(n * nchunk * 16, `${kernel}:partials`);
      parts.push(part);
      const P = { buffer: part, offset: 0, size: n * nchunk * 16 };
      s.dispatch({ label, pipeline: s.pipeline(plan.longModule, 'long_stats', consts, `${kernel}:long_stats`), bindings: [bind(0, A), bind(5, P)], uniform, uniformBinding: 3, workgroups: n * nchunk });
      s.dispatch({ label, pipeline: s.pipeline(plan.longModule, 'long_write', consts, `${kernel}:long_write`), bindings: [bind(0, A), bind(2, O), bind(4, P)], uniform, uniformBinding: 3, workgroups: n * nchunk });
    }
  } finally {
    for (const p of parts) s.releaseStorage(p);
  }
}

/**
 * Softmax cross-entropy from logits, loss and gradient from one read of each row: dz (scaled)
 * into `dz`, each row's loss into `perRow`. Only for rows that one invocation (len <=
 * SMALL_ROW) or one workgroup (len <= CHUNK) handles; returns false otherwise, and the caller
 * records the two ops.
 */
export function recordXentBoth(s: Scheduler, label: string, z: GpuTensor, t: GPUBuffer, dz: GpuTensor, perRow: GPUBuffer, rows: number, len: number, scale: number): boolean {
  if (!xentBothFits(len) || rows === 0) return false;
  const kernel = label.split(' ')[0];
  const small = len <= SMALL_ROW;
  const per = groupsPerBinding(s, label, len, 'a row');
  const vec4 = len % 4 === 0 ? 1 : 0;
  const plan = rowPlan(s);
  if (!small && len <= plan.reg2Max) {
    recordReg2(s, plan, label, kernel, RowMode.XentBoth, z, t, dz, rows, len, per, vec4, scale, perRow);
    return true;
  }
  const WG = small ? 64 : len >= 2048 ? plan.rowsWGLong : plan.rowsWG;
  const consts = { MODE: RowMode.XentBoth, WG, G: Math.round(Math.sqrt(WG)), VEC4: vec4 };
  const entry = small ? 'rows_small_xent_both' : 'rows_xent_both';
  const pipeline = s.pipeline(SOFTMAX_MODULES.rows, entry, consts, `${kernel}:${entry}`);
  for (let r0 = 0; r0 < rows; r0 += per) {
    const r1 = Math.min(rows, r0 + per);
    const A = span(z.buffer, r0 * len, r1 * len);
    const B = span(t, r0 * len, r1 * len);
    const O = span(dz.buffer, r0 * len, r1 * len);
    const L = span(perRow, r0, r1);
    s.dispatch({
      label,
      pipeline,
      bindings: [bind(0, A), bind(1, B), bind(2, O), bind(6, L)],
      uniform: packParams({ rows: r1 - r0, len, baseIn: A.base, baseOut: O.base, scale, baseLoss: L.base }),
      uniformBinding: 3,
      workgroups: small ? Math.ceil((r1 - r0) / WG) : r1 - r0,
    });
  }
  return true;
}

/** Whether recordXentBoth takes rows of this length. */
export function xentBothFits(len: number): boolean {
  return len >= 1 && len <= CHUNK;
}

function bind(binding: number, r: { buffer: GPUBuffer; offset: number; size: number }) {
  return { binding, buffer: r.buffer, offset: r.offset, size: r.size };
}

// ------------------------------------------------------------------ CPU reference (float64)

/**
 * log(sum_k exp(x_k - m)) for the row max m, as log1p(rest) when one entry equals m: in float64
 * log(1 + rest) would lose rest's digits below 2^-52 (the dominant class of log-softmax).
 */
export function logSumShifted(x: (k: number) => number, len: number, m: number): number {
  let count = 0;
  let rest = 0;
  for (let k = 0; k < len; k++) {
    if (x(k) === m) count++;
    else rest += Math.exp(x(k) - m);
  }
  return count === 1 ? Math.log1p(rest) : Math.log(count + rest);
}

/** y[outer, len, inner] = softmax or log-softmax of x along len. */
export function softmaxForwardCpu(y: Float32Array, x: Float32Array, v: RowView, log: boolean): void {
  const { outer, len, inner } = v;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (k: number) => (o * len + k) * inner + i;
      let m = -Infinity;
      let nan = false;
      for (let k = 0; k < len; k++) {
        const xv = x[at(k)];
        if (Number.isNaN(xv)) nan = true;
        else if (xv > m) m = xv;
      }
      if (nan || !Number.isFinite(m)) {
        for (let k = 0; k < len; k++) y[at(k)] = NaN;
        continue;
      }
      const ls = logSumShifted((k) => x[at(k)], len, m);
      let sum = 0;
      for (let k = 0; k < len; k++) sum += Math.exp(x[at(k)] - m);
      for (let k = 0; k < len; k++) y[at(k)] = log ? x[at(k)] - m - ls : Math.exp(x[at(k)] - m) / sum;
    }
  }
}

/** dx = y (dy - sum(y dy)) for softmax; dx = dy - exp(y) sum(dy) for log-softmax. */
export function softmaxBackwardCpu(dx: Float32Array, y: Float32Array, dy: Float32Array, v: RowView, log: boolean): void {
  const { outer, len, inner } = v;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (k: number) => (o * len + k) * inner + i;
      let g = 0;
      for (let k = 0; k < len; k++) g += log ? dy[at(k)] : y[at(k)] * dy[at(k)];
      for (let k = 0; k < len; k++) dx[at(k)] = log ? dy[at(k)] - Math.exp(y[at(k)]) * g : y[at(k)] * (dy[at(k)] - g);
    }
  }
}

/** loss[row] = -sum_{t != 0} t log softmax(z) over rows of length len (same conventions as the GPU). */
export function xentFromLogitsCpu(loss: Float64Array, z: Float32Array, t: Float32Array, rows: number, len: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * len;
    let m = -Infinity;
    let nan = false;
    for (let k = 0; k < len; k++) {
      if (Number.isNaN(z[o + k]) || Number.isNaN(t[o + k])) nan = true;
      else if (z[o + k] > m) m = z[o + k];
    }
    if (nan || !Number.isFinite(m)) {
      loss[r] = NaN;
      continue;
    }
    const ls = logSumShifted((k) => z[o + k], len, m);
    let acc = 0;
    for (let k = 0; k < len; k++) if (t[o + k] !== 0) acc -= t[o + k] * (z[o + k] - m - ls);
    loss[r] = acc;
  }
}

/** dz = scale (softmax(z) sum(t) - t); a row with NaN, +Infinity or only -Infinity is NaN. */
export function xentFromLogitsGradCpu(dz: Float32Array, z: Float32Array, t: Float32Array, rows: number, len: number, scale: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * len;
    let m = -Infinity;
    let nan = false;
    let st = 0;
    for (let k = 0; k < len; k++) {
      if (Number.isNaN(z[o + k])) nan = true;
      else if (z[o + k] > m) m = z[o + k];
      st += t[o + k];
    }
    let sum = 0;
    for (let k = 0; k < len; k++) sum += Math.exp(z[o + k] - m);
    const bad = nan || !Number.isFinite(m);
    for (let k = 0; k < len; k++) dz[o + k] = bad ? NaN : scale * ((Math.exp(z[o + k] - m) / sum) * st - t[o + k]);
  }
}

// ------------------------------------------------------------------ ops

function run(rt: Runtime, name: string, mode: RowMode, inputs: Tensor[], v: RowView, cpu: (ins: Float32Array[], out: Float32Array) => void, tol: { ulp: number } | { rtol: number; atol: number }): Tensor {
  const x = inputs[0];
  const label = `${name} ${formatShape(x.shape)}`;
  return rt.run({
    op: label,
    inputs,
    outputs: [x.shape],
    tolerance: tol,
    gpu: (s, ins, [y]) => recordRows(s, label, mode, ins[0], ins[1] ?? null, y, v),
    cpu: (ins, [y]) => cpu(ins, y),
  })[0];
}

/** Accuracy bound checked by `verify: true` (and the tests) for the forward ops. */
export const SOFTMAX_ULP = 4;
const GRAD_TOL = { rtol: 1e-5, atol: 1e-6 };

export function softmax(rt: Runtime, x: Tensor, opts?: AxisOptions): Tensor {
  rt.checkTensor('softmax', x, 'x');
  const v = rowView('softmax', x.shape, checkOptions('softmax', opts, ['axis']).axis ?? -1);
  return run(rt, 'softmax.forward', RowMode.Softmax, [x], v, ([xs], y) => softmaxForwardCpu(y, xs, v, false), { ulp: SOFTMAX_ULP });
}

export function logSoftmax(rt: Runtime, x: Tensor, opts?: AxisOptions): Tensor {
  rt.checkTensor('logSoftmax', x, 'x');
  const v = rowView('logSoftmax', x.shape, checkOptions('logSoftmax', opts, ['axis']).axis ?? -1);
  return run(rt, 'logSoftmax.forward', RowMode.LogSoftmax, [x], v, ([xs], y) => softmaxForwardCpu(y, xs, v, true), { ulp: SOFTMAX_ULP });
}

function gradInputs(rt: Runtime, op: string, y: Tensor, dy: Tensor): void {
  rt.checkTensor(op, y, 'y');
  rt.checkTensor(op, dy, 'dy');
  if (y.shape.length !== dy.shape.length || y.shape.some((d, i) => d !== dy.shape[i])) {
    throw new NNError(`${op}: expected dy of shape ${formatShape(y.shape)} (the shape of y), got ${formatShape(dy.shape)}`);
  }
}

/** dx from the softmax output y and the upstream gradient dy. */
export function softmaxGrad(rt: Runtime, y: Tensor, dy: Tensor, opts?: AxisOptions): Tensor {
  gradInputs(rt, 'softmax.backward', y, dy);
  const v = rowView('softmax.backward', y.shape, checkOptions('softmax.backward', opts, ['axis']).axis ?? -1);
  return run(rt, 'softmax.backward', RowMode.SoftmaxGrad, [y, dy], v, ([ys, dys], dx) => softmaxBackwardCpu(dx, ys, dys, v, false), GRAD_TOL);
}

/** dx from the log-softmax output y and the upstream gradient dy. */
export function logSoftmaxGrad(rt: Runtime, y: Tensor, dy: Tensor, opts?: AxisOptions): Tensor {
  gradInputs(rt, 'logSoftmax.backward', y, dy);
  const v = rowView('logSoftmax.backward', y.shape, checkOptions('logSoftmax.backward', opts, ['axis']).axis ?? -1);
  return run(rt, 'logSoftmax.backward', RowMode.LogSoftmaxGrad, [y, dy], v, ([ys, dys], dx) => softmaxBackwardCpu(dx, ys, dys, v, true), GRAD_TOL);
}
