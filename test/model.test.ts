import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dense, Input, NNError, Sequential, createRuntime, initializers, loadModel, sgd, type Runtime } from '../src/index';
import { getInitializer } from '../src/model/initializers';

const X = Array.from({ length: 13 }, (_, i) => [Math.sin(i), Math.cos(3 * i)]);
const Y = X.map(([a, b]) => [a * b > 0 ? 1 : 0, a * b > 0 ? 0 : 1]);

function net(rt: Runtime): Sequential {
  const m = new Sequential([Input({ shape: [2] }), Dense({ units: 4, activation: 'tanh', kernelInitializer: { name: 'glorotUniform', config: { seed: 7 } } }), Dense({ units: 2, activation: 'softmax', kernelInitializer: { name: 'randomNormal', config: { seed: 8, stddev: 0.5 } } })], { runtime: rt });
  m.compile({ optimizer: sgd({ learningRate: 0.1, momentum: 0.5 }), loss: 'categorical_crossentropy', metrics: ['accuracy', 'mse'] });
  return m;
}

describe('Sequential model', () => {
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

  it('variance-scaling initialisers draw with the Keras variances, seeded and repeatable', () => {
    const shape = [400, 300];
    const stats = (v: Float32Array) => {
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      return { mean, variance: v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length, max: v.reduce((a, b) => Math.max(a, Math.abs(b)), 0) };
    };
    const cases: [string, number, 'uniform' | 'normal'][] = [
      ['heNormal', 2 / 400, 'normal'], ['he_uniform', 2 / 400, 'uniform'], ['GlorotNormal', 1 / 350, 'normal'],
      ['glorot_uniform', 1 / 350, 'uniform'], ['lecunNormal', 1 / 400, 'normal'], ['lecun_uniform', 1 / 400, 'uniform'],
    ];
    for (const [name, variance, kind] of cases) {
      const init = getInitializer('test', { name, config: { seed: 3 } }, 'zeros');
      const v = init.generate(shape);
      const st = stats(v);
      expect(Math.abs(st.mean), name).toBeLessThan(0.02 * Math.sqrt(variance));
      expect(Math.abs(st.variance / variance - 1), name).toBeLessThan(0.03);
      // uniform: within sqrt(3 var); truncated normal: within 2 of its (corrected) standard deviations
      const bound = kind === 'uniform' ? Math.sqrt(3 * variance) : (2 * Math.sqrt(variance)) / 0.8796256610342398;
      expect(st.max, name).toBeLessThanOrEqual(bound * (1 + 1e-6));
      expect(Array.from(getInitializer('test', { name, config: { seed: 3 } }, 'zeros').generate(shape))).toEqual(Array.from(v));
    }
    const t = initializers.truncatedNormal({ mean: 1, stddev: 0.5, seed: 9 }).generate([10_000]);
    expect(t.every((x) => Math.abs(x - 1) <= 1 + 1e-6)).toBe(true);
    expect(() => getInitializer('Dense', 'constructor', 'zeros')).toThrow(/unknown initializer "constructor"/);
    expect(() => Dense({ units: 2, kernelInitializer: 'he_normall' })).toThrow(/unknown initializer "he_normall" \(known: .*heNormal/);
  });

  it('summary() prints layers, output shapes and parameter counts', () => {
    const m = new Sequential([Input({ shape: [2] }), Dense({ units: 1, activation: 'relu', name: 'hidden' }), Dense({ units: 1, activation: 'sigmoid', name: 'out' })], { runtime: cpu });
    const text = m.summary(false);
    expect(text).toMatch(/hidden \(Dense\)\s+\(None, 1\)\s+3/);
    expect(text).toMatch(/out \(Dense\)\s+\(None, 1\)\s+2/);
    expect(text).toMatch(/Total params: 5/);
  });

  it('GPU and CPU training agree epoch by epoch (mini-batches of 4 with a partial batch, seeded shuffle, momentum)', async () => {
    const a = net(gpu);
    const b = net(cpu);
    const ha = await a.fit(X, Y, { epochs: 30, batchSize: 4, seed: 5 });
    const hb = await b.fit(X, Y, { epochs: 30, batchSize: 4, seed: 5 });
    expect(ha.epoch).toEqual(hb.epoch);
    ha.loss.forEach((l, i) => expect(Math.abs(l - hb.loss[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(l))));
    expect(ha.loss[29]).toBeLessThan(ha.loss[0]);
    const wa = (await a.getWeights()).flat(2) as number[];
    const wb = (await b.getWeights()).flat(2) as number[];
    wa.forEach((v, i) => expect(Math.abs(v - wb[i])).toBeLessThan(1e-5));
    // Same seed, same run; another seed shuffles differently.
    const c = net(gpu);
    const hc = await c.fit(X, Y, { epochs: 30, batchSize: 4, seed: 5 });
    expect(hc.loss).toEqual(ha.loss);
    const d = net(gpu);
    const hd = await d.fit(X, Y, { epochs: 30, batchSize: 4, seed: 6 });
    expect(hd.loss).not.toEqual(ha.loss);
  });

  it('a fused network past the register class (2-16-16-2, workgroup arrays) trains as on the CPU and on the general path', async () => {
    const mk = (rt: Runtime) => {
      const m = new Sequential([Input({ shape: [2] }), Dense({ units: 16, activation: 'tanh', kernelInitializer: { name: 'glorotUniform', config: { seed: 11 } } }), Dense({ units: 16, activation: 'relu', kernelInitializer: { name: 'glorotUniform', config: { seed: 12 } } }), Dense({ units: 2, activation: 'sigmoid', kernelInitializer: { name: 'glorotUniform', config: { seed: 13 } } })], { runtime: rt });
      m.compile({ optimizer: sgd({ learningRate: 0.2, momentum: 0.5 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
      return m;
    };
    const ha = await mk(gpu).fit(X, Y, { epochs: 15, batchSize: 4, seed: 2 });
    const hb = await mk(cpu).fit(X, Y, { epochs: 15, batchSize: 4, seed: 2 });
    const hc = await mk(gpu).fit(X, Y, { epochs: 15, batchSize: 4, seed: 2, engine: 'general' });
    ha.loss.forEach((l, i) => expect(Math.abs(l - hb.loss[i])).toBeLessThan(1e-5 * Math.max(1, l)));
    ha.loss.forEach((l, i) => expect(Math.abs(l - hc.loss[i])).toBeLessThan(1e-5 * Math.max(1, l)));
    expect(ha.loss[14]).toBeLessThan(ha.loss[0]);
  });

  it('chunked dispatches give the same numbers as one dispatch', async () => {
    const a = net(gpu);
    const b = net(gpu);
    const ha = await a.fit(X, Y, { epochs: 40, batchSize: 5, seed: 2 });
    const hb = await b.fit(X, Y, { epochs: 40, batchSize: 5, seed: 2, epochsPerDispatch: 3 });
    expect(hb.loss).toEqual(ha.loss);
    expect(await b.getWeights()).toEqual(await a.getWeights());
  });

  it('a callback that stops training leaves the weights of that epoch (replayed exactly)', async () => {
    const a = net(gpu);
    const seen: number[] = [];
    const h = await a.fit(X, Y, {
      epochs: 50, batchSize: 4, seed: 9, epochsPerDispatch: 10,
      callbacks: { onEpochEnd: (e) => { seen.push(e); if (e === 12) a.stopTraining = true; } },
    });
    expect(seen).toEqual(Array.from({ length: 13 }, (_, i) => i));
    expect(h.stopped).toEqual({ epoch: 12, reason: 'callback' });
    const b = net(gpu);
    await b.fit(X, Y, { epochs: 13, batchSize: 4, seed: 9 });
    expect(await a.getWeights()).toEqual(await b.getWeights());
  });

  it('validationSplit holds out the last rows, as validationData with those rows would', async () => {
    for (const engine of ['fused', 'general'] as const) {
      const a = net(gpu);
      const b = net(gpu);
      const ha = await a.fit(gpu.tensor(X), gpu.tensor(Y), { epochs: 8, batchSize: 4, seed: 3, engine, validationSplit: 0.3 });
      // Keras: split at floor(13 * 0.7) = 9
      const hb = await b.fit(X.slice(0, 9), Y.slice(0, 9), { epochs: 8, batchSize: 4, seed: 3, engine, validationData: [X.slice(9), Y.slice(9)] });
      expect(ha.loss).toEqual(hb.loss);
      expect(ha.history.val_loss).toEqual(hb.history.val_loss);
      expect(await a.getWeights()).toEqual(await b.getWeights());
    }
    const m = net(gpu);
    await expect(m.fit(X, Y, { validationSplit: 1 })).rejects.toThrow('fit: validationSplit must be a number in (0, 1), got 1');
    await expect(m.fit(X, Y, { validationSplit: 1e-17 })).rejects.toThrow(/leaves no validation rows/);
    await expect(m.fit(X, Y, { validationSplit: 0.99 })).rejects.toThrow(/validationSplit 0.99 of 13 rows leaves no training rows/);
  });

  it('validationData adds val_ logs', async () => {
    const a = net(gpu);
    const h = await a.fit(X, Y, { epochs: 3, batchSize: 4, seed: 1, validationData: [X.slice(0, 5), Y.slice(0, 5)] });
    expect(h.history.val_loss.length).toBe(3);
    expect(h.history.val_accuracy.length).toBe(3);
  });

  it('validationData on the general path gives the fused val_ logs', async () => {
    const a = net(gpu);
    const b = net(gpu);
    const v: [number[][], number[][]] = [X.slice(0, 5), Y.slice(0, 5)];
    const ha = await a.fit(X, Y, { epochs: 3, batchSize: 4, seed: 1, validationData: v, engine: 'fused' });
    const hb = await b.fit(X, Y, { epochs: 3, batchSize: 4, seed: 1, validationData: v, engine: 'general' });
    expect(hb.history.val_loss.length).toBe(3);
    ha.history.val_loss.forEach((l, i) => expect(Math.abs(l - hb.history.val_loss[i])).toBeLessThan(1e-5));
    expect(hb.history.val_accuracy).toEqual(ha.history.val_accuracy);
  });

  it('save / load round trip gives identical predictions', async () => {
    const a = net(gpu);
    await a.fit(X, Y, { epochs: 5, seed: 1 });
    const path = join(mkdtempSync(join(tmpdir(), 'model-')), 'm.json');
    await a.save(`file://${path}`);
    const b = await loadModel(`file://${path}`, { runtime: gpu });
    expect(Array.from(await (await b.predict(X)).read())).toEqual(Array.from(await (await a.predict(X)).read()));
    const c = await loadModel(await a.toJSON(), { runtime: cpu });
    const pa = await (await a.predict(X)).read();
    const pc = await (await c.predict(X)).read();
    pa.forEach((v, i) => expect(Math.abs(v - pc[i])).toBeLessThan(1e-6));
  });

  it('bad input: clear errors, weights untouched', async () => {
    const m = net(gpu);
    const before = await m.getWeights();
    const fresh = new Sequential([Input({ shape: [2] }), Dense({ units: 2 })], { runtime: gpu });
    await expect(fresh.fit(X, Y)).rejects.toThrow(/call compile\(\) before fit\(\)/);
    await expect(m.fit([[1, 2, 3]], [[0, 1]])).rejects.toThrow(/expected x of shape \[N, 2\].*got \[1, 3\]/);
    await expect(m.fit(X, X.map(() => [1, 0, 0]))).rejects.toThrow(/expected y of shape \[N, 2\]/);
    await expect(m.fit(X, Y, { epochs: 0 })).rejects.toThrow(/epochs must be a positive integer/);
    await expect(m.fit(X, Y, { batchSize: -1 })).rejects.toThrow(/batchSize must be a positive integer/);
    await expect(m.fit([[NaN, 1]], [[0, 1]])).rejects.toThrow(/x contains NaN at row 0/);
    // @ts-expect-error 'hinge' is no loss: a compile error too
    expect(() => m.compile({ loss: 'hinge' })).toThrow(/unknown loss 'hinge' \(known: mse, mae/);
    expect(() => m.compile({ loss: 'mse', optimizer: 'nadam' as never })).toThrow(/unknown optimizer 'nadam' \(known: 'sgd', 'adam', 'adamw', 'rmsprop', 'adagrad'/);
    // @ts-expect-error 'auc' is no metric: a compile error too
    expect(() => m.compile({ loss: 'mse', metrics: ['auc'] })).toThrow(/unknown metric 'auc' \(known: mse/);
    // @ts-expect-error 'nope' is no activation: a compile error too
    expect(() => new Sequential([Input({ shape: [2] }), Dense({ units: 1, activation: 'nope' })], { runtime: gpu }).build()).toThrow(/unknown activation 'nope'/);
    await expect(loadModel('{"format": "webgpu-nn/sequential", "formatVersion": 1, "inputShape": [2], "layers": [], "weights": []}', { runtime: gpu })).rejects.toThrow(NNError);
    await expect(loadModel('{not json', { runtime: gpu })).rejects.toThrow(/corrupt or unsupported model file: not valid JSON/);
    expect(await m.getWeights()).toEqual(before);
  });

  it('halfSquaredError (the seeds\' E = sum (y - t)^2 / 2) trains on every path; with 2 outputs it is mse', async () => {
    const mk = (rt: Runtime, units: number, loss: string) => {
      const m = new Sequential([Input({ shape: [2] }), Dense({ units: 3, activation: 'relu', kernelInitializer: { name: 'glorotUniform', config: { seed: 21 } } }), Dense({ units, activation: 'sigmoid', kernelInitializer: { name: 'glorotUniform', config: { seed: 22 } } })], { runtime: rt });
      m.compile({ optimizer: sgd({ learningRate: 0.5 }), loss, metrics: ['mse'] });
      return m;
    };
    const Y3 = Y.map(([a, b]) => [a, b, a]);
    for (const rt of [gpu, cpu]) {
      const h2 = await mk(rt, 2, 'half_squared_error').fit(X, Y, { epochs: 10, batchSize: 4, shuffle: false });
      const m2 = await mk(rt, 2, 'mse').fit(X, Y, { epochs: 10, batchSize: 4, shuffle: false });
      expect(h2.loss).toEqual(m2.loss);
      const fused = await mk(rt, 3, 'halfSquaredError').fit(X, Y3, { epochs: 10, batchSize: 4, shuffle: false, engine: 'fused' });
      const general = await mk(rt, 3, 'halfSquaredError').fit(X, Y3, { epochs: 10, batchSize: 4, shuffle: false, engine: 'general' });
      fused.loss.forEach((l, i) => {
        // Per sample: E = K/2 x mse with K = 3.
        expect(Math.abs(l - 1.5 * (fused.history.mse as number[])[i])).toBeLessThan(1e-6);
        expect(Math.abs(l - general.loss[i])).toBeLessThan(1e-6);
      });
      expect(fused.loss[9]).toBeLessThan(fused.loss[0]);
    }
  });

  it('sparseCategoricalCrossentropy takes class indices and trains exactly as one-hot categorical cross-entropy', async () => {
    const labels = Y.map(([a]) => (a === 1 ? 0 : 1));
    for (const rt of [gpu, cpu]) {
      for (const engine of ['fused', 'general'] as const) {
        const a = net(rt);
        const b = net(rt);
        b.compile({ optimizer: sgd({ learningRate: 0.1, momentum: 0.5 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy', 'sparse_categorical_accuracy'] });
        const ha = await a.fit(X, Y, { epochs: 12, batchSize: 4, seed: 5, engine, validationData: [X, Y] });
        // labels as a [N, 1] tensor on the GPU runtime (the general path must not train on it as targets)
        const lab = rt === gpu ? rt.tensor(labels.map((l) => [l])) : labels;
        const hb = await b.fit(X, lab, { epochs: 12, batchSize: 4, seed: 5, engine, validationData: [X, labels.map((l) => [l])] });
        expect(hb.loss).toEqual(ha.loss);
        expect(hb.history.val_loss).toEqual(ha.history.val_loss);
        expect(hb.history.accuracy).toEqual(ha.history.accuracy);
        expect(hb.history.sparse_categorical_accuracy).toEqual(ha.history.accuracy);
        expect(await b.getWeights()).toEqual(await a.getWeights());
        const [loss, acc] = (await a.evaluate(X, Y)) as number[];
        expect(await b.evaluate(X, labels)).toEqual([loss, acc, acc]);
      }
    }
    const m = net(gpu);
    m.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
    const before = await m.getWeights();
    await expect(m.fit(X, labels.map((l, i) => (i === 3 ? 2 : l)))).rejects.toThrow(/sparseCategoricalCrossentropy.*integers in \[0, 1\].*row 3 holds 2/);
    await expect(m.fit(X, labels.map((l, i) => (i === 5 ? 0.5 : l)))).rejects.toThrow(/row 5 holds 0\.5/);
    await expect(m.fit(X, labels.map((l, i) => (i === 0 ? -1 : l)))).rejects.toThrow(/row 0 holds -1/);
    await expect(m.fit(X, Y)).rejects.toThrow(/shape \[N, 1\] \(class indices for sparseCategoricalCrossentropy\), got \[13, 2\]/);
    expect(await m.getWeights()).toEqual(before);
    expect(() => m.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy', metrics: ['sparseCategoricalAccuracy'] })).toThrow(/sparseCategoricalAccuracy.*needs class-index labels/);
    m.compile({ optimizer: 'sgd', loss: 'binaryCrossentropy' });
    await expect(m.fit(X, Y.map(([a, b]) => [a, b === 1 ? 2 : b]))).rejects.toThrow(/binaryCrossentropy needs y in \[0, 1\]; row \d+, column 1 holds 2/);
    expect(await m.getWeights()).toEqual(before);
  });

  it('the general per-op path matches the fused kernel (2-4-2 tanh + softmax, batches of 4 with a partial batch, shuffle, momentum)', async () => {
    for (const rt of [gpu, cpu]) {
      const a = net(rt);
      const b = net(rt);
      const ha = await a.fit(X, Y, { epochs: 30, batchSize: 4, seed: 5, engine: 'fused', keepLastOutputs: true });
      const hb = await b.fit(X, Y, { epochs: 30, batchSize: 4, seed: 5, engine: 'general', keepLastOutputs: true });
      Array.from(ha.lastOutputs!).forEach((v, i) => expect(Math.abs(v - hb.lastOutputs![i])).toBeLessThan(1e-5));
      expect(hb.epoch).toEqual(ha.epoch);
      // Softmax and its cross-entropy gradient come from the runtime's ops here: a few ULPs apart.
      ha.loss.forEach((l, i) => expect(Math.abs(l - hb.loss[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(l))));
      (ha.history.accuracy as number[]).forEach((v, i) => expect(Math.abs(v - (hb.history.accuracy as number[])[i])).toBeLessThan(1e-6));
      const wa = (await a.getWeights()).flat(2) as number[];
      const wb = (await b.getWeights()).flat(2) as number[];
      wa.forEach((v, i) => expect(Math.abs(v - wb[i])).toBeLessThan(1e-5));
      // Momentum state carries over between fits, whichever path ran.
      const ha2 = await a.fit(X, Y, { epochs: 5, batchSize: 4, seed: 6, engine: 'general' });
      const hb2 = await b.fit(X, Y, { epochs: 5, batchSize: 4, seed: 6, engine: 'fused' });
      ha2.loss.forEach((l, i) => expect(Math.abs(l - hb2.loss[i])).toBeLessThan(1e-5));
    }
  });

  it('the general path with sigmoid + relu, mse and mini-batches of 4 (partial last batch) gives the fused numbers bitwise', async () => {
    const mk = (rt: Runtime) => {
      const m = new Sequential([Input({ shape: [2] }), Dense({ units: 3, activation: 'sigmoid', kernelInitializer: { name: 'glorotUniform', config: { seed: 3 } } }), Dense({ units: 2, activation: 'relu', kernelInitializer: { name: 'glorotUniform', config: { seed: 4 } } })], { runtime: rt });
      m.compile({ optimizer: sgd({ learningRate: 0.5 }), loss: 'mse', metrics: ['mae'] });
      return m;
    };
    for (const rt of [gpu, cpu]) {
      const a = mk(rt);
      const b = mk(rt);
      const ha = await a.fit(X, Y, { epochs: 20, batchSize: 4, shuffle: false, engine: 'fused', keepLastOutputs: true });
      const hb = await b.fit(X, Y, { epochs: 20, batchSize: 4, shuffle: false, engine: 'general', keepLastOutputs: true });
      // Bitwise while the batch sizes are powers of two (mse's gradient scale 1 / (rows * K) is then exact both ways).
      expect(hb.loss).toEqual(ha.loss);
      expect(hb.history.mae).toEqual(ha.history.mae);
      expect(Array.from(hb.lastOutputs!)).toEqual(Array.from(ha.lastOutputs!));
      expect(await b.getWeights()).toEqual(await a.getWeights());
    }
  });

  it('784-128-10 (too big for the fused kernel) trains on the general path, GPU agreeing with CPU', async () => {
    const n = 75; // batches of 32: 32, 32, 11
    const rnd = (i: number) => ((Math.imul(i + 1, 2654435761) >>> 0) / 2 ** 32);
    const x = new Float32Array(n * 784).map((_, i) => rnd(i));
    const y = new Float32Array(n * 10);
    for (let r = 0; r < n; r++) y[r * 10 + (r % 10)] = 1;
    const mk = (rt: Runtime) => {
      const m = new Sequential([Input({ shape: [784] }), Dense({ units: 128, activation: 'relu', kernelInitializer: { name: 'glorotUniform', config: { seed: 1 } } }), Dense({ units: 10, activation: 'softmax', kernelInitializer: { name: 'glorotUniform', config: { seed: 2 } } })], { runtime: rt });
      m.compile({ optimizer: sgd({ learningRate: 0.1, momentum: 0.9 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
      return m;
    };
    const a = mk(gpu);
    const b = mk(cpu);
    const xa = gpu.tensor(x, [n, 784]);
    const ya = gpu.tensor(y, [n, 10]);
    const ha = await a.fit(xa, ya, { epochs: 6, batchSize: 32, seed: 3 });
    const rows = (v: Float32Array, c: number) => Array.from({ length: n }, (_, r) => Array.from(v.subarray(r * c, (r + 1) * c)));
    const xh = rows(x, 784);
    const yh = rows(y, 10);
    const hb = await b.fit(xh, yh, { epochs: 6, batchSize: 32, seed: 3, streamThresholdBytes: 1024 }); // host rows streamed per batch
    ha.loss.forEach((l, i) => expect(Math.abs(l - hb.loss[i])).toBeLessThan(2e-4 * Math.max(1, l)));
    expect(ha.loss[5]).toBeLessThan(ha.loss[0]);
    const pa = await (await a.predict(xa)).read();
    const pb = await (await b.predict(xh)).read();
    pa.forEach((v, i) => expect(Math.abs(v - pb[i])).toBeLessThan(1e-3));
    const ea = (await a.evaluate(xa, ya)) as number[];
    const eb = (await b.evaluate(xh, yh)) as number[];
    expect(Math.abs(ea[0] - eb[0])).toBeLessThan(1e-3);
    expect(ea[1]).toBeCloseTo(eb[1], 5);
    xa.dispose();
    ya.dispose();
  });

  it('general path: streamed batches, stop by callback / loss threshold keep that epoch\'s weights; NaN restores', async () => {
    const a = net(gpu);
    const b = net(gpu);
    const ha = await a.fit(X, Y, { epochs: 8, batchSize: 4, seed: 4, engine: 'general' });
    const hb = await b.fit(X, Y, { epochs: 8, batchSize: 4, seed: 4, engine: 'general', streamThresholdBytes: 16 });
    expect(hb.loss).toEqual(ha.loss);
    expect(await b.getWeights()).toEqual(await a.getWeights());
    const c = net(gpu);
    const seen: number[] = [];
    const hc = await c.fit(X, Y, { epochs: 40, batchSize: 4, seed: 9, engine: 'general', epochsPerDispatch: 4, callbacks: { onEpochEnd: (e) => { seen.push(e); if (e === 6) c.stopTraining = true; } } });
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(hc.stopped).toEqual({ epoch: 6, reason: 'callback' });
    const d = net(gpu);
    const hd = await d.fit(X, Y, { epochs: 7, batchSize: 4, seed: 9, engine: 'general' });
    expect(await c.getWeights()).toEqual(await d.getWeights());
    const e = net(gpu);
    const he = await e.fit(X, Y, { epochs: 40, batchSize: 4, seed: 9, engine: 'general', epochsPerDispatch: 4, stopWhenLossBelow: hd.loss[4] * 1.000001 });
    expect(he.stopped?.reason).toBe('stopWhenLossBelow');
    const stopAt = he.stopped!.epoch;
    const f = net(gpu);
    await f.fit(X, Y, { epochs: stopAt + 1, batchSize: 4, seed: 9, engine: 'general' });
    expect(await e.getWeights()).toEqual(await f.getWeights());
    const m = new Sequential([Input({ shape: [1] }), Dense({ units: 1, kernelInitializer: 'ones' })], { runtime: gpu });
    m.compile({ optimizer: sgd({ learningRate: 10 }), loss: 'mse' });
    const before = await m.getWeights();
    await expect(m.fit([[1e3], [2e3]], [[1], [2]], { epochs: 200, shuffle: false, engine: 'general' })).rejects.toThrow(/the loss became (NaN|Infinity) at epoch \d+/);
    expect(await m.getWeights()).toEqual(before);
  });

  it('a loss that becomes NaN stops training, names the epoch and restores the weights', async () => {
    for (const rt of [gpu, cpu]) {
      const m = new Sequential([Input({ shape: [1] }), Dense({ units: 1, kernelInitializer: 'ones' })], { runtime: rt });
      m.compile({ optimizer: sgd({ learningRate: 10 }), loss: 'mse' });
      const before = await m.getWeights();
      await expect(m.fit([[1e3], [2e3]], [[1], [2]], { epochs: 200, shuffle: false })).rejects.toThrow(/the loss became (NaN|Infinity) at epoch \d+/);
      expect(await m.getWeights()).toEqual(before);
    }
  });
});
