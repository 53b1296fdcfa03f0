/** Weight initialisers (Keras names and defaults), seeded by src/model/random.ts. */
import { NNError } from '../errors';
import { Random, nextSeed } from './random';

export interface InitializerConfig {
  seed?: number;
  mean?: number;
  stddev?: number;
  minval?: number;
  maxval?: number;
  value?: number;
}

export type InitializerName = 'glorotUniform' | 'zeros' | 'ones' | 'randomNormal' | 'randomUniform' | 'constant';

export class Initializer {
  constructor(
    readonly name: InitializerName,
    readonly config: InitializerConfig = {},
  ) {}

  /** Values for a weight of `shape` ([fanIn, fanOut] for a kernel, [units] for a bias). */
  generate(shape: readonly number[]): Float32Array {
    const n = shape.reduce((p, d) => p * d, 1);
    const out = new Float32Array(n);
    const c = this.config;
    if (this.name === 'zeros') return out;
    if (this.name === 'ones' || this.name === 'constant') return out.fill(this.name === 'ones' ? 1 : (c.value ?? 0));
    const rng = new Random(c.seed ?? nextSeed());
    if (this.name === 'randomNormal') {
      const mean = c.mean ?? 0;
      const sd = c.stddev ?? 0.05;
      for (let i = 0; i < n; i++) out[i] = mean + sd * rng.normal();
      return out;
    }
    let lo = c.minval ?? -0.05;
    let hi = c.maxval ?? 0.05;
    if (this.name === 'glorotUniform') {
      const fanIn = shape.length >= 2 ? shape[0] : shape[0];
      const fanOut = shape.length >= 2 ? shape[1] : shape[0];
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      lo = -limit;
      hi = limit;
    }
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng.uniform();
    return out;
  }

  toJSON(): { name: string; config: InitializerConfig } {
    return { name: this.name, config: this.config };
  }
}

const NAMES: Record<string, InitializerName> = {
  glorotUniform: 'glorotUniform',
  glorot_uniform: 'glorotUniform',
  GlorotUniform: 'glorotUniform',
  zeros: 'zeros',
  Zeros: 'zeros',
  ones: 'ones',
  Ones: 'ones',
  randomNormal: 'randomNormal',
  random_normal: 'randomNormal',
  RandomNormal: 'randomNormal',
  randomUniform: 'randomUniform',
  random_uniform: 'randomUniform',
  RandomUniform: 'randomUniform',
  constant: 'constant',
  Constant: 'constant',
};

export type InitializerLike = string | Initializer | { name: string; config?: InitializerConfig };

export function getInitializer(op: string, v: InitializerLike | undefined, fallback: InitializerName): Initializer {
  if (v === undefined) return new Initializer(fallback);
  if (v instanceof Initializer) return v;
  const name = typeof v === 'string' ? v : v?.name;
  const canon = typeof name === 'string' ? NAMES[name] : undefined;
  if (!canon) throw new NNError(`${op}: unknown initializer ${JSON.stringify(name)} (known: ${Object.keys(NAMES).join(', ')})`);
  return new Initializer(canon, typeof v === 'string' ? {} : { ...(v.config ?? {}) });
}

export const initializers = {
  glorotUniform: (c: { seed?: number } = {}) => new Initializer('glorotUniform', c),
  zeros: () => new Initializer('zeros'),
  ones: () => new Initializer('ones'),
  constant: (c: { value: number }) => new Initializer('constant', c),
  randomNormal: (c: { mean?: number; stddev?: number; seed?: number } = {}) => new Initializer('randomNormal', c),
  randomUniform: (c: { minval?: number; maxval?: number; seed?: number } = {}) => new Initializer('randomUniform', c),
};
