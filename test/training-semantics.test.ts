// One semantics for every training path: the fused and per-op engines, on the GPU and the CPU,
// compute the same Keras conventions as rt.loss / rt.lossGrad (clipping, row normalisation), and
// no path returns NaN weights silently.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dense, Input, Sequential, createRuntime, sgd, type Runtime } from '../src/index';
import { idsWgsl } from '../src/gpu/ids';
import { netPipeline, specialise, type NetSpec } from '../src/model/train-small';
import { adam } from '../src/index';

const X = Array.from({ length: 10 }, (_, i) => [Math.sin(i + 1), Math.cos(2 * i)]);
const Y4 = X.map(([a, b]) => [a > 0 ? 1 : 0, a > 0 ? 0 : 1, b > 0 ? 1 : 0, 0].map((v, k, r) => (k === 3 ? 0 : v / Math.max(1, r[0] + r[1] + r[2]))));
const Y1 = X.map(([a, b]) => [a * b > 0 ? 1 : 0]);

type Engine = 'fused' | 'general';
const ENGINES: Engine[] = ['fused', 'general'];

function relErr(a: number[], b: number[]): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1e-3));
  return worst;
}

const flat = async (m: Sequential) => (await m.getWeights()).flat(2) as number[];

describe('training semantics', () => {
  let gpu: Runtime;
  let cpu: Runtime;
  beforeAll(async () => {
    gpu = await createRuntime();
    cpu = await createRuntime({ backend: 'cpu' });
  });
  afterAll(() => {
    gpu.dispose();
    cpu.dispose();
  });

  it('shaders/lib/ids.wgsl is generated from the tables (run `npm run gen:ids` after changing one)', () => {
    expect(readFileSync(new URL('../shaders/lib/ids.wgsl', import.meta.url), 'utf8')).toBe(idsWgsl());
  });

  // Keras divides each prediction row by its sum, then clips: the 2-4-4 relu / sigmoid net of the issue.
  function cceSigmoid(rt: Runtime): Sequential {
    const m = new Sequential([
      Input({ shape: [2] }),
      Dense({ units: 4, activation: 'relu', kernelInitializer: { name: 'glorotUniform', config: { seed: 3 } } }),
      Dense({ units: 4, activation: 'sigmoid', kernelInitializer: { name: 'glorotUniform', config: { seed: 4 } } }),
    ], { runtime: rt });
    m.compile({ optimizer: sgd({ learningRate: 0.5 }), loss: 'categoricalCrossentropy', metrics: ['categoricalCrossentropy'] });
    return m;
  }

  it('categorical cross-entropy on a sigmoid output trains alike on every engine and backend, with the loss rt.loss computes', async () => {
    const runs: { w: number[]; loss: number[] }[] = [];
    for (const rt of [gpu, cpu]) {
      for (const engine of ENGINES) {
        const m = cceSigmoid(rt);
        // The first epoch's logged loss is over the predictions before any update only with one batch.
        const p0 = await m.predict(X);
        const expected = await (rt.loss('categoricalCrossentropy', p0, rt.tensor(Y4))).read();
        const h = await m.fit(X, Y4, { epochs: 20, batchSize: 10, shuffle: false, engine });
        expect(Math.abs(h.loss[0] - expected[0])).toBeLessThan(1e-6 * Math.abs(expected[0]) + 1e-7);
        expect(h.history.categoricalCrossentropy).toEqual(h.loss);
        const ev = (await m.evaluate(X, Y4)) as number[];
        const pe = await m.predict(X);
        const le = (await rt.loss('categoricalCrossentropy', pe, rt.tensor(Y4)).read())[0];
        expect(Math.abs(ev[0] - le)).toBeLessThan(1e-6 * le);
        runs.push({ w: await flat(m), loss: h.loss });
      }
    }
    for (const r of runs.slice(1)) {
      expect(relErr(r.w, runs[0].w)).toBeLessThan(1e-5);
      expect(relErr(r.loss, runs[0].loss)).toBeLessThan(1e-5);
    }
  });

  it('binary cross-entropy on a linear output clips as Keras does: finite, and the engines agree', async () => {
    const runs: number[][] = [];
    for (const rt of [gpu, cpu]) {
      for (const engine of ENGINES) {
        const m = new Sequential([
          Input({ shape: [2] }),
          Dense({ units: 4, activation: 'tanh', kernelInitializer: { name: 'glorotUniform', config: { seed: 5 } } }),
          Dense({ units: 1, kernelInitializer: { name: 'randomNormal', config: { seed: 6, stddev: 2 } } }),
        ], { runtime: rt });
        m.compile({ optimizer: sgd({ learningRate: 0.1 }), loss: 'binaryCrossentropy' });
        const h = await m.fit(X, Y1, { epochs: 15, batchSize: 3, shuffle: false, engine });
        expect(h.loss.every(Number.isFinite)).toBe(true);
        const w = await flat(m);
        expect(w.every(Number.isFinite)).toBe(true);
        expect(Math.max(...w.map(Math.abs))).toBeLessThan(100);
        runs.push(w);
      }
    }
    for (const r of runs.slice(1)) expect(relErr(r, runs[0])).toBeLessThan(1e-5);
  });

  it('divergence stops fit with an error naming the epoch on every engine and backend, and restores the weights', async () => {
    for (const rt of [gpu, cpu]) {
      for (const engine of ENGINES) {
        const m = new Sequential([
          Input({ shape: [2] }),
          Dense({ units: 3, activation: 'relu', kernelInitializer: 'ones' }),
          Dense({ units: 1, activation: 'linear', kernelInitializer: 'ones' }),
        ], { runtime: rt });
        m.compile({ optimizer: sgd({ learningRate: 1e3 }), loss: 'mse' });
        const before = await m.getWeights();
        await expect(m.fit(X.map(([a, b]) => [a * 1e3, b * 1e3]), Y1, { epochs: 50, batchSize: 2, shuffle: false, engine }))
          .rejects.toThrow(/fit: (the loss became (NaN|-?Infinity)|a weight became NaN or infinite) .*at epoch \d+; training stopped and the weights were restored/);
        expect(await m.getWeights()).toEqual(before);
      }
    }
  });

  it('a weight that overflows in the last update (the loss still finite) is caught on every engine and backend', async () => {
    for (const rt of [gpu, cpu]) {
      for (const engine of ENGINES) {
        const m = new Sequential([Input({ shape: [2] }), Dense({ units: 1, kernelInitializer: 'ones' })], { runtime: rt });
        m.compile({ optimizer: sgd({ learningRate: 1e37 }), loss: 'mse' });
        const before = await m.getWeights();
        await expect(m.fit([[100, 100]], [[0]], { epochs: 1, batchSize: 1, engine })).rejects.toThrow(/fit: a weight became NaN or infinite \(the loss was 40000\) at epoch 0; training stopped and the weights were restored/);
        expect(await m.getWeights()).toEqual(before);
      }
    }
  });

  it('a custom activation whose derivative reads x trains alike on every engine and backend', async () => {
    const fr = Math.fround;
    const softsign = {
      wgsl: { forward: 'x / (1.0 + abs(x))', backward: 'dy / ((1.0 + abs(x)) * (1.0 + abs(x)))' },
      cpu: {
        forward: (x: number) => fr(x / fr(1 + Math.abs(x))),
        backward: (x: number, _y: number, dy: number) => fr(dy / fr(fr(1 + Math.abs(x)) * fr(1 + Math.abs(x)))),
      },
    };
    const runs: number[][] = [];
    let initial: number[] = [];
    for (const rt of [gpu, cpu]) {
      if (!rt.activations.custom.has('softsignX')) await rt.defineActivation('softsignX', softsign);
      for (const engine of ENGINES) {
        const m = new Sequential([
          Input({ shape: [2] }),
          Dense({ units: 6, activation: 'softsignX' as string, kernelInitializer: { name: 'glorotUniform', config: { seed: 5 } } }),
          Dense({ units: 2, activation: 'softmax', kernelInitializer: { name: 'glorotUniform', config: { seed: 6 } } }),
        ], { runtime: rt });
        m.compile({ optimizer: sgd({ learningRate: 0.3 }), loss: 'categoricalCrossentropy' });
        initial = await flat(m);
        await m.fit(X, Y1.map(([t]) => [t, 1 - t]), { epochs: 20, batchSize: 5, seed: 2, engine });
        runs.push(await flat(m));
      }
    }
    expect(relErr(runs[0], initial)).toBeGreaterThan(0.05);
    for (const r of runs.slice(1)) expect(relErr(r, runs[0])).toBeLessThan(1e-4);
  });

  it('the generic fused pipeline (first use) and the specialised one (compiled after) train bit for bit alike', async () => {
    const rt = await createRuntime();
    try {
      // (register-class networks, up to 64 parameters, compile their unrolled pipeline at once)
      for (const [units, act] of [[16, 'tanh'], [24, 'relu']] as const) {
        const mk = () => {
          const m = new Sequential([
            Input({ shape: [2] }),
            Dense({ units, activation: act, kernelInitializer: { name: 'glorotUniform', config: { seed: 1 } } }),
            Dense({ units: 2, activation: 'softmax', kernelInitializer: { name: 'glorotUniform', config: { seed: 2 } } }),
          ], { runtime: rt });
          m.compile({ optimizer: adam({ learningRate: 0.05 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
          return m;
        };
        const Y2 = Y1.map(([t]) => [t, 1 - t]);
        const a = mk();
        const spec = (a as unknown as { netSpec(): NetSpec }).netSpec();
        const generic = netPipeline(rt.scheduler!, spec, 'train', { OPT_KIND: 1 }).pipeline;
        const ha = await a.fit(X, Y2, { epochs: 25, batchSize: 3, seed: 7, engine: 'fused', keepLastOutputs: true });
        await specialise(rt.scheduler!, spec, 'train', { OPT_KIND: 1 }, true);
        expect(netPipeline(rt.scheduler!, spec, 'train', { OPT_KIND: 1 }).pipeline).not.toBe(generic);
        const b = mk();
        const hb = await b.fit(X, Y2, { epochs: 25, batchSize: 3, seed: 7, engine: 'fused', keepLastOutputs: true });
        expect(hb.loss).toEqual(ha.loss);
        expect(hb.history.accuracy).toEqual(ha.history.accuracy);
        expect(Array.from(hb.lastOutputs!)).toEqual(Array.from(ha.lastOutputs!));
        expect(await flat(b)).toEqual(await flat(a));
      }
    } finally {
      rt.dispose();
    }
  });

  it('where machine code is made at the first dispatch (lavapipe), a network outside the register class keeps the generic pipeline; elsewhere it specialises after a fit', async () => {
    for (const late of [true, false]) {
      const rt = await createRuntime({ profile: { compilesOnFirstDispatch: late } });
      try {
        const m = new Sequential([Input({ shape: [2] }), Dense({ units: 16, activation: 'tanh' }), Dense({ units: 2, activation: 'softmax' })], { runtime: rt });
        m.compile({ optimizer: adam(), loss: 'categoricalCrossentropy' });
        const spec = (m as unknown as { netSpec(): NetSpec }).netSpec();
        const generic = netPipeline(rt.scheduler!, spec, 'train', { OPT_KIND: 1 }).pipeline;
        await m.fit(X, Y1.map(([t]) => [t, 1 - t]), { epochs: 3, engine: 'fused' });
        await specialise(rt.scheduler!, spec, 'train', { OPT_KIND: 1 }); // the one the fit started, if any
        const now = netPipeline(rt.scheduler!, spec, 'train', { OPT_KIND: 1 }).pipeline;
        if (late) expect(now).toBe(generic);
        else expect(now).not.toBe(generic);
      } finally {
        rt.dispose();
      }
    }
  });

  it('compile() creates the next fit\'s train pipeline off the main thread, once, and fit uses it', async () => {
    const rt = await createRuntime();
    try {
      const dev = rt.device!;
      const created: string[] = [];
      const sync = dev.createComputePipeline.bind(dev);
      const async_ = dev.createComputePipelineAsync.bind(dev);
      dev.createComputePipeline = (d) => (created.push(`sync ${d.label}`), sync(d));
      dev.createComputePipelineAsync = (d) => (created.push(`async ${d.label}`), async_(d));
      const m = new Sequential([Input({ shape: [2] }), Dense({ units: 16, activation: 'tanh' }), Dense({ units: 2, activation: 'softmax' })], { runtime: rt });
      for (const lr of [0.1, 0.01, 0.001]) m.compile({ optimizer: adam({ learningRate: lr }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      const h = await m.fit(X, Y1.map(([t]) => [t, 1 - t]), { epochs: 3, engine: 'fused' });
      expect(h.loss.every(Number.isFinite)).toBe(true);
      expect(created.filter((c) => c.endsWith('train_small:train'))).toEqual(['async train_small:train']);
    } finally {
      rt.dispose();
    }
  });
});
