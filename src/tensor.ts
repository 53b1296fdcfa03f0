import { NNError, formatShape } from './errors';
import type { Batch, Scheduler } from './gpu/scheduler';
import { nest, sizeOf, type NestedArray, type Shape } from './shape';

/** Where a tensor's float32 data lives. */
export type Storage =
  | { kind: 'cpu'; data: Float32Array }
  | {
      kind: 'gpu';
      buffer: GPUBuffer;
      scheduler: Scheduler;
      producer: Batch | null;
      /** The uploaded values of a small tensor no op has written since, for checks on the host. */
      host?: Float32Array | null;
    };

/** The runtime side a tensor needs; implemented by Runtime. */
export interface TensorOwner {
  readonly id: number;
  readTensor(t: Tensor): Promise<Float32Array>;
  releaseTensor(t: Tensor): void;
}

let nextId = 1;

/** A float32 tensor on one runtime (GPU buffer or CPU array). Dispose it when done. */
export class Tensor {
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly size: number;
  readonly dtype = 'float32';
  private disposedFlag = false;

  /** @internal */
  constructor(
    readonly owner: TensorOwner,
    shape: Shape,
    /** @internal */
    public storage: Storage,
  ) {
    // A frozen shape (another tensor's) is shared: ops on a chain of tensors then see one array.
    this.shape = Object.isFrozen(shape) ? (shape as readonly number[]) : Object.freeze([...shape]);
    this.size = sizeOf(shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  get disposed(): boolean {
    return this.disposedFlag;
  }

  /** Copies the values back (waits for the work that writes them). */
  read(): Promise<Float32Array> {
    if (this.disposedFlag) return Promise.reject(new NNError(`read: tensor #${this.id} ${formatShape(this.shape)} was disposed`));
    return this.owner.readTensor(this);
  }

  /** The values as nested arrays of this tensor's shape (a number for a scalar). */
  async array(): Promise<number | NestedArray> {
    return nest(await this.read(), this.shape);
  }

  /** Frees the memory (returned to the runtime's pool). Safe to call twice. */
  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    this.owner.releaseTensor(this);
  }

  toString(): string {
    return `Tensor#${this.id}${formatShape(this.shape)}${this.disposedFlag ? ' (disposed)' : ''}`;
  }
}
