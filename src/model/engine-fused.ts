/**
 * The fused engine of the training loop: chunks of epochs of a whole small network in one
 * dispatch each (train_small.wgsl via trainChunk). Weights train packed ([P], Keras order with
 * bias slots) with the optimizer state [slots * P]; a rewind replays from the snapshot taken
 * before the chunk, so stopping mid-chunk keeps exactly that epoch's weights.
 */
import type { Runtime } from '../runtime';
import type { Tensor } from '../tensor';
import { copyInto, copyOf, readAndFree } from './copies';
import { NO_RESULT, type BatchHooks, type Chunk, type ChunkResult, type Engine, type Snapshot } from './fit-loop';
import type { Optimizer } from './optimizers';
import { evaluateFused, specialise, trainChunk, type NetSpec, type TrainChunk } from './train-small';

export interface FusedSetup {
  rt: Runtime;
  spec: NetSpec;
  x: Tensor;
  y: Tensor;
  n: number;
  val: { x: Tensor; y: Tensor; rows: number } | null;
  /** Per-row sample weights [n] (class weights), or none. */
  sampleWeights: Tensor | null;
  /** Packed weights [P] and optimizer state [slots * P]: trained in place (copies of the model's). */
  w: Tensor;
  state: Tensor;
  optimizer: Optimizer;
  batch: number;
  seed: number;
  shuffle: boolean;
  stopBelow: number | null;
  keepOutputs: boolean;
  /** Compile the network's unrolled pipeline in the background after this fit (default true). */
  specialise?: boolean;
  /** Optimizer iterations before `firstEpoch`. */
  iterations: number;
  firstEpoch: number;
  /** Adopts the result: packed weights, state, iterations, last outputs (ownership passes). */
  commit(w: Tensor, state: Tensor, iterations: number, outputs: Float32Array | null): Promise<void>;
}

interface FusedChunk extends Chunk {
  result: Promise<ChunkResult>;
  lr: number;
  snap: { w: Tensor; state: Tensor } | null;
  /** Set when the result is in. */
  outputs: Float32Array | null;
}

interface FusedSnapshot extends Snapshot {
  /** The state before the chunk, its first epoch and learning rate: replayed up to `epoch` on adopt. */
  e0: number;
  lr: number;
  w0: Tensor;
  state0: Tensor;
}

const REASONS = [null, 'lossBelow', 'lossNotFinite', 'weightNotFinite'] as const;

export class FusedEngine implements Engine {
  readonly maxInFlight = 8;
  private readonly perm: Tensor;
  private readonly steps: number;
  private outputs: Float32Array | null = null;
  private readonly stride: number;

  constructor(private readonly s: FusedSetup) {
    this.perm = s.rt.zeros([s.n + 1]);
    this.steps = Math.ceil(s.n / s.batch);
    this.stride = 1 + s.spec.metrics.length;
  }

  private params(e0: number, count: number, lr: number, stopBelow: number | null): TrainChunk {
    const s = this.s;
    return {
      epoch0: e0, nEpochs: count, n: s.n, batch: s.batch, seed: s.seed, shuffle: s.shuffle,
      opt: s.optimizer.step(lr), slots: s.optimizer.slots.length, iter0: s.iterations + (e0 - s.firstEpoch) * this.steps,
      stopBelow, keepOutputs: s.keepOutputs, sampleWeights: s.sampleWeights,
    };
  }

  private outputsOf(logs: Float32Array, c: TrainChunk): Float32Array | null {
    if (!c.keepOutputs) return null;
    const at = 3 + c.nEpochs * this.stride;
    return logs.slice(at, at + c.n * this.s.spec.dims[this.s.spec.dims.length - 1]);
  }

  record(e0: number, count: number, lr: number, snapshots: boolean, _hooks: BatchHooks | null): FusedChunk {
    const { rt, spec } = this.s;
    const snap = snapshots ? { w: copyOf(rt, this.s.w), state: copyOf(rt, this.s.state) } : null;
    const p = this.params(e0, count, lr, this.s.stopBelow);
    const logsT = trainChunk(rt, spec, this.s.x, this.s.y, this.s.w, this.s.state, this.perm, p);
    const vt = this.s.val ? evaluateFused(rt, spec, this.s.val.x, this.s.val.y, this.s.w, this.s.val.rows) : null;
    // Its own submit, so this chunk's logs come back while later chunks run (live progress).
    rt.scheduler?.flush();
    const logs = readAndFree(logsT);
    const vals = vt ? readAndFree(vt) : null;
    const chunk: FusedChunk = { e0, count, lr, snap, outputs: null, result: Promise.resolve(NO_RESULT) };
    const result = (async (): Promise<ChunkResult> => {
      const l = await logs;
      chunk.outputs = this.outputsOf(l, p);
      const v = vals ? await vals : null;
      const reason = REASONS[l[1]] ?? null;
      return { count: l[0], logs: l, base: 3, stride: this.stride, val: v, valBase: 0, valStride: 0, stop: reason ? { epoch: l[2], reason } : null };
    })();
    chunk.result = result;
    // A chunk dropped after an earlier failure is never awaited: its rejection is expected.
    result.catch(() => undefined);
    return chunk;
  }

  /** Keeps copies of the chunk's starting state; the epochs up to `epoch` are replayed only if the snapshot is adopted. */
  async capture(c: Chunk, epoch: number): Promise<Snapshot> {
    const fc = c as FusedChunk;
    const { rt } = this.s;
    if (!fc.snap) throw new Error('fused engine: capture needs a chunk recorded with snapshots');
    const w0 = copyOf(rt, fc.snap.w);
    const state0 = copyOf(rt, fc.snap.state);
    const snap: FusedSnapshot = { epoch, e0: fc.e0, lr: fc.lr, w0, state0, dispose: () => (w0.dispose(), state0.dispose()) };
    return snap;
  }

  async adopt(snap: Snapshot, weightsOnly: boolean): Promise<void> {
    const f = snap as FusedSnapshot;
    const { rt, spec } = this.s;
    const w = copyOf(rt, f.w0);
    const state = copyOf(rt, f.state0);
    const perm = rt.zeros([this.s.n + 1]);
    const p = this.params(f.e0, f.epoch - f.e0 + 1, f.lr, null);
    const logsT = trainChunk(rt, spec, this.s.x, this.s.y, w, state, perm, p);
    copyInto(rt, w, this.s.w);
    if (!weightsOnly) copyInto(rt, state, this.s.state);
    [w, state, perm].forEach((t) => t.dispose());
    const logs = await logsT.read();
    logsT.dispose();
    if (!weightsOnly) this.outputs = this.outputsOf(logs, p);
  }

  release(c: Chunk, consumed: boolean): void {
    const fc = c as FusedChunk;
    fc.snap?.w.dispose();
    fc.snap?.state.dispose();
    fc.snap = null;
    if (consumed) this.outputs = fc.outputs;
  }

  async commit(lastEpoch: number): Promise<void> {
    this.perm.dispose();
    const sch = this.s.rt.scheduler;
    if (sch && this.s.specialise !== false) void specialise(sch, this.s.spec, 'train', { OPT_KIND: this.s.optimizer.step().kind });
    const iterations = this.s.iterations + (lastEpoch - this.s.firstEpoch + 1) * this.steps;
    await this.s.commit(this.s.w, this.s.state, iterations, this.outputs);
  }

  dispose(): void {
    this.perm.dispose();
    this.s.w.dispose();
    this.s.state.dispose();
  }
}

