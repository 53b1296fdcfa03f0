/**
 * Bind groups cached by pipeline and bound ranges. Loops of small ops reuse the same pooled
 * buffers and uniform slots, and creating a bind group costs more than the dispatch; the lookup
 * hashes the ranges as numbers into a reused scratch key, so a hit allocates nothing (a string
 * key and the entry objects cost about 1.5 KB of garbage per dispatch). Groups die with their
 * buffers (`forget`).
 */

export interface BoundRange {
  binding: number;
  buffer: GPUBuffer;
  offset?: number;
  size?: number;
}

interface Cached {
  hash: number;
  key: number[];
  group: GPUBindGroup;
  dead: boolean;
}

const objectIds = new WeakMap<object, number>();
let nextObjectId = 1;
/** A small integer naming `o` for the life of the process. */
export function objectId(o: object): number {
  let id = objectIds.get(o);
  if (id === undefined) objectIds.set(o, (id = nextObjectId++));
  return id;
}

export class BindGroupCache {
  private readonly buckets = new Map<number, Cached[]>();
  private readonly byBuffer = new Map<GPUBuffer, Cached[]>();
  private count = 0;
  private readonly key: number[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly cap = 4096,
  ) {}

  /**
   * The group for `pipeline` with `ranges` and, when `uniformBuffer` is set, the uniform block
   * at `uniformOffset` (`uniformSize` bytes) on `uniformBinding`.
   */
  get(
    pipeline: { pipeline: GPUComputePipeline; layout?: GPUBindGroupLayout },
    ranges: readonly BoundRange[],
    uniformBinding: number,
    uniformBuffer: GPUBuffer | null,
    uniformOffset: number,
    uniformSize: number,
    label: string,
  ): GPUBindGroup {
    // Written by index, never truncated: `length = 0` would drop the backing store each call.
    const key = this.key;
    let n = 0;
    key[n++] = objectId(pipeline);
    for (const r of ranges) {
      key[n++] = r.binding;
      key[n++] = objectId(r.buffer);
      key[n++] = r.offset ?? 0;
      key[n++] = r.size ?? -1;
    }
    if (uniformBuffer) {
      key[n++] = uniformBinding;
      key[n++] = objectId(uniformBuffer);
      key[n++] = uniformOffset;
      key[n++] = uniformSize;
    }
    let h = 0x811c9dc5;
    for (let i = 0; i < n; i++) {
      const v = key[i];
      h = Math.imul(h ^ (v | 0), 0x01000193);
      h = Math.imul(h ^ ((v / 4294967296) | 0), 0x01000193);
    }
    const bucket = this.buckets.get(h);
    if (bucket) {
      for (const c of bucket) if (sameKey(c.key, key, n)) return c.group;
    }
    const entries: GPUBindGroupEntry[] = ranges.map((r) => ({
      binding: r.binding,
      resource: { buffer: r.buffer, offset: r.offset ?? 0, size: r.size },
    }));
    if (uniformBuffer) entries.push({ binding: uniformBinding, resource: { buffer: uniformBuffer, offset: uniformOffset, size: uniformSize } });
    const group = this.device.createBindGroup({
      layout: pipeline.layout ?? pipeline.pipeline.getBindGroupLayout(0),
      entries,
      label,
    });
    if (this.count >= this.cap) this.clear();
    const c: Cached = { hash: h, key: key.slice(0, n), group, dead: false };
    const b = this.buckets.get(h);
    if (b) b.push(c);
    else this.buckets.set(h, [c]);
    this.count++;
    for (const r of ranges) this.link(r.buffer, c);
    if (uniformBuffer) this.link(uniformBuffer, c);
    return group;
  }

  /** Drops the groups that use `buffer` (about to be destroyed). */
  forget(buffer: GPUBuffer): void {
    const list = this.byBuffer.get(buffer);
    if (!list) return;
    this.byBuffer.delete(buffer);
    for (const c of list) {
      if (c.dead) continue;
      c.dead = true;
      this.count--;
      const bucket = this.buckets.get(c.hash)!;
      bucket.splice(bucket.indexOf(c), 1);
      if (bucket.length === 0) this.buckets.delete(c.hash);
    }
  }

  clear(): void {
    for (const list of this.buckets.values()) for (const c of list) c.dead = true;
    this.buckets.clear();
    this.byBuffer.clear();
    this.count = 0;
  }

  get size(): number {
    return this.count;
  }

  private link(buffer: GPUBuffer, c: Cached): void {
    let list = this.byBuffer.get(buffer);
    if (!list) this.byBuffer.set(buffer, (list = []));
    else if (list[list.length - 1] === c) return;
    // A long-lived buffer (a uniform ring) outlives many groups: drop the dead ones now and then.
    if (list.length >= 64 && (list.length & 63) === 0) {
      const live = list.filter((x) => !x.dead);
      list.length = 0;
      list.push(...live);
    }
    list.push(c);
  }
}

/** a equals the first n numbers of b. */
function sameKey(a: number[], b: number[], n: number): boolean {
  if (a.length !== n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
