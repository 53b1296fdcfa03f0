/**
 * The library as a user meets it: how tensors and errors print, what the messages say about a
 * wrong value or name, and the guards against foreign and disposed objects, on both backends.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dense, Input, NNError, Sequential, createRuntime, setSeed, sgd, type Runtime, type Tensor } from '../src/index';
import { describeValue } from '../src/errors';

const ACTIVATION_LIST = /\(known: identity, linear, step, sigmoid, tanh, relu, leakyRelu, relu6, elu, selu, celu, softplus, softsign, hardSigmoid, silu, gelu, mish, hardSwish, softmax/;

describe('describeValue', () => {
  it('quotes strings and describes what is not a plain number', () => {
    const cases: [unknown, string][] = [
      ['2', "the string '2'"], ['', 'an empty string'], [2.5, '2.5'], [NaN, 'NaN'], [-0, '-0'], [true, 'true'],
      [undefined, 'undefined'], [null, 'null'], [[], 'an empty array'], [[2, 3], '[2, 3]'], [['a', 1], "['a', 1]"],
      [[[1, 2], [3, 4]], '[[1, 2], [3, 4]]'], [new Array(20).fill(0), 'an array of length 20'],
      [new Float32Array(3), 'a Float32Array of length 3'], [{}, 'an empty object'], [{ units: 2, activation: 'relu' }, 'an object {units, activation}'],
      [Promise.resolve(1), 'a Promise (missing await?)'], [new Map(), 'a Map'], [new Int32Array(2), 'an Int32Array of length 2'], [() => 1, 'a function'], [10n, 'the bigint 10n'],
    ];
    for (const [v, text] of cases) expect(describeValue(v)).toBe(text);
  });
});

describe('messages that do not mislead', () => {
  it('Dense: units and activation, quoting what was given', () => {
    expect(() => Dense({ units: '2' as never })).toThrow(new NNError("Dense: units must be a positive integer, got the string '2'"));
    expect(() => Dense({ units: [] as never })).toThrow(new NNError('Dense: units must be a positive integer, got an empty array'));
    expect(() => Dense({} as never)).toThrow(new NNError('Dense: units is missing (expected a positive integer)'));
    expect(() => Dense({ units: 2, activation: 3 as never })).toThrow(new NNError("Dense: activation must be a name like 'relu' (or null for none), got 3"));
    expect(() => Dense({ units: 2, inputShape: [2, 3] })).toThrow(new NNError('Dense: inputShape must be [features] with a positive integer, got [2, 3]'));
    expect(() => Input({ shape: 2 as never })).toThrow(new NNError('Input: shape must be [features] with a positive integer (Dense networks take rows of features), got 2'));
  });

  it('Dense: an activation that can be no custom name fails when the layer is built, listing the names', () => {
    for (const name of ['leaky relu', 'logSoftmax', 'gelu-2']) {
      expect(() => Dense({ units: 2, activation: name as string })).toThrow(new RegExp(`^Dense: unknown activation '${name}' ${ACTIVATION_LIST.source}; or the name of one defined with runtime.defineActivation\\)$`));
    }
  });

  it('setSeed says what it got', () => {
    expect(() => setSeed('3' as never)).toThrow(new NNError("setSeed: the seed must be an integer, got the string '3'"));
  });

  it('NNError prints its name', () => {
    const e = new NNError('boom');
    expect(String(e)).toBe('NNError: boom');
    expect(inspect(e).split('\n')[0]).toBe('NNError: boom');
  });
});

for (const backend of ['webgpu', 'cpu'] as const) {
  describe(`on the ${backend} backend`, () => {
    let rt: Runtime;
    let other: Runtime;
    beforeAll(async () => {
      rt = await createRuntime({ backend });
      other = await createRuntime({ backend: 'cpu' });
    });
    afterAll(() => {
      rt.dispose();
      other.dispose();
    });
    const model = () => new Sequential([Input({ shape: [2] }), Dense({ units: 1, activation: 'sigmoid' })], { runtime: rt });

    it(`a tensor prints as 'Tensor float32 [2, 3] ${backend}', with its values when they are on the host`, async () => {
      const t = rt.tensor([[1, 2, 3], [4, 5.5, 6]]);
      const text = `Tensor float32 [2, 3] ${backend}\n[[1, 2, 3],\n [4, 5.5, 6]]`;
      expect(String(t)).toBe(text);
      expect(inspect(t)).toBe(text);
      expect(inspect({ t })).toContain('Tensor float32 [2, 3]');
      const y = rt.relu(rt.tensor([-1, 2.5]));
      if (backend === 'webgpu') expect(String(y)).toBe('Tensor float32 [2] webgpu'); // on the GPU until read
      await y.read();
      expect(String(y)).toBe(`Tensor float32 [2] ${backend}\n[0, 2.5]`);
      expect(String(rt.zeros([2, 100]))).toBe(`Tensor float32 [2, 100] ${backend}`);
      expect(String(rt.tensor(5))).toBe(`Tensor float32 [] ${backend}\n5`);
      t.dispose();
      expect(String(t)).toBe(`Tensor float32 [2, 3] ${backend} (disposed)`);
    });

    it('a value printed after a read is not stale after an in-place update', async () => {
      const w = rt.tensor([1, 1]);
      await w.read();
      rt.sgdUpdate(w, rt.tensor([1, 2]), { learningRate: 0.5 });
      if (backend === 'webgpu') expect(String(w)).toBe('Tensor float32 [2] webgpu');
      await w.read();
      expect(String(w)).toBe(`Tensor float32 [2] ${backend}\n[0.5, 0]`);
    });

    it('shapes and op options say what they got', () => {
      expect(() => rt.zeros('2' as never)).toThrow(new NNError("zeros: expected a shape (array of dimensions), got the string '2'"));
      expect(() => rt.zeros(['2'] as never)).toThrow(new NNError("zeros: shape [2] has an invalid dimension the string '2': expected integers >= 0"));
      expect(() => rt.tensor(true as never)).toThrow(new NNError('tensor: expected numbers, an array, a typed array or nested arrays, got true'));
      expect(() => rt.matmul(rt.zeros([1, 1]), rt.zeros([1, 1]), 3 as never)).toThrow(new NNError('matmul: options must be an object like {transposeA: true}, got 3'));
      expect(() => rt.activation('softmax', rt.zeros([1, 2]), [0] as never)).toThrow(new NNError("activation('softmax'): params must be an object like {axis: -1}, got [0]"));
    });

    it('a disposed tensor and a foreign one are named plainly', async () => {
      const x = rt.tensor([1, 2]);
      x.dispose();
      expect(() => rt.relu(x)).toThrow(/^relu: x \(tensor #\d+ \[2\]\) was disposed$/);
      await expect(x.read()).rejects.toThrow(/^read: tensor #\d+ \[2\] was disposed$/);
      expect(() => rt.relu({ shape: [2] } as unknown as Tensor)).toThrow(new NNError('relu: x must be a Tensor, got an object {shape}'));
    });

    it('fit, predict and evaluate reject tensors of another runtime, as the ops do', async () => {
      const m = model();
      m.compile({ loss: 'mse' });
      const xs = other.tensor([[1, 2]]);
      const ys = other.tensor([[1]]);
      const foreign = /belongs to another runtime; tensors cannot be mixed between runtimes/;
      await expect(m.predict(xs)).rejects.toThrow(new RegExp(`^predict: x \\(tensor #\\d+ \\[1, 2\\]\\) ${foreign.source}`));
      await expect(m.fit(xs, [[1]])).rejects.toThrow(new RegExp(`^fit: x \\(tensor #\\d+ \\[1, 2\\]\\) ${foreign.source}`));
      await expect(m.evaluate([[1, 2]], ys)).rejects.toThrow(new RegExp(`^evaluate: y \\(tensor #\\d+ \\[1, 1\\]\\) ${foreign.source}`));
      m.dispose();
    });

    it('fit and compile options: strings quoted, missing fields named, unknown names listed', async () => {
      const m = model();
      expect(() => m.compile({} as never)).toThrow(/^compile: no loss given \(known: mse, mae/);
      expect(() => m.compile({ loss: 'mse', metrics: 'mae' as never })).toThrow(new NNError("compile: metrics must be an array of names like ['mae'], got the string 'mae'"));
      m.compile({ loss: 'mse', optimizer: sgd({ learningRate: 0.1 }) });
      await expect(m.fit([[1, 2]], [[1]], { epochs: '3' as never })).rejects.toThrow(new NNError("fit: epochs must be a positive integer, got the string '3'"));
      await expect(m.fit([[1, 2]], [[1]], { batchSize: 0 })).rejects.toThrow(new NNError('fit: batchSize must be a positive integer, got 0'));
      await expect(m.fit([[1, 2]], [[1]], { engine: 'fast' as never })).rejects.toThrow(new NNError("fit: engine must be 'auto', 'fused' or 'general', got the string 'fast'"));
      expect(() => sgd({ learningRate: '0.1' as never })).toThrow(/learningRate must be .*, got the string '0\.1'/);
      m.dispose();
    });

    it("compile({loss: 'bce'}) trains as 'binaryCrossentropy' does", async () => {
      const losses: number[][] = [];
      for (const loss of ['binaryCrossentropy', 'bce'] as const) {
        const m = model();
        m.setWeights([[[0.5], [-0.25]], [0.1]]);
        m.compile({ loss, optimizer: sgd({ learningRate: 0.5 }) });
        const h = await m.fit([[0, 1], [1, 0], [1, 1]], [[1], [0], [1]], { epochs: 3, shuffle: false });
        losses.push(h.history.loss);
        m.dispose();
      }
      expect(losses[0]).toEqual(losses[1]);
    });

    it('an unknown Dense activation that could be a custom one is reported at compile, with the names', async () => {
      const m = new Sequential([Input({ shape: [2] }), Dense({ units: 1, activation: 'reluu' as string, name: 'out' })], { runtime: rt });
      expect(() => m.compile({ loss: 'mse' })).toThrow(
        new RegExp(`^compile: layer 0 'out' has unknown activation 'reluu' ${ACTIVATION_LIST.source}; or define it with runtime.defineActivation first\\)$`),
      );
    });

    it('a model may use more than one custom activation', async () => {
      const myRelu = await rt.defineActivation('myRelu', {
        wgsl: { forward: 'max(0.0, x)', backward: 'select(0.0, dy, x > 0.0)' },
        cpu: { forward: (x) => Math.max(0, x), backward: (x, _y, dy) => (x > 0 ? dy : 0) },
      });
      const mySoftsign = await rt.defineActivation('mySoftsign', {
        wgsl: { forward: 'x / (1.0 + abs(x))', backward: 'dy / ((1.0 + abs(x)) * (1.0 + abs(x)))' },
        cpu: { forward: (x) => x / (1 + Math.abs(x)), backward: (x, _y, dy) => dy / ((1 + Math.abs(x)) * (1 + Math.abs(x))) },
      });
      const x = [[0.5, -1], [1, 2], [-0.5, 0.25], [2, -2]];
      const y = [[0.2], [0.9], [-0.3], [0.1]];
      const weights = [[[0.3, -0.2, 0.5], [0.1, 0.4, -0.6]], [0.05, 0, -0.05], [[0.7], [-0.3], [0.2]], [0.1]];
      const trained: number[][] = [];
      for (const acts of [[myRelu, mySoftsign], ['relu', 'softsign']] as [string, string][]) {
        const m = new Sequential([Input({ shape: [2] }), Dense({ units: 3, activation: acts[0] }), Dense({ units: 1, activation: acts[1] })], { runtime: rt });
        m.setWeights(weights);
        m.compile({ loss: 'mse', optimizer: sgd({ learningRate: 0.1 }) });
        await m.fit(x, y, { epochs: 5, batchSize: 2, shuffle: false });
        trained.push((await m.getWeights()).flat(2) as number[]);
        m.dispose();
      }
      trained[0].forEach((w, i) => expect(w).toBeCloseTo(trained[1][i], 5));
    });

    it('setWeights rejects a tensor of the right size in the wrong shape, changing nothing', async () => {
      const m = new Sequential([Input({ shape: [2] }), Dense({ units: 3 })], { runtime: rt });
      m.setWeights([[[1, 2, 3], [4, 5, 6]], [0, 0, 0]]);
      const transposed = rt.tensor([[1, 4], [2, 5], [3, 6]]);
      expect(() => m.setWeights([transposed, rt.tensor([7, 8, 9])])).toThrow(new NNError('setWeights: weight 0 must have shape [2, 3], got [3, 2]'));
      expect(await m.getWeights()).toEqual([[[1, 2, 3], [4, 5, 6]], [0, 0, 0]]);
      m.setWeights([rt.tensor([[6, 5, 4], [3, 2, 1]]), rt.tensor([7, 8, 9])]);
      expect(await m.getWeights()).toEqual([[[6, 5, 4], [3, 2, 1]], [7, 8, 9]]);
      m.dispose();
    });

    it('a disposed runtime refuses sync() and defineActivation()', async () => {
      const r = await createRuntime({ backend });
      r.dispose();
      await expect(r.sync()).rejects.toThrow(new NNError('sync: the runtime was disposed'));
      expect(() => r.defineActivation('late', { wgsl: { forward: 'x', backward: 'dy' }, cpu: { forward: (v) => v, backward: (_x, _y, d) => d } })).toThrow(
        new NNError("defineActivation('late'): the runtime was disposed"),
      );
      expect(() => r.tensor([1])).toThrow(new NNError('tensor: the runtime was disposed'));
    });
  });
}
