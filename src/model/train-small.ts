/**
 * The fused small-network path: shaders/train_small.wgsl runs many epochs of a whole Dense
 * network in one dispatch (weights in workgroup memory), and its CPU twin below does the same
 * in float32 steps (Math.fround after every operation, in the WGSL's order).
 */
import trainSmallShader from '../../shaders/train_small.wgsl?raw';
import type { PipelineHandle, Scheduler } from '../gpu/scheduler';
import { ACT } from '../gpu/ids';
import { CUSTOM_ACTIVATION_STUB, IDS_LIB, LOSS_TERMS_LIB, LOSSES_LIB, MATH_LIB, OPTIMIZERS_LIB, type ShaderFile } from '../gpu/shaders';
import { adamAlpha, optUpdate32, OPT, writeOptStep, type OptStep } from './optimizers';
import type { Runtime } from '../runtime';
import type { Tensor } from '../tensor';
import { VALUE, rowGrad32, rowValue32, type ValueId } from '../losses/table';
import { shuffledRows } from './random';

const KERNEL: ShaderFile = { file: 'train_small.wgsl', code: trainSmallShader };
export const MAXP = 1536;
export const MAXU = 256;
export const MAXL = 8;
export const MAXM = 8;
/** Networks this small keep their arrays in registers (SMALLP / SMALLU of the WGSL). */
const SMALLP = 64;
const SMALLU = 32;

/** A network as the fused kernel sees it. */
export interface NetSpec {
  /** Units per layer, input first: [d0, d1, ..., dL]. */
  dims: number[];
  /** Activation id of layers 1..L (ACT of src/gpu/ids.ts; -1: one the fused kernel lacks). */
  acts: number[];
  bias: boolean[];
  /** Value id of the loss (sparse labels arrive one-hot: VALUE.CCE). */
  loss: ValueId;
  /** Value ids of the metrics. */
  metrics: ValueId[];
  /** The one user-defined activation used (ACT.CUSTOM), if any. */
  custom: { name: string; lib: ShaderFile; forward(x: number): number; backward(x: number, y: number, dy: number): number } | null;
}

export function paramCount(dims: number[]): number {
  let p = 0;
  for (let l = 1; l < dims.length; l++) p += (dims[l - 1] + 1) * dims[l];
  return p;
}

/** Why the network cannot take the fused path, or null when it can. */
export function fusedBlocker(spec: NetSpec): string | null {
  const L = spec.dims.length - 1;
  if (L > MAXL) return `more than ${MAXL} layers`;
  if (spec.acts.some((a) => a < 0)) return 'an activation the fused kernel does not implement';
  if (spec.acts.slice(0, -1).some((a) => a === ACT.SOFTMAX)) return 'softmax on a hidden layer';
  if (paramCount(spec.dims) > MAXP) return `more than ${MAXP} parameters`;
  if (spec.dims.reduce((s, d) => s + d, 0) > MAXU) return `more than ${MAXU} units`;
  if (spec.metrics.length > MAXM) return `more than ${MAXM} metrics`;
  return null;
}

/** Override constants of shaders/train_small.wgsl for this network (and entry-specific extras). */
export function netConstants(spec: NetSpec, extra: Record<string, number> = {}): Record<string, number> {
  const L = spec.dims.length - 1;
  const units = spec.dims.reduce((t, d) => t + d, 0);
  const small = paramCount(spec.dims) <= SMALLP && units <= SMALLU;
  const c: Record<string, number> = { L, LOSS: spec.loss, NM: spec.metrics.length, SMALL: small ? 1 : 0 };
  spec.dims.forEach((d, l) => (c[`D${l}`] = d));
  spec.acts.forEach((a, l) => (c[`A${l + 1}`] = Math.max(0, a)));
  spec.bias.forEach((b, l) => (c[`B${l + 1}`] = b ? 1 : 0));
  spec.metrics.forEach((m, k) => (c[`M${k}`] = m));
  return { ...c, ...extra };
}


export function trainSmallParts(custom: ShaderFile | null): ShaderFile[] {
  return [MATH_LIB, IDS_LIB, LOSS_TERMS_LIB, LOSSES_LIB, OPTIMIZERS_LIB, custom ?? CUSTOM_ACTIVATION_STUB, KERNEL];
}

const memo = new WeakMap<Scheduler, Map<ShaderFile | null, Map<string, PipelineHandle>>>();

/** The pipelines of one scheduler and custom library, by `entryKey`. */
function memoFor(s: Scheduler, custom: ShaderFile | null): Map<string, PipelineHandle> {
  let byLib = memo.get(s);
  if (!byLib) memo.set(s, (byLib = new Map()));
  let byKey = byLib.get(custom);
  if (!byKey) byLib.set(custom, (byKey = new Map()));
  return byKey;
}

const entryKey = (entry: string, constants: Record<string, number>) => `${entry}|${Object.keys(constants).sort().map((k) => `${k}=${constants[k]}`).join(',')}`;
const libKey = (lib: ShaderFile | null) => (lib ? lib.file + lib.code.length : '');

/**
 * A pipeline of train_small.wgsl, memoised here by (custom library, entry, constants): the
 * scheduler's own cache composes and hashes the whole shader text on every call, which costs
 * more than a small dispatch on the per-op path.
 */
export function tsPipeline(s: Scheduler, custom: ShaderFile | null, entry: string, constants: Record<string, number>): PipelineHandle {
  const byKey = memoFor(s, custom);
  const key = entryKey(entry, constants);
  let h = byKey.get(key);
  if (!h) byKey.set(key, (h = s.pipeline(trainSmallParts(custom), entry, constants, `train_small:${entry}`)));
  return h;
}

const inflight = new WeakMap<Scheduler, Map<string, Promise<void>>>();

/** tsPipeline's pipeline created off the main thread (once); `pipelinesReady` waits for it. */
function tsPipelineAsync(s: Scheduler, custom: ShaderFile | null, entry: string, constants: Record<string, number>): void {
  const key = entryKey(entry, constants);
  if (memoFor(s, custom).has(key)) return;
  let pending = inflight.get(s);
  if (!pending) inflight.set(s, (pending = new Map()));
  const pendingKey = `${libKey(custom)}|${key}`;
  if (pending.has(pendingKey)) return;
  const p: Promise<void> = s.pipelineAsync(trainSmallParts(custom), entry, constants, `train_small:${entry}`).then((h) => {
    pending.delete(pendingKey);
    if (!h) return; // the pipeline call on first use reports the error
    const byKey = memoFor(s, custom);
    if (!byKey.has(key)) byKey.set(key, h);
  });
  pending.set(pendingKey, p);
}

/** Waits for the pipelines `prepareTrain` started, so a fit never creates one a second time. */
export async function pipelinesReady(s: Scheduler): Promise<void> {
  const pending = inflight.get(s);
  if (pending && pending.size > 0) await Promise.all([...pending.values()]);
}

/** The network as the GENERIC kernel reads it (`netd`, binding 2 of train_small.wgsl). */
export function netDescriptor(spec: NetSpec): Uint32Array {
  const d = new Uint32Array(56);
  const { dims } = spec;
  const L = dims.length - 1;
  d[0] = L;
  d[1] = spec.loss;
  d[2] = spec.metrics.length;
  dims.forEach((v, l) => (d[4 + l] = v));
  spec.acts.forEach((a, l) => (d[13 + l] = Math.max(0, a)));
  spec.bias.forEach((b, l) => (d[21 + l] = b ? 1 : 0));
  spec.metrics.forEach((m, k) => (d[29 + k] = m));
  const dim = (l: number) => (l <= L ? dims[l] : 0);
  for (let l = 1, u = 0; l <= 8; l++) d[37 + l] = u += dim(l - 1);
  for (let l = 1, p = 0; l <= 9; l++) {
    d[45 + l] = p;
    if (l <= 8) p += (dim(l - 1) + 1) * dim(l);
  }
  return d;
}

const descriptors = new WeakMap<Scheduler, Map<string, GPUBuffer>>();

/** The descriptor buffer of a network, uploaded once per scheduler. */
const descriptorOf = new WeakMap<NetSpec, { d: Uint32Array; key: string }>();

function netBuffer(s: Scheduler, spec: NetSpec): GPUBuffer {
  let dk = descriptorOf.get(spec);
  if (!dk) {
    const d = netDescriptor(spec);
    descriptorOf.set(spec, (dk = { d, key: d.join(',') }));
  }
  const { d, key } = dk;
  let m = descriptors.get(s);
  if (!m) descriptors.set(s, (m = new Map()));
  let b = m.get(key);
  if (!b) {
    b = s.createStorage(d.byteLength, 'train_small:net descriptor');
    s.write(b, 0, d);
    m.set(key, b);
  }
  return b;
}

interface Tiers {
  special: PipelineHandle | null;
  compiling: Promise<void> | null;
}
const tiers = new WeakMap<Scheduler, Map<string, Tiers>>();
/** Register-class network shapes whose train pipeline was compiled on the caller's path. */
const smallShapes = new WeakMap<Scheduler, Set<string>>();

// Per scheduler and spec object: the per-op engine looks a pipeline up on every mini-batch.
const tierCache = new WeakMap<Scheduler, WeakMap<NetSpec, Map<string, { tier: Tiers; constants: Record<string, number> }>>>();

function tierOf(s: Scheduler, spec: NetSpec, entry: string, extra: Record<string, number>): { tier: Tiers; constants: Record<string, number> } {
  let bySpec = tierCache.get(s);
  if (!bySpec) tierCache.set(s, (bySpec = new WeakMap()));
  let bySpecKey = bySpec.get(spec);
  if (!bySpecKey) bySpec.set(spec, (bySpecKey = new Map()));
  let quick = entry;
  for (const k in extra) quick += `|${k}=${extra[k]}`;
  let hit = bySpecKey.get(quick);
  if (!hit) bySpecKey.set(quick, (hit = tierOfUncached(s, spec, entry, extra)));
  return hit;
}

function tierOfUncached(s: Scheduler, spec: NetSpec, entry: string, extra: Record<string, number>): { tier: Tiers; constants: Record<string, number> } {
  const lib = spec.custom ? spec.custom.lib : null;
  const constants = netConstants(spec, extra);
  const key = `${libKey(lib)}|${entryKey(entry, constants)}`;
  let byKey = tiers.get(s);
  if (!byKey) tiers.set(s, (byKey = new Map()));
  let tier = byKey.get(key);
  if (!tier) byKey.set(key, (tier = { special: null, compiling: null }));
  return { tier, constants };
}

/**
 * The pipeline of a network entry, and the descriptor it reads: the GENERIC pipeline (one per
 * entry for all networks, compiled once and several times faster than a specialised one, which
 * on a software adapter takes many seconds), or the network's specialised pipeline once
 * `specialise` has had it compiled in the background (at once for the register class, whose
 * unrolled pipeline compiles quickly). The two compute the same float32
 * operations in the same order (tested bit for bit).
 */
export function netPipeline(s: Scheduler, spec: NetSpec, entry: string, extra: Record<string, number> = {}): { pipeline: PipelineHandle; descriptor: GPUBuffer } {
  const lib = spec.custom ? spec.custom.lib : null;
  const descriptor = netBuffer(s, spec);
  const { tier: t, constants } = tierOf(s, spec, entry, extra);
  if (t.special) return { pipeline: t.special, descriptor };
  // A register-class network's first train pipeline compiles in a fraction of a second and runs
  // several times faster unrolled: compile it at once. Its variants for other optimizers or
  // metrics compile in the background (nothing a fit waits for), the generic one serving meanwhile.
  if (entry === 'train' && constants.SMALL === 1) {
    const shape = shapeKey(spec);
    let seen = smallShapes.get(s);
    if (!seen) smallShapes.set(s, (seen = new Set()));
    if (!seen.has(shape)) {
      seen.add(shape);
      t.special = tsPipeline(s, lib, entry, constants);
      return { pipeline: t.special, descriptor };
    }
    void specialise(s, spec, entry, extra);
  }
  return { pipeline: tsPipeline(s, lib, entry, genericConstants(extra)), descriptor };
}

function shapeKey(spec: NetSpec): string {
  const lib = spec.custom ? spec.custom.lib : null;
  return `${libKey(lib)}|${spec.dims}|${spec.acts}|${spec.bias}`;
}

function genericConstants(extra: Record<string, number>): Record<string, number> {
  const generic: Record<string, number> = { GENERIC: 1, SMALL: 0 };
  if (extra.PRED_IN_STORAGE) generic.PRED_IN_STORAGE = 1;
  // The optimizer kind is baked in even here: one update rule instead of four in the module
  // halves the first compile on lavapipe (4.1-4.3 s -> 2.5-3.3 s for a first fit).
  if (extra.OPT_KIND !== undefined) generic.OPT_KIND = extra.OPT_KIND;
  return generic;
}

/**
 * Starts creating the train pipeline the network's next fit will record (the one netPipeline
 * picks), off the main thread: Sequential.compile calls it, so the shader translation overlaps
 * whatever the caller does before fit (a third of a cold first fit on lavapipe).
 */
export function prepareTrain(s: Scheduler, spec: NetSpec, optKind: number): void {
  const extra = { OPT_KIND: optKind };
  const { tier, constants } = tierOf(s, spec, 'train', extra);
  if (tier.special) return;
  const lib = spec.custom ? spec.custom.lib : null;
  const first = constants.SMALL === 1 && !smallShapes.get(s)?.has(shapeKey(spec));
  tsPipelineAsync(s, lib, 'train', first ? constants : genericConstants(extra));
}

/**
 * Starts compiling the network's specialised pipeline for `entry` in the background (once): the
 * fused engine calls it when a fit ends, so a network trained again runs unrolled, while the
 * first fit never waits for that compile. Not where the machine code is made at the first
 * dispatch (lavapipe), except for the register class: there the "background" compile would stall
 * the next fit instead (4-16-3: 23 s on a quiet machine, 55-85 s under load, to save 2 ms of
 * an epoch's 2.4), so larger networks keep the generic pipeline. `force` compiles regardless.
 */
export function specialise(s: Scheduler, spec: NetSpec, entry: string, extra: Record<string, number> = {}, force = false): Promise<void> {
  const { tier, constants } = tierOf(s, spec, entry, extra);
  if (!force && s.profile.compilesOnFirstDispatch && constants.SMALL !== 1) return Promise.resolve();
  const lib = spec.custom ? spec.custom.lib : null;
  tier.compiling ??= s.pipelineAsync(trainSmallParts(lib), entry, constants, `train_small:${entry}`).then((h) => void (tier.special = h));
  return tier.compiling;
}

export interface TrainChunk {
  epoch0: number;
  nEpochs: number;
  n: number;
  batch: number;
  seed: number;
  shuffle: boolean;
  /** The optimizer's step (learning rate included), its state slots and iterations before this chunk. */
  opt: OptStep;
  slots: number;
  iter0: number;
  stopBelow: number | null;
  /** Also write the outputs of each row's forward pass in the last epoch run ([n, K] after the epoch logs). */
  keepOutputs?: boolean;
  /** Per-row sample weights (class weights) of the training rows, or none. */
  sampleWeights?: Tensor | null;
}

export function trainUniform(c: Partial<TrainChunk> & { slot?: number }): Uint8Array {
  const buf = new ArrayBuffer(112);
  const u = new Uint32Array(buf);
  const f = new Float32Array(buf);
  u[0] = c.epoch0 ?? 0;
  u[1] = c.nEpochs ?? 0;
  u[2] = c.n ?? 0;
  u[3] = c.batch ?? 0;
  u[4] = c.seed ?? 0;
  u[5] = c.shuffle ? 1 : 0;
  u[6] = c.sampleWeights ? 1 : 0;
  u[7] = c.slots ?? 0;
  f[8] = c.stopBelow ?? 0;
  u[9] = c.stopBelow === null || c.stopBelow === undefined ? 0 : 1;
  u[10] = c.keepOutputs ? 1 : 0;
  u[11] = c.slot ?? 0;
  if (c.opt) writeOptStep(u, f, 12, c.opt);
  u[24] = c.iter0 ?? 0;
  return new Uint8Array(buf);
}

/** Size of the logs `trainChunk` returns. */
export function chunkLogSize(spec: NetSpec, c: TrainChunk): number {
  return 3 + c.nEpochs * (1 + spec.metrics.length) + (c.keepOutputs ? c.n * spec.dims[spec.dims.length - 1] : 0);
}

/**
 * Records `nEpochs` epochs of training. Returns the logs tensor:
 * [epochs done, stop reason, stop epoch, then per epoch: loss, metrics..., then (keepOutputs) outputs [n, K]].
 * Updates `w` (flat weights) and `state` (optimizer state [slots * P]) in place; `perm` is scratch [n + 1].
 */
export function trainChunk(rt: Runtime, spec: NetSpec, x: Tensor, y: Tensor, w: Tensor, state: Tensor, perm: Tensor, c: TrainChunk): Tensor {
  const label = `train_small.train [${spec.dims.join(', ')}] epochs ${c.epoch0}..${c.epoch0 + c.nEpochs - 1}`;
  const sw = c.sampleWeights ?? null;
  return rt.run({
    op: label,
    inputs: sw ? [x, y, sw] : [x, y],
    outputs: [[chunkLogSize(spec, c)]],
    writes: [w, state, perm],
    tolerance: { rtol: 1e-4, atol: 1e-6 },
    gpu: (s, [xg, yg, swg], [lg, wg, vg, pg]) => {
      const { pipeline, descriptor } = netPipeline(s, spec, 'train', { OPT_KIND: c.opt.kind });
      s.dispatch({
        label,
        pipeline,
        bindings: [
          { binding: 0, buffer: xg.buffer },
          { binding: 1, buffer: yg.buffer },
          { binding: 2, buffer: descriptor },
          { binding: 3, buffer: wg.buffer },
          { binding: 4, buffer: vg.buffer },
          { binding: 5, buffer: lg.buffer },
          { binding: 6, buffer: pg.buffer },
          { binding: 8, buffer: swg ? swg.buffer : s.placeholder() },
        ],
        uniform: trainUniform(c),
        uniformBinding: 7,
        workgroups: 1,
      });
    },
    cpu: ([xs, ys, sws], [logs, ws, vs, ps]) => {
      if (ps[c.n] !== 0) return void logs.fill(0, 0, 3);
      new CpuNet(spec).train(xs, ys, ws, vs, logs, c, sws ?? null);
      if (logs[1] !== 0) ps[c.n] = 1;
    },
  })[0];
}

/** Forward pass of `n` rows: [n, K]. */
export function predictFused(rt: Runtime, spec: NetSpec, x: Tensor, w: Tensor, n: number): Tensor {
  const K = spec.dims[spec.dims.length - 1];
  const label = `train_small.predict [${n}, ${spec.dims.join(', ')}]`;
  return rt.run({
    op: label,
    inputs: [x, w],
    outputs: [[n, K]],
    gpu: (s, [xg, wg], [og]) => {
      const { pipeline, descriptor } = netPipeline(s, spec, 'predict');
      s.dispatch({
        label,
        pipeline,
        bindings: [
          { binding: 0, buffer: xg.buffer },
          { binding: 2, buffer: descriptor },
          { binding: 3, buffer: wg.buffer },
          { binding: 5, buffer: og.buffer },
        ],
        uniform: trainUniform({ n }),
        uniformBinding: 7,
        workgroups: n,
      });
    },
    cpu: ([xs, ws], [out]) => {
      const net = new CpuNet(spec);
      for (let r = 0; r < n; r++) {
        net.forward(xs, r, ws);
        out.set(net.output(), r * K);
      }
    },
  })[0];
}

/** Mean loss and metrics over `n` rows: [1 + metrics]. */
export function evaluateFused(rt: Runtime, spec: NetSpec, x: Tensor, y: Tensor, w: Tensor, n: number): Tensor {
  const label = `train_small.evaluate [${n}, ${spec.dims.join(', ')}]`;
  return rt.run({
    op: label,
    inputs: [x, y, w],
    outputs: [[1 + spec.metrics.length]],
    tolerance: { rtol: 1e-5, atol: 1e-7 },
    gpu: (s, [xg, yg, wg], [og]) => {
      const { pipeline, descriptor } = netPipeline(s, spec, 'evaluate');
      s.dispatch({
        label,
        pipeline,
        bindings: [
          { binding: 0, buffer: xg.buffer },
          { binding: 1, buffer: yg.buffer },
          { binding: 2, buffer: descriptor },
          { binding: 3, buffer: wg.buffer },
          { binding: 5, buffer: og.buffer },
          { binding: 8, buffer: s.placeholder() },
        ],
        uniform: trainUniform({ n }),
        uniformBinding: 7,
        workgroups: 1,
      });
    },
    cpu: ([xs, ys, ws], [out]) => {
      const net = new CpuNet(spec);
      const sums = new Float32Array(1 + spec.metrics.length);
      for (let r = 0; r < n; r++) {
        net.forward(xs, r, ws);
        net.accumulate(ys, r, sums);
      }
      for (let m = 0; m < sums.length; m++) out[m] = Math.fround(sums[m] / n);
    },
  })[0];
}

const fr = Math.fround;
const exp = (x: number) => fr(Math.exp(x));

/** `act_fwd` of train_small.wgsl in float32 steps. */
export function cpuActForward(code: number, x: number, custom: NetSpec['custom']): number {
  switch (code) {
    case ACT.RELU:
      return x > 0 ? x : 0;
    case ACT.SIGMOID:
      return fr(1 / fr(1 + exp(-x)));
    case ACT.TANH:
      return fr(Math.tanh(x));
    case ACT.CUSTOM:
      return fr(custom!.forward(x));
    default:
      return x;
  }
}

/** `act_bwd` of train_small.wgsl: dL/dz from the output y (Keras), x = z for custom activations. */
export function cpuActBackward(code: number, x: number, y: number, dy: number, custom: NetSpec['custom']): number {
  switch (code) {
    case ACT.RELU:
      return y > 0 ? dy : 0;
    case ACT.SIGMOID:
      return fr(fr(dy * y) * fr(1 - y));
    case ACT.TANH:
      return fr(dy * fr(1 - fr(y * y)));
    case ACT.CUSTOM:
      return fr(custom!.backward(x, y, dy));
    default:
      return dy;
  }
}

/** CPU twin of train_small.wgsl. */
export class CpuNet {
  private readonly L: number;
  private readonly uoff: number[] = [];
  private readonly poff: number[] = [];
  readonly z: Float32Array;
  readonly a: Float32Array;
  readonly d: Float32Array;
  readonly P: number;

  constructor(readonly spec: NetSpec) {
    this.L = spec.dims.length - 1;
    let u = 0;
    let p = 0;
    for (let l = 0; l <= this.L; l++) {
      this.uoff.push(u);
      u += spec.dims[l];
      this.poff.push(p);
      if (l >= 1) p += (spec.dims[l - 1] + 1) * spec.dims[l];
    }
    // poff[l] is the offset of layer l (l >= 1)
    this.poff = [0];
    p = 0;
    for (let l = 1; l <= this.L; l++) {
      this.poff.push(p);
      p += (spec.dims[l - 1] + 1) * spec.dims[l];
    }
    this.P = p;
    this.z = new Float32Array(u);
    this.a = new Float32Array(u);
    this.d = new Float32Array(u);
  }

  private actFwd(code: number, x: number): number {
    return cpuActForward(code, x, this.spec.custom);
  }

  private actBwd(code: number, x: number, y: number, dy: number): number {
    return cpuActBackward(code, x, y, dy, this.spec.custom);
  }

  forward(xs: Float32Array, row: number, w: Float32Array): void {
    const { dims, acts, bias } = this.spec;
    const { z, a } = this;
    const d0 = dims[0];
    for (let i = 0; i < d0; i++) a[i] = xs[row * d0 + i];
    for (let l = 1; l <= this.L; l++) {
      const cin = dims[l - 1];
      const cout = dims[l];
      const po = this.poff[l];
      const ui = this.uoff[l - 1];
      const uo = this.uoff[l];
      for (let j = 0; j < cout; j++) {
        let acc = 0;
        for (let i = 0; i < cin; i++) acc = fr(acc + fr(a[ui + i] * w[po + i * cout + j]));
        z[uo + j] = fr(acc + (bias[l - 1] ? w[po + cin * cout + j] : 0));
      }
      const code = acts[l - 1];
      if (code === ACT.SOFTMAX) {
        let m = z[uo];
        for (let j = 1; j < cout; j++) m = Math.max(m, z[uo + j]);
        let s = 0;
        for (let j = 0; j < cout; j++) {
          a[uo + j] = exp(fr(z[uo + j] - m));
          s = fr(s + a[uo + j]);
        }
        for (let j = 0; j < cout; j++) a[uo + j] = fr(a[uo + j] / s);
      } else {
        for (let j = 0; j < cout; j++) a[uo + j] = this.actFwd(code, z[uo + j]);
      }
    }
  }

  output(): Float32Array {
    const K = this.spec.dims[this.L];
    return this.a.slice(this.uoff[this.L], this.uoff[this.L] + K);
  }

  /** sums[0] += loss (times the row's sample weight), sums[1 + m] += metric m, for the sample in `a`. */
  accumulate(ys: Float32Array, row: number, sums: Float32Array, weight = 1): void {
    const K = this.spec.dims[this.L];
    const yo = this.uoff[this.L];
    sums[0] = fr(sums[0] + fr(rowValue32(this.spec.loss, this.a, yo, ys, row * K, K) * weight));
    this.spec.metrics.forEach((id, m) => (sums[1 + m] = fr(sums[1 + m] + rowValue32(id, this.a, yo, ys, row * K, K))));
  }

  backward(ys: Float32Array, row: number, nb: number, w: Float32Array, g: Float32Array, weight = 1): void {
    const { dims, acts, bias, loss } = this.spec;
    const { z, a, d } = this;
    const L = this.L;
    const k = dims[L];
    const yo = this.uoff[L];
    const to = row * k;
    const code = acts[L - 1];
    const cce = loss === VALUE.CCE;
    if ((cce && code === ACT.SOFTMAX) || (loss === VALUE.BCE && code === ACT.SIGMOID)) {
      for (let j = 0; j < k; j++) {
        const e = fr(a[yo + j] - ys[to + j]);
        d[yo + j] = fr((cce ? e : fr(e / k)) / nb);
      }
    } else {
      rowGrad32(loss, a, yo, ys, to, k, nb, d, yo);
      if (code === ACT.SOFTMAX) {
        let s = 0;
        for (let j = 0; j < k; j++) s = fr(s + fr(d[yo + j] * a[yo + j]));
        for (let j = 0; j < k; j++) d[yo + j] = fr(a[yo + j] * fr(d[yo + j] - s));
      } else {
        for (let j = 0; j < k; j++) d[yo + j] = this.actBwd(code, z[yo + j], a[yo + j], d[yo + j]);
      }
    }
    if (weight !== 1) for (let j = 0; j < k; j++) d[yo + j] = fr(d[yo + j] * weight);
    for (let l = L; l >= 1; l--) {
      const cin = dims[l - 1];
      const cout = dims[l];
      const po = this.poff[l];
      const ui = this.uoff[l - 1];
      const uo = this.uoff[l];
      for (let i = 0; i < cin; i++) {
        for (let j = 0; j < cout; j++) g[po + i * cout + j] = fr(g[po + i * cout + j] + fr(a[ui + i] * d[uo + j]));
      }
      if (bias[l - 1]) for (let j = 0; j < cout; j++) g[po + cin * cout + j] = fr(g[po + cin * cout + j] + d[uo + j]);
      if (l > 1) {
        const codeIn = acts[l - 2];
        for (let i = 0; i < cin; i++) {
          let acc = 0;
          for (let j = 0; j < cout; j++) acc = fr(acc + fr(d[uo + j] * w[po + i * cout + j]));
          d[ui + i] = this.actBwd(codeIn, z[ui + i], a[ui + i], acc);
        }
      }
    }
  }

  train(xs: Float32Array, ys: Float32Array, w: Float32Array, state: Float32Array, logs: Float32Array, c: TrainChunk, sw: Float32Array | null = null): void {
    const P = this.P;
    const nm = this.spec.metrics.length;
    const stride = 1 + nm;
    const g = new Float32Array(P);
    let iter = c.iter0;
    const stop = c.stopBelow === null ? null : fr(c.stopBelow);
    const sums = new Float32Array(stride);
    const K = this.spec.dims[this.L];
    const yo = this.uoff[this.L];
    const outBase = 3 + c.nEpochs * stride;
    let done = 0;
    let reason = 0;
    let stopEpoch = 0;
    for (let t = 0; t < c.nEpochs; t++) {
      const e = c.epoch0 + t;
      const perm = c.shuffle ? shuffledRows(c.seed, e, c.n) : null;
      sums.fill(0);
      for (let b0 = 0; b0 < c.n; b0 += c.batch) {
        const nb = Math.min(c.batch, c.n - b0);
        g.fill(0);
        for (let s = 0; s < nb; s++) {
          const row = perm ? perm[b0 + s] : b0 + s;
          this.forward(xs, row, w);
          const rw = sw ? sw[row] : 1;
          this.accumulate(ys, row, sums, rw);
          if (c.keepOutputs) logs.set(this.a.subarray(yo, yo + K), outBase + row * K);
          this.backward(ys, row, nb, w, g, rw);
        }
        iter++;
        const alpha = c.opt.kind === OPT.ADAM ? adamAlpha(c.opt, iter) : 0;
        for (let p = 0; p < P; p++) w[p] = optUpdate32(c.opt, alpha, w[p], g[p], state, P, p);
      }
      const lossv = fr(sums[0] / c.n);
      logs[3 + t * stride] = lossv;
      for (let m = 0; m < nm; m++) logs[4 + t * stride + m] = fr(sums[1 + m] / c.n);
      done = t + 1;
      if (!Number.isFinite(lossv)) {
        reason = 2;
        stopEpoch = e;
        break;
      }
      if (!w.subarray(0, P).every(Number.isFinite)) {
        reason = 3;
        stopEpoch = e;
        break;
      }
      if (stop !== null && lossv < stop) {
        reason = 1;
        stopEpoch = e;
        break;
      }
    }
    logs[0] = done;
    logs[1] = reason;
    logs[2] = stopEpoch;
  }
}
