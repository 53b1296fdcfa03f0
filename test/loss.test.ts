// Every loss, forward and backward, on the Dawn adapter against a float64 reference written here
// (relative 1e-6), the CPU path and finite differences: the seeds' cross-entropies, Keras
// semantics (clipping, means, normalised probabilities), aliases, reductions, properties,
// invalid labels and targets, and bad input.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, NNError, resolveLossName, type LossOptions, type Runtime, type Tensor } from '../src/index';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EPS = Math.fround(1e-7);
const clip = (p: number) => Math.min(Math.max(p, EPS), Math.fround(1 - EPS));

/** Per-sample float64 reference, written independently of src/kernels/loss.ts. */
function refPerSample(name: string, p: Float32Array, t: Float32Array, len: number, fromLogits = false): number[] {
  const out: number[] = [];
  for (let o = 0; o < p.length; o += len) {
    const pr = Array.from(p.subarray(o, o + len));
    const tr = Array.from(t.subarray(o, o + len));
    const mean = (f: (a: number, b: number) => number) => pr.reduce((s, v, k) => s + f(v, tr[k]), 0) / len;
    if (name === 'mse') out.push(mean((a, b) => (a - b) ** 2));
    else if (name === 'mae') out.push(mean((a, b) => Math.abs(a - b)));
    else if (name === 'halfSquaredError') out.push(mean((a, b) => (a - b) ** 2 / 2) * len);
    else if (name === 'binaryCrossentropy') {
      out.push(fromLogits
        ? mean((z, y) => -(y * Math.log(1 / (1 + Math.exp(-z))) + (1 - y) * Math.log(1 / (1 + Math.exp(z)))))
        : mean((a, y) => -(y * Math.log(clip(a)) + (1 - y) * Math.log(1 - clip(a)))));
    } else {
      if (fromLogits) {
        const m = Math.max(...pr);
        const count = pr.filter((z) => z === m).length;
        const rest = pr.reduce((acc, z) => acc + (z === m ? 0 : Math.exp(z - m)), 0);
        const ls = count === 1 ? Math.log1p(rest) : Math.log(count + rest);
        out.push(-tr.reduce((acc, y, k) => acc + (y === 0 ? 0 : y * (pr[k] - m - ls)), 0));
        continue;
      }
      const s = pr.reduce((a, b) => a + b, 0);
      const q = pr.map((v) => clip(v / s));
      out.push(-tr.reduce((acc, y, k) => acc + (y === 0 ? 0 : y * Math.log(q[k])), 0));
    }
  }
  return out;
}

function relClose(got: number, want: number, rtol = 1e-6, atol = 1e-12): boolean {
  return Math.abs(got - want) <= atol + rtol * Math.abs(want);
}

function expectClose(label: string, got: ArrayLike<number>, want: ArrayLike<number>, rtol = 1e-6, atol = 1e-12): void {
  expect(got.length, label).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!relClose(got[i], want[i], rtol, atol)) throw new Error(`${label}: index ${i}: got ${got[i]}, want ${want[i]} (rtol ${rtol})`);
  }
}

let rt: Runtime;
let cpu: Runtime;
beforeAll(async () => {
  rt = await createRuntime();
  cpu = await createRuntime({ backend: 'cpu' });
});
afterAll(() => {
  rt?.dispose();
  cpu?.dispose();
});

describe('losses: the seeds', () => {
  it('cross-entropy of the one-hot target on class 2 = -ln(0.9025377); -ln(0.9) = 0.10536052', async () => {
    for (const r of [rt, cpu]) {
      const z = r.tensor([[1.3, 5.1, 2.2, 0.7, 1.1]]);
      const t = r.tensor([[0, 1, 0, 0, 0]]);
      const fromLogits = (await r.loss('categoricalCrossentropy', z, t, { fromLogits: true }).read())[0];
      expect(relClose(fromLogits, -Math.log(0.9025377), 1e-6)).toBe(true);
      const probs = r.softmax(z);
      const viaProbs = (await r.loss('categorical_crossentropy', probs, t).read())[0];
      expect(relClose(viaProbs, -Math.log(0.9025377), 1e-6)).toBe(true);
      const sparse = (await r.loss('sparseCategoricalCrossentropy', z, r.tensor([1]), { fromLogits: true }).read())[0];
      expect(sparse).toBe(fromLogits);
      const p9 = (await r.loss('categoricalCrossentropy', r.tensor([[0.05, 0.9, 0.05]]), r.tensor([[0, 1, 0]])).read())[0];
      expect(relClose(p9, 0.10536052, 1e-6)).toBe(true);
    }
  });

  it('halfSquaredError is E = sum (y - t)^2 / 2 per sample, gradient y - t (the 2-2-2 network)', async () => {
    const y = rt.tensor([[0.75136507, 0.77292847]]);
    const t = rt.tensor([[0.01, 0.99]]);
    const e = (await rt.loss('halfSquaredError', y, t, { reduction: 'sum' }).read())[0];
    expect(relClose(e, ((0.75136507 - 0.01) ** 2 + (0.77292847 - 0.99) ** 2) / 2, 1e-6)).toBe(true);
    const g = await rt.lossGrad('halfSquaredError', y, t, { reduction: 'sum' }).read();
    expectClose('dE/dy', g, [0.75136507 - 0.01, 0.77292847 - 0.99], 1e-6);
  });
});

interface Case {
  name: string;
  shape: number[];
  opts?: LossOptions;
  /** targets: 'real', 'binary' (in [0, 1]), 'onehot', 'labels' */
  targets: 'real' | 'binary' | 'onehot' | 'labels';
  /** predictions: 'real', 'prob' (in (0, 1)), 'logits' */
  preds: 'real' | 'prob' | 'logits';
}

const CASES: Case[] = [];
for (const shape of [[7, 1], [5, 3], [130, 10], [3, 1000], [2, 5, 4]]) {
  CASES.push({ name: 'mse', shape, targets: 'real', preds: 'real' });
  CASES.push({ name: 'mae', shape, targets: 'real', preds: 'real' });
  CASES.push({ name: 'halfSquaredError', shape, targets: 'real', preds: 'real' });
  CASES.push({ name: 'binaryCrossentropy', shape, targets: 'binary', preds: 'prob' });
  CASES.push({ name: 'binaryCrossentropy', shape, targets: 'binary', preds: 'logits', opts: { fromLogits: true } });
  CASES.push({ name: 'categoricalCrossentropy', shape, targets: 'onehot', preds: 'prob' });
  CASES.push({ name: 'categoricalCrossentropy', shape, targets: 'binary', preds: 'logits', opts: { fromLogits: true } });
  CASES.push({ name: 'sparseCategoricalCrossentropy', shape, targets: 'labels', preds: 'prob' });
  CASES.push({ name: 'sparseCategoricalCrossentropy', shape, targets: 'labels', preds: 'logits', opts: { fromLogits: true } });
}

function makeData(c: Case, seed: number): { p: Float32Array; t: Float32Array; tShape: number[]; tDense: Float32Array } {
  const r = rng(seed);
  const len = c.shape[c.shape.length - 1];
  const n = c.shape.reduce((a, b) => a * b, 1);
  const p = new Float32Array(n).map(() => (c.preds === 'prob' ? 0.02 + 0.96 * r() : c.preds === 'logits' ? (r() - 0.5) * 12 : (r() - 0.5) * 4));
  if (c.preds === 'prob' && c.name.includes('ategorical')) {
    for (let o = 0; o < n; o += len) {
      const s = p.subarray(o, o + len).reduce((a, b) => a + b, 0);
      for (let k = 0; k < len; k++) p[o + k] = p[o + k] / s;
    }
  }
  const rows = n / len;
  if (c.targets === 'labels' || c.targets === 'onehot') {
    const labels = new Float32Array(rows).map(() => Math.floor(r() * len));
    const dense = new Float32Array(n);
    labels.forEach((l, i) => (dense[i * len + l] = 1));
    return c.targets === 'labels' ? { p, t: labels, tShape: c.shape.slice(0, -1), tDense: dense } : { p, t: dense, tShape: c.shape, tDense: dense };
  }
  const t = new Float32Array(n).map(() => (c.targets === 'binary' ? (r() < 0.3 ? r() : Math.round(r())) : (r() - 0.5) * 4));
  return { p, t, tShape: c.shape, tDense: t };
}

describe('losses: table against the float64 reference (relative 1e-6), the CPU path and finite differences', () => {
  CASES.forEach((c, ci) => {
    const tag = `${c.name}${c.opts?.fromLogits ? ' fromLogits' : ''} [${c.shape.join(', ')}]`;
    it(tag, async () => {
      const { p, t, tShape, tDense } = makeData(c, ci + 1);
      const len = c.shape[c.shape.length - 1];
      const refName = c.name === 'sparseCategoricalCrossentropy' ? 'categoricalCrossentropy' : c.name;
      const per = refPerSample(refName, p, tDense, len, c.opts?.fromLogits);
      const sum = per.reduce((a, b) => a + b, 0);
      for (const r of [rt, cpu]) {
        const P = r.tensor(p, c.shape);
        const T = r.tensor(t, tShape);
        const none = await r.loss(c.name, P, T, { ...c.opts, reduction: 'none' });
        expect(none.shape).toEqual(c.shape.slice(0, -1));
        expectClose(`${tag} none`, await none.read(), per, 1e-6, 1e-12);
        const mean = await r.loss(c.name, P, T, c.opts);
        expect(mean.shape).toEqual([]);
        expectClose(`${tag} mean`, await mean.read(), [sum / per.length], 1e-6);
        expectClose(`${tag} sum`, await r.loss(c.name, P, T, { ...c.opts, reduction: 'sum' }).read(), [sum], 1e-6);
      }
      // gradients: GPU vs CPU, then the CPU against central differences of the float64 reference
      const gGpu = await rt.lossGrad(c.name, rt.tensor(p, c.shape), rt.tensor(t, tShape), c.opts).read();
      const gCpu = await cpu.lossGrad(c.name, cpu.tensor(p, c.shape), cpu.tensor(t, tShape), c.opts).read();
      expectClose(`${tag} grad gpu vs cpu`, gGpu, gCpu, 1e-5, 1e-7);
      const rows = per.length;
      const h = c.preds === 'prob' ? 1e-5 : 1e-4;
      for (const i of [0, Math.floor(p.length / 2), p.length - 1]) {
        const f = (d: number) => {
          const q = Float64Array.from(p) as unknown as Float32Array;
          q[i] += d;
          return refPerSample(refName, q, tDense, len, c.opts?.fromLogits).reduce((a, b) => a + b, 0) / rows;
        };
        const fd = (f(h) - f(-h)) / (2 * h);
        if (Math.abs(fd - gCpu[i]) > 1e-5 + 1e-3 * Math.abs(fd)) throw new Error(`${tag}: d/dp[${i}]: finite difference ${fd}, gradient ${gCpu[i]}`);
      }
    });
  });

  it('verify: true accepts every loss and gradient', async () => {
    const v = await createRuntime({ verify: true });
    try {
      CASES.filter((c) => c.shape.join() === '130,10').forEach((c, i) => {
        const { p, t, tShape } = makeData(c, 500 + i);
        for (const reduction of ['mean', 'sum', 'none'] as const) {
          v.loss(c.name, v.tensor(p, c.shape), v.tensor(t, tShape), { ...c.opts, reduction });
          v.lossGrad(c.name, v.tensor(p, c.shape), v.tensor(t, tShape), { ...c.opts, reduction });
        }
      });
      await v.sync();
    } finally {
      v.dispose();
    }
  });

  it('many samples (multi-pass sum) and 1000 classes from logits', async () => {
    const shape = [70001, 3];
    const c: Case = { name: 'categoricalCrossentropy', shape, targets: 'binary', preds: 'logits', opts: { fromLogits: true } };
    const { p, t, tDense } = makeData(c, 77);
    const per = refPerSample('categoricalCrossentropy', p, tDense, 3, true);
    const got = await rt.loss('categoricalCrossentropy', rt.tensor(p, shape), rt.tensor(t, shape), { fromLogits: true }).read();
    expectClose('mean of 70001', got, [per.reduce((a, b) => a + b, 0) / per.length], 1e-6);
    const mse = await rt.loss('mse', rt.tensor(p, shape), rt.tensor(t, shape)).read();
    const want = refPerSample('mse', p, t, 3);
    expectClose('mse of 70001', mse, [want.reduce((a, b) => a + b, 0) / want.length], 1e-6);
  });
});

describe('losses: Keras semantics and properties', () => {
  it('binaryCrossentropy clips predictions to [1e-7, 1 - 1e-7]; fromLogits does not clip', async () => {
    const bce = (await rt.loss('binaryCrossentropy', rt.tensor([[0], [1]]), rt.tensor([[1], [0]]), { reduction: 'none' }).read());
    expectClose('clipped', bce, [-Math.log(EPS), -Math.log1p(-Math.fround(1 - EPS))], 1e-6);
    const logits = await rt.loss('binaryCrossentropy', rt.tensor([[-100], [100], [0]]), rt.tensor([[1], [0], [1]]), { fromLogits: true, reduction: 'none' }).read();
    expectClose('log-sigmoid', logits, [100, 100, Math.LN2], 1e-6);
  });

  it('cross-entropy >= 0 and = log C for uniform logits', async () => {
    for (const C of [2, 10, 1000]) {
      const z = rt.tensor(new Float32Array(4 * C).fill(3.25), [4, C]);
      const t = rt.tensor(new Float32Array(4 * C).map((_, i) => (i % C === (i / C | 0) % C ? 1 : 0)), [4, C]);
      const l = await rt.loss('categoricalCrossentropy', z, t, { fromLogits: true, reduction: 'none' }).read();
      expectClose(`uniform C=${C}`, l, [Math.log(C), Math.log(C), Math.log(C), Math.log(C)], 1e-6);
    }
    const z = rt.tensor(new Float32Array(50 * 7).map((_, i) => Math.sin(i) * 30), [50, 7]);
    const t = rt.tensor(new Float32Array(50 * 7).map((_, i) => (i % 7 === 3 ? 1 : 0)), [50, 7]);
    const l = await rt.loss('categoricalCrossentropy', z, t, { fromLogits: true, reduction: 'none' }).read();
    expect(l.every((v) => v >= 0)).toBe(true);
  });

  it('huge and -Infinity logits: exact zero-probability classes do not poison the loss', async () => {
    const z = rt.tensor([[1000, 1001, 1002], [-Infinity, 0, 0], [NaN, 0, 1]]);
    const t = rt.tensor([[0, 0, 1], [0, 1, 0], [0, 1, 0]]);
    const l = await rt.loss('categoricalCrossentropy', z, t, { fromLogits: true, reduction: 'none' }).read();
    expectClose('stable', l.slice(0, 2), [Math.log(1 + Math.exp(-1) + Math.exp(-2)), Math.LN2], 1e-6);
    expect(Number.isNaN(l[2])).toBe(true);
    const g = await rt.lossGrad('categoricalCrossentropy', z, t, { fromLogits: true, reduction: 'none' }).read();
    expect(g[3]).toBe(0);
    expectClose('grad of masked row', g.slice(4, 6), [-0.5, 0.5], 1e-6);
  });

  it('propagates NaN: a NaN probability gives a NaN loss, not the clipped value', async () => {
    // (lavapipe's clamp turns NaN into the lower bound: the loss was a finite 16.1 here)
    const p = rt.tensor([[NaN, 0.5, 0.5], [0.2, 0.3, 0.5]]);
    const t = rt.tensor([[0, 1, 0], [0, 1, 0]]);
    const l = await rt.loss('categoricalCrossentropy', p, t, { reduction: 'none' }).read();
    expect(Number.isNaN(l[0])).toBe(true);
    expectClose('clean row', l.slice(1), [-Math.log(0.3)], 1e-6);
    const b = await rt.loss('binaryCrossentropy', rt.tensor([[NaN, 0.5]]), rt.tensor([[0, 1]]), { reduction: 'none' }).read();
    expect(Number.isNaN(b[0])).toBe(true);
  });

  it('accepts Keras and TensorFlow.js spellings', () => {
    for (const [alias, name] of [['MSE', 'mse'], ['mean_squared_error', 'mse'], ['meanSquaredError', 'mse'], ['mean_absolute_error', 'mae'], ['binary_crossentropy', 'binaryCrossentropy'], ['categorical_crossentropy', 'categoricalCrossentropy'], ['sparse_categorical_crossentropy', 'sparseCategoricalCrossentropy']]) {
      expect(resolveLossName(alias)).toBe(name);
    }
  });

  it('is deterministic', async () => {
    const z = rt.tensor(new Float32Array(512 * 1000).map((_, i) => Math.sin(i * 0.37) * 8), [512, 1000]);
    const t = rt.tensor(new Float32Array(512).map((_, i) => i % 1000), [512]);
    const a = await rt.loss('sparseCategoricalCrossentropy', z, t, { fromLogits: true }).read();
    const b = await rt.loss('sparseCategoricalCrossentropy', z, t, { fromLogits: true }).read();
    expect(b[0]).toBe(a[0]);
  });
});

describe('losses: invalid values and bad input', () => {
  it('labels out of range or not integers: NNError at once where the labels are on the host, else on the next read', async () => {
    for (const bad of [3, -1, 1.5, NaN]) {
      const args = (r: Runtime) => [r.tensor([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]), r.tensor([1, bad])] as const;
      const msg = `label ${bad} at index 1 is not a class index: expected an integer in [0, 2]`;
      expect(() => cpu.loss('sparseCategoricalCrossentropy', ...args(cpu))).toThrow(msg);
      expect(() => rt.loss('sparseCategoricalCrossentropy', ...args(rt), { reduction: 'none' })).toThrow(msg);
      expect(() => rt.lossGrad('sparseCategoricalCrossentropy', ...args(rt))).toThrow(`sparseCategoricalCrossentropy.backward [2, 3]: ${msg}`);
      expect(() => rt.lossAndGrad('sparseCategoricalCrossentropy', ...args(rt), { fromLogits: true })).toThrow(msg);
      // Labels an op wrote live on the GPU only: the error comes with the next read.
      const [p, t] = args(rt);
      const onGpu = rt.activation('identity', t);
      const l = rt.loss('sparseCategoricalCrossentropy', p, onGpu, { reduction: 'none' });
      await expect(l.read()).rejects.toThrow(msg);
      // Reported once; the runtime stays usable and the NaN stays in that sample only.
      const again = await l.read();
      expect(Number.isFinite(again[0]) && Number.isNaN(again[1])).toBe(true);
      await rt.sync();
    }
    const v = await createRuntime({ verify: true });
    try {
      expect(() => v.loss('sparseCategoricalCrossentropy', v.tensor([[0.2, 0.8]]), v.tensor([2]))).toThrow(/label 2 at index 0 is not a class index/);
    } finally {
      v.dispose();
    }
  });

  it('binary targets outside [0, 1]: NNError at once, or on the next read for targets an op wrote', async () => {
    const msg = 'binaryCrossentropy.forward [2, 1]: target 1.5 at index 1 is outside [0, 1]';
    expect(() => cpu.loss('binaryCrossentropy', cpu.tensor([[0.5], [0.5]]), cpu.tensor([[1], [1.5]]))).toThrow(msg);
    expect(() => rt.loss('binaryCrossentropy', rt.tensor([[0.5], [0.5]]), rt.tensor([[1], [1.5]]))).toThrow(msg);
    expect(() => rt.lossGrad('binaryCrossentropy', rt.tensor([[0.5], [0.5]]), rt.tensor([[-0.5], [1]]), { fromLogits: true })).toThrow('target -0.5 at index 0 is outside [0, 1]');
    const t = rt.activation('identity', rt.tensor([[1], [1.5]]));
    const l = rt.loss('binaryCrossentropy', rt.tensor([[0.5], [0.5]]), t, { reduction: 'none' });
    await expect(rt.sync()).rejects.toThrow(msg);
    const v = await l.read();
    expect(Number.isNaN(v[1]) && Number.isFinite(v[0])).toBe(true);
  });

  it('names the loss and the offending shape, name or option', () => {
    const p = rt.tensor(new Float32Array(12), [4, 3]);
    expect(() => rt.loss('categoricalCrossentropy', p, rt.tensor(new Float32Array(8), [4, 2]))).toThrow('categoricalCrossentropy: expected yTrue of shape [4, 3], got [4, 2]');
    expect(() => rt.lossGrad('mse', p, rt.tensor(new Float32Array(12), [3, 4]))).toThrow('mse.backward: expected yTrue of shape [4, 3], got [3, 4]');
    expect(() => rt.loss('sparseCategoricalCrossentropy', p, rt.tensor([0, 1, 2]))).toThrow('sparseCategoricalCrossentropy: expected yTrue (class indices) of shape [4] or [4, 1] for yPred [4, 3], got [3]');
    // @ts-expect-error 'hinge' is no loss: a compile error too
    expect(() => rt.loss('hinge', p, p)).toThrow(NNError);
    // @ts-expect-error as above
    expect(() => rt.loss('hinge', p, p)).toThrow("loss: unknown loss 'hinge'");
    expect(() => rt.loss('mse', p, p, { fromLogits: true })).toThrow("mse: unknown option 'fromLogits' (known: reduction)");
    expect(() => rt.loss('mse', p, p, { reduction: 'avg' } as never)).toThrow("mse: reduction must be 'mean', 'sum' or 'none', got avg");
    expect(() => rt.loss('mse', rt.tensor(1), rt.tensor(1))).toThrow(/rank >= 1/);
  });
});

describe('lossAndGrad: loss and gradient together', () => {
  const rand = (n: number, seed: number) => {
    let s = seed;
    return Array.from({ length: n }, () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 8 - 4);
  };
  const cases: [string, number, number, string, LossOptions][] = [
    ['categorical from logits, medium rows (one pass)', 37, 1000, 'categoricalCrossentropy', { fromLogits: true }],
    ['categorical from logits, sum, odd rows (one pass)', 5, 33, 'categorical_crossentropy', { fromLogits: true, reduction: 'sum' }],
    ['sparse from logits, none (one pass)', 9, 100, 'sparseCategoricalCrossentropy', { fromLogits: true, reduction: 'none' }],
    ['categorical from logits, short rows (one pass)', 64, 10, 'categoricalCrossentropy', { fromLogits: true }],
    ['sparse from logits, rows of 3, none (one pass)', 7, 3, 'sparseCategoricalCrossentropy', { fromLogits: true, reduction: 'none' }],
    ['categorical from logits, rows of 1 (one pass)', 5, 1, 'categoricalCrossentropy', { fromLogits: true }],
    ['mse (two ops)', 8, 3, 'mse', {}],
  ];
  it('short rows in one pass give the bits of the two ops, edge rows included', async () => {
    // rows: ordinary, one -Infinity logit, a NaN logit, huge logits, soft targets
    const z = [1, 2, 3, 0.5, -1, -Infinity, 2, 0, NaN, 1, 2, 3, 1000, 1001, 1002, 4, 0.25, -3, 2, 1];
    const t = [0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0.25, 0.25, 0.5, 0];
    for (const reduction of ['none', 'sum'] as const) {
      const zt = rt.tensor(z, [5, 4]);
      const tt = rt.tensor(t, [5, 4]);
      const opts = { fromLogits: true, reduction };
      const both = rt.lossAndGrad('categoricalCrossentropy', zt, tt, opts);
      const bits = async (x: Tensor) => Array.from(new Uint32Array((await x.read()).buffer));
      expect(await bits(both.loss)).toEqual(await bits(rt.loss('categoricalCrossentropy', zt, tt, opts)));
      expect(await bits(both.grad)).toEqual(await bits(rt.lossGrad('categoricalCrossentropy', zt, tt, opts)));
    }
  });

  it.each(cases)('%s equals loss and lossGrad, and the CPU path', async (_name, rows, len, loss, opts) => {
    const z = rand(rows * len, rows + len);
    const sparse = loss.startsWith('sparse');
    const labels = Array.from({ length: rows }, (_, r) => (r * 7) % len);
    const t = sparse ? labels : Array.from({ length: rows * len }, (_, i) => (i % len === labels[Math.floor(i / len)] ? 1 : 0));
    const results = [];
    for (const r of [rt, cpu]) {
      const zt = r.tensor(z, [rows, len]);
      const tt = sparse ? r.tensor(t, [rows]) : r.tensor(t, [rows, len]);
      const both = r.lossAndGrad(loss, zt, tt, opts);
      const sep = [r.loss(loss, zt, tt, opts), r.lossGrad(loss, zt, tt, opts)];
      results.push([await both.loss.read(), await both.grad.read(), await sep[0].read(), await sep[1].read()]);
    }
    const [[gl, gg, sl, sg], [cl, cg]] = results;
    const close = (a: Float32Array, b: Float32Array, rtol: number, atol: number) =>
      a.forEach((v, i) => expect(Math.abs(v - b[i]), `index ${i}: ${v} vs ${b[i]}`).toBeLessThanOrEqual(atol + rtol * Math.abs(b[i])));
    close(gl, sl, 1e-6, 0);
    close(gg, sg, 1e-6, 1e-9);
    close(gl, cl, 1e-6, 0);
    close(gg, cg, 1e-5, 1e-7);
  });
});
