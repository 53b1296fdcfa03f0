/**
 * The runtime: owns a device (or the CPU path), makes tensors and runs ops on them.
 * Every op goes through `run()`, which validates inputs, allocates outputs, records the GPU
 * work (or computes on the CPU), and under `verify: true` cross-checks GPU against CPU.
 */
import { DeviceLostError, NNError, VerifyError, describeValue, formatShape, invalid, quotedList } from './errors';
import { acquireDevice, type AdapterInfo, type DeviceOptions } from './gpu/device';
import { Scheduler, type Batch, type SchedulerOptions } from './gpu/scheduler';
import { checkShape, flatten, sameShape, sizeOf, type Shape, type TensorLike } from './shape';
import { Tensor, type TensorOwner } from './tensor';
import { findMismatch, type Tolerance } from './ulp';
import type { ActivationParams, CustomActivationDefinition } from './activations/types';
import { foldName } from './activations/table';
import { activationBackward, activationForward, defineCustomActivation, type ActivationRegistry, createActivationRegistry } from './kernels/activation';
import { logSoftmax as logSoftmaxOp, logSoftmaxGrad as logSoftmaxGradOp, softmax as softmaxOp, softmaxGrad as softmaxGradOp, type AxisOptions } from './kernels/softmax';
import { lossAndGrad, lossBackward, lossForward, type LossOptions } from './kernels/loss';
import { dense, denseForward, denseGrad, type DenseForwardOptions, type DenseGradOptions, type DenseGrads, type DenseOptions } from './kernels/dense';
import { matmul, type MatmulOptions } from './kernels/matmul';
import { sgdUpdate, type SgdOptions } from './kernels/optimizer';
import type { ActivationName, CustomActivationName, ElementwiseActivationName, LossNameOrAlias, NameOf } from './names';

/** Uploaded GPU tensors up to this many elements keep their values for host-side checks (labels, targets). */
const HOST_COPY_MAX = 1 << 16;

export type Backend = 'webgpu' | 'cpu';

export interface RuntimeOptions extends DeviceOptions, SchedulerOptions {
  /** `'webgpu'` (default) or `'cpu'` (the float64-rounded-to-float32 reference path). */
  backend?: Backend;
  /** Run every op on both paths and reject reads when they disagree. */
  verify?: boolean;
}

export interface LostInfo {
  reason: string;
  message: string;
}

export interface MemoryInfo {
  /** Tensors created and not yet disposed. */
  liveTensors: number;
  /** Bytes held by live tensors. */
  bytesInUse: number;
  /** Bytes of freed buffers kept for reuse. */
  pooledBytes: number;
  /** All GPU bytes this runtime holds in buffers (in use + pooled + staging). */
  allocatedBytes: number;
  /** Highest `allocatedBytes` seen. */
  peakBytes: number;
}

/** A GPU view of a tensor handed to kernels. */
export interface GpuTensor {
  buffer: GPUBuffer;
  size: number;
  shape: readonly number[];
}

/** What an op gives `run()`: its GPU recording and its CPU twin. */
export interface OpSpec {
  /** Op name for errors and labels, e.g. `sigmoid.forward`. */
  op: string;
  inputs: readonly Tensor[];
  outputs: readonly Shape[];
  /**
   * Existing tensors updated in place (weights, optimiser state). They follow the new
   * outputs in the `outputs` arrays given to `gpu` and `cpu` (on the CPU, with their
   * current values), and are not returned.
   */
  writes?: readonly Tensor[];
  /** Records the dispatches that write `outputs` from `inputs`. */
  gpu(s: Scheduler, inputs: GpuTensor[], outputs: GpuTensor[]): void;
  /** Computes the same on the CPU (float64 math, stored as float32). */
  cpu(inputs: Float32Array[], outputs: Float32Array[]): void;
  /** Bound used by `verify: true` (default 4 ULP). */
  tolerance?: Tolerance;
  /**
   * Under verify, also accept the CPU result at subnormal inputs flushed to zero, which WGSL
   * allows (default true).
   */
  inputsMayFlush?: boolean;
}

let runtimeIds = 0;

export class Runtime implements TensorOwner {
  readonly id = ++runtimeIds;
  readonly verify: boolean;
  /** Resolves when the device is lost (after `dispose()` too), with the reason. */
  lost: Promise<LostInfo>;
  /** @internal */
  scheduler: Scheduler | null;
  /** @internal */
  readonly activations: ActivationRegistry;
  private live = new Set<Tensor>();
  private bytesInUse = 0;
  private scopes: Set<Tensor>[] = [];
  private verifyChecks = new Set<Promise<void>>();
  private verifyFailure: Error | null = null;
  private disposedFlag = false;
  private resolveLost: (info: LostInfo) => void = () => undefined;
  private cpuPeak = 0;

  /** @internal Use `createRuntime()`. */
  constructor(
    readonly backend: Backend,
    public adapterInfo: AdapterInfo | null,
    device: GPUDevice | null,
    private readonly options: RuntimeOptions,
  ) {
    this.verify = backend === 'webgpu' && !!options.verify;
    this.activations = createActivationRegistry();
    this.lost = new Promise(() => undefined);
    this.scheduler = null;
    if (device) this.attach(device);
  }

  private attach(device: GPUDevice): void {
    const scheduler = new Scheduler(device, this.options);
    this.scheduler = scheduler;
    this.lost = new Promise((resolve) => (this.resolveLost = resolve));
    // Registered before any other handler, so the scheduler knows first.
    device.lost.then((info) => {
      const reason = this.disposedFlag ? 'destroyed' : String(info.reason ?? 'unknown');
      const message = `the GPU device was lost (${reason}${info.message ? `: ${info.message}` : ''}); call runtime.recover() for a fresh device and re-upload tensors`;
      scheduler.markLost(message);
      if (this.scheduler === scheduler) this.resolveLost({ reason, message });
    });
  }

  /** The GPU device (undefined on the CPU backend). */
  get device(): GPUDevice | undefined {
    return this.scheduler?.device;
  }

  get disposed(): boolean {
    return this.disposedFlag;
  }

  // ------------------------------------------------------------------ tensors

  /** A float32 tensor from numbers, a flat or typed array (with `shape`), or nested arrays. */
  tensor(values: TensorLike, shape?: Shape): Tensor {
    this.assertOpen('tensor');
    const flat = flatten('tensor', values);
    let finalShape: Shape = flat.shape;
    if (shape !== undefined) {
      checkShape('tensor', shape);
      if (sizeOf(shape) !== flat.data.length) {
        throw new NNError(`tensor: shape ${formatShape(shape)} needs ${sizeOf(shape)} values, got ${flat.data.length}`);
      }
      finalShape = shape;
    }
    const t = this.fromData(flat.data, finalShape, 'tensor');
    if (t.storage.kind === 'gpu' && t.size <= HOST_COPY_MAX) t.storage.host = flat.data;
    return t;
  }

  /** A tensor of zeros. */
  zeros(shape: Shape): Tensor {
    this.assertOpen('zeros');
    checkShape('zeros', shape);
    const t = this.allocate(shape, 'zeros');
    if (t.storage.kind === 'gpu') {
      this.scheduler!.clear(t.storage.buffer, 0, Math.max(16, Math.ceil(t.size / 4) * 16));
      t.storage.producer = this.scheduler!.currentBatch();
    }
    return t;
  }

  /** @internal Takes ownership of `data`. */
  fromData(data: Float32Array, shape: Shape, label: string): Tensor {
    const t = this.allocate(shape, label);
    if (t.storage.kind === 'cpu') t.storage.data.set(data);
    else if (data.length > 0) this.scheduler!.write(t.storage.buffer, 0, data);
    return t;
  }

  /** @internal A tensor with uninitialised storage. */
  allocate(shape: Shape, label: string): Tensor {
    const size = sizeOf(shape);
    const bytes = Math.max(16, Math.ceil(size / 4) * 16);
    let t: Tensor;
    if (this.scheduler) {
      if (bytes > this.scheduler.maxBufferSize) {
        throw new NNError(`${label}: a tensor of shape ${formatShape(shape)} needs ${bytes} bytes, larger than this adapter's maxBufferSize (${this.scheduler.maxBufferSize})`);
      }
      const buffer = this.scheduler.createStorage(bytes, label);
      t = new Tensor(this, shape, { kind: 'gpu', buffer, scheduler: this.scheduler, producer: null });
    } else {
      t = new Tensor(this, shape, { kind: 'cpu', data: new Float32Array(size) });
    }
    this.live.add(t);
    this.bytesInUse += bytes;
    this.cpuPeak = Math.max(this.cpuPeak, this.bytesInUse);
    this.scopes[this.scopes.length - 1]?.add(t);
    return t;
  }

  /** @internal */
  releaseTensor(t: Tensor): void {
    if (!this.live.delete(t)) return;
    this.bytesInUse -= Math.max(16, Math.ceil(t.size / 4) * 16);
    for (const s of this.scopes) s.delete(t);
    if (t.storage.kind === 'gpu' && t.storage.scheduler === this.scheduler) {
      this.scheduler.releaseStorage(t.storage.buffer);
    }
  }

  /** @internal */
  async readTensor(t: Tensor): Promise<Float32Array> {
    this.checkTensor('read', t);
    await this.verified();
    if (t.storage.kind === 'cpu') return t.storage.data.slice();
    const { buffer, producer, scheduler } = t.storage;
    const label = `read tensor #${t.id} ${formatShape(t.shape)}`;
    const bytes = await scheduler.read(buffer, 0, t.size * 4, label, producer);
    await this.verified();
    return new Float32Array(bytes);
  }

  /** Resolves once all work so far has run; rejects with the first GPU or verify error. */
  async sync(): Promise<void> {
    if (this.disposedFlag) throw new NNError('sync: the runtime was disposed');
    if (this.scheduler) await this.scheduler.sync();
    await this.verified();
  }

  private async verified(): Promise<void> {
    while (this.verifyChecks.size > 0) await Promise.all([...this.verifyChecks]);
    const failure = this.verifyFailure;
    // Reported once, to the first read or sync that follows it; the runtime stays usable.
    this.verifyFailure = null;
    if (failure) throw failure;
  }

  /**
   * Runs `fn` and disposes every tensor it created except those it returns (a tensor, or
   * tensors inside an array or object). An async `fn` keeps its scope open until it settles.
   */
  tidy<T>(fn: () => T): T {
    const scope = new Set<Tensor>();
    this.scopes.push(scope);
    const finish = (result: unknown): void => {
      const i = this.scopes.indexOf(scope);
      if (i >= 0) this.scopes.splice(i, 1);
      const keep = new Set<Tensor>();
      collectTensors(result, keep);
      for (const t of scope) if (!keep.has(t)) t.dispose();
      // Kept tensors belong to the enclosing scope.
      const outer = this.scopes[this.scopes.length - 1];
      if (outer) for (const t of keep) if (scope.has(t)) outer.add(t);
    };
    let result: T;
    try {
      result = fn();
    } catch (e) {
      finish(undefined);
      throw e;
    }
    if (result instanceof Promise) {
      return result.then(
        (v) => (finish(v), v),
        (e) => {
          finish(undefined);
          throw e;
        },
      ) as T;
    }
    finish(result);
    return result;
  }

  /** Keeps `t` alive past the enclosing `tidy`. */
  keep<T extends Tensor>(t: T): T {
    for (const s of this.scopes) s.delete(t);
    return t;
  }

  memory(): MemoryInfo {
    const s = this.scheduler;
    return {
      liveTensors: this.live.size,
      bytesInUse: this.bytesInUse,
      pooledBytes: s ? s.pool.pooledBytes : 0,
      allocatedBytes: s ? s.pool.allocatedBytes : this.bytesInUse,
      peakBytes: s ? s.pool.peakAllocatedBytes : this.cpuPeak,
    };
  }

  /** Destroys pooled buffers beyond `maxBytes` (default: all). */
  trimPool(maxBytes = 0): void {
    this.scheduler?.pool.trim(maxBytes);
  }

  // ------------------------------------------------------------------ running ops

  /** @internal Throws unless `t` is a live tensor of this runtime. */
  checkTensor(op: string, t: unknown, what = 'input'): asserts t is Tensor {
    if (!(t instanceof Tensor)) throw new NNError(`${op}: ${what} must be a Tensor, got ${describeValue(t)}`);
    if (t.owner !== this) {
      throw new NNError(`${op}: ${what} (${t.label}) belongs to another runtime; tensors cannot be mixed between runtimes (make it on this one, e.g. rt.tensor(await t.array()))`);
    }
    if (t.disposed) throw new NNError(`${op}: ${what} (${t.label}) was disposed`);
    if (t.storage.kind === 'gpu' && t.storage.scheduler !== this.scheduler) {
      throw new DeviceLostError(`${op}: ${what} (${t.label}) lives on a GPU device that was lost; create it again on the recovered runtime`);
    }
  }

  /** @internal Throws once the runtime is disposed (or its device unusable). */
  assertOpen(op: string): void {
    if (this.disposedFlag) throw new NNError(`${op}: the runtime was disposed`);
    this.scheduler?.assertUsable(op);
  }

  /** @internal Runs one op on this runtime's backend (and cross-checks under verify). */
  run(spec: OpSpec): Tensor[] {
    this.assertOpen(spec.op);
    const inputs = spec.inputs;
    for (let i = 0; i < inputs.length; i++) this.checkRunTensor(spec.op, inputs[i], 'input', i);
    const writes = spec.writes ?? [];
    for (let i = 0; i < writes.length; i++) this.checkRunTensor(spec.op, writes[i], 'updated tensor', i);
    const outputs: Tensor[] = [];
    try {
      for (const shape of spec.outputs) outputs.push(this.allocate(shape, spec.op));
      // outputs first, then the tensors updated in place: the order spec.gpu / spec.cpu receive them
      const targets = writes.length > 0 ? outputs.concat(writes) : outputs;
      if (!this.scheduler) {
        const data = (t: Tensor) => (t.storage as { data: Float32Array }).data;
        spec.cpu(inputs.map(data), targets.map(data));
        for (const t of writes) t.writes++;
        return outputs;
      }
      const s = this.scheduler;
      const verifyBefore = this.verify ? [...inputs, ...writes].map((t) => this.snapshot(t)) : [];
      const batch = s.currentBatch();
      for (const t of inputs) dependOn(batch, t);
      for (const t of writes) dependOn(batch, t);
      spec.gpu(s, inputs.map(gpuView), targets.map(gpuView));
      const producer = s.currentBatch();
      for (const t of targets) (t.storage as { producer: Batch | null }).producer = producer;
      for (const t of writes) {
        (t.storage as { host?: Float32Array | null }).host = null;
        t.writes++;
      }
      if (this.verify) this.scheduleVerify(spec, verifyBefore, targets);
      return outputs;
    } catch (e) {
      for (const t of outputs) t.dispose();
      throw e;
    }
  }

  /** checkTensor for run's operands; the label ('input 0', ...) is built only for an error. */
  private checkRunTensor(op: string, t: unknown, what: string, i: number): void {
    if (t instanceof Tensor && t.owner === this && !t.disposed && (t.storage.kind !== 'gpu' || t.storage.scheduler === this.scheduler)) return;
    this.checkTensor(op, t, `${what} ${i}`);
  }

  /**
   * @internal Checks a tensor's values on the host with `check` (which throws NNError). With the
   * values at hand (CPU backend, or a small uploaded GPU tensor no op has written) it throws
   * now; otherwise the values are read back and a failure is reported to the next read or sync,
   * like a verify failure, while the op itself runs.
   */
  checkValues(t: Tensor, check: (values: Float32Array) => void): void {
    const st = t.storage;
    const host = st.kind === 'cpu' ? st.data : st.host;
    if (host) return check(host);
    const values = this.snapshot(t);
    const done = values.then(check).catch((e) => {
      if (!this.verifyFailure) this.verifyFailure = e instanceof Error ? e : new NNError(String(e));
    });
    this.verifyChecks.add(done);
    done.finally(() => this.verifyChecks.delete(done));
  }

  private snapshot(t: Tensor): Promise<Float32Array> {
    const st = t.storage as { buffer: GPUBuffer };
    const p = this.scheduler!.read(st.buffer, 0, t.size * 4, `check tensor #${t.id}`, null).then((b) => new Float32Array(b));
    p.catch(() => undefined); // awaited by the check; avoid an unhandled rejection meanwhile
    return p;
  }

  /** `before`: snapshots of the inputs, then of the in-place tensors, taken before the op. */
  private scheduleVerify(spec: OpSpec, before: Promise<Float32Array>[], outputs: Tensor[]): void {
    const got = outputs.map((t) => this.snapshot(t));
    const tol = spec.tolerance ?? { ulp: 4 };
    const nIn = spec.inputs.length;
    const check = (async () => {
      const snaps = await Promise.all(before);
      const outs = await Promise.all(got);
      const refs = [...spec.outputs.map((shape) => new Float32Array(sizeOf(shape))), ...snaps.slice(nIn)];
      spec.cpu(snaps.slice(0, nIn), refs);
      // WGSL allows flushing subnormal inputs to zero (SwiftShader does): where the GPU
      // disagrees, the CPU result at flushed inputs is accepted too.
      let flushedRefs: Float32Array[] | null = null;
      if (spec.inputsMayFlush !== false && refs.some((ref, k) => findMismatch(outs[k], ref, tol))) {
        flushedRefs = [...spec.outputs.map((shape) => new Float32Array(sizeOf(shape))), ...snaps.slice(nIn).map((a) => a.slice())];
        spec.cpu(snaps.slice(0, nIn).map(flushSubnormals), flushedRefs);
      }
      refs.forEach((ref, k) => {
        const m = findMismatch(outs[k], ref, tol, flushedRefs?.[k]);
        if (m && !this.verifyFailure) {
          const bound = 'ulp' in tol ? `${tol.ulp} ULP` : `rtol ${tol.rtol}, atol ${tol.atol}`;
          this.verifyFailure = new VerifyError(
            `verify: ${spec.op} output ${k} ${formatShape(outputs[k].shape)}: GPU and CPU disagree at index ${m.index}: ` +
              `gpu ${m.got}, cpu ${m.ref} (${m.ulp} ULP apart, bound ${bound}; ${m.count} element(s) differ)`,
          );
        }
      });
    })().catch((e) => {
      if (!this.verifyFailure) this.verifyFailure = e instanceof VerifyError ? e : new VerifyError(`verify: ${spec.op}: ${(e as Error).message}`);
    });
    this.verifyChecks.add(check);
    check.finally(() => this.verifyChecks.delete(check));
  }

  // ------------------------------------------------------------------ activations

  /** y = f(x) for a built-in or defined activation; `params` as documented per function. */
  activation<N extends string>(name: NameOf<N, ActivationName, CustomActivationName>, x: Tensor, params?: ActivationParams): Tensor {
    const row = rowActivation(name, params);
    if (row) return row.log ? this.logSoftmax(x, row.opts) : this.softmax(x, row.opts);
    return activationForward(this, name, x, params);
  }

  /** dx = dy * f'(x) (for softmax / logSoftmax, which take `{axis}`: the vector-Jacobian product). */
  activationGrad<N extends string>(name: NameOf<N, ActivationName, CustomActivationName>, x: Tensor, dy: Tensor, params?: ActivationParams): Tensor {
    const row = rowActivation(name, params);
    if (!row) return activationBackward(this, name, x, dy, params);
    return this.tidy(() => {
      const y = row.log ? this.logSoftmax(x, row.opts) : this.softmax(x, row.opts);
      return row.log ? this.logSoftmaxGrad(y, dy, row.opts) : this.softmaxGrad(y, dy, row.opts);
    });
  }

  /**
   * Adds an activation from WGSL expressions (in `x`; backward in `x`, `y`, `dy`) and their
   * CPU twins. Usable at once; the promise rejects if the WGSL does not compile, and resolves
   * to the name, typed for `activation()` and `Dense({activation})`.
   */
  defineActivation<const N extends string>(name: N, def: CustomActivationDefinition): Promise<CustomActivationName<N>> {
    this.assertOpen(`defineActivation('${String(name)}')`);
    const defined = defineCustomActivation(this, name, def).then(() => name as CustomActivationName<N>);
    defined.catch(() => undefined); // a caller that does not await it gets no unhandled rejection
    return defined;
  }

  sigmoid(x: Tensor): Tensor { return this.activation('sigmoid', x); }
  step(x: Tensor, params?: { bipolar?: boolean }): Tensor { return this.activation('step', x, params); }
  tanh(x: Tensor): Tensor { return this.activation('tanh', x); }
  relu(x: Tensor): Tensor { return this.activation('relu', x); }
  identity(x: Tensor): Tensor { return this.activation('identity', x); }
  linear(x: Tensor, params?: { a?: number; b?: number }): Tensor { return this.activation('linear', x, params); }
  leakyRelu(x: Tensor, params?: { alpha?: number }): Tensor { return this.activation('leakyRelu', x, params); }
  relu6(x: Tensor): Tensor { return this.activation('relu6', x); }
  elu(x: Tensor, params?: { alpha?: number }): Tensor { return this.activation('elu', x, params); }
  selu(x: Tensor, params?: { alpha?: number; gamma?: number }): Tensor { return this.activation('selu', x, params); }
  celu(x: Tensor, params?: { alpha?: number }): Tensor { return this.activation('celu', x, params); }
  softplus(x: Tensor): Tensor { return this.activation('softplus', x); }
  softsign(x: Tensor): Tensor { return this.activation('softsign', x); }
  hardSigmoid(x: Tensor, params?: { alpha?: number; beta?: number }): Tensor { return this.activation('hardSigmoid', x, params); }
  silu(x: Tensor): Tensor { return this.activation('silu', x); }
  swish(x: Tensor): Tensor { return this.activation('silu', x); }
  gelu(x: Tensor, params?: { approximate?: 'none' | 'tanh' }): Tensor { return this.activation('gelu', x, params); }
  mish(x: Tensor): Tensor { return this.activation('mish', x); }
  hardSwish(x: Tensor): Tensor { return this.activation('hardSwish', x); }

  // dx = dy * f'(x), one per activation above
  sigmoidGrad(x: Tensor, dy: Tensor): Tensor { return this.activationGrad('sigmoid', x, dy); }
  stepGrad(x: Tensor, dy: Tensor, params?: { bipolar?: boolean }): Tensor { return this.activationGrad('step', x, dy, params); }
  tanhGrad(x: Tensor, dy: Tensor): Tensor { return this.activationGrad('tanh', x, dy); }
  reluGrad(x: Tensor, dy: Tensor): Tensor { return this.activationGrad('relu', x, dy); }
  identityGrad(x: Tensor, dy: Tensor): Tensor { return this.activationGrad('identity', x, dy); }
  linearGrad(x: Tensor, dy: Tensor, params?: { a?: number; b?: number }): Tensor { return this.activationGrad('linear', x, dy, params); }
  leakyReluGrad(x: Tensor, dy: Tensor, params?: { alpha?: number }): Tensor { return this.activationGrad('leakyRelu', x, dy, params); }
  relu6Grad(x: Tensor, dy: Tensor): Tensor { return this.activationGrad('relu6', x, dy); }
  eluGrad(x: Tensor, dy: Tensor, params?: { alpha?: number }): Tensor { return this.activationGrad('elu', x, dy, params); }
  seluGrad(x: Tensor, dy: Tensor, params?: { alpha?: number; gamma?: number }): Tensor { return this.activationGrad('selu', x, dy, params); }
  celuGrad(x: Tensor, dy: Tensor, params?: { alpha?: number }): Tensor { return this.activationGrad('celu', x, dy, params); }
  softplusGrad(x: Tensor, dy: Tensor): Tensor { return this.activationGrad('softplus', x, dy); }
  softsignGrad(x: Tensor, dy: Tensor): Tensor { return this.activationGrad('softsign', x, dy); }
  hardSigmoidGrad(x: Tensor, dy: Tensor, params?: { alpha?: number; beta?: number }): Tensor { return this.activationGrad('hardSigmoid', x, dy, params); }
  siluGrad(x: Tensor, dy: Tensor): Tensor { return this.activationGrad('silu', x, dy); }
  swishGrad(x: Tensor, dy: Tensor): Tensor { return this.activationGrad('silu', x, dy); }
  geluGrad(x: Tensor, dy: Tensor, params?: { approximate?: 'none' | 'tanh' }): Tensor { return this.activationGrad('gelu', x, dy, params); }
  mishGrad(x: Tensor, dy: Tensor): Tensor { return this.activationGrad('mish', x, dy); }
  hardSwishGrad(x: Tensor, dy: Tensor): Tensor { return this.activationGrad('hardSwish', x, dy); }

  // --- dense (src/kernels/dense.ts, matmul.ts, optimizer.ts; docs/dense.md)

  /** [M, K] x [K, N] -> [M, N]; `transposeA`: a is [K, M], `transposeB`: b is [N, K]. */
  matmul(a: Tensor, b: Tensor, opts?: MatmulOptions): Tensor { return matmul(this, a, b, opts); }
  /** y = act(x kernel + bias): x [N, C], kernel [C, K], bias [K] or null. */
  dense<A extends string>(x: Tensor, kernel: Tensor, bias?: Tensor | null, opts?: DenseOptions<A>): Tensor { return dense(this, x, kernel, bias, opts); }
  /** {y, z}: y as `dense`, z = x kernel + bias when `keepPreActivation` (else null). */
  denseForward<A extends string>(x: Tensor, kernel: Tensor, bias?: Tensor | null, opts?: DenseForwardOptions<A>): { y: Tensor; z: Tensor | null } { return denseForward(this, x, kernel, bias, opts); }
  /** {dx, dkernel, dbias} from dy = dL/dy; pass `z` (and `activation`) when one was fused. */
  denseGrad<A extends string>(x: Tensor, kernel: Tensor, dy: Tensor, opts?: DenseGradOptions<A>): DenseGrads { return denseGrad(this, x, kernel, dy, opts); }
  /** In place: param -= lr grad, or Keras momentum; a list updates each tensor in a dispatch of its own. */
  sgdUpdate(param: Tensor | readonly Tensor[], grad: Tensor | readonly Tensor[], opts: SgdOptions): void { sgdUpdate(this, param, grad, opts); }

  // --- softmax and losses

  /** Softmax over `axis` (default -1, the last). */
  softmax(x: Tensor, opts?: AxisOptions): Tensor { return softmaxOp(this, x, opts); }
  /** Log-softmax over `axis` (default -1). */
  logSoftmax(x: Tensor, opts?: AxisOptions): Tensor { return logSoftmaxOp(this, x, opts); }
  /** dx from the softmax output y and the upstream gradient dy. */
  softmaxGrad(y: Tensor, dy: Tensor, opts?: AxisOptions): Tensor { return softmaxGradOp(this, y, dy, opts); }
  /** dx from the log-softmax output y and the upstream gradient dy. */
  logSoftmaxGrad(y: Tensor, dy: Tensor, opts?: AxisOptions): Tensor { return logSoftmaxGradOp(this, y, dy, opts); }
  /** A loss by name (Keras spellings accepted): scalar for 'mean' (default) / 'sum', per-sample for 'none'. */
  loss<N extends string>(name: NameOf<N, LossNameOrAlias>, yPred: Tensor, yTrue: Tensor, options?: LossOptions): Tensor { return lossForward(this, name, yPred, yTrue, options); }
  /** Gradient of `loss(name, ...)` w.r.t. yPred, for the same reduction. */
  lossGrad<N extends string>(name: NameOf<N, LossNameOrAlias>, yPred: Tensor, yTrue: Tensor, options?: LossOptions): Tensor { return lossBackward(this, name, yPred, yTrue, options); }
  /** The loss and its gradient in one call (one pass per row for softmax cross-entropy from logits). */
  lossAndGrad<N extends string>(name: NameOf<N, LossNameOrAlias>, yPred: Tensor, yTrue: Tensor, options?: LossOptions): { loss: Tensor; grad: Tensor } { return lossAndGrad(this, name, yPred, yTrue, options); }

  // ------------------------------------------------------------------ lifecycle

  /** Replaces a lost device with a fresh one. Tensors of the lost device must be re-created. */
  async recover(): Promise<void> {
    if (this.backend === 'cpu') return;
    if (this.disposedFlag) throw new NNError('recover: the runtime was disposed');
    const old = this.scheduler;
    const acquired = await acquireDevice(this.options);
    this.adapterInfo = acquired.info;
    if (old && !old.lostError) old.device.destroy();
    for (const t of this.live) if (t.storage.kind === 'gpu') this.live.delete(t);
    this.bytesInUse = 0;
    this.attach(acquired.device);
  }

  /** Frees every buffer and destroys the device. */
  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    for (const t of [...this.live]) t.dispose();
    if (this.scheduler) {
      this.scheduler.destroy();
      this.scheduler.device.destroy();
    }
  }
}

function flushSubnormals(a: Float32Array): Float32Array {
  return a.map((v) => (v !== 0 && Math.abs(v) < 2 ** -126 ? (v < 0 ? -0 : 0) : v));
}

function gpuView(t: Tensor): GpuTensor {
  const st = t.storage as { buffer: GPUBuffer };
  return { buffer: st.buffer, size: t.size, shape: t.shape };
}

function collectTensors(v: unknown, out: Set<Tensor>, depth = 0): void {
  if (depth > 4 || v === null || typeof v !== 'object') return;
  if (v instanceof Tensor) {
    out.add(v);
    return;
  }
  const values = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
  for (const x of values) collectTensors(x, out, depth + 1);
}

/** Records that `batch` reads `t`, written by an earlier batch. */
function dependOn(batch: Batch, t: Tensor): void {
  const p = (t.storage as { producer: Batch | null }).producer;
  if (p && p !== batch) batch.deps.add(p);
}

export function sameShapeOrThrow(op: string, a: Tensor, b: Tensor, what: string): void {
  if (!sameShape(a.shape, b.shape)) {
    throw new NNError(`${op}: expected ${what} of shape ${formatShape(a.shape)}, got ${formatShape(b.shape)}`);
  }
}

/** Creates a runtime on WebGPU (default) or the CPU path. */
export async function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const op = 'createRuntime';
  if (options === null || typeof options !== 'object' || Array.isArray(options)) invalid(op, 'options', "an object like {backend: 'cpu'}", options);
  const backend = options.backend ?? 'webgpu';
  if (typeof backend === 'string' && backend !== 'webgpu' && backend !== 'cpu') throw new NNError(`${op}: unknown backend '${backend}' (expected 'webgpu' or 'cpu')`);
  if (backend !== 'webgpu' && backend !== 'cpu') invalid(op, 'backend', quotedList(['webgpu', 'cpu']), backend);
  for (const key of ['maxOpsPerBatch', 'workgroupSize', 'maxBindingBytes'] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) invalid(op, key, 'a positive integer', v);
  }
  const cap = options.poolCapBytes;
  if (cap !== undefined && !(typeof cap === 'number' && cap >= 0 && cap !== Infinity)) invalid(op, 'poolCapBytes', 'a finite number >= 0', cap);
  if (options.nodePolling !== undefined && options.nodePolling !== 'gentle' && options.nodePolling !== 'spin') {
    invalid(op, 'nodePolling', quotedList(['gentle', 'spin']), options.nodePolling);
  }
  if (backend === 'cpu') return new Runtime('cpu', null, null, options);
  const acquired = await acquireDevice(options);
  return new Runtime('webgpu', acquired.info, acquired.device, options);
}

/**
 * softmax / logSoftmax through `activation()` (as Keras and the seeds list them with the
 * activations): row ops over `params.axis` (default: last). null for every other name.
 */
function rowActivation(name: unknown, params: unknown): { log: boolean; opts: AxisOptions } | null {
  if (typeof name !== 'string') return null;
  const folded = foldName(name);
  if (folded !== 'softmax' && folded !== 'logsoftmax') return null;
  const op = `activation('${name}')`;
  if (params !== undefined && (params === null || typeof params !== 'object' || Array.isArray(params))) {
    invalid(op, 'params', 'an object like {axis: -1}', params);
  }
  const extra = Object.keys(params ?? {}).filter((k) => k !== 'axis');
  if (extra.length > 0) throw new NNError(`${op}: unknown parameter '${extra[0]}' (known: axis)`);
  return { log: folded === 'logsoftmax', opts: { axis: (params as { axis?: number } | undefined)?.axis } };
}
