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

import { LOSSES, METRICS, type LossSpelling, type MetricSpelling } from './losses/table';
import { OPTIMIZER_SPELLINGS, type OptimizerSpelling } from './model/optimizers';
import { BUILTIN_ACTIVATIONS, type BuiltinActivationSpelling } from './activations/table';

// ------------------------------------------------------------------ activations

/** PyTorch and ONNX class names of the built-ins (any case and '_' / '-' are accepted at run time; these are typed). */
const FOLDED_SPELLINGS = [
  'Identity', 'Sigmoid', 'Tanh', 'ReLU', 'Relu', 'LeakyReLU', 'LeakyRelu', 'ReLU6', 'ELU', 'Elu', 'SELU', 'Selu',
  'CELU', 'Celu', 'Softplus', 'Softsign', 'Hardsigmoid', 'HardSigmoid', 'SiLU', 'GELU', 'Gelu', 'Mish',
  'Hardswish', 'HardSwish',
] as const;
/** Elementwise activations: the table's names and aliases (src/activations/table.ts), and the PyTorch / ONNX spellings. */
export type ElementwiseActivationName = BuiltinActivationSpelling | (typeof FOLDED_SPELLINGS)[number];
export const ELEMENTWISE_ACTIVATION_NAMES: readonly ElementwiseActivationName[] = [
  ...BUILTIN_ACTIVATIONS.flatMap((a) => [a.name, ...a.aliases] as ElementwiseActivationName[]),
  ...FOLDED_SPELLINGS,
];

/** softmax and logSoftmax: row ops over an axis, accepted by `activation()` / `activationGrad()`. */
export const ROW_ACTIVATION_NAMES = ['softmax', 'Softmax', 'logSoftmax', 'log_softmax', 'LogSoftmax'] as const;

/** Names `runtime.activation` / `activationGrad` take. */
export type ActivationName = ElementwiseActivationName | (typeof ROW_ACTIVATION_NAMES)[number];

/** Names a `Dense` layer takes: the elementwise ones and softmax. */
export type LayerActivationName = ElementwiseActivationName | 'softmax' | 'Softmax';

// ------------------------------------------------------------------ losses and metrics

/** A loss by its name or an alias (`LossName` is the canonical name): from the table, src/losses/table.ts. */
export type LossNameOrAlias = LossSpelling;
export const LOSS_NAMES_AND_ALIASES: readonly LossNameOrAlias[] = LOSSES.flatMap((l) => [l.name, ...l.aliases]);

/** Metrics of `compile({metrics})` with their aliases (src/losses/table.ts); the sparse ones need a sparse loss. */
export type MetricName = MetricSpelling;
export const METRIC_NAMES: readonly MetricName[] = METRICS.flatMap((m) => [m.name, ...m.aliases]);

// ------------------------------------------------------------------ optimizers

/** Optimizer names in the Keras (`'adam'`, class `Adam`) and TensorFlow.js (`RMSProp`) spellings: from src/model/optimizers.ts. */
export type OptimizerName = OptimizerSpelling;
export const OPTIMIZER_NAMES: readonly OptimizerName[] = OPTIMIZER_SPELLINGS;
