// Optimizers (Keras 3 semantics) on both engines and backends, state that carries across fits,
// callbacks as Keras / tfjs users write them, and fit's option checks.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dense, Input, Sequential, loadModel, adagrad, adam, adamw, createRuntime, earlyStopping, learningRateScheduler, reduceLROnPlateau, rmsprop, sgd, type Optimizer, type Runtime } from '../src/index';

const X = Array.from({ length: 12 }, (_, i) => [Math.sin(i + 1), Math.cos(3 * i)]);
const Y = X.map(([a, b]) => [a * b > 0 ? 1 : 0, a * b > 0 ? 0 : 1]);

function net(rt: Runtime, opt: Optimizer | string, loss = 'categoricalCrossentropy'): Sequential {
  const m = new Sequential([
    Input({ shape: [2] }),
    Dense({ units: 5, activation: 'tanh', kernelInitializer: { name: 'glorotUniform', config: { seed: 11 } } }),
    Dense({ units: 2, activation: 'softmax', kernelInitializer: { name: 'glorotUniform', config: { seed: 12 } } }),
  ], { runtime: rt });
  m.compile({ optimizer: opt as never, loss: loss as never });
  return m;
}

const flat = async (m: Sequential) => (await m.getWeights()).flat(2) as number[];
function relErr(a: number[], b: number[]): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1e-3));
  return worst;
}

/** Keras 3's update rules in float64, written from its documentation, for one scalar parameter. */
function kerasScalar(kind: string, cfg: Record<string, number | boolean>, w0: number, grads: number[]): number {
  let w = w0;
  const s = [kind === 'adagrad' ? (cfg.initialAccumulatorValue as number ?? 0.1) : 0, 0, 0];
  grads.forEach((g, i) => {
    const lr = cfg.learningRate as number;
    const t = i + 1;
    if (kind === 'sgd') {
      const mom = (cfg.momentum as number) ?? 0;
      s[0] = mom * s[0] - lr * g;
      w += cfg.nesterov ? mom * s[0] - lr * g : s[0];
    } else if (kind === 'adam') {
      const [b1, b2, eps] = [0.9, 0.999, 1e-7];
      s[0] += (g - s[0]) * (1 - b1);
      s[1] += (g * g - s[1]) * (1 - b2);
      s[2] = Math.max(s[2], s[1]);
      const v = cfg.amsgrad ? s[2] : s[1];
      w -= (s[0] * lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t) / (Math.sqrt(v) + eps);
    } else if (kind === 'rmsprop') {
      const rho = 0.9;
      s[0] = rho * s[0] + (1 - rho) * g * g;
      w -= (lr * g) / Math.sqrt(s[0] + 1e-7);
    } else {
      s[0] += g * g;
      w -= (lr * g) / Math.sqrt(s[0] + 1e-7);
    }
  });
  return w;
}

describe('optimizers', () => {
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

  // w of a 1-1 linear unit without bias, x = 1, mse on target 0: the gradient is 2 w, known in closed form.
  it.each([
    ['sgd', { learningRate: 0.1, momentum: 0.9, nesterov: true }],
    ['adam', { learningRate: 0.05 }],
    ['adam', { learningRate: 0.05, amsgrad: true }],
    ['rmsprop', { learningRate: 0.01 }],
    ['adagrad', { learningRate: 0.1 }],
  ] as const)('%s %j follows Keras 3 update rules step by step (float64 reference)', async (kind, cfg) => {
    const factories = { sgd, adam, rmsprop, adagrad } as const;
    for (const rt of [gpu, cpu]) {
      for (const engine of ['fused', 'general'] as const) {
        const m = new Sequential([Input({ shape: [1] }), Dense({ units: 1, useBias: false, kernelInitializer: 'ones' })], { runtime: rt });
        m.compile({ optimizer: factories[kind](cfg as never), loss: 'mse' });
        await m.fit([[1]], [[0]], { epochs: 30, batchSize: 1, engine });
        // replay the same updates in float64: g = 2 w
        let w = 1;
        const ws: number[] = [];
        for (let i = 0; i < 30; i++) {
          ws.push(w);
          w = kerasScalar(kind, cfg, 1, ws.map((v) => 2 * v).slice(0, i + 1));
        }
        const got = ((await m.getWeights())[0] as number[][])[0][0];
        expect(Math.abs(got - w)).toBeLessThan(1e-5 * Math.max(1, Math.abs(w)));
        expect(m.iterations).toBe(30);
      }
    }
  });

  it.each([
    ['sgd+nesterov', () => sgd({ learningRate: 0.2, momentum: 0.8, nesterov: true })],
    ['adam', () => adam({ learningRate: 0.02 })],
    ['adam amsgrad', () => adam({ learningRate: 0.02, amsgrad: true })],
    ['adamw', () => adamw({ learningRate: 0.02, weightDecay: 0.05 })],
    ['rmsprop centered + momentum', () => rmsprop({ learningRate: 0.01, momentum: 0.5, centered: true })],
    ['adagrad', () => adagrad({ learningRate: 0.1 })],
  ])('%s trains alike on both engines and both backends', async (_name, make) => {
    const runs: number[][] = [];
    for (const rt of [gpu, cpu]) {
      for (const engine of ['fused', 'general'] as const) {
        const m = net(rt, make());
        const h = await m.fit(X, Y, { epochs: 12, batchSize: 5, seed: 3, engine });
        expect(h.loss.every(Number.isFinite)).toBe(true);
        runs.push(await flat(m));
      }
    }
    for (const r of runs.slice(1)) expect(relErr(r, runs[0])).toBeLessThan(2e-5);
  });

  it('optimizer state and iterations carry across fit calls: 2 x 5 epochs = 10 epochs', async () => {
    for (const engine of ['fused', 'general'] as const) {
      const a = net(gpu, adam({ learningRate: 0.03 }));
      const b = net(gpu, adam({ learningRate: 0.03 }));
      await a.fit(X, Y, { epochs: 10, batchSize: 4, seed: 2, engine });
      await b.fit(X, Y, { epochs: 5, batchSize: 4, seed: 2, engine });
      await b.fit(X, Y, { epochs: 10, initialEpoch: 5, batchSize: 4, seed: 2, engine });
      expect(await flat(b)).toEqual(await flat(a));
      expect(b.iterations).toBe(a.iterations);
    }
  });

  it('optimizer state is saved with the model: save after 5 epochs, load, 5 more = 10 epochs', async () => {
    for (const make of [() => adam({ learningRate: 0.03, amsgrad: true }), () => rmsprop({ momentum: 0.5, centered: true })]) {
      const a = net(gpu, make());
      await a.fit(X, Y, { epochs: 10, batchSize: 4, seed: 2 });
      const b = net(gpu, make());
      await b.fit(X, Y, { epochs: 5, batchSize: 4, seed: 2 });
      const dir = mkdtempSync(join(tmpdir(), 'opt-state-'));
      await b.save(`file://${dir}`);
      const c = await loadModel(`file://${dir}`, { runtime: gpu });
      expect(c.iterations).toBe(b.iterations);
      await c.fit(X, Y, { epochs: 10, initialEpoch: 5, batchSize: 4, seed: 2 });
      expect(await flat(c)).toEqual(await flat(a));
    }
  });

  it('names and Keras / tfjs spellings resolve; bad configs name the option', () => {
    for (const name of ['adam', 'Adam', 'adamw', 'AdamW', 'rmsprop', 'RMSProp', 'RMSprop', 'adagrad', 'Adagrad', 'sgd', 'SGD']) {
      const m = net(gpu, name);
      expect(m.optimizer!.className.toLowerCase()).toBe(name.toLowerCase() === 'rmsprop' ? 'rmsprop' : name.toLowerCase());
    }
    expect(net(gpu, 'adam').optimizer!.config).toMatchObject({ learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false });
    expect(net(gpu, { className: 'Adam', config: { learning_rate: 0.01, beta_1: 0.8 } } as never).optimizer!.config).toMatchObject({ learningRate: 0.01, beta1: 0.8 });
    expect(() => adam({ learningRate: -1 })).toThrow(/adam: learningRate must be a finite number > 0, got -1/);
    expect(() => adam({ beta1: 1 })).toThrow(/adam: beta1 must be a finite number in \[0, 1\), got 1/);
    expect(() => adam({ lerningRate: 0.1 } as never)).toThrow(/adam: unknown option 'lerningRate' \(known: learningRate, beta1/);
    expect(() => sgd({ learningRate: '0.1' } as never)).toThrow(/got the string '0.1'/);
  });

  it('changing the learning rate, momentum or metrics compiles nothing a fit waits for; another optimizer kind at most its generic pipeline, once per device', async () => {
    const rt = await createRuntime();
    try {
      const m = net(rt, sgd({ learningRate: 0.1 }));
      await m.fit(X, Y, { epochs: 2, engine: 'fused' });
      const before = rt.scheduler!.compileCount;
      // the same kind: lr, momentum, nesterov and metrics are uniforms or the descriptor
      for (const [opt, metrics] of [[sgd({ learningRate: 0.3, momentum: 0.9 }), ['accuracy']], [sgd({ learningRate: 0.01, nesterov: true, momentum: 0.5 }), ['mse', 'mae']], [sgd({ learningRate: 0.2 }), []]] as const) {
        m.compile({ optimizer: opt, loss: 'categoricalCrossentropy', metrics: metrics as never });
        await m.fit(X, Y, { epochs: 2, engine: 'fused' });
      }
      expect(rt.scheduler!.compileCount - before).toBeLessThanOrEqual(1); // the shared generic pipeline, once
      const kinds = rt.scheduler!.compileCount;
      for (const opt of [adam(), rmsprop({ centered: true }), adagrad()]) {
        m.compile({ optimizer: opt, loss: 'categoricalCrossentropy' });
        await m.fit(X, Y, { epochs: 2, engine: 'fused' });
      }
      expect(rt.scheduler!.compileCount - kinds).toBeLessThanOrEqual(3);
      const after = rt.scheduler!.compileCount;
      for (const lr of [0.05, 0.2]) {
        m.compile({ optimizer: adagrad({ learningRate: lr }), loss: 'categoricalCrossentropy', metrics: ['categoricalCrossentropy'] });
        await m.fit(X, Y, { epochs: 2, engine: 'fused' });
      }
      expect(rt.scheduler!.compileCount).toBe(after);
    } finally {
      rt.dispose();
    }
  });
});

describe('callbacks and fit options', () => {
  let gpu: Runtime;
  beforeAll(async () => {
    gpu = await createRuntime();
  });
  afterAll(() => gpu.dispose());

  it('callbacks as an array fire in Keras order with logs; batch hooks see running means', async () => {
    for (const engine of ['auto', 'general'] as const) {
      const m = net(gpu, sgd({ learningRate: 0.1 }));
      const events: string[] = [];
      let batchLoss = NaN;
      const h = await m.fit(X, Y, {
        epochs: 2, batchSize: 5, engine, shuffle: false,
        callbacks: [
          { onTrainBegin: () => void events.push('trainBegin'), onEpochBegin: (e) => void events.push(`epochBegin ${e}`) },
          {
            onBatchBegin: (b, logs) => void events.push(`batchBegin ${b} ${logs.size}`),
            onBatchEnd: (b, logs) => {
              events.push(`batchEnd ${b}`);
              batchLoss = logs.loss;
            },
            onEpochEnd: (e, logs) => void events.push(`epochEnd ${e} ${Number.isFinite(logs.loss)}`),
            onTrainEnd: () => void events.push('trainEnd'),
          },
        ],
      });
      expect(events).toEqual([
        'trainBegin',
        'epochBegin 0', 'batchBegin 0 5', 'batchEnd 0', 'batchBegin 1 5', 'batchEnd 1', 'batchBegin 2 2', 'batchEnd 2', 'epochEnd 0 true',
        'epochBegin 1', 'batchBegin 0 5', 'batchEnd 0', 'batchBegin 1 5', 'batchEnd 1', 'batchBegin 2 2', 'batchEnd 2', 'epochEnd 1 true',
        'trainEnd',
      ]);
      // the last batch's running mean is the epoch's loss
      expect(Math.abs(batchLoss - h.loss[1])).toBeLessThan(1e-6);
    }
  });

  it('classWeight scales each row\'s loss and gradient by its class weight (Keras), on both engines and backends', async () => {
    let cpu: Runtime | null = await createRuntime({ backend: 'cpu' });
    try {
      for (const engine of ['fused', 'general'] as const) {
        // a uniform weight of 2 under plain SGD is the same step as twice the learning rate, and twice the loss
        const a = net(gpu, sgd({ learningRate: 0.2 }));
        const b = net(gpu, sgd({ learningRate: 0.1 }));
        const ha = await a.fit(X, Y, { epochs: 5, batchSize: 4, seed: 1, engine });
        const hb = await b.fit(X, Y, { epochs: 5, batchSize: 4, seed: 1, engine, classWeight: { 0: 2, 1: 2 } });
        expect(await flat(b)).toEqual(await flat(a));
        expect(hb.loss[0]).toBeCloseTo(2 * ha.loss[0], 6);
        // uneven weights: engines and backends agree
        const runs: number[][] = [];
        for (const rt of [gpu, cpu]) {
          const m = net(rt, adam({ learningRate: 0.05 }));
          const h = await m.fit(X, Y, { epochs: 8, batchSize: 5, seed: 3, engine, classWeight: { 0: 1, 1: 4 } });
          expect(h.loss.every(Number.isFinite)).toBe(true);
          runs.push(await flat(m));
        }
        expect(relErr(runs[1], runs[0])).toBeLessThan(2e-5);
      }
      const m = net(gpu, 'sgd');
      await expect(m.fit(X, Y, { classWeight: { 0: 1 } })).rejects.toThrow(/fit: classWeight gives no weight for class 1/);
      await expect(m.fit(X, Y, { classWeight: { 0: 1, 1: '2' } as never })).rejects.toThrow(/classWeight\[1\] must be a finite number >= 0, got the string '2'/);
    } finally {
      cpu.dispose();
      cpu = null;
    }
  });

  it('unknown options and callback keys are errors that list the valid ones', async () => {
    const m = net(gpu, 'sgd');
    await expect(m.fit(X, Y, { epoch: 5 } as never)).rejects.toThrow(/fit: unknown option 'epoch' \(known: epochs, batchSize/);
    expect(() => m.compile({ loss: 'mse', optimiser: 'adam' } as never)).toThrow(/compile: unknown option 'optimiser' \(known: optimizer, loss, metrics\)/);
    await expect(m.fit(X, Y, { callbacks: { onEpochEnds: () => undefined } as never })).rejects.toThrow(/callbacks has unknown key 'onEpochEnds' \(known: onTrainBegin/);
    await expect(m.fit(X, Y, { verbose: 3 as never })).rejects.toThrow(/verbose must be 0, 1 or 2, got 3/);
    await expect(m.fit(X, Y, { epochs: 3, initialEpoch: 3 })).rejects.toThrow(/initialEpoch must be an integer in \[0, epochs\)/);
    await expect(m.fit(X, Y, { engine: 'fused', callbacks: { onBatchEnd: () => undefined } })).rejects.toThrow(/engine 'fused' cannot train this network: it has batch callbacks/);
  });

  it('earlyStopping with restoreBestWeights stops as Keras on the same curve and keeps the best epoch', async () => {
    for (const engine of ['fused', 'general'] as const) {
      const V: [number[][], number[][]] = [X.slice(0, 6).map(([a, b]) => [b, a]), Y.slice(0, 6)];
      const ref = net(gpu, sgd({ learningRate: 0.5 }));
      const full = await ref.fit(X, Y, { epochs: 40, batchSize: 4, seed: 1, engine, validationData: V });
      const vl = full.history.val_loss;
      // Keras 3: wait counts up each epoch and resets on improvement; stop when wait >= patience.
      const patience = 3;
      let best = Infinity;
      let bestEpoch = -1;
      let wait = 0;
      let stop = -1;
      for (let e = 0; e < vl.length; e++) {
        wait++;
        if (vl[e] < best) {
          best = vl[e];
          bestEpoch = e;
          wait = 0;
          continue;
        }
        if (wait >= patience && e > 0) {
          stop = e;
          break;
        }
      }
      const m = net(gpu, sgd({ learningRate: 0.5 }));
      const h = await m.fit(X, Y, { epochs: 40, batchSize: 4, seed: 1, engine, validationData: V, callbacks: [earlyStopping({ monitor: 'val_loss', patience, restoreBestWeights: true })] });
      const lastEpoch = stop >= 0 ? stop : vl.length - 1;
      expect(h.epoch[h.epoch.length - 1]).toBe(lastEpoch);
      expect(h.history.val_loss).toEqual(vl.slice(0, lastEpoch + 1));
      const atBest = net(gpu, sgd({ learningRate: 0.5 }));
      await atBest.fit(X, Y, { epochs: bestEpoch + 1, batchSize: 4, seed: 1, engine });
      expect(await flat(m)).toEqual(await flat(atBest));
    }
  });

  it('learningRateScheduler and reduceLROnPlateau change the rate between epochs', async () => {
    const m = net(gpu, sgd({ learningRate: 0.1 }));
    await m.fit(X, Y, { epochs: 4, callbacks: [learningRateScheduler((e, lr) => (e === 0 ? lr : lr / 2))] });
    expect(m.optimizer!.learningRate).toBeCloseTo(0.1 / 8, 12);
    // a schedule that returns the same rate trains exactly as no schedule
    const a = net(gpu, sgd({ learningRate: 0.1 }));
    const b = net(gpu, sgd({ learningRate: 0.1 }));
    await a.fit(X, Y, { epochs: 3, seed: 4 });
    await b.fit(X, Y, { epochs: 3, seed: 4, callbacks: [learningRateScheduler((_e, lr) => lr)] });
    expect(await flat(b)).toEqual(await flat(a));
    const c = net(gpu, sgd({ learningRate: 0.1 }));
    const h = await c.fit(X, Y, { epochs: 6, callbacks: [reduceLROnPlateau({ monitor: 'loss', patience: 0, minDelta: 10, factor: 0.5 })] });
    expect(h.history.learning_rate.map((v) => +v.toPrecision(6))).toEqual([0.1, 0.1, 0.05, 0.025, 0.0125, 0.00625]);
  });

  it('verbose 2 prints one Keras line per epoch while training', async () => {
    const lines: string[] = [];
    const orig = console.log;
    console.log = (s: string) => void lines.push(String(s));
    try {
      await net(gpu, 'sgd').fit(X, Y, { epochs: 2, batchSize: 5, verbose: 2 });
    } finally {
      console.log = orig;
    }
    expect(lines[0]).toBe('Epoch 1/2');
    expect(lines[1]).toMatch(/^3\/3 - \d+s - loss: \d\.\d{4}$/);
    expect(lines[2]).toBe('Epoch 2/2');
  });
});
