/** Distances between float32 values, for accuracy bounds and `verify: true`. */

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** Maps a float32 to an integer line where adjacent floats differ by 1 (-0 and +0 coincide). */
function ordinal(x: number): number {
  f32[0] = x;
  const bits = i32[0];
  return bits < 0 ? -(bits & 0x7fffffff) : bits;
}

/** ULP distance between two float32 values; NaN vs NaN is 0, NaN vs a number is Infinity. */
export function ulpDistance(a: number, b: number): number {
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  if (an || bn) return an && bn ? 0 : Infinity;
  return Math.abs(ordinal(a) - ordinal(b));
}

export type Tolerance =
  /** ULPs against the reference; results below the normal range may flush to zero. */
  | { ulp: number }
  /** |got - ref| <= atol + rtol * |ref| */
  | { rtol: number; atol: number };

const MIN_NORMAL = 2 ** -126;

/** Whether `got` is within `tol` of `ref` (NaN matches NaN; infinities must match exactly). */
export function withinTolerance(got: number, ref: number, tol: Tolerance): boolean {
  if (Number.isNaN(got) || Number.isNaN(ref)) return Number.isNaN(got) && Number.isNaN(ref);
  if (!Number.isFinite(got) || !Number.isFinite(ref)) return got === ref;
  if ('ulp' in tol) {
    if (Math.abs(ref) < MIN_NORMAL && Math.abs(got) < MIN_NORMAL) return true;
    return ulpDistance(got, ref) <= tol.ulp;
  }
  return Math.abs(got - ref) <= tol.atol + tol.rtol * Math.abs(ref);
}

export interface Mismatch {
  index: number;
  got: number;
  ref: number;
  ulp: number;
  count: number;
}

/** The first mismatch and how many there are, or null; `alt` is an equally acceptable reference. */
export function findMismatch(got: ArrayLike<number>, ref: ArrayLike<number>, tol: Tolerance, alt?: ArrayLike<number>): Mismatch | null {
  let first = -1;
  let count = 0;
  for (let i = 0; i < ref.length; i++) {
    if (!withinTolerance(got[i], ref[i], tol) && !(alt && withinTolerance(got[i], alt[i], tol))) {
      if (first < 0) first = i;
      count++;
    }
  }
  if (first < 0) return null;
  return { index: first, got: got[first], ref: ref[first], ulp: ulpDistance(got[first], ref[first]), count };
}
