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
  /** 'webgpu' or 'cpu', for printing. */
  readonly backend: string;
  readTensor(t: Tensor): Promise<Float32Array>;
  releaseTensor(t: Tensor): void;
}

let nextId = 1;

/** Tensors up to this many elements print their values (when they are on the host). */
const PRINT_MAX = 100;

/** A float32 tensor on one runtime (GPU buffer or CPU array). Dispose it when done. */
export class Tensor {
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly size: number;
  readonly dtype = 'float32';
  private disposedFlag = false;
  /** @internal Bumped by every op that updates this tensor in place. */
  writes = 0;
  /** The values of a small tensor's last read, and its `writes` then: for printing. */
  private lastRead: { values: Float32Array; writes: number } | null = null;

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
    if (this.disposedFlag) return Promise.reject(new NNError(`read: ${this.label} was disposed`));
    const writes = this.writes;
    const values = this.owner.readTensor(this);
    if (this.size > PRINT_MAX) return values;
    return values.then((v) => {
      if (this.writes === writes) this.lastRead = { values: v.slice(), writes };
      return v;
    });
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

  /** @internal How messages name it: `tensor #3 [2, 2]`. */
  get label(): string {
    return `tensor #${this.id} ${formatShape(this.shape)}`;
  }

  /**
   * `Tensor float32 [2, 3] webgpu`, then the values when the tensor is small and they are on
   * the host (CPU backend, uploaded and not written since, or read since its last update);
   * reading GPU values needs `await t.array()`.
   */
  toString(): string {
    const head = `Tensor ${this.dtype} ${formatShape(this.shape)} ${this.owner.backend}`;
    if (this.disposedFlag) return `${head} (disposed)`;
    const values = this.size <= PRINT_MAX ? this.hostValues() : null;
    if (!values) return head;
    return `${head}\n${formatValues(nest(values, this.shape))}`;
  }

  /** Node's console.log / util.inspect print `toString()`, not the fields. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  private hostValues(): Float32Array | null {
    const st = this.storage;
    if (st.kind === 'cpu') return st.data;
    if (st.host) return st.host;
    return this.lastRead?.writes === this.writes ? this.lastRead.values : null;
  }
}

/** Nested values with float32 precision (7 significant digits), rows on their own lines. */
function formatValues(v: number | NestedArray, indent = ''): string {
  if (typeof v === 'number') return String(Number(v.toPrecision(7)));
  if (v.length === 0 || typeof v[0] === 'number') return `[${v.map((x) => formatValues(x)).join(', ')}]`;
  return `[${v.map((x, i) => (i === 0 ? '' : `${indent} `) + formatValues(x, `${indent} `)).join(',\n')}]`;
}
