/** Data and printed numbers of the seeds' worked examples (see /work/shared/SEEDS.md), shared by examples, tests and demos. */
import { Dense, Input, Sequential, createRuntime, type Runtime } from '../src/index';

export const HOUSE = {
  x: [[1, 1], [2, 0], [1, 0], [1, 1], [2, 0], [1, 0], [3, 1], [4, 1]],
  y: [1, 0, 0, 1, 1, 1, 1, 0],
  w: [[0.11075377], [-0.37975395]],
  b: [0.00316227],
  netInputs: [-0.26583791, 0.22466981, 0.11391604, -0.26583791, 0.22466981, 0.11391604, -0.04433037, 0.0664234],
  outputs: [0.433929166, 0.555932378, 0.528448253, 0.433929166, 0.555932378, 0.528448253, 0.488919222, 0.516599747],
  hidden: { w: [[0.11075378], [-0.37975395]], b: [0.00316224], w2: [[-0.60811526]], b2: [0.00316227] },
  hiddenOutputs: [0.500790567, 0.466683723, 0.483478067, 0.500790567, 0.466683723, 0.483478067, 0.500790567, 0.49069337],
  bce: 0.6909422129392624,
};

export const C2F = {
  celsius: [-20, -10, 0, 36.5, 40, 50, 100],
  fahrenheit: [32, 32, 32.0, 97.7, 104.0, 122.0, 212.0],
};

export const LINEAR = {
  double: { x: [1, 2, 3, 4], y: [2, 4, 6, 8], predictX: [3.5, 5, 5.5, 6], about: [7, 10, 11, 12] },
  doublePlusOne: { x: [0, 1, 2], y: [1, 3, 5], predictX: [3, 4], about: [7, 9] },
};

/** The 2-2-2 network of 004_: W1 [in, out] so h1 uses w1 = .15, w2 = .20; h2 uses w3 = .25, w4 = .30. */
export const NET222 = {
  x: [[0.05, 0.1]],
  w1: [[0.15, 0.25], [0.2, 0.3]],
  b1: [0.35, 0.35],
  w2: [[0.4, 0.5], [0.45, 0.55]],
  b2: [0.6, 0.6],
  targets: [[0.01, 0.99]],
  lr: 0.01,
};

/** Printed lines: y then w1,w3 / w2,w4 / b1,b2 / w5,w7 / w6,w8 / b3,b4, each to 6 decimals. */
export interface Printed222 {
  epochs: number;
  y: [string, string];
  lines: [string, string][];
}

export const NET222_EXPECTED = {
  sigmoid1000: {
    epochs: 1000,
    y: ['0.359368', '0.809741'],
    lines: [['0.149033', '0.247115'], ['0.198065', '0.294230'], ['0.330653', '0.292297'], ['0.009232', '0.629159'], ['0.063927', '0.677595'], ['-0.603755', '0.997324']],
  },
  sigmoid100000: {
    epochs: 100000,
    y: ['0.013750', '0.987571'],
    lines: [['0.198118', '0.291117'], ['0.296234', '0.382345'], ['1.312289', '1.172902'], ['-0.956824', '1.076556'], ['-0.813884', '1.083658'], ['-1.981831', '1.591643']],
  },
  /** The book's last printed line (epoch 599): y after 600 epochs and w1,w3 then. */
  linear600: { epochs: 600, y: ['0.010858', '0.989648'], lines: [['0.143157', '0.241801']] },
  linearStop: { epoch: 665, lossAbout: 9.9e-8 },
  softmax100000: {
    epochs: 100000,
    y: ['0.000052', '0.999948'],
    lines: [['0.209796', '0.311644'], ['0.319592', '0.423376'], ['1.546079', '1.583957'], ['-0.635543', '1.535484'], ['-0.621608', '1.621555'], ['-0.767205', '1.967242']],
  },
} satisfies Record<string, Printed222 | { epoch: number; lossAbout: number }>;

export type Variant222 = 'sigmoid' | 'linear' | 'softmax';

/** The 2-2-2 network with the seeds' weights; compiled as in the seeds' Keras version. */
export function network222(runtime: Runtime, output: Variant222): Sequential {
  const model = new Sequential([Input({ shape: [2] }), Dense({ units: 2, activation: 'relu' }), Dense({ units: 2, activation: output })], { runtime });
  model.setWeights([NET222.w1, NET222.b1, NET222.w2, NET222.b2]);
  model.compile({ optimizer: { className: 'SGD', config: { learningRate: NET222.lr } }, loss: output === 'softmax' ? 'categorical_crossentropy' : 'mse' });
  return model;
}

/**
 * Trains like the seeds' loop: the y printed after N epochs is the forward pass of the last
 * epoch (before its update), the weights are those after it. Returns the printed strings.
 */
export async function train222(runtime: Runtime, output: Variant222, epochs: number, stopWhenLossBelow?: number, engine: 'auto' | 'general' = 'auto') {
  const model = network222(runtime, output);
  const targets = output === 'softmax' ? [[0, 1]] : NET222.targets;
  const t0 = performance.now();
  const history = await model.fit(NET222.x, targets, { epochs, batchSize: 1, shuffle: false, stopWhenLossBelow, keepLastOutputs: true, engine });
  const ms = performance.now() - t0;
  const lastLoss = history.loss[history.loss.length - 1];
  const ranEpochs = history.epoch.length;
  // The printed y is the forward pass of the last epoch, before its update: fit keeps it.
  const y = Array.from(history.lastOutputs!);
  const [W1, B1, W2, B2] = (await model.getWeights()) as number[][][] & number[][];
  const w1 = W1 as unknown as number[][];
  const w2 = W2 as unknown as number[][];
  const b1 = B1 as unknown as number[];
  const b2 = B2 as unknown as number[];
  const f = (v: number) => v.toFixed(6);
  const lines: [string, string][] = [
    [f(w1[0][0]), f(w1[0][1])],
    [f(w1[1][0]), f(w1[1][1])],
    [f(b1[0]), f(b1[1])],
    [f(w2[0][0]), f(w2[0][1])],
    [f(w2[1][0]), f(w2[1][1])],
    [f(b2[0]), f(b2[1])],
  ];
  model.dispose();
  return { y: [f(y[0]), f(y[1])] as [string, string], lines, lastEpoch: history.epoch[ranEpochs - 1], lastLoss, ms, history };
}

export const LABELS = ['w1,w3', 'w2,w4', 'b1,b2', 'w5,w7', 'w6,w8', 'b3,b4'];

export async function runtimeFromArgs(): Promise<Runtime> {
  const cpu = process.argv.includes('--cpu');
  return createRuntime({ backend: cpu ? 'cpu' : 'webgpu' });
}
