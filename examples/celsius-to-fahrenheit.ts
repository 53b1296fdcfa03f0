/** 001_: the C2F neuron F = max(32, 9/5 C + 32): weight 9/5, bias 32, an activation clamping below 32. */
import { Dense, Input, Sequential } from '../src/index';
import { C2F, runtimeFromArgs } from './seeds';

const rt = await runtimeFromArgs();
const c2f = await rt.defineActivation('c2f', {
  wgsl: { forward: 'max(32.0, x)', backward: 'select(0.0, dy, x > 32.0)' },
  cpu: { forward: (x) => Math.max(32, x), backward: (x, _y, dy) => (x > 32 ? dy : 0) },
});
const model = new Sequential([Input({ shape: [1] }), Dense({ units: 1, activation: c2f })], { runtime: rt });
model.setWeights([[[9 / 5]], [32]]);
const f = Array.from(await (await model.predict(C2F.celsius)).read());
console.log(`backend: ${rt.backend}`);
C2F.celsius.forEach((c, i) => console.log(`${c} C -> ${f[i].toFixed(1)} F`));
rt.dispose();
