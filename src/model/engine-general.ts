/**
 * The per-op engine of the training loop: any Dense network and batch size, through the runtime's
 * ops (train-general.ts: forward, loss gradient, backward) and one optimizer step per batch
 * (kernels/optimizer.ts). Nothing is read back but each epoch's loss and metric sums (and, for
 * batch hooks, each batch's); with snapshots, the weights, optimizer state and outputs are copied
 * on the GPU after every epoch, so a stop keeps exactly that epoch's state.
 */
import { optimizerStep } from '../kernels/optimizer';
import type { Runtime } from '../runtime';
import type { Tensor } from '../tensor';
import { copyInto, copyOf, readAndFree } from './copies';
import { NO_RESULT, type BatchHooks, type Chunk, type ChunkResult, type Engine, type Snapshot } from './fit-loop';
import { adamAlpha, OPT, type Optimizer, type OptStep } from './optimizers';
import { shuffledRows } from './random';
import { batchMetrics, flagNonFinite, putRows, scatterRows, type GeneralNet, type Rows } from './train-general';

const fr = Math.fround;

export interface GeneralSetup {
  net: GeneralNet;
  /** [kernel, bias] per layer and their optimizer states [slots * size]: trained in place (copies). */
  params: Tensor[];
  states: Tensor[];
  x: Rows;
  y: Rows;
  /** Per-row sample weights [n, 1] (class weights), or none. */
  sampleWeights: Rows | null;
  val: { x: Rows; y: Rows } | null;
  optimizer: Optimizer;
  batch: number;
  seed: number;
  shuffle: boolean;
  keepOutputs: boolean;
  iterations: number;
  firstEpoch: number;
  /** Epochs per chunk. */
  chunk: number;
  commit(params: Tensor[], states: Tensor[], iterations: number, outputs: Float32Array | null): Promise<void>;
}

interface GeneralChunk extends Chunk {
  result: Promise<ChunkResult>;
  /** Per epoch of the chunk: params, states, outputs after it. */
  snaps: (Tensor[] | null)[];
}

interface GeneralSnapshot extends Snapshot {
  tensors: Tensor[];
}

export class GeneralEngine implements Engine {
  readonly maxInFlight = 3;
  private readonly outputs: Tensor | null;
  private readonly trainable: number[] = [];
  private readonly steps: number;
  private readonly stride: number;

  constructor(private readonly s: GeneralSetup) {
    const { rt, spec } = s.net;
    this.outputs = s.keepOutputs ? rt.zeros([s.x.n, spec.dims[spec.dims.length - 1]]) : null;
    s.net.layers.forEach((l, i) => {
      this.trainable.push(2 * i);
      if (l.useBias) this.trainable.push(2 * i + 1);
    });
    this.steps = Math.ceil(s.x.n / s.batch);
    this.stride = 1 + spec.metrics.length;
  }

  private live(): Tensor[] {
    return [...this.s.params, ...this.s.states, ...(this.outputs ? [this.outputs] : [])];
  }

  /** One mini-batch, inside the caller's tidy; `o` is the chunk's optimizer step. */
  private step(xb: Tensor, yb: Tensor, swb: Tensor | null, start: number, permT: Tensor | null, logs: Tensor, slot: number, o: OptStep, iteration: number): null {
    const { net, params, states } = this.s;
    const { rt, spec, L } = net;
    const { a, z } = net.forward(params, xb, true);
    batchMetrics(rt, spec, a[L], yb, logs, slot, swb);
    if (this.outputs) {
      if (permT) scatterRows(rt, a[L], permT, start, this.outputs);
      else putRows(rt, a[L], this.outputs, start);
    }
    const grads = net.backward(params, a, z, yb, swb);
    const ids = this.trainable;
    optimizerStep(rt, ids.map((i) => params[i]), ids.map((i) => grads[i]), ids.map((i) => states[i]), o, o.kind === OPT.ADAM ? adamAlpha(o, iteration) : 0);
    return null;
  }

  private evaluateInto(logs: Tensor, slot: number): void {
    const { net, params, val } = this.s;
    const { rt, spec, L } = net;
    for (let b0 = 0; b0 < val!.x.n; b0 += 4096) {
      const nb = Math.min(4096, val!.x.n - b0);
      rt.tidy(() => {
        const { a } = net.forward(params, val!.x.batch(b0, nb, null, null), false);
        batchMetrics(rt, spec, a[L], val!.y.batch(b0, nb, null, null), logs, slot);
        return null;
      });
    }
  }

  record(e0: number, count: number, lr: number, snapshots: boolean, hooks: BatchHooks | null): GeneralChunk {
    const { rt } = this.s.net;
    const { x, y } = this.s;
    const n = x.n;
    const o = this.s.optimizer.step(lr);
    // per epoch: loss and metric sums, then (after them all) a flag per epoch: a weight not finite
    const logsT = rt.zeros([count * this.stride + count]);
    const vlogsT = this.s.val ? rt.zeros([count * this.stride]) : null;
    const chunk: GeneralChunk = { e0, count, snaps: [], result: Promise.resolve(NO_RESULT) };
    const run = async (): Promise<ChunkResult> => {
      for (let t = 0; t < count; t++) {
        const e = e0 + t;
        const perm = this.s.shuffle ? shuffledRows(this.s.seed, e, n) : null;
        const permT = perm && (x.tensor || this.outputs) ? rt.fromData(Float32Array.from(perm), [n], 'fit order') : null;
        let iteration = this.s.iterations + (e - this.s.firstEpoch) * this.steps;
        for (let b0 = 0, batch = 0; b0 < n; b0 += this.s.batch, batch++) {
          const nb = Math.min(this.s.batch, n - b0);
          if (hooks) await hooks.begin(batch, nb);
          iteration++;
          const sw = this.s.sampleWeights;
          rt.tidy(() => this.step(x.batch(b0, nb, perm, permT), y.batch(b0, nb, perm, permT), sw ? sw.batch(b0, nb, perm, permT) : null, b0, permT, logsT, t, o, iteration));
          if (hooks) {
            const sums = await logsT.read();
            const rows = b0 + nb;
            await hooks.end(batch, nb, fr(sums[t * this.stride] / rows), Array.from(sums.subarray(t * this.stride + 1, (t + 1) * this.stride), (v) => fr(v / rows)));
          }
        }
        permT?.dispose();
        for (const i of this.trainable) flagNonFinite(rt, this.s.params[i], logsT, count * this.stride + t);
        if (vlogsT) this.evaluateInto(vlogsT, t);
        chunk.snaps.push(snapshots ? this.live().map((p) => copyOf(rt, p)) : null);
      }
      rt.scheduler?.flush();
      const logs = await readAndFree(logsT);
      const vlogs = vlogsT ? await readAndFree(vlogsT) : null;
      // sums to means, in place (float32, as the fused kernel divides)
      for (let i = 0; i < count * this.stride; i++) logs[i] = fr(logs[i] / n);
      if (vlogs) for (let i = 0; i < count * this.stride; i++) vlogs[i] = fr(vlogs[i] / this.s.val!.x.n);
      const result = (upTo: number, stop: ChunkResult['stop']): ChunkResult => ({ count: upTo, logs, base: 0, stride: this.stride, val: vlogs, valBase: 0, valStride: this.stride, stop });
      for (let t = 0; t < count; t++) {
        if (!Number.isFinite(logs[t * this.stride])) return result(t + 1, { epoch: e0 + t, reason: 'lossNotFinite' });
        if (logs[count * this.stride + t] !== 0) return result(t + 1, { epoch: e0 + t, reason: 'weightNotFinite' });
      }
      return result(count, null);
    };
    chunk.result = run();
    // A chunk dropped after an earlier failure is never awaited: its rejection is expected.
    chunk.result.catch(() => undefined);
    return chunk;
  }

  async capture(c: Chunk, epoch: number): Promise<Snapshot> {
    const gc = c as GeneralChunk;
    const tensors = gc.snaps[epoch - gc.e0];
    if (!tensors) throw new Error('general engine: capture needs a chunk recorded with snapshots');
    gc.snaps[epoch - gc.e0] = null;
    const snap: GeneralSnapshot = { epoch, tensors, dispose: () => tensors.forEach((t) => t.dispose()) };
    return snap;
  }

  async adopt(snap: Snapshot, weightsOnly: boolean): Promise<void> {
    const { rt } = this.s.net;
    const live = this.live();
    const np = this.s.params.length;
    (snap as GeneralSnapshot).tensors.forEach((t, i) => {
      if (!weightsOnly || i < np) copyInto(rt, t, live[i]);
    });
  }

  release(c: Chunk, _consumed: boolean): void {
    const gc = c as GeneralChunk;
    gc.snaps.forEach((s) => s?.forEach((t) => t.dispose()));
    gc.snaps = [];
  }

  async commit(lastEpoch: number): Promise<void> {
    const outputs = this.outputs ? await this.outputs.read() : null;
    this.outputs?.dispose();
    const iterations = this.s.iterations + (lastEpoch - this.s.firstEpoch + 1) * this.steps;
    await this.s.commit(this.s.params, this.s.states, iterations, outputs);
  }

  dispose(): void {
    this.outputs?.dispose();
    this.s.params.forEach((t) => t.dispose());
    this.s.states.forEach((t) => t.dispose());
  }
}

