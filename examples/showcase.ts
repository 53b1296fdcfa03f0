// `npm start`: every activation of the library on the GPU, cross-checked against the CPU
// path, then the seeds' worked examples with the numbers they print.
//   npx vite-node examples/showcase.ts [--cpu]
import { BUILTIN_ACTIVATIONS, createRuntime, Dense, initializers, Input, Sequential, ulpDistance, type Runtime } from '../src/index';
import { HOUSE, LABELS, LINEAR, NET222_EXPECTED, train222, type Variant222 } from './seeds';

const useCpu = process.argv.includes('--cpu');

function grid(n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + ((hi - lo) * i) / (n - 1);
  return out;
}

const EDGES = [0, -0, 1e-30, -1e-30, 0.5, -0.5, 1, -1, 10, -10, 20, -20, 88, -88, 89, -89, 100, -100, 1e4, -1e4, 3.4e38, -3.4e38, Infinity, -Infinity, NaN, 1.4e-45];

async function maxUlp(gpu: Runtime, cpu: Runtime, name: string, xs: Float32Array, params?: Record<string, unknown>): Promise<[number, number]> {
  const dys = new Float32Array(xs.length).fill(1);
  const run = async (rt: Runtime) => {
    const x = rt.tensor(xs);
    const dy = rt.tensor(dys);
    const y = rt.activation(name, x, params as never);
    const dx = rt.activationGrad(name, x, dy, params as never);
    const out = await Promise.all([y.read(), dx.read()]);
    [x, dy, y, dx].forEach((t) => t.dispose());
    return out;
  };
  const [g, c] = await Promise.all([run(gpu), run(cpu)]);
  const worst = (a: Float32Array, b: Float32Array) => {
    let m = 0;
    for (let i = 0; i < a.length; i++) {
      // Results below the normal range may flush to zero on a GPU.
      if (Math.abs(b[i]) < 2 ** -126 && Math.abs(a[i]) < 2 ** -126) continue;
      m = Math.max(m, ulpDistance(a[i], b[i]));
    }
    return m;
  };
  return [worst(g[0], c[0]), worst(g[1], c[1])];
}

function fmt(v: ArrayLike<number>, digits = 9): string {
  return `[${Array.from(v, (x) => Number(x.toPrecision(digits))).join(', ')}]`;
}

async function main(): Promise<void> {
  const rt = await createRuntime({ backend: useCpu ? 'cpu' : 'webgpu' });
  const cpu = await createRuntime({ backend: 'cpu' });
  const info = rt.adapterInfo;
  console.log(`webgpu-nn showcase on ${rt.backend}${info ? `: ${info.description || info.device || info.vendor} (${info.featureLevel})` : ''}\n`);

  console.log('Every activation, forward and backward, GPU vs CPU path (max ULP apart, 100,026 inputs):');
  const xs = new Float32Array([...grid(100_000, -30, 30), ...EDGES]);
  console.log('  name          forward  backward  formula');
  for (const spec of BUILTIN_ACTIVATIONS) {
    const [f, b] = await maxUlp(rt, cpu, spec.name, xs);
    console.log(`  ${spec.name.padEnd(13)} ${String(f).padStart(7)}  ${String(b).padStart(8)}  ${spec.doc.formula}`);
  }

  console.log('\nSeed 000: sigmoid([0.25, 7, 9, 20])');
  const s = await rt.sigmoid(rt.tensor([0.25, 7, 9, 20])).read();
  console.log(`  ${fmt(s, 16)}   (float32; the seed prints 0.5621765008857981, 0.9990889488055994, 0.9998766054240137, 0.999999979388463)`);

  console.log('\nSeed 000: a 2-input sigmoid unit (rooms, build year -> rebuild?), w = [0.11075377, -0.37975395], b = 0.00316227');
  const unit = new Sequential([Input({ shape: [2] }), Dense({ units: 1, activation: 'sigmoid' })], { runtime: rt });
  unit.setWeights([HOUSE.w, HOUSE.b]);
  const py = await unit.predict(HOUSE.x);
  console.log(`  outputs ${fmt((await py.read()).slice(0, 3))} ...   (seed, in float64: [0.433929166, 0.555932378, 0.528448253, ...])`);
  py.dispose();
  unit.dispose();

  console.log('\nSeed 001: the Celsius-to-Fahrenheit neuron, F = max(32, 9/5 C + 32)');
  const c2f = await rt.defineActivation('c2f', {
    wgsl: { forward: 'max(32.0, x)', backward: 'select(0.0, dy, x > 32.0)' },
    cpu: { forward: (x) => Math.max(32, x), backward: (x, _y, dy) => (x > 32 ? dy : 0) },
  });
  const celsius = [-20, -10, 0, 36.5, 40, 50, 100];
  const net = rt.linear(rt.tensor(celsius), { a: 1.8, b: 32 });
  const f = await rt.activation(c2f, net).read();
  console.log(`  C = ${fmt(celsius)}\n  F = ${fmt(f, 6)}   (seed: [32, 32, 32.0, 97.7, 104.0, 122.0, 212.0])`);

  console.log('\nSeed 002: softmax([2, 10, 1, 4])');
  const sm = await rt.softmax(rt.tensor([2, 10, 1, 4])).read();
  console.log(`  ${fmt(Array.from(sm, (v) => Number(v.toFixed(6))))}   (seed: [0.000334, 0.997071, 0.000123, 0.002471])`);
  console.log('Seed 004: softmax([1.3, 5.1, 2.2, 0.7, 1.1]) and the cross-entropy of class 2');
  const logits = rt.tensor([[1.3, 5.1, 2.2, 0.7, 1.1]]);
  const sm2 = await rt.softmax(logits).read();
  const ce = await rt.loss('categoricalCrossentropy', logits, rt.tensor([[0, 1, 0, 0, 0]]), { fromLogits: true }).read();
  console.log(`  ${fmt(sm2, 7)}   (seed: [0.02019047, 0.9025377, 0.04966054, 0.01108076, 0.01653056])`);
  const ce09 = await rt.loss('categoricalCrossentropy', rt.tensor([[0.05, 0.9, 0.05]]), rt.tensor([[0, 1, 0]])).read();
  console.log(`  cross-entropy of class 2 = -ln(0.9025377) = ${ce[0].toPrecision(7)};  with the book's rounded 0.90: ${ce09[0].toPrecision(8)}   (seed: 0.1053606)`);

  console.log('\nSeed 003: Keras-style linear regression');
  for (const [name, d, epochs] of [['y = 2x', LINEAR.double, 500], ['y = 2x + 1', LINEAR.doublePlusOne, 1000]] as const) {
    const model = new Sequential([Input({ shape: [1] }), Dense({ units: 1, kernelInitializer: initializers.glorotUniform({ seed: 1 }) })], { runtime: rt });
    model.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] });
    const h = await model.fit(d.x.map((v) => [v]), d.y.map((v) => [v]), { epochs, batchSize: 32, shuffle: false });
    const p = await model.predict(d.predictX.map((v) => [v]));
    console.log(`  ${name}: ${epochs} epochs, loss ${h.loss[0].toPrecision(3)} -> ${h.loss[h.loss.length - 1].toPrecision(3)}; predict ${fmt(d.predictX)} -> ${fmt(await p.read(), 4)} (about ${fmt(d.about)})`);
    p.dispose();
    model.dispose();
  }

  console.log('\nSeed 004: the 2-2-2 network, per-sample SGD, lr 0.01, float32 as the book');
  const runs: [string, Variant222, number, number | undefined, keyof typeof NET222_EXPECTED][] = [
    ['ReLU + sigmoid, 1,000 epochs', 'sigmoid', 1000, undefined, 'sigmoid1000'],
    ['ReLU + sigmoid, 100,000 epochs', 'sigmoid', 100_000, undefined, 'sigmoid100000'],
    ['ReLU + linear, stop when E < 1e-7', 'linear', 100_000, 1e-7, 'linearStop'],
    ['ReLU + softmax + cross-entropy, 100,000 epochs', 'softmax', 100_000, undefined, 'softmax100000'],
  ];
  for (const [title, variant, epochs, stop, key] of runs) {
    const r = await train222(rt, variant, epochs, stop);
    const expected = NET222_EXPECTED[key] as { y?: string[]; lines?: string[][] };
    const same = expected.y ? JSON.stringify([r.y, r.lines]) === JSON.stringify([expected.y, expected.lines]) : undefined;
    console.log(`  ${title}: last epoch ${r.lastEpoch}, E = ${r.lastLoss.toExponential(3)}, ${r.ms.toFixed(0)} ms${same === undefined ? '' : same ? '  [every printed digit matches the seed]' : '  [DIFFERS from the seed]'}`);
    console.log(`    y = (${r.y.join(', ')});  ` + r.lines.map((l, i) => `${LABELS[i]} = ${l.join(', ')}`).join(';  '));
  }

  rt.dispose();
  cpu.dispose();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
