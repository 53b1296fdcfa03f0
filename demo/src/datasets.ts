/**
 * The playground's generated datasets: 2-D classification (XOR, circles, two spirals, Gaussian
 * blobs) and 1-D regression, with input noise and a train/test split, each with the network
 * and settings that train it well. Seeded: the same seed gives the same points.
 */
import type { LayerSpec } from './examples';

export type DatasetKind = 'xor' | 'circles' | 'spirals' | 'blobs' | 'regression';

export interface DataSettings {
  kind: DatasetKind;
  /** Points in all (train + test). */
  samples: number;
  /** Input noise: standard deviation relative to the pattern's size (0 to 0.5). */
  noise: number;
  /** Fraction held out for testing (0.1 to 0.9). */
  testFraction: number;
  seed: number;
}

export interface Dataset {
  x: number[][];
  y: number[][];
  xTest: number[][];
  yTest: number[][];
  /** The square the points live in (and the heatmap covers): [lo, hi] on both axes. */
  extent: [number, number];
  classification: boolean;
}

export interface DatasetPreset {
  id: DatasetKind;
  title: string;
  note: string;
  data: Omit<DataSettings, 'kind' | 'seed'>;
  layers: LayerSpec[];
  loss: string;
  metric: string;
  lr: number;
  momentum: number;
  epochs: number;
  batchSize: number;
}

const CLASSIFY = { loss: 'binary_crossentropy', metric: 'accuracy' };

/** XOR and circles: one hidden layer of 8 tanh units does it. */
const ONE_HIDDEN = {
  data: { samples: 300, noise: 0.05, testFraction: 0.3 },
  layers: [
    { units: 8, activation: 'tanh' },
    { units: 1, activation: 'sigmoid' },
  ],
  ...CLASSIFY,
  lr: 0.1,
  momentum: 0.9,
  epochs: 300,
  batchSize: 10,
};

export const DATASETS: DatasetPreset[] = [
  {
    id: 'xor',
    title: 'Playground: XOR (2-D classification)',
    note: 'Points in four quadrants; the class is the sign of x1·x2. No single line separates them: a hidden layer is needed.',
    ...ONE_HIDDEN,
  },
  {
    id: 'circles',
    title: 'Playground: circles (2-D classification)',
    note: 'A disc of one class inside a ring of the other: the boundary is a circle.',
    ...ONE_HIDDEN,
  },
  {
    id: 'spirals',
    title: 'Playground: two spirals (2-D classification)',
    note: 'Two interleaved spiral arms: the hardest of the four; it needs two hidden layers and more epochs.',
    data: { samples: 400, noise: 0.02, testFraction: 0.3 },
    layers: [
      { units: 16, activation: 'tanh' },
      { units: 16, activation: 'tanh' },
      { units: 1, activation: 'sigmoid' },
    ],
    ...CLASSIFY,
    lr: 0.2,
    momentum: 0.9,
    epochs: 500,
    batchSize: 32,
  },
  {
    id: 'blobs',
    title: 'Playground: Gaussian blobs (2-D classification)',
    note: 'Two Gaussian clouds; one sigmoid unit (a line) separates them, so no hidden layer is needed.',
    data: { samples: 300, noise: 0.15, testFraction: 0.3 },
    layers: [{ units: 1, activation: 'sigmoid' }],
    ...CLASSIFY,
    lr: 0.1,
    momentum: 0.9,
    epochs: 100,
    batchSize: 10,
  },
  {
    id: 'regression',
    title: 'Playground: 1-D regression (y = sin 3x)',
    note: 'y = sin(3x) plus noise on y; a linear output with mse. Watch the fitted curve bend into shape.',
    data: { samples: 200, noise: 0.1, testFraction: 0.3 },
    layers: [
      { units: 16, activation: 'tanh' },
      { units: 1, activation: 'linear' },
    ],
    loss: 'mse',
    metric: 'mae',
    lr: 0.05,
    momentum: 0.9,
    epochs: 500,
    batchSize: 10,
  },
];

/** mulberry32: a small seeded generator of uniforms in [0, 1). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** One point of the pattern with its label (before noise). */
function sample(kind: DatasetKind, u: () => number, i: number, n: number): { x: number[]; y: number } {
  const label = i % 2;
  switch (kind) {
    case 'xor': {
      // Away from the axes (a margin of 0.1), so that noise 0 gives a clean problem.
      const a = 0.1 + 0.9 * u();
      const b = 0.1 + 0.9 * u();
      const sx = u() < 0.5 ? -1 : 1;
      const sy = label === 1 ? sx : -sx;
      return { x: [sx * a, sy * b], y: label };
    }
    case 'circles': {
      const r = label === 1 ? 0.5 * Math.sqrt(u()) : 0.7 + 0.3 * u();
      const t = 2 * Math.PI * u();
      return { x: [r * Math.cos(t), r * Math.sin(t)], y: label };
    }
    case 'spirals': {
      const t = u();
      const r = 0.05 + 0.95 * t;
      const angle = 1.75 * 2 * Math.PI * t + (label === 1 ? Math.PI : 0);
      return { x: [r * Math.cos(angle), r * Math.sin(angle)], y: label };
    }
    case 'blobs': {
      const c = label === 1 ? 0.45 : -0.45;
      return { x: [c + 0.1 * gaussian(u), c + 0.1 * gaussian(u)], y: label };
    }
    case 'regression': {
      const x = -1 + (2 * (i + u())) / n;
      return { x: [x], y: Math.sin(3 * x) };
    }
  }
}

/** The dataset: points in a random order, the last `testFraction` of them held out. */
export function generate(s: DataSettings): Dataset {
  const u = rng(s.seed * 7919 + s.kind.length);
  const noise = rng(s.seed * 104729 + 17);
  const rows: { x: number[]; y: number[] }[] = [];
  for (let i = 0; i < s.samples; i++) {
    const p = sample(s.kind, u, i, s.samples);
    if (s.kind === 'regression') rows.push({ x: p.x, y: [p.y + s.noise * gaussian(noise)] });
    else rows.push({ x: p.x.map((v) => v + s.noise * gaussian(noise)), y: [p.y] });
  }
  // Shuffle once here, so that training can keep the row order fixed (shuffle: false).
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  const round = (v: number) => Math.round(v * 1e4) / 1e4;
  for (const r of rows) {
    r.x = r.x.map(round);
    r.y = r.y.map(round);
  }
  const nTest = Math.max(1, Math.min(rows.length - 1, Math.round(rows.length * s.testFraction)));
  const train = rows.slice(0, rows.length - nTest);
  const test = rows.slice(rows.length - nTest);
  return {
    x: train.map((r) => r.x),
    y: train.map((r) => r.y),
    xTest: test.map((r) => r.x),
    yTest: test.map((r) => r.y),
    extent: s.kind === 'regression' ? [-1.1, 1.1] : [-1.5, 1.5],
    classification: s.kind !== 'regression',
  };
}
