/**
 * Matrix product of 2-D tensors. The GPU side is the GEMM core of shaders/dense.wgsl (its
 * `forward` entry without bias or activation); the CPU twin is `matmulCpu`, which rounds
 * every product and partial sum to float32 in natural k order (see docs/dense.md).
 */
import { NNError, formatShape, invalid } from '../errors';
import type { Runtime } from '../runtime';
import type { Tensor } from '../tensor';
import { matmulCpu, rank2, recordGemm } from './dense';

export interface MatmulOptions {
  /** Use a^T: a is [K, M]. */
  transposeA?: boolean;
  /** Use b^T: b is [N, K]. */
  transposeB?: boolean;
}

// c [M, N] = op(a) [M, K] op(b) [K, N]
export function matmul(rt: Runtime, a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const op = 'matmul';
  rt.checkTensor(op, a, 'a');
  rt.checkTensor(op, b, 'b');
  if (opts === null || typeof opts !== 'object') invalid(op, 'options', 'an object like {transposeA: true}', opts);
  const ta = !!opts.transposeA;
  const tb = !!opts.transposeB;
  const [a0, a1] = rank2(op, a, 'a');
  const [b0, b1] = rank2(op, b, 'b');
  const [m, k] = ta ? [a1, a0] : [a0, a1];
  const [kb, n] = tb ? [b1, b0] : [b0, b1];
  if (k !== kb) {
    const want = tb ? `[N, ${k}] (transposeB)` : `[${k}, N]`;
    throw new NNError(`${op}: expected b of shape ${want} for a of shape ${formatShape(a.shape)}${ta ? ' (transposeA)' : ''}, got ${formatShape(b.shape)}`);
  }
  const label = `matmul.forward ${formatShape(a.shape)}${ta ? 'T' : ''} x ${formatShape(b.shape)}${tb ? 'T' : ''}`;
  return rt.run({
    op: label,
    inputs: [a, b],
    outputs: [[m, n]],
    // The GPU may fuse multiply-adds where the twin rounds twice; after cancellation that is
    // many ULPs, so verify uses a relative bound (tests bound |err| by eps * sum |a b|).
    tolerance: { rtol: 1e-5 * Math.sqrt(Math.max(1, k)), atol: 1e-6 * Math.max(1, k) },
    gpu: (s, [ag, bg], [cg]) => recordGemm(s, { label, entry: 'forward', a: ag, b: bg, out: cg, m, k, n, transA: ta, transB: tb }),
    cpu: ([as, bs], [cs]) => matmulCpu(cs, as, bs, m, k, n, ta, tb),
  })[0];
}
