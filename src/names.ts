/**
 * The names users type, as literal-union types (a misspelt name is a compile error that lists
 * the valid ones) and as arrays (test/names.test.ts checks that every spelling a type accepts
 * is accepted at run time). Aliases are the Keras, TensorFlow.js, PyTorch and ONNX spellings.
 * (Loss reductions are already the union `Reduction` of src/kernels/loss.ts.)
 *
 * Functions take a name as `NameOf<N, Known>`: a literal must be one of `Known`; a plain
 * `string` (a name known only at run time: a select box, a config file) passes and is checked
 * when the call runs, with the list of valid names in the error.
 */

/**
 * A literal name must be one of `Known` (or `Also`: custom activations); a plain `string`
 * passes, to be checked at run time. A wrong literal meets `Known`, so the compiler lists the
 * valid names and suggests the closest.
 */
export type NameOf<N extends string, Known extends string, Also = never> = string extends N ? N : N extends Known | Also ? N : Known;

declare const customActivation: unique symbol;
/**
 * The name `runtime.defineActivation` resolves to: use it where a name is typed, e.g.
 * `const c2f = await rt.defineActivation('c2f', def); Dense({units: 1, activation: c2f})`.
 * At run time it is the plain string.
 */
export type CustomActivationName<N extends string = string> = N & { readonly [customActivation]: true };

// ------------------------------------------------------------------ activations

/** Elementwise activations (src/activations/table.ts): canonical names, then their aliases. */
export const ELEMENTWISE_ACTIVATION_NAMES = [
  'identity', 'linear', 'step', 'sigmoid', 'tanh', 'relu', 'leakyRelu', 'relu6', 'elu', 'selu', 'celu',
  'softplus', 'softsign', 'hardSigmoid', 'silu', 'gelu', 'mish', 'hardSwish',
  // table aliases
  'heaviside', 'binary_step', 'logistic', 'leaky_relu', 'hard_sigmoid', 'swish', 'hard_swish', 'hard_silu',
  // PyTorch and ONNX class names (any case and '_' / '-' are accepted at run time; these are typed)
  'Identity', 'Sigmoid', 'Tanh', 'ReLU', 'Relu', 'LeakyReLU', 'LeakyRelu', 'ReLU6', 'ELU', 'Elu', 'SELU', 'Selu',
  'CELU', 'Celu', 'Softplus', 'Softsign', 'Hardsigmoid', 'HardSigmoid', 'SiLU', 'GELU', 'Gelu', 'Mish',
  'Hardswish', 'HardSwish',
] as const;
export type ElementwiseActivationName = (typeof ELEMENTWISE_ACTIVATION_NAMES)[number];

/** softmax and logSoftmax: row ops over an axis, accepted by `activation()` / `activationGrad()`. */
export const ROW_ACTIVATION_NAMES = ['softmax', 'Softmax', 'logSoftmax', 'log_softmax', 'LogSoftmax'] as const;

/** Names `runtime.activation` / `activationGrad` take. */
export type ActivationName = ElementwiseActivationName | (typeof ROW_ACTIVATION_NAMES)[number];

/** Names a `Dense` layer takes: the elementwise ones and softmax. */
export type LayerActivationName = ElementwiseActivationName | 'softmax' | 'Softmax';

// ------------------------------------------------------------------ losses and metrics

/** Losses with their aliases (src/losses/table.ts): `runtime.loss`, `lossGrad`, `lossAndGrad`, `compile`. */
export const LOSS_NAMES_AND_ALIASES = [
  'mse', 'meanSquaredError', 'mean_squared_error', 'MSE', 'MeanSquaredError',
  'mae', 'meanAbsoluteError', 'mean_absolute_error', 'MAE', 'MeanAbsoluteError',
  'halfSquaredError', 'half_squared_error', 'HalfSquaredError',
  'binaryCrossentropy', 'binary_crossentropy', 'BinaryCrossentropy', 'bce', 'BCE',
  'categoricalCrossentropy', 'categorical_crossentropy', 'CategoricalCrossentropy', 'cce', 'CCE',
  'sparseCategoricalCrossentropy', 'sparse_categorical_crossentropy', 'SparseCategoricalCrossentropy', 'scce',
] as const;
/** A loss by its name or an alias (`LossName` is the canonical name). */
export type LossNameOrAlias = (typeof LOSS_NAMES_AND_ALIASES)[number];

/** Metrics of `compile({metrics})` with their aliases (src/losses/table.ts); the sparse ones need a sparse loss. */
export const METRIC_NAMES = [
  'accuracy', 'acc',
  'mse', 'meanSquaredError', 'mean_squared_error',
  'mae', 'meanAbsoluteError', 'mean_absolute_error',
  'halfSquaredError', 'half_squared_error',
  'binaryAccuracy', 'binary_accuracy',
  'categoricalAccuracy', 'categorical_accuracy',
  'binaryCrossentropy', 'binary_crossentropy', 'bce',
  'categoricalCrossentropy', 'categorical_crossentropy', 'cce',
  'sparseCategoricalAccuracy', 'sparse_categorical_accuracy',
  'sparseCategoricalCrossentropy', 'sparse_categorical_crossentropy',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

// ------------------------------------------------------------------ optimizers

/**
 * Optimizer names in the Keras (`'adam'`, class `Adam`) and TensorFlow.js (`RMSProp`) spellings.
 * The type takes every optimizer the API is meant to have; `compile` says at run time which of
 * them this version implements.
 */
export const OPTIMIZER_NAMES = [
  'sgd', 'SGD',
  'adam', 'Adam', 'adamw', 'AdamW', 'adam_w',
  'rmsprop', 'RMSprop', 'RMSProp',
  'adagrad', 'Adagrad',
] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];
