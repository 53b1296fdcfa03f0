/** 000_: a 2-input sigmoid unit (house: rooms, build year -> rebuild?) and a ReLU hidden unit + sigmoid output. */
import { Dense, Input, Sequential } from '../src/index';
import { HOUSE, runtimeFromArgs } from './seeds';

const rt = await runtimeFromArgs();
console.log(`backend: ${rt.backend}`);
const single = new Sequential([Input({ shape: [2] }), Dense({ units: 1, activation: 'sigmoid' })], { runtime: rt });
single.setWeights([HOUSE.w, HOUSE.b]);
single.compile({ optimizer: 'sgd', loss: 'binary_crossentropy', metrics: ['accuracy'] });
single.summary();
const linear = new Sequential([Input({ shape: [2] }), Dense({ units: 1 })], { runtime: rt });
linear.setWeights([HOUSE.w, HOUSE.b]);
const z = Array.from(await (await linear.predict(HOUSE.x)).read());
const y = Array.from(await (await single.predict(HOUSE.x)).read());
console.log('net inputs:', z.map((v) => v.toFixed(8)).join(', '));
console.log('outputs:   ', y.map((v) => v.toFixed(9)).join(', '));

const hidden = new Sequential([Input({ shape: [2] }), Dense({ units: 1, activation: 'relu' }), Dense({ units: 1, activation: 'sigmoid' })], { runtime: rt });
hidden.setWeights([HOUSE.hidden.w, HOUSE.hidden.b, HOUSE.hidden.w2, HOUSE.hidden.b2]);
hidden.compile({ optimizer: 'sgd', loss: 'binary_crossentropy', metrics: ['accuracy'] });
hidden.summary();
const yh = Array.from(await (await hidden.predict(HOUSE.x)).read());
console.log('hidden-layer outputs:', yh.map((v) => v.toFixed(9)).join(', '));
const bce = -yh.reduce((s, p, i) => s + HOUSE.y[i] * Math.log(p) + (1 - HOUSE.y[i]) * Math.log(1 - p), 0) / yh.length;
console.log(`binary cross-entropy by hand: ${bce.toFixed(4)}; evaluate(): ${((await hidden.evaluate(HOUSE.x, HOUSE.y)) as number[])[0].toFixed(4)}`);
rt.dispose();
