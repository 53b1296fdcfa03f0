/**
 * Training through the model API: the optimizer step (Adam on the 784-128-10 MLP against
 * tfjs-layers' Adam), what live progress costs (callbacks and logs while training runs), and the
 * cold start of a first fit / predict in a fresh process with an empty shader cache.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg } from 'node:os';
import { Dense, Input, Sequential, adam, sgd, type Optimizer } from '../src/index';
import { errorText, fmt, goal, newSection, type Ctx, type SectionResult } from './context';
import { med, pairedRatio } from './measure';
import { median, uniformData } from './timing';

export async function training(ctx: Ctx): Promise<SectionResult> {
  const sec = newSection('training');
  sec.method.push(
    'optimizer step: Sequential.fit of one batch of 256 rows per epoch (784-128-10, relu + softmax, categorical cross-entropy), paired rounds against tfjs-layers model.fit with tf.train.adam / sgd on the same batch; ms per step',
    'progress: a long fit with and without an onEpochEnd callback (which also makes every chunk keep a snapshot for a possible stop), paired rounds; the gaps between callbacks while it runs',
    'cold start: a fresh Node process with MESA_SHADER_CACHE_DISABLE=true creates a runtime, then times the first predict and the first fit (100 epochs, batch 16) of a 4-16-3 network on 150 rows, then a second fit',
  );
  for (const [name, fn] of [
    ['optimizer step', optimizerStep],
    ['progress', progress],
    ['cold start', coldStart],
  ] as const) {
    try {
      await fn(ctx, sec);
    } catch (e) {
      sec.errors.push(`${name}: ${errorText(e)}`);
      ctx.log(`  ${name}: FAILED ${errorText(e)}`);
    }
  }
  return sec;
}

const IN = 784;
const HIDDEN = 128;
const OUT = 10;
const BATCH = 256;

async function optimizerStep(ctx: Ctx, sec: SectionResult): Promise<void> {
  const { rt, tfjs } = ctx;
  const x = uniformData(BATCH * IN, 0, 1, 11);
  const y = new Float32Array(BATCH * OUT);
  for (let r = 0; r < BATCH; r++) y[r * OUT + (r % OUT)] = 1;
  const steps = ctx.flags.quick ? 5 : 20;
  const rounds = ctx.flags.quick ? 2 : 4;
  const rows: (string | number | null)[][] = [];
  let adamX: number | null = null;
  for (const [name, make, tfMake] of [
    ['adam', () => adam({ learningRate: 0.001 }), () => tfjs!.tf.train.adam(0.001, 0.9, 0.999, 1e-7)],
    ['sgd', () => sgd({ learningRate: 0.01 }), () => tfjs!.tf.train.sgd(0.01)],
  ] as [string, () => Optimizer, () => unknown][]) {
    const xs = rt.tensor(x, [BATCH, IN]);
    const ys = rt.tensor(y, [BATCH, OUT]);
    const m = new Sequential([Input({ shape: [IN] }), Dense({ units: HIDDEN, activation: 'relu' }), Dense({ units: OUT, activation: 'softmax' })], { runtime: rt });
    m.compile({ optimizer: make(), loss: 'categoricalCrossentropy' });
    const ours = async () => {
      const t0 = performance.now();
      await m.fit(xs, ys, { epochs: steps, batchSize: BATCH, shuffle: false });
      return (performance.now() - t0) / steps;
    };
    let theirs: (() => Promise<number>) | null = null;
    const cleanup: (() => void)[] = [() => m.dispose(), () => xs.dispose(), () => ys.dispose()];
    if (tfjs?.tfl) {
      const { tf, tfl } = tfjs;
      const tm = tfl.sequential({ layers: [tfl.layers.dense({ units: HIDDEN, activation: 'relu', inputShape: [IN] }), tfl.layers.dense({ units: OUT, activation: 'softmax' })] });
      tm.compile({ optimizer: tfMake() as never, loss: 'categoricalCrossentropy' });
      const a = tf.tensor2d(x, [BATCH, IN]);
      const b = tf.tensor2d(y, [BATCH, OUT]);
      cleanup.push(() => tm.dispose(), () => a.dispose(), () => b.dispose());
      theirs = async () => {
        const t0 = performance.now();
        await tm.fit(a, b, { epochs: steps, batchSize: BATCH, shuffle: false, verbose: 0 });
        return (performance.now() - t0) / steps;
      };
    }
    try {
      await m.fit(xs, ys, { epochs: 1, batchSize: BATCH });
      await theirs?.();
      const o: number[] = [];
      const t: (number | null)[] = [];
      for (let r = 0; r < rounds; r++) {
        o.push(await ours());
        t.push(theirs ? await theirs() : null);
      }
      const x2 = pairedRatio(t, o);
      if (name === 'adam') adamX = x2;
      rows.push([name, fmt(median(o)), fmt(med(t)), fmt(x2)]);
      ctx.log(`  ${name} step (784-128-10, batch 256): ${fmt(median(o))} ms${x2 !== null ? `, tfjs-layers ${fmt(med(t))} ms (${fmt(x2)}x)` : ''}`);
    } finally {
      cleanup.forEach((f) => f());
    }
  }
  sec.tables.push({ title: `Optimizer step, MLP ${IN}-${HIDDEN}-${OUT}, batch ${BATCH} (Sequential.fit vs tfjs-layers fit, paired)`, columns: ['optimizer', 'ms/step', 'tfjs-layers ms/step', 'x tfjs'], rows });
  sec.goals.push(goal('Adam step of the 784-128-10 MLP >= 2x tfjs-layers Adam', adamX === null ? null : adamX >= 2, adamX === null ? 'needs --compare tfjs' : `${fmt(adamX)}x`));
}

async function progress(ctx: Ctx, sec: SectionResult): Promise<void> {
  const { rt } = ctx;
  const X = Array.from({ length: 64 }, (_, i) => [Math.sin(i), Math.cos(3 * i)]);
  const Y = X.map(([a, b]) => [a * b > 0 ? 1 : 0, a * b > 0 ? 0 : 1]);
  const epochs = ctx.flags.quick ? 1000 : 4000;
  const rounds = ctx.flags.quick ? 2 : 4;
  const make = () => {
    const m = new Sequential([Input({ shape: [2] }), Dense({ units: 16, activation: 'tanh', kernelInitializer: { name: 'glorotUniform', config: { seed: 1 } } }), Dense({ units: 2, activation: 'softmax' })], { runtime: rt });
    m.compile({ optimizer: adam({ learningRate: 0.01 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
    return m;
  };
  const run = async (withCallback: boolean): Promise<{ ms: number; gaps: number[] }> => {
    const m = make();
    const stamps: number[] = [];
    const t0 = performance.now();
    await m.fit(X, Y, { epochs, batchSize: 16, seed: 1, callbacks: withCallback ? { onEpochEnd: () => void stamps.push(performance.now()) } : undefined });
    const ms = performance.now() - t0;
    m.dispose();
    const gaps = stamps.slice(1).map((s, i) => s - stamps[i]).filter((g) => g > 1);
    return { ms, gaps };
  };
  await run(false);
  await run(true);
  const plain: number[] = [];
  const withCb: number[] = [];
  let gaps: number[] = [];
  for (let r = 0; r < rounds; r++) {
    plain.push((await run(false)).ms);
    const w = await run(true);
    withCb.push(w.ms);
    gaps = gaps.concat(w.gaps);
  }
  const ratio = pairedRatio(withCb, plain);
  gaps.sort((a, b) => a - b);
  const p95 = gaps.length ? gaps[Math.min(gaps.length - 1, Math.floor(gaps.length * 0.95))] : 0;
  const max = gaps.length ? gaps[gaps.length - 1] : 0;
  sec.tables.push({
    title: `Live progress: ${epochs} epochs of a 2-16-2 network (64 rows, batch 16, fused engine), paired`,
    columns: ['fit', 'ms', 'x plain', 'gap between logs p95 ms', 'max gap ms'],
    rows: [['no callbacks', fmt(median(plain)), '1', '', ''], ['onEpochEnd', fmt(median(withCb)), fmt(ratio), fmt(p95), fmt(max)]],
  });
  sec.data.progress = { plainMs: median(plain), callbackMs: median(withCb), ratio, gapP95: p95, gapMax: max };
  ctx.log(`  progress: onEpochEnd costs ${fmt(ratio)}x; logs every ${fmt(p95)} ms (p95), ${fmt(max)} ms at most`);
  sec.goals.push(goal('live progress costs <= 5% of a long fit', ratio === null ? null : ratio <= 1.05, `${fmt(ratio)}x`));
  sec.goals.push(goal('logs reach callbacks at least every ~100 ms of work (p95 gap)', gaps.length ? p95 <= 150 : null, `${fmt(p95)} ms`));
}

async function coldStart(ctx: Ctx, sec: SectionResult): Promise<void> {
  const script = fileURLToPath(new URL('./cold-start.ts', import.meta.url));
  const bin = fileURLToPath(new URL('../node_modules/.bin/vite-node', import.meta.url));
  // One fresh process per run: the compile time on a CPU adapter varies by tens of percent.
  const runs = ctx.flags.quick ? 1 : 5;
  const load = loadavg()[0];
  const results: { runtime: number; predict: number; fit: number; fit2: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn(bin, [script], { env: { ...process.env, MESA_SHADER_CACHE_DISABLE: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      p.stdout.on('data', (d) => (text += String(d)));
      p.on('error', reject);
      p.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`cold-start process exited with ${code}: ${text.slice(-300)}`))));
    });
    const line = out.split('\n').find((l) => l.startsWith('{'));
    if (!line) throw new Error(`cold-start process printed no figures: ${out.slice(-300)}`);
    results.push(JSON.parse(line));
  }
  const col = (k: 'runtime' | 'predict' | 'fit' | 'fit2') => results.map((r) => r[k]);
  const range = (v: number[]) => (v.length > 1 ? `${fmt(Math.min(...v))}-${fmt(Math.max(...v))}` : '');
  const r = { runtime: median(col('runtime')), predict: median(col('predict')), fit: median(col('fit')), fit2: median(col('fit2')) };
  sec.tables.push({
    title: `Cold start (${runs} fresh processes, empty shader cache; 1-minute load average ${load.toFixed(1)} on ${cpus().length} cores)`,
    columns: ['', 'createRuntime ms', 'first predict ms', 'first fit ms (4-16-3, 100 epochs)', 'second fit ms'],
    rows: [['median', fmt(r.runtime), fmt(r.predict), fmt(r.fit), fmt(r.fit2)], ['range', range(col('runtime')), range(col('predict')), range(col('fit')), range(col('fit2'))]],
  });
  sec.data.coldStart = { ...r, runs: results, loadAverage: load };
  ctx.log(`  cold start: predict ${fmt(r.predict)} ms, fit ${fmt(r.fit)} ms (${range(col('fit'))}), then ${fmt(r.fit2)} ms (load ${load.toFixed(1)})`);
  sec.goals.push(goal('cold first fit of a 4-16-3 net, 100 epochs, <= 3 s (quiet machine; slowest run)', Math.max(...col('fit')) <= 3000, `median ${fmt(r.fit)} ms, slowest ${fmt(Math.max(...col('fit')))} ms at load ${load.toFixed(1)}`));
  sec.goals.push(goal('cold first predict <= 1 s (quiet machine; slowest run)', Math.max(...col('predict')) <= 1000, `median ${fmt(r.predict)} ms, slowest ${fmt(Math.max(...col('predict')))} ms`));
}
