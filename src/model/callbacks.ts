/**
 * Callbacks as Keras / TensorFlow.js users write them: an object or an array of objects with any
 * of onTrainBegin/End, onEpochBegin/End, onBatchBegin/End, and the built-ins earlyStopping,
 * reduceLROnPlateau and learningRateScheduler.
 */
import { NNError, checkKeys, describeValue } from '../errors';
import type { Logs } from './history';

type Hook<A extends unknown[]> = ((...args: A) => void | Promise<void>) | undefined;

export interface CallbackHooks {
  onTrainBegin?: Hook<[logs?: Logs]>;
  onTrainEnd?: Hook<[logs?: Logs]>;
  onEpochBegin?: Hook<[epoch: number, logs?: Logs]>;
  onEpochEnd?: Hook<[epoch: number, logs: Logs]>;
  onBatchBegin?: Hook<[batch: number, logs: Logs]>;
  onBatchEnd?: Hook<[batch: number, logs: Logs]>;
}

/** What a callback may do to the training run (Keras' `self.model`). */
export interface TrainingContext {
  stopTraining: boolean;
  learningRate: number;
  /** The weights as they are after the epoch being reported (Keras `get_weights()` at onEpochEnd). */
  captureWeights(): Promise<WeightsToken>;
  /** Makes the weights those of `token` when training ends. */
  restoreWeightsAtEnd(token: WeightsToken): void;
}
export interface WeightsToken {
  readonly epoch: number;
}

/** A callback with access to the run (the built-ins): `context` is set by fit. */
export abstract class Callback {
  context: TrainingContext | null = null;
  /** Whether the callback needs each epoch's logs before the next epoch starts (it changes the learning rate). */
  readonly synchronous: boolean = false;
}

const HOOKS = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd'] as const;

/** Validates `callbacks` (an object or an array): unknown keys and non-functions are errors. */
export function toCallbackList(op: string, v: unknown): CallbackHooks[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((c, i) => {
    const where = Array.isArray(v) ? `callbacks[${i}]` : 'callbacks';
    if (!c || typeof c !== 'object') throw new NNError(`${op}: ${where} must be an object with hooks like {onEpochEnd(epoch, logs) {...}}, got ${describeValue(c)}`);
    if (!(c instanceof Callback)) {
      for (const k of Object.keys(c)) {
        if (!(HOOKS as readonly string[]).includes(k)) throw new NNError(`${op}: ${where} has unknown key '${k}' (known: ${HOOKS.join(', ')})`);
      }
    }
    for (const k of HOOKS) {
      const f = (c as Record<string, unknown>)[k];
      if (f !== undefined && typeof f !== 'function') throw new NNError(`${op}: ${where}.${k} must be a function, got ${describeValue(f)}`);
    }
    return c as CallbackHooks;
  });
}

type Mode = 'auto' | 'min' | 'max';

function better(mode: Mode, monitor: string): (a: number, b: number) => boolean {
  const max = mode === 'max' || (mode === 'auto' && /acc|auc|precision|recall/.test(monitor));
  return max ? (a, b) => a > b : (a, b) => a < b;
}

function checkMode(op: string, mode: unknown): Mode {
  if (mode !== 'auto' && mode !== 'min' && mode !== 'max') throw new NNError(`${op}: mode must be 'auto', 'min' or 'max', got ${describeValue(mode)}`);
  return mode;
}

function checkNumber(op: string, name: string, v: unknown, ok: (x: number) => boolean, expected: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) throw new NNError(`${op}: ${name} must be ${expected}, got ${describeValue(v)}`);
  return v;
}

export interface EarlyStoppingArgs {
  /** Default 'val_loss'. */
  monitor?: string;
  minDelta?: number;
  patience?: number;
  mode?: Mode;
  baseline?: number;
  restoreBestWeights?: boolean;
  startFromEpoch?: number;
  verbose?: 0 | 1;
}

/** Keras 3 EarlyStopping: stops when `monitor` has not improved by more than minDelta for `patience` epochs. */
export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly baseline: number | null;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  private readonly better: (a: number, b: number) => boolean;
  private readonly verbose: boolean;
  wait = 0;
  best = NaN;
  bestEpoch = -1;
  stoppedEpoch = 0;
  private bestWeights: WeightsToken | null = null;

  constructor(args: EarlyStoppingArgs = {}) {
    super();
    const op = 'earlyStopping';
    checkKeys(op, args, ['monitor', 'minDelta', 'patience', 'mode', 'baseline', 'restoreBestWeights', 'startFromEpoch', 'verbose']);
    this.monitor = args.monitor ?? 'val_loss';
    if (typeof this.monitor !== 'string') throw new NNError(`${op}: monitor must be a log name like 'val_loss', got ${describeValue(this.monitor)}`);
    this.minDelta = Math.abs(checkNumber(op, 'minDelta', args.minDelta ?? 0, () => true, 'a number'));
    this.patience = checkNumber(op, 'patience', args.patience ?? 0, (x) => Number.isInteger(x) && x >= 0, 'an integer >= 0');
    this.baseline = args.baseline === undefined ? null : checkNumber(op, 'baseline', args.baseline, () => true, 'a number');
    this.restoreBestWeights = !!args.restoreBestWeights;
    this.startFromEpoch = checkNumber(op, 'startFromEpoch', args.startFromEpoch ?? 0, (x) => Number.isInteger(x) && x >= 0, 'an integer >= 0');
    this.better = better(checkMode(op, args.mode ?? 'auto'), this.monitor);
    this.verbose = !!args.verbose;
  }

  private improves(v: number, ref: number): boolean {
    if (Number.isNaN(ref)) return true;
    // Keras: monitor_op(current - min_delta, reference) with min_delta signed by the mode.
    return this.better(this.better(1, 0) ? v - this.minDelta : v + this.minDelta, ref);
  }

  onTrainBegin = (): void => {
    this.wait = 0;
    this.best = NaN;
    this.bestEpoch = -1;
    this.stoppedEpoch = 0;
    this.bestWeights = null;
  };

  onEpochEnd = async (epoch: number, logs: Logs): Promise<void> => {
    const current = logs[this.monitor];
    if (current === undefined) {
      throw new NNError(`earlyStopping: the logs have no '${this.monitor}' (they have ${Object.keys(logs).join(', ')}); pass validationData for val_ metrics`);
    }
    if (epoch < this.startFromEpoch) return;
    this.wait++;
    if (this.improves(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights && this.context) this.bestWeights = await this.context.captureWeights();
      if (this.baseline === null || this.improves(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      if (this.context) this.context.stopTraining = true;
    }
  };

  onTrainEnd = (): void => {
    if (this.verbose && this.stoppedEpoch > 0) console.log(`Epoch ${this.stoppedEpoch + 1}: early stopping`);
    if (this.restoreBestWeights && this.bestWeights && this.context) {
      if (this.verbose) console.log(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.`);
      this.context.restoreWeightsAtEnd(this.bestWeights);
    }
  };
}

export interface ReduceLROnPlateauArgs {
  monitor?: string;
  factor?: number;
  patience?: number;
  mode?: Mode;
  minDelta?: number;
  cooldown?: number;
  minLr?: number;
  verbose?: 0 | 1;
}

/** Keras 3 ReduceLROnPlateau: lr *= factor when `monitor` has not improved for `patience` epochs. */
export class ReduceLROnPlateau extends Callback {
  override readonly synchronous = true;
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  private readonly better: (a: number, b: number) => boolean;
  private readonly max: boolean;
  private readonly verbose: boolean;
  private wait = 0;
  private cooldownCounter = 0;
  private best = NaN;

  constructor(args: ReduceLROnPlateauArgs = {}) {
    super();
    const op = 'reduceLROnPlateau';
    checkKeys(op, args, ['monitor', 'factor', 'patience', 'mode', 'minDelta', 'cooldown', 'minLr', 'verbose']);
    this.monitor = args.monitor ?? 'val_loss';
    this.factor = checkNumber(op, 'factor', args.factor ?? 0.1, (x) => x >= 0 && x < 1, 'a number in [0, 1)');
    this.patience = checkNumber(op, 'patience', args.patience ?? 10, (x) => Number.isInteger(x) && x >= 0, 'an integer >= 0');
    this.minDelta = checkNumber(op, 'minDelta', args.minDelta ?? 1e-4, (x) => x >= 0, 'a number >= 0');
    this.cooldown = checkNumber(op, 'cooldown', args.cooldown ?? 0, (x) => Number.isInteger(x) && x >= 0, 'an integer >= 0');
    this.minLr = checkNumber(op, 'minLr', args.minLr ?? 0, (x) => x >= 0, 'a number >= 0');
    this.better = better(checkMode(op, args.mode ?? 'auto'), this.monitor);
    this.max = this.better(1, 0);
    this.verbose = !!args.verbose;
  }

  onTrainBegin = (): void => {
    this.wait = 0;
    this.cooldownCounter = 0;
    this.best = NaN;
  };

  onEpochEnd = (epoch: number, logs: Logs): void => {
    const current = logs[this.monitor];
    if (current === undefined) throw new NNError(`reduceLROnPlateau: the logs have no '${this.monitor}' (they have ${Object.keys(logs).join(', ')})`);
    const ctx = this.context!;
    logs.learning_rate = ctx.learningRate;
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.wait = 0;
    }
    const improved = Number.isNaN(this.best) || (this.max ? current > this.best + this.minDelta : current < this.best - this.minDelta);
    if (improved) {
      this.best = current;
      this.wait = 0;
    } else if (this.cooldownCounter <= 0) {
      this.wait++;
      if (this.wait >= this.patience && ctx.learningRate > this.minLr) {
        const lr = Math.max(ctx.learningRate * this.factor, this.minLr);
        if (this.verbose) console.log(`Epoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${lr}.`);
        ctx.learningRate = lr;
        this.cooldownCounter = this.cooldown;
        this.wait = 0;
      }
    }
  };
}

/** Keras LearningRateScheduler: lr = schedule(epoch, lr) before each epoch. */
export class LearningRateScheduler extends Callback {
  override readonly synchronous = true;
  constructor(readonly schedule: (epoch: number, lr: number) => number, private readonly verbose = false) {
    super();
    if (typeof schedule !== 'function') throw new NNError(`learningRateScheduler: expected a function (epoch, lr) => lr, got ${describeValue(schedule)}`);
  }
  onEpochBegin = (epoch: number): void => {
    const ctx = this.context!;
    const lr = this.schedule(epoch, ctx.learningRate);
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0) throw new NNError(`learningRateScheduler: the schedule returned ${describeValue(lr)} for epoch ${epoch}; expected a positive number`);
    if (this.verbose) console.log(`Epoch ${epoch + 1}: LearningRateScheduler setting learning rate to ${lr}.`);
    ctx.learningRate = lr;
  };
}

export const earlyStopping = (args?: EarlyStoppingArgs) => new EarlyStopping(args);
export const reduceLROnPlateau = (args?: ReduceLROnPlateauArgs) => new ReduceLROnPlateau(args);
export const learningRateScheduler = (schedule: (epoch: number, lr: number) => number, verbose = false) => new LearningRateScheduler(schedule, verbose);
