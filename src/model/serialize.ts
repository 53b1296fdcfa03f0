/**
 * Saving and loading models as JSON: architecture (Keras-like layer configs), compile
 * settings and weights. `save('file://path.json')` or a path writes a file in Node;
 * `save('downloads://name')` downloads `name.json` in a browser.
 */
import { NNError } from '../errors';
import type { Runtime } from '../runtime';
import { Dense, Input, type DenseLayer } from './layers';
import { Sequential } from './sequential';

export const FORMAT = 'webgpu-nn/sequential';
export const FORMAT_VERSION = 1;

export interface ModelJSON {
  format: typeof FORMAT;
  formatVersion: number;
  name: string;
  inputShape: number[];
  layers: { className: 'Dense'; config: Record<string, unknown> }[];
  compile: { optimizer: { className: string; config: Record<string, number> }; loss: string; metrics: string[] } | null;
  /** Keras order [kernel, bias, ...] as flat arrays with their shapes. */
  weights: { shape: number[]; values: number[] }[];
}

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

export function modelFromJSON(json: unknown, runtime: Runtime): Sequential {
  if (typeof json === 'string') {
    try {
      json = JSON.parse(json);
    } catch (e) {
      bad(`not valid JSON (${(e as Error).message})`);
    }
  }
  const j = json as ModelJSON;
  if (!j || typeof j !== 'object') bad('expected an object');
  if (j.format !== FORMAT) bad(`format is ${JSON.stringify(j.format)}, expected "${FORMAT}"`);
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

/** Writes the model: `file://path.json` or a plain path in Node, `downloads://name` in a browser. */
export async function saveModel(model: Sequential, url: string): Promise<ModelJSON> {
  if (typeof url !== 'string' || url.length === 0) throw new NNError(`save: expected 'file://path.json', a path, or 'downloads://name', got ${String(url)}`);
  const json = await modelToJSON(model);
  const text = JSON.stringify(json);
  if (url.startsWith('downloads://')) {
    const doc = (globalThis as { document?: Document }).document;
    if (!doc) throw new NNError(`save: 'downloads://' needs a browser; in Node use 'file://path.json'`);
    const name = url.slice('downloads://'.length) || 'model';
    const a = doc.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    a.download = name.endsWith('.json') ? name : `${name}.json`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 0);
    return json;
  }
  const path = url.startsWith('file://') ? url.slice('file://'.length) : url;
  const fs = await import(/* @vite-ignore */ 'node:fs/promises');
  await fs.writeFile(path, text);
  return json;
}

/** Loads a model from JSON (object or text), `file://path.json` or a path (Node), or a URL (fetch). */
export async function loadModel(source: unknown, opts: { runtime: Runtime }): Promise<Sequential> {
  const runtime = opts?.runtime;
  if (!runtime) throw new NNError('loadModel: pass {runtime}');
  if (typeof source === 'string' && !source.trimStart().startsWith('{')) {
    let text: string;
    if (/^https?:\/\//.test(source)) {
      const res = await fetch(source);
      if (!res.ok) throw new NNError(`loadModel: fetching ${source} failed: HTTP ${res.status}`);
      text = await res.text();
    } else {
      const path = source.startsWith('file://') ? source.slice('file://'.length) : source;
      const fs = await import(/* @vite-ignore */ 'node:fs/promises');
      try {
        text = await fs.readFile(path, 'utf8');
      } catch (e) {
        throw new NNError(`loadModel: cannot read ${path}: ${(e as Error).message}`);
      }
    }
    return modelFromJSON(text, runtime);
  }
  return modelFromJSON(source, runtime);
}
