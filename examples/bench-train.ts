/** Timings of training: the fused 2-2-2 run (100,000 epochs), the general path per epoch, and 784-128-10 steps/s. */
import { Dense, Input, Sequential, createRuntime, sgd } from '../src/index';
import { NET222, network222 } from './seeds';

const backend = process.argv.includes('--cpu') ? 'cpu' : 'webgpu';
const rt = await createRuntime({ backend });
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
/** Wall ms of f; also prints the process CPU ms (all threads), a steadier number on a shared machine. */
const time = async (f: () => Promise<unknown>) => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  cpuMs = (c.user + c.system) / 1000;
  return ms;
};
let cpuMs = 0;

if (!only || only === 'fused') {
  for (let rep = 0; rep < 3; rep++) {
    const m = network222(rt, 'sigmoid');
    const ms = await time(() => m.fit(NET222.x, NET222.targets, { epochs: 100000, batchSize: 1, shuffle: false }));
    console.log(`fused 2-2-2, 100000 epochs: ${ms.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU${rep === 0 ? ' (includes pipeline compile)' : ''}`);
    m.dispose();
  }
}
if (!only || only === 'general') {
  for (let rep = 0; rep < 2; rep++) {
    const m = network222(rt, 'sigmoid');
    const epochs = 1000;
    const ms = await time(() => m.fit(NET222.x, NET222.targets, { epochs, batchSize: 1, shuffle: false, engine: 'general' }));
    console.log(`general 2-2-2: ${(ms / epochs).toFixed(3)} ms/epoch wall, ${(cpuMs / epochs).toFixed(3)} ms CPU${rep === 0 ? ' (includes pipeline compiles)' : ''}`);
    m.dispose();
  }
}
if (!only || only === 'mnist') {
  const n = 256 * 20;
  const x = new Float32Array(n * 784).map((_, i) => ((i * 2654435761) >>> 0) / 2 ** 32);
  const y = new Float32Array(n * 10);
  for (let r = 0; r < n; r++) y[r * 10 + (r % 10)] = 1;
  const m = new Sequential([Input({ shape: [784] }), Dense({ units: 128, activation: 'relu' }), Dense({ units: 10, activation: 'softmax' })], { runtime: rt });
  m.compile({ optimizer: sgd({ learningRate: 0.01 }), loss: 'categoricalCrossentropy' });
  const xt = rt.tensor(x, [n, 784]);
  const yt = rt.tensor(y, [n, 10]);
  await m.fit(xt, yt, { epochs: 1, batchSize: 256 });
  const epochs = 3;
  const ms = await time(() => m.fit(xt, yt, { epochs, batchSize: 256 }));
  console.log(`784-128-10 batch 256: ${((epochs * n) / 256 / (ms / 1000)).toFixed(1)} steps/s (${(ms / epochs).toFixed(0)} ms/epoch of ${n / 256} steps, ${(cpuMs / epochs).toFixed(0)} ms CPU)`);
}
rt.dispose();
