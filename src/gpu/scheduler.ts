/**
 * The GPU scheduler: compiles and caches pipelines, records dispatches of many ops into one
 * command encoder (one compute pass), submits them in batches, and reads results back
 * asynchronously. Every batch runs inside WebGPU error scopes, so a validation, out-of-memory
 * or internal error becomes a rejected read that names the ops of the batch and the driver's
 * message. Nothing is read back until asked.
 */
import { DeviceLostError, GpuError, NNError } from '../errors';
import { BindGroupCache } from './bind-groups';
import { asWait } from './node-polling';
import { BufferPool } from './pool';
import { deviceProfile, type DeviceProfile, type KernelTuning } from './profile';
import { composeShader, type ComposedShader, type ShaderFile } from './shaders';

const UNIFORM_STRIDE = 256;
/** How long a failed readback waits for the device's `lost` promise before blaming the read. */
const LOST_GRACE_MS = 1000;
const STORAGE_USAGE = 0x80 | 0x4 | 0x8; // STORAGE | COPY_SRC | COPY_DST
const UNIFORM_USAGE = 0x40 | 0x8; // UNIFORM | COPY_DST
const MAP_READ_USAGE = 0x1 | 0x8; // MAP_READ | COPY_DST

export interface SchedulerOptions {
  /** Ops recorded per submit before an automatic flush. */
  maxOpsPerBatch?: number;
  /** Byte cap of the buffer pool (freed buffers kept for reuse). */
  poolCapBytes?: number;
  /** Fold more than 65,535 workgroups into a 2-D grid (disable only to test the error path). */
  foldWorkgroups?: boolean;
  /** Lower the storage binding size used to split work into chunks (tests). */
  maxBindingBytes?: number;
  /** Invocations per workgroup of the elementwise kernels (default 256). */
  workgroupSize?: number;
  /**
   * Node: how Dawn polls while this runtime awaits the GPU. `'gentle'` (default) lets the poll
   * sleep 1 ms between ticks after 20 ms of waiting (src/gpu/node-polling.ts); `'spin'` keeps
   * Dawn's busy loop, which holds a CPU core for the whole wait.
   */
  nodePolling?: 'gentle' | 'spin';
  /** Replace detected device facts (tests: e.g. `{subgroupSize: 0}` forces workgroup-memory reductions). */
  profile?: Partial<DeviceProfile>;
  /** Pin choices the kernels' plans would make from the profile (tests, benchmarks). */
  tuning?: KernelTuning;
}

export interface PipelineHandle {
  readonly pipeline: GPUComputePipeline;
  readonly label: string;
  /** Resolves to the compile/validation error message, or null when the pipeline is valid. */
  readonly error: Promise<string | null>;
  /** Bind group layout 0, fetched once. */
  readonly layout?: GPUBindGroupLayout;
}

export interface Binding {
  binding: number;
  buffer: GPUBuffer;
  offset?: number;
  size?: number;
}

export interface DispatchSpec {
  /** `<kernel>:<entry>` plus shapes, used in labels and error messages. */
  label: string;
  pipeline: PipelineHandle;
  bindings: Binding[];
  /** Uniform data (at most 256 bytes), bound at `uniformBinding`. */
  uniform?: ArrayBufferView;
  uniformBinding?: number;
  /** Total workgroups of a 1-D launch; folded into 2-D past the per-dimension limit. */
  workgroups?: number;
  /** Or an explicit grid. */
  grid?: [number, number, number?];
}

/** A set of ops submitted together, and the errors the device reported for them. */
export class Batch {
  readonly ops: string[] = [];
  readonly deps = new Set<Batch>();
  readonly pipelines = new Set<PipelineHandle>();
  submitted = false;
  private resolveSubmitted!: () => void;
  readonly whenSubmitted = new Promise<void>((r) => (this.resolveSubmitted = r));
  /** The error of this batch (not of its dependencies); set once the scopes pop. */
  status: Promise<Error | null> = Promise.resolve(null);
  private settledOk = false;

  constructor(readonly id: number) {}

  markSubmitted(status: Promise<Error | null>): void {
    this.status = status;
    this.submitted = true;
    this.resolveSubmitted();
  }

  /** First error of this batch or of any batch whose outputs it read. */
  async check(): Promise<Error | null> {
    if (this.settledOk) return null;
    await this.whenSubmitted;
    const own = await this.status;
    if (own) return own;
    for (const d of this.deps) {
      const e = await d.check();
      if (e) return e;
    }
    this.settledOk = true;
    this.deps.clear();
    return null;
  }
}

export class Scheduler {
  readonly pool: BufferPool;
  private readonly uniformPool: BufferPool;
  private readonly stagingPool: BufferPool;
  private readonly pipelines = new Map<string, PipelineHandle>();
  private readonly fastPipelines = new Map<string, PipelineHandle>();
  private readonly pipelinesByParts = new WeakMap<readonly ShaderFile[], Map<string, PipelineHandle>>();
  private readonly bindGroups: BindGroupCache;
  private uniformSlots = new Map<number, number[]>();
  private readonly modules = new Map<string, { module: GPUShaderModule; error: Promise<string | null> }>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private passPipeline: PipelineHandle | null = null;
  private batch: Batch | null = null;
  private batchCounter = 0;
  private uniformStaging: Uint8Array;
  private uniformBuffer: GPUBuffer | null = null;
  private uniformUsed = 0;
  private flushQueued = false;
  private uncaptured: Error[] = [];
  private inflight = new Set<Promise<unknown>>();
  readonly maxOpsPerBatch: number;
  readonly foldWorkgroups: boolean;
  readonly maxBindingBytes: number;
  readonly maxWorkgroupsPerDim: number;
  readonly maxBufferSize: number;
  readonly workgroupSize: number;
  private readonly gentleWaits: boolean;
  /** What kernels plan their dispatches from, read once from the device. */
  readonly profile: DeviceProfile;
  readonly tuning: Readonly<KernelTuning>;
  private readonly plans = new Map<(s: Scheduler) => unknown, unknown>();
  lostError: DeviceLostError | null = null;
  dispatchCount = 0;
  /** Pipelines compiled on the caller's path (pipelineAsync's background compiles not counted). */
  compileCount = 0;
  submitCount = 0;

  constructor(
    readonly device: GPUDevice,
    options: SchedulerOptions = {},
  ) {
    this.maxOpsPerBatch = options.maxOpsPerBatch ?? 256;
    this.foldWorkgroups = options.foldWorkgroups ?? true;
    const lim = device.limits;
    this.maxBindingBytes = Math.min(options.maxBindingBytes ?? Infinity, lim.maxStorageBufferBindingSize);
    this.maxWorkgroupsPerDim = lim.maxComputeWorkgroupsPerDimension;
    this.maxBufferSize = lim.maxBufferSize;
    this.workgroupSize = options.workgroupSize ?? 256;
    this.gentleWaits = options.nodePolling !== 'spin';
    this.profile = deviceProfile(device, options.profile);
    this.tuning = Object.freeze({ ...options.tuning });
    this.bindGroups = new BindGroupCache(device);
    const forget = (b: GPUBuffer) => this.bindGroups.forget(b);
    this.pool = new BufferPool(device, STORAGE_USAGE, options.poolCapBytes ?? 256 * 2 ** 20, forget);
    this.uniformPool = new BufferPool(device, UNIFORM_USAGE, 4 * 2 ** 20, forget);
    this.stagingPool = new BufferPool(device, MAP_READ_USAGE, 64 * 2 ** 20);
    this.uniformStaging = new Uint8Array(UNIFORM_STRIDE * this.maxOpsPerBatch);
    device.addEventListener('uncapturederror', (ev) => {
      const err = (ev as GPUUncapturedErrorEvent).error;
      this.uncaptured.push(toGpuError(err, 'uncaptured error'));
    });
  }

  /** Bind groups held in the cache (tests and diagnostics). */
  get cachedBindGroups(): number {
    return this.bindGroups.size;
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  /** `make(this)`, computed once per scheduler: a kernel family's dispatch plan from `profile`. */
  plan<T>(make: (s: Scheduler) => T): T {
    let p = this.plans.get(make) as T | undefined;
    if (p === undefined) this.plans.set(make, (p = make(this)));
    return p;
  }

  assertUsable(op: string): void {
    if (this.lostError) throw new DeviceLostError(`${op}: ${this.lostError.message}`);
  }

  // ---------------------------------------------------------------- pipelines

  /** Compiles (once) the shader made of `parts` and returns the pipeline for `entry`. */
  pipeline(parts: readonly ShaderFile[], entry: string, constants: Record<string, number> = {}, label?: string): PipelineHandle {
    // Fast path: the same file objects, entry and constants in the same order (no text
    // hashing, no sorting per dispatch).
    let consts = entry;
    for (const k in constants) consts += `|${k}=${constants[k]}`;
    // Callers that keep their parts array find the pipeline by its identity first.
    let byParts = this.pipelinesByParts.get(parts);
    const quick = byParts?.get(consts);
    if (quick) return quick;
    if (!byParts) this.pipelinesByParts.set(parts, (byParts = new Map()));
    let fastKey = consts;
    for (const f of parts) fastKey += `+${fileId(f)}`;
    const hit = this.fastPipelines.get(fastKey);
    if (hit) {
      byParts.set(consts, hit);
      return hit;
    }
    const shader = composeShader(parts);
    const key = pipelineKey(shader, entry, constants);
    const cached = this.pipelines.get(key);
    if (cached) {
      this.fastPipelines.set(fastKey, cached);
      return cached;
    }
    const name = label ?? defaultLabel(parts, entry);
    const mod = this.moduleFor(parts, shader);
    this.compileCount++;
    this.device.pushErrorScope('validation');
    const pipeline = this.device.createComputePipeline({
      layout: 'auto',
      compute: { module: mod.module, entryPoint: entry, constants },
      label: name,
    });
    // Inside the scope: on an invalid pipeline this errors too, and must not leak into a batch.
    const layout = pipeline.getBindGroupLayout(0);
    const scope = this.device.popErrorScope();
    const moduleError = mod.error;
    const error = (async () => (await moduleError) ?? (await scope)?.message ?? null)();
    error.catch(() => undefined);
    const handle: PipelineHandle = { pipeline, label: name, error, layout };
    this.pipelines.set(key, handle);
    this.fastPipelines.set(fastKey, handle);
    return handle;
  }

  /**
   * Compiles in the background (createComputePipelineAsync): resolves to the pipeline once it is
   * ready, registered so that `pipeline()` with the same arguments then finds it without waiting;
   * null if it failed (the caller keeps using what it had).
   */
  async pipelineAsync(parts: readonly ShaderFile[], entry: string, constants: Record<string, number> = {}, label?: string): Promise<PipelineHandle | null> {
    const shader = composeShader(parts);
    const key = pipelineKey(shader, entry, constants);
    const cached = this.pipelines.get(key);
    if (cached) return cached;
    const name = label ?? defaultLabel(parts, entry);
    const mod = this.moduleFor(parts, shader);
    try {
      const pipeline = await this.device.createComputePipelineAsync({ layout: 'auto', compute: { module: mod.module, entryPoint: entry, constants }, label: name });
      if ((await mod.error) !== null || this.lostError) return null;
      const handle: PipelineHandle = { pipeline, label: name, error: Promise.resolve(null), layout: pipeline.getBindGroupLayout(0) };
      this.pipelines.set(key, handle);
      return handle;
    } catch {
      return null;
    }
  }

  private moduleFor(parts: readonly ShaderFile[], shader: ReturnType<typeof composeShader>): { module: GPUShaderModule; error: Promise<string | null> } {
    let mod = this.modules.get(shader.key);
    if (!mod) {
      this.device.pushErrorScope('validation');
      const module = this.device.createShaderModule({ code: shader.code, label: parts[parts.length - 1].file });
      const scope = this.device.popErrorScope();
      const error = (async () => {
        const info = await module.getCompilationInfo();
        const errors = info.messages.filter((m) => m.type === 'error');
        if (errors.length > 0) {
          return errors
            .map((m) => {
              const at = shader.locate(m.lineNum);
              return `${at.file.endsWith('.wgsl') ? 'shaders/' + at.file : at.file}:${at.line}:${m.linePos}: ${m.message}`;
            })
            .join('\n');
        }
        const e = await scope;
        return e ? e.message : null;
      })();
      error.catch(() => undefined);
      mod = { module, error };
      this.modules.set(shader.key, mod);
    }
    return mod;
  }

  /** Waits for a pipeline's compilation and throws its error message, naming `op`. */
  async checkPipeline(op: string, handle: PipelineHandle): Promise<void> {
    const err = await handle.error;
    if (err) throw new GpuError(`${op}: shader failed to compile:\n${err}`, 'validation');
  }

  // ---------------------------------------------------------------- recording

  private openBatch(): Batch {
    if (this.batch) return this.batch;
    this.batch = new Batch(++this.batchCounter);
    this.device.pushErrorScope('internal');
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    return this.batch;
  }

  /** The batch that the next recorded op belongs to. */
  currentBatch(): Batch {
    return this.openBatch();
  }

  private getEncoder(): GPUCommandEncoder {
    this.openBatch();
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: `webgpu-nn batch ${this.batch!.id}` });
    return this.encoder;
  }

  private getPass(): GPUComputePassEncoder {
    if (!this.pass) this.pass = this.getEncoder().beginComputePass();
    return this.pass;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
    this.passPipeline = null;
  }

  /** Splits a 1-D count of workgroups into a grid within the per-dimension limit. */
  foldGrid(op: string, workgroups: number): [number, number, number] {
    const max = this.maxWorkgroupsPerDim;
    if (workgroups <= max || !this.foldWorkgroups) return [Math.max(1, workgroups), 1, 1];
    const y = Math.ceil(workgroups / max);
    if (y > max) throw new NNError(`${op}: ${workgroups} workgroups exceed the ${max} x ${max} grid this adapter allows`);
    return [Math.ceil(workgroups / y), y, 1];
  }

  /** Records one dispatch. The shader must bounds-check: folded grids overshoot. */
  dispatch(spec: DispatchSpec): void {
    this.assertUsable(spec.label);
    const batch = this.openBatch();
    if (batch.ops.length >= this.maxOpsPerBatch) {
      this.flush();
      return this.dispatch(spec);
    }
    const wg = spec.workgroups ?? 1;
    // null: a 1-D launch within the limit (the common case, no array per dispatch)
    const grid = spec.grid ?? (wg <= this.maxWorkgroupsPerDim ? null : this.foldGrid(spec.label, wg));
    const u = spec.uniform;
    const uOffset = u ? this.uniformSlot(spec.label, u) : 0;
    const bindGroup = this.bindGroups.get(
      spec.pipeline,
      spec.bindings,
      spec.uniformBinding ?? spec.bindings.length,
      u ? this.uniformBuffer : null,
      uOffset,
      u ? Math.max(16, Math.ceil(u.byteLength / 16) * 16) : 0,
      spec.label,
    );
    const pass = this.getPass();
    // Chains of the same op skip the redundant state change (a native call each).
    if (this.passPipeline !== spec.pipeline) {
      pass.setPipeline(spec.pipeline.pipeline);
      this.passPipeline = spec.pipeline;
    }
    pass.setBindGroup(0, bindGroup);
    if (grid) pass.dispatchWorkgroups(grid[0], grid[1] ?? 1, grid[2] ?? 1);
    else pass.dispatchWorkgroups(Math.max(1, wg));
    batch.ops.push(spec.label);
    batch.pipelines.add(spec.pipeline);
    this.dispatchCount++;
    this.queueFlush();
  }

  /** Places uniform data in this batch's ring (identical blocks share one slot); returns its offset. */
  private uniformSlot(label: string, u: ArrayBufferView): number {
    if (u.byteLength > UNIFORM_STRIDE) throw new NNError(`${label}: uniform block larger than ${UNIFORM_STRIDE} bytes`);
    if (!this.uniformBuffer) {
      this.uniformBuffer = this.uniformPool.acquire(this.uniformStaging.byteLength, 'webgpu-nn uniforms');
    }
    const bytes = u instanceof Uint8Array ? u : new Uint8Array(u.buffer, u.byteOffset, u.byteLength);
    // FNV-1a of the bytes, then a byte compare: cheaper than a string key per dispatch.
    const n = bytes.length;
    let h = 0x811c9dc5 ^ n;
    for (let i = 0; i < n; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
    let slots = this.uniformSlots.get(h);
    if (slots) for (const o of slots) if (sameBytes(this.uniformStaging, o, bytes)) return o;
    const offset = this.uniformUsed;
    this.uniformStaging.set(bytes, offset);
    this.uniformUsed += UNIFORM_STRIDE;
    if (!slots) this.uniformSlots.set(h, (slots = []));
    slots.push(offset);
    return offset;
  }

  /** Records a buffer-to-buffer copy in order with the dispatches. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.assertUsable('copy');
    this.endPass();
    this.getEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
    this.queueFlush();
  }

  /** Records a fill with zeros, in order with the dispatches. */
  clear(buffer: GPUBuffer, offset: number, bytes: number): void {
    this.assertUsable('clear');
    this.endPass();
    this.getEncoder().clearBuffer(buffer, offset, Math.ceil(bytes / 4) * 4);
    this.queueFlush();
  }

  /** Uploads data; ordered before anything recorded but not yet submitted. */
  write(buffer: GPUBuffer, offset: number, data: Float32Array | Uint32Array | Int32Array): void {
    this.assertUsable('write');
    // writeBuffer from a SharedArrayBuffer view crashes Dawn in Node: copy such data first.
    const src = data.buffer instanceof ArrayBuffer ? data : data.slice();
    this.device.queue.writeBuffer(buffer, offset, src.buffer, src.byteOffset, src.byteLength);
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  /** Submits everything recorded so far. */
  flush(): void {
    const batch = this.batch;
    if (!batch) return;
    this.batch = null;
    this.endPass();
    const encoder = this.encoder;
    this.encoder = null;
    if (this.lostError) {
      batch.markSubmitted(Promise.resolve(this.lostError));
      return;
    }
    if (this.uniformBuffer && this.uniformUsed > 0) {
      this.device.queue.writeBuffer(this.uniformBuffer, 0, this.uniformStaging.buffer, 0, this.uniformUsed);
    }
    if (encoder) this.device.queue.submit([encoder.finish()]);
    this.submitCount++;
    if (this.uniformBuffer) this.uniformPool.release(this.uniformBuffer);
    this.uniformBuffer = null;
    this.uniformUsed = 0;
    this.uniformSlots = new Map();
    const scopes = [this.device.popErrorScope(), this.device.popErrorScope(), this.device.popErrorScope()];
    const uncaught = this.uncaptured.splice(0);
    const status = this.describeBatchError(batch, scopes, uncaught);
    this.track(status);
    batch.markSubmitted(status);
    this.pool.onSubmit();
    this.uniformPool.onSubmit();
    this.stagingPool.onSubmit();
  }

  private async describeBatchError(batch: Batch, scopes: Promise<GPUError | null>[], uncaught: Error[]): Promise<Error | null> {
    let errs: (GPUError | null)[];
    try {
      errs = await Promise.all(scopes);
    } catch (e) {
      return this.lostError ?? new GpuError(`GPU error scope failed: ${(e as Error).message}`, 'unknown');
    }
    const kinds: GpuError['kind'][] = ['validation', 'out-of-memory', 'internal'];
    const idx = errs.findIndex((e) => e !== null);
    if (idx < 0 && uncaught.length === 0) return null;
    if (this.lostError) return this.lostError;
    const kind = idx >= 0 ? kinds[idx] : 'unknown';
    const driver = idx >= 0 ? errs[idx]!.message : uncaught.map((e) => e.message).join('\n');
    const compile: string[] = [];
    for (const p of batch.pipelines) {
      const msg = await p.error;
      if (msg) compile.push(`${p.label}: ${msg}`);
    }
    const ops = summarizeOps(batch.ops);
    const detail = compile.length > 0 ? `shader compilation failed:\n${compile.join('\n')}\n` : '';
    return new GpuError(`${ops}: GPU ${kind} error: ${detail}${driver}`, kind);
  }

  private track<T>(p: Promise<T>): void {
    this.inflight.add(p);
    p.finally(() => this.inflight.delete(p)).catch(() => undefined);
  }

  // ---------------------------------------------------------------- buffers

  createStorage(bytes: number, label: string): GPUBuffer {
    this.assertUsable(label);
    const max = this.maxBufferSize;
    if (bytes > max) {
      throw new NNError(`${label}: needs a buffer of ${bytes} bytes, larger than this adapter's maxBufferSize (${max})`);
    }
    return this.pool.acquire(bytes, label);
  }

  private unusedBinding: GPUBuffer | null = null;

  /** A small storage buffer, made once, for a binding the dispatch's kernel leaves unread (an optional input). */
  placeholder(): GPUBuffer {
    return (this.unusedBinding ??= this.createStorage(16, 'unused binding'));
  }

  releaseStorage(buffer: GPUBuffer): void {
    if (this.lostError) return;
    this.pool.release(buffer);
    // Nothing recorded since the last submit can read it: free for reuse (and trimPool) now.
    if (!this.batch) this.pool.onSubmit();
  }

  /**
   * Reads `bytes` from `buffer` once the work recorded so far has run. Many reads may be in
   * flight; reads recorded in the same tick share one submit.
   */
  async read(buffer: GPUBuffer, offset: number, bytes: number, label: string, producer: Batch | null): Promise<ArrayBuffer> {
    this.assertUsable(label);
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const staging = this.stagingPool.acquire(size, `${label}:readback`);
    this.copy(buffer, offset, staging, 0, size);
    const batch = this.batch!;
    await batch.whenSubmitted;
    let result: ArrayBuffer;
    try {
      await this.waitFor(staging.mapAsync(1 /* GPUMapMode.READ */, 0, size));
      result = staging.getMappedRange(0, size).slice(0, bytes);
      staging.unmap();
    } catch (e) {
      // A destroyed device rejects the map before its `lost` promise settles: give it a moment
      // (only this failure path waits; a loaded browser has been seen to take over 100 ms).
      await Promise.race([this.device.lost, new Promise((r) => setTimeout(r, LOST_GRACE_MS))]);
      if (this.lostError) throw new DeviceLostError(`${label}: ${this.lostError.message}`);
      const err = await batch.check();
      throw err ?? new GpuError(`${label}: reading the result back failed: ${(e as Error).message}`, 'unknown');
    }
    this.stagingPool.release(staging);
    const err = (await batch.check()) ?? (producer ? await producer.check() : null);
    if (err) throw err;
    return result;
  }

  /** Resolves when all submitted work has finished and every batch's errors are known. */
  async sync(): Promise<void> {
    this.flush();
    await this.waitFor(this.device.queue.onSubmittedWorkDone());
    await this.waitFor(Promise.all([...this.inflight]));
  }

  /** Awaits GPU work, letting Dawn's polling sleep unless `nodePolling: 'spin'`. */
  private waitFor<T>(p: Promise<T>): Promise<T> {
    return this.gentleWaits ? asWait(p) : p;
  }

  markLost(message: string): void {
    this.lostError = new DeviceLostError(message);
  }

  destroy(): void {
    this.flush();
    this.pool.destroyAll();
    this.uniformPool.destroyAll();
    this.stagingPool.destroyAll();
  }
}


const fileIds = new WeakMap<ShaderFile, number>();
let nextFileId = 1;
function fileId(f: ShaderFile): number {
  let id = fileIds.get(f);
  if (id === undefined) fileIds.set(f, (id = nextFileId++));
  return id;
}

function toGpuError(err: GPUError, what: string): GpuError {
  const name = err?.constructor?.name ?? '';
  const kind = name.includes('Memory') ? 'out-of-memory' : name.includes('Internal') ? 'internal' : 'validation';
  return new GpuError(`${what}: ${err?.message ?? String(err)}`, kind);
}

function summarizeOps(ops: string[]): string {
  const uniq = [...new Set(ops)];
  const shown = uniq.slice(0, 6).join(', ');
  return uniq.length > 6 ? `${shown} and ${uniq.length - 6} more ops` : shown || 'copy';
}

function sameBytes(staging: Uint8Array, offset: number, bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (staging[offset + i] !== bytes[i]) return false;
  return true;
}

/** A pipeline's cache key: the composed text's key, the entry and the constants in name order. */
function pipelineKey(shader: ComposedShader, entry: string, constants: Record<string, number>): string {
  return `${shader.key}|${entry}|${Object.keys(constants).sort().map((k) => `${k}=${constants[k]}`).join(',')}`;
}

/** `<last file without .wgsl>:<entry>`, e.g. `dense:forward`. */
function defaultLabel(parts: readonly ShaderFile[], entry: string): string {
  return `${parts[parts.length - 1].file.replace(/\.wgsl$/, '')}:${entry}`;
}
