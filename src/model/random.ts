/**
 * Seeded randomness: a counter-based hash (lowbias32, Wellons), so a seed gives the same
 * numbers everywhere (initial weights, shuffles). shaders/train_small.wgsl uses the same hash.
 */
import { invalid } from '../errors';

/** lowbias32: a well-mixed 32-bit integer hash. */
export function hash32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** The order of the rows in epoch `epoch` of a seeded shuffle (Fisher-Yates; same as the WGSL). */
export function shuffledRows(seed: number, epoch: number, n: number): Uint32Array {
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const base = hash32(hash32(seed) ^ epoch);
  for (let i = n - 1; i >= 1; i--) {
    const j = hash32(base ^ hash32(i)) % (i + 1);
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm;
}

/** A stream of random numbers: value k of seed s is hash(hash(s) + k). */
export class Random {
  private counter = 0;
  private readonly key: number;
  constructor(readonly seed: number) {
    this.key = hash32(seed >>> 0 ^ 0x9e3779b9);
  }
  /** Uniform in [0, 1), 24 bits. */
  uniform(): number {
    return (hash32((this.key + this.counter++) >>> 0) >>> 8) / 16777216;
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}

let globalSeed: number | null = null;
let globalCounter = 0;

/** Like `tf.random.set_seed`: initialisers without their own seed draw repeatable seeds from it. */
export function setSeed(seed: number): void {
  if (!Number.isInteger(seed)) invalid('setSeed', 'the seed', 'an integer', seed);
  globalSeed = seed >>> 0;
  globalCounter = 0;
}

/** A fresh seed: from the global seed when one was set, else random. */
export function nextSeed(): number {
  if (globalSeed === null) return (Math.random() * 2 ** 32) >>> 0;
  return hash32((globalSeed + 0x632be5ab * ++globalCounter) >>> 0);
}
