/**
 * Differential test against Keras 3 (issue #11): npm run check:keras [-- flags]
 *
 *   --only <substring>     run only the cases whose name contains it (repeatable)
 *   --backend gpu|cpu      one backend only (default: both)
 *   --engine fused|general one engine only (default: both)
 *   --json <file>          write every result (errors per element, timings) as JSON
 *   --list                 print the case names and exit
 *   --no-cache             rerun Keras even if .venv-keras/cache has its results for these cases
 *   --python <path>        the Python to run scripts/keras/reference.py with (default: the
 *                          venv .venv-keras, created with `pip install keras jax[cpu]` if missing)
 *
 * Defines the cases (data and initial weights from a seeded generator), has Keras 3 (JAX
 * backend, float32, shuffle=False) train them (scripts/keras/reference.py), trains the same
 * networks here on both engines and both backends, and compares per-epoch history (loss and
 * metrics), final weights, evaluate() and predict(): an element passes when
 * |ours - keras| <= RTOL * max(|ours|, |keras|) + ATOL. The table prints, per quantity, the
 * worst |ours - keras| / (max(|ours|, |keras|) + ATOL / RTOL): a relative error with the
 * absolute floor folded in, so it passes exactly when it is <= RTOL. Exit code 1 on any FAIL.
 * See docs/keras-parity.md.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rng } from '../../bench/timing';
import * as lib from '../../src/index';

const RTOL = 1e-4;
const ATOL = 1e-6;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const VENV = join(ROOT, '.venv-keras');
const REFERENCE = join(ROOT, 'scripts/keras/reference.py');

// ------------------------------------------------------------------ cases

type Target = 'real' | 'unit' | 'positive' | 'binary' | 'onehot' | 'sparse';
interface OptimizerSpec {
  /** Generic name: sgd, adam, adamw, rmsprop, adagrad (Keras 3 names; reference.py builds each). */
  name: string;
  /** camelCase (learningRate, momentum, beta1, beta2, epsilon, weightDecay, rho, initialAccumulatorValue, ...). */
  config: Record<string, number | boolean>;
}
interface CaseDef {
  name: string;
  /** [inputs, units of each layer]. */
  dims: number[];
  /** Our activation per layer (Dense `activation`). */
  acts: string[];
  /** Keras activation per layer where it is not the same name (reference.py: CUSTOM_ACTIVATIONS too). */
  keras?: (string | undefined)[];
  loss: string;
  metrics?: string[];
  optimizer: OptimizerSpec;
  n: number;
  batchSize: number;
  epochs: number;
  target: Target;
  seed: number;
  /** Initial output layer: kernel range scaled by `scale`, bias `bias` (default: glorot range, bias in [-0.1, 0.1]). */
  outputInit?: { scale?: number; bias?: number };
  /** A documented, deliberate convention difference (docs/keras-parity.md): reported DIFF, not FAIL. */
  expectDiff?: string;
}

/** FNV-1a of the name: a case's seed. */
function nameSeed(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Values rounded to float32 first, so both sides start from the same numbers. */
const f32 = Math.fround;

interface CaseData {
  x: number[][];
  y: number[][] | number[];
  weights: (number[][] | number[])[];
}

function makeData(c: CaseDef): CaseData {
  const r = rng(c.seed);
  const u = (lo: number, hi: number) => f32(lo + (hi - lo) * r());
  const D = c.dims[0];
  const K = c.dims[c.dims.length - 1];
  const x = Array.from({ length: c.n }, () => Array.from({ length: D }, () => u(-1.5, 1.5)));
  let y: number[][] | number[];
  switch (c.target) {
    case 'real':
      y = x.map(() => Array.from({ length: K }, () => u(-1, 1)));
      break;
    case 'unit':
      y = x.map(() => Array.from({ length: K }, () => u(0.1, 0.9)));
      break;
    case 'positive':
      y = x.map(() => Array.from({ length: K }, () => u(0.2, 2)));
      break;
    case 'binary':
      y = x.map(() => Array.from({ length: K }, () => (r() < 0.5 ? 0 : 1)));
      break;
    case 'onehot':
    case 'sparse': {
      // Every class appears (the first K rows take each once), then random classes.
      const labels = x.map((_, i) => (i < K ? i : Math.floor(r() * K)));
      y = c.target === 'sparse' ? labels : labels.map((l) => Array.from({ length: K }, (_, k) => (k === l ? 1 : 0)));
      break;
    }
  }
  const weights: (number[][] | number[])[] = [];
  for (let l = 1; l < c.dims.length; l++) {
    const fin = c.dims[l - 1];
    const fout = c.dims[l];
    const last = l === c.dims.length - 1 ? c.outputInit : undefined;
    const a = Math.sqrt(6 / (fin + fout)) * (last?.scale ?? 1); // glorot uniform's range
    weights.push(Array.from({ length: fin }, () => Array.from({ length: fout }, () => u(-a, a))));
    weights.push(Array.from({ length: fout }, () => (last?.bias !== undefined ? f32(last.bias) : u(-0.1, 0.1))));
  }
  return { x, y, weights };
}

const sgd = (learningRate: number, momentum = 0): OptimizerSpec => ({ name: 'sgd', config: momentum ? { learningRate, momentum } : { learningRate } });

function defineCases(): CaseDef[] {
  const cases: CaseDef[] = [];
  // The seed comes from the name, so adding a case leaves the others' data as it was.
  const add = (c: Omit<CaseDef, 'seed'>) => cases.push({ ...c, seed: nameSeed(c.name) });

  // SGD with and without momentum; batch size 1, odd (3 of 10: 3, 3, 3, 1), full.
  for (const m of [0, 0.9]) {
    for (const [b, epochs] of [[1, 20], [3, 20], [10, 60]] as const) {
      add({
        name: `sgd${m ? '-m0.9' : ''}-b${b === 10 ? 'full' : b}`,
        dims: [3, 4, 2], acts: ['tanh', 'linear'], loss: 'mse', metrics: ['mae'],
        optimizer: sgd(m ? 0.02 : 0.05, m), n: 10, batchSize: b, epochs, target: 'real',
      });
    }
  }

  // Every loss.
  const lossCase = (name: string, dims: number[], acts: string[], loss: string, target: Target, extra: Partial<CaseDef> = {}) =>
    add({ name, dims, acts, loss, optimizer: sgd(0.1, 0.5), n: 10, batchSize: 3, epochs: 20, target, ...extra });
  lossCase('loss-mae', [3, 4, 2], ['relu', 'linear'], 'mae', 'real', { metrics: ['mse'] });
  lossCase('loss-halfSquaredError', [3, 4, 2], ['tanh', 'linear'], 'halfSquaredError', 'real', { metrics: ['mse'] });
  lossCase('loss-bce-sigmoid', [3, 4, 1], ['relu', 'sigmoid'], 'binaryCrossentropy', 'binary', { metrics: ['mse'] });
  lossCase('loss-bce-sigmoid-multilabel', [3, 4, 2], ['tanh', 'sigmoid'], 'binaryCrossentropy', 'binary');
  // Issue #11's known failure 2: binary cross-entropy on a linear output, some rows inside (0, 1), some outside.
  lossCase('loss-bce-linear-2-4-1', [2, 4, 1], ['relu', 'linear'], 'binaryCrossentropy', 'binary', { outputInit: { scale: 0.5, bias: 0.5 }, optimizer: sgd(0.02, 0.5) });
  lossCase('loss-cce-softmax', [3, 5, 3], ['tanh', 'softmax'], 'categoricalCrossentropy', 'onehot', { metrics: ['mse'] });
  // Issue #11's known failure 1: categorical cross-entropy on a sigmoid output (rows normalised by Keras).
  lossCase('loss-cce-sigmoid-2-4-4', [2, 4, 4], ['relu', 'sigmoid'], 'categoricalCrossentropy', 'onehot', { metrics: ['mse'] });
  lossCase('loss-cce-softplus', [3, 4, 3], ['tanh', 'softplus'], 'categoricalCrossentropy', 'onehot');
  // Saturated outputs: some softmax / sigmoid probabilities below Keras's clip (1e-7) or above 1 - 1e-7.
  // Keras 3 on JAX differentiates through the clip (gradient 0 there: those rows stop learning); the
  // library (and Keras 3 on TensorFlow, which finds the logits behind a softmax / sigmoid output)
  // takes the gradient from the logits, p - t.
  const saturated = 'softmax / sigmoid + cross-entropy: gradient from the logits (p - t), as Keras 3 on TensorFlow; Keras 3 on JAX clips the probabilities first, so saturated rows get gradient 0';
  lossCase('loss-cce-softmax-saturated', [3, 3, 3], ['tanh', 'softmax'], 'categoricalCrossentropy', 'onehot', { outputInit: { scale: 12 }, expectDiff: saturated });
  lossCase('loss-bce-sigmoid-saturated', [3, 3, 1], ['tanh', 'sigmoid'], 'binaryCrossentropy', 'binary', { outputInit: { scale: 1, bias: 20 }, expectDiff: saturated });
  lossCase('loss-sparse-cce-softmax', [3, 5, 3], ['relu', 'softmax'], 'sparseCategoricalCrossentropy', 'sparse');
  lossCase('loss-mse-softmax', [3, 4, 3], ['tanh', 'softmax'], 'mse', 'onehot');

  // Every activation Keras 3 also has: hidden and output layer, mse, 3 steps per epoch.
  const actCase = (act: string, target: Target, keras?: string, extra: Partial<CaseDef> = {}) =>
    add({
      name: `act-${act}${keras && keras !== act ? `-vs-${keras}` : ''}`,
      dims: [3, 5, 2], acts: [act, act], keras: keras ? [keras, keras] : undefined, loss: 'mse',
      optimizer: sgd(0.05, 0.5), n: 12, batchSize: 4, epochs: 20, target, ...extra,
    });
  actCase('relu', 'unit');
  actCase('sigmoid', 'unit');
  actCase('tanh', 'real');
  actCase('linear', 'real');
  actCase('elu', 'real');
  actCase('selu', 'real');
  actCase('celu', 'real');
  actCase('softplus', 'positive');
  actCase('softsign', 'real');
  actCase('silu', 'real');
  actCase('swish', 'real');
  actCase('gelu', 'real');
  actCase('mish', 'real');
  actCase('leakyRelu', 'real', 'leaky_relu');
  actCase('relu6', 'unit');
  actCase('hardSwish', 'real', 'hard_swish');
  // hardSigmoid: ours has the Keras 2 / tfjs defaults, clip(0.2 x + 0.5, 0, 1); Keras 3's is relu6(x + 3) / 6.
  actCase('hardSigmoid', 'unit', 'hard_sigmoid_keras2');
  actCase('hardSigmoid', 'unit', 'hard_sigmoid', {
    expectDiff: "hardSigmoid keeps Keras 2 / tfjs's slope 0.2 (Keras 3: 1/6, i.e. relu6(x + 3) / 6)",
  });
  // exponential: not in the library's table; a user-defined activation (the fused 'custom' slot).
  actCase('exponential', 'positive', undefined, { optimizer: sgd(0.02, 0.5) });
  add({ name: 'act-softmax', dims: [3, 5, 3], acts: ['relu', 'softmax'], loss: 'categoricalCrossentropy', optimizer: sgd(0.1, 0.5), n: 12, batchSize: 4, epochs: 20, target: 'onehot' });

  // Deeper and wider: 4 layers of mixed activations; a net past the fused kernel's register class (> 64 parameters).
  add({
    name: 'net-3-6-5-4-2-mixed', dims: [3, 6, 5, 4, 2], acts: ['relu', 'tanh', 'sigmoid', 'linear'], loss: 'mse', metrics: ['mae'],
    optimizer: sgd(0.05, 0.9), n: 12, batchSize: 5, epochs: 20, target: 'real',
  });
  add({
    name: 'net-6-12-8-4-softmax', dims: [6, 12, 8, 4], acts: ['relu', 'tanh', 'softmax'], loss: 'categoricalCrossentropy',
    optimizer: sgd(0.05, 0.9), n: 32, batchSize: 8, epochs: 10, target: 'onehot',
  });

  // Every optimizer: Keras 3's defaults except the learning rate.
  const optCase = (name: string, variant: string, config: Record<string, number | boolean>) =>
    add({
      name: `opt-${name}${variant ? `-${variant}` : ''}`, dims: [3, 4, 2], acts: ['tanh', 'linear'], loss: 'mse', metrics: ['mae'],
      optimizer: { name, config: { learningRate: 0.01, ...config } }, n: 10, batchSize: 3, epochs: 20, target: 'real',
    });
  optCase('sgd', 'nesterov', { momentum: 0.9, nesterov: true });
  optCase('sgd', 'wd', { momentum: 0.5, weightDecay: 0.01 });
  optCase('adam', '', {});
  optCase('adam', 'amsgrad', { amsgrad: true });
  optCase('adamw', '', { weightDecay: 0.004 });
  optCase('rmsprop', '', {});
  optCase('rmsprop', 'centered-m0.5', { momentum: 0.5, centered: true });
  optCase('adagrad', '', {});
  const names = new Set<string>();
  for (const c of cases) {
    if (names.has(c.name)) throw new Error(`check:keras: two cases named '${c.name}'`);
    names.add(c.name);
  }
  return cases;
}

// ------------------------------------------------------------------ Keras side

function parseArgs(argv: string[]) {
  const a = { only: [] as string[], backends: ['gpu', 'cpu'] as ('gpu' | 'cpu')[], engines: ['fused', 'general'] as ('fused' | 'general')[], json: null as string | null, list: false, python: null as string | null, cache: true };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`check:keras: ${f} needs a value`);
      return v;
    };
    if (f === '--') continue;
    else if (f === '--only') a.only.push(next());
    else if (f === '--json') a.json = resolve(next());
    else if (f === '--python') a.python = next();
    else if (f === '--list') a.list = true;
    else if (f === '--no-cache') a.cache = false;
    else if (f === '--backend') {
      const v = next();
      if (v !== 'gpu' && v !== 'cpu') throw new Error(`check:keras: --backend takes gpu or cpu, got '${v}'`);
      a.backends = [v];
    } else if (f === '--engine') {
      const v = next();
      if (v !== 'fused' && v !== 'general') throw new Error(`check:keras: --engine takes fused or general, got '${v}'`);
      a.engines = [v];
    } else throw new Error(`check:keras: unknown flag '${f}' (flags: --only <substring>, --backend gpu|cpu, --engine fused|general, --json <file>, --list, --no-cache, --python <path>)`);
  }
  return a;
}

/** The venv's Python, made (python3 -m venv; pip install keras jax[cpu]) if missing. */
function ensurePython(explicit: string | null): string {
  if (explicit) return explicit;
  const py = join(VENV, 'bin', 'python');
  const has = () => existsSync(py) && spawnSync(py, ['-c', 'import keras, jax'], { env: { ...process.env, KERAS_BACKEND: 'jax' }, stdio: 'ignore' }).status === 0;
  if (has()) return py;
  if (!existsSync(py)) {
    console.log(`check:keras: creating ${VENV}`);
    execFileSync(process.env.PYTHON ?? 'python3', ['-m', 'venv', VENV], { stdio: 'inherit' });
  }
  console.log('check:keras: pip install keras jax[cpu] (once)');
  execFileSync(py, ['-m', 'pip', 'install', '--quiet', 'keras', 'jax[cpu]'], { stdio: 'inherit' });
  if (!has()) throw new Error(`check:keras: ${py} still cannot import keras and jax`);
  return py;
}

interface KerasResult {
  name: string;
  error?: string;
  history: Record<string, number[]>;
  weights: unknown[];
  evaluate: number[];
  predict: number[][];
  seconds: number;
}
interface KerasOutput {
  keras: string;
  jax: string;
  backend: string;
  floatx: string;
  results: KerasResult[];
}

/** The cases as reference.py reads them. */
function kerasInput(cases: { def: CaseDef; data: CaseData }[]): string {
  return JSON.stringify(
    cases.map(({ def, data }) => ({
      name: def.name,
      inputDim: def.dims[0],
      layers: def.dims.slice(1).map((units, l) => ({ units, activation: def.acts[l], keras: kerasActivation(def, l) })),
      weights: data.weights,
      x: data.x,
      y: data.y,
      loss: def.loss,
      metrics: def.metrics ?? [],
      optimizer: def.optimizer,
      batchSize: def.batchSize,
      epochs: def.epochs,
    })),
  );
}

/** Installed versions in the venv (the dist-info folders), so a cache entry dies with an upgrade. */
function venvVersions(python: string): string {
  const lib = join(dirname(dirname(python)), 'lib');
  if (!existsSync(lib)) return python;
  return readdirSync(lib)
    .map((py) => join(lib, py, 'site-packages'))
    .filter((d) => existsSync(d))
    .flatMap((d) => readdirSync(d).filter((f) => /^(keras|jax|jaxlib|numpy)-.*\.dist-info$/.test(f)))
    .sort()
    .join(',');
}

/**
 * Runs reference.py on the cases. Results are cached in .venv-keras/cache by a hash of the input,
 * reference.py and the installed versions.
 */
function runKeras(python: string, cases: { def: CaseDef; data: CaseData }[], useCache: boolean): Promise<KerasOutput & { cached: boolean; seconds: number }> {
  const input = kerasInput(cases);
  const key = createHash('sha256').update(input).update(readFileSync(REFERENCE)).update(venvVersions(python)).digest('hex').slice(0, 24);
  const cacheFile = join(VENV, 'cache', `${key}.json`);
  if (useCache && existsSync(cacheFile)) return Promise.resolve({ ...(JSON.parse(readFileSync(cacheFile, 'utf8')) as KerasOutput), cached: true, seconds: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'keras-check-'));
  const inFile = join(dir, 'cases.json');
  const outFile = join(dir, 'results.json');
  writeFileSync(inFile, input);
  const t0 = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(python, [REFERENCE, inFile, outFile], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        if (code !== 0) throw new Error(`check:keras: ${python} ${REFERENCE} exited with ${code}`);
        const text = readFileSync(outFile, 'utf8');
        mkdirSync(dirname(cacheFile), { recursive: true });
        writeFileSync(cacheFile, text);
        resolvePromise({ ...(JSON.parse(text) as KerasOutput), cached: false, seconds: (performance.now() - t0) / 1000 });
      } catch (e) {
        reject(e);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

/** Keras names of our activations (most are the same; leakyRelu -> leaky_relu, hardSwish -> hard_swish, ...). */
function kerasActivation(def: CaseDef, l: number): string {
  const k = def.keras?.[l];
  if (k) return k;
  const ours = def.acts[l];
  return ({ leakyRelu: 'leaky_relu', hardSigmoid: 'hard_sigmoid', hardSwish: 'hard_swish' } as Record<string, string>)[ours] ?? ours;
}

// ------------------------------------------------------------------ our side

type Lib = typeof lib;
type Runtime = Awaited<ReturnType<Lib['createRuntime']>>;

interface Quantity {
  /** Worst |a - b| / (max(|a|, |b|) + ATOL / RTOL); passes when <= RTOL. Infinity for NaN or a shape mismatch. */
  err: number;
  /** Worst plain |a - b| and |a - b| / max(|a|, |b|), and where. */
  abs: number;
  rel: number;
  at: string;
  ours?: number;
  keras?: number;
}
type Status = 'PASS' | 'FAIL' | 'SKIP' | 'DIFF' | 'XPASS';
interface RunResult {
  case: string;
  engine: 'fused' | 'general';
  backend: 'gpu' | 'cpu';
  status: Status;
  note?: string;
  seconds?: number;
  history?: Quantity;
  weights?: Quantity;
  evaluate?: Quantity;
  predict?: Quantity;
  /** Our values and Keras's, flattened (in the --json dump). */
  values?: Record<'history' | 'weights' | 'evaluate' | 'predict', { ours: number[]; keras: number[] }>;
}

/** Our optimizer for a case: the library's factory of that name (sgd(config), adam(config), ...). */
function ourOptimizer(spec: OptimizerSpec): unknown {
  const factory = (lib as unknown as Record<string, unknown>)[spec.name];
  if (typeof factory !== 'function') throw new Error(`the library has no optimizer factory '${spec.name}'`);
  return (factory as (c: unknown) => unknown)(spec.config);
}

function compare(ours: ArrayLike<number>, keras: ArrayLike<number>, label: (i: number) => string): Quantity {
  if (ours.length !== keras.length) return { err: Infinity, abs: Infinity, rel: Infinity, at: `length ${ours.length} vs ${keras.length}` };
  const q: Quantity = { err: 0, abs: 0, rel: 0, at: '' };
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i];
    const b = keras[i];
    const d = Math.abs(a - b);
    const m = Math.max(Math.abs(a), Math.abs(b));
    const err = Number.isNaN(d) ? Infinity : d / (m + ATOL / RTOL);
    if (err > q.err || (i === 0 && err === Infinity)) Object.assign(q, { err, at: label(i), ours: a, keras: b });
    if (!(d <= q.abs)) q.abs = Number.isNaN(d) ? Infinity : d;
    const rel = m === 0 ? 0 : d / m;
    if (!(rel <= q.rel)) q.rel = Number.isNaN(rel) ? Infinity : rel;
  }
  return q;
}

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);

/** What one of our runs produced (or why it did not run). */
interface Ours {
  skip?: string;
  error?: string;
  seconds: number;
  history?: Record<string, number[]>;
  weights?: number[];
  weightLabels?: string[];
  evaluate?: number[];
  predict?: number[];
}

async function runOurs(rt: Runtime, engine: 'fused' | 'general', def: CaseDef, data: CaseData): Promise<Ours> {
  const layers = [lib.Input({ shape: [def.dims[0]] }), ...def.dims.slice(1).map((units, l) => lib.Dense({ units, activation: def.acts[l] }))];
  const model = new lib.Sequential(layers, { runtime: rt });
  const t0 = performance.now();
  const seconds = () => (performance.now() - t0) / 1000;
  try {
    model.setWeights(data.weights);
    model.compile({ optimizer: ourOptimizer(def.optimizer) as never, loss: def.loss, metrics: def.metrics ?? [] });
    let history: { history: Record<string, number[]> };
    try {
      history = await model.fit(data.x, data.y, { epochs: def.epochs, batchSize: def.batchSize, shuffle: false, engine });
    } catch (e) {
      const m = String((e as Error).message);
      if (engine === 'fused' && m.includes("engine 'fused' cannot train this network")) return { skip: m.replace(/^fit: /, ''), seconds: seconds() };
      throw e;
    }
    const w = await model.getWeights();
    const weightLabels: string[] = [];
    w.forEach((t, k) => flat(t).forEach((_, i) => weightLabels.push(`${k % 2 ? 'bias' : 'kernel'}${k >> 1}[${i}]`)));
    const ev = await model.evaluate(data.x, data.y);
    const p = await model.predict(data.x);
    const predict = Array.from(await p.read());
    p.dispose();
    return { history: history.history, weights: flat(w), weightLabels, evaluate: Array.isArray(ev) ? ev : [ev], predict, seconds: seconds() };
  } catch (e) {
    return { error: String((e as Error).message ?? e).split('\n')[0], seconds: seconds() };
  } finally {
    model.dispose();
  }
}

/** Our run against Keras's: the four quantities and the verdict. */
function judge(def: CaseDef, engine: 'fused' | 'general', backend: 'gpu' | 'cpu', ours: Ours, ref: KerasResult | undefined): RunResult {
  const base = { case: def.name, engine, backend, seconds: ours.seconds };
  if (ours.skip) return { ...base, status: 'SKIP', note: ours.skip };
  if (!ref || ref.error) return { ...base, status: 'FAIL', note: `Keras failed: ${ref?.error ?? 'no result'}` };
  if (ours.error !== undefined) return { ...base, status: def.expectDiff ? 'DIFF' : 'FAIL', note: `threw: ${ours.error}` };
  const names = ['loss', ...(def.metrics ?? [])];
  const hOurs: number[] = [];
  const hKeras: number[] = [];
  const hLabel: string[] = [];
  for (const k of names) {
    const a = ours.history![k] ?? [];
    const b = ref.history[k] ?? [];
    for (let e = 0; e < Math.max(a.length, b.length); e++) {
      hOurs.push(a[e] ?? NaN);
      hKeras.push(b[e] ?? NaN);
      hLabel.push(`${k}[epoch ${e}]`);
    }
  }
  const K = def.dims[def.dims.length - 1];
  const values = {
    history: { ours: hOurs, keras: hKeras },
    weights: { ours: ours.weights!, keras: flat(ref.weights) },
    evaluate: { ours: ours.evaluate!, keras: ref.evaluate },
    predict: { ours: ours.predict!, keras: flat(ref.predict) },
  };
  const q = {
    history: compare(values.history.ours, values.history.keras, (i) => hLabel[i]),
    weights: compare(values.weights.ours, values.weights.keras, (i) => ours.weightLabels![i] ?? `#${i}`),
    evaluate: compare(values.evaluate.ours, values.evaluate.keras, (i) => names[i] ?? `#${i}`),
    predict: compare(values.predict.ours, values.predict.keras, (i) => `row ${Math.floor(i / K)}, unit ${i % K}`),
  };
  const pass = Object.values(q).every((v) => v.err <= RTOL);
  const status: Status = def.expectDiff ? (pass ? 'XPASS' : 'DIFF') : pass ? 'PASS' : 'FAIL';
  return { ...base, status, note: def.expectDiff, ...q, values };
}

// ------------------------------------------------------------------ report

const fmt = (q: Quantity | undefined) => (q === undefined ? '-' : q.err === Infinity ? 'NaN/inf' : q.err === 0 ? '0' : q.err.toExponential(1));

function printTable(rows: RunResult[]): void {
  const head = ['case', 'engine', 'backend', 'history', 'weights', 'evaluate', 'predict', 'result'];
  const body = rows.map((r) => [r.case, r.engine, r.backend, fmt(r.history), fmt(r.weights), fmt(r.evaluate), fmt(r.predict), r.status]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 3 && i <= 6 ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ');
  console.log(line(head));
  console.log(w.map((n) => '-'.repeat(n)).join('  '));
  for (const b of body) console.log(line(b));
}

function worstDetail(r: RunResult): string {
  const qs = (['history', 'weights', 'evaluate', 'predict'] as const).filter((k) => r[k] && r[k]!.err > RTOL);
  return qs.map((k) => {
    const q = r[k]!;
    return `${k} ${fmt(q)} at ${q.at} (ours ${q.ours}, keras ${q.keras})`;
  }).join('; ');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let defs = defineCases();
  if (args.list) {
    for (const d of defs) console.log(d.name);
    return;
  }
  if (args.only.length) defs = defs.filter((d) => args.only.some((s) => d.name.includes(s)));
  if (defs.length === 0) throw new Error(`check:keras: no case matches --only ${args.only.join(', ')} (see --list)`);
  const cases = defs.map((def) => ({ def, data: makeData(def) }));

  const python = ensurePython(args.python);
  // Keras first, not beside our runs: on 2 cores the two processes slowed each other more than they
  // overlapped (lavapipe's pipeline compiles stalled for minutes behind XLA's).
  const ref = await runKeras(python, cases, args.cache);
  console.log(`Keras ${ref.keras} (${ref.backend}, ${ref.floatx}, jax ${ref.jax}): ${cases.length} cases ${ref.cached ? 'from the cache (--no-cache to rerun)' : `in ${ref.seconds.toFixed(1)} s`}`);

  // Dawn's Vulkan loader wants a runtime directory.
  if (!process.env.XDG_RUNTIME_DIR && args.backends.includes('gpu')) process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'xdg-'));
  const runs: { def: CaseDef; engine: 'fused' | 'general'; backend: 'gpu' | 'cpu'; ours: Ours }[] = [];
  for (const backend of args.backends) {
    const t0 = performance.now();
    const rt = await lib.createRuntime(backend === 'cpu' ? { backend: 'cpu' } : {});
    // exponential is not in the library's table: a user-defined activation (the fused kernel's custom slot).
    await rt.defineActivation('exponential', {
      wgsl: { forward: 'exp(x)', backward: 'dy * y' },
      cpu: { forward: (x: number) => Math.exp(x), backward: (_x: number, y: number, dy: number) => dy * y },
    });
    for (const [i, { def, data }] of cases.entries()) {
      if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${backend} ${i + 1}/${cases.length} ${def.name}`);
      for (const engine of args.engines) runs.push({ def, engine, backend, ours: await runOurs(rt, engine, def, data) });
    }
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    rt.dispose();
    console.log(`ours, ${backend}: ${cases.length} cases x ${args.engines.length} engines in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const refs = new Map(ref.results.map((r) => [r.name, r]));
  const rows = runs.map((r) => judge(r.def, r.engine, r.backend, r.ours, refs.get(r.def.name)));

  // Table in case order: each case's runs together.
  const order = new Map(cases.map(({ def }, i) => [def.name, i]));
  rows.sort((a, b) => order.get(a.case)! - order.get(b.case)!);
  console.log(`\nworst |ours - keras| / (max(|ours|, |keras|) + ${+(ATOL / RTOL).toPrecision(6)}) per quantity; PASS when every element is <= ${RTOL} (i.e. |d| <= ${RTOL} max + ${ATOL})\n`);
  printTable(rows);
  const count = (s: Status) => rows.filter((r) => r.status === s).length;
  const notes = rows.filter((r) => r.status !== 'PASS');
  if (notes.length) console.log('\nnotes:');
  for (const r of notes.filter((n) => n.status === 'FAIL' || n.status === 'XPASS')) {
    const detail = worstDetail(r);
    console.log(`  ${r.status} ${r.case} / ${r.engine} / ${r.backend}${r.note ? `: ${r.note}` : ''}${detail ? `\n      ${detail}` : ''}`);
  }
  const grouped = (status: Status, key: (r: RunResult) => string) => {
    const m = new Map<string, RunResult[]>();
    for (const r of notes.filter((n) => n.status === status)) m.set(key(r), [...(m.get(key(r)) ?? []), r]);
    return m;
  };
  for (const [name, rs] of grouped('DIFF', (r) => r.case)) {
    console.log(`  DIFF ${name}: ${rs[0].note}`);
    for (const r of rs) console.log(`      ${r.engine} / ${r.backend}: ${r.note === rs[0].note ? '' : `${r.note}; `}${worstDetail(r)}`);
  }
  for (const [note, rs] of grouped('SKIP', (r) => r.note ?? '')) {
    const runs = [...new Set(rs.map((r) => `${r.case} (${r.engine}${args.backends.every((b) => rs.some((x) => x.case === r.case && x.engine === r.engine && x.backend === b)) ? '' : `, ${r.backend}`})`))];
    console.log(`  SKIP ${note}: ${runs.join(', ')}`);
  }
  console.log(`\n${count('PASS')} passed, ${count('FAIL')} failed, ${count('SKIP')} skipped, ${count('DIFF')} documented differences${count('XPASS') ? `, ${count('XPASS')} unexpectedly passed` : ''}`);
  if (args.json) {
    writeFileSync(args.json, JSON.stringify({ rtol: RTOL, atol: ATOL, keras: { version: ref.keras, jax: ref.jax, backend: ref.backend, floatx: ref.floatx }, cases: cases.map(({ def }) => def), results: rows }, null, 1));
    console.log(`wrote ${args.json}`);
  }
  process.exitCode = count('FAIL') > 0 ? 1 : 0;
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exitCode = 2;
});
