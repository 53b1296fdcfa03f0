/**
 * The project's one comparison helper for float32 results: ULP distance against a reference
 * that is rounded to float32 once (the reference itself is float64 or better).
 */
import { ulpDistance } from '../../src/ulp';

export { ulpDistance };

const MIN_NORMAL = 2 ** -126;

export interface UlpOptions {
  /** Accept 0 (or any subnormal) where |ref| < 2^-126: GPUs may flush subnormal results. Default true. */
  flushSubnormal?: boolean;
  /** The inputs, printed next to each failure. */
  inputs?: ArrayLike<number>;
  /** How many failures to print. Default 5. */
  show?: number;
}

export interface UlpReport {
  /** Largest ULP distance among the compared elements (Infinity for NaN vs number). */
  worst: number;
  worstIndex: number;
  failures: number;
}

/** ULP distance of got[i] from ref[i] rounded to float32, honouring subnormal flushing. */
export function ulpAt(got: number, ref: number, flushSubnormal = true): number {
  const r = Math.fround(ref);
  if (flushSubnormal && Math.abs(r) < MIN_NORMAL && Math.abs(got) < MIN_NORMAL && !Number.isNaN(got)) return 0;
  return ulpDistance(got, r);
}

/** Measures without throwing. */
export function ulpReport(got: ArrayLike<number>, ref: ArrayLike<number>, maxUlp: number, opts: UlpOptions = {}): UlpReport {
  let worst = 0;
  let worstIndex = -1;
  let failures = 0;
  for (let i = 0; i < ref.length; i++) {
    const u = ulpAt(got[i], ref[i], opts.flushSubnormal ?? true);
    if (u > maxUlp) failures++;
    if (u > worst || worstIndex < 0) { worst = u; worstIndex = i; }
  }
  return { worst, worstIndex, failures };
}

/**
 * Throws when any element is more than maxUlp from its reference; the message names the label,
 * the count, the first few (index, input, got, ref, ulps) and the worst index.
 */
export function expectUlp(label: string, got: ArrayLike<number>, ref: ArrayLike<number>, maxUlp: number, opts: UlpOptions = {}): UlpReport {
  if (got.length !== ref.length) throw new Error(`${label}: got ${got.length} values, reference has ${ref.length}`);
  const rep = ulpReport(got, ref, maxUlp, opts);
  if (rep.failures === 0) return rep;
  const flush = opts.flushSubnormal ?? true;
  const line = (i: number) => {
    const x = opts.inputs ? ` x=${opts.inputs[i]}` : '';
    return `  [${i}]${x} got=${got[i]} ref=${ref[i]} (${ulpAt(got[i], ref[i], flush)} ULP)`;
  };
  const shown: string[] = [];
  for (let i = 0; i < ref.length && shown.length < (opts.show ?? 5); i++) {
    if (ulpAt(got[i], ref[i], flush) > maxUlp) shown.push(line(i));
  }
  throw new Error(
    `${label}: ${rep.failures} of ${ref.length} values beyond ${maxUlp} ULP\n${shown.join('\n')}\n` +
      `  worst:\n${line(rep.worstIndex)}`,
  );
}
