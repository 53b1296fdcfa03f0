/**
 * Models move between this library and TensorFlow.js Layers (tfjs-layers, CPU backend), both
 * ways, with the same predictions; Keras 3 `to_json()` and the tfjs converter's Keras models load.
 * Node: files (model.json + weights.bin written as tfjs-node's file handler writes them).
 * Browser suite: localstorage:// and indexeddb:// round trips with tfjs's own handlers.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dense, Input, NNError, Sequential, createRuntime, loadModel, modelFromJSON, sgd, type Runtime } from '../src/index';
import type { ModelArtifacts } from '../src/model/serialize';
import { decodeWeights, encodeWeights } from '../src/model/io/artifacts';

const IS_NODE = typeof process !== 'undefined' && typeof process.versions?.node === 'string' && typeof window === 'undefined';
const nodeImport = (m: string) => import(/* @vite-ignore */ m);

/** Deterministic rows in [-2, 2]. */
function rows(n: number, d: number, seed = 1): number[][] {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 4 - 2;
  return Array.from({ length: n }, () => Array.from({ length: d }, next));
}

/**
 * Relative error of each output row, normwise (max |a - b| over the row / max |b| over the row),
 * worst row. Elementwise ratios would measure cancellation instead: a Dense output near 0 is a
 * sum of terms ~1 whose last-bit differences (summation order, tfjs's own tanh / erf, accurate
 * only in absolute terms near 0) are large relative to that output.
 */
function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>, cols: number): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let r = 0; r < a.length; r += cols) {
    let diff = 0;
    let scale = 0;
    for (let i = r; i < r + cols; i++) {
      diff = Math.max(diff, Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(b[i]));
    }
    worst = Math.max(worst, scale === 0 ? diff : diff / scale);
  }
  return worst;
}

async function tfjsPredict(m: tfl.LayersModel, x: number[][]): Promise<Float32Array> {
  const t = tf.tensor2d(x);
  const y = m.predict(t) as tf.Tensor;
  const out = (await y.data()) as Float32Array;
  t.dispose();
  y.dispose();
  return out;
}

async function ourPredict(m: Sequential, x: number[][]): Promise<Float32Array> {
  const y = await m.predict(x);
  const out = await y.read();
  y.dispose();
  return out;
}

/** What tfjs's model.save hands its IOHandler. */
async function capture(m: tfl.LayersModel, config?: tf.io.SaveConfig): Promise<tf.io.ModelArtifacts> {
  let got: tf.io.ModelArtifacts | undefined;
  await m.save(tf.io.withSaveHandler(async (a) => ((got = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })), config);
  return got!;
}

const joined = (d: tf.io.ModelArtifacts['weightData']): ArrayBuffer => (Array.isArray(d) ? tf.io.concatenateArrayBuffers(d) : d!);

/**
 * dir/model.json + dir/weights.bin exactly as tfjs-node's `file://` handler writes them
 * (getModelJSONForModelArtifacts); `sharded`: the weights cut in two files as the tfjs
 * converter does (group1-shard1of2.bin, group1-shard2of2.bin).
 */
async function writeLikeTfjsNode(dir: string, a: tf.io.ModelArtifacts, sharded = false): Promise<void> {
  const fs = await nodeImport('node:fs/promises');
  const data = new Uint8Array(joined(a.weightData));
  const cut = 4 * Math.floor(data.length / 8) + 2; // mid-weight, not on a float boundary
  const files: [string, Uint8Array][] = sharded ? [['group1-shard1of2.bin', data.subarray(0, cut)], ['group1-shard2of2.bin', data.subarray(cut)]] : [['weights.bin', data]];
  const json: Record<string, unknown> = { modelTopology: a.modelTopology, format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy, weightsManifest: [{ paths: files.map(([n]) => n), weights: a.weightSpecs }] };
  if (a.userDefinedMetadata != null) json.userDefinedMetadata = a.userDefinedMetadata;
  if (a.trainingConfig != null) json.trainingConfig = a.trainingConfig;
  await fs.mkdir(dir, { recursive: true });
  for (const [name, bytes] of files) await fs.writeFile(`${dir}/${name}`, bytes);
  await fs.writeFile(`${dir}/model.json`, JSON.stringify(json));
}

/** An IOHandler that reads model.json and its manifest's files as tfjs-node's loader does. */
function readLikeTfjsNode(jsonPath: string): tf.io.IOHandler {
  return {
    load: async () => {
      const fs = await nodeImport('node:fs/promises');
      const dir = jsonPath.slice(0, jsonPath.lastIndexOf('/'));
      const modelJSON = JSON.parse(await fs.readFile(jsonPath, 'utf8'));
      return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
        const specs = manifest.flatMap((g) => g.weights);
        const bufs: Uint8Array[] = await Promise.all(manifest.flatMap((g) => g.paths).map((p) => fs.readFile(`${dir}/${p}`)));
        return [specs, tf.io.concatenateArrayBuffers(bufs.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer))];
      });
    },
  };
}

async function tmpDir(): Promise<string> {
  const fs = await nodeImport('node:fs/promises');
  const os = await nodeImport('node:os');
  return fs.mkdtemp(`${os.tmpdir()}/serialize-tfjs-`);
}

/**
 * tfjs models: a classifier (the fused engine's activations), and a chain of every activation
 * tfjs and this library share, biases random, one layer without bias. `gpu`: whether the test
 * runs it on the GPU backend too (the chain's ten activations would each compile pipelines on
 * lavapipe, ~5 s apiece; their GPU kernels are checked against the CPU ones in activations.test.ts).
 */
function tfjsModels(): { name: string; model: tfl.Sequential; inputs: number; gpu: boolean }[] {
  const bias = () => tfl.initializers.randomUniform({ minval: -0.5, maxval: 0.5, seed: 11 });
  const dense = (units: number, activation: string, extra: Record<string, unknown> = {}) =>
    tfl.layers.dense({ units, activation: activation as never, biasInitializer: bias(), ...extra });
  const classifier = tfl.sequential({ layers: [dense(8, 'relu', { inputShape: [5] }), dense(6, 'tanh'), dense(4, 'sigmoid'), dense(3, 'softmax')] });
  classifier.compile({ optimizer: tf.train.momentum(0.05, 0.9), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const acts = ['elu', 'selu', 'softplus', 'softsign', 'relu6', 'swish', 'mish', 'gelu', 'hardSigmoid', 'linear'];
  const zoo = tfl.sequential({ layers: [dense(6, 'relu', { inputShape: [4], useBias: false }), ...acts.map((a) => dense(6, a))] });
  return [
    { name: 'relu-tanh-sigmoid-softmax classifier', model: classifier, inputs: 5, gpu: true },
    { name: 'every shared activation', model: zoo, inputs: 4, gpu: false },
  ];
}

describe('TensorFlow.js Layers format', () => {
  let gpu: Runtime;
  let cpu: Runtime;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    gpu = await createRuntime();
    cpu = await createRuntime({ backend: 'cpu' });
  });
  afterAll(() => {
    gpu.dispose();
    cpu.dispose();
  });

  /** Ours (by default on both backends) against tfjs CPU: within 1e-6 relative. */
  async function expectSamePredictions(ours: (rt: Runtime) => Promise<Sequential>, theirs: tfl.LayersModel, inputs: number, runtimes = [gpu, cpu]): Promise<number> {
    const x = rows(33, inputs, inputs);
    const want = await tfjsPredict(theirs, x);
    const cols = want.length / x.length;
    let worst = 0;
    for (const rt of runtimes) {
      const m = await ours(rt);
      const got = await ourPredict(m, x);
      const err = maxRelErr(got, want, cols);
      worst = Math.max(worst, err);
      expect(err, `${rt.backend}: max relative error`).toBeLessThanOrEqual(1e-6);
      m.dispose();
    }
    return worst;
  }

  it.runIf(IS_NODE)('tfjs model.save (file://, as tfjs-node writes it) -> loadModel: same predictions, compile settings', async () => {
    for (const { name, model, inputs, gpu: onGpu } of tfjsModels()) {
      const dir = await tmpDir();
      await writeLikeTfjsNode(dir, await capture(model, { includeOptimizer: true }), !onGpu);
      const worst = await expectSamePredictions((rt) => loadModel(`file://${dir}`, { runtime: rt }), model, inputs, onGpu ? [gpu, cpu] : [cpu]);
      console.log(`tfjs -> ours (${name}): max relative error ${worst.toExponential(2)}`);
      const again = await loadModel(`file://${dir}/model.json`, { runtime: cpu });
      expect(again.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
      if (model.optimizer) {
        expect(again.compileConfig).toEqual({ optimizer: { className: 'SGD', config: expect.objectContaining({ learningRate: 0.05, momentum: 0.9 }) }, loss: 'categorical_crossentropy', metrics: ['accuracy'] });
      } else expect(again.compileConfig).toBeNull();
      again.dispose();
    }
  });

  it('tfjs artifacts in memory (tf.io.withSaveHandler / tf.io.fromMemory) -> loadModel', async () => {
    const [{ model, inputs }] = tfjsModels();
    const a = await capture(model);
    await expectSamePredictions((rt) => loadModel(a, { runtime: rt }), model, inputs);
    await expectSamePredictions((rt) => loadModel(tf.io.fromMemory(a), { runtime: rt }), model, inputs);
  });

  /** Ours: Input 5 -> relu, elu, swish, gelu, softplus, softmax; trained a little. */
  async function ourModel(rt: Runtime): Promise<Sequential> {
    const m = new Sequential(
      [Input({ shape: [5] }), Dense({ units: 7, activation: 'relu', name: 'hidden' }), Dense({ units: 6, activation: 'elu' }), Dense({ units: 6, activation: 'swish' }), Dense({ units: 5, activation: 'gelu', useBias: false }), Dense({ units: 5, activation: 'softplus' }), Dense({ units: 3, activation: 'softmax' })],
      { runtime: rt, name: 'ours' },
    );
    m.compile({ optimizer: sgd({ learningRate: 0.1, momentum: 0.5 }), loss: 'categoricalCrossentropy', metrics: ['accuracy', 'mae'] });
    const x = rows(24, 5, 3);
    await m.fit(x, x.map((r) => [r[0] > 0 ? 1 : 0, r[0] <= 0 && r[1] > 0 ? 1 : 0, r[0] <= 0 && r[1] <= 0 ? 1 : 0]), { epochs: 3, batchSize: 8, seed: 2 });
    return m;
  }

  it.runIf(IS_NODE)("save('file://dir') -> tfjs loadLayersModel: same predictions, compiled from trainingConfig; and back into ours bitwise", async () => {
    const ours = await ourModel(gpu);
    const dir = await tmpDir();
    const result = await ours.save(`file://${dir}/saved`);
    // the weights, then (Keras: saved with the model) the optimizer's: its iteration count and the momentum of each weight
    const weightBytes = 4 * (5 * 7 + 7 + 7 * 6 + 6 + 6 * 6 + 6 + 6 * 5 + 5 * 5 + 5 + 5 * 3 + 3);
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(weightBytes + 4 + weightBytes);
    const fs = await nodeImport('node:fs/promises');
    expect((await fs.readdir(`${dir}/saved`)).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(await fs.readFile(`${dir}/saved/model.json`, 'utf8'));
    expect(Object.keys(json)).toEqual(['modelTopology', 'format', 'generatedBy', 'convertedBy', 'weightsManifest', 'userDefinedMetadata', 'trainingConfig']);
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(json.weightsManifest[0].weights[0]).toEqual({ name: 'hidden/kernel', shape: [5, 7], dtype: 'float32' });
    expect(Object.keys(json.modelTopology)).toEqual(['class_name', 'config', 'keras_version', 'backend']);
    const layers = json.modelTopology.config.layers;
    expect(layers[0]).toEqual({
      class_name: 'Dense',
      config: {
        units: 7, activation: 'relu', use_bias: true, kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } }, bias_initializer: { class_name: 'Zeros', config: {} },
        kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
        name: 'hidden', trainable: true, batch_input_shape: [null, 5], dtype: 'float32',
      },
    });
    expect(layers.map((l: { config: { activation: string } }) => l.config.activation)).toEqual(['relu', 'elu', 'swish', 'gelu', 'softplus', 'softmax']);
    expect(json.trainingConfig).toEqual({ loss: 'categorical_crossentropy', metrics: ['accuracy', 'mae'], optimizer_config: { class_name: 'Momentum', config: { learningRate: 0.1, momentum: 0.5, useNesterov: false } } });

    const theirs = await tfl.loadLayersModel(readLikeTfjsNode(`${dir}/saved/model.json`));
    expect(theirs.optimizer).not.toBeNull();
    expect(theirs.layers.map((l) => l.name)).toEqual(ours.layers.map((l) => l.name));
    const x = rows(29, 5, 9);
    const want = await ourPredict(ours, x);
    const err = maxRelErr(await tfjsPredict(theirs, x), want, 3);
    console.log(`ours -> tfjs: max relative error ${err.toExponential(2)}`);
    expect(err).toBeLessThanOrEqual(1e-6);

    for (const rt of [gpu, cpu]) {
      const back = await loadModel(`file://${dir}/saved`, { runtime: rt });
      expect(back.compileConfig).toEqual(ours.compileConfig);
      expect(back.name).toBe('ours');
      const got = await ourPredict(back, x);
      if (rt === gpu) expect(Array.from(got)).toEqual(Array.from(want));
      else expect(maxRelErr(got, want, 3)).toBeLessThanOrEqual(1e-6);
      back.dispose();
    }
    ours.dispose();
  });

  it.runIf(IS_NODE)('loadModel(http://...model.json?query): weights fetched beside it with the same query, as tfjs', async () => {
    const http = await nodeImport('node:http');
    const fs = await nodeImport('node:fs/promises');
    const m = new Sequential([Input({ shape: [3] }), Dense({ units: 4, activation: 'tanh' }), Dense({ units: 2 })], { runtime: cpu });
    const dir = await tmpDir();
    await m.save(`file://${dir}/web/m.json`);
    const seen: string[] = [];
    const server = http.createServer(async (req: { url: string }, res: { statusCode: number; end: (b?: Uint8Array) => void }) => {
      seen.push(req.url);
      const file = `${dir}${req.url.split('?')[0]}`;
      const body = await fs.readFile(file).catch(() => null);
      res.statusCode = body ? 200 : 404;
      res.end(body ?? undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${server.address().port}/web/m.json?v=3`;
      const back = await loadModel(url, { runtime: cpu });
      expect(seen).toEqual(['/web/m.json?v=3', '/web/m.weights.bin?v=3']);
      const x = rows(4, 3, 7);
      expect(Array.from(await ourPredict(back, x))).toEqual(Array.from(await ourPredict(m, x)));
      await expect(loadModel(`http://127.0.0.1:${server.address().port}/nope/model.json`, { runtime: cpu })).rejects.toThrow(/HTTP 404/);
      back.dispose();
    } finally {
      server.close();
      m.dispose();
    }
  });

  it('ours -> tfjs in memory (tf.io.withSaveHandler -> tf.io.fromMemory): same predictions', async () => {
    const ours = await ourModel(cpu);
    let saved: ModelArtifacts | undefined;
    await ours.save(tf.io.withSaveHandler(async (a) => ((saved = a as unknown as ModelArtifacts), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const theirs = await tfl.loadLayersModel(tf.io.fromMemory(saved as unknown as tf.io.ModelArtifacts));
    const x = rows(17, 5, 4);
    expect(maxRelErr(await tfjsPredict(theirs, x), await ourPredict(ours, x), 3)).toBeLessThanOrEqual(1e-6);
    ours.dispose();
  });

  it('what tfjs cannot take: settings kept for ours, tfjs rejects activations it lacks', async () => {
    const m = new Sequential([Input({ shape: [3] }), Dense({ units: 4, activation: 'leakyRelu' }), Dense({ units: 2 })], { runtime: cpu });
    m.compile({ loss: 'halfSquaredError', optimizer: sgd({ learningRate: 0.2 }) });
    let saved: ModelArtifacts | undefined;
    await m.save({ save: async (a) => ((saved = a), {}) });
    expect(saved!.trainingConfig).toBeUndefined(); // tfjs has no halfSquaredError: it would fail to compile
    expect((saved!.modelTopology as any).config.layers[0].config.activation).toBe('leaky_relu');
    const back = await loadModel(saved, { runtime: cpu });
    expect(back.compileConfig).toEqual(m.compileConfig);
    const x = rows(5, 3, 5);
    expect(Array.from(await ourPredict(back, x))).toEqual(Array.from(await ourPredict(m, x)));
    await expect(tfl.loadLayersModel(tf.io.fromMemory(saved as unknown as tf.io.ModelArtifacts))).rejects.toThrow(/leaky_relu|leakyRelu/i);
    m.dispose();
    back.dispose();
  });

  it("the tfjs converter's Keras 3 model (InputLayer batch_shape, 'sequential/dense/kernel' weight names) loads", async () => {
    const [{ model, inputs }] = tfjsModels();
    const a = await capture(model);
    const names = model.layers.map((l, i) => (i === 0 ? 'dense' : `dense_${i}`));
    const converted: ModelArtifacts = {
      modelTopology: {
        keras_version: '3.13.2',
        backend: 'tensorflow',
        model_config: {
          class_name: 'Sequential',
          config: {
            name: 'sequential',
            trainable: true,
            layers: [
              { class_name: 'InputLayer', config: { batch_shape: [null, inputs], dtype: 'float32', sparse: false, ragged: false, name: 'input_layer', optional: false } },
              ...model.layers.map((l, i) => ({ class_name: 'Dense', config: { name: names[i], trainable: true, units: (l as any).units, activation: ['relu', 'tanh', 'sigmoid', 'softmax'][i], use_bias: true } })),
            ],
            build_input_shape: [null, inputs],
          },
        },
        // Keras 2's h5 training_config, as the converter copies it into the topology.
        training_config: {
          loss: { class_name: 'CategoricalCrossentropy', config: { reduction: 'sum_over_batch_size', name: 'categorical_crossentropy', from_logits: false, label_smoothing: 0 } },
          metrics: [[{ class_name: 'MeanMetricWrapper', config: { name: 'accuracy', dtype: 'float32', fn: 'categorical_accuracy' } }]],
          weighted_metrics: null,
          loss_weights: null,
          optimizer_config: { class_name: 'Adam', config: { name: 'Adam', learning_rate: 0.0010000000474974513, decay: 0, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-7, amsgrad: false } },
        },
      },
      format: 'layers-model',
      generatedBy: 'keras v3.13.2',
      convertedBy: 'TensorFlow.js Converter v4.22.0',
      weightSpecs: a.weightSpecs!.map((s) => ({ ...s, name: s.name.replace(/^dense_Dense\d+/, (n) => `sequential/${names[model.layers.findIndex((l) => l.name === n)]}`) })),
      weightData: joined(a.weightData),
    };
    expect(converted.weightSpecs![0].name).toBe('sequential/dense/kernel');
    await expectSamePredictions((rt) => loadModel(converted, { runtime: rt }), model, inputs);
    const m = await loadModel(converted, { runtime: cpu });
    expect(m.compileConfig).toEqual({ optimizer: { className: 'Adam', config: expect.objectContaining({ learningRate: 0.0010000000474974513, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false }) }, loss: 'categorical_crossentropy', metrics: ['categorical_accuracy'] });
    m.dispose();
    expect((await loadModel(converted, { runtime: cpu, compile: false })).compileConfig).toBeNull();
  });

  it('the earlier single-file JSON keeps loading (text and object)', async () => {
    const m = await ourModel(cpu);
    const legacy = await m.toJSON();
    expect(legacy.format).toBe('webgpu-nn/sequential');
    const x = rows(6, 5, 6);
    for (const src of [legacy, JSON.stringify(legacy)]) {
      const back = await loadModel(src, { runtime: cpu });
      expect(Array.from(await ourPredict(back, x))).toEqual(Array.from(await ourPredict(m, x)));
      back.dispose();
    }
    const viaJSON = modelFromJSON(JSON.stringify(legacy), cpu);
    expect(viaJSON.compileConfig).toEqual(m.compileConfig);
    viaJSON.dispose();
    m.dispose();
  });

  it('optimizer state: the hook\'s weights are saved as group "optimizer" and handed back on load', async () => {
    const proto = Sequential.prototype as unknown as Record<string, unknown>;
    const before = { get: proto.optimizerWeights, set: proto.setOptimizerWeights };
    let restored: unknown = null;
    proto.optimizerWeights = function () {
      return [
        { name: 'iter', shape: [], dtype: 'int32', values: [7] },
        { name: 'dense_a/kernel/m', shape: [2, 3], values: new Float32Array([1, 2, 3, 4, 5, 6]) },
        { name: 'dense_a/bias/m', shape: [3], values: [0.5, -0.5, 0.25] },
      ];
    };
    proto.setOptimizerWeights = function (w: unknown) {
      restored = w;
    };
    try {
      const m = new Sequential([Input({ shape: [2] }), Dense({ units: 3, name: 'dense_a' })], { runtime: cpu });
      m.compile({ loss: 'mse' });
      let saved: ModelArtifacts | undefined;
      await m.save({ save: async (a) => ((saved = a), {}) });
      expect(saved!.weightSpecs!.map((s) => [s.name, s.dtype, s.group])).toEqual([
        ['dense_a/kernel', 'float32', undefined], ['dense_a/bias', 'float32', undefined],
        ['iter', 'int32', 'optimizer'], ['dense_a/kernel/m', 'float32', 'optimizer'], ['dense_a/bias/m', 'float32', 'optimizer'],
      ]);
      const back = await loadModel(saved, { runtime: cpu });
      expect(restored).toEqual([
        { name: 'iter', shape: [], dtype: 'int32', values: new Int32Array([7]) },
        { name: 'dense_a/kernel/m', shape: [2, 3], dtype: 'float32', values: new Float32Array([1, 2, 3, 4, 5, 6]) },
        { name: 'dense_a/bias/m', shape: [3], dtype: 'float32', values: new Float32Array([0.5, -0.5, 0.25]) },
      ]);
      let plain: ModelArtifacts | undefined;
      await m.save({ save: async (a) => ((plain = a), {}) }, { includeOptimizer: false });
      expect(plain!.weightSpecs!.length).toBe(2);
      const theirs = await tfl.loadLayersModel(tf.io.fromMemory(plain as unknown as tf.io.ModelArtifacts));
      expect(theirs.layers[0].getWeights().length).toBe(2);
      m.dispose();
      back.dispose();
    } finally {
      if (before.get === undefined) delete proto.optimizerWeights;
      else proto.optimizerWeights = before.get;
      if (before.set === undefined) delete proto.setOptimizerWeights;
      else proto.setOptimizerWeights = before.set;
    }
  });

  it('weights: float32 / int32 round trip, and the converter\'s uint8 / uint16 / float16 quantization decoded', () => {
    const w = [
      { name: 'a', shape: [2], dtype: 'float32' as const, values: new Float32Array([1.5, -2.25]) },
      { name: 'it', shape: [], dtype: 'int32' as const, values: new Int32Array([-7]), group: 'optimizer' },
    ];
    const { specs, data } = encodeWeights(w);
    expect(specs).toEqual([{ name: 'a', shape: [2], dtype: 'float32' }, { name: 'it', shape: [], dtype: 'int32', group: 'optimizer' }]);
    expect(decodeWeights(data, specs)).toEqual(w);
    const bytes = new Uint8Array([3, 250, 0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0xff, 0xff]);
    const q = decodeWeights(bytes.buffer, [
      { name: 'u8', shape: [2], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
      { name: 'f16', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
      { name: 'u16', shape: [2], dtype: 'float32', quantization: { dtype: 'uint16', scale: 2, min: 1 } },
    ]);
    expect(q.map((x) => Array.from(x.values))).toEqual([[0.5, 124], [1, -2], [3, 131071]]);
  });

  it('clear errors for what cannot load', async () => {
    const conv = { class_name: 'Sequential', config: { layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [null, 4] } }, { class_name: 'Dropout', config: { rate: 0.5 } }] } };
    expect(() => modelFromJSON(conv, cpu)).toThrow(/modelFromJSON: corrupt or unsupported model: layer 1: layer class "Dropout" is not supported \(supported: InputLayer, Dense\)/);
    const images = { class_name: 'Sequential', config: { layers: [{ class_name: 'InputLayer', config: { batch_shape: [null, 28, 28] } }, { class_name: 'Dense', config: { units: 2 } }] } };
    expect(() => modelFromJSON(images, cpu)).toThrow(/input shape \[null,28,28\] is not supported/);
    const k3hard = { module: 'keras', class_name: 'Sequential', config: { layers: [{ class_name: 'InputLayer', config: { batch_shape: [null, 2] } }, { class_name: 'Dense', config: { units: 2, activation: 'hard_sigmoid' } }] } };
    expect(() => modelFromJSON(k3hard, cpu)).toThrow(/Keras 3's hard_sigmoid is relu6\(x \+ 3\) \/ 6/);
    expect(() => modelFromJSON({ class_name: 'Functional', config: {} }, cpu)).toThrow(/only Sequential models/);
    const [{ model }] = tfjsModels();
    const a = await capture(model);
    const json = { modelTopology: a.modelTopology, format: a.format, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }] };
    await expect(loadModel(json, { runtime: cpu })).rejects.toThrow(/keeps its weights in separate files/);
    const short = { ...a, weightData: joined(a.weightData).slice(0, 40) };
    await expect(loadModel(short, { runtime: cpu })).rejects.toThrow(/weight data is too short/);
    await expect(loadModel({ ...a, weightSpecs: a.weightSpecs!.slice(1) }, { runtime: cpu })).rejects.toThrow(NNError);
    await expect(loadModel({ hello: 1 }, { runtime: cpu })).rejects.toThrow(/not a model/);
  });
});

describe('Keras model config (modelFromJSON)', () => {
  let cpu: Runtime;
  beforeAll(async () => {
    cpu = await createRuntime({ backend: 'cpu' });
  });
  afterAll(() => cpu.dispose());

  const policy = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
  const init = (class_name: string, config: Record<string, unknown> = {}) => ({ module: 'keras.initializers', class_name, config, registered_name: null });
  const dense = (name: string, units: number, activation: string, inputs: number, extra: Record<string, unknown> = {}) => ({
    module: 'keras.layers',
    class_name: 'Dense',
    config: {
      name, trainable: true, dtype: policy, units, activation, use_bias: true,
      kernel_initializer: init('GlorotUniform', { seed: null }), bias_initializer: init('Zeros'),
      kernel_regularizer: null, bias_regularizer: null, kernel_constraint: null, bias_constraint: null, ...extra,
    },
    registered_name: null,
    build_config: { input_shape: [null, inputs] },
  });
  /** A Keras 3 `model.to_json()` of Sequential([Input((4,)), Dense(16, relu), Dense(8, silu), Dense(8, leaky_relu), Dense(3, softmax)]), compiled. */
  const keras3 = {
    module: 'keras',
    class_name: 'Sequential',
    config: {
      name: 'iris',
      trainable: true,
      dtype: policy,
      layers: [
        { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 4], dtype: 'float32', sparse: false, ragged: false, name: 'input_layer' }, registered_name: null },
        dense('dense', 16, 'relu', 4, { kernel_initializer: init('HeNormal', { seed: 3 }) }),
        dense('dense_1', 8, 'silu', 16),
        dense('dense_2', 8, 'leaky_relu', 8, { use_bias: false, kernel_initializer: init('VarianceScaling', { scale: 1, mode: 'fan_in', distribution: 'uniform', seed: null }) }),
        dense('dense_3', 3, 'softmax', 8, { bias_initializer: init('Constant', { value: 0.1 }) }),
      ],
      build_input_shape: [null, 4],
    },
    registered_name: null,
    build_config: { input_shape: [null, 4] },
    compile_config: { optimizer: 'adam', loss: 'categorical_crossentropy', loss_weights: null, metrics: ['accuracy'], weighted_metrics: null, run_eagerly: false, steps_per_execution: 1, jit_compile: false },
  };

  it('Keras 3 to_json (text or object) -> an uncompiled Sequential with the same layers and fresh weights', async () => {
    for (const src of [keras3, JSON.stringify(keras3)]) {
      const m = modelFromJSON(src, { runtime: cpu });
      expect(m.name).toBe('iris');
      expect(m.inputUnits).toBe(4);
      expect(m.layers.map((l) => [l.name, l.units, l.activation, l.useBias])).toEqual([
        ['dense', 16, 'relu', true], ['dense_1', 8, 'silu', true], ['dense_2', 8, 'leakyRelu', false], ['dense_3', 3, 'softmax', true],
      ]);
      expect(m.layers.map((l) => [l.kernelInitializer.name, l.biasInitializer.name])).toEqual([
        ['heNormal', 'zeros'], ['glorotUniform', 'zeros'], ['lecunUniform', 'zeros'], ['glorotUniform', 'constant'],
      ]);
      expect(m.layers[0].kernelInitializer.config.seed).toBe(3);
      expect(m.compileConfig).toBeNull();
      const w = (await m.getWeights()) as number[][][];
      expect(w.length).toBe(7);
      expect(w[6]).toEqual([0.1, 0.1, 0.1].map(Math.fround));
      const p = await ourPredict(m, rows(5, 4));
      expect(p.length).toBe(15);
      for (let r = 0; r < 5; r++) expect(p[3 * r] + p[3 * r + 1] + p[3 * r + 2]).toBeCloseTo(1, 6);
      m.dispose();
    }
  });

  it('Keras 2 / tfjs topologies: model_config, first-layer batch_input_shape, tfjs VarianceScaling', () => {
    const k2 = {
      keras_version: '2.15.0',
      backend: 'tensorflow',
      model_config: {
        class_name: 'Sequential',
        config: { name: 'seq', layers: [{ class_name: 'Dense', config: { name: 'd1', units: 3, activation: 'hard_sigmoid', batch_input_shape: [null, 2], kernel_initializer: { class_name: 'VarianceScaling', config: { scale: 2, mode: 'fan_in', distribution: 'truncated_normal', seed: null } } } }] },
      },
    };
    const m = modelFromJSON(k2, cpu);
    expect([m.inputUnits, m.layers[0].activation, m.layers[0].kernelInitializer.name]).toEqual([2, 'hardSigmoid', 'heNormal']);
    m.dispose();
  });
});

describe.runIf(!IS_NODE)('browser storage, read by tfjs and written by tfjs', () => {
  let rt: Runtime;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    rt = await createRuntime();
  });
  afterAll(() => rt.dispose());

  for (const scheme of ['localstorage', 'indexeddb']) {
    it(`${scheme}:// both ways`, async () => {
      const ours = new Sequential([Input({ shape: [3] }), Dense({ units: 5, activation: 'tanh', biasInitializer: 'ones' }), Dense({ units: 2, activation: 'sigmoid' })], { runtime: rt });
      ours.compile({ loss: 'binaryCrossentropy', metrics: ['binaryAccuracy'] });
      await ours.save(`${scheme}://webgpu-nn-test`);
      const theirs = await tfl.loadLayersModel(`${scheme}://webgpu-nn-test`);
      const x = rows(9, 3, 8);
      expect(maxRelErr(await tfjsPredict(theirs, x), await ourPredict(ours, x), 2)).toBeLessThanOrEqual(1e-6);
      const back = await loadModel(`${scheme}://webgpu-nn-test`, { runtime: rt });
      expect(back.compileConfig).toEqual(ours.compileConfig);

      const [{ model, inputs }] = tfjsModels();
      await model.save(`${scheme}://tfjs-test`, { includeOptimizer: true });
      const loaded = await loadModel(`${scheme}://tfjs-test`, { runtime: rt });
      const x2 = rows(11, inputs, 2);
      expect(maxRelErr(await ourPredict(loaded, x2), await tfjsPredict(model, x2), 3)).toBeLessThanOrEqual(1e-6);
      expect(loaded.compileConfig?.loss).toBe('categorical_crossentropy');
      for (const m of [ours, back, loaded]) m.dispose();
    });
  }
});
