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

export type InitializerName =
  | 'glorotUniform' | 'glorotNormal' | 'heUniform' | 'heNormal' | 'lecunUniform' | 'lecunNormal'
  | 'zeros' | 'ones' | 'randomNormal' | 'randomUniform' | 'truncatedNormal' | 'constant';

/**
 * Variance scaling (Keras): scale / fan, with fan = fanIn (he, lecun) or the mean of fanIn and
 * fanOut (glorot); uniform on +-sqrt(3 var), or a normal truncated at 2 standard deviations whose
 * stddev is divided by 0.8796... so that the truncated values keep the variance.
 */
const SCALING: Partial<Record<InitializerName, { scale: number; fan: 'in' | 'avg'; normal: boolean }>> = {
  glorotUniform: { scale: 1, fan: 'avg', normal: false },
  glorotNormal: { scale: 1, fan: 'avg', normal: true },
  heUniform: { scale: 2, fan: 'in', normal: false },
  heNormal: { scale: 2, fan: 'in', normal: true },
  lecunUniform: { scale: 1, fan: 'in', normal: false },
  lecunNormal: { scale: 1, fan: 'in', normal: true },
};
const TRUNCATED_STDDEV = 0.8796256610342398;

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
    const truncated = () => {
      let z: number;
      do z = rng.normal();
      while (Math.abs(z) > 2);
      return z;
    };
    if (this.name === 'randomNormal' || this.name === 'truncatedNormal') {
      const mean = c.mean ?? 0;
      const sd = c.stddev ?? 0.05;
      const draw = this.name === 'randomNormal' ? () => rng.normal() : truncated;
      for (let i = 0; i < n; i++) out[i] = mean + sd * draw();
      return out;
    }
    let lo = c.minval ?? -0.05;
    let hi = c.maxval ?? 0.05;
    const scaling = SCALING[this.name];
    if (scaling) {
      const fanIn = shape[0];
      const fanOut = shape.length >= 2 ? shape[1] : shape[0];
      const variance = scaling.scale / Math.max(1, scaling.fan === 'in' ? fanIn : (fanIn + fanOut) / 2);
      if (scaling.normal) {
        const sd = Math.sqrt(variance) / TRUNCATED_STDDEV;
        for (let i = 0; i < n; i++) out[i] = sd * truncated();
        return out;
      }
      // sqrt(3 var), written so that glorotUniform keeps its historical sqrt(6 / (fanIn + fanOut))
      hi = scaling.fan === 'avg' ? Math.sqrt((6 * scaling.scale) / Math.max(1, fanIn + fanOut)) : Math.sqrt(3 * variance);
      lo = -hi;
    }
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * rng.uniform();
    return out;
  }

  toJSON(): { name: string; config: InitializerConfig } {
    return { name: this.name, config: this.config };
  }
}

const CANONICAL: InitializerName[] = [
  'glorotUniform', 'glorotNormal', 'heUniform', 'heNormal', 'lecunUniform', 'lecunNormal',
  'zeros', 'ones', 'randomNormal', 'randomUniform', 'truncatedNormal', 'constant',
];
/** camelCase, snake_case and PascalCase (Keras classes) spellings. */
const NAMES: Record<string, InitializerName> = Object.fromEntries(
  CANONICAL.flatMap((n) => [
    [n, n],
    [n.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), n],
    [n[0].toUpperCase() + n.slice(1), n],
  ]),
);

export type InitializerLike = string | Initializer | { name: string; config?: InitializerConfig };

export function getInitializer(op: string, v: InitializerLike | undefined, fallback: InitializerName): Initializer {
  if (v === undefined) return new Initializer(fallback);
  if (v instanceof Initializer) return v;
  const name = typeof v === 'string' ? v : v?.name;
  const canon = typeof name === 'string' && Object.hasOwn(NAMES, name) ? NAMES[name] : undefined;
  if (!canon) throw new NNError(`${op}: unknown initializer ${JSON.stringify(name)} (known: ${Object.keys(NAMES).join(', ')})`);
  return new Initializer(canon, typeof v === 'string' ? {} : { ...(v.config ?? {}) });
}

export const initializers = {
  glorotUniform: (c: { seed?: number } = {}) => new Initializer('glorotUniform', c),
  glorotNormal: (c: { seed?: number } = {}) => new Initializer('glorotNormal', c),
  heUniform: (c: { seed?: number } = {}) => new Initializer('heUniform', c),
  heNormal: (c: { seed?: number } = {}) => new Initializer('heNormal', c),
  lecunUniform: (c: { seed?: number } = {}) => new Initializer('lecunUniform', c),
  lecunNormal: (c: { seed?: number } = {}) => new Initializer('lecunNormal', c),
  truncatedNormal: (c: { mean?: number; stddev?: number; seed?: number } = {}) => new Initializer('truncatedNormal', c),
  zeros: () => new Initializer('zeros'),
  ones: () => new Initializer('ones'),
  constant: (c: { value: number }) => new Initializer('constant', c),
  randomNormal: (c: { mean?: number; stddev?: number; seed?: number } = {}) => new Initializer('randomNormal', c),
  randomUniform: (c: { minval?: number; maxval?: number; seed?: number } = {}) => new Initializer('randomUniform', c),
};
