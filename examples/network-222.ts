/** The seeds' 2-2-2 network (004_): ReLU + sigmoid, ReLU + linear (stop when E < 1e-7), ReLU + softmax. */
import { LABELS, NET222_EXPECTED, runtimeFromArgs, train222, type Variant222 } from './seeds';

const rt = await runtimeFromArgs();
console.log(`backend: ${rt.backend}`);
const runs: [string, Variant222, number, number | undefined][] = [
  ['ReLU + sigmoid, 1000 epochs', 'sigmoid', 1000, undefined],
  ['ReLU + sigmoid, 100000 epochs', 'sigmoid', 100000, undefined],
  ['ReLU + linear, 600 epochs (the book prints up to epoch 599)', 'linear', 600, undefined],
  ['ReLU + linear, stop when E < 1e-7', 'linear', 100000, 1e-7],
  ['ReLU + softmax + cross-entropy, 100000 epochs', 'softmax', 100000, undefined],
];
for (const [title, variant, epochs, stop] of runs) {
  const r = await train222(rt, variant, epochs, stop);
  console.log(`\n${title}  (${r.ms.toFixed(0)} ms)`);
  console.log(`epoch = ${r.lastEpoch}   E = ${r.lastLoss.toExponential(4)}`);
  console.log(` y1 : ${r.y[0]}\n y2 : ${r.y[1]}`);
  r.lines.forEach((l, i) => console.log(`${LABELS[i]} = ${l[0]},${l[1]}`));
}
console.log('\nexpected (seeds):', JSON.stringify(NET222_EXPECTED));
rt.dispose();
