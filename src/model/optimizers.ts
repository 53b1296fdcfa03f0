/**
 * The optimizers, each written once: names and Keras / TensorFlow.js spellings, Keras 3 defaults,
 * the state slots they keep per parameter, and the float32 update (one rounding per operation in
 * Keras 3's order) that shaders/lib/optimizers.wgsl implements for both training engines.
 * Kinds and flags reach WGSL as OPT_* constants (shaders/lib/ids.wgsl) and a uniform, so changing
 * an optimizer or a hyperparameter never compiles another pipeline.
 */
import { foldName } from '../activations/table';
import { NNError, describeValue } from '../errors';

export const OPT = { SGD: 0, ADAM: 1, RMSPROP: 2, ADAGRAD: 3 } as const;
export const OPT_FLAG = { NESTEROV: 1, AMSGRAD: 2, CENTERED: 4 } as const;

type Kind = 'sgd' | 'adam' | 'adamw' | 'rmsprop' | 'adagrad';
/** A number in [min, max] (either end excluded when `open` names it). */
interface ParamSpec { default: number; min?: number; max?: number; open?: 'min' | 'max' }
interface Entry {
  kind: Kind;
  className: string;
  aliases: readonly string[];
  params: Readonly<Record<string, ParamSpec | 'boolean'>>;
}

const LR = (d: number): ParamSpec => ({ default: d, min: 0, open: 'min' });
const UNIT: ParamSpec = { default: 0.9, min: 0, max: 1, open: 'max' };
const ENTRIES = [
  { kind: 'sgd', className: 'SGD', aliases: ['sgd', 'SGD'], params: { learningRate: LR(0.01), momentum: { default: 0, min: 0, max: 1 }, nesterov: 'boolean', weightDecay: { default: 0, min: 0 } } },
  { kind: 'adam', className: 'Adam', aliases: ['adam', 'Adam'], params: { learningRate: LR(0.001), beta1: UNIT, beta2: { ...UNIT, default: 0.999 }, epsilon: LR(1e-7), amsgrad: 'boolean', weightDecay: { default: 0, min: 0 } } },
  { kind: 'adamw', className: 'AdamW', aliases: ['adamw', 'AdamW', 'adam_w'], params: { learningRate: LR(0.001), beta1: UNIT, beta2: { ...UNIT, default: 0.999 }, epsilon: LR(1e-7), amsgrad: 'boolean', weightDecay: { default: 0.004, min: 0 } } },
  { kind: 'rmsprop', className: 'RMSprop', aliases: ['rmsprop', 'RMSprop', 'RMSProp'], params: { learningRate: LR(0.001), rho: UNIT, momentum: { default: 0, min: 0, max: 1 }, epsilon: LR(1e-7), centered: 'boolean', weightDecay: { default: 0, min: 0 } } },
  { kind: 'adagrad', className: 'Adagrad', aliases: ['adagrad', 'Adagrad'], params: { learningRate: LR(0.001), initialAccumulatorValue: { default: 0.1, min: 0 }, epsilon: LR(1e-7), weightDecay: { default: 0, min: 0 } } },
] as const satisfies readonly Entry[];
/** An optimizer by its Keras / TensorFlow.js name. */
export type OptimizerSpelling = (typeof ENTRIES)[number]['className'] | (typeof ENTRIES)[number]['aliases'][number];
/** Every optimizer spelling `compile` takes. */
export const OPTIMIZER_SPELLINGS: readonly OptimizerSpelling[] = [...new Set(ENTRIES.flatMap((e) => [e.className, ...e.aliases]))];
const ALL: readonly Entry[] = ENTRIES;
const BY_NAME = new Map<string, Entry>();
for (const e of ALL) for (const n of [e.className, ...e.aliases]) BY_NAME.set(n, e);

/** The class name and option names of the optimizer a spelling means, case, '_' and '-' ignored (model files), or undefined. */
export function optimizerByFoldedName(name: string): { className: string; options: readonly string[] } | undefined {
  const f = foldName(name);
  const e = ALL.find((x) => [x.className, ...x.aliases].some((n) => foldName(n) === f));
  return e ? { className: e.className, options: Object.keys(e.params) } : undefined;
}

/** Keras / tfjs config spellings of the parameters. */
const SNAKE: Record<string, string> = {
  learning_rate: 'learningRate', beta_1: 'beta1', beta_2: 'beta2', weight_decay: 'weightDecay',
  initial_accumulator_value: 'initialAccumulatorValue', lr: 'learningRate',
};

export type OptimizerConfig = Record<string, number | boolean>;

/** An optimizer: its kind and validated hyperparameters (Keras 3 defaults filled in). */
export class Optimizer {
  readonly kind: Kind;
  readonly className: string;
  readonly config: Readonly<Record<string, number | boolean>>;

  constructor(kind: Kind, config: OptimizerConfig = {}) {
    const e = ALL.find((x) => x.kind === kind)!;
    const op = kind;
    if (!config || typeof config !== 'object' || Array.isArray(config)) throw new NNError(`${op}: expected a config object like {learningRate: 0.01}, got ${describeValue(config)}`);
    const out: Record<string, number | boolean> = {};
    for (const [k0, v] of Object.entries(config)) {
      const k = SNAKE[k0] ?? k0;
      if (v === undefined) continue;
      const spec = e.params[k];
      if (!spec) throw new NNError(`${op}: unknown option '${k0}' (known: ${Object.keys(e.params).join(', ')})`);
      if (spec === 'boolean') {
        if (typeof v !== 'boolean') throw new NNError(`${op}: ${k} must be true or false, got ${describeValue(v)}`);
      } else {
        const lo = spec.min ?? -Infinity;
        const hi = spec.max ?? Infinity;
        const ok = typeof v === 'number' && Number.isFinite(v) && (spec.open === 'min' ? v > lo : v >= lo) && (spec.open === 'max' ? v < hi : v <= hi);
        if (!ok) {
          const range = hi === Infinity ? `${spec.open === 'min' ? '>' : '>='} ${lo}` : `in ${spec.open === 'min' ? '(' : '['}${lo}, ${hi}${spec.open === 'max' ? ')' : ']'}`;
          throw new NNError(`${op}: ${k} must be a finite number ${range}, got ${describeValue(v)}`);
        }
      }
      out[k] = v;
    }
    for (const [k, spec] of Object.entries(e.params)) if (!(k in out)) out[k] = spec === 'boolean' ? false : spec.default;
    this.kind = kind;
    this.className = e.className;
    this.config = Object.freeze(out);
  }

  get learningRate(): number {
    return this.config.learningRate as number;
  }
  /** SGD / RMSprop momentum (0 for the others). */
  get momentum(): number {
    return (this.config.momentum as number | undefined) ?? 0;
  }

  /** State slots per parameter, in order (Keras names), and their initial values. */
  get slots(): { name: string; init: number }[] {
    const c = this.config;
    switch (this.kind) {
      case 'sgd':
        return [{ name: 'momentum', init: 0 }];
      case 'adam':
      case 'adamw':
        return [{ name: 'm', init: 0 }, { name: 'v', init: 0 }, ...(c.amsgrad ? [{ name: 'vhat', init: 0 }] : [])];
      case 'rmsprop':
        return [{ name: 'velocity', init: 0 }, { name: 'momentum', init: 0 }, ...(c.centered ? [{ name: 'average_gradient', init: 0 }] : [])];
      default:
        return [{ name: 'accumulator', init: c.initialAccumulatorValue as number }];
    }
  }

  /** The slots this configuration uses (SGD / RMSprop keep no momentum slot at momentum 0, as tfjs's optimizers save none). */
  get activeSlots(): number[] {
    return this.slots.map((s, k) => (s.name === 'momentum' && this.momentum === 0 ? -1 : k)).filter((k) => k >= 0);
  }

  /** The same optimizer with another learning rate (schedules, reduceLROnPlateau). */
  withLearningRate(lr: number): Optimizer {
    return new Optimizer(this.kind, { ...this.config, learningRate: lr });
  }

  /** The step's uniform values for a given learning rate. */
  step(lr = this.learningRate): OptStep {
    const c = this.config;
    const f = Math.fround;
    const kind = this.kind === 'sgd' ? OPT.SGD : this.kind === 'rmsprop' ? OPT.RMSPROP : this.kind === 'adagrad' ? OPT.ADAGRAD : OPT.ADAM;
    const flags = (c.nesterov ? OPT_FLAG.NESTEROV : 0) | (c.amsgrad ? OPT_FLAG.AMSGRAD : 0) | (c.centered ? OPT_FLAG.CENTERED : 0);
    const b1 = (c.beta1 as number | undefined) ?? 0;
    const b2 = (c.beta2 as number | undefined) ?? 0;
    const rho = (c.rho as number | undefined) ?? 0;
    // Keras computes 1 - beta in float64 (Python floats) and rounds once.
    return { kind, flags, lr: f(lr), b1: f(b1), b2: f(b2), oneMinusB1: f(1 - b1), oneMinusB2: f(1 - b2), eps: f((c.epsilon as number | undefined) ?? 0), momentum: f(this.momentum), rho: f(rho), oneMinusRho: f(1 - rho), wd: f(c.weightDecay as number) };
  }

  toJSON(): { className: string; config: Record<string, number | boolean> } {
    return { className: this.className, config: { ...this.config } };
  }
}

/** Hyperparameters of one update as the kernels read them (float32 values). */
export interface OptStep {
  kind: number;
  flags: number;
  lr: number;
  b1: number;
  b2: number;
  oneMinusB1: number;
  oneMinusB2: number;
  eps: number;
  momentum: number;
  rho: number;
  oneMinusRho: number;
  wd: number;
}

/** Writes `o` as the WGSL struct OptStep (lib/optimizers.wgsl) at u32 index `at` of a uniform. */
export function writeOptStep(u: Uint32Array, f: Float32Array, at: number, o: OptStep): void {
  u[at] = o.kind;
  u[at + 1] = o.flags;
  f.set([o.lr, o.b1, o.b2, o.oneMinusB1, o.oneMinusB2, o.eps, o.momentum, o.rho, o.oneMinusRho, o.wd], at + 2);
}

/** Back-compatible name: `new SGD({learningRate, momentum, nesterov})`. */
export class SGD extends Optimizer {
  constructor(config: OptimizerConfig = {}) {
    super('sgd', config);
  }
}

const factory = (kind: Kind) => (config: OptimizerConfig | number = {}) => new Optimizer(kind, typeof config === 'number' ? { learningRate: config } : config);
/** `sgd({learningRate, momentum, nesterov})` (Keras 3 defaults: 0.01, 0, false). */
export const sgd = (config: OptimizerConfig | number = {}): SGD => new SGD(typeof config === 'number' ? { learningRate: config } : config);
/** `adam({learningRate, beta1, beta2, epsilon, amsgrad})` (0.001, 0.9, 0.999, 1e-7, false). */
export const adam = factory('adam');
/** `adamw({..., weightDecay})`: Adam with decoupled weight decay (default 0.004). */
export const adamw = factory('adamw');
/** `rmsprop({learningRate, rho, momentum, epsilon, centered})` (0.001, 0.9, 0, 1e-7, false). */
export const rmsprop = factory('rmsprop');
/** `adagrad({learningRate, initialAccumulatorValue, epsilon})` (0.001, 0.1, 1e-7). */
export const adagrad = factory('adagrad');

export type OptimizerLike = string | Optimizer | { className: string; config?: OptimizerConfig };

const KNOWN = ALL.map((e) => `'${e.aliases[0]}'`).join(', ');

export function getOptimizer(op: string, v: unknown): Optimizer {
  if (v === undefined) return new SGD();
  if (v instanceof Optimizer) return v;
  if (typeof v === 'string') {
    const e = BY_NAME.get(v);
    if (!e) throw new NNError(`${op}: unknown optimizer '${v}' (known: ${KNOWN}, their Keras / TensorFlow.js class names, or a factory such as adam({learningRate: 0.001}))`);
    return new Optimizer(e.kind);
  }
  if (v && typeof v === 'object' && typeof (v as { className?: unknown }).className === 'string') {
    const e = BY_NAME.get((v as { className: string }).className);
    if (e) return new Optimizer(e.kind, (v as { config?: OptimizerConfig }).config ?? {});
  }
  throw new NNError(`${op}: unknown optimizer ${describeValue(v)} (known: ${KNOWN}, or a factory such as sgd({learningRate: 0.1}))`);
}

// ------------------------------------------------------------------ the update, float32 (twin of lib/optimizers.wgsl)

const fr = Math.fround;

/** Adam's step size lr sqrt(1 - b2^t) / (1 - b1^t) for Keras' local step t = iterations + 1 (float32, as the kernels). */
export function adamAlpha(o: OptStep, t: number): number {
  const b1p = fr(Math.exp(fr(t * fr(Math.log(o.b1)))));
  const b2p = fr(Math.exp(fr(t * fr(Math.log(o.b2)))));
  return fr(fr(o.lr * fr(Math.sqrt(fr(1 - b2p)))) / fr(1 - b1p));
}

/**
 * One update of parameter p: returns the new weight; state slot k of p is state[k * P + p]
 * (slot-major). `alpha` is adamAlpha for Adam, unused otherwise.
 */
export function optUpdate32(o: OptStep, alpha: number, w0: number, g: number, state: Float32Array, P: number, p: number): number {
  let w = w0;
  if (o.wd !== 0) w = fr(w - fr(fr(w * o.wd) * o.lr));
  switch (o.kind) {
    case OPT.SGD: {
      if (o.momentum === 0) return fr(w - fr(g * o.lr));
      const m = fr(fr(state[p] * o.momentum) - fr(g * o.lr));
      state[p] = m;
      if (o.flags & OPT_FLAG.NESTEROV) return fr(w + fr(fr(m * o.momentum) - fr(g * o.lr)));
      return fr(w + m);
    }
    case OPT.ADAM: {
      const m = fr(state[p] + fr(fr(g - state[p]) * o.oneMinusB1));
      const v = fr(state[P + p] + fr(fr(fr(g * g) - state[P + p]) * o.oneMinusB2));
      state[p] = m;
      state[P + p] = v;
      let vu = v;
      if (o.flags & OPT_FLAG.AMSGRAD) {
        vu = Math.max(state[2 * P + p], v);
        state[2 * P + p] = vu;
      }
      return fr(w - fr(fr(m * alpha) / fr(fr(Math.sqrt(vu)) + o.eps)));
    }
    case OPT.RMSPROP: {
      const v = fr(fr(o.rho * state[p]) + fr(o.oneMinusRho * fr(g * g)));
      state[p] = v;
      let den: number;
      if (o.flags & OPT_FLAG.CENTERED) {
        const a = fr(fr(o.rho * state[2 * P + p]) + fr(o.oneMinusRho * g));
        state[2 * P + p] = a;
        den = fr(fr(v - fr(a * a)) + o.eps);
      } else den = fr(v + o.eps);
      const inc = fr(fr(o.lr * g) / fr(Math.sqrt(den)));
      if (o.momentum > 0) {
        const mo = fr(fr(o.momentum * state[P + p]) + inc);
        state[P + p] = mo;
        return fr(w - mo);
      }
      return fr(w - inc);
    }
    default: {
      const acc = fr(state[p] + fr(g * g));
      state[p] = acc;
      return fr(w - fr(fr(o.lr * g) / fr(Math.sqrt(fr(acc + o.eps)))));
    }
  }
}
