/**
 * Timing for the benchmarks. Two methods, both used in the same run:
 * - `gpu`: GPU timestamps (timestamp-query) around a replay of exactly the dispatches an op
 *   recorded (same pipelines, same buffers, same uniforms, same grid), one submit per rep;
 * - `wall`: wall time of N ops recorded back to back through the public API, then one sync.
 * Ratios are only ever taken between figures of the same method.
 */
import type { Runtime } from '../src/runtime';
import type { Binding, DispatchSpec, Scheduler } from '../src/gpu/scheduler';

const UNIFORM = 0x40 | 0x8;

/** One recorded GPU command of an op: a dispatch or a buffer copy. */
export type Recorded =
  | { kind: 'dispatch'; spec: DispatchSpec }
  | { kind: 'copy'; src: GPUBuffer; srcOffset: number; dst: GPUBuffer; dstOffset: number; bytes: number };

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function sched(rt: Runtime): Scheduler {
  if (!rt.scheduler) throw new Error('bench: the runtime has no GPU scheduler (CPU backend?)');
  return rt.scheduler;
}

/** What an op recorded: its GPU commands and the scratch buffers it released meanwhile. */
export interface Captured {
  commands: Recorded[];
  /**
   * Scratch buffers the op released while recording; held back from the pool (which could
   * reuse or destroy them) until the replay is released.
   */
  temps: GPUBuffer[];
}

/** Runs `fn` (which records ops) and returns what it recorded, as well as recording it. */
export function capture<T>(rt: Runtime, fn: () => T): { result: T; recorded: Captured } {
  const s = sched(rt);
  const recorded: Captured = { commands: [], temps: [] };
  const dispatch = s.dispatch;
  const copy = s.copy;
  const release = s.releaseStorage;
  let depth = 0;
  s.dispatch = function (spec: DispatchSpec) {
    if (depth === 0) recorded.commands.push({ kind: 'dispatch', spec });
    depth++;
    try {
      return dispatch.call(s, spec);
    } finally {
      depth--;
    }
  };
  s.copy = function (src, srcOffset, dst, dstOffset, bytes) {
    recorded.commands.push({ kind: 'copy', src, srcOffset, dst, dstOffset, bytes });
    return copy.call(s, src, srcOffset, dst, dstOffset, bytes);
  };
  s.releaseStorage = function (buffer: GPUBuffer) {
    recorded.temps.push(buffer);
  };
  try {
    return { result: fn(), recorded };
  } finally {
    s.dispatch = dispatch;
    s.copy = copy;
    s.releaseStorage = release;
  }
}

/** Replays recorded commands with timestamp queries; one prepared command set, reused per rep. */
export class GpuTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuf: GPUBuffer;
  private readonly readBuf: GPUBuffer;

  constructor(private readonly rt: Runtime) {
    const d = this.device;
    this.querySet = d.createQuerySet({ type: 'timestamp', count: 4, label: 'bench:timestamps' });
    this.resolveBuf = d.createBuffer({ size: 32, usage: 0x200 | 0x4, label: 'bench:timestamps resolve' });
    this.readBuf = d.createBuffer({ size: 32, usage: 0x1 | 0x8, label: 'bench:timestamps read' });
  }

  static available(rt: Runtime): boolean {
    return !!rt.device?.features.has('timestamp-query');
  }

  private get device(): GPUDevice {
    return sched(this.rt).device;
  }

  /**
   * Prepares a replay of `recorded` (bind groups and uniforms made once); `once()` submits it
   * with timestamps and resolves to its GPU milliseconds.
   */
  async prepare(captured: Captured): Promise<{ once(): Promise<number>; release(): void }> {
    const recorded = captured.commands;
    if (recorded.length === 0) throw new Error('bench: the op recorded no GPU work to time');
    await this.rt.sync();
    const d = this.device;
    const s = sched(this.rt);
    const uniforms: GPUBuffer[] = [];
    d.pushErrorScope('validation');
    const steps = recorded.map((r) => {
      if (r.kind === 'copy') return r;
      const spec = r.spec;
      const entries: GPUBindGroupEntry[] = spec.bindings.map((b: Binding) => ({
        binding: b.binding,
        resource: { buffer: b.buffer, offset: b.offset ?? 0, size: b.size },
      }));
      if (spec.uniform) {
        const bytes = new Uint8Array(spec.uniform.buffer, spec.uniform.byteOffset, spec.uniform.byteLength);
        const size = Math.max(16, Math.ceil(bytes.byteLength / 16) * 16);
        const u = d.createBuffer({ size, usage: UNIFORM, label: `bench:uniform ${spec.label}` });
        const padded = new Uint8Array(size);
        padded.set(bytes);
        d.queue.writeBuffer(u, 0, padded);
        uniforms.push(u);
        entries.push({ binding: spec.uniformBinding ?? spec.bindings.length, resource: { buffer: u } });
      }
      const bindGroup = d.createBindGroup({ layout: spec.pipeline.pipeline.getBindGroupLayout(0), entries, label: `bench:${spec.label}` });
      const grid = spec.grid ?? s.foldGrid(spec.label, spec.workgroups ?? 1);
      return { kind: 'dispatch' as const, pipeline: spec.pipeline.pipeline, bindGroup, grid };
    });
    const err = await d.popErrorScope();
    if (err) throw new Error(`bench: preparing the replay failed: ${err.message}`);
    const onlyDispatches = steps.every((x) => x.kind === 'dispatch');
    const once = async (): Promise<number> => {
      d.pushErrorScope('validation');
      const enc = d.createCommandEncoder({ label: 'bench:replay' });
      const qs = this.querySet;
      let pass: GPUComputePassEncoder | null = null;
      if (onlyDispatches) {
        // Timestamps on the pass that does the work.
        pass = enc.beginComputePass({ timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 1, endOfPassWriteIndex: 2 } });
      } else {
        // Copies cannot go in a pass: bracket the work with two empty timestamped passes.
        enc.beginComputePass({ timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } }).end();
      }
      for (const st of steps) {
        if (st.kind === 'copy') {
          pass?.end();
          pass = null;
          enc.copyBufferToBuffer(st.src, st.srcOffset, st.dst, st.dstOffset, st.bytes);
        } else {
          pass ??= enc.beginComputePass();
          pass.setPipeline(st.pipeline);
          pass.setBindGroup(0, st.bindGroup);
          pass.dispatchWorkgroups(st.grid[0], st.grid[1] ?? 1, st.grid[2] ?? 1);
        }
      }
      pass?.end();
      if (!onlyDispatches) {
        enc.beginComputePass({ timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 2, endOfPassWriteIndex: 3 } }).end();
      }
      enc.resolveQuerySet(qs, 0, 4, this.resolveBuf, 0);
      enc.copyBufferToBuffer(this.resolveBuf, 0, this.readBuf, 0, 32);
      d.queue.submit([enc.finish()]);
      const e = await d.popErrorScope();
      if (e) throw new Error(`bench: replay failed: ${e.message}`);
      await this.readBuf.mapAsync(1);
      const t = new BigInt64Array(this.readBuf.getMappedRange().slice(0));
      this.readBuf.unmap();
      return Number(t[2] - t[1]) / 1e6;
    };
    const release = () => {
      uniforms.forEach((u) => u.destroy());
      for (const b of captured.temps.splice(0)) s.releaseStorage(b);
    };
    return { once, release };
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolveBuf.destroy();
    this.readBuf.destroy();
  }
}

/** Wall milliseconds per op of `n` ops recorded back to back, then one `sync()`. */
export async function wallOnce(op: () => { dispose(): void } | void, sync: () => Promise<unknown>, n: number): Promise<number> {
  await sync();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) op()?.dispose();
  await sync();
  return (performance.now() - t0) / n;
}

/** A deterministic generator (mulberry32) for seeded inputs. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function uniformData(n: number, lo: number, hi: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}
