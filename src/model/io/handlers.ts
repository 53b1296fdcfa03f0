/**
 * Where models are saved and loaded, with TensorFlow.js's URL schemes and storage layouts, so
 * that tfjs and this library read each other's saves:
 * - `file://dir` (Node): dir/model.json + dir/weights.bin, as tfjs-node; `file://path/name.json`:
 *   that file + name.weights.bin beside it. Loading takes model.json's path or its folder.
 * - `localstorage://name`: tfjs's keys `tensorflowjs_models/name/{info, model_topology,
 *   weight_specs, weight_data (base64), model_metadata}`.
 * - `indexeddb://name`: tfjs's database `tensorflowjs` (stores `models_store`, `model_info_store`).
 * - `downloads://name` (save): name.json + name.weights.bin as downloads.
 * - `http(s)://...` or a relative URL in a page (load): model.json, then the weight files its
 *   manifest names, relative to it (with its query string, as tfjs).
 */
import { NNError } from '../../errors';
import { isNode } from '../../gpu/device';
import { artifactsInfo, joinBuffers, modelJSONFor, type ModelArtifacts, type SaveResult } from './artifacts';

/** What a URL holds: model.json-like JSON with a reader of its weight files, or whole artifacts. */
export type Source =
  | { kind: 'json'; json: unknown; read: (paths: string[]) => Promise<ArrayBuffer[]> }
  | { kind: 'artifacts'; artifacts: ModelArtifacts };


const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;

function parse(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new NNError(`loadModel: corrupt or unsupported model file: ${where} is not valid JSON (${(e as Error).message})`);
  }
}

// ------------------------------------------------------------------ files (Node)

async function node() {
  const fs = await import(/* @vite-ignore */ 'node:fs/promises');
  const path = await import(/* @vite-ignore */ 'node:path');
  return { fs, path };
}

async function fileSave(target: string, a: ModelArtifacts): Promise<SaveResult> {
  const { fs, path } = await node();
  const isJson = /\.json$/i.test(target);
  const dir = isJson ? path.dirname(target) : target;
  const jsonName = isJson ? path.basename(target) : 'model.json';
  const binName = isJson ? `${jsonName.slice(0, -'.json'.length)}.weights.bin` : 'weights.bin';
  const st = await fs.stat(dir).catch(() => null);
  if (st && !st.isDirectory()) throw new NNError(`save: ${dir} exists and is not a folder (give 'file://folder' or 'file://folder/name.json')`);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, binName), new Uint8Array(joinBuffers(a.weightData)));
  await fs.writeFile(path.join(dir, jsonName), JSON.stringify(modelJSONFor(a, [binName])));
  return { modelArtifactsInfo: artifactsInfo(a) };
}

async function fileLoad(target: string): Promise<Source> {
  const { fs, path } = await node();
  let file = target;
  const st = await fs.stat(file).catch(() => null);
  if (st?.isDirectory()) file = path.join(file, 'model.json');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new NNError(`loadModel: cannot read ${file}: ${(e as Error).message}`);
  }
  const dir = path.dirname(file);
  const read = (paths: string[]) =>
    Promise.all(
      paths.map(async (p) => {
        const f = path.resolve(dir, p);
        try {
          const b = await fs.readFile(f);
          return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
        } catch (e) {
          throw new NNError(`loadModel: cannot read the weight file ${f} named by ${file}: ${(e as Error).message}`);
        }
      }),
    );
  return { kind: 'json', json: parse(text, file), read };
}

// ------------------------------------------------------------------ HTTP (load)

async function httpLoad(url: string): Promise<Source> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new NNError(`loadModel: fetching ${url} failed: ${(e as Error).message}`);
  }
  if (!res.ok) throw new NNError(`loadModel: fetching ${url} failed: HTTP ${res.status}`);
  const text = await res.text();
  // Weight paths are relative to model.json and carry its query string (tfjs's parseUrl).
  const q = url.indexOf('?');
  const base = q >= 0 ? url.slice(0, q) : url;
  const suffix = q >= 0 ? url.slice(q) : '';
  const prefix = base.slice(0, base.lastIndexOf('/') + 1);
  const read = (paths: string[]) =>
    Promise.all(
      paths.map(async (p) => {
        const u = SCHEME.test(p) ? p : prefix + p.replace(/^\.\//, '') + suffix;
        const r = await fetch(u).catch((e: Error) => {
          throw new NNError(`loadModel: fetching the weight file ${u} failed: ${e.message}`);
        });
        if (!r.ok) throw new NNError(`loadModel: fetching the weight file ${u} failed: HTTP ${r.status}`);
        return r.arrayBuffer();
      }),
    );
  return { kind: 'json', json: parse(text, url), read };
}

// ------------------------------------------------------------------ localStorage (tfjs's layout)

const LS_PREFIX = 'tensorflowjs_models';
const lsKeys = (p: string) => ({
  info: `${LS_PREFIX}/${p}/info`,
  topology: `${LS_PREFIX}/${p}/model_topology`,
  weightSpecs: `${LS_PREFIX}/${p}/weight_specs`,
  weightData: `${LS_PREFIX}/${p}/weight_data`,
  modelMetadata: `${LS_PREFIX}/${p}/model_metadata`,
});

function storage(op: string): Storage {
  const ls = (globalThis as { localStorage?: Storage }).localStorage;
  if (!ls || isNode()) throw new NNError(`${op}: 'localstorage://' needs a browser's localStorage; in Node use 'file://folder'`);
  return ls;
}

function toBase64(buf: ArrayBuffer): string {
  const b = new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(s: string): ArrayBuffer {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out.buffer;
}

function lsSave(name: string, a: ModelArtifacts): SaveResult {
  const ls = storage('save');
  const keys = lsKeys(name);
  const info = artifactsInfo(a);
  try {
    ls.setItem(keys.info, JSON.stringify(info));
    ls.setItem(keys.topology, JSON.stringify(a.modelTopology));
    ls.setItem(keys.weightSpecs, JSON.stringify(a.weightSpecs ?? []));
    ls.setItem(keys.weightData, toBase64(joinBuffers(a.weightData)));
    const meta = { format: a.format, generatedBy: a.generatedBy, convertedBy: a.convertedBy, userDefinedMetadata: a.userDefinedMetadata, trainingConfig: a.trainingConfig };
    ls.setItem(keys.modelMetadata, JSON.stringify(meta));
  } catch (e) {
    for (const k of Object.values(keys)) ls.removeItem(k);
    throw new NNError(`save: saving '${name}' to localStorage failed (${(e as Error).message}); the storage quota (~5 MB) may be exceeded: ${info.weightDataBytes} bytes of weights`);
  }
  return { modelArtifactsInfo: info };
}

function lsLoad(name: string): Source {
  const ls = storage('loadModel');
  const keys = lsKeys(name);
  const get = (k: string, what: string) => {
    const v = ls.getItem(k);
    if (v === null) throw new NNError(`loadModel: localStorage has no ${what} for model '${name}'${what === 'info' ? '' : ' (incomplete save)'}`);
    return v;
  };
  const info = parse(get(keys.info, 'info'), `${keys.info}`) as { modelTopologyType?: string };
  if (info?.modelTopologyType !== 'JSON') throw new NNError(`loadModel: model '${name}' in localStorage has a non-JSON topology`);
  const a: ModelArtifacts = {
    modelTopology: parse(get(keys.topology, 'topology'), keys.topology) as Record<string, unknown>,
    weightSpecs: parse(get(keys.weightSpecs, 'weight specs'), keys.weightSpecs) as ModelArtifacts['weightSpecs'],
    weightData: fromBase64(get(keys.weightData, 'weight data')),
  };
  const metaText = ls.getItem(keys.modelMetadata);
  if (metaText !== null) {
    const m = parse(metaText, keys.modelMetadata) as Partial<ModelArtifacts>;
    Object.assign(a, { format: m.format, generatedBy: m.generatedBy, convertedBy: m.convertedBy });
    if (m.trainingConfig != null) a.trainingConfig = m.trainingConfig;
    if (m.userDefinedMetadata != null) a.userDefinedMetadata = m.userDefinedMetadata;
  }
  return { kind: 'artifacts', artifacts: a };
}

// ------------------------------------------------------------------ IndexedDB (tfjs's layout)

const DB_NAME = 'tensorflowjs';
const MODEL_STORE = 'models_store';
const INFO_STORE = 'model_info_store';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function openDB(op: string): Promise<IDBDatabase> {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb || isNode()) throw new NNError(`${op}: 'indexeddb://' needs a browser's IndexedDB; in Node use 'file://folder'`);
  const open = idb.open(DB_NAME, 1);
  open.onupgradeneeded = () => {
    open.result.createObjectStore(MODEL_STORE, { keyPath: 'modelPath' });
    open.result.createObjectStore(INFO_STORE, { keyPath: 'modelPath' });
  };
  return request(open);
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

async function idbSave(name: string, a: ModelArtifacts): Promise<SaveResult> {
  const db = await openDB('save');
  try {
    const artifacts = { ...a, weightData: joinBuffers(a.weightData) };
    const info = artifactsInfo(artifacts);
    const infoTx = db.transaction(INFO_STORE, 'readwrite');
    infoTx.objectStore(INFO_STORE).put({ modelPath: name, modelArtifactsInfo: info });
    await done(infoTx);
    const tx = db.transaction(MODEL_STORE, 'readwrite');
    tx.objectStore(MODEL_STORE).put({ modelPath: name, modelArtifacts: artifacts, modelArtifactsInfo: info });
    await done(tx);
    return { modelArtifactsInfo: info };
  } catch (e) {
    throw new NNError(`save: saving '${name}' to IndexedDB failed: ${(e as Error)?.message ?? String(e)}`);
  } finally {
    db.close();
  }
}

async function idbLoad(name: string): Promise<Source> {
  const db = await openDB('loadModel');
  try {
    const tx = db.transaction(MODEL_STORE, 'readonly');
    const row = (await request(tx.objectStore(MODEL_STORE).get(name))) as { modelArtifacts?: ModelArtifacts } | undefined;
    if (!row?.modelArtifacts) throw new NNError(`loadModel: IndexedDB has no model '${name}'`);
    return { kind: 'artifacts', artifacts: row.modelArtifacts };
  } finally {
    db.close();
  }
}

// ------------------------------------------------------------------ downloads (save)

async function downloadsSave(prefix: string, a: ModelArtifacts): Promise<SaveResult> {
  const doc = (globalThis as { document?: Document }).document;
  if (!doc) throw new NNError(`save: 'downloads://' needs a browser; in Node use 'file://folder'`);
  const stem = (prefix || 'model').replace(/\.json$/i, '');
  const binName = `${stem}.weights.bin`;
  const files: [string, Blob][] = [
    [`${stem}.json`, new Blob([JSON.stringify(modelJSONFor(a, [`./${binName}`]))], { type: 'application/json' })],
    [binName, new Blob([joinBuffers(a.weightData)], { type: 'application/octet-stream' })],
  ];
  for (const [name, blob] of files) {
    const anchor = doc.createElement('a');
    anchor.download = name;
    anchor.href = URL.createObjectURL(blob);
    await new Promise((r) => setTimeout(r));
    anchor.dispatchEvent(new MouseEvent('click'));
    setTimeout(() => URL.revokeObjectURL(anchor.href), 60_000);
  }
  return { modelArtifactsInfo: artifactsInfo(a) };
}

// ------------------------------------------------------------------ routing

const after = (url: string, scheme: string) => {
  const name = url.slice(scheme.length);
  if (!name) throw new NNError(`'${scheme}' needs a model name after it, e.g. '${scheme}my-model'`);
  return name;
};

/** Saves artifacts to a URL; see the file comment for the schemes. */
export async function saveArtifacts(url: string, a: ModelArtifacts): Promise<SaveResult> {
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'localstorage') return lsSave(after(url, 'localstorage://'), a);
  if (scheme === 'indexeddb') return idbSave(after(url, 'indexeddb://'), a);
  if (scheme === 'downloads') return downloadsSave(url.slice('downloads://'.length), a);
  if (scheme === 'file' || (!scheme && isNode())) {
    if (!isNode()) throw new NNError(`save: 'file://' needs Node; in a browser use 'downloads://', 'localstorage://' or 'indexeddb://'`);
    return fileSave(scheme ? url.slice('file://'.length) : url, a);
  }
  throw new NNError(`save: cannot save to ${JSON.stringify(url)}: use 'file://folder' (Node), 'downloads://name', 'localstorage://name' or 'indexeddb://name' (browser), or pass a tfjs-style IOHandler such as tf.io.http(url)`);
}

/** Reads what a URL or path holds. */
export async function loadSource(url: string): Promise<Source> {
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'localstorage') return lsLoad(after(url, 'localstorage://'));
  if (scheme === 'indexeddb') return idbLoad(after(url, 'indexeddb://'));
  if (scheme === 'file' || (!scheme && isNode())) {
    if (!isNode()) throw new NNError(`loadModel: 'file://' needs Node; in a browser load an http(s) URL, 'localstorage://name' or 'indexeddb://name'`);
    return fileLoad(scheme ? url.slice('file://'.length) : url);
  }
  if (scheme === 'http' || scheme === 'https' || !scheme) return httpLoad(url);
  throw new NNError(`loadModel: cannot load ${JSON.stringify(url)}: use a path or 'file://...' (Node), an http(s) URL, 'localstorage://name' or 'indexeddb://name'`);
}
