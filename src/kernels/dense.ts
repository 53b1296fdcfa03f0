/**
 * Dense layer y = act(x W + b), its gradients, and the GEMM core shared with `matmul`:
 * shaders/dense.wgsl on the GPU, float32-rounded loops on the CPU.
 *
 * CPU twin arithmetic (see docs/dense.md): every product and every sum is rounded to float32,
 * summing over k in natural order, bias added after the sum, activations evaluated in float64
 * and rounded — what a plain float32 GPU kernel (and Keras) computes, so training on the CPU
 * path reproduces the seeds' float32 numbers.
 */
import denseShader from '../../shaders/dense.wgsl?raw';
import { NNError, formatShape, invalid } from '../errors';
import { findActivation } from '../activations/table';
import type { ActivationParams, ActivationSpec, PackedParams } from '../activations/types';
import { ACTIVATIONS_LIB, CUSTOM_ACTIVATION_STUB, IDS_LIB, MATH_LIB, type ShaderFile } from '../gpu/shaders';
import type { Scheduler } from '../gpu/scheduler';
import type { GpuTensor, Runtime } from '../runtime';
import type { Tensor } from '../tensor';
import type { CustomActivationName, ElementwiseActivationName, NameOf } from '../names';
import { knownActivations } from './activation';

const KERNEL: ShaderFile = { file: 'dense.wgsl', code: denseShader };
const fround = Math.fround;

// ------------------------------------------------------------------ GEMM core

/** `tiled`: workgroup-memory tiles (real GPUs); `direct`: register blocks only (CPU adapters). */
export type GemmVariant = 'tiled' | 'direct';

/** Tile of output columns per workgroup of the direct variant: DIRECT_WG_X * 4. */
const DIRECT_WG = [8, 4] as const;

function chooseVariant(s: Scheduler): GemmVariant {
  return s.tuning.gemm ?? (s.profile.software ? 'direct' : 'tiled');
}

/** Activation fused into a GEMM: forward epilogue or dz = act_backward(z, dy) prologue. */
export interface FusedActivation {
  spec: ActivationSpec;
  id: number;
  custom: ShaderFile | null;
  p: PackedParams;
}

export interface GemmCall {
  label: string;
  entry: 'forward' | 'backward_dx' | 'backward_dw';
  /** op(A) is [m, k], op(B) is [k, n]. */
  a: GpuTensor;
  b: GpuTensor;
  out: GpuTensor;
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  /** forward only: bias [n], pre-activation output, fused activation */
  bias?: GpuTensor;
  zOut?: GpuTensor;
  act?: FusedActivation;
}

/** Rejects tensors whose buffer is larger than one storage binding may be. */
export function checkBindable(op: string, s: Scheduler, t: GpuTensor, what: string): void {
  const bytes = Math.max(16, Math.ceil(t.size / 4) * 16);
  if (bytes > s.maxBindingBytes) {
    throw new NNError(`${op}: ${what} ${formatShape(t.shape)} needs ${bytes} bytes, more than one storage binding allows on this adapter (${s.maxBindingBytes}); split it along the batch`);
  }
}

// One array per custom activation library (and one for the built-ins), so that the scheduler's
// pipeline lookup sees the same parts every dispatch.
const partsOf = new WeakMap<ShaderFile, ShaderFile[]>();

function shaderParts(act: FusedActivation | undefined): ShaderFile[] {
  const lib = act?.custom ?? CUSTOM_ACTIVATION_STUB;
  let parts = partsOf.get(lib);
  if (!parts) partsOf.set(lib, (parts = [MATH_LIB, IDS_LIB, lib, ACTIVATIONS_LIB, KERNEL]));
  return parts;
}

function uniform(p: PackedParams, m: number, k: number, n: number, tilesN: number): Uint8Array {
  const buf = new ArrayBuffer(32);
  new Float32Array(buf, 0, 4).set(p);
  new Uint32Array(buf, 16, 4).set([m, k, n, tilesN]);
  return new Uint8Array(buf);
}

/** A 16-byte placeholder for a binding the pipeline declares but this dispatch does not use. */
function placeholder(s: Scheduler, label: string, scratch: GPUBuffer[]): GPUBuffer {
  const buf = s.createStorage(16, `${label}:unused`);
  scratch.push(buf);
  return buf;
}

/** Records one GEMM dispatch of shaders/dense.wgsl (shapes already validated). */
export function recordGemm(s: Scheduler, g: GemmCall): void {
  const op = g.label;
  for (const [t, w] of [[g.a, 'a'], [g.b, 'b'], [g.out, 'output'], [g.zOut, 'z']] as const) {
    if (t) checkBindable(op, s, t, w);
  }
  if (g.m === 0 || g.n === 0) return;
  const variant = chooseVariant(s);
  const fuse = g.entry === 'forward' && !!g.act;
  const constants: Record<string, number> = {
    TRANS_A: +g.transA,
    TRANS_B: +g.transB,
    VEC_A: +((g.transA ? g.m : g.k) % 4 === 0),
    VEC_B: +((g.transB ? g.k : g.n) % 4 === 0),
    HAS_BIAS: +!!g.bias,
    KEEP_Z: +!!g.zOut,
    FUSE_ACT: +fuse,
  };
  if (variant === 'direct' && g.m % 4 === 0 && g.k % 4 === 0 && g.n % 4 === 0) constants.ALIGNED = 1;
  if (fuse) constants.ACTIVATION = g.act!.id;
  const entry = variant === 'direct' ? `${g.entry}_direct` : g.entry;
  if (variant === 'direct') [constants.DIRECT_WG_X, constants.DIRECT_WG_Y] = DIRECT_WG;
  const pipeline = s.pipeline(shaderParts(fuse ? g.act : undefined), entry, constants, `dense:${entry}`);
  const colsPerWg = variant === 'direct' ? DIRECT_WG[0] * 4 : 64;
  const rowsPerWg = variant === 'direct' ? DIRECT_WG[1] * 4 : 64;
  const tilesN = Math.ceil(g.n / colsPerWg);
  const scratch: GPUBuffer[] = [];
  s.dispatch({
    label: `${op} (${entry})`,
    pipeline,
    bindings: [
      { binding: 0, buffer: g.a.buffer },
      { binding: 1, buffer: g.b.buffer },
      { binding: 2, buffer: g.bias?.buffer ?? g.a.buffer },
      { binding: 4, buffer: g.out.buffer },
      // writable bindings must not alias: an unused z output gets a placeholder
      { binding: 5, buffer: g.zOut?.buffer ?? placeholder(s, op, scratch) },
    ],
    uniform: uniform(fuse ? g.act!.p : [0, 0, 0, 0], g.m, g.k, g.n, tilesN),
    uniformBinding: 6,
    workgroups: Math.ceil(g.m / rowsPerWg) * tilesN,
  });
  for (const buf of scratch) s.releaseStorage(buf);
}

/** Records dz = act_backward(z, dy) (into `dz`, with `act`) and db[j] = sum_i dz[i, j]. dy: [rows, cols]. */
function recordBiasGrad(s: Scheduler, label: string, dy: GpuTensor, z: GpuTensor | undefined, db: GpuTensor, dz: GpuTensor | undefined, rows: number, cols: number, act: FusedActivation | undefined): void {
  if (cols === 0) return;
  const constants: Record<string, number> = { DZ: +!!act };
  if (act) constants.ACTIVATION = act.id;
  const pipeline = s.pipeline(shaderParts(act), 'backward_db', constants, 'dense:backward_db');
  const scratch: GPUBuffer[] = [];
  s.dispatch({
    label: `${label} (backward_db)`,
    pipeline,
    bindings: [
      { binding: 0, buffer: dy.buffer },
      { binding: 3, buffer: z?.buffer ?? dy.buffer },
      { binding: 4, buffer: db.buffer },
      { binding: 5, buffer: dz?.buffer ?? placeholder(s, label, scratch) },
    ],
    uniform: uniform(act?.p ?? [0, 0, 0, 0], rows, 0, cols, 0),
    uniformBinding: 6,
    workgroups: Math.ceil(cols / 64),
  });
  for (const buf of scratch) s.releaseStorage(buf);
}

// ------------------------------------------------------------------ CPU twins

/**
 * c[M, N] = op(a) op(b), float32 arithmetic: c_ij = ((a_i0 b_0j + a_i1 b_1j) + ...), each
 * product and each sum rounded to float32. `ta`: a is [K, M]; `tb`: b is [N, K].
 */
export function matmulCpu(c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number, ta = false, tb = false): void {
  const [ar, ak] = ta ? [1, m] : [k, 1]; // strides of op(a) along (row, k)
  const [bk, bc] = tb ? [1, k] : [n, 1]; // strides of op(b) along (k, col)
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) acc = fround(acc + fround(a[i * ar + p * ak] * b[p * bk + j * bc]));
      c[i * n + j] = acc;
    }
  }
}

// y [N, K], z [N, K] or null; x [N, C], w [C, K], bias [K] or null
export function denseForwardCpu(y: Float32Array, z: Float32Array | null, x: Float32Array, w: Float32Array, bias: Float32Array | null, n: number, c: number, k: number, act: FusedActivation | undefined): void {
  matmulCpu(y, x, w, n, c, k);
  for (let i = 0; i < n * k; i++) {
    const v = bias ? fround(y[i] + bias[i % k]) : y[i];
    if (z) z[i] = v;
    y[i] = act ? act.spec.forward(v, act.p) : v;
  }
}

// dx [N, C] or null, dw [C, K], db [K]; x [N, C], w [C, K], dy [N, K], z [N, K] or null
export function denseBackwardCpu(dx: Float32Array | null, dw: Float32Array, db: Float32Array, x: Float32Array, w: Float32Array, dy: Float32Array, z: Float32Array | null, n: number, c: number, k: number, act: FusedActivation | undefined): void {
  let dz = dy;
  if (act) {
    dz = new Float32Array(n * k);
    for (let i = 0; i < n * k; i++) dz[i] = act.spec.backward(z![i], dy[i], act.p);
  }
  if (dx) matmulCpu(dx, dz, w, n, k, c, false, true);
  matmulCpu(dw, x, dz, c, n, k, true, false);
  for (let j = 0; j < k; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s = fround(s + dz[i * k + j]);
    db[j] = s;
  }
}

// ------------------------------------------------------------------ ops

export interface DenseOptions<A extends string = ElementwiseActivationName> {
  /** Elementwise activation fused into the epilogue (default: none, i.e. identity). */
  activation?: NameOf<A, ElementwiseActivationName, CustomActivationName>;
  activationParams?: ActivationParams;
}

export interface DenseForwardOptions<A extends string = ElementwiseActivationName> extends DenseOptions<A> {
  /** Also return the pre-activation z = x W + b (for `denseGrad`). */
  keepPreActivation?: boolean;
}

export interface DenseGradOptions<A extends string = ElementwiseActivationName> extends DenseOptions<A> {
  /** The pre-activation z of the forward pass; required with an activation. */
  z?: Tensor;
  /** Compute dx (default true); the first layer of a network does not need it. */
  computeDx?: boolean;
}

export interface DenseGrads {
  /** dL/dx [N, C]; null with `computeDx: false`. */
  dx: Tensor | null;
  /** dL/dkernel [C, K]. */
  dkernel: Tensor;
  /** dL/dbias [K]. */
  dbias: Tensor;
}

/** Checks that `t` is a rank-2 tensor and returns its [rows, cols]. */
export function rank2(op: string, t: Tensor, what: string): [number, number] {
  if (t.rank !== 2) throw new NNError(`${op}: expected ${what} of rank 2, got shape ${formatShape(t.shape)}`);
  return [t.shape[0], t.shape[1]];
}

/** Resolves `activation` for fusion; undefined when none is asked for. */
export function fusedActivation(rt: Runtime, op: string, name: unknown, params: ActivationParams | undefined): FusedActivation | undefined {
  if (name === undefined || name === null) {
    if (params !== undefined) throw new NNError(`${op}: activationParams given without an activation`);
    return undefined;
  }
  if (typeof name !== 'string') invalid(op, 'activation', "a name like 'relu'", name);
  if (name === 'softmax') {
    throw new NNError(`${op}: softmax is not an elementwise activation; apply runtime.softmax to the dense output instead`);
  }
  if (params !== undefined && (params === null || typeof params !== 'object' || Array.isArray(params))) {
    invalid(op, 'activationParams', 'an object like {alpha: 0.2}', params);
  }
  const custom = rt.activations.custom.get(name);
  if (custom) return { spec: custom.spec, id: custom.spec.id, custom: custom.lib, p: custom.spec.pack(params) };
  const spec = findActivation(name);
  if (!spec) throw new NNError(`${op}: unknown activation '${name}' (known: ${knownActivations(rt)})`);
  return { spec, id: spec.id, custom: null, p: spec.pack(params) };
}

function checkDense(rt: Runtime, op: string, x: Tensor, kernel: Tensor, bias: Tensor | null | undefined): [number, number, number] {
  rt.checkTensor(op, x, 'x');
  rt.checkTensor(op, kernel, 'kernel');
  const [n, c] = rank2(op, x, 'x');
  rank2(op, kernel, 'kernel');
  if (kernel.shape[0] !== c) {
    throw new NNError(`${op}: expected kernel of shape [${c}, K] for x of shape ${formatShape(x.shape)}, got ${formatShape(kernel.shape)}`);
  }
  const k = kernel.shape[1];
  if (bias !== undefined && bias !== null) {
    rt.checkTensor(op, bias, 'bias');
    if (bias.rank !== 1 || bias.shape[0] !== k) {
      throw new NNError(`${op}: expected bias of shape [${k}] for kernel of shape ${formatShape(kernel.shape)}, got ${formatShape(bias.shape)}`);
    }
  }
  return [n, c, k];
}

const GEMM_TOLERANCE = (k: number) => ({ rtol: 1e-5 * Math.sqrt(Math.max(1, k)), atol: 1e-6 * Math.max(1, k) });

/**
 * {y} or {y, z}: y = act(x kernel + bias). x [N, C], kernel [C, K], bias [K]. The ops take any
 * activation name (`<any>`): the runtime's typed methods check literals, `fusedActivation` at run time.
 */
export function denseForward(rt: Runtime, x: Tensor, kernel: Tensor, bias: Tensor | null | undefined, opts: DenseForwardOptions<any> = {}): { y: Tensor; z: Tensor | null } {
  const op = 'dense';
  if (opts === null || typeof opts !== 'object') invalid(op, 'options', "an object like {activation: 'relu'}", opts);
  const [n, c, k] = checkDense(rt, op, x, kernel, bias);
  const act = fusedActivation(rt, op, opts.activation, opts.activationParams);
  const keepZ = !!opts.keepPreActivation;
  const label = `dense.forward ${formatShape(x.shape)} x ${formatShape(kernel.shape)}${act ? ` ${act.spec.name}` : ''}`;
  const out = rt.run({
    op: label,
    inputs: bias ? [x, kernel, bias] : [x, kernel],
    outputs: keepZ ? [[n, k], [n, k]] : [[n, k]],
    tolerance: GEMM_TOLERANCE(c),
    gpu: (s, [xg, wg, bg], [yg, zg]) =>
      recordGemm(s, { label, entry: 'forward', a: xg, b: wg, out: yg, m: n, k: c, n: k, transA: false, transB: false, bias: bg, zOut: zg, act }),
    cpu: ([xs, ws, bs], [ys, zs]) => denseForwardCpu(ys, zs ?? null, xs, ws, bs ?? null, n, c, k, act),
  });
  return { y: out[0], z: keepZ ? out[1] : null };
}

export function dense(rt: Runtime, x: Tensor, kernel: Tensor, bias?: Tensor | null, opts: DenseOptions<any> = {}): Tensor {
  return denseForward(rt, x, kernel, bias, { ...opts, keepPreActivation: false }).y;
}

/** Gradients of y = act(x kernel + b) given dy = dL/dy. */
export function denseGrad(rt: Runtime, x: Tensor, kernel: Tensor, dy: Tensor, opts: DenseGradOptions<any> = {}): DenseGrads {
  const op = 'denseGrad';
  if (opts === null || typeof opts !== 'object') invalid(op, 'options', "an object like {activation: 'relu', z}", opts);
  const [n, c, k] = checkDense(rt, op, x, kernel, undefined);
  rt.checkTensor(op, dy, 'dy');
  if (dy.rank !== 2 || dy.shape[0] !== n || dy.shape[1] !== k) {
    throw new NNError(`${op}: expected dy of shape [${n}, ${k}] for x ${formatShape(x.shape)} and kernel ${formatShape(kernel.shape)}, got ${formatShape(dy.shape)}`);
  }
  const act = fusedActivation(rt, op, opts.activation, opts.activationParams);
  const z = opts.z;
  if (act && !z) throw new NNError(`${op}: activation '${act.spec.name}' needs the pre-activation z of the forward pass (denseForward with keepPreActivation: true)`);
  if (z !== undefined && z !== null) {
    rt.checkTensor(op, z, 'z');
    if (z.rank !== 2 || z.shape[0] !== n || z.shape[1] !== k) throw new NNError(`${op}: expected z of shape [${n}, ${k}], got ${formatShape(z.shape)}`);
  }
  const useZ = act ? z! : null;
  const computeDx = opts.computeDx ?? true;
  const label = `dense.backward ${formatShape(x.shape)} x ${formatShape(kernel.shape)}${act ? ` ${act.spec.name}` : ''}`;
  const inputs = useZ ? [x, kernel, dy, useZ] : [x, kernel, dy];
  const outputs = computeDx ? [[c, k], [k], [n, c]] : [[c, k], [k]];
  const out = rt.run({
    op: label,
    inputs,
    outputs,
    tolerance: GEMM_TOLERANCE(Math.max(n, k)),
    gpu: (s, [xg, wg, dyg, zg], [dwg, dbg, dxg]) => {
      // dz is computed once, by the bias-gradient pass, then feeds both products
      let dz = dyg;
      let dzBuf: GPUBuffer | null = null;
      if (act) {
        checkBindable(label, s, dyg, 'dy');
        dzBuf = s.createStorage(Math.max(16, Math.ceil((n * k) / 4) * 16), `${label}:dz`);
        dz = { buffer: dzBuf, size: n * k, shape: [n, k] };
      }
      recordBiasGrad(s, `${label} dbias`, dyg, zg, dbg, act ? dz : undefined, n, k, act);
      if (dxg) recordGemm(s, { label: `${label} dx`, entry: 'backward_dx', a: dz, b: wg, out: dxg, m: n, k, n: c, transA: false, transB: true });
      recordGemm(s, { label: `${label} dkernel`, entry: 'backward_dw', a: xg, b: dz, out: dwg, m: c, k: n, n: k, transA: true, transB: false });
      // reusable only after this batch is submitted (see the pool)
      if (dzBuf) s.releaseStorage(dzBuf);
    },
    cpu: ([xs, ws, dys, zs], [dws, dbs, dxs]) => denseBackwardCpu(dxs ?? null, dws, dbs, xs, ws, dys, zs ?? null, n, c, k, act),
  });
  return { dkernel: out[0], dbias: out[1], dx: computeDx ? out[2] : null };
}
