/** Layers of a Sequential model: Input and Dense (z = x W + b, then the activation). */
import { NNError, invalid } from '../errors';
import { ACT } from '../gpu/ids';
import { BUILTIN_ACTIVATIONS, findActivation, foldName } from '../activations/table';
import type { CustomActivationName, LayerActivationName, NameOf } from '../names';
import { getInitializer, type Initializer, type InitializerLike } from './initializers';

export interface InputConfig {
  shape: readonly number[];
  name?: string;
}

export class InputLayer {
  readonly className = 'InputLayer';
  readonly shape: number[];
  readonly name: string;
  constructor(config: InputConfig) {
    const shape = config?.shape;
    if (!Array.isArray(shape) || shape.length !== 1 || !Number.isInteger(shape[0]) || shape[0] < 1) {
      invalid('Input', 'shape', '[features] with a positive integer (Dense networks take rows of features)', shape);
    }
    this.shape = [...shape];
    this.name = config.name ?? 'input';
  }
}

/** `Input({shape: [2]})`, as `tf.keras.Input(shape=(2,))`. */
export function Input(config: InputConfig): InputLayer {
  return new InputLayer(config);
}

export interface DenseConfig<A extends string = LayerActivationName> {
  units: number;
  /**
   * 'relu', 'sigmoid', 'tanh', 'softmax', 'linear' (identity, as Keras; also null), any
   * activation of the table, or one made with runtime.defineActivation (the name it resolves to).
   */
  activation?: NameOf<A, LayerActivationName, CustomActivationName> | null;
  useBias?: boolean;
  kernelInitializer?: InitializerLike;
  biasInitializer?: InitializerLike;
  /** Shape of one input row, for a first layer without `Input`. */
  inputShape?: readonly number[];
  inputDim?: number;
  name?: string;
}

let denseCount = 0;

export class DenseLayer {
  readonly className = 'Dense';
  readonly units: number;
  readonly activation: string;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly inputShape: number[] | null;
  name: string;
  /** Set when the layer is built: input features. */
  inputUnits = 0;

  /** `<any>`: any activation name; the types check literals at `Dense()`, this checks at run time. */
  constructor(config: DenseConfig<any>) {
    const op = 'Dense';
    if (!config || typeof config !== 'object' || Array.isArray(config)) invalid(op, 'the config', "an object like {units: 2, activation: 'relu'}", config);
    const { units } = config;
    if (!Number.isInteger(units) || units < 1) invalid(op, 'units', 'a positive integer', units);
    this.units = units;
    this.activation = normalizeActivation(config.activation);
    this.useBias = config.useBias ?? true;
    this.kernelInitializer = getInitializer(`${op}.kernelInitializer`, config.kernelInitializer, 'glorotUniform');
    this.biasInitializer = getInitializer(`${op}.biasInitializer`, config.biasInitializer, 'zeros');
    const shape = config.inputShape ?? (config.inputDim !== undefined ? [config.inputDim] : null);
    if (shape !== null && (!Array.isArray(shape) || shape.length !== 1 || !Number.isInteger(shape[0]) || shape[0] < 1)) {
      invalid(op, config.inputShape !== undefined ? 'inputShape' : 'inputDim', config.inputShape !== undefined ? '[features] with a positive integer' : 'a positive integer', config.inputShape ?? config.inputDim);
    }
    this.inputShape = shape ? [...shape] : null;
    this.name = config.name ?? (denseCount++ === 0 ? 'dense' : `dense_${denseCount - 1}`);
  }

  get paramCount(): number {
    return this.inputUnits * this.units + (this.useBias ? this.units : 0);
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer.toJSON(),
      biasInitializer: this.biasInitializer.toJSON(),
      ...(this.inputShape ? { inputShape: this.inputShape } : {}),
    };
  }
}

/** `Dense({units: 2, activation: 'relu'})`, as `tf.keras.layers.Dense(2, activation='relu')`. */
export function Dense<A extends string>(config: DenseConfig<A>): DenseLayer {
  return new DenseLayer(config);
}

export type Layer = DenseLayer | InputLayer;

/** What runtime.defineActivation accepts as a name. */
const CUSTOM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The names a layer's unknown-activation error lists (a runtime adds its own). */
export const LAYER_ACTIVATIONS: readonly string[] = [...BUILTIN_ACTIVATIONS.map((a) => a.name), 'softmax'];

/**
 * Keras activation names to the table's names ('linear' and None mean identity in a layer).
 * A name that is no built-in but may still be defined with runtime.defineActivation is kept,
 * and checked when the model meets its runtime (build, compile); any other is an error now.
 */
export function normalizeActivation(name: unknown): string {
  if (name === undefined || name === null || name === 'linear' || name === 'identity' || name === 'None') return 'linear';
  if (typeof name !== 'string') invalid('Dense', 'activation', "a name like 'relu' (or null for none)", name);
  const folded = foldName(name);
  if (folded === 'softmax') return 'softmax';
  const spec = findActivation(name);
  if (spec) return spec.name;
  if (folded === 'logsoftmax' || !CUSTOM_NAME.test(name)) {
    throw new NNError(`Dense: unknown activation ${name === '' ? "''" : `'${name}'`} (known: ${LAYER_ACTIVATIONS.join(', ')}; or the name of one defined with runtime.defineActivation)`);
  }
  return name;
}

/** The trainers' code of a layer activation: ACT ids of the ones both engines implement themselves, -1 for other table activations. */
export function fusedActivationCode(name: string, customName: string | null): number {
  switch (name) {
    case 'linear':
      return ACT.IDENTITY;
    case 'relu':
      return ACT.RELU;
    case 'sigmoid':
      return ACT.SIGMOID;
    case 'tanh':
      return ACT.TANH;
    case 'softmax':
      return ACT.SOFTMAX;
    default:
      return name === customName ? ACT.CUSTOM : -1;
  }
}
