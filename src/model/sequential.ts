/**
 * Sequential models of Dense layers, with the Keras / TensorFlow.js workflow:
 * compile -> fit -> evaluate -> predict, summary, get/setWeights, save/load.
 * Training runs on the GPU (weights and optimiser state stay there); networks whose weights
 * fit in workgroup memory train many epochs per dispatch (src/model/train-small.ts).
 */
import { NNError, checkKeys, describeValue, formatShape, invalid } from '../errors';
import { findActivation } from '../activations/table';
import type { Runtime } from '../runtime';
import { flatten, nest, type NestedArray, type TensorLike } from '../shape';
import { Tensor } from '../tensor';
import { History, type Logs } from './history';
import { DenseLayer, InputLayer, LAYER_ACTIVATIONS, fusedActivationCode, type Layer } from './layers';
import type { LossNameOrAlias, MetricName, NameOf, OptimizerName } from '../names';
import { VALUE, findLoss, metricValueId, type LossEntry, type ValueId } from '../losses/table';
import { getOptimizer, type Optimizer, type OptimizerLike } from './optimizers';
import { toCallbackList, type Callback, type CallbackHooks } from './callbacks';
import { copyOf, gather, pack, scatter, unpack } from './copies';
import type { OptimizerWeight } from './serialize';
import { FusedEngine } from './engine-fused';
import { GeneralEngine } from './engine-general';
import { runLoop, type Engine } from './fit-loop';
import { nextSeed } from './random';
import { GeneralNet, Rows, evaluateGeneral, predictGeneral } from './train-general';
import { evaluateFused, fusedBlocker, paramCount, pipelinesReady, predictFused, prepareTrain, trainChunk, type NetSpec } from './train-small';

export interface SequentialArgs {
  layers?: Layer[];
  runtime?: Runtime;
  name?: string;
}

/** `L`, `M`, `O`: the names as written, checked against the known ones (a plain string is checked at run time). */
export interface CompileArgs<L extends string = LossNameOrAlias, M extends string = MetricName, O extends string = OptimizerName> {
  optimizer?: Exclude<OptimizerLike, string> | NameOf<O, OptimizerName>;
  loss: NameOf<L, LossNameOrAlias>;
  metrics?: readonly NameOf<M, MetricName>[];
}

export interface FitArgs {
  epochs?: number;
  batchSize?: number;
  shuffle?: boolean;
  /** Seed of the shuffles (default: from setSeed, else random). */
  seed?: number;
  validationData?: [Tensor | TensorLike, Tensor | TensorLike];
  /**
   * Fraction in (0, 1) of the rows, taken from the end before any shuffling, held out as
   * validation data (as Keras); `validationData` takes precedence.
   */
  validationSplit?: number;
  /** Stop after the first epoch whose loss is below this (the weights are those of that epoch). */
  stopWhenLossBelow?: number;
  /**
   * An object or an array of objects with onTrainBegin/End, onEpochBegin/End, onBatchBegin/End
   * (Keras logs), or the built-ins earlyStopping(), reduceLROnPlateau(), learningRateScheduler().
   * onEpochBegin, batch hooks and learning-rate callbacks run the epochs one at a time; batch
   * hooks run on the per-op engine.
   */
  callbacks?: CallbackHooks | Callback | readonly (CallbackHooks | Callback)[];
  /** 0: silent (default), 1: Keras' progress line per epoch, 2: one line per epoch. */
  verbose?: 0 | 1 | 2;
  /** Epoch index to start from (the epochs run are initialEpoch .. epochs - 1, as Keras). */
  initialEpoch?: number;
  /**
   * Keras class_weight: {class index: weight}. Each training row's loss and gradient are scaled by
   * the weight of its class (argmax of a one-hot row, or the rounded target of one output);
   * metrics and validation stay unweighted, as in Keras.
   */
  classWeight?: Record<number, number>;
  /** Epochs per GPU dispatch on the fused path, per read-back of the logs on the general path (default: sized to about 50 ms of work, adapting as it runs). */
  epochsPerDispatch?: number;
  /**
   * 'auto' (default): the fused one-dispatch kernel when the network fits it (up to 1536
   * parameters, 256 units, 8 layers, activations identity/relu/sigmoid/tanh/softmax/custom),
   * else the general per-op path; 'fused' or 'general' to force one.
   */
  engine?: 'auto' | 'fused' | 'general';
  /** Keep the outputs of each row's forward pass in the last epoch run (before its update): `history.lastOutputs`. */
  keepLastOutputs?: boolean;
  /** Host arrays (x and y) larger than this are uploaded a batch at a time (general path; default 64 MiB). */
  streamThresholdBytes?: number;
}

const FIT_KEYS = ['epochs', 'batchSize', 'shuffle', 'seed', 'validationData', 'validationSplit', 'stopWhenLossBelow', 'callbacks', 'verbose', 'initialEpoch', 'classWeight', 'epochsPerDispatch', 'engine', 'keepLastOutputs', 'streamThresholdBytes'];

interface Compiled {
  optimizer: Optimizer;
  loss: LossEntry;
  /** The name as given (saved with the model). */
  lossName: string;
  metricNames: string[];
  metricCodes: ValueId[];
}

export type WeightsLike = readonly (Tensor | TensorLike)[];

export class Sequential {
  readonly layers: DenseLayer[] = [];
  readonly name: string;
  runtime: Runtime | null;
  /** Set from a callback to stop `fit` after the current epoch (weights are those of that epoch). */
  stopTraining = false;
  private inputShape: number[] | null = null;
  /** [kernel, bias] per layer (bias zeros and never trained when useBias is false). */
  private params: Tensor[] | null = null;
  /** Optimizer state [slots * P] (slot-major, Keras order with bias slots) and iterations run. */
  private optState: Tensor | null = null;
  /** Optimizer updates applied so far (Keras `optimizer.iterations`). */
  iterations = 0;
  private compiled: Compiled | null = null;

  constructor(layers: Layer[] | SequentialArgs = [], opts: SequentialArgs = {}) {
    const args: SequentialArgs = Array.isArray(layers) ? { ...opts, layers } : { ...layers, ...opts };
    this.runtime = args.runtime ?? null;
    this.name = args.name ?? 'sequential';
    for (const l of args.layers ?? []) this.add(l);
  }

  /** Adds a layer (an Input only first). */
  add(layer: Layer): void {
    if (layer instanceof InputLayer) {
      if (this.layers.length > 0 || this.inputShape) throw new NNError('Sequential.add: Input must be the first layer');
      this.inputShape = [...layer.shape];
      return;
    }
    if (!(layer instanceof DenseLayer)) throw new NNError(`Sequential.add: expected a layer made by Dense() or Input(), got ${describeValue(layer)}`);
    if (this.layers.length === 0 && !this.inputShape) {
      if (!layer.inputShape) throw new NNError(`Sequential.add: the first layer needs an input shape: Input({shape: [n]}) first, or Dense({..., inputShape: [n]})`);
      this.inputShape = [...layer.inputShape];
    } else if (layer.inputShape && this.layers.length > 0) {
      throw new NNError(`Sequential.add: only the first layer may have an inputShape`);
    }
    if (this.layers.some((l) => l.name === layer.name)) layer.name = `${layer.name}_${this.layers.length}`;
    layer.inputUnits = this.layers.length === 0 ? this.inputShape![0] : this.layers[this.layers.length - 1].units;
    this.layers.push(layer);
    this.disposeWeights();
  }

  get inputUnits(): number {
    return this.inputShape ? this.inputShape[0] : 0;
  }
  get outputUnits(): number {
    return this.layers.length ? this.layers[this.layers.length - 1].units : 0;
  }

  private rt(op: string): Runtime {
    if (!this.runtime) throw new NNError(`${op}: the model has no runtime; create it with new Sequential(layers, {runtime})`);
    if (this.runtime.disposed) throw new NNError(`${op}: the model's runtime was disposed`);
    return this.runtime;
  }

  private checkActivations(op: string): void {
    const rt = this.rt(op);
    this.layers.forEach((l, i) => {
      if (l.activation === 'softmax' && i !== this.layers.length - 1) throw new NNError(`${op}: softmax is only supported on the last layer (layer ${i} '${l.name}')`);
      if (l.activation === 'linear' || l.activation === 'softmax' || findActivation(l.activation) || rt.activations.custom.has(l.activation)) return;
      const known = [...LAYER_ACTIVATIONS, ...rt.activations.custom.keys()].join(', ');
      throw new NNError(`${op}: layer ${i} '${l.name}' has unknown activation '${l.activation}' (known: ${known}; or define it with runtime.defineActivation first)`);
    });
  }

  /** Creates the weights (initialisers) if not there yet. */
  build(): void {
    const op = 'build';
    const rt = this.rt(op);
    if (this.params) return;
    if (this.layers.length === 0) throw new NNError(`${op}: the model has no layers`);
    this.checkActivations(op);
    const params: Tensor[] = [];
    for (const l of this.layers) {
      params.push(rt.fromData(l.kernelInitializer.generate([l.inputUnits, l.units]), [l.inputUnits, l.units], `${l.name}/kernel`));
      const b = l.useBias ? l.biasInitializer.generate([l.units]) : new Float32Array(l.units);
      params.push(rt.fromData(b, [l.units], `${l.name}/bias`));
    }
    this.params = params;
  }

  private disposeWeights(): void {
    this.params?.forEach((t) => t.dispose());
    this.params = null;
    this.optState?.dispose();
    this.optState = null;
    this.iterations = 0;
  }

  /** Frees the model's GPU memory. */
  dispose(): void {
    this.disposeWeights();
  }

  // ------------------------------------------------------------------ compile

  compile<L extends string, M extends string = never, O extends string = never>(args: CompileArgs<L, M, O>): void {
    const op = 'compile';
    if (!args || typeof args !== 'object' || Array.isArray(args)) invalid(op, 'the arguments', "an object like {optimizer: 'sgd', loss: 'mse', metrics: ['mae']}", args);
    checkKeys(op, args, ['optimizer', 'loss', 'metrics']);
    if (this.layers.length === 0) throw new NNError(`${op}: the model has no layers`);
    const optimizer = getOptimizer(op, args.optimizer);
    const loss = findLoss(op, args.loss);
    const metrics = args.metrics ?? [];
    if (!Array.isArray(metrics)) invalid(op, 'metrics', "an array of names like ['mae']", metrics);
    const metricCodes = metrics.map((m) => metricValueId(op, m, loss, this.outputUnits));
    if (metricCodes.length > 8) throw new NNError(`${op}: at most 8 metrics are supported`);
    this.checkActivations(op);
    this.compiled = { optimizer, loss, lossName: String(args.loss), metricNames: [...metrics], metricCodes };
    this.optState?.dispose();
    this.optState = null;
    this.iterations = 0;
    const scheduler = this.runtime?.scheduler;
    if (scheduler && !this.runtime!.disposed) {
      const spec = this.netSpec();
      if (!fusedBlocker(spec)) prepareTrain(scheduler, spec, optimizer.step().kind);
    }
  }

  get optimizer(): Optimizer | null {
    return this.compiled?.optimizer ?? null;
  }

  private netSpec(): NetSpec {
    const rt = this.rt('model');
    const custom = this.layers.map((l) => rt.activations.custom.get(l.activation)).find((c) => c);
    const customName = custom ? custom.spec.name : null;
    return {
      dims: [this.inputUnits, ...this.layers.map((l) => l.units)],
      acts: this.layers.map((l) => fusedActivationCode(l.activation, customName)),
      bias: this.layers.map((l) => l.useBias),
      loss: this.compiled?.loss.id ?? VALUE.MSE,
      metrics: this.compiled?.metricCodes ?? [],
      custom: custom
        ? { name: custom.spec.name, lib: custom.lib, forward: (x) => custom.spec.forward(x, [0, 0, 0, 0]), backward: (x, _y, dy) => custom.spec.backward(x, dy, [0, 0, 0, 0]) }
        : null,
    };
  }

  // ------------------------------------------------------------------ data

  /** Validates x (or y) and uploads it: [rows, cols]. Also rejects NaN and infinity. */
  private async toData(op: string, v: Tensor | TensorLike, cols: number, what: string, why = what === 'x' ? 'the Input shape' : 'the output units of the last layer'): Promise<{ data: Float32Array; rows: number }> {
    let data: Float32Array;
    let shape: readonly number[];
    if (v instanceof Tensor) {
      const rt: Runtime = this.rt(op);
      rt.checkTensor(op, v, what);
      data = await v.read();
      shape = v.shape;
    } else {
      if (v === undefined || v === null) throw new NNError(`${op}: ${what} is missing`);
      const f = flatten(op, v as TensorLike);
      data = f.data;
      shape = f.shape;
    }
    let rows: number;
    if (shape.length === 2) {
      if (shape[1] !== cols) {
        throw new NNError(`${op}: expected ${what} of shape [N, ${cols}] (${why}), got ${formatShape(shape)}`);
      }
      rows = shape[0];
    } else if (shape.length === 1 && cols === 1) {
      rows = shape[0];
    } else {
      throw new NNError(`${op}: expected ${what} of shape [N, ${cols}], got ${formatShape(shape)}`);
    }
    if (rows === 0) throw new NNError(`${op}: ${what} has no rows`);
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        throw new NNError(`${op}: ${what} contains ${data[i]} at row ${Math.floor(i / cols)}, column ${i % cols}`);
      }
    }
    return { data, rows };
  }

  /**
   * Validates and uploads targets. With a sparse loss they are class indices ([N] or [N, 1],
   * integers in [0, units)) and become one-hot rows, so the trainers see categorical targets.
   */
  private async toTargets(op: string, v: Tensor | TensorLike, what: string): Promise<{ data: Float32Array; rows: number }> {
    const K = this.outputUnits;
    if (this.compiled?.loss.targets === 'binary') {
      const d = await this.toData(op, v, K, what);
      const i = d.data.findIndex((t) => !(t >= 0 && t <= 1));
      if (i >= 0) throw new NNError(`${op}: binaryCrossentropy needs ${what} in [0, 1]; row ${Math.floor(i / K)}, column ${i % K} holds ${d.data[i]}`);
      return d;
    }
    if (this.compiled?.loss.targets !== 'classIndices') return this.toData(op, v, K, what);
    const labels = await this.toData(op, v, 1, what, 'class indices for sparseCategoricalCrossentropy');
    const data = new Float32Array(labels.rows * K);
    for (let r = 0; r < labels.rows; r++) {
      const c = labels.data[r];
      if (!Number.isInteger(c) || c < 0 || c >= K) {
        throw new NNError(`${op}: sparseCategoricalCrossentropy needs ${what} to hold class indices, integers in [0, ${K - 1}]; row ${r} holds ${c}`);
      }
      data[r * K + c] = 1;
    }
    return { data, rows: labels.rows };
  }

  // ------------------------------------------------------------------ weights

  /** The weights packed [P] in Keras order (the fused kernel's layout; bias slots included). */
  private packedWeights(rt: Runtime): Tensor {
    return pack(rt, this.params!);
  }

  /** The weights as nested arrays, Keras order [kernel, bias, kernel, bias, ...]. */
  async getWeights(): Promise<NestedArray[]> {
    this.build();
    const out: NestedArray[] = [];
    for (let i = 0; i < this.layers.length; i++) {
      out.push(nest(await this.params![2 * i].read(), this.params![2 * i].shape) as NestedArray);
      if (this.layers[i].useBias) out.push(nest(await this.params![2 * i + 1].read(), this.params![2 * i + 1].shape) as NestedArray);
    }
    return out;
  }

  /** Copies of the weights as tensors (Keras order); dispose them when done. */
  getWeightTensors(): Tensor[] {
    this.build();
    const rt = this.rt('getWeightTensors');
    const out: Tensor[] = [];
    this.layers.forEach((l, i) => {
      for (const t of l.useBias ? [this.params![2 * i], this.params![2 * i + 1]] : [this.params![2 * i]]) out.push(copyOf(rt, t, 'model.getWeights'));
    });
    return out;
  }

  /** Sets all weights, Keras order [kernel, bias, ...] (no bias for useBias: false), tensors or nested arrays. */
  setWeights(weights: WeightsLike): void {
    const op = 'setWeights';
    this.build();
    const rt: Runtime = this.rt(op);
    const want: { shape: number[]; index: number }[] = [];
    this.layers.forEach((l, i) => {
      want.push({ shape: [l.inputUnits, l.units], index: 2 * i });
      if (l.useBias) want.push({ shape: [l.units], index: 2 * i + 1 });
    });
    if (!Array.isArray(weights) || weights.length !== want.length) {
      throw new NNError(`${op}: expected ${want.length} arrays (${want.map((w) => formatShape(w.shape)).join(', ')}), got ${Array.isArray(weights) ? weights.length : describeValue(weights)}`);
    }
    // Validate everything before changing anything.
    const staged = weights.map((w, k) => {
      if (w instanceof Tensor) {
        rt.checkTensor(op, w, `weight ${k}`);
        if (w.rank !== want[k].shape.length || w.shape.some((d, i) => d !== want[k].shape[i])) {
          throw new NNError(`${op}: weight ${k} must have shape ${formatShape(want[k].shape)}, got ${formatShape(w.shape)}`);
        }
        return w;
      }
      const f = flatten(op, w as TensorLike);
      if (f.shape.length !== want[k].shape.length || f.shape.some((d, i) => d !== want[k].shape[i])) {
        throw new NNError(`${op}: weight ${k} must have shape ${formatShape(want[k].shape)}, got ${formatShape(f.shape)}`);
      }
      if (f.data.some((v) => !Number.isFinite(v))) throw new NNError(`${op}: weight ${k} contains NaN or infinity`);
      return f.data;
    });
    staged.forEach((w, k) => {
      const dst = this.params![want[k].index];
      const fresh = w instanceof Tensor
        ? copyOf(rt, w, 'model.setWeights')
        : rt.fromData(w, dst.shape, 'model.setWeights');
      dst.dispose();
      this.params![want[k].index] = fresh;
    });
  }

  // ------------------------------------------------------------------ predict / evaluate

  /** Output rows for x ([N, inputs] or nested arrays): a Tensor [N, units]. */
  async predict(x: Tensor | TensorLike): Promise<Tensor> {
    const op = 'predict';
    this.build();
    const rt = this.rt(op);
    const { data, rows } = await this.toData(op, x, this.inputUnits, 'x');
    const spec = this.netSpec();
    if (fusedBlocker(spec)) {
      const resident = x instanceof Tensor && x.rank === 2;
      const xr = new Rows(rt, resident ? x : rt.fromData(data, [rows, this.inputUnits], 'x'), null, rows, this.inputUnits);
      const out = predictGeneral(this.generalNet(spec), this.params!, xr);
      if (!resident) xr.tensor!.dispose();
      return out;
    }
    return rt.tidy(() => {
      const xt = rt.fromData(data, [rows, this.inputUnits], 'x');
      const w = this.packedWeights(rt);
      return predictFused(rt, spec, xt, w, rows);
    });
  }

  /** Loss (and metrics, Keras order) over x, y: a number, or [loss, ...metrics]. */
  async evaluate(x: Tensor | TensorLike, y: Tensor | TensorLike): Promise<number | number[]> {
    const op = 'evaluate';
    if (!this.compiled) throw new NNError(`${op}: call compile() before evaluate()`);
    this.build();
    const rt = this.rt(op);
    const xd = await this.toData(op, x, this.inputUnits, 'x');
    const yd = await this.toTargets(op, y, 'y');
    if (xd.rows !== yd.rows) throw new NNError(`${op}: x has ${xd.rows} rows but y has ${yd.rows}`);
    const spec = this.netSpec();
    if (fusedBlocker(spec)) {
      const xr = new Rows(rt, rt.fromData(xd.data, [xd.rows, this.inputUnits], 'x'), null, xd.rows, this.inputUnits);
      const yr = new Rows(rt, rt.fromData(yd.data, [yd.rows, this.outputUnits], 'y'), null, yd.rows, this.outputUnits);
      try {
        const v = await evaluateGeneral(this.generalNet(spec), this.params!, xr, yr);
        return v.length === 1 ? v[0] : v;
      } finally {
        xr.tensor!.dispose();
        yr.tensor!.dispose();
      }
    }
    const out = rt.tidy(() => {
      const w = this.packedWeights(rt);
      return evaluateFused(rt, spec, rt.fromData(xd.data, [xd.rows, this.inputUnits], 'x'), rt.fromData(yd.data, [yd.rows, this.outputUnits], 'y'), w, xd.rows);
    });
    const v = Array.from(await out.read());
    out.dispose();
    return v.length === 1 ? v[0] : v;
  }

  // ------------------------------------------------------------------ fit

  async fit(x: Tensor | TensorLike, y: Tensor | TensorLike, args: FitArgs = {}): Promise<History> {
    const op = 'fit';
    if (!this.compiled) throw new NNError(`${op}: call compile() before fit()`);
    const c = this.compiled;
    const rt = this.rt(op);
    if (args === null || typeof args !== 'object' || Array.isArray(args)) invalid(op, 'the options', 'an object like {epochs: 10}', args);
    checkKeys(op, args, FIT_KEYS);
    const epochs = args.epochs ?? 1;
    const batchSize = args.batchSize ?? 32;
    const initialEpoch = args.initialEpoch ?? 0;
    if (!Number.isInteger(epochs) || epochs < 1) invalid(op, 'epochs', 'a positive integer', epochs);
    if (!Number.isInteger(batchSize) || batchSize < 1) invalid(op, 'batchSize', 'a positive integer', batchSize);
    if (!Number.isInteger(initialEpoch) || initialEpoch < 0 || initialEpoch >= epochs) invalid(op, 'initialEpoch', `an integer in [0, epochs) = [0, ${epochs})`, initialEpoch);
    const verbose = args.verbose ?? 0;
    if (verbose !== 0 && verbose !== 1 && verbose !== 2) invalid(op, 'verbose', '0, 1 or 2', verbose);
    const per = args.epochsPerDispatch;
    if (per !== undefined && (!Number.isInteger(per) || per < 1)) invalid(op, 'epochsPerDispatch', 'a positive integer', per);
    const stopBelow = args.stopWhenLossBelow ?? null;
    if (stopBelow !== null && (typeof stopBelow !== 'number' || Number.isNaN(stopBelow))) invalid(op, 'stopWhenLossBelow', 'a number', stopBelow);
    const split = args.validationSplit;
    if (split !== undefined && !(typeof split === 'number' && split > 0 && split < 1)) {
      invalid(op, 'validationSplit', 'a number in (0, 1)', split);
    }
    const callbacks = toCallbackList(op, args.callbacks);
    let xd = await this.toData(op, x, this.inputUnits, 'x');
    let yd = await this.toTargets(op, y, 'y');
    if (xd.rows !== yd.rows) throw new NNError(`${op}: x has ${xd.rows} rows but y has ${yd.rows}`);
    let val: { x: Float32Array; y: Float32Array; rows: number } | null = null;
    if (split !== undefined && !args.validationData) {
      const at = Math.floor(xd.rows * (1 - split));
      if (at < 1 || at >= xd.rows) throw new NNError(`${op}: validationSplit ${split} of ${xd.rows} rows leaves no ${at < 1 ? 'training' : 'validation'} rows`);
      const C = this.inputUnits;
      const K = this.outputUnits;
      val = { x: xd.data.slice(at * C), y: yd.data.slice(at * K), rows: xd.rows - at };
      xd = { data: xd.data.slice(0, at * C), rows: at };
      yd = { data: yd.data.slice(0, at * K), rows: at };
    }
    if (args.validationData) {
      const vx = await this.toData(op, args.validationData[0], this.inputUnits, 'validation x');
      const vy = await this.toTargets(op, args.validationData[1], 'validation y');
      if (vx.rows !== vy.rows) throw new NNError(`${op}: validation x has ${vx.rows} rows but validation y has ${vy.rows}`);
      val = { x: vx.data, y: vy.data, rows: vx.rows };
    }
    const sampleWeights = args.classWeight === undefined ? null : this.classWeights(op, args.classWeight, yd);
    this.build();
    const spec = this.netSpec();
    const engineName = args.engine ?? 'auto';
    if (engineName !== 'auto' && engineName !== 'fused' && engineName !== 'general') invalid(op, 'engine', "'auto', 'fused' or 'general'", engineName);
    const batchHooks = callbacks.some((cb) => typeof cb.onBatchBegin === 'function' || typeof cb.onBatchEnd === 'function');
    const why = fusedBlocker(spec) ?? (batchHooks ? 'batch callbacks (onBatchBegin / onBatchEnd need a read-back per batch)' : null);
    if (engineName === 'fused' && why) throw new NNError(`${op}: engine 'fused' cannot train this network: it has ${why}`);
    const fused = engineName === 'fused' || (engineName === 'auto' && !why);

    const n = xd.rows;
    const batch = Math.min(batchSize, n);
    const common = {
      optimizer: c.optimizer,
      batch,
      seed: (args.seed ?? nextSeed()) >>> 0,
      shuffle: (args.shuffle ?? true) && n > 1,
      keepOutputs: !!args.keepLastOutputs,
      iterations: this.iterations,
      firstEpoch: initialEpoch,
    };
    const state = this.ensureOptState(rt);
    let lastOutputs: Float32Array | null = null;
    let engine: Engine;
    let chunk: number;
    const owned: Tensor[] = [];
    const keep = <T extends Tensor>(t: T): T => (owned.push(t), t);
    if (fused) {
      if (rt.scheduler) await pipelinesReady(rt.scheduler);
      const P = paramCount(spec.dims);
      const work = n * (P + spec.dims.reduce((t, d) => t + d, 0)) * 4 + 1;
      chunk = val ? 1 : per ?? Math.max(1, Math.min(epochs, Math.floor(4e6 / work)));
      engine = new FusedEngine({
        ...common,
        rt,
        spec,
        x: keep(rt.fromData(xd.data, [n, this.inputUnits], 'fit x')),
        y: keep(rt.fromData(yd.data, [n, this.outputUnits], 'fit y')),
        n,
        val: val ? { x: keep(rt.fromData(val.x, [val.rows, this.inputUnits], 'fit validation x')), y: keep(rt.fromData(val.y, [val.rows, this.outputUnits], 'fit validation y')), rows: val.rows } : null,
        sampleWeights: sampleWeights ? keep(rt.fromData(sampleWeights, [n], 'fit class weights')) : null,
        w: this.packedWeights(rt),
        state: copyOf(rt, state),
        stopBelow,
        commit: async (w, st, iterations, outputs) => {
          unpack(rt, w, this.params!);
          w.dispose();
          this.optState?.dispose();
          this.optState = st;
          this.iterations = iterations;
          lastOutputs = outputs;
        },
      });
    } else {
      const steps = Math.ceil(n / batch);
      chunk = Math.max(1, Math.min(epochs, per ?? Math.floor(512 / (steps * (6 * this.layers.length + 4)))));
      const C = this.inputUnits;
      const K = this.outputUnits;
      const stream = (xd.data.length + yd.data.length) * 4 > (args.streamThresholdBytes ?? 64 * 2 ** 20);
      const rowsOf = (v: Tensor | TensorLike, d: { data: Float32Array; rows: number }, cols: number, what: string): Rows => {
        // the caller's tensor itself when it holds exactly these rows (not class indices, which
        // became one-hot rows, nor rows a validationSplit cut)
        if (v instanceof Tensor && v.rank === 2 && v.shape[0] === d.rows && v.shape[1] === cols && !(v === y && c.loss.targets === 'classIndices')) {
          return new Rows(rt, v, null, d.rows, cols);
        }
        if (stream) return new Rows(rt, null, d.data, d.rows, cols);
        return new Rows(rt, keep(rt.fromData(d.data, [d.rows, cols], what)), null, d.rows, cols);
      };
      const ranges = this.stateRanges(c.optimizer.slots.length);
      engine = new GeneralEngine({
        ...common,
        net: this.generalNet(spec),
        params: this.params!.map((t) => copyOf(rt, t)),
        states: gather(rt, state, ranges.map((r, i) => ({ shape: [r.reduce((t, [, m]) => t + m, 0)], ranges: r, i }))),
        x: rowsOf(x, xd, C, 'fit x'),
        y: rowsOf(y, yd, K, 'fit y'),
        sampleWeights: sampleWeights ? new Rows(rt, keep(rt.fromData(sampleWeights, [n, 1], 'fit class weights')), null, n, 1) : null,
        val: val ? { x: new Rows(rt, keep(rt.fromData(val.x, [val.rows, C], 'fit validation x')), null, val.rows, C), y: new Rows(rt, keep(rt.fromData(val.y, [val.rows, K], 'fit validation y')), null, val.rows, K) } : null,
        chunk,
        commit: async (params, states, iterations, outputs) => {
          this.params!.forEach((t) => t.dispose());
          this.params = params;
          scatter(rt, states, this.optState!, ranges);
          states.forEach((t) => t.dispose());
          this.iterations = iterations;
          lastOutputs = outputs;
        },
      });
    }
    this.stopTraining = false;
    let lr = c.optimizer.learningRate;
    try {
      const history = await runLoop(engine, {
        epochs,
        initialEpoch,
        chunk,
        adaptive: per === undefined && !val,
        steps: Math.ceil(n / batch),
        learningRate: lr,
        metricNames: c.metricNames,
        stopBelow,
        callbacks,
        verbose,
        stopRequested: () => this.stopTraining,
        setLearningRate: (v) => (lr = v),
        log: (line) => console.log(line),
      });
      if (lr !== c.optimizer.learningRate) this.compiled = { ...c, optimizer: c.optimizer.withLearningRate(lr) };
      history.lastOutputs = lastOutputs;
      await rt.sync();
      return history;
    } finally {
      owned.forEach((t) => t.dispose());
    }
  }

  /**
   * @internal The optimizer state for `save` (tfjs's convention: 'iter', then every slot of every
   * weight named '<layer>/<kernel|bias>/<slot>', slot by slot); empty before the first fit.
   */
  async optimizerWeights(): Promise<OptimizerWeight[]> {
    if (!this.compiled || !this.optState || !this.params) return [];
    const st = await this.optState.read();
    const P = st.length / this.compiled.optimizer.slots.length;
    const out: OptimizerWeight[] = [{ name: 'iter', dtype: 'int32', shape: [], values: [this.iterations] }];
    const slots = this.compiled.optimizer.slots;
    for (const k of this.compiled.optimizer.activeSlots) {
      for (const w of this.weightSlots()) out.push({ name: `${w.name}/${slots[k].name}`, shape: w.shape, values: st.slice(k * P + w.offset, k * P + w.offset + w.size) });
    }
    return out;
  }

  /** @internal Restores what `optimizerWeights` gave (after compile with the same optimizer). */
  setOptimizerWeights(weights: OptimizerWeight[]): void {
    const op = 'loadModel';
    const rt = this.rt(op);
    if (!this.compiled) throw new NNError(`${op}: optimizer state needs a compiled model`);
    this.build();
    const slots = this.compiled.optimizer.slots;
    const P = paramCount([this.inputUnits, ...this.layers.map((l) => l.units)]);
    const data = new Float32Array(slots.length * P);
    slots.forEach((s, k) => data.fill(s.init, k * P, (k + 1) * P));
    const byName = new Map(weights.map((w) => [w.name, w]));
    const iter = byName.get('iter');
    const mine = this.weightSlots();
    slots.forEach((slot, k) => {
      // A slot saved for no weight (tfjs's SGD keeps none) starts from its initial value.
      if (!mine.some((w) => byName.has(`${w.name}/${slot.name}`))) return;
      for (const w of mine) {
        const v = byName.get(`${w.name}/${slot.name}`);
        if (!v) throw new NNError(`${op}: the saved optimizer state has no '${w.name}/${slot.name}' (${this.compiled!.optimizer.className} keeps ${slots.map((x) => x.name).join(', ')})`);
        if (v.values.length !== w.size) throw new NNError(`${op}: optimizer weight '${v.name}' has ${v.values.length} values, expected ${w.size}`);
        data.set(Array.from(v.values), k * P + w.offset);
      }
    });
    this.optState?.dispose();
    this.optState = rt.fromData(data, [data.length], 'optimizer state');
    this.iterations = iter ? Number(iter.values[0]) : 0;
  }

  /** @internal The model's weights, Keras order and names (`<layer>/kernel`, `<layer>/bias`), and their place in the packed [P] layout. */
  weightSlots(): { name: string; shape: number[]; offset: number; size: number }[] {
    const out: { name: string; shape: number[]; offset: number; size: number }[] = [];
    let off = 0;
    for (const l of this.layers) {
      out.push({ name: `${l.name}/kernel`, shape: [l.inputUnits, l.units], offset: off, size: l.inputUnits * l.units });
      off += l.inputUnits * l.units;
      if (l.useBias) out.push({ name: `${l.name}/bias`, shape: [l.units], offset: off, size: l.units });
      off += l.units;
    }
    return out;
  }

  /** Keras class_weight as per-row weights of the training targets (one-hot rows or one output). */
  private classWeights(op: string, cw: unknown, yd: { data: Float32Array; rows: number }): Float32Array {
    const K = this.outputUnits;
    const classes = K === 1 ? 2 : K;
    if (!cw || typeof cw !== 'object' || Array.isArray(cw)) invalid(op, 'classWeight', 'an object {class index: weight} like {0: 1, 1: 5}', cw);
    const weights = new Float32Array(classes).fill(NaN);
    for (const [k, v] of Object.entries(cw as Record<string, unknown>)) {
      const c = Number(k);
      if (!Number.isInteger(c) || c < 0 || c >= classes) throw new NNError(`${op}: classWeight has key '${k}'; expected class indices 0..${classes - 1}`);
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) invalid(op, `classWeight[${k}]`, 'a finite number >= 0', v);
      weights[c] = v;
    }
    const missing = [...weights.keys()].filter((c) => Number.isNaN(weights[c]));
    if (missing.length) throw new NNError(`${op}: classWeight gives no weight for class${missing.length > 1 ? 'es' : ''} ${missing.join(', ')} (Keras needs one per class 0..${classes - 1})`);
    const sw = new Float32Array(yd.rows);
    for (let r = 0; r < yd.rows; r++) {
      let c = 0;
      if (K === 1) c = Math.round(yd.data[r]) >= 1 ? 1 : 0;
      else for (let k = 1; k < K; k++) if (yd.data[r * K + k] > yd.data[r * K + c]) c = k;
      sw[r] = weights[c];
    }
    return sw;
  }

  /** The optimizer state, created (Keras initial values) on first use. */
  private ensureOptState(rt: Runtime): Tensor {
    if (this.optState) return this.optState;
    const slots = this.compiled!.optimizer.slots;
    const P = paramCount([this.inputUnits, ...this.layers.map((l) => l.units)]);
    const data = new Float32Array(slots.length * P);
    slots.forEach((s, k) => data.fill(s.init, k * P, (k + 1) * P));
    this.optState = rt.fromData(data, [slots.length * P], 'optimizer state');
    return this.optState;
  }

  /** Per parameter tensor (kernel, bias, ...): its ranges in the slot-major state [slots * P]. */
  private stateRanges(slots: number): [number, number][][] {
    const P = paramCount([this.inputUnits, ...this.layers.map((l) => l.units)]);
    const out: [number, number][][] = [];
    let off = 0;
    for (const t of this.params!) {
      const at = off;
      out.push(Array.from({ length: slots }, (_, k) => [k * P + at, t.size] as [number, number]));
      off += t.size;
    }
    return out;
  }

  private generalNet(spec: NetSpec): GeneralNet {
    return new GeneralNet(this.rt('model'), spec, this.layers.map((l) => ({ activation: l.activation, useBias: l.useBias })));
  }

  // ------------------------------------------------------------------ summary

  /** A Keras-style table of layers, output shapes and parameter counts; printed unless `print` is false. */
  summary(print: boolean | ((line: string) => void) = true): string {
    const rows = this.layers.map((l) => [`${l.name} (Dense)`, `(None, ${l.units})`, String(l.paramCount)]);
    const total = this.layers.reduce((s, l) => s + l.paramCount, 0);
    const w = [Math.max(28, ...rows.map((r) => r[0].length + 2)), 25, 12];
    const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join('').trimEnd();
    const bar = '_'.repeat(w[0] + w[1] + w[2]);
    const out = [
      `Model: "${this.name}"`,
      bar,
      line(['Layer (type)', 'Output Shape', 'Param #']),
      '='.repeat(bar.length),
      ...rows.flatMap((r, i) => [line(r), i < rows.length - 1 ? '' : null].filter((s): s is string => s !== null)),
      '='.repeat(bar.length),
      `Total params: ${total}`,
      `Trainable params: ${total}`,
      `Non-trainable params: 0`,
      bar,
    ].join('\n');
    if (print === true) console.log(out);
    else if (typeof print === 'function') out.split('\n').forEach((l) => print(l));
    return out;
  }

  /** @internal Used by serialize.ts. */
  get compileConfig(): { optimizer: ReturnType<Optimizer['toJSON']>; loss: string; metrics: string[] } | null {
    const c = this.compiled;
    return c ? { optimizer: c.optimizer.toJSON(), loss: c.lossName, metrics: c.metricNames } : null;
  }

  /** @internal */
  get lossName(): string {
    return this.compiled ? this.compiled.loss.name : '';
  }
}

/** `sequential({layers, runtime})`, as `tf.sequential`. */
export function sequential(args: SequentialArgs = {}): Sequential {
  return new Sequential(args);
}

declare module './sequential' {
  interface Sequential {
    /** The model as JSON: architecture, compile settings and weights. */
    toJSON(): Promise<import('./serialize').ModelJSON>;
    /** TensorFlow.js Layers format: `file://dir` (Node), `downloads://`, `localstorage://`, `indexeddb://` (browser), or a tfjs IOHandler. */
    save(target: string | import('./serialize').IOHandler, options?: import('./serialize').SaveOptions): Promise<import('./serialize').SaveResult>;
  }
}
