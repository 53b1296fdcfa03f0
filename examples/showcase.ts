// `npm start`: every activation of the library on the GPU, cross-checked against the CPU
// path, then the seeds' worked examples with the numbers they print.
//   npx vite-node examples/showcase.ts [--cpu]
import { BUILTIN_ACTIVATIONS, createRuntime, ulpDistance, type Runtime } from '../src/index';

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

  console.log('\nSeed 000: a 2-input sigmoid unit, w = [0.11075377, -0.37975395], b = 0.00316227');
  console.log('\nSeed 001: the Celsius-to-Fahrenheit neuron, F = max(32, 9/5 C + 32)');
  await rt.defineActivation('c2f', {
    wgsl: { forward: 'max(32.0, x)', backward: 'select(0.0, dy, x > 32.0)' },
    cpu: { forward: (x) => Math.max(32, x), backward: (x, _y, dy) => (x > 32 ? dy : 0) },
  });
  const celsius = [-20, -10, 0, 36.5, 40, 50, 100];
  const net = rt.linear(rt.tensor(celsius), { a: 1.8, b: 32 });
  const f = await rt.activation('c2f', net).read();
  console.log(`  C = ${fmt(celsius)}\n  F = ${fmt(f, 6)}   (seed: [32, 32, 32.0, 97.7, 104.0, 122.0, 212.0])`);

  rt.dispose();
  cpu.dispose();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
