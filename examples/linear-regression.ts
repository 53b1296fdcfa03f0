/** 003_: Keras linear regression y = 2x and y = 2x + 1, loss and MAE per epoch, predictions. */
import { Dense, Input, Sequential, setSeed } from '../src/index';
import { LINEAR, runtimeFromArgs } from './seeds';

const rt = await runtimeFromArgs();
console.log(`backend: ${rt.backend}`);
setSeed(42);
for (const [name, d, epochs] of [['y = 2x', LINEAR.double, 500], ['y = 2x + 1', LINEAR.doublePlusOne, 1000]] as const) {
  const model = new Sequential([Input({ shape: [1] }), Dense({ units: 1 })], { runtime: rt });
  model.compile({ optimizer: 'sgd', loss: 'mse', metrics: ['mae'] });
  const h = await model.fit(d.x, d.y, { epochs, seed: 1 });
  console.log(`\n${name}`);
  for (const e of [0, 1, 2, 9, 99, epochs - 1]) console.log(`epoch ${e}: loss ${h.loss[e].toExponential(4)}  mae ${(h.history.mae[e]).toExponential(4)}`);
  const p = Array.from(await (await model.predict(d.predictX)).read());
  console.log(`predict ${JSON.stringify(d.predictX)} -> ${p.map((v) => v.toFixed(3)).join(', ')} (about ${d.about.join(', ')})`);
}
rt.dispose();
