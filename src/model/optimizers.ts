/** SGD (Keras semantics): w -= lr * g, or with momentum v = m v - lr g; w += v. */
import { NNError } from '../errors';

export interface SGDConfig {
  learningRate?: number;
  momentum?: number;
}

export class SGD {
  readonly className = 'SGD';
  readonly learningRate: number;
  readonly momentum: number;
  constructor(config: SGDConfig = {}) {
    const lr = config.learningRate ?? 0.01;
    const m = config.momentum ?? 0;
    if (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0) throw new NNError(`sgd: learningRate must be a positive number, got ${String(lr)}`);
    if (typeof m !== 'number' || !Number.isFinite(m) || m < 0 || m >= 1) throw new NNError(`sgd: momentum must be in [0, 1), got ${String(m)}`);
    this.learningRate = lr;
    this.momentum = m;
  }
  toJSON(): { className: string; config: Required<SGDConfig> } {
    return { className: 'SGD', config: { learningRate: this.learningRate, momentum: this.momentum } };
  }
}

export function sgd(config: SGDConfig | number = {}): SGD {
  return new SGD(typeof config === 'number' ? { learningRate: config } : config);
}

export type OptimizerLike = 'sgd' | 'SGD' | SGD | { className: 'SGD'; config?: SGDConfig };

export function getOptimizer(op: string, v: unknown): SGD {
  if (v === undefined || v === 'sgd' || v === 'SGD') return new SGD();
  if (v instanceof SGD) return v;
  if (v && typeof v === 'object' && (v as { className?: string }).className === 'SGD') return new SGD((v as { config?: SGDConfig }).config);
  throw new NNError(`${op}: unknown optimizer ${typeof v === 'string' ? `'${v}'` : String(v)} (supported: 'sgd', 'SGD' or sgd({learningRate, momentum}))`);
}
