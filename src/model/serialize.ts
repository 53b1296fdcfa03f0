/**
 * Saving and loading models.
 *
 * `save(url)` writes the TensorFlow.js Layers format (model.json: Keras topology, training
 * config, weights manifest; weights.bin: float32 weights), which tfjs-layers' `loadLayersModel`
 * reads: `file://dir` in Node, `downloads://`, `localstorage://`, `indexeddb://` in a browser,
 * or a tfjs-style IOHandler. `loadModel` reads that format (ours, tfjs-layers' `model.save`, the
 * tfjs converter's Keras models), this library's earlier single-file JSON (`toJSON()`), and
 * Keras / tfjs topologies. `modelFromJSON` builds an uncompiled model with fresh weights from a
 * Keras 3 `model.to_json()`, a Keras 2 / tfjs topology, or (with its weights) the earlier JSON.
 * Formats are told apart by the shape of the JSON. See src/model/io/.
 */
import { NNError, formatShape } from '../errors';
import { sameShape } from '../shape';
import type { Runtime } from '../runtime';
import type { Tensor } from '../tensor';
import { Dense, Input, type DenseLayer } from './layers';
import { Sequential } from './sequential';
import { artifactsFromModelJSON, decodeWeights, encodeWeights, joinBuffers, type IOHandler, type ModelArtifacts, type ModelJSONFile, type NamedValues, type SaveResult } from './io/artifacts';
import { loadSource, saveArtifacts } from './io/handlers';
import { compileFromKeras, describing, isDict, parseTopology, topologyToKeras, trainingConfigFor, type CompileSettings, type TopologySpec } from './io/keras';

export type { IOHandler, ModelArtifacts, SaveResult } from './io/artifacts';

export const FORMAT = 'webgpu-nn/sequential';
export const FORMAT_VERSION = 1;

/** This library's earlier single-file format (`toJSON()`); still loaded. */
export interface ModelJSON {
  format: typeof FORMAT;
  formatVersion: number;
  name: string;
  inputShape: number[];
  layers: { className: 'Dense'; config: Record<string, unknown> }[];
  compile: { optimizer: { className: string; config: Record<string, number | boolean> }; loss: string; metrics: string[] } | null;
  /** Keras order [kernel, bias, ...] as flat arrays with their shapes. */
  weights: { shape: number[]; values: number[] }[];
}

export interface SaveOptions {
  /**
   * Save the optimizer's state (if the model is compiled and its optimizer keeps state) as
   * weights of group 'optimizer' after the model's weights, as tfjs does with includeOptimizer.
   * Default true.
   */
  includeOptimizer?: boolean;
}

export interface LoadOptions {
  runtime: Runtime;
  /** Compile with the saved loss, metrics and optimizer, when the file has them (default true). */
  compile?: boolean;
}

/**
 * @internal The optimizer-state hook. A model (Sequential) that keeps optimizer state may define
 * these; `save` appends `optimizerWeights()` to the weights with group 'optimizer', and
 * `loadModel` hands them back to `setOptimizerWeights` after compiling. tfjs's convention, which
 * tfjs's loader relies on to restore them: first `{name: 'iter', dtype: 'int32', shape: []}`, then
 * each state slot of every weight, named `<weight name>/<slot>` (e.g. 'dense/kernel/m'), Adam:
 * all m then all v, in the model's weight order (kernel, bias per layer).
 */
export interface OptimizerWeight {
  name: string;
  shape: number[];
  dtype?: 'float32' | 'int32';
  values: Float32Array | Int32Array | readonly number[];
}

/** Our compile settings, kept exact beside tfjs's trainingConfig (which cannot say e.g. halfSquaredError or AdamW). */
const META_KEY = 'webgpu-nn';
const GENERATED_BY = 'webgpu-nn';

// ------------------------------------------------------------------ the earlier single-file JSON

export async function modelToJSON(model: Sequential): Promise<ModelJSON> {
  const weights = model.getWeightTensors();
  const out: ModelJSON['weights'] = [];
  for (const t of weights) {
    out.push({ shape: [...t.shape], values: Array.from(await t.read()) });
    t.dispose();
  }
  return {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    name: model.name,
    inputShape: [model.inputUnits],
    layers: model.layers.map((l: DenseLayer) => ({ className: 'Dense', config: l.getConfig() })),
    compile: model.compileConfig,
    weights: out,
  };
}

function bad(what: string): never {
  throw new NNError(`loadModel: corrupt or unsupported model file: ${what}`);
}

function legacyFromJSON(j: ModelJSON, runtime: Runtime): Sequential {
  if (j.formatVersion !== FORMAT_VERSION) bad(`formatVersion ${String(j.formatVersion)} is not supported (expected ${FORMAT_VERSION})`);
  if (!Array.isArray(j.inputShape) || j.inputShape.length !== 1) bad('inputShape must be [features]');
  if (!Array.isArray(j.layers) || j.layers.length === 0) bad('layers must be a non-empty array');
  if (!Array.isArray(j.weights)) bad('weights must be an array');
  const layers = j.layers.map((l, i) => {
    if (!l || l.className !== 'Dense' || !l.config || typeof l.config !== 'object') bad(`layer ${i} is not a Dense layer config`);
    const { inputShape: _ignored, ...config } = l.config as Record<string, unknown>;
    try {
      return Dense(config as unknown as Parameters<typeof Dense>[0]);
    } catch (e) {
      bad(`layer ${i}: ${(e as Error).message}`);
    }
  });
  let model: Sequential;
  try {
    model = new Sequential([Input({ shape: j.inputShape }), ...layers], { runtime, name: typeof j.name === 'string' ? j.name : undefined });
  } catch (e) {
    bad((e as Error).message);
  }
  const values = j.weights.map((w, i) => {
    if (!w || !Array.isArray(w.shape) || !Array.isArray(w.values)) bad(`weight ${i} must be {shape, values}`);
    const n = w.shape.reduce((p: number, d: number) => p * d, 1);
    if (w.values.length !== n) bad(`weight ${i} has ${w.values.length} values for shape [${w.shape.join(', ')}]`);
    if (w.values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) bad(`weight ${i} holds a value that is not a finite number`);
    return runtime.tensor(w.values, w.shape);
  });
  try {
    model.setWeights(values);
  } catch (e) {
    model.dispose();
    bad((e as Error).message.replace(/^setWeights: /, ''));
  } finally {
    values.forEach((t) => t.dispose());
  }
  if (j.compile) {
    try {
      model.compile({ optimizer: j.compile.optimizer as never, loss: j.compile.loss, metrics: j.compile.metrics });
    } catch (e) {
      model.dispose();
      bad(`compile settings: ${(e as Error).message}`);
    }
  }
  return model;
}

// ------------------------------------------------------------------ TensorFlow.js Layers format: save

/** The model as tfjs model artifacts: topology, weights (+ optimizer state), training config. */
export async function modelToArtifacts(model: Sequential, opts: SaveOptions = {}): Promise<ModelArtifacts> {
  const tensors = model.getWeightTensors();
  const names = model.weightSlots().map((w) => w.name);
  const weights: NamedValues[] = [];
  try {
    // All reads in flight at once: one round trip, not one per weight.
    const values = await Promise.all(tensors.map((t) => t.read()));
    tensors.forEach((t, i) => weights.push({ name: names[i], shape: [...t.shape], dtype: 'float32', values: values[i] }));
  } finally {
    tensors.forEach((t: Tensor) => t.dispose());
  }
  const compile = model.compileConfig as CompileSettings | null;
  if (compile && opts.includeOptimizer !== false) {
    for (const w of await model.optimizerWeights()) {
      const dtype = w.dtype ?? 'float32';
      weights.push({ name: w.name, shape: [...w.shape], dtype, values: dtype === 'int32' ? Int32Array.from(w.values) : Float32Array.from(w.values), group: 'optimizer' });
    }
  }
  const { specs, data } = encodeWeights(weights);
  const a: ModelArtifacts = {
    modelTopology: topologyToKeras(model, { kerasVersion: GENERATED_BY, backend: 'webgpu' }),
    format: 'layers-model',
    generatedBy: GENERATED_BY,
    convertedBy: null,
  };
  if (compile) {
    const tc = trainingConfigFor(compile);
    if (tc) a.trainingConfig = tc as unknown as Record<string, unknown>;
    a.userDefinedMetadata = { [META_KEY]: { compile } };
  }
  a.weightSpecs = specs;
  a.weightData = data;
  return a;
}

const isHandler = (v: unknown): v is IOHandler => !!v && typeof v === 'object' && (typeof (v as IOHandler).save === 'function' || typeof (v as IOHandler).load === 'function');

/**
 * Saves in the TensorFlow.js Layers format: `file://dir` or a path (Node: dir/model.json +
 * dir/weights.bin; `file://dir/name.json`: name.json + name.weights.bin), `downloads://name`,
 * `localstorage://name`, `indexeddb://name` (browser), or a tfjs-style IOHandler
 * (`tf.io.withSaveHandler(...)`, `tf.io.http(url)`, ...).
 */
export async function saveModel(model: Sequential, target: string | IOHandler, opts: SaveOptions = {}): Promise<SaveResult> {
  if (isHandler(target)) {
    if (typeof target.save !== 'function') throw new NNError('save: the IOHandler has no save method');
    return (await target.save(await modelToArtifacts(model, opts))) as SaveResult;
  }
  if (typeof target !== 'string' || target.length === 0) {
    throw new NNError(`save: expected 'file://folder' (Node), 'downloads://name', 'localstorage://name', 'indexeddb://name' or an IOHandler, got ${JSON.stringify(target)}`);
  }
  return saveArtifacts(target, await modelToArtifacts(model, opts));
}

// ------------------------------------------------------------------ load

function buildModel(spec: TopologySpec, runtime: Runtime, op: string): Sequential {
  try {
    const layers = spec.layers.map((l) =>
      Dense({ units: l.units, activation: l.activation, useBias: l.useBias, kernelInitializer: l.kernelInitializer, biasInitializer: l.biasInitializer, ...(l.name ? { name: l.name } : {}) }),
    );
    return new Sequential([Input({ shape: [spec.inputUnits], ...(spec.inputName ? { name: spec.inputName } : {}) }), ...layers], { runtime, ...(spec.name ? { name: spec.name } : {}) });
  } catch (e) {
    throw new NNError(`${op}: corrupt or unsupported model: ${(e as Error).message}`);
  }
}

/** The saved weights for the model's [kernel, bias, ...]: by name (tfjs `<layer>/kernel`, or ending so), else in order. */
function matchWeights(model: Sequential, saved: NamedValues[], op: string): NamedValues[] {
  const want = model.weightSlots();
  const strip = (n: string) => n.replace(/:0$/, '');
  const byName = want.map((w) => saved.find((s) => strip(s.name) === w.name) ?? saved.find((s) => strip(s.name).endsWith(`/${w.name}`)));
  let chosen: NamedValues[];
  if (byName.every((s) => s !== undefined) && new Set(byName).size === byName.length) chosen = byName as NamedValues[];
  else if (saved.length === want.length) chosen = saved;
  else {
    throw new NNError(`${op}: the saved weights (${saved.map((s) => `'${s.name}'`).join(', ')}) do not match the model's (${want.map((w) => `'${w.name}'`).join(', ')})`);
  }
  chosen.forEach((s, i) => {
    const w = want[i];
    if (!sameShape(s.shape, w.shape)) {
      throw new NNError(`${op}: weight '${s.name}' has shape ${formatShape(s.shape)}, the model's '${w.name}' needs ${formatShape(w.shape)}`);
    }
    if (s.values.some((v) => !Number.isFinite(v))) throw new NNError(`${op}: weight '${s.name}' holds NaN or infinity`);
  });
  return chosen;
}

/** JSON with sorted keys, to compare configs whatever their key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** Our exact settings when tfjs's trainingConfig (if any) still says the same; else trainingConfig's. */
function compileSettingsOf(a: ModelArtifacts, op: string): CompileSettings | null {
  const meta = (a.userDefinedMetadata?.[META_KEY] as { compile?: CompileSettings } | undefined)?.compile;
  const tc = a.trainingConfig ?? (a.modelTopology as { training_config?: unknown }).training_config;
  const metaOk = !!meta && typeof meta.loss === 'string' && Array.isArray(meta.metrics) && !!meta.optimizer && typeof meta.optimizer.className === 'string';
  if (metaOk && (tc == null || canonical(trainingConfigFor(meta)) === canonical(tc))) return meta;
  if (tc != null) return describing(op, () => compileFromKeras(tc));
  return null;
}

/** A model from tfjs model artifacts: topology, weights if present (else initialised), compiled if it says how. */
export async function modelFromArtifacts(a: ModelArtifacts, opts: LoadOptions, op = 'loadModel'): Promise<Sequential> {
  if (!a || typeof a !== 'object' || !a.modelTopology || typeof a.modelTopology !== 'object' || a.modelTopology instanceof ArrayBuffer) {
    throw new NNError(`${op}: corrupt or unsupported model: no JSON modelTopology`);
  }
  if (a.format && a.format !== 'layers-model') throw new NNError(`${op}: corrupt or unsupported model: format '${a.format}' (only 'layers-model': tfjs graph models hold no Keras layers)`);
  const hasWeights = a.weightSpecs != null && a.weightData != null;
  const spec = describing(op, () => parseTopology(a.modelTopology, hasWeights));
  const settings = opts.compile === false ? null : compileSettingsOf(a, op);
  const model = buildModel(spec, opts.runtime, op);
  try {
    let optimizerState: NamedValues[] = [];
    if (hasWeights) {
      if (!Array.isArray(a.weightSpecs)) throw new NNError(`${op}: corrupt or unsupported model: weightSpecs is not an array`);
      const all = decodeWeights(joinBuffers(a.weightData), a.weightSpecs, op);
      optimizerState = all.filter((w) => w.group === 'optimizer');
      const chosen = matchWeights(model, all.filter((w) => w.group !== 'optimizer'), op);
      const tensors = chosen.map((w) => opts.runtime.fromData(w.values instanceof Float32Array ? w.values : Float32Array.from(w.values), w.shape, `${op}:${w.name}`));
      try {
        model.setWeights(tensors);
      } finally {
        tensors.forEach((t) => t.dispose());
      }
    }
    if (settings) {
      try {
        model.compile({ optimizer: settings.optimizer as never, loss: settings.loss as never, metrics: settings.metrics as never });
      } catch (e) {
        throw new NNError(`${op}: the saved compile settings cannot be applied (${(e as Error).message}); pass {compile: false} to load the model uncompiled`);
      }
      if (optimizerState.length > 0) model.setOptimizerWeights(optimizerState.map(({ name, shape, dtype, values }) => ({ name, shape, dtype, values })));
    }
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  }
}

function parseText(text: string, op: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new NNError(`${op}: corrupt or unsupported model file: not valid JSON (${(e as Error).message})`);
  }
}

/** Loads from parsed JSON of any supported shape; `read` reads model.json's weight files. */
async function fromJSONValue(j: unknown, opts: LoadOptions, read?: (paths: string[]) => Promise<ArrayBuffer[]>): Promise<Sequential> {
  if (!isDict(j)) bad('expected a JSON object');
  if (j.format === FORMAT) return legacyFromJSON(j as unknown as ModelJSON, opts.runtime);
  if (isDict(j.modelTopology)) {
    if (j.weightData != null || j.weightSpecs != null || j.weightsManifest == null) return modelFromArtifacts(j as unknown as ModelArtifacts, opts);
    if (!read) throw new NNError('loadModel: this model.json keeps its weights in separate files (weightsManifest): load it by its path or URL, or pass artifacts with weightSpecs and weightData');
    return modelFromArtifacts(await artifactsFromModelJSON(j as unknown as ModelJSONFile, read), opts);
  }
  if (j.class_name !== undefined || j.className !== undefined || isDict(j.model_config)) return modelFromArtifacts({ modelTopology: j }, opts);
  if (j.format !== undefined) bad(`format is ${JSON.stringify(j.format)}, expected "${FORMAT}" or a TensorFlow.js 'layers-model'`);
  bad('not a model: expected a TensorFlow.js model.json or artifacts, a Keras model config, or this library\'s JSON');
}

/**
 * Loads a model. `source`: a path or `file://` URL of model.json or its folder (Node), an http(s)
 * URL, `localstorage://name`, `indexeddb://name`, a tfjs-style IOHandler with `load()`
 * (`tf.io.fromMemory(...)`), tfjs model artifacts, this library's JSON (object or text), or a
 * Keras / tfjs topology (initialised weights). Compiled with the saved settings unless
 * `compile: false`.
 */
export async function loadModel(source: unknown, opts: LoadOptions): Promise<Sequential> {
  if (!opts?.runtime) throw new NNError('loadModel: pass {runtime}');
  if (typeof source === 'string') {
    if (source.trimStart().startsWith('{')) return fromJSONValue(parseText(source, 'loadModel'), opts);
    const src = await loadSource(source);
    return src.kind === 'artifacts' ? modelFromArtifacts(src.artifacts, opts) : fromJSONValue(src.json, opts, src.read);
  }
  if (isHandler(source)) {
    if (typeof source.load !== 'function') throw new NNError('loadModel: the IOHandler has no load method');
    return modelFromArtifacts((await source.load()) as ModelArtifacts, opts);
  }
  return fromJSONValue(source, opts);
}

/**
 * A model from JSON (object or text): a Keras 3 `model.to_json()` or Keras 2 / tfjs topology
 * (also a whole tfjs model.json; its weights are not read) gives an uncompiled model with fresh
 * weights; this library's JSON (`toJSON()`) gives the model with its weights and compile settings.
 */
export function modelFromJSON(json: unknown, runtimeOrOpts: Runtime | { runtime: Runtime }): Sequential {
  const op = 'modelFromJSON';
  const runtime = runtimeOrOpts && 'runtime' in runtimeOrOpts && !('tensor' in runtimeOrOpts) ? runtimeOrOpts.runtime : (runtimeOrOpts as Runtime);
  if (!runtime) throw new NNError(`${op}: pass a runtime`);
  if (typeof json === 'string') json = parseText(json, 'loadModel');
  if (!isDict(json)) bad('expected an object');
  if (json.format === FORMAT) return legacyFromJSON(json as unknown as ModelJSON, runtime);
  const top = isDict(json.modelTopology) ? json.modelTopology : json;
  if (json.format !== undefined && !isDict(json.modelTopology)) bad(`format is ${JSON.stringify(json.format)}, expected "${FORMAT}"`);
  const spec = describing(op, () => parseTopology(top, false));
  return buildModel(spec, runtime, op);
}
