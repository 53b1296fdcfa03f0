/**
 * Run by bench/training.ts in a fresh process (MESA_SHADER_CACHE_DISABLE=true): the first
 * predict and fit of a small network, as a new user meets them. Prints one JSON line.
 */
import { Dense, Input, Sequential, createRuntime } from '../src/index';

const t0 = performance.now();
const rt = await createRuntime();
const t1 = performance.now();
const X = Array.from({ length: 150 }, (_, i) => [Math.sin(i), Math.cos(i), Math.sin(2 * i), Math.cos(3 * i)]);
const Y = X.map(([a, b]) => (a > 0 ? [1, 0, 0] : b > 0 ? [0, 1, 0] : [0, 0, 1]));
const m = new Sequential([Input({ shape: [4] }), Dense({ units: 16, activation: 'relu' }), Dense({ units: 3, activation: 'softmax' })], { runtime: rt });
m.compile({ optimizer: 'adam', loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
const t2 = performance.now();
await (await m.predict(X)).read();
const t3 = performance.now();
await m.fit(X, Y, { epochs: 100, batchSize: 16 });
const t4 = performance.now();
await m.fit(X, Y, { epochs: 100, batchSize: 16 });
const t5 = performance.now();
console.log(JSON.stringify({ runtime: t1 - t0, predict: t3 - t2, fit: t4 - t3, fit2: t5 - t4 }));
rt.dispose();
process.exit(0);
