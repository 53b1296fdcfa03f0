/**
 * Sequential models of Dense layers, with the Keras / TensorFlow.js workflow:
 * compile -> fit -> evaluate -> predict, summary, get/setWeights, save/load.
 * Training runs on the GPU (weights and optimiser state stay there); networks whose weights
 * fit in workgroup memory train many epochs per dispatch (src/model/train-small.ts).
 */
import { NNError, describeValue, formatShape, invalid } from '../errors';
import { findActivation } from '../activations/table';
import type { Runtime } from '../runtime';
import { flatten, nest, type NestedArray, type TensorLike } from '../shape';
import { Tensor } from '../tensor';
import { History, type Logs } from './history';
import { DenseLayer, InputLayer, LAYER_ACTIVATIONS, fusedActivationCode, type Layer } from './layers';
import type { LossNameOrAlias, MetricName, NameOf, OptimizerName } from '../names';
import { VALUE, findLoss, metricValueId, type LossEntry, type ValueId } from '../losses/table';
import { getOptimizer, type OptimizerLike, type SGD } from './optimizers';
import { nextSeed } from './random';
import { GeneralNet, Rows, evaluateGeneral, fitGeneral, predictGeneral } from './train-general';
import { evaluateFused, fusedBlocker, paramCount, predictFused, trainChunk, type NetSpec } from './train-small';

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
  callbacks?: {
    onEpochEnd?: (epoch: number, logs: Logs) => void | Promise<void>;
    onTrainBegin?: () => void | Promise<void>;
    onTrainEnd?: (logs: Logs | undefined) => void | Promise<void>;
  };
  /** 0: silent (default), 1: a line per epoch. */
  verbose?: 0 | 1;
  /** Epochs per GPU dispatch on the fused path, per read-back of the logs on the general path (default: sized to the work). */
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

interface Compiled {
  optimizer: SGD;
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
  private velocity: Tensor | null = null;
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
    this.velocity?.dispose();
    this.velocity = null;
  }

  /** Frees the model's GPU memory. */
  dispose(): void {
    this.disposeWeights();
  }

  // ------------------------------------------------------------------ compile

  compile<L extends string, M extends string = never, O extends string = never>(args: CompileArgs<L, M, O>): void {
    const op = 'compile';
    if (!args || typeof args !== 'object' || Array.isArray(args)) invalid(op, 'the arguments', "an object like {optimizer: 'sgd', loss: 'mse', metrics: ['mae']}", args);
    if (this.layers.length === 0) throw new NNError(`${op}: the model has no layers`);
    const optimizer = getOptimizer(op, args.optimizer);
    const loss = findLoss(op, args.loss);
    const metrics = args.metrics ?? [];
    if (!Array.isArray(metrics)) invalid(op, 'metrics', "an array of names like ['mae']", metrics);
    const metricCodes = metrics.map((m) => metricValueId(op, m, loss, this.outputUnits));
    if (metricCodes.length > 8) throw new NNError(`${op}: at most 8 metrics are supported`);
    this.checkActivations(op);
    this.compiled = { optimizer, loss, lossName: String(args.loss), metricNames: [...metrics], metricCodes };
    this.velocity?.dispose();
    this.velocity = null;
  }

  get optimizer(): SGD | null {
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

  private packedWeights(rt: Runtime): Tensor {
    const parts = this.params!;
    const P = paramCount([this.inputUnits, ...this.layers.map((l) => l.units)]);
    return rt.run({
      op: `model.pack [${P}]`,
      inputs: parts,
      outputs: [[P]],
      gpu: (s, ins, [out]) => {
        let off = 0;
        for (const t of ins) {
          s.copy(t.buffer, 0, out.buffer, off * 4, t.size * 4);
          off += t.size;
        }
      },
      cpu: (ins, [out]) => {
        let off = 0;
        for (const a of ins) {
          out.set(a, off);
          off += a.length;
        }
      },
    })[0];
  }

  private unpackWeights(rt: Runtime, flat: Tensor): void {
    rt.run({
      op: `model.unpack [${flat.size}]`,
      inputs: [flat],
      outputs: [],
      writes: this.params!,
      gpu: (s, [src], outs) => {
        let off = 0;
        for (const t of outs) {
          s.copy(src.buffer, off * 4, t.buffer, 0, t.size * 4);
          off += t.size;
        }
      },
      cpu: ([src], outs) => {
        let off = 0;
        for (const a of outs) {
          a.set(src.subarray(off, off + a.length));
          off += a.length;
        }
      },
    });
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
      for (const t of l.useBias ? [this.params![2 * i], this.params![2 * i + 1]] : [this.params![2 * i]]) {
        out.push(
          rt.run({
            op: 'model.getWeights',
            inputs: [t],
            outputs: [t.shape],
            gpu: (s, [a], [b]) => s.copy(a.buffer, 0, b.buffer, 0, a.size * 4),
            cpu: ([a], [b]) => b.set(a),
          })[0],
        );
      }
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
        if (w.size !== want[k].shape.reduce((p, d) => p * d, 1) || w.rank !== want[k].shape.length) {
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
        ? rt.run({ op: 'model.setWeights', inputs: [w], outputs: [dst.shape], gpu: (s, [a], [b]) => s.copy(a.buffer, 0, b.buffer, 0, a.size * 4), cpu: ([a], [b]) => b.set(a) })[0]
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
    const epochs = args.epochs ?? 1;
    const batchSize = args.batchSize ?? 32;
    if (!Number.isInteger(epochs) || epochs < 1) invalid(op, 'epochs', 'a positive integer', epochs);
    if (!Number.isInteger(batchSize) || batchSize < 1) invalid(op, 'batchSize', 'a positive integer', batchSize);
    const stopBelow = args.stopWhenLossBelow ?? null;
    if (stopBelow !== null && (typeof stopBelow !== 'number' || Number.isNaN(stopBelow))) invalid(op, 'stopWhenLossBelow', 'a number', stopBelow);
    const split = args.validationSplit;
    if (split !== undefined && !(typeof split === 'number' && split > 0 && split < 1)) {
      invalid(op, 'validationSplit', 'a number in (0, 1)', split);
    }
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
    this.build();
    const spec = this.netSpec();
    const engine = args.engine ?? 'auto';
    if (engine !== 'auto' && engine !== 'fused' && engine !== 'general') invalid(op, 'engine', "'auto', 'fused' or 'general'", engine);
    const why = fusedBlocker(spec);
    if (engine === 'fused' && why) throw new NNError(`${op}: engine 'fused' cannot train this network: it has ${why}`);
    if (engine === 'general' || (engine === 'auto' && why)) return this.fitGeneralPath(x, y, xd, yd, val, spec, args);

    const n = xd.rows;
    const shuffle = (args.shuffle ?? true) && n > 1;
    const seed = (args.seed ?? nextSeed()) >>> 0;
    const stride = 1 + spec.metrics.length;
    const P = paramCount(spec.dims);
    const momentum = c.optimizer.momentum;
    const work = n * (P + spec.dims.reduce((s, d) => s + d, 0)) * 4 + 1;
    let chunk = args.epochsPerDispatch ?? Math.max(1, Math.min(epochs, Math.floor(4e6 / work)));
    if (val) chunk = 1;
    chunk = Math.min(chunk, epochs);
    const callbacks = args.callbacks ?? {};
    const names = c.metricNames;
    const history = new History();
    this.stopTraining = false;

    const owned: Tensor[] = [];
    const keep = <T extends Tensor>(t: T): T => (owned.push(t), t);
    const xt = keep(rt.fromData(xd.data, [n, this.inputUnits], 'fit x'));
    const yt = keep(rt.fromData(yd.data, [n, this.outputUnits], 'fit y'));
    const vxt = val ? keep(rt.fromData(val.x, [val.rows, this.inputUnits], 'fit validation x')) : null;
    const vyt = val ? keep(rt.fromData(val.y, [val.rows, this.outputUnits], 'fit validation y')) : null;
    const w = keep(this.packedWeights(rt));
    const vel = this.velocity ?? rt.zeros([P]);
    this.velocity = vel;
    const velBefore = keep(copyOf(rt, vel));
    const keepOutputs = !!args.keepLastOutputs;
    let lastOutputs: Float32Array | null = null;
    const K = this.outputUnits;
    const perm = keep(rt.zeros([n + 1]));
    const wantsReplay = !!callbacks.onEpochEnd;

    interface Pending {
      e0: number;
      count: number;
      logs: Promise<Float32Array>;
      val: Promise<Float32Array> | null;
      snapW: Tensor | null;
      snapV: Tensor | null;
    }
    const queue: Pending[] = [];
    const MAX_IN_FLIGHT = 8;
    let stoppedAt: { epoch: number; reason: 'stopWhenLossBelow' | 'callback' } | null = null;
    let failure: Error | null = null;

    const record = (e0: number, count: number): Pending => {
      const snapW = wantsReplay ? copyOf(rt, w) : null;
      const snapV = wantsReplay ? copyOf(rt, vel) : null;
      const logsT = trainChunk(rt, spec, xt, yt, w, vel, perm, {
        epoch0: e0, nEpochs: count, n, batch: Math.min(batchSize, n), seed, shuffle, lr: c.optimizer.learningRate, momentum, stopBelow, keepOutputs,
      });
      const logs = logsT.read();
      logs.finally(() => logsT.dispose()).catch(() => undefined);
      let valP: Promise<Float32Array> | null = null;
      if (vxt && vyt) {
        const vt = evaluateFused(rt, spec, vxt, vyt, w, val!.rows);
        valP = vt.read();
        valP.finally(() => vt.dispose()).catch(() => undefined);
      }
      return { e0, count, logs, val: valP, snapW, snapV };
    };

    const release = (p: Pending) => {
      p.snapW?.dispose();
      p.snapV?.dispose();
    };

    /** Handles one chunk's logs in order; returns true when training is over. */
    const consume = async (p: Pending): Promise<boolean> => {
      const logs = await p.logs;
      const vals = p.val ? await p.val : null;
      const done = logs[0];
      const reason = logs[1];
      for (let t = 0; t < done; t++) {
        const epoch = p.e0 + t;
        const entry: Logs = { loss: logs[3 + t * stride] };
        names.forEach((m, k) => (entry[m] = logs[4 + t * stride + k]));
        if (vals) {
          entry.val_loss = vals[0];
          names.forEach((m, k) => (entry[`val_${m}`] = vals[1 + k]));
        }
        if (reason >= 2 && t === done - 1) {
          const what = reason === 2 ? `the loss became ${entry.loss}` : `a weight became NaN or infinite (the loss was ${entry.loss})`;
          failure = new NNError(`fit: ${what} at epoch ${epoch}; training stopped and the weights were restored to those before fit()`);
          return true;
        }
        history.record(epoch, entry);
        if (args.verbose) console.log(`Epoch ${epoch + 1}/${epochs} - loss: ${entry.loss.toPrecision(6)}${names.map((m) => ` - ${m}: ${entry[m].toPrecision(6)}`).join('')}`);
        if (callbacks.onEpochEnd) await callbacks.onEpochEnd(epoch, entry);
        if (reason === 1 && t === done - 1) {
          stoppedAt = { epoch, reason: 'stopWhenLossBelow' };
          if (keepOutputs) lastOutputs = logs.slice(3 + p.count * stride, 3 + p.count * stride + n * K);
          return true;
        }
        if (this.stopTraining) {
          stoppedAt = { epoch, reason: 'callback' };
          // Later epochs already ran on the GPU: replay this chunk up to `epoch` from its snapshot.
          if (t !== p.count - 1 || queue.length > 0) await replay(p, epoch);
          else if (keepOutputs) lastOutputs = logs.slice(3 + p.count * stride, 3 + p.count * stride + n * K);
          return true;
        }
      }
      if (keepOutputs && p.e0 + p.count === epochs) lastOutputs = logs.slice(3 + p.count * stride, 3 + p.count * stride + n * K);
      return false;
    };

    const replay = async (p: Pending, epoch: number) => {
      copyInto(rt, p.snapW!, w);
      copyInto(rt, p.snapV!, vel);
      const fresh = rt.zeros([n + 1]);
      const count = epoch - p.e0 + 1;
      const logsT = trainChunk(rt, spec, xt, yt, w, vel, fresh, {
        epoch0: p.e0, nEpochs: count, n, batch: Math.min(batchSize, n), seed, shuffle, lr: c.optimizer.learningRate, momentum, stopBelow: null, keepOutputs,
      });
      if (keepOutputs) lastOutputs = (await logsT.read()).slice(3 + count * stride, 3 + count * stride + n * K);
      logsT.dispose();
      fresh.dispose();
    };

    try {
      if (callbacks.onTrainBegin) await callbacks.onTrainBegin();
      let next = 0;
      let over = false;
      while (!over && (next < epochs || queue.length > 0)) {
        while (next < epochs && queue.length < MAX_IN_FLIGHT) {
          const count = Math.min(chunk, epochs - next);
          queue.push(record(next, count));
          next += count;
        }
        const p = queue.shift()!;
        over = await consume(p);
        release(p);
      }
      for (const p of queue.splice(0)) {
        await p.logs.catch(() => undefined);
        release(p);
      }
      if (failure) throw failure;
      this.unpackWeights(rt, w);
      await rt.sync();
    } catch (e) {
      for (const p of queue.splice(0)) release(p);
      // Leave the weights (and optimiser state) as they were before fit.
      copyInto(rt, velBefore, vel);
      await rt.sync().catch(() => undefined);
      throw e;
    } finally {
      owned.forEach((t) => t.dispose());
    }
    history.stopped = stoppedAt;
    history.lastOutputs = lastOutputs;
    if (callbacks.onTrainEnd) await callbacks.onTrainEnd(history.epoch.length ? lastLogs(history) : undefined);
    return history;
  }

  private generalNet(spec: NetSpec): GeneralNet {
    return new GeneralNet(this.rt('model'), spec, this.layers.map((l) => ({ activation: l.activation, useBias: l.useBias })));
  }

  /** The general per-op path of `fit` (any size, any batch): trains copies, keeps them on success. */
  private async fitGeneralPath(
    x: Tensor | TensorLike,
    y: Tensor | TensorLike,
    xd: { data: Float32Array; rows: number },
    yd: { data: Float32Array; rows: number },
    val: { x: Float32Array; y: Float32Array; rows: number } | null,
    spec: NetSpec,
    args: FitArgs,
  ): Promise<History> {
    const rt = this.rt('fit');
    const c = this.compiled!;
    const n = xd.rows;
    const C = this.inputUnits;
    const K = this.outputUnits;
    const owned: Tensor[] = [];
    const keep = <T extends Tensor>(t: T): T => (owned.push(t), t);
    const threshold = args.streamThresholdBytes ?? 64 * 2 ** 20;
    const stream = (xd.data.length + yd.data.length) * 4 > threshold;
    const rowsOf = (v: Tensor | TensorLike, d: { data: Float32Array; rows: number }, cols: number, what: string): Rows => {
      // the caller's tensor itself when it holds exactly these rows (not class indices, which
      // became one-hot rows, nor rows a validationSplit cut)
      if (v instanceof Tensor && v.rank === 2 && v.shape[0] === d.rows && v.shape[1] === cols && !(v === y && c.loss.targets === 'classIndices')) {
        return new Rows(rt, v, null, d.rows, cols);
      }
      if (stream) return new Rows(rt, null, d.data, d.rows, cols);
      return new Rows(rt, keep(rt.fromData(d.data, [d.rows, cols], what)), null, d.rows, cols);
    };
    const callbacks = args.callbacks ?? {};
    this.stopTraining = false;
    const momentum = c.optimizer.momentum;
    // Train on copies: the model's weights change only when fit succeeds.
    const params = this.params!.map((t) => keep(copyOf(rt, t)));
    const velocity = momentum > 0 ? this.splitFlat(rt, this.velocity ?? null).map(keep) : null;
    try {
      if (callbacks.onTrainBegin) await callbacks.onTrainBegin();
      const r = await fitGeneral({
        net: this.generalNet(spec),
        params,
        velocity,
        x: rowsOf(x, xd, C, 'fit x'),
        y: rowsOf(y, yd, K, 'fit y'),
        epochs: args.epochs ?? 1,
        batchSize: Math.min(args.batchSize ?? 32, n),
        shuffle: (args.shuffle ?? true) && n > 1,
        seed: (args.seed ?? nextSeed()) >>> 0,
        lr: c.optimizer.learningRate,
        momentum,
        stopBelow: args.stopWhenLossBelow ?? null,
        val: val
          ? { x: new Rows(rt, keep(rt.fromData(val.x, [val.rows, C], 'fit validation x')), null, val.rows, C), y: new Rows(rt, keep(rt.fromData(val.y, [val.rows, K], 'fit validation y')), null, val.rows, K) }
          : null,
        metricNames: c.metricNames,
        verbose: !!args.verbose,
        onEpochEnd: callbacks.onEpochEnd,
        stopRequested: () => this.stopTraining,
        keepLastOutputs: !!args.keepLastOutputs,
        epochsPerRead: args.epochsPerDispatch,
      });
      r.garbage.forEach((t) => t.dispose());
      // Adopt the trained tensors (copies of the originals, or epoch snapshots).
      const kept = new Set([...r.params, ...(r.velocity ?? [])]);
      owned.splice(0, owned.length, ...owned.filter((t) => !kept.has(t)));
      this.params!.forEach((t) => t.dispose());
      this.params = r.params;
      if (r.velocity) {
        const flat = this.packFlat(rt, r.velocity);
        r.velocity.forEach((t) => t.dispose());
        this.velocity?.dispose();
        this.velocity = flat;
      }
      r.history.lastOutputs = r.lastOutputs;
      await rt.sync();
      if (callbacks.onTrainEnd) await callbacks.onTrainEnd(r.history.epoch.length ? lastLogs(r.history) : undefined);
      return r.history;
    } finally {
      owned.forEach((t) => t.dispose());
    }
  }

  /** A flat [P] tensor (Keras order, bias slots included) as copies shaped like the weights; zeros when null. */
  private splitFlat(rt: Runtime, flat: Tensor | null): Tensor[] {
    if (!flat) return this.params!.map((t) => rt.zeros(t.shape));
    let off = 0;
    return this.params!.map((t) => {
      const at = off;
      off += t.size;
      return rt.run({
        op: 'model.split', inputs: [flat], outputs: [t.shape],
        gpu: (s, [a], [b]) => s.copy(a.buffer, at * 4, b.buffer, 0, b.size * 4),
        cpu: ([a], [b]) => b.set(a.subarray(at, at + b.length)),
      })[0];
    });
  }

  /** The inverse of splitFlat: a new flat [P] tensor. */
  private packFlat(rt: Runtime, parts: Tensor[]): Tensor {
    const P = parts.reduce((s, t) => s + t.size, 0);
    return rt.run({
      op: `model.pack [${P}]`, inputs: parts, outputs: [[P]],
      gpu: (s, ins, [out]) => {
        let off = 0;
        for (const t of ins) {
          s.copy(t.buffer, 0, out.buffer, off * 4, t.size * 4);
          off += t.size;
        }
      },
      cpu: (ins, [out]) => {
        let off = 0;
        for (const a of ins) {
          out.set(a, off);
          off += a.length;
        }
      },
    })[0];
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
  get compileConfig(): { optimizer: ReturnType<SGD['toJSON']>; loss: string; metrics: string[] } | null {
    const c = this.compiled;
    return c ? { optimizer: c.optimizer.toJSON(), loss: c.lossName, metrics: c.metricNames } : null;
  }

  /** @internal */
  get lossName(): string {
    return this.compiled ? this.compiled.loss.name : '';
  }
}

function copyOf(rt: Runtime, t: Tensor): Tensor {
  return rt.run({ op: 'model.copy', inputs: [t], outputs: [t.shape], gpu: (s, [a], [b]) => s.copy(a.buffer, 0, b.buffer, 0, a.size * 4), cpu: ([a], [b]) => b.set(a) })[0];
}

function copyInto(rt: Runtime, src: Tensor, dst: Tensor): void {
  rt.run({ op: 'model.restore', inputs: [src], outputs: [], writes: [dst], gpu: (s, [a], [b]) => s.copy(a.buffer, 0, b.buffer, 0, a.size * 4), cpu: ([a], [b]) => b.set(a) });
}

function lastLogs(h: History): Logs {
  const out: Logs = {};
  for (const [k, v] of Object.entries(h.history)) out[k] = v[v.length - 1];
  return out;
}

/** `sequential({layers, runtime})`, as `tf.sequential`. */
export function sequential(args: SequentialArgs = {}): Sequential {
  return new Sequential(args);
}

declare module './sequential' {
  interface Sequential {
    /** The model as JSON: architecture, compile settings and weights. */
    toJSON(): Promise<import('./serialize').ModelJSON>;
    /** `file://path.json` or a path (Node), `downloads://name` (browser). */
    save(url: string): Promise<import('./serialize').ModelJSON>;
  }
}
