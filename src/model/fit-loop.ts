/**
 * The one training loop of `fit`, over an engine: the fused one-dispatch kernel for small networks
 * (train-small.ts) or the per-op engine (train-general.ts). The loop keeps chunks of epochs in
 * flight, hands each epoch's logs to History, `verbose` output and callbacks as they arrive,
 * applies the stop rules (stopWhenLossBelow, a callback's stopTraining, early stopping) and the
 * NaN guard, and rewinds the engine to the epoch where training stopped.
 */
import { NNError } from '../errors';
import { Callback, type CallbackHooks, type TrainingContext, type WeightsToken } from './callbacks';
import { History, type Logs } from './history';

/**
 * A chunk's epochs as an engine reports them, column by column (no object per epoch: a fit may
 * run a million): epoch t's [loss, ...metrics] at logs[base + t * stride], and its validation
 * [val_loss, ...] at val[valBase + t * valStride] (valStride 0: one set for every epoch).
 */
export interface ChunkResult {
  count: number;
  logs: Float32Array;
  base: number;
  stride: number;
  val: Float32Array | null;
  valBase: number;
  valStride: number;
  /** The epoch (absolute) where the engine itself stopped, and why. */
  stop: { epoch: number; reason: 'lossBelow' | 'lossNotFinite' | 'weightNotFinite' } | null;
}

/** What a chunk's result is until it arrives (a placeholder; the loop never reads it). */
export const NO_RESULT: ChunkResult = { count: 0, logs: new Float32Array(0), base: 0, stride: 1, val: null, valBase: 0, valStride: 0, stop: null };

export interface Chunk {
  readonly e0: number;
  readonly count: number;
  readonly result: Promise<ChunkResult>;
}

/** A state of the weights kept by an engine (for rewinds and restoreBestWeights). */
export interface Snapshot extends WeightsToken {
  dispose(): void;
}

export interface Engine {
  /** Chunks recorded ahead of the one being read. */
  readonly maxInFlight: number;
  /** Records `count` epochs from `e0` (absolute) at learning rate `lr`; snapshots if a rewind may follow. */
  record(e0: number, count: number, lr: number, snapshots: boolean, hooks: BatchHooks | null): Chunk;
  /** The weights (and optimizer state) after `epoch` of chunk `c`, as a snapshot the caller owns (cheap: it may be resolved only by `adopt`). */
  capture(c: Chunk, epoch: number): Promise<Snapshot>;
  /** Makes the live state that snapshot (weightsOnly: Keras restores no optimizer state). */
  adopt(s: Snapshot, weightsOnly: boolean): Promise<void>;
  /** Frees a chunk; `consumed` when its logs were reported (its outputs are then the latest). */
  release(c: Chunk, consumed: boolean): void;
  /** Keeps the trained state in the model (after `epochs` epochs of training); frees the rest. */
  commit(lastEpoch: number): Promise<void>;
  /** Frees everything; the model keeps the weights it had before fit. */
  dispose(): void;
}

/** Per-batch hooks (the per-op engine reads each batch's loss back for them). */
export interface BatchHooks {
  begin(batch: number, size: number): Promise<void>;
  end(batch: number, size: number, loss: number, metrics: number[]): Promise<void>;
}

export interface LoopOptions {
  epochs: number;
  initialEpoch: number;
  /** Epochs per chunk when nothing forces one at a time. */
  chunk: number;
  /** Resize chunks as results arrive so each holds about 50 ms of work (live progress). */
  adaptive: boolean;
  steps: number;
  learningRate: number;
  metricNames: string[];
  stopBelow: number | null;
  callbacks: CallbackHooks[];
  verbose: 0 | 1 | 2;
  /** The model's stopTraining flag (tfjs: `model.stopTraining = true` from a callback). */
  stopRequested(): boolean;
  setLearningRate(lr: number): void;
  log(line: string): void;
}

const fr = Math.fround;
/** Work per chunk aimed at, so logs reach callbacks and `verbose` at least every ~100 ms. */
const TARGET_MS = 50;

function entryOf(r: ChunkResult, t: number, names: string[]): Logs {
  const o = r.base + t * r.stride;
  const entry: Logs = { loss: r.logs[o] };
  for (let k = 0; k < names.length; k++) entry[names[k]] = r.logs[o + 1 + k];
  if (r.val) {
    const v = r.valBase + t * r.valStride;
    entry.val_loss = r.val[v];
    for (let k = 0; k < names.length; k++) entry[`val_${names[k]}`] = r.val[v + 1 + k];
  }
  return entry;
}

const fmt = (v: number) => (Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(4));
const line = (logs: Logs) => Object.entries(logs).map(([k, v]) => `${k}: ${fmt(v)}`).join(' - ');

export async function runLoop(engine: Engine, o: LoopOptions): Promise<History> {
  const history = new History();
  const cbs = o.callbacks;
  const call = async <K extends keyof CallbackHooks>(k: K, ...args: Parameters<NonNullable<CallbackHooks[K]>>) => {
    for (const c of cbs) {
      const f = c[k] as ((...a: unknown[]) => unknown) | undefined;
      if (f) await f.apply(c, args);
    }
  };
  const has = (k: keyof CallbackHooks) => cbs.some((c) => typeof c[k] === 'function');
  const batchHooks = has('onBatchBegin') || has('onBatchEnd');
  const epochEnd = has('onEpochEnd');
  // Hooks that must see an epoch before the next one starts: the run goes one epoch at a time.
  const sync = has('onEpochBegin') || batchHooks || cbs.some((c) => c instanceof Callback && c.synchronous);
  const mayStop = o.stopBelow !== null || has('onEpochEnd');

  let current: { chunk: Chunk; epoch: number } | null = null;
  const kept: Snapshot[] = [];
  let restoreAtEnd: Snapshot | null = null;
  const ctx: TrainingContext = {
    stopTraining: false,
    learningRate: o.learningRate,
    captureWeights: async () => {
      if (!current) throw new NNError('captureWeights: only from onEpochEnd');
      const s = await engine.capture(current.chunk, current.epoch);
      kept.push(s);
      return s;
    },
    restoreWeightsAtEnd: (t) => {
      restoreAtEnd = t as Snapshot;
    },
  };
  for (const c of cbs) if (c instanceof Callback) c.context = ctx;

  const hooks: BatchHooks | null = batchHooks
    ? {
        begin: (batch, size) => call('onBatchBegin', batch, { batch, size }),
        end: (batch, size, loss, metrics) => {
          const logs: Logs = { batch, size, loss };
          o.metricNames.forEach((m, k) => (logs[m] = metrics[k]));
          return call('onBatchEnd', batch, logs);
        },
      }
    : null;

  const queue: Chunk[] = [];
  let stopped: History['stopped'] = null;
  let failure: Error | null = null;
  let lastEpoch = o.initialEpoch - 1;
  let next = o.initialEpoch;
  // Adaptive runs start from the engine's estimate (about 50 ms of work on lavapipe) and follow
  // the measured throughput.
  let chunk = o.chunk;
  const t0 = Date.now();
  let tEpoch = t0;
  const tStart = performance.now();
  let epochsDone = 0;
  try {
    await call('onTrainBegin', {});
    let over = false;
    while (!over && (next < o.epochs || queue.length > 0)) {
      while (next < o.epochs && queue.length < (sync ? 1 : engine.maxInFlight)) {
        const count = sync ? 1 : Math.min(chunk, o.epochs - next);
        if (sync) await call('onEpochBegin', next, {});
        if (ctx.stopTraining || o.stopRequested()) break;
        o.setLearningRate(ctx.learningRate);
        queue.push(engine.record(next, count, ctx.learningRate, mayStop, hooks));
        next += count;
      }
      const c = queue.shift();
      if (!c) break;
      const r = await c.result;
      if (o.adaptive && !sync) {
        // Throughput over the whole run so far: results that arrive bunched together (polling,
        // a busy host) never make an epoch look free; the first chunk's compile only makes the
        // estimate err towards smaller chunks, i.e. more frequent logs.
        epochsDone += c.count;
        const perEpoch = Math.max(0.001, (performance.now() - tStart) / epochsDone);
        chunk = Math.max(1, Math.min(2 * chunk, Math.round(TARGET_MS / perEpoch)));
      }
      for (let t = 0; t < r.count; t++) {
        const epoch = c.e0 + t;
        const entry = entryOf(r, t, o.metricNames);
        if (r.stop && r.stop.epoch === epoch && r.stop.reason !== 'lossBelow') {
          const what = r.stop.reason === 'lossNotFinite' ? `the loss became ${entry.loss}` : `a weight became NaN or infinite (the loss was ${entry.loss})`;
          failure = new NNError(`fit: ${what} at epoch ${epoch}; training stopped and the weights were restored to those before fit()`);
          over = true;
          break;
        }
        current = { chunk: c, epoch };
        // (no await per epoch when nobody listens: a million epochs are a million microtasks)
        if (epochEnd) await call('onEpochEnd', epoch, entry);
        current = null;
        // After the callbacks, as Keras' History: what they add to the logs (learning_rate) is kept.
        history.record(epoch, entry);
        if (o.verbose) {
          const now = Date.now();
          const secs = ((now - tEpoch) / 1000).toFixed(0);
          tEpoch = now;
          o.log(`Epoch ${epoch + 1}/${o.epochs}`);
          o.log(o.verbose === 1 ? `${o.steps}/${o.steps} ${'━'.repeat(20)} ${secs}s - ${line(entry)}` : `${o.steps}/${o.steps} - ${secs}s - ${line(entry)}`);
        }
        lastEpoch = epoch;
        const below = r.stop?.reason === 'lossBelow' && r.stop.epoch === epoch;
        const belowHost = o.stopBelow !== null && entry.loss < fr(o.stopBelow);
        if (below || belowHost || ctx.stopTraining || o.stopRequested()) {
          stopped = { epoch, reason: below || belowHost ? 'stopWhenLossBelow' : 'callback' };
          // Later epochs may already have run: go back to this one.
          if (!below && epoch !== next - 1) {
            const s = await engine.capture(c, epoch);
            await engine.adopt(s, false);
            s.dispose();
          }
          over = true;
          break;
        }
      }
      engine.release(c, true);
    }
    for (const c of queue.splice(0)) {
      await c.result.catch(() => undefined);
      engine.release(c, false);
    }
    if (failure) throw failure;
    history.stopped = stopped;
    await call('onTrainEnd', history.epoch.length ? lastLogs(history) : undefined);
    const best: Snapshot | null = restoreAtEnd;
    if (best) await engine.adopt(best, true);
    await engine.commit(lastEpoch);
  } catch (e) {
    for (const c of queue.splice(0)) engine.release(c, false);
    engine.dispose();
    throw e;
  } finally {
    kept.forEach((s) => s.dispose());
    for (const c of cbs) if (c instanceof Callback) c.context = null;
  }
  return history;
}

export function lastLogs(h: History): Logs {
  const out: Logs = {};
  for (const [k, v] of Object.entries(h.history)) out[k] = v[v.length - 1];
  return out;
}
