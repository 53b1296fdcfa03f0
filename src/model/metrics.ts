/**
 * Losses and metrics by name (Keras spellings too), as the codes shaders/train_small.wgsl uses,
 * and their float32 CPU twins (one rounding per operation, the order of the WGSL).
 */
import { NNError } from '../errors';

/**
 * Loss codes: 0 mse, 1 mae, 2 binary cross-entropy, 3 categorical cross-entropy, 4 half squared
 * error (the seeds' E = sum (y - t)^2 / 2 per sample), 5 sparse categorical cross-entropy. The
 * trainers never see 5: sparse labels become one-hot rows and the loss code 3 (`trainLoss`).
 */
export const LOSSES: Record<string, number> = {
  mse: 0, meanSquaredError: 0, mean_squared_error: 0, MeanSquaredError: 0,
  mae: 1, meanAbsoluteError: 1, mean_absolute_error: 1, MeanAbsoluteError: 1,
  binaryCrossentropy: 2, binary_crossentropy: 2, BinaryCrossentropy: 2,
  categoricalCrossentropy: 3, categorical_crossentropy: 3, CategoricalCrossentropy: 3,
  halfSquaredError: 4, half_squared_error: 4, HalfSquaredError: 4,
  sparseCategoricalCrossentropy: 5, sparse_categorical_crossentropy: 5, SparseCategoricalCrossentropy: 5,
};
export const LOSS_CANONICAL = ['meanSquaredError', 'meanAbsoluteError', 'binaryCrossentropy', 'categoricalCrossentropy', 'halfSquaredError', 'sparseCategoricalCrossentropy'];
/** Names the runtime's loss ops use (src/kernels/loss.ts), by trainer loss code. */
export const LOSS_OP_NAMES = ['mse', 'mae', 'binaryCrossentropy', 'categoricalCrossentropy', 'halfSquaredError'];
export const BCE_LOSS = 2;
export const SPARSE_LOSS = 5;
/** The loss code the trainers use: sparse labels train as one-hot categorical cross-entropy. */
export const trainLoss = (loss: number) => (loss === SPARSE_LOSS ? 3 : loss);

/** Value codes: 0 mse, 1 mae, 2 binary accuracy, 3 categorical accuracy, 4 bce, 5 cce, 6 half squared error. */
const METRICS: Record<string, number | 'accuracy'> = {
  mse: 0, meanSquaredError: 0, mean_squared_error: 0,
  mae: 1, meanAbsoluteError: 1, mean_absolute_error: 1,
  binaryAccuracy: 2, binary_accuracy: 2,
  categoricalAccuracy: 3, categorical_accuracy: 3,
  binaryCrossentropy: 4, binary_crossentropy: 4,
  categoricalCrossentropy: 5, categorical_crossentropy: 5,
  halfSquaredError: 6, half_squared_error: 6,
  accuracy: 'accuracy', acc: 'accuracy',
};
/** Metrics on class-index labels: only with a sparse loss, where labels become one-hot rows. */
const SPARSE_METRICS: Record<string, number> = {
  sparseCategoricalAccuracy: 3, sparse_categorical_accuracy: 3,
  sparseCategoricalCrossentropy: 5, sparse_categorical_crossentropy: 5,
};

export function lossCode(op: string, name: unknown): number {
  const code = typeof name === 'string' && Object.hasOwn(LOSSES, name) ? LOSSES[name] : undefined;
  if (code === undefined) throw new NNError(`${op}: unknown loss ${JSON.stringify(name)} (known: ${Object.keys(LOSSES).join(', ')})`);
  return code;
}

/** Keras: 'accuracy' is binary accuracy with one output or a binary cross-entropy loss, else categorical. */
export function metricCode(op: string, name: unknown, loss: number, units: number): number {
  if (typeof name === 'string' && Object.hasOwn(SPARSE_METRICS, name)) {
    if (loss !== SPARSE_LOSS) throw new NNError(`${op}: metric '${name}' needs class-index labels, i.e. the loss 'sparseCategoricalCrossentropy' (the loss is '${LOSS_CANONICAL[loss]}')`);
    return SPARSE_METRICS[name];
  }
  const code = typeof name === 'string' && Object.hasOwn(METRICS, name) ? METRICS[name] : undefined;
  if (code === undefined) throw new NNError(`${op}: unknown metric ${JSON.stringify(name)} (known: ${[...Object.keys(METRICS), ...Object.keys(SPARSE_METRICS)].join(', ')})`);
  if (code === 'accuracy') return (units === 1 || loss === 2) && loss !== SPARSE_LOSS ? 2 : 3;
  return code;
}

const fr = Math.fround;
const EPS = fr(1e-7);
const clip01 = (y: number) => Math.min(Math.max(y, EPS), fr(1 - EPS));

/** Per-sample value (float32 steps), twin of `sample_value` in train_small.wgsl. */
export function sampleValue(id: number, y: Float32Array | number[], yo: number, t: Float32Array, to: number, k: number): number {
  let s = 0;
  switch (id) {
    case 0:
      for (let i = 0; i < k; i++) {
        const e = fr(y[yo + i] - t[to + i]);
        s = fr(s + fr(e * e));
      }
      return fr(s / k);
    case 1:
      for (let i = 0; i < k; i++) s = fr(s + Math.abs(fr(y[yo + i] - t[to + i])));
      return fr(s / k);
    case 2:
      for (let i = 0; i < k; i++) s = fr(s + (y[yo + i] > 0.5 === t[to + i] > 0.5 ? 1 : 0));
      return fr(s / k);
    case 3: {
      let bi = 0;
      let bt = 0;
      for (let i = 1; i < k; i++) {
        if (y[yo + i] > y[yo + bi]) bi = i;
        if (t[to + i] > t[to + bt]) bt = i;
      }
      return bi === bt ? 1 : 0;
    }
    case 4:
      for (let i = 0; i < k; i++) {
        const c = clip01(y[yo + i]);
        const tt = t[to + i];
        s = fr(s + fr(fr(tt * fr(Math.log(c))) + fr(fr(1 - tt) * fr(Math.log(fr(1 - c))))));
      }
      return fr(-s / k);
    case 5:
      for (let i = 0; i < k; i++) s = fr(s + fr(t[to + i] * fr(Math.log(clip01(y[yo + i])))));
      return -s;
    default:
      for (let i = 0; i < k; i++) {
        const e = fr(y[yo + i] - t[to + i]);
        s = fr(s + fr(e * e));
      }
      return fr(s * 0.5);
  }
}

/** Value code of a trainer loss code (0-4). */
export const lossValueCode = (loss: number) => [0, 1, 4, 5, 6][loss];
