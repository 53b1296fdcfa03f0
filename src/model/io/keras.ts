/**
 * Keras and TensorFlow.js Layers configurations <-> this library's models: the Sequential
 * topology (InputLayer + Dense), activation and initializer names, and the compile settings
 * (`training_config`: loss, metrics, optimizer_config). Pure data conversion, no I/O.
 *
 * Read: Keras 3 `model.to_json()` (`module`, `registered_name`, `batch_shape`, DTypePolicy
 * dicts), Keras 2 / tfjs-converter `model_config`, and tfjs-layers' own `model.save` topology.
 * Written: tfjs-layers' own form (Keras 2 configs), which its `loadLayersModel` reads.
 */
import { NNError } from '../../errors';
import { findActivation, foldName } from '../../activations/table';
import { canonicalLoss, canonicalMetric } from '../../losses/table';
import type { DenseLayer } from '../layers';
import { getInitializer, type Initializer, type InitializerConfig } from '../initializers';
import { optimizerByFoldedName } from '../optimizers';

type Dict = Record<string, unknown>;

/** A plain JSON object (not null, not an array). */
export const isDict = (v: unknown): v is Dict => !!v && typeof v === 'object' && !Array.isArray(v);

/** snake_case -> camelCase, as tfjs's convertPythonicToTs does for keys (`beta_1` -> `beta1`). */
export function camel(s: string): string {
  return s.replace(/_+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** camelCase / PascalCase -> snake_case (`MeanSquaredError` -> `mean_squared_error`). */
export function snake(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

/** A config value under its Keras (snake_case) key or its tfjs (camelCase) key. */
function get(cfg: Dict, key: string): unknown {
  return key in cfg ? cfg[key] : cfg[camel(key)];
}

// ------------------------------------------------------------------ activations

/**
 * Our layer activations that tfjs-layers knows, to the names tfjs writes (snake_case of its
 * class names). Keras 2 and Keras 3 read the same names (Keras 3: `swish` is `silu`).
 */
const TFJS_ACTIVATION: Record<string, string> = {
  linear: 'linear', relu: 'relu', sigmoid: 'sigmoid', tanh: 'tanh', softmax: 'softmax', elu: 'elu', selu: 'selu',
  softplus: 'softplus', softsign: 'softsign', relu6: 'relu6', silu: 'swish', gelu: 'gelu', mish: 'mish', hardSigmoid: 'hard_sigmoid',
};
/** Ours that only Keras 3 has (same formula and defaults); tfjs-layers rejects them ("Unknown activation"). */
const KERAS3_ONLY_ACTIVATION: Record<string, string> = { leakyRelu: 'leaky_relu', celu: 'celu', hardSwish: 'hard_silu' };

/** The activation name written for a layer, and whether tfjs-layers can load it. */
export function activationToKeras(name: string): { name: string; tfjs: boolean } {
  if (name in TFJS_ACTIVATION) return { name: TFJS_ACTIVATION[name], tfjs: true };
  if (name in KERAS3_ONLY_ACTIVATION) return { name: KERAS3_ONLY_ACTIVATION[name], tfjs: false };
  return { name, tfjs: false }; // step, or a runtime.defineActivation name: ours only
}

/** Keras / tfjs names with no equivalent here (the Dense layer holds no activation parameters). */
const NO_EQUIVALENT: Record<string, string> = {
  exponential: 'exp(x) is not an activation of this library',
  gelunew: "tfjs's gelu_new (the tanh approximation) needs gelu's `approximate: 'tanh'`, which a Dense layer cannot hold",
  logsoftmax: 'log_softmax is not a layer activation here (softmax is)',
  hardsigmoidkeras3: "Keras 3's hard_sigmoid is relu6(x + 3) / 6; this library's hardSigmoid (as tfjs and Keras 2) is clamp(0.2 x + 0.5, 0, 1)",
};

/** A Keras / tfjs activation (string, or Keras 3's dict form) as a name our Dense takes. */
export function activationFromKeras(v: unknown, keras3: boolean, where: string): string {
  if (v === null || v === undefined) return 'linear';
  let name: unknown = v;
  if (isDict(v)) name = typeof v.config === 'string' ? v.config : isDict(v.config) && typeof v.config.name === 'string' ? v.config.name : v.class_name ?? v.className;
  if (typeof name !== 'string') bad(`${where}: activation ${JSON.stringify(v)} is not a name`);
  const f = foldName(name);
  const why = NO_EQUIVALENT[f === 'hardsigmoid' && keras3 ? 'hardsigmoidkeras3' : f];
  if (why) bad(`${where}: activation '${name}' has no equivalent here: ${why}`);
  if (f === 'linear' || f === 'identity') return 'linear';
  if (f === 'softmax') return 'softmax';
  if (f === 'swish' || f === 'silu') return 'silu';
  if (f === 'hardsilu' || f === 'hardswish') return 'hardSwish';
  const spec = findActivation(name);
  return spec ? spec.name : name; // a custom name: checked when the model meets its runtime
}

// ------------------------------------------------------------------ initializers

/** Written in the Keras 2 form, which tfjs-layers and Keras read (lecun* as VarianceScaling: tfjs spells it LeCun). */
export function initializerToKeras(init: Initializer): { class_name: string; config: Dict } {
  const c = init.config;
  const seed = c.seed ?? null;
  switch (init.name) {
    case 'glorotUniform':
    case 'glorotNormal':
    case 'heUniform':
    case 'heNormal':
      return { class_name: init.name[0].toUpperCase() + init.name.slice(1), config: { seed } };
    case 'lecunUniform':
    case 'lecunNormal':
      return { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_in', distribution: init.name === 'lecunUniform' ? 'uniform' : 'normal', seed } };
    case 'zeros':
      return { class_name: 'Zeros', config: {} };
    case 'ones':
      return { class_name: 'Ones', config: {} };
    case 'constant':
      return { class_name: 'Constant', config: { value: c.value ?? 0 } };
    case 'randomUniform':
      return { class_name: 'RandomUniform', config: { minval: c.minval ?? -0.05, maxval: c.maxval ?? 0.05, seed } };
    case 'randomNormal':
    case 'truncatedNormal':
      return { class_name: init.name === 'randomNormal' ? 'RandomNormal' : 'TruncatedNormal', config: { mean: c.mean ?? 0, stddev: c.stddev ?? 0.05, seed } };
  }
}

/** VarianceScaling (scale, mode, distribution) -> the named initializer it is. */
function varianceScalingName(cfg: Dict): string | null {
  const scale = Number(cfg.scale ?? 1);
  const mode = snake(String(cfg.mode ?? 'fan_in'));
  const dist = snake(String(cfg.distribution ?? 'truncated_normal'));
  const family = scale === 1 && mode === 'fan_avg' ? 'glorot' : scale === 2 && mode === 'fan_in' ? 'he' : scale === 1 && mode === 'fan_in' ? 'lecun' : null;
  if (!family) return null;
  if (dist === 'uniform') return `${family}Uniform`;
  if (dist === 'normal' || dist === 'truncated_normal') return `${family}Normal`;
  return null;
}

const INIT_CLASS: Record<string, string> = { LeCunNormal: 'lecunNormal', LeCunUniform: 'lecunUniform' };

/**
 * A Keras / tfjs initializer config as ours. `lenient` (weights come with the model, so the
 * initializer never runs): an unknown one falls back to `fallback`; otherwise it is an error.
 */
export function initializerFromKeras(v: unknown, fallback: 'glorotUniform' | 'zeros', lenient: boolean, where: string): Initializer {
  if (v === null || v === undefined) return getInitializer(where, undefined, fallback);
  let name: unknown = v;
  let cfg: Dict = {};
  if (isDict(v)) {
    name = v.class_name ?? v.className;
    cfg = isDict(v.config) ? v.config : {};
  }
  if (typeof name === 'string') {
    name = INIT_CLASS[name] ?? (name === 'VarianceScaling' ? varianceScalingName(cfg) : name);
  }
  const config: InitializerConfig = {};
  for (const k of ['seed', 'mean', 'stddev', 'minval', 'maxval', 'value'] as const) {
    const x = cfg[k];
    if (typeof x === 'number' && Number.isFinite(x)) config[k] = x;
  }
  try {
    return getInitializer(where, { name: String(name), config }, fallback);
  } catch {
    if (lenient) return getInitializer(where, undefined, fallback);
    const shown = JSON.stringify(isDict(v) ? (v.class_name ?? v.className) : v);
    bad(`${where}: initializer ${shown} is not supported (supported: GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, VarianceScaling equal to one of these, Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal)`);
  }
}

// ------------------------------------------------------------------ topology

/** A Dense layer as read from a Keras / tfjs config. */
export interface DenseSpec {
  name?: string;
  units: number;
  activation: string;
  useBias: boolean;
  kernelInitializer: Initializer;
  biasInitializer: Initializer;
}

/** A Sequential model as read from a Keras / tfjs config. */
export interface TopologySpec {
  name?: string;
  inputName?: string;
  /** Features of one input row. */
  inputUnits: number;
  layers: DenseSpec[];
}

/** A problem with the model's content; `describing` turns it into an NNError naming the call. */
class FormatProblem extends Error {}

export function bad(what: string): never {
  throw new FormatProblem(what);
}

/** Runs `fn`, reporting a FormatProblem as `NNError('<op>: corrupt or unsupported model: ...')`. */
export function describing<T>(op: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FormatProblem) throw new NNError(`${op}: corrupt or unsupported model: ${e.message}`);
    throw e;
  }
}

/** A batch shape [batch, n] (or an input shape [n]) -> n. */
function featuresOf(shape: unknown, withBatch: boolean, where: string): number {
  if (!Array.isArray(shape)) bad(`${where}: expected a shape array, got ${JSON.stringify(shape)}`);
  const dims = withBatch ? shape.slice(1) : shape;
  if (dims.length !== 1 || !Number.isInteger(dims[0]) || (dims[0] as number) < 1) {
    bad(`${where}: input shape ${JSON.stringify(shape)} is not supported: Dense networks here take rows of features ([batch, n])`);
  }
  return dims[0] as number;
}

/** The input features a layer config declares, if any. */
function declaredInput(cfg: Dict, layer: Dict, where: string): number | null {
  for (const k of ['batch_shape', 'batch_input_shape']) {
    const s = get(cfg, k);
    if (s !== undefined && s !== null) return featuresOf(s, true, `${where}.${k}`);
  }
  const s = get(cfg, 'input_shape');
  if (s !== undefined && s !== null) return featuresOf(s, false, `${where}.input_shape`);
  const d = get(cfg, 'input_dim');
  if (d !== undefined && d !== null) return featuresOf([d], false, `${where}.input_dim`);
  const build = isDict(layer.build_config) ? layer.build_config.input_shape : undefined;
  if (build !== undefined && build !== null) return featuresOf(build, true, `${where}.build_config.input_shape`);
  return null;
}

const dtypeName = (d: unknown): unknown => (isDict(d) ? (isDict(d.config) ? d.config.name : d.class_name) : d);

/**
 * Reads a Sequential topology: tfjs `modelTopology` (with or without `model_config`), Keras 2
 * JSON, or Keras 3 `to_json()`. `lenientInit`: see initializerFromKeras.
 */
export function parseTopology(json: unknown, lenientInit: boolean): TopologySpec {
  if (!isDict(json)) bad('the topology is not a JSON object');
  let top: Dict = json;
  const version = typeof top.keras_version === 'string' ? top.keras_version : '';
  if (isDict(top.model_config)) top = top.model_config;
  const cls = top.class_name ?? top.className;
  if (cls !== 'Sequential') {
    bad(`model class ${JSON.stringify(cls)} is not supported: only Sequential models of Dense layers (Functional models with one chain of Dense layers can be rebuilt as Sequential)`);
  }
  const cfg = top.config;
  const layers: unknown[] | undefined = Array.isArray(cfg) ? cfg : isDict(cfg) && Array.isArray(cfg.layers) ? cfg.layers : undefined;
  if (!layers) bad('the Sequential config has no layers array');
  const keras3 = 'module' in top || /^3\./.test(version) || layers.some((l) => isDict(l) && ('module' in l || (isDict(l.config) && 'batch_shape' in l.config)));
  const spec: TopologySpec = { inputUnits: 0, layers: [] };
  if (isDict(cfg) && typeof cfg.name === 'string') spec.name = cfg.name;
  layers.forEach((l, i) => {
    const where = `layer ${i}`;
    if (!isDict(l)) bad(`${where} is not an object`);
    const lc = l.class_name ?? l.className;
    const c: Dict = isDict(l.config) ? l.config : {};
    const name = typeof c.name === 'string' ? c.name : undefined;
    const here = name ? `${where} '${name}'` : where;
    if (lc === 'InputLayer') {
      if (i !== 0) bad(`${here}: an InputLayer is only supported first`);
      const n = declaredInput(c, l, here);
      if (n === null) bad(`${here}: the InputLayer has no batch_shape`);
      spec.inputUnits = n;
      spec.inputName = name;
      return;
    }
    if (lc !== 'Dense') bad(`${here}: layer class ${JSON.stringify(lc)} is not supported (supported: InputLayer, Dense)`);
    const dtype = dtypeName(c.dtype);
    if (dtype !== undefined && dtype !== null && dtype !== 'float32' && dtype !== 'mixed_float16' && dtype !== 'mixed_bfloat16' && dtype !== 'float16' && dtype !== 'bfloat16' && dtype !== 'float64') {
      bad(`${here}: dtype ${JSON.stringify(dtype)} is not supported (computed in float32)`);
    }
    if (get(c, 'lora_rank')) bad(`${here}: LoRA Dense layers are not supported`);
    if (spec.layers.length === 0 && spec.inputUnits === 0) {
      const n = declaredInput(c, l, here);
      if (n !== null) spec.inputUnits = n;
    }
    const units = c.units;
    if (!Number.isInteger(units) || (units as number) < 1) bad(`${here}: units must be a positive integer, got ${JSON.stringify(units)}`);
    const useBias = get(c, 'use_bias');
    spec.layers.push({
      name,
      units: units as number,
      activation: activationFromKeras(c.activation, keras3, here),
      useBias: useBias === undefined || useBias === null ? true : useBias === true,
      kernelInitializer: initializerFromKeras(get(c, 'kernel_initializer'), 'glorotUniform', lenientInit, `${here} kernel_initializer`),
      biasInitializer: initializerFromKeras(get(c, 'bias_initializer'), 'zeros', lenientInit, `${here} bias_initializer`),
    });
  });
  if (spec.layers.length === 0) bad('the model has no Dense layers');
  if (spec.inputUnits === 0) {
    const b = isDict(cfg) ? cfg.build_input_shape : undefined;
    const b2 = isDict(top.build_config) ? top.build_config.input_shape : undefined;
    if (b ?? b2) spec.inputUnits = featuresOf(b ?? b2, true, 'build_input_shape');
    else bad('the model declares no input shape (no InputLayer, batch_input_shape or build_input_shape)');
  }
  return spec;
}

/**
 * The model's topology as tfjs-layers' own `model.save` writes it (Keras 2's form): the input
 * shape as the first Dense layer's `batch_input_shape`, no InputLayer, so that a loaded tfjs
 * model's `layers` are ours one for one.
 */
export function topologyToKeras(model: { name: string; inputUnits: number; layers: readonly DenseLayer[] }, meta: { kerasVersion: string; backend: string }): Dict {
  return {
    class_name: 'Sequential',
    config: {
      name: model.name,
      layers: model.layers.map((l, i) => ({
        class_name: 'Dense',
        config: {
          units: l.units,
          activation: activationToKeras(l.activation).name,
          use_bias: l.useBias,
          kernel_initializer: initializerToKeras(l.kernelInitializer),
          bias_initializer: initializerToKeras(l.biasInitializer),
          kernel_regularizer: null,
          bias_regularizer: null,
          activity_regularizer: null,
          kernel_constraint: null,
          bias_constraint: null,
          name: l.name,
          trainable: true,
          ...(i === 0 ? { batch_input_shape: [null, model.inputUnits] } : {}),
          dtype: 'float32',
        },
      })),
    },
    keras_version: meta.kerasVersion,
    backend: meta.backend,
  };
}

// ------------------------------------------------------------------ compile settings

export interface CompileSettings {
  optimizer: { className: string; config: Record<string, number | boolean> };
  loss: string;
  metrics: string[];
}

/** tfjs-layers' trainingConfig (what its loadLayersModel compiles with). */
export interface TrainingConfig {
  loss: string;
  metrics: string[];
  optimizer_config: { class_name: string; config: Dict };
}

/** Our canonical loss names to the names tfjs writes and reads (halfSquaredError has none). */
const TFJS_LOSS: Record<string, string> = {
  mse: 'mean_squared_error', mae: 'mean_absolute_error', binaryCrossentropy: 'binary_crossentropy',
  categoricalCrossentropy: 'categorical_crossentropy', sparseCategoricalCrossentropy: 'sparse_categorical_crossentropy',
};
/** Metrics tfjs-layers' compile accepts (it has no binaryCrossentropy or sparseCategoricalAccuracy metric by name). */
const TFJS_METRIC: Record<string, string> = {
  accuracy: 'accuracy', mse: 'mse', mae: 'mae', binaryAccuracy: 'binary_accuracy', categoricalAccuracy: 'categorical_accuracy',
  categoricalCrossentropy: 'categorical_crossentropy', sparseCategoricalCrossentropy: 'sparse_categorical_crossentropy',
};


const num = (c: Record<string, unknown>, k: string, d: number): number => (typeof c[k] === 'number' ? (c[k] as number) : d);

/** Our optimizer as tfjs's optimizer_config, or null where tfjs has no equivalent (AdamW, amsgrad, weight decay). */
function optimizerToTfjs(o: CompileSettings['optimizer']): TrainingConfig['optimizer_config'] | null {
  const c = o.config;
  if (num(c, 'weightDecay', 0) !== 0) return null;
  const lr = num(c, 'learningRate', 0.01);
  switch (o.className) {
    case 'SGD':
      return num(c, 'momentum', 0) > 0 || c.nesterov === true
        ? { class_name: 'Momentum', config: { learningRate: lr, momentum: num(c, 'momentum', 0), useNesterov: c.nesterov === true } }
        : { class_name: 'SGD', config: { learningRate: lr } };
    case 'Adam':
      return c.amsgrad === true ? null : { class_name: 'Adam', config: { learningRate: lr, beta1: num(c, 'beta1', 0.9), beta2: num(c, 'beta2', 0.999), epsilon: num(c, 'epsilon', 1e-7) } };
    case 'RMSprop':
      return { class_name: 'RMSProp', config: { learningRate: lr, decay: num(c, 'rho', 0.9), momentum: num(c, 'momentum', 0), epsilon: num(c, 'epsilon', 1e-7), centered: c.centered === true } };
    case 'Adagrad':
      return num(c, 'epsilon', 1e-7) !== 1e-7 ? null : { class_name: 'Adagrad', config: { learningRate: lr, initialAccumulatorValue: num(c, 'initialAccumulatorValue', 0.1) } };
    default:
      return null;
  }
}

/** The compile settings as tfjs's trainingConfig, or null when tfjs could not compile them. */
export function trainingConfigFor(s: CompileSettings): TrainingConfig | null {
  const loss = TFJS_LOSS[canonicalLoss(s.loss) ?? ''];
  const metrics = s.metrics.map((m) => TFJS_METRIC[canonicalMetric(m) ?? '']);
  const optimizer = optimizerToTfjs(s.optimizer);
  if (!loss || !optimizer || metrics.some((m) => !m)) return null;
  return { loss, metrics, optimizer_config: optimizer };
}


/** A tfjs / Keras optimizer config (string, {class_name, config}, snake or camel keys) as ours. */
export function optimizerFromKeras(v: unknown): CompileSettings['optimizer'] {
  const given = isDict(v) ? (v.class_name ?? v.className) : v;
  if (typeof given !== 'string') bad(`optimizer ${JSON.stringify(v)} is not a name or {class_name, config}`);
  const raw: Dict = {};
  if (isDict(v) && isDict(v.config)) for (const [k, x] of Object.entries(v.config)) raw[camel(k)] = x;
  if (raw.useNesterov !== undefined) raw.nesterov = raw.useNesterov;
  if (raw.decay !== undefined && raw.rho === undefined && foldName(given) === 'rmsprop') raw.rho = raw.decay;
  if (raw.lr !== undefined && raw.learningRate === undefined) raw.learningRate = raw.lr;
  // tfjs's MomentumOptimizer is SGD with momentum
  const entry = optimizerByFoldedName(foldName(given) === 'momentum' ? 'sgd' : given);
  if (!entry) return { className: given, config: {} }; // compile names the optimizers it knows
  const { className, options: keys } = entry;
  const config: Record<string, number | boolean> = {};
  for (const k of keys) {
    const x = raw[k];
    if (typeof x === 'boolean' || (typeof x === 'number' && Number.isFinite(x))) config[k] = x;
  }
  if (className === 'SGD' && config.nesterov === false) delete config.nesterov;
  return { className, config };
}

/** A loss or metric: a string, or Keras 3's {class_name, config} dict. */
function lossOrMetricName(v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  if (isDict(v) && typeof (v.class_name ?? v.className) === 'string') {
    const cls = String(v.class_name ?? v.className);
    const cfg = isDict(v.config) ? v.config : {};
    if (cfg.from_logits === true) bad(`${what} ${cls} with from_logits is not supported`);
    if (typeof cfg.label_smoothing === 'number' && cfg.label_smoothing !== 0) bad(`${what} ${cls} with label_smoothing is not supported`);
    // Keras 2 wraps function metrics: {class_name: 'MeanMetricWrapper', config: {name: 'accuracy', fn: 'categorical_accuracy'}}.
    if (cls === 'MeanMetricWrapper' && typeof (cfg.fn ?? cfg.name) === 'string') return String(cfg.fn ?? cfg.name);
    return snake(cls);
  }
  bad(`${what} ${JSON.stringify(v)} is not supported (a name is expected)`);
}

/** tfjs trainingConfig / Keras training_config or compile_config -> our compile settings. */
export function compileFromKeras(tc: unknown): CompileSettings {
  if (!isDict(tc)) bad('trainingConfig is not an object');
  const loss = lossOrMetricName(Array.isArray(tc.loss) && tc.loss.length === 1 ? tc.loss[0] : tc.loss, 'loss');
  const rawMetrics: unknown[] = Array.isArray(tc.metrics) ? tc.metrics.flat() : tc.metrics === null || tc.metrics === undefined ? [] : [tc.metrics];
  const metrics = rawMetrics.map((m) => lossOrMetricName(m, 'metric'));
  return { optimizer: optimizerFromKeras(tc.optimizer_config ?? tc.optimizer ?? 'sgd'), loss, metrics };
}
