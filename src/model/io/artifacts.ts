/**
 * The TensorFlow.js Layers format's pieces, as tfjs-core's io module defines them: model
 * artifacts (topology, weight specs, one binary weight buffer), `model.json` with its
 * `weightsManifest`, and the encoding of weights in that buffer (little-endian, in spec order;
 * float32 and int32, and on reading the converter's uint8 / uint16 / float16 quantization).
 */
import { NNError, formatShape } from '../../errors';
import { sizeOf } from '../../shape';

export type WeightDtype = 'float32' | 'int32' | 'bool';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: WeightDtype | string;
  /** 'optimizer' for optimizer state (tfjs writes it so with includeOptimizer). */
  group?: string;
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number; original_dtype?: string };
}

/** tfjs-core's ModelArtifacts (the JSON-topology case). */
export interface ModelArtifacts {
  modelTopology: Record<string, unknown>;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightSpecs?: WeightSpec[];
  weightData?: ArrayBuffer | ArrayBuffer[];
  trainingConfig?: Record<string, unknown>;
  userDefinedMetadata?: Record<string, unknown>;
}

/** tfjs-core's SaveResult. */
export interface SaveResult {
  modelArtifactsInfo: {
    dateSaved: Date;
    modelTopologyType: 'JSON';
    modelTopologyBytes: number;
    weightSpecsBytes: number;
    weightDataBytes: number;
  };
}

/**
 * A tfjs-style IO handler: what `tf.io.withSaveHandler`, `tf.io.fromMemory`, `tf.io.http` ...
 * return. Typed loosely so that tfjs's own handlers (typed with tfjs's ModelArtifacts) fit;
 * `save` is handed a ModelArtifacts, `load` must return one.
 */
export interface IOHandler {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  save?: (artifacts: any) => Promise<unknown>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  load?: () => Promise<any>;
}

/** model.json as tfjs's file, HTTP and download handlers write it. */
export interface ModelJSONFile {
  modelTopology: Record<string, unknown>;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest?: { paths: string[]; weights: WeightSpec[] }[];
  trainingConfig?: Record<string, unknown>;
  userDefinedMetadata?: Record<string, unknown>;
}

/** A weight on the host, as encoded into / decoded from the weight buffer. */
export interface NamedValues {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  values: Float32Array | Int32Array;
  group?: string;
}


export function joinBuffers(data: ArrayBuffer | ArrayBuffer[] | ArrayBufferView | undefined): ArrayBuffer {
  if (data === undefined) return new ArrayBuffer(0);
  if (ArrayBuffer.isView(data)) return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  if (!Array.isArray(data)) return data;
  if (data.length === 1) return data[0];
  const out = new Uint8Array(data.reduce((s, b) => s + b.byteLength, 0));
  let at = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  return out.buffer;
}

/** Weights -> specs + one buffer, in order (tfjs's io.encodeWeights). */
export function encodeWeights(weights: readonly NamedValues[]): { specs: WeightSpec[]; data: ArrayBuffer } {
  const bytes = weights.reduce((s, w) => s + 4 * w.values.length, 0);
  const out = new Uint8Array(bytes);
  let at = 0;
  const specs = weights.map((w) => {
    if (w.values.length !== sizeOf(w.shape)) throw new NNError(`save: weight '${w.name}' has ${w.values.length} values for shape ${formatShape(w.shape)}`);
    // Typed arrays are little-endian on every platform WebGPU runs on; tfjs assumes the same.
    const typed = w.dtype === 'int32' ? Int32Array.from(w.values) : Float32Array.from(w.values);
    out.set(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength), at);
    at += typed.byteLength;
    const spec: WeightSpec = { name: w.name, shape: [...w.shape], dtype: w.dtype };
    if (w.group) spec.group = w.group;
    return spec;
  });
  return { specs, data: out.buffer };
}

function float16ToFloat32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Buffer + specs -> weights, in spec order (tfjs's io.decodeWeights, with dequantization). */
export function decodeWeights(data: ArrayBuffer, specs: readonly WeightSpec[], op = 'loadModel'): NamedValues[] {
  const out: NamedValues[] = [];
  let at = 0;
  for (const spec of specs) {
    if (!spec || typeof spec.name !== 'string' || !Array.isArray(spec.shape)) throw new NNError(`${op}: corrupt weight spec ${JSON.stringify(spec)}`);
    const n = sizeOf(spec.shape);
    const q = spec.quantization;
    const itemBytes = q ? (q.dtype === 'uint8' ? 1 : q.dtype === 'uint16' || q.dtype === 'float16' ? 2 : 0) : spec.dtype === 'float32' || spec.dtype === 'int32' ? 4 : spec.dtype === 'bool' ? 1 : 0;
    if (itemBytes === 0) throw new NNError(`${op}: weight '${spec.name}' has unsupported dtype ${JSON.stringify(q ? q.dtype : spec.dtype)} (supported: float32, int32, bool; quantized uint8, uint16, float16)`);
    const bytes = n * itemBytes;
    if (at + bytes > data.byteLength) throw new NNError(`${op}: the weight data is too short: weight '${spec.name}' needs bytes ${at}..${at + bytes}, the data has ${data.byteLength}`);
    const view = new DataView(data, at, bytes);
    const isInt = spec.dtype === 'int32' || spec.dtype === 'bool';
    const plain = !q && spec.dtype !== 'bool';
    // float32 / int32: a copy of the bytes (little-endian, as tfjs assumes); else value by value.
    const values = plain ? (isInt ? new Int32Array(data.slice(at, at + bytes)) : new Float32Array(data.slice(at, at + bytes))) : isInt ? new Int32Array(n) : new Float32Array(n);
    // value by value: bool, or quantized
    for (let i = 0; !plain && i < n; i++) {
      if (!q) values[i] = view.getUint8(i);
      else if (q.dtype === 'float16') values[i] = float16ToFloat32(view.getUint16(2 * i, true));
      else values[i] = (q.dtype === 'uint8' ? view.getUint8(i) : view.getUint16(2 * i, true)) * (q.scale ?? 1) + (q.min ?? 0);
    }
    at += bytes;
    out.push({ name: spec.name, shape: [...spec.shape], dtype: isInt ? 'int32' : 'float32', values, ...(spec.group ? { group: spec.group } : {}) });
  }
  return out;
}

/** model.json for artifacts whose weights are stored at `paths` (tfjs's getModelJSONForModelArtifacts: same keys, same order). */
export function modelJSONFor(a: ModelArtifacts, paths: string[]): ModelJSONFile {
  const out: ModelJSONFile = {
    modelTopology: a.modelTopology,
    format: a.format,
    generatedBy: a.generatedBy,
    convertedBy: a.convertedBy,
    weightsManifest: [{ paths, weights: a.weightSpecs ?? [] }],
  };
  if (a.userDefinedMetadata != null) out.userDefinedMetadata = a.userDefinedMetadata;
  if (a.trainingConfig != null) out.trainingConfig = a.trainingConfig;
  return out;
}

/** Artifacts from model.json and a reader of the files its manifest names (in manifest order). */
export async function artifactsFromModelJSON(json: ModelJSONFile, read: (paths: string[]) => Promise<ArrayBuffer[]>): Promise<ModelArtifacts> {
  const a: ModelArtifacts = { modelTopology: json.modelTopology, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy };
  if (json.trainingConfig != null) a.trainingConfig = json.trainingConfig;
  if (json.userDefinedMetadata != null) a.userDefinedMetadata = json.userDefinedMetadata;
  if (json.weightsManifest != null) {
    if (!Array.isArray(json.weightsManifest)) throw new NNError('loadModel: corrupt model.json: weightsManifest is not an array');
    const paths: string[] = [];
    const specs: WeightSpec[] = [];
    for (const g of json.weightsManifest) {
      if (!g || !Array.isArray(g.paths) || !Array.isArray(g.weights)) throw new NNError('loadModel: corrupt model.json: a weightsManifest entry lacks paths or weights');
      paths.push(...g.paths);
      specs.push(...g.weights);
    }
    a.weightSpecs = specs;
    a.weightData = joinBuffers(await read(paths));
  }
  return a;
}

const byteLength = (s: string) => new TextEncoder().encode(s).length;

/** tfjs's getModelArtifactsInfoForJSON. */
export function artifactsInfo(a: ModelArtifacts): SaveResult['modelArtifactsInfo'] {
  return {
    dateSaved: new Date(),
    modelTopologyType: 'JSON',
    modelTopologyBytes: byteLength(JSON.stringify(a.modelTopology)),
    weightSpecsBytes: a.weightSpecs ? byteLength(JSON.stringify(a.weightSpecs)) : 0,
    weightDataBytes: joinBuffers(a.weightData).byteLength,
  };
}
