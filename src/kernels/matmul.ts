/**
 * Matrix product of 2-D tensors: shaders/matmul.wgsl on the GPU, `matmulCpu` on the CPU.
 * The CPU twin rounds every product and every partial sum to float32 in natural k order,
 * i.e. it computes what a plain float32 GPU kernel computes (see docs/dense.md).
 */
import matmulShader from '../../shaders/matmul.wgsl?raw';
import { NNError, formatShape } from '../errors';
import type { ShaderFile } from '../gpu/shaders';
import type { Scheduler } from '../gpu/scheduler';
import type { GpuTensor, Runtime } from '../runtime';
import type { Tensor } from '../tensor';

const KERNEL: ShaderFile = { file: 'matmul.wgsl', code: matmulShader };
/** Output tile of one workgroup (shaders/matmul.wgsl TM, TN). */
export const TILE = 64;

export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
}

const fround = Math.fround;

/** Checks that `t` is a rank-2 tensor and returns its [rows, cols]. */
export function rank2(op: string, t: Tensor, what: string): [number, number] {
  if (t.rank !== 2) throw new NNError(`${op}: expected ${what} of rank 2, got shape ${formatShape(t.shape)}`);
  return [t.shape[0], t.shape[1]];
}

/** Rejects tensors whose buffer is larger than one storage binding may be. */
export function checkBindable(op: string, s: Scheduler, t: GpuTensor, what: string): void {
  const bytes = Math.ceil(t.size / 4) * 16;
  if (bytes > s.maxBindingBytes) {
    throw new NNError(`${op}: ${what} ${formatShape(t.shape)} needs ${bytes} bytes, more than one storage binding allows on this adapter (${s.maxBindingBytes}); split it along the batch`);
  }
}

/**
 * c[M, N] = op(a) op(b), float32 arithmetic: c_ij = (((a_i0 b_0j) + a_i1 b_1j) + ...), each
 * product and each sum rounded to float32. `ta`/`tb`: a is [K, M] / b is [N, K].
 */
export function matmulCpu(c: Float32Array, a: Float32Array, b: Float32Array, m: number, k: number, n: number, ta = false, tb = false): void {
  const sa = ta ? [1, m] : [k, 1]; // strides of op(a) along (row, k)
  const sb = tb ? [1, k] : [n, 1]; // strides of op(b) along (k, col)
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) acc = fround(acc + fround(a[i * sa[1] + p * sa[0]] * b[p * sb[0] + j * sb[1]]));
      c[i * n + j] = acc;
    }
  }
}

/** Records c = op(a) op(b) on the GPU (shapes already validated). */
export function recordMatmul(s: Scheduler, label: string, a: GpuTensor, b: GpuTensor, c: GpuTensor, m: number, k: number, n: number, ta: boolean, tb: boolean): void {
  for (const [t, w] of [[a, 'a'], [b, 'b'], [c, 'output']] as const) checkBindable(label, s, t, w);
  if (m === 0 || n === 0) return;
  const pipeline = s.pipeline([KERNEL], 'forward', {
    TRANS_A: ta ? 1 : 0,
    TRANS_B: tb ? 1 : 0,
    // vec4 loads when the operand's rows are whole vec4s
    VEC_A: (ta ? m : k) % 4 === 0 ? 1 : 0,
    VEC_B: (tb ? k : n) % 4 === 0 ? 1 : 0,
  }, 'matmul:forward');
  const tilesN = Math.ceil(n / TILE);
  s.dispatch({
    label,
    pipeline,
    bindings: [
      { binding: 0, buffer: a.buffer },
      { binding: 1, buffer: b.buffer },
      { binding: 2, buffer: c.buffer },
    ],
    uniform: new Uint8Array(new Uint32Array([m, k, n, tilesN]).buffer),
    uniformBinding: 3,
    workgroups: Math.ceil(m / TILE) * tilesN,
  });
}

export function matmul(rt: Runtime, a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const op = 'matmul';
  rt.checkTensor(op, a, 'a');
  rt.checkTensor(op, b, 'b');
  if (opts === null || typeof opts !== 'object') throw new NNError(`${op}: options must be an object like {transposeA: true}, got ${String(opts)}`);
  const ta = !!opts.transposeA;
  const tb = !!opts.transposeB;
  const [a0, a1] = rank2(op, a, 'a');
  const [b0, b1] = rank2(op, b, 'b');
  const [m, k] = ta ? [a1, a0] : [a0, a1];
  const [kb, n] = tb ? [b1, b0] : [b0, b1];
  if (k !== kb) {
    const what = `${ta ? 'a^T' : 'a'} of shape [${m}, ${k}]`;
    const want = tb ? `[N, ${k}]` : `[${k}, N]`;
    throw new NNError(`${op}: expected b of shape ${want} for ${what}${tb ? ' (transposeB)' : ''}, got ${formatShape(b.shape)}`);
  }
  const label = `matmul.forward ${formatShape(a.shape)}${ta ? 'T' : ''} x ${formatShape(b.shape)}${tb ? 'T' : ''}`;
  return rt.run({
    op: label,
    inputs: [a, b],
    outputs: [[m, n]],
    // GPU may fuse multiply-adds and the CPU twin does not: a few ULPs per term, more
    // after cancellation; tests bound the error against sum |a||b| instead.
    tolerance: { rtol: 2e-5 * Math.sqrt(Math.max(1, k)), atol: 1e-6 * Math.max(1, k) },
    gpu: (s, [ag, bg], [cg]) => recordMatmul(s, label, ag, bg, cg, m, k, n, ta, tb),
    cpu: ([as, bs], [cs]) => matmulCpu(cs, as, bs, m, k, n, ta, tb),
  })[0];
}
