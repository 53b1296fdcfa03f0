// Reliability across every public op: hostile input on both paths, bitwise determinism, and a
// device lost in the middle of training.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, Dense, DeviceLostError, Input, NNError, Sequential, type Runtime, type Tensor } from '../src/index';

const SEED = 611;
let gpu: Runtime;
let cpu: Runtime;
let plain: Runtime;

beforeAll(async () => {
  gpu = await createRuntime({ verify: true });
  cpu = await createRuntime({ backend: 'cpu' });
  plain = await createRuntime();
});
afterAll(() => {
  gpu.dispose();
  cpu.dispose();
  plain.dispose();
});

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`timed out: ${what}`)), ms))]);
}

const hostile = fc.oneof(
  { weight: 3, arbitrary: fc.double({ min: -20, max: 20, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1.4e-45, 3.4e38, -3.4e38, 1000, -1000, 1e-30) },
);

function fill(n: number, pool: number[]): number[] {
  return Array.from({ length: n }, (_, i) => (pool.length ? pool[i % pool.length] : i / 7));
}

/** One random call of a public op, described as data so both runtimes run the same thing. */
type Call =
  | { op: 'softmax' | 'logSoftmax' | 'softmaxGrad' | 'logSoftmaxGrad'; shape: number[]; axis: unknown; a: number[]; b: number[] }
  | { op: 'loss' | 'lossGrad'; name: string; shape: number[]; tshape: number[]; a: number[]; b: number[]; options: Record<string, unknown> }
  | { op: 'matmul'; m: number; k: number; n: number; k2: number; a: number[]; b: number[]; ta: boolean; tb: boolean }
  | { op: 'dense' | 'denseGrad'; n: number; c: number; k: number; biasLen: number; activation: unknown; a: number[]; b: number[] };

const dims = fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 0, maxLength: 3 });
const values = fc.array(hostile, { minLength: 0, maxLength: 64 });
const LOSSES = ['mse', 'mae', 'halfSquaredError', 'binaryCrossentropy', 'categoricalCrossentropy', 'sparseCategoricalCrossentropy', 'mean_squared_error', 'hinge', ''];

const call: fc.Arbitrary<Call> = fc.oneof(
  fc.record({
    op: fc.constantFrom('softmax' as const, 'logSoftmax' as const, 'softmaxGrad' as const, 'logSoftmaxGrad' as const),
    shape: dims,
    axis: fc.oneof(fc.integer({ min: -4, max: 4 }), fc.constantFrom(undefined, 0.5, 'x')),
    a: values,
    b: values,
  }),
  fc.record({
    op: fc.constantFrom('loss' as const, 'lossGrad' as const),
    name: fc.constantFrom(...LOSSES),
    shape: dims,
    tshape: fc.oneof({ weight: 4, arbitrary: fc.constant([] as number[]) }, { weight: 1, arbitrary: dims }),
    a: fc.array(fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), hostile), { maxLength: 64 }),
    b: fc.array(fc.oneof(fc.constantFrom(0, 1, 2, 0.5, -1, 7), hostile), { maxLength: 64 }),
    options: fc.record(
      {
        reduction: fc.constantFrom('mean', 'sum', 'none', 'bogus'),
        fromLogits: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
  }),
  fc.record({
    op: fc.constant('matmul' as const),
    m: fc.integer({ min: 0, max: 9 }),
    k: fc.integer({ min: 0, max: 9 }),
    n: fc.integer({ min: 0, max: 9 }),
    k2: fc.integer({ min: 0, max: 9 }),
    a: values,
    b: values,
    ta: fc.boolean(),
    tb: fc.boolean(),
  }),
  fc.record({
    op: fc.constantFrom('dense' as const, 'denseGrad' as const),
    n: fc.integer({ min: 0, max: 9 }),
    c: fc.integer({ min: 1, max: 9 }),
    k: fc.integer({ min: 1, max: 9 }),
    biasLen: fc.integer({ min: 0, max: 9 }),
    activation: fc.constantFrom(undefined, 'relu', 'sigmoid', 'tanh', 'linear', 'softmax', 'nope'),
    a: values,
    b: values,
  }),
);

/** Runs `c`; returns the flat outputs, or the error after checking it is a clear NNError. */
async function attempt(rt: Runtime, c: Call): Promise<Float32Array[] | Error> {
  const made: Tensor[] = [];
  const t = (v: number[], shape: number[]) => {
    const n = shape.reduce((x, y) => x * y, 1);
    const x = rt.tensor(fill(n, v), shape);
    made.push(x);
    return x;
  };
  try {
    let outs: Tensor[];
    switch (c.op) {
      case 'softmax':
      case 'logSoftmax':
        outs = [rt[c.op](t(c.a, c.shape), { axis: c.axis as number })];
        break;
      case 'softmaxGrad':
      case 'logSoftmaxGrad':
        outs = [rt[c.op](t(c.a, c.shape), t(c.b, c.shape), { axis: c.axis as number })];
        break;
      case 'loss':
      case 'lossGrad':
        outs = [rt[c.op](c.name, t(c.a, c.shape), t(c.b, c.tshape.length ? c.tshape : c.shape), c.options as never)];
        break;
      case 'matmul':
        outs = [rt.matmul(t(c.a, c.ta ? [c.k, c.m] : [c.m, c.k]), t(c.b, c.tb ? [c.n, c.k2] : [c.k2, c.n]), { transposeA: c.ta, transposeB: c.tb })];
        break;
      case 'dense': {
        const bias = c.biasLen === 0 ? null : t(c.b, [c.biasLen === 1 ? c.k + 1 : c.k]);
        outs = [rt.dense(t(c.a, [c.n, c.c]), t(c.b, [c.c, c.k]), bias, { activation: c.activation as string })];
        break;
      }
      case 'denseGrad': {
        const x = t(c.a, [c.n, c.c]);
        const w = t(c.b, [c.c, c.k]);
        const z = t(c.b, [c.n, c.biasLen === 1 ? 1 : c.k]);
        const g = rt.denseGrad(x, w, t(c.a, [c.n, c.k]), { activation: c.activation as string, z });
        outs = [g.dx, g.dkernel, g.dbias].filter((v): v is Tensor => v !== null);
        break;
      }
    }
    made.push(...outs);
    return await Promise.all(outs.map((o) => o.read()));
  } catch (e) {
    expect(e, `${c.op}: ${String(e)}`).toBeInstanceOf(NNError);
    return e as Error;
  } finally {
    made.forEach((x) => x.dispose());
  }
}

describe('fuzz: every public op on both paths', () => {
  it('gives a clear NNError or a result the CPU path confirms (verify: true)', async () => {
    const ran = { ok: 0, errors: 0 };
    await fc.assert(
      fc.asyncProperty(call, async (c) => {
        const g = await withTimeout(attempt(gpu, c), 60_000, c.op);
        const k = await attempt(cpu, c);
        // Value checks (labels, targets) happen on the CPU path; the GPU marks such samples NaN.
        if (!(k instanceof Error) || c.op !== 'loss' && c.op !== 'lossGrad') {
          expect(g instanceof Error, `${c.op}: gpu ${String(g)} / cpu ${String(k)}`).toBe(k instanceof Error);
        }
        if (g instanceof Error || k instanceof Error) {
          ran.errors++;
          return;
        }
        ran.ok++;
        expect(g.map((a) => a.length)).toEqual(k.map((a) => a.length));
      }),
      { seed: SEED, numRuns: 300 },
    );
    // The generator must exercise both outcomes, not only the validation.
    console.log(`fuzz: ${ran.ok} agreeing results, ${ran.errors} clear errors`);
    expect(ran.ok).toBeGreaterThan(60);
    expect(ran.errors).toBeGreaterThan(30);
    await gpu.sync();
    expect(gpu.memory().liveTensors).toBe(0);
    expect(cpu.memory().liveTensors).toBe(0);
  });
});

describe('determinism: every op twice, bitwise', () => {
  const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
  const rand = (n: number, seed: number) => {
    let s = seed;
    return Array.from({ length: n }, () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 6 - 3);
  };
  const cases: [string, (rt: Runtime) => Tensor[]][] = [
    ['softmax', (rt) => [rt.softmax(rt.tensor(rand(3 * 4099, 1), [3, 4099]))]],
    ['logSoftmax over axis 0', (rt) => [rt.logSoftmax(rt.tensor(rand(257 * 9, 2), [257, 9]), { axis: 0 })]],
    ['softmax over a 2^17 row', (rt) => [rt.softmax(rt.tensor(rand(2 ** 17, 3), [1, 2 ** 17]))]],
    ['softmaxGrad', (rt) => [rt.softmaxGrad(rt.softmax(rt.tensor(rand(640, 4), [64, 10])), rt.tensor(rand(640, 5), [64, 10]))]],
    ['categoricalCrossentropy from logits + grad', (rt) => {
      const z = rt.tensor(rand(5000, 6), [500, 10]);
      const t = rt.softmax(rt.tensor(rand(5000, 7), [500, 10]));
      return [rt.loss('categoricalCrossentropy', z, t, { fromLogits: true }), rt.lossGrad('categoricalCrossentropy', z, t, { fromLogits: true })];
    }],
    ['lossAndGrad, one pass', (rt) => {
      const both = rt.lossAndGrad('categoricalCrossentropy', rt.tensor(rand(20_000, 16), [200, 100]), rt.softmax(rt.tensor(rand(20_000, 17), [200, 100])), { fromLogits: true });
      return [both.loss, both.grad];
    }],
    ['mse + mae', (rt) => {
      const a = rt.tensor(rand(3000, 8), [1000, 3]);
      const b = rt.tensor(rand(3000, 9), [1000, 3]);
      return [rt.loss('mse', a, b), rt.loss('mae', a, b), rt.lossGrad('mse', a, b)];
    }],
    ['matmul 129x65x33', (rt) => [rt.matmul(rt.tensor(rand(129 * 65, 10), [129, 65]), rt.tensor(rand(65 * 33, 11), [65, 33]))]],
    ['dense + denseGrad', (rt) => {
      const x = rt.tensor(rand(100 * 20, 12), [100, 20]);
      const w = rt.tensor(rand(20 * 7, 13), [20, 7]);
      const b = rt.tensor(rand(7, 14), [7]);
      const { y, z } = rt.denseForward(x, w, b, { activation: 'tanh', keepPreActivation: true });
      const g = rt.denseGrad(x, w, rt.tensor(rand(700, 15), [100, 7]), { activation: 'tanh', z: z! });
      return [y, g.dx!, g.dkernel, g.dbias];
    }],
  ];
  it.each(cases)('%s', async (_name, make) => {
    const first = await Promise.all(make(plain).map((t) => t.read()));
    const second = await Promise.all(make(plain).map((t) => t.read()));
    first.forEach((a, i) => expect(bits(a)).toEqual(bits(second[i])));
  });
});

describe('device loss during training', () => {
  it('fit rejects with a clear error, and the model is rebuilt on a recovered device from weights read back', async () => {
    const rt = await createRuntime();
    const layers = () => [Input({ shape: [8] }), Dense({ units: 32, activation: 'relu' }), Dense({ units: 3, activation: 'softmax' })];
    const model = new Sequential(layers(), { runtime: rt });
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const x = Array.from({ length: 256 }, (_, i) => Array.from({ length: 8 }, (_, j) => Math.sin(i * 8 + j)));
    const y = x.map((row) => {
      const c = row[0] > 0.3 ? 0 : row[1] > 0 ? 1 : 2;
      return [0, 1, 2].map((k) => (k === c ? 1 : 0));
    });
    await model.fit(x, y, { epochs: 2, batchSize: 32 });
    const saved = await model.getWeights();
    const training = model.fit(x, y, { epochs: 100_000, batchSize: 32, engine: 'general' } as never);
    setTimeout(() => rt.device!.destroy(), 300);
    const err = await withTimeout(training.then(() => null, (e: unknown) => e), 60_000, 'fit after device loss');
    expect(err).toBeInstanceOf(Error);
    expect(String(err)).toMatch(/lost|destroyed/i);
    expect(err instanceof DeviceLostError || err instanceof NNError).toBe(true);
    await withTimeout(rt.lost, 10_000, 'lost');

    await rt.recover();
    const again = new Sequential(layers(), { runtime: rt });
    again.setWeights(saved as never);
    const reference = new Sequential(layers(), { runtime: cpu });
    reference.setWeights(saved as never);
    const [p, q] = await Promise.all([again.predict(x.slice(0, 16)), reference.predict(x.slice(0, 16))]);
    const [pv, qv] = await Promise.all([p.read(), q.read()]);
    pv.forEach((v, i) => expect(Math.abs(v - qv[i])).toBeLessThan(1e-5));
    rt.dispose();
  });
});
