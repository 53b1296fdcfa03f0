/** Layers of a Sequential model: Input and Dense (z = x W + b, then the activation). */
import { NNError } from '../errors';
import { ACT } from '../gpu/ids';
import { findActivation, foldName } from '../activations/table';
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
      throw new NNError(`Input: shape must be [features] with a positive integer (Dense networks take rows of features), got ${JSON.stringify(shape)}`);
    }
    this.shape = [...shape];
    this.name = config.name ?? 'input';
  }
}

/** `Input({shape: [2]})`, as `tf.keras.Input(shape=(2,))`. */
export function Input(config: InputConfig): InputLayer {
  return new InputLayer(config);
}

export interface DenseConfig {
  units: number;
  /** 'relu', 'sigmoid', 'tanh', 'softmax', 'linear' (identity, as Keras), any activation of the table, or one made with runtime.defineActivation. */
  activation?: string | null;
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

  constructor(config: DenseConfig) {
    const op = 'Dense';
    if (!config || typeof config !== 'object') throw new NNError(`${op}: expected a config like {units: 2, activation: 'relu'}`);
    const { units } = config;
    if (!Number.isInteger(units) || units < 1) throw new NNError(`${op}: units must be a positive integer, got ${String(units)}`);
    this.units = units;
    this.activation = normalizeActivation(config.activation);
    this.useBias = config.useBias ?? true;
    this.kernelInitializer = getInitializer(`${op}.kernelInitializer`, config.kernelInitializer, 'glorotUniform');
    this.biasInitializer = getInitializer(`${op}.biasInitializer`, config.biasInitializer, 'zeros');
    const shape = config.inputShape ?? (config.inputDim !== undefined ? [config.inputDim] : null);
    if (shape !== null && (!Array.isArray(shape) || shape.length !== 1 || !Number.isInteger(shape[0]) || shape[0] < 1)) {
      throw new NNError(`${op}: inputShape must be [features] with a positive integer, got ${JSON.stringify(shape)}`);
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
export function Dense(config: DenseConfig): DenseLayer {
  return new DenseLayer(config);
}

export type Layer = DenseLayer | InputLayer;

/** Keras activation names to the table's names ('linear' and None mean identity in a layer). */
export function normalizeActivation(name: string | null | undefined): string {
  if (name === undefined || name === null || name === 'linear' || name === 'identity' || name === 'None') return 'linear';
  if (typeof name !== 'string') throw new NNError(`Dense: activation must be a name, got ${typeof name}`);
  if (foldName(name) === 'softmax') return 'softmax';
  const spec = findActivation(name);
  return spec ? spec.name : name; // custom names are checked when the model meets its runtime
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
