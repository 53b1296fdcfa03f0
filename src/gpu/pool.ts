/**
 * Buffer pool. A released buffer waits in `pending` until the work recorded so far is
 * submitted (`onSubmit`), because `queue.writeBuffer` into a buffer that unsubmitted
 * commands still read would run before them. Free buffers are kept by size class, up to a
 * byte cap, and handed out oldest first; the oldest are destroyed first when the cap is passed.
 */
export class BufferPool {
  private free = new Map<number, GPUBuffer[]>();
  private pending: GPUBuffer[] = [];
  /** Free buffers, oldest first (a Set keeps insertion order and deletes in O(1)). */
  private order = new Set<GPUBuffer>();
  pooledBytes = 0;
  allocatedBytes = 0;
  peakAllocatedBytes = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly usage: GPUBufferUsageFlags,
    public capBytes: number,
    /** Called before a buffer is destroyed (caches that refer to it drop it). */
    private readonly onDestroy: (b: GPUBuffer) => void = () => undefined,
  ) {}

  /** Size classes: multiples of 256 bytes, then steps of 1/8 of a power of two (<= 12.5% waste). */
  static sizeClass(bytes: number): number {
    const b = Math.max(256, Math.ceil(bytes / 256) * 256);
    if (b <= 4096) return b;
    const step = 2 ** (Math.floor(Math.log2(b)) - 3);
    return Math.ceil(b / step) * step;
  }

  acquire(bytes: number, label: string): GPUBuffer {
    const size = BufferPool.sizeClass(bytes);
    // Oldest first: a chain of ops then cycles through its buffers in the same order every
    // batch, so the scheduler's bind groups for (input, output) pairs are found again.
    const list = this.free.get(size);
    const reused = list?.shift();
    if (reused) {
      // Not relabelled: setting a label is a native call that costs more than the reuse.
      this.pooledBytes -= size;
      this.order.delete(reused);
      return reused;
    }
    const buffer = this.device.createBuffer({ size, usage: this.usage, label });
    this.allocatedBytes += size;
    this.peakAllocatedBytes = Math.max(this.peakAllocatedBytes, this.allocatedBytes);
    return buffer;
  }

  release(buffer: GPUBuffer): void {
    this.pending.push(buffer);
  }

  /** Everything released before this submit may now be reused. */
  onSubmit(): void {
    for (const b of this.pending) {
      const size = b.size;
      let list = this.free.get(size);
      if (!list) this.free.set(size, (list = []));
      list.push(b);
      this.order.add(b);
      this.pooledBytes += size;
    }
    this.pending = [];
    this.trim(this.capBytes);
  }

  /** Destroys pooled buffers, oldest first, until at most `maxBytes` stay pooled. */
  trim(maxBytes = 0): void {
    for (const b of this.order) {
      if (this.pooledBytes <= maxBytes) break;
      this.order.delete(b);
      const list = this.free.get(b.size)!;
      list.splice(list.indexOf(b), 1);
      this.pooledBytes -= b.size;
      this.allocatedBytes -= b.size;
      this.onDestroy(b);
      b.destroy();
    }
  }

  destroyAll(): void {
    this.onSubmit();
    this.trim(0);
  }
}
