/**
 * The notes' training examples as playground presets (data, network, settings, initial
 * weights and the numbers the notes print). Data and printed numbers come from
 * examples/seeds.ts where it has them.
 */
import { HOUSE, LINEAR, NET222, NET222_EXPECTED } from '../../examples/seeds';

export interface LayerSpec {
  units: number;
  activation: string;
}

export interface Example {
  id: string;
  title: string;
  note: string;
  inputs: number;
  layers: LayerSpec[];
  loss: string;
  metric: string;
  lr: number;
  epochs: number;
  batchSize: number;
  stopBelow?: number;
  x: number[][];
  y: number[][];
  xTest?: number[][];
  /** Keras order [W1, b1, W2, b2, ...]; absent: random (seed 1234). */
  weights?: (number[] | number[][])[];
  /** What the notes print after training. */
  expected?: {
    /** y in the forward pass of the last epoch (before its update), as the notes print it. */
    yLastForward?: number[];
    weights?: (number[] | number[][])[];
    /** The epoch (0-based) where stopBelow fires. */
    stopEpoch?: number;
    /** Predictions for xTest, roughly. */
    predictions?: number[];
  };
}

const W_222: (number[] | number[][])[] = [NET222.w1, NET222.b1, NET222.w2, NET222.b2];
const num = (a: readonly string[]) => a.map(Number);
const E1000 = NET222_EXPECTED.sigmoid1000.lines.map(num);

const HOUSE_X = HOUSE.x;
const HOUSE_Y = HOUSE.y.map((v) => [v]);

export const EXAMPLES: Example[] = [
  {
    id: 'net222-sigmoid',
    title: '2-2-2 network: ReLU hidden, sigmoid output',
    note: 'From 004: x = (0.05, 0.10), targets (0.01, 0.99), per-sample SGD with lr 0.01 and E = Σ(y − t)²/2 (Keras mse over two outputs). After 1000 epochs the notes print y = (0.359368, 0.809741).',
    inputs: 2,
    layers: [
      { units: 2, activation: 'relu' },
      { units: 2, activation: 'sigmoid' },
    ],
    loss: 'mse',
    metric: 'mae',
    lr: 0.01,
    epochs: 1000,
    batchSize: 1,
    x: NET222.x,
    y: NET222.targets,
    weights: W_222,
    expected: {
      yLastForward: num(NET222_EXPECTED.sigmoid1000.y),
      weights: [[E1000[0], E1000[1]], E1000[2], [E1000[3], E1000[4]], E1000[5]],
    },
  },
  {
    id: 'net222-linear',
    title: '2-2-2 network: ReLU hidden, linear output, stop when E < 1e-7',
    note: 'From 004: the same network with a linear output; the rule "stop when E < 1e-7" fires at epoch 665 (0-based).',
    inputs: 2,
    layers: [
      { units: 2, activation: 'relu' },
      { units: 2, activation: 'linear' },
    ],
    loss: 'mse',
    metric: 'mae',
    lr: 0.01,
    epochs: 1000,
    batchSize: 1,
    stopBelow: 1e-7,
    x: NET222.x,
    y: NET222.targets,
    weights: W_222,
    expected: { stopEpoch: NET222_EXPECTED.linearStop.epoch },
  },
  {
    id: 'net222-softmax',
    title: '2-2-2 network: ReLU hidden, softmax output, cross-entropy',
    note: 'From 004: targets (0, 1) and E = −Σ t log y. After 100000 epochs the notes print y = (0.000052, 0.999948).',
    inputs: 2,
    layers: [
      { units: 2, activation: 'relu' },
      { units: 2, activation: 'softmax' },
    ],
    loss: 'categorical_crossentropy',
    metric: 'accuracy',
    lr: 0.01,
    epochs: 100000,
    batchSize: 1,
    x: NET222.x,
    y: [[0, 1]],
    weights: W_222,
    expected: { yLastForward: num(NET222_EXPECTED.softmax100000.y) },
  },
  {
    id: 'y2x',
    title: 'Linear regression y = 2x',
    note: 'From 003: one Dense unit, SGD, mse with the mae metric, 500 epochs on x = [1, 2, 3, 4]; predicting [3.5, 5, 5.5, 6] gives about [7, 10, 11, 12].',
    inputs: 1,
    layers: [{ units: 1, activation: 'linear' }],
    loss: 'mse',
    metric: 'mae',
    lr: 0.01,
    epochs: 500,
    batchSize: 32,
    x: LINEAR.double.x.map((v) => [v]),
    y: LINEAR.double.y.map((v) => [v]),
    xTest: LINEAR.double.predictX.map((v) => [v]),
    expected: { predictions: LINEAR.double.about },
  },
  {
    id: 'y2x1',
    title: 'Linear regression y = 2x + 1',
    // As the notes' code: fit(x[:3], y[:3]) on x = [0..4], y = 2x + 1, then predict x[3:].
    note: 'From 003: train on the first three points of x = [0, 1, 2, 3, 4], y = [1, 3, 5, ?, ?] for 1000 epochs and predict the last two (about 7 and 9).',
    inputs: 1,
    layers: [{ units: 1, activation: 'linear' }],
    loss: 'mse',
    metric: 'mae',
    lr: 0.01,
    epochs: 1000,
    batchSize: 32,
    x: [[0], [1], [2]],
    y: [[1], [3], [5]],
    xTest: [[3], [4]],
    expected: { predictions: [7, 9] },
  },
  {
    id: 'house',
    title: 'House classifier: rebuild yes/no (one sigmoid unit)',
    note: 'From 000: rooms and build year (scaled: year / 2000 as an integer) -> rebuild? Starts from the notes\' weights w = [0.11075377, −0.37975395], b = 0.00316227; binary cross-entropy with accuracy.',
    inputs: 2,
    layers: [{ units: 1, activation: 'sigmoid' }],
    loss: 'binary_crossentropy',
    metric: 'accuracy',
    lr: 0.1,
    epochs: 300,
    batchSize: 32,
    x: HOUSE_X,
    y: HOUSE_Y,
    weights: [HOUSE.w, HOUSE.b],
  },
  {
    id: 'house-hidden',
    title: 'House classifier with a ReLU hidden unit',
    note: 'From 000: a 1-unit ReLU hidden layer (3 parameters) and a sigmoid output (2 parameters), from the notes\' weights; the first epoch\'s loss is the binary cross-entropy the notes compute by hand, about 0.6909.',
    inputs: 2,
    layers: [
      { units: 1, activation: 'relu' },
      { units: 1, activation: 'sigmoid' },
    ],
    loss: 'binary_crossentropy',
    metric: 'accuracy',
    lr: 0.1,
    epochs: 300,
    batchSize: 32,
    x: HOUSE_X,
    y: HOUSE_Y,
    weights: [HOUSE.hidden.w, HOUSE.hidden.b, HOUSE.hidden.w2, HOUSE.hidden.b2],
  },
];
