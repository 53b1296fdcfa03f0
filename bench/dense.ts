/**
 * Issue 4: matmul 1024^3, one training step of a 784-128-10 MLP (ReLU, softmax +
 * categorical cross-entropy, SGD, batch 256) built from the runtime's dense ops, and the seeds'
 * 2-2-2 network trained with the model API for 1,000 and 100,000 epochs.
 */
import type { Runtime } from '../src/runtime';
import type { Tensor } from '../src/tensor';
import { loadModelApi, missing, type ModelLike } from './api';
import { errorText, fmt, goal, newSection, type Ctx, type SectionResult } from './context';
import { measure, med, pairedRatio } from './measure';
import type { Tfjs } from './tfjs';
import { median, rng, uniformData } from './timing';

type TfTensor = import('@tensorflow/tfjs-core').Tensor;

export async function dense(ctx: Ctx): Promise<SectionResult> {
  const sec = newSection('dense');
  sec.method.push(
    'matmul: paired rounds of GPU time (timestamp replay), our wall time (ops back to back + sync) and tfjs wall time (tf.matMul); GFLOP/s = 2 M N K / time; x tfjs by wall time',
    'MLP step: our ops (denseForward with fused ReLU, dense, categoricalCrossentropy from logits, lossGrad, denseGrad x2, sgdUpdate), steps back to back then one sync; "+ loss read" awaits the loss every step as Keras fit does. tfjs: tfjs-layers model.trainOnBatch (awaits the loss) and optimizer.minimize (no read)',
    '2-2-2 network: model API Sequential([Dense(2, relu), Dense(2, sigmoid)]), seed weights, SGD lr 0.01, mse (= the seeds\' E = sum (y - t)^2 / 2 for 2 outputs), one sample, fit() wall time / epochs; tfjs-layers the same network and fit() with batchSize 1',
  );
  const parts: [string, (ctx: Ctx, sec: SectionResult) => Promise<void>][] = [
    ['matmul', matmulBench],
    ['MLP step', mlpBench],
    ['2-2-2 network', smallNetBench],
  ];
  for (const [name, fn] of parts) {
    try {
      await fn(ctx, sec);
    } catch (e) {
      sec.errors.push(`${name}: ${errorText(e)}`);
      ctx.log(`  ${name}: FAILED ${errorText(e)}`);
    }
  }
  return sec;
}

// ------------------------------------------------------------------ matmul

async function matmulBench(ctx: Ctx, sec: SectionResult): Promise<void> {
  const { rt, flags, tfjs, timer } = ctx;
  const lacking = missing(rt, ['matmul']);
  if (lacking.length > 0) {
    sec.notes.push('matmul skipped: runtime has no matmul yet');
    return;
  }
  const size = flags.quick ? 256 : 1024;
  const a = rt.tensor(uniformData(size * size, -1, 1, 30), [size, size]);
  const b = rt.tensor(uniformData(size * size, -1, 1, 31), [size, size]);
  const tf = tfjs?.tf;
  const ta = tf?.randomUniform([size, size], -1, 1);
  const tb = tf?.randomUniform([size, size], -1, 1);
  try {
    const m = await measure(ctx, () => rt.matmul(a, b), {
      rounds: flags.quick ? 3 : 4,
      perRound: 2,
      tfjsPerRound: 2,
      tfjsOp: tf && ta && tb ? () => tf.matMul(ta, tb) : null,
    });
    const flop = 2 * size ** 3;
    const gflops = (ms: number | null) => (ms ? flop / ms / 1e6 : null);
    const ours = timer ? m.gpuMs : m.wallMs;
    sec.tables.push({
      title: `matmul ${size}x${size}x${size}`,
      columns: ['', 'GPU ms', 'GFLOP/s (GPU)', 'wall ms', 'GFLOP/s (wall)', 'tfjs ms', 'tfjs GFLOP/s', 'x tfjs (wall)'],
      rows: [['matmul', fmt(m.gpuMs), fmt(gflops(m.gpuMs)), fmt(m.wallMs), fmt(gflops(m.wallMs)), m.tfjsNote ?? fmt(m.tfjsMs), fmt(gflops(m.tfjsMs)), fmt(m.xTfjs)]],
    });
    sec.goals.push(goal('matmul >= 1.5x tfjs', m.xTfjs === null ? null : m.xTfjs >= 1.5, m.xTfjs === null ? `${fmt(gflops(ours))} GFLOP/s; run with --compare tfjs` : `${fmt(m.xTfjs)}x (${fmt(gflops(m.wallMs))} vs ${fmt(gflops(m.tfjsMs))} GFLOP/s by wall time)`));
    sec.data.matmul = { size, ...m, gflopsGpu: gflops(m.gpuMs), gflopsWall: gflops(m.wallMs), gflopsTfjs: gflops(m.tfjsMs) };
    ctx.log(`  matmul ${size}^3: ${fmt(gflops(ours))} GFLOP/s${m.tfjsMs !== null ? `, tfjs ${fmt(gflops(m.tfjsMs))} GFLOP/s (${fmt(m.xTfjs)}x)` : ''}`);
  } finally {
    a.dispose();
    b.dispose();
    ta?.dispose();
    tb?.dispose();
  }
}

// ------------------------------------------------------------------ MLP step

const IN = 784;
const HIDDEN = 128;
const OUT = 10;
const BATCH = 256;
const LR = 0.01;

function glorot(fanIn: number, fanOut: number, seed: number): Float32Array {
  const lim = Math.sqrt(6 / (fanIn + fanOut));
  return uniformData(fanIn * fanOut, -lim, lim, seed);
}

function mlpData(): { x: Float32Array; y: Float32Array } {
  const x = uniformData(BATCH * IN, 0, 1, 40);
  const y = new Float32Array(BATCH * OUT);
  const r = rng(41);
  for (let i = 0; i < BATCH; i++) y[i * OUT + Math.floor(r() * OUT)] = 1;
  return { x, y };
}

/** One SGD step of the MLP from the runtime's ops; returns the loss tensor. */
function mlpStep(rt: Runtime, x: Tensor, t: Tensor, p: Tensor[]): Tensor {
  const [w1, b1, w2, b2] = p;
  return rt.tidy(() => {
    const { y: h, z: z1 } = rt.denseForward(x, w1, b1, { activation: 'relu', keepPreActivation: true });
    const logits = rt.dense(h, w2, b2);
    const ce = (rt as unknown as { loss: (n: string, a: Tensor, b: Tensor, o: object) => Tensor; lossGrad: (n: string, a: Tensor, b: Tensor, o: object) => Tensor });
    const loss = ce.loss('categoricalCrossentropy', logits, t, { fromLogits: true });
    const dlogits = ce.lossGrad('categoricalCrossentropy', logits, t, { fromLogits: true });
    const g2 = rt.denseGrad(h, w2, dlogits);
    const g1 = rt.denseGrad(x, w1, g2.dx!, { activation: 'relu', z: z1!, computeDx: false });
    rt.sgdUpdate([w1, b1, w2, b2], [g1.dkernel, g1.dbias, g2.dkernel, g2.dbias], { learningRate: LR });
    return loss;
  });
}

async function mlpBench(ctx: Ctx, sec: SectionResult): Promise<void> {
  const { rt, flags, tfjs, timer } = ctx;
  const lacking = missing(rt, ['dense', 'denseGrad', 'sgdUpdate', 'loss', 'lossGrad']);
  if (lacking.length > 0 || typeof (rt as unknown as Record<string, unknown>).denseForward !== 'function') {
    sec.notes.push(`MLP step skipped: runtime has no ${[...lacking, 'denseForward'].filter((n) => typeof (rt as unknown as Record<string, unknown>)[n] !== 'function').join(', ')} yet`);
    ctx.log('  MLP step: skipped (ops missing)');
    return;
  }
  const { x: xd, y: yd } = mlpData();
  const x = rt.tensor(xd, [BATCH, IN]);
  const t = rt.tensor(yd, [BATCH, OUT]);
  const w1d = glorot(IN, HIDDEN, 42);
  const w2d = glorot(HIDDEN, OUT, 43);
  const p = [rt.tensor(w1d, [IN, HIDDEN]), rt.zeros([HIDDEN]), rt.tensor(w2d, [HIDDEN, OUT]), rt.zeros([OUT])];
  const rounds = flags.quick ? 3 : 5;
  const steps = flags.quick ? 5 : 10;
  let tf: Tfjs['tf'] | undefined;
  let model: import('@tensorflow/tfjs-layers').Sequential | null = null;
  let tx: TfTensor | undefined;
  let ty: TfTensor | undefined;
  let tvars: import('@tensorflow/tfjs-core').Variable[] = [];
  try {
    // Check first: the loss must fall over a few steps.
    const lossOf = async (): Promise<number> => {
      const l = mlpStep(rt, x, t, p);
      try {
        return (await l.read())[0];
      } finally {
        l.dispose();
      }
    };
    const l0 = await lossOf();
    for (let i = 0; i < 20; i++) mlpStep(rt, x, t, p).dispose();
    const l1 = await lossOf();
    if (!(l1 < l0)) sec.errors.push(`MLP step: loss did not fall (${l0} -> ${l1})`);
    ctx.log(`  MLP check: loss ${fmt(l0, 4)} -> ${fmt(l1, 4)} after 21 steps`);

    // Ours: GPU replay of one step, wall without and with reading the loss.
    const m = await measure(ctx, () => mlpStep(rt, x, t, p), { rounds, perRound: steps, noReplay: !timer });
    const withRead: number[] = [];
    let tfFit: (number | null)[] = [];
    let tfMin: (number | null)[] = [];
    let minimize: (() => void) | null = null;
    if (tfjs && tfjs.tfl) {
      tf = tfjs.tf;
      const tfl = tfjs.tfl;
      model = tfl.sequential({
        layers: [
          tfl.layers.dense({ units: HIDDEN, activation: 'relu', inputShape: [IN], weights: [tf.tensor2d(w1d, [IN, HIDDEN]), tf.zeros([HIDDEN])] }),
          tfl.layers.dense({ units: OUT, activation: 'softmax', weights: [tf.tensor2d(w2d, [HIDDEN, OUT]), tf.zeros([OUT])] }),
        ],
      });
      model.compile({ optimizer: tf.train.sgd(LR), loss: 'categoricalCrossentropy' });
      tx = tf.tensor2d(xd, [BATCH, IN]);
      ty = tf.tensor2d(yd, [BATCH, OUT]);
      const opt = tf.train.sgd(LR);
      tvars = [tf.variable(tf.tensor2d(w1d, [IN, HIDDEN])), tf.variable(tf.zeros([HIDDEN])), tf.variable(tf.tensor2d(w2d, [HIDDEN, OUT])), tf.variable(tf.zeros([OUT]))];
      const [v1, c1, v2, c2] = tvars;
      const tfx = tx;
      const tfy = ty;
      const tff = tf;
      minimize = () => {
        opt.minimize(() => tff.losses.softmaxCrossEntropy(tfy, tff.add(tff.matMul(tff.relu(tff.add(tff.matMul(tfx, v1), c1)), v2), c2)) as import('@tensorflow/tfjs-core').Scalar, false, tvars);
      };
    }
    const oursRead = async (): Promise<number> => {
      await rt.sync();
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) {
        const l = mlpStep(rt, x, t, p);
        await l.read();
        l.dispose();
      }
      return (performance.now() - t0) / steps;
    };
    const tfFitOnce = async (): Promise<number | null> => {
      if (!model || !tx || !ty) return null;
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) await model.trainOnBatch(tx, ty);
      return (performance.now() - t0) / steps;
    };
    const tfMinOnce = async (): Promise<number | null> => {
      if (!minimize || !tfjs) return null;
      return tfjs.once(() => void minimize!(), steps);
    };
    await oursRead();
    await tfFitOnce();
    await tfMinOnce();
    for (let r = 0; r < rounds; r++) {
      withRead.push(await oursRead());
      tfFit.push(await tfFitOnce());
      tfMin.push(await tfMinOnce());
    }
    // Pair the no-read figures by round too (m.wallMs rounds ran earlier): re-measure side by side.
    const noRead: number[] = [];
    const tfMin2: (number | null)[] = [];
    for (let r = 0; r < rounds; r++) {
      noRead.push(await wallSteps(rt, () => mlpStep(rt, x, t, p), steps));
      tfMin2.push(await tfMinOnce());
    }
    tfMin = tfMin2;
    const perS = (ms: number | null) => (ms ? 1000 / ms : null);
    const xFit = pairedRatio(tfFit, withRead);
    const xMin = pairedRatio(tfMin, noRead);
    sec.tables.push({
      title: `MLP ${IN}-${HIDDEN}-${OUT} training step, batch ${BATCH} (steps/s; x tfjs by wall time, paired per round)`,
      columns: ['variant', 'ms/step', 'steps/s', 'tfjs variant', 'tfjs ms/step', 'tfjs steps/s', 'x tfjs'],
      rows: [
        ['ours, GPU time of one step (replay)', fmt(m.gpuMs), fmt(perS(m.gpuMs)), '', '', '', ''],
        [`ours, ${steps} steps then sync`, fmt(median(noRead)), fmt(perS(median(noRead))), 'optimizer.minimize, no read', fmt(med(tfMin)), fmt(perS(med(tfMin))), fmt(xMin)],
        ['ours, + loss read each step', fmt(median(withRead)), fmt(perS(median(withRead))), 'layers trainOnBatch', fmt(med(tfFit)), fmt(perS(med(tfFit))), fmt(xFit)],
      ],
    });
    const xApi = await modelApiMlp(ctx, sec, steps, rounds);
    const judged = xApi ?? xFit;
    const gText =
      xFit === null
        ? `${fmt(perS(median(withRead)))} steps/s from ops with the loss read; run with --compare tfjs`
        : `${xApi !== null ? `model API fit vs tfjs-layers fit ${fmt(xApi)}x; ` : ''}ops + loss read vs trainOnBatch ${fmt(xFit)}x; ops without reads vs optimizer.minimize ${fmt(xMin)}x`;
    sec.goals.push(goal(`MLP step >= 2x tfjs (judged on ${xApi !== null ? 'model API fit vs tfjs-layers fit' : 'ops vs trainOnBatch'})`, judged === null ? null : judged >= 2, gText));
    sec.data.mlp = { gpuMs: m.gpuMs, noReadMs: median(noRead), withReadMs: median(withRead), tfjsTrainOnBatchMs: med(tfFit), tfjsMinimizeMs: med(tfMin), xFit, xMin, lossBefore: l0, lossAfter21: l1 };
    ctx.log(`  MLP step: ${fmt(perS(median(noRead)))} steps/s (no read), ${fmt(perS(median(withRead)))} with read${xFit !== null ? `; tfjs trainOnBatch ${fmt(perS(med(tfFit)))} (${fmt(xFit)}x)` : ''}`);
  } finally {
    x.dispose();
    t.dispose();
    p.forEach((q) => q.dispose());
    model?.dispose();
    tx?.dispose();
    ty?.dispose();
    tvars.forEach((v) => v.dispose());
  }
}

async function wallSteps(rt: Runtime, step: () => Tensor, n: number): Promise<number> {
  await rt.sync();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) step().dispose();
  await rt.sync();
  return (performance.now() - t0) / n;
}

/**
 * The same MLP through the model API (Sequential.fit, one batch per epoch) beside tfjs-layers
 * model.fit with the same settings, in paired rounds; null when fit() cannot take it.
 */
async function modelApiMlp(ctx: Ctx, sec: SectionResult, steps: number, rounds: number): Promise<number | null> {
  const api = await loadModelApi();
  if (typeof api === 'string') {
    sec.notes.push(`MLP through the model API skipped: ${api}`);
    return null;
  }
  const { rt, tfjs } = ctx;
  const { x, y } = mlpData();
  let model: ModelLike | null = null;
  const xs = rt.tensor(x, [BATCH, IN]);
  const ys = rt.tensor(y, [BATCH, OUT]);
  let tfModel: import('@tensorflow/tfjs-layers').Sequential | null = null;
  let tx: TfTensor | null = null;
  let ty: TfTensor | null = null;
  try {
    model = new api.Sequential([api.Dense({ units: HIDDEN, activation: 'relu', inputShape: [IN] }), api.Dense({ units: OUT, activation: 'softmax' })], { runtime: rt });
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const m = model;
    const ours = async (): Promise<number> => {
      const t0 = performance.now();
      await m.fit(xs, ys, { epochs: steps, batchSize: BATCH, shuffle: false });
      return (performance.now() - t0) / steps;
    };
    let theirs: (() => Promise<number>) | null = null;
    if (tfjs?.tfl) {
      const tf = tfjs.tf;
      const tfl = tfjs.tfl;
      const tm = tfl.sequential({ layers: [tfl.layers.dense({ units: HIDDEN, activation: 'relu', inputShape: [IN] }), tfl.layers.dense({ units: OUT, activation: 'softmax' })] });
      tm.compile({ optimizer: tf.train.sgd(LR), loss: 'categoricalCrossentropy' });
      tfModel = tm;
      const a = (tx = tf.tensor2d(x, [BATCH, IN]));
      const b = (ty = tf.tensor2d(y, [BATCH, OUT]));
      theirs = async () => {
        const t0 = performance.now();
        await tm.fit(a, b, { epochs: steps, batchSize: BATCH, shuffle: false, verbose: 0 });
        return (performance.now() - t0) / steps;
      };
    }
    await m.fit(xs, ys, { epochs: 1, batchSize: BATCH, shuffle: false });
    await theirs?.();
    const o: number[] = [];
    const t: (number | null)[] = [];
    for (let r = 0; r < rounds; r++) {
      o.push(await ours());
      t.push(theirs ? await theirs() : null);
    }
    const x2 = pairedRatio(t, o);
    sec.tables.push({
      title: `MLP ${IN}-${HIDDEN}-${OUT} through the model API (fit, ${steps} epochs of one batch of ${BATCH}; paired with tfjs-layers fit)`,
      columns: ['variant', 'ms/step', 'steps/s', 'tfjs-layers fit ms/step', 'tfjs steps/s', 'x tfjs'],
      rows: [['Sequential.fit', fmt(median(o)), fmt(1000 / median(o)), fmt(med(t)), fmt(med(t) ? 1000 / med(t)! : null), fmt(x2)]],
    });
    sec.data.mlpModelApi = { msPerStep: median(o), tfjsMsPerStep: med(t), xTfjs: x2 };
    ctx.log(`  MLP via model API: ${fmt(1000 / median(o))} steps/s${x2 !== null ? `, tfjs-layers fit ${fmt(1000 / med(t)!)} (${fmt(x2)}x)` : ''}`);
    return x2;
  } catch (e) {
    sec.notes.push(`MLP through the model API not measured: ${String((e as Error).message).split('\n')[0]}`);
    return null;
  } finally {
    model?.dispose();
    xs.dispose();
    ys.dispose();
    tfModel?.dispose();
    tx?.dispose();
    ty?.dispose();
  }
}

// ------------------------------------------------------------------ 2-2-2 network

const SEED_X = [[0.05, 0.1]];
const SEED_T = [[0.01, 0.99]];
const SEED_W = [[[0.15, 0.25], [0.2, 0.3]], [0.35, 0.35], [[0.4, 0.5], [0.45, 0.55]], [0.6, 0.6]];
/** w1 (kernel[0][0]) the seeds print after 1,000 and 100,000 epochs (004_..., ReLU + sigmoid). */
const SEED_W1: Record<number, number> = { 1000: 0.149033, 100000: 0.198118 };

async function smallNetBench(ctx: Ctx, sec: SectionResult): Promise<void> {
  const { rt, flags, tfjs } = ctx;
  const api = await loadModelApi();
  if (typeof api === 'string') {
    sec.notes.push(`2-2-2 network skipped: ${api}`);
    ctx.log(`  2-2-2: skipped (${api})`);
    return;
  }
  const epochsList = flags.quick ? [1000] : [1000, 100000];
  const rows: (string | number)[][] = [];
  const ours: Record<number, number> = {};
  for (const epochs of epochsList) {
    const runOnce = async (): Promise<{ ms: number; w1: number }> => {
      const model = new api.Sequential([api.Dense({ units: 2, activation: 'relu', inputShape: [2] }), api.Dense({ units: 2, activation: 'sigmoid' })], { runtime: rt });
      try {
        model.setWeights(SEED_W);
        model.compile({ optimizer: 'sgd', loss: 'mse' });
        await rt.sync();
        const t0 = performance.now();
        await model.fit(SEED_X, SEED_T, { epochs, batchSize: 1, shuffle: false });
        const ms = performance.now() - t0;
        const w = await model.getWeights();
        return { ms, w1: (w[0] as number[][])[0][0] };
      } finally {
        model.dispose();
      }
    };
    await runOnce(); // warm-up: pipelines
    const runs: { ms: number; w1: number }[] = [];
    const reps = epochs >= 100000 ? 2 : 3;
    for (let i = 0; i < reps; i++) runs.push(await runOnce());
    const ms = median(runs.map((r) => r.ms));
    ours[epochs] = ms;
    const last = runs[runs.length - 1];
    const exp = SEED_W1[epochs];
    const check = exp !== undefined ? `w1 ${fmt(last.w1, 6)} (seed prints ${exp})` : '';
    rows.push([`ours, ${epochs} epochs`, fmt(ms), fmt(ms / epochs, 3), check]);
    ctx.log(`  2-2-2 ${epochs} epochs: ${fmt(ms)} ms (${fmt(ms / epochs)} ms/epoch); ${check}`);
    if (exp !== undefined && Math.abs(last.w1 - exp) > 5e-6) sec.errors.push(`2-2-2 ${epochs} epochs: w1 = ${last.w1}, the seed prints ${exp}`);
  }
  let tfPerEpoch: number | null = null;
  if (tfjs?.tfl) {
    const tf = tfjs.tf;
    const tfl = tfjs.tfl;
    const tfEpochs = flags.quick ? 200 : 1000;
    const once = async (): Promise<number> => {
      const model = tfl.sequential({
        layers: [tfl.layers.dense({ units: 2, activation: 'relu', inputShape: [2] }), tfl.layers.dense({ units: 2, activation: 'sigmoid' })],
      });
      model.setWeights([tf.tensor2d(SEED_W[0] as number[][]), tf.tensor1d(SEED_W[1] as number[]), tf.tensor2d(SEED_W[2] as number[][]), tf.tensor1d(SEED_W[3] as number[])]);
      model.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });
      const x = tf.tensor2d(SEED_X);
      const y = tf.tensor2d(SEED_T);
      const t0 = performance.now();
      await model.fit(x, y, { epochs: tfEpochs, batchSize: 1, shuffle: false, verbose: 0 });
      const ms = performance.now() - t0;
      model.dispose();
      x.dispose();
      y.dispose();
      return ms;
    };
    await once();
    const ms = median([await once(), await once()]);
    tfPerEpoch = ms / tfEpochs;
    rows.push([`tfjs-layers, ${tfEpochs} epochs`, fmt(ms), fmt(tfPerEpoch), '']);
    rows.push(['tfjs-layers, 100000 epochs (extrapolated)', fmt(tfPerEpoch * 100000), fmt(tfPerEpoch), 'not run: ~minutes']);
    ctx.log(`  2-2-2 tfjs: ${fmt(tfPerEpoch)} ms/epoch`);
  }
  sec.tables.push({ title: "The seeds' 2-2-2 network (ReLU, sigmoid, mse, SGD 0.01, one sample)", columns: ['run', 'total ms', 'ms/epoch', 'check'], rows });
  const big = ours[100000] ?? null;
  const small = ours[1000] ?? null;
  if (tfPerEpoch !== null) {
    if (small) rows.push(['x tfjs, 1000 epochs', '', fmt((tfPerEpoch * 1000) / small), '']);
    if (big) rows.push(['x tfjs, 100000 epochs (vs extrapolated)', '', fmt((tfPerEpoch * 100000) / big), '']);
  }
  const target = big ?? null;
  sec.goals.push(
    goal(
      '100,000-epoch run >= 300x tfjs',
      target === null || tfPerEpoch === null ? null : (tfPerEpoch * 100000) / target >= 300,
      target === null ? 'not run (--quick)' : tfPerEpoch === null ? `${fmt(target)} ms; run with --compare tfjs` : `${fmt((tfPerEpoch * 100000) / target)}x (${fmt(target)} ms vs ${fmt(tfPerEpoch * 100000)} ms extrapolated from ${flags.quick ? 200 : 1000} tfjs epochs)`,
    ),
  );
  sec.data.smallNet = { oursMs: ours, tfjsMsPerEpoch: tfPerEpoch };
}

