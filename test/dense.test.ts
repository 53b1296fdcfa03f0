/**
 * matmul, dense, denseGrad and sgdUpdate: GPU (both GEMM variants) against float64
 * references with a stated error bound, against the CPU twin, and against finite differences.
 *
 * Matmul bound: |got - ref| <= c * eps32 * sum_k |a_ik b_kj| with eps32 = 2^-24 (unit
 * roundoff) and c = K + 2, the worst case of K-term recursive float32 summation plus the
 * product rounding (the bias add in dense adds one more eps32 * |z|).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, NNError, type Runtime } from '../src/index';
import type { GemmVariant } from '../src/kernels/dense';

const EPS32 = 2 ** -24;

function rng(seed: number): () => number {
  // mulberry32: uniform in [-1, 1)
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * scale);
}

/** Float64 op(a) op(b) and sum |a||b| per element. `ta`: a is [K, M]; `tb`: b is [N, K]. */
function matmul64(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number, ta = false, tb = false) {
  const ref = new Float64Array(m * n);
  const mag = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let t = 0;
      for (let p = 0; p < k; p++) {
        const x = (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
        s += x;
        t += Math.abs(x);
      }
      ref[i * n + j] = s;
      mag[i * n + j] = t;
    }
  }
  return { ref, mag };
}

/** Checks |got - ref| <= bound(i) everywhere; on failure names the first few and the worst index. */
function expectWithin(what: string, got: ArrayLike<number>, ref: ArrayLike<number>, bound: (i: number) => number): void {
  expect(got.length, `${what}: length`).toBe(ref.length);
  const bad: string[] = [];
  let worst = 0;
  let worstRatio = -1;
  for (let i = 0; i < ref.length; i++) {
    const err = Math.abs(got[i] - ref[i]);
    const ratio = Number.isNaN(err) ? Infinity : err / Math.max(bound(i), Number.MIN_VALUE);
    if (ratio > worstRatio) [worst, worstRatio] = [i, ratio];
    if (!(err <= bound(i)) && bad.length < 4) bad.push(`[${i}] got ${got[i]}, ref ${ref[i]}, bound ${bound(i)}`);
  }
  if (bad.length > 0) expect.fail(`${what}: ${bad.join('; ')}; worst index ${worst} (${worstRatio.toFixed(2)}x the bound)`);
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const ACTS: Record<string, { f: (x: number) => number; d: (x: number) => number }> = {
  none: { f: (x) => x, d: () => 1 },
  relu: { f: (x) => (x > 0 ? x : 0), d: (x) => (x > 0 ? 1 : 0) },
  sigmoid: { f: sigmoid, d: (x) => sigmoid(x) * (1 - sigmoid(x)) },
};

/** Float64 dense forward: z, y and the bound on z. */
function dense64(x: Float32Array, w: Float32Array, b: Float32Array, n: number, c: number, k: number, act: string) {
  const { ref, mag } = matmul64(x, w, n, c, k);
  const z = ref.map((v, i) => v + b[i % k]);
  const zBound = mag.map((v, i) => (c + 2) * EPS32 * (v + Math.abs(b[i % k])) + EPS32 * Math.abs(z[i]));
  return { z, y: z.map(ACTS[act].f), zBound };
}

let gpu: Runtime;
let cpu: Runtime;
beforeAll(async () => {
  gpu = await createRuntime();
  cpu = await createRuntime({ backend: 'cpu' });
});
afterAll(() => {
  gpu?.dispose();
  cpu?.dispose();
});

// [M, K, N]: 1, odd, around a tile (64), past tiles with primes, batch 1, batch 1,000, aligned.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 2],
  [2, 2, 2],
  [64, 65, 63],
  [65, 64, 64],
  [257, 129, 131],
  [1, 784, 128],
  [1000, 36, 12],
  // every dimension a multiple of 4 (the direct variant's ALIGNED pipelines), several workgroups
  [96, 128, 68],
];
const DENSE_SHAPES: [number, number, number][] = [[1, 1, 1], [3, 5, 4], [64, 65, 63], [257, 129, 131], [1000, 36, 12]];
// Each (variant, transposes, vec4 or not) is a pipeline that lavapipe compiles in seconds:
// the tiled variant (not used on CPU adapters) runs a smaller table covering every path.
const VARIANTS: { variant: GemmVariant; shapes: typeof SHAPES; dense: typeof SHAPES; acts: string[] }[] = [
  { variant: 'direct', shapes: SHAPES, dense: DENSE_SHAPES, acts: ['none', 'relu', 'sigmoid'] },
  { variant: 'tiled', shapes: [[3, 5, 2], [65, 64, 64], [257, 129, 131]], dense: [[3, 5, 4], [64, 65, 63]], acts: ['sigmoid'] },
];

describe.each(VARIANTS)('matmul ($variant GEMM)', ({ variant, shapes, dense: denseShapes, acts }) => {
  // A runtime pinned to this variant (createRuntime's tuning); it shadows the file's default one.
  let gpu: Runtime;
  beforeAll(async () => {
    gpu = await createRuntime({ tuning: { gemm: variant } });
  });
  afterAll(() => gpu?.dispose());

  for (const [m, k, n] of shapes) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      it(`[${m}, ${k}] x [${k}, ${n}]${ta ? ' transposeA' : ''}${tb ? ' transposeB' : ''}`, async () => {
        const seed = m * 1_000_003 + k * 1009 + n + (ta ? 7 : 0) + (tb ? 13 : 0);
        const a = randomArray(m * k, seed);
        const b = randomArray(k * n, seed + 1);
        const at = gpu.tensor(a, ta ? [k, m] : [m, k]);
        const bt = gpu.tensor(b, tb ? [n, k] : [k, n]);
        const c = gpu.matmul(at, bt, { transposeA: ta, transposeB: tb });
        expect(c.shape).toEqual([m, n]);
        const got = await c.read();
        const { ref, mag } = matmul64(a, b, m, k, n, ta, tb);
        expectWithin('matmul vs float64', got, ref, (i) => (k + 2) * EPS32 * mag[i]);
        // the CPU twin computes the same float32 sums (the GPU may fuse multiply-adds)
        const twin = await cpu.matmul(cpu.tensor(a, at.shape), cpu.tensor(b, bt.shape), { transposeA: ta, transposeB: tb }).read();
        expectWithin('matmul vs CPU twin', got, twin, (i) => 2 * (k + 2) * EPS32 * mag[i]);
        for (const t of [at, bt, c]) t.dispose();
      });
    }
  }

  it('sums in natural k order: bit-identical to the CPU twin on exact small integers', async () => {
    // products and partial sums are exact, so any order and any fusion gives the same bits
    const a = Float32Array.from({ length: 7 * 9 }, (_, i) => (i % 5) - 2);
    const b = Float32Array.from({ length: 9 * 6 }, (_, i) => (i % 7) - 3);
    const got = await gpu.matmul(gpu.tensor(a, [7, 9]), gpu.tensor(b, [9, 6])).read();
    const twin = await cpu.matmul(cpu.tensor(a, [7, 9]), cpu.tensor(b, [9, 6])).read();
    expect(Array.from(got)).toEqual(Array.from(twin));
  });

  it('propagates NaN and infinity', async () => {
    // [[NaN, 1], [inf, 1]] x [[1, 0], [0, 1]]: NaN row stays NaN; inf * 0 = NaN, as in IEEE
    const got = await gpu.matmul(gpu.tensor([[NaN, 1], [Infinity, 1]]), gpu.tensor([[1, 0], [0, 1]])).read();
    expect(Number.isNaN(got[0]) && Number.isNaN(got[1])).toBe(true);
    expect(got[2]).toBe(Infinity);
    expect(Number.isNaN(got[3])).toBe(true);
  });

  for (const act of acts) {
    for (const [n, c, k] of denseShapes) {
      it(`dense + ${act} forward and backward ${n}x${c} -> ${k}`, async () => {
        const seed = n * 31 + c * 7 + k;
        const x = randomArray(n * c, seed);
        const w = randomArray(c * k, seed + 1, 1 / Math.sqrt(c));
        const b = randomArray(k, seed + 2, 0.5);
        const dy = randomArray(n * k, seed + 3);
        const activation = act === 'none' ? undefined : act;
        const [xt, wt, bt, dyt] = [gpu.tensor(x, [n, c]), gpu.tensor(w, [c, k]), gpu.tensor(b, [k]), gpu.tensor(dy, [n, k])];
        const { y, z } = gpu.denseForward(xt, wt, bt, { activation, keepPreActivation: true });
        const yOnly = gpu.dense(xt, wt, bt, { activation });
        const ref = dense64(x, w, b, n, c, k, act);
        const [yg, zg, yo] = await Promise.all([y.read(), z!.read(), yOnly.read()]);
        expectWithin('z vs float64', zg, ref.z, (i) => ref.zBound[i]);
        // f is 1-Lipschitz for these (sigmoid: 1/4), plus its own rounding (4 ULP)
        expectWithin('y vs float64', yg, ref.y, (i) => ref.zBound[i] + 4 * 2 * EPS32 * Math.abs(ref.y[i]) + 1e-45);
        expect(Array.from(yo)).toEqual(Array.from(yg));

        // backward: dz = dy f'(z) on the GPU's z, then dx = dz W^T, dW = x^T dz, db = sum dz
        const grads = gpu.denseGrad(xt, wt, dyt, { activation, z: z! });
        const dz = Float64Array.from(dy, (v, i) => v * ACTS[act].d(zg[i]));
        const dx = matmul64(dz, w, n, k, c, false, true);
        const dw = matmul64(x, dz, c, n, k, true, false);
        const db = new Float64Array(k);
        const dbMag = new Float64Array(k);
        for (let i = 0; i < n * k; i++) {
          db[i % k] += dz[i];
          dbMag[i % k] += Math.abs(dz[i]);
        }
        // dz is rounded once (f' to a few ULP): 4 more eps32 per term
        const [dxg, dwg, dbg] = await Promise.all([grads.dx!.read(), grads.dkernel.read(), grads.dbias.read()]);
        expectWithin('dx vs float64', dxg, dx.ref, (i) => (k + 6) * EPS32 * dx.mag[i]);
        expectWithin('dkernel vs float64', dwg, dw.ref, (i) => (n + 6) * EPS32 * dw.mag[i]);
        expectWithin('dbias vs float64', dbg, db, (i) => (n + 6) * EPS32 * dbMag[i]);

        // the CPU twin (float32 arithmetic) agrees within the same bounds
        const cx = cpu.tensor(x, [n, c]);
        const cw = cpu.tensor(w, [c, k]);
        const cf = cpu.denseForward(cx, cw, cpu.tensor(b, [k]), { activation, keepPreActivation: true });
        const cg = cpu.denseGrad(cx, cw, cpu.tensor(dy, [n, k]), { activation, z: cf.z! });
        expectWithin('CPU twin z', await cf.z!.read(), ref.z, (i) => ref.zBound[i]);
        expectWithin('CPU twin dkernel', await cg.dkernel.read(), dw.ref, (i) => (n + 6) * EPS32 * dw.mag[i] + 1e-6 * (act === 'relu' ? 1 : 0));
        for (const t of [xt, wt, bt, dyt, y, z!, yOnly, grads.dx!, grads.dkernel, grads.dbias]) t.dispose();
      });
    }
  }
});

describe('dense gradients against finite differences', () => {
  // L = sum(r * act(x W + b)) in float64; central differences of the float64 forward.
  for (const act of ['none', 'sigmoid', 'relu']) {
    it(`${act}, 3x5 -> 4 and 1x1 -> 1`, async () => {
      for (const [n, c, k] of [[3, 5, 4], [1, 1, 1]]) {
        const seed = 99 + n + c + k;
        const x = randomArray(n * c, seed);
        const w = randomArray(c * k, seed + 1);
        const b = randomArray(k, seed + 2);
        const r = randomArray(n * k, seed + 3);
        const activation = act === 'none' ? undefined : act;
        const loss = (xs: ArrayLike<number>, ws: ArrayLike<number>, bs: ArrayLike<number>) => {
          let s = 0;
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < k; j++) {
              let zz = bs[j];
              for (let p = 0; p < c; p++) zz += xs[i * c + p] * ws[p * k + j];
              s += r[i * k + j] * ACTS[act].f(zz);
            }
          }
          return s;
        };
        const fd = (arr: Float32Array, which: 0 | 1 | 2) =>
          Array.from(arr, (_, i) => {
            const h = 1e-4;
            const plus = Float64Array.from(arr);
            const minus = Float64Array.from(arr);
            plus[i] += h;
            minus[i] -= h;
            const args = (v: Float64Array) => [which === 0 ? v : x, which === 1 ? v : w, which === 2 ? v : b] as const;
            return (loss(...args(plus)) - loss(...args(minus))) / (2 * h);
          });
        const xt = gpu.tensor(x, [n, c]);
        const wt = gpu.tensor(w, [c, k]);
        const { z } = gpu.denseForward(xt, wt, gpu.tensor(b, [k]), { activation, keepPreActivation: true });
        const g = gpu.denseGrad(xt, wt, gpu.tensor(r, [n, k]), { activation, z: z! });
        const tol = (ref: number[]) => (i: number) => 1e-4 + 1e-3 * Math.abs(ref[i]);
        const [fx, fw, fb] = [fd(x, 0), fd(w, 1), fd(b, 2)];
        expectWithin('dx vs finite differences', await g.dx!.read(), fx, tol(fx));
        expectWithin('dkernel vs finite differences', await g.dkernel.read(), fw, tol(fw));
        expectWithin('dbias vs finite differences', await g.dbias.read(), fb, tol(fb));
      }
    });
  }

  it('computeDx: false skips dx', async () => {
    const g = gpu.denseGrad(gpu.tensor([[1, 2]]), gpu.tensor([[3], [4]]), gpu.tensor([[1]]), { computeDx: false });
    expect(g.dx).toBeNull();
    expect(Array.from(await g.dkernel.read())).toEqual([1, 2]);
    expect(Array.from(await g.dbias.read())).toEqual([1]);
  });
});

describe('dense: the seeds', () => {
  it('000: a 2-input sigmoid neuron gives the printed net inputs and outputs', async () => {
    // the printed net inputs come from three houses; here, the first row reproduces them
    const w = gpu.tensor([[0.11075377], [-0.37975395]]);
    const b = gpu.tensor([0.00316227]);
    const x = gpu.tensor([[1, 1]]);
    const { y, z } = gpu.denseForward(x, w, b, { activation: 'sigmoid', keepPreActivation: true });
    const zv = (await z!.read())[0];
    expect(Math.abs(zv - (0.11075377 - 0.37975395 + 0.00316227))).toBeLessThan(1e-7);
    expect(Math.abs((await y.read())[0] - sigmoid(zv))).toBeLessThan(1e-7);
  });

  // 004: 2-2-2 network, ReLU hidden, sigmoid output, E = sum (y - t)^2 / 2 (so dE/dy = y - t),
  // per-sample SGD with lr 0.01; after 1000 epochs the book prints y and every weight.
  for (const backend of ['cpu', 'webgpu'] as const) {
    it(`004: 2-2-2 ReLU/sigmoid network, 1000 epochs, matches the printed weights to 6 digits (${backend})`, async () => {
      const rt = backend === 'cpu' ? cpu : gpu;
      const x = rt.tensor([[0.05, 0.1]]);
      const w1 = rt.tensor([[0.15, 0.25], [0.2, 0.3]]);
      const b1 = rt.tensor([0.35, 0.35]);
      const w2 = rt.tensor([[0.4, 0.5], [0.45, 0.55]]);
      const b2 = rt.tensor([0.6, 0.6]);
      const target = [0.01, 0.99].map(Math.fround); // float32 targets, as Keras
      let yLast: ArrayLike<number> = [];
      for (let epoch = 0; epoch < 1000; epoch++) {
        const l1 = rt.denseForward(x, w1, b1, { activation: 'relu', keepPreActivation: true });
        const l2 = rt.denseForward(l1.y, w2, b2, { activation: 'sigmoid', keepPreActivation: true });
        const y = await l2.y.read();
        yLast = y;
        const dy = rt.tensor([[Math.fround(y[0] - target[0]), Math.fround(y[1] - target[1])]]);
        const g2 = rt.denseGrad(l1.y, w2, dy, { activation: 'sigmoid', z: l2.z! });
        const g1 = rt.denseGrad(x, w1, g2.dx!, { activation: 'relu', z: l1.z!, computeDx: false });
        rt.sgdUpdate([w2, b2, w1, b1], [g2.dkernel, g2.dbias, g1.dkernel, g1.dbias], { learningRate: 0.01 });
        for (const t of [l1.y, l1.z!, l2.y, l2.z!, dy, g2.dx!, g2.dkernel, g2.dbias, g1.dkernel, g1.dbias]) t.dispose();
      }
      const r6 = (v: ArrayLike<number>) => Array.from(v, (t) => Number(t.toFixed(6)));
      expect(r6(yLast)).toEqual([0.359368, 0.809741]);
      const [W1, B1, W2, B2] = await Promise.all([w1.read(), b1.read(), w2.read(), b2.read()]);
      // W1 = [[w1, w3], [w2, w4]]
      expect(r6(W1)).toEqual([0.149033, 0.247115, 0.198065, 0.29423]);
      expect(r6(B1)).toEqual([0.330653, 0.292297]);
      expect(r6(W2)).toEqual([0.009232, 0.629159, 0.063927, 0.677595]);
      expect(r6(B2)).toEqual([-0.603755, 0.997324]);
    });
  }
});

describe('sgdUpdate', () => {
  const cases = [
    { name: 'plain', momentum: 0, nesterov: false },
    { name: 'momentum 0.9', momentum: 0.9, nesterov: false },
    { name: 'nesterov', momentum: 0.9, nesterov: true },
  ];
  for (const c of cases) {
    it(`${c.name}: 3 steps on a kernel [65, 33] and a bias [33] match the float32 formulas`, async () => {
      const p0 = randomArray(65 * 33, 1);
      const p1 = randomArray(33, 2);
      const params = [gpu.tensor(p0, [65, 33]), gpu.tensor(p1, [33])];
      const vels = c.momentum ? [gpu.zeros([65, 33]), gpu.zeros([33])] : undefined;
      const ref = [Float64Array.from(p0), Float64Array.from(p1)];
      const vref = [new Float64Array(p0.length), new Float64Array(p1.length)];
      const f = Math.fround;
      for (let step = 0; step < 3; step++) {
        const gs = [randomArray(p0.length, 10 + step), randomArray(p1.length, 20 + step)];
        gpu.sgdUpdate(params, gs.map((g, i) => gpu.tensor(g, params[i].shape)), { learningRate: 0.1, momentum: c.momentum, velocity: vels, nesterov: c.nesterov });
        // Keras float32: v = m v - lr g; p += v (nesterov: p += m v - lr g); plain: p -= lr g
        gs.forEach((g, t) => {
          for (let i = 0; i < g.length; i++) {
            const lg = f(f(0.1) * g[i]);
            if (!c.momentum) ref[t][i] = f(ref[t][i] - lg);
            else {
              vref[t][i] = f(f(f(0.9) * vref[t][i]) - lg);
              ref[t][i] = f(ref[t][i] + (c.nesterov ? f(f(f(0.9) * vref[t][i]) - lg) : vref[t][i]));
            }
          }
        });
      }
      // the GPU may fuse m * v - lr * g into one rounding: a few eps32 of the terms
      const bound = (r: Float64Array) => (i: number) => 8 * EPS32 * (Math.abs(r[i]) + 1);
      expectWithin('param 0', await params[0].read(), ref[0], bound(ref[0]));
      expectWithin('param 1', await params[1].read(), ref[1], bound(ref[1]));
      if (vels) expectWithin('velocity 0', await vels[0].read(), vref[0], bound(vref[0]));
      // the CPU path computes exactly these float32 formulas
      const cp = cpu.tensor(p0, [65, 33]);
      const cv = cpu.zeros([65, 33]);
      const g0 = randomArray(p0.length, 10);
      cpu.sgdUpdate(cp, cpu.tensor(g0, [65, 33]), { learningRate: 0.1, momentum: c.momentum, velocity: c.momentum ? cv : undefined, nesterov: c.nesterov });
      const once = await cp.read();
      const lg = (i: number) => f(f(0.1) * g0[i]);
      const exp1 = Float32Array.from(p0, (p, i) => (c.momentum ? f(p + (c.nesterov ? f(f(f(0.9) * -lg(i)) - lg(i)) : -lg(i))) : f(p - lg(i))));
      expect(Array.from(once)).toEqual(Array.from(exp1));
    });
  }

  it('a single tensor, odd length, and an empty one', async () => {
    const p = gpu.tensor([1, 2, 3]);
    gpu.sgdUpdate(p, gpu.tensor([1, 1, 1]), { learningRate: 0.5 });
    expect(Array.from(await p.read())).toEqual([0.5, 1.5, 2.5]);
    const e = gpu.zeros([0]);
    gpu.sgdUpdate([e, p], [gpu.zeros([0]), gpu.tensor([2, 2, 2])], { learningRate: 0.25 });
    expect(Array.from(await p.read())).toEqual([0, 1, 2]);
  });
});

describe('bad input', () => {
  const cases: [string, (rt: Runtime) => unknown, RegExp][] = [
    ['matmul rank 1', (rt) => rt.matmul(rt.tensor([1, 2]), rt.tensor([[1], [2]])), /matmul: expected a of rank 2, got shape \[2\]/],
    ['matmul inner mismatch', (rt) => rt.matmul(rt.zeros([4, 3]), rt.zeros([2, 5])), /matmul: expected b of shape \[3, N\] for a of shape \[4, 3\], got \[2, 5\]/],
    ['matmul transposeB mismatch', (rt) => rt.matmul(rt.zeros([4, 3]), rt.zeros([2, 5]), { transposeB: true }), /expected b of shape \[N, 3\] \(transposeB\)/],
    ['dense kernel mismatch', (rt) => rt.dense(rt.zeros([4, 3]), rt.zeros([2, 5])), /dense: expected kernel of shape \[3, K\] for x of shape \[4, 3\], got \[2, 5\]/],
    ['dense rank 3 x', (rt) => rt.dense(rt.zeros([4, 3, 1]), rt.zeros([3, 5])), /dense: expected x of rank 2, got shape \[4, 3, 1\]/],
    ['dense bias length', (rt) => rt.dense(rt.zeros([4, 3]), rt.zeros([3, 5]), rt.zeros([4])), /dense: expected bias of shape \[5\] for kernel of shape \[3, 5\], got \[4\]/],
    // @ts-expect-error 'nope' is no activation: a compile error too
    ['dense unknown activation', (rt) => rt.dense(rt.zeros([4, 3]), rt.zeros([3, 5]), null, { activation: 'nope' }), /dense: unknown activation 'nope'/],
    // @ts-expect-error softmax is not elementwise: a compile error too
    ['dense softmax', (rt) => rt.dense(rt.zeros([4, 3]), rt.zeros([3, 5]), null, { activation: 'softmax' }), /softmax is not an elementwise activation/],
    ['denseGrad dy shape', (rt) => rt.denseGrad(rt.zeros([4, 3]), rt.zeros([3, 5]), rt.zeros([4, 2])), /denseGrad: expected dy of shape \[4, 5\] for x \[4, 3\] and kernel \[3, 5\], got \[4, 2\]/],
    ['denseGrad activation without z', (rt) => rt.denseGrad(rt.zeros([4, 3]), rt.zeros([3, 5]), rt.zeros([4, 5]), { activation: 'relu' }), /needs the pre-activation z/],
    ['sgd grad shape', (rt) => rt.sgdUpdate(rt.zeros([2, 2]), rt.zeros([4]), { learningRate: 0.1 }), /sgdUpdate: expected grad 0 of shape \[2, 2\] \(its param\), got \[4\]/],
    ['sgd momentum without velocity', (rt) => rt.sgdUpdate(rt.zeros([2]), rt.zeros([2]), { learningRate: 0.1, momentum: 0.9 }), /needs one velocity tensor per parameter/],
    ['sgd bad learning rate', (rt) => rt.sgdUpdate(rt.zeros([2]), rt.zeros([2]), { learningRate: NaN }), /learningRate must be a finite number/],
  ];
  for (const [name, f, re] of cases) {
    it(name, () => {
      for (const rt of [gpu, cpu]) {
        expect(() => f(rt)).toThrow(NNError);
        expect(() => f(rt)).toThrow(re);
      }
    });
  }

  it('a disposed kernel', () => {
    const w = gpu.zeros([3, 5]);
    w.dispose();
    expect(() => gpu.dense(gpu.zeros([4, 3]), w)).toThrow(/^dense: kernel \(tensor #\d+ \[3, 5\]\) was disposed$/);
  });
});

