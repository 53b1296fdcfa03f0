/**
 * Float64 special functions for the CPU reference (JS has no Math.erf): the standard normal
 * CDF Phi and density phi, and erf / erfc from them. Relative error about 1e-15
 * (checked against mpmath in test/activations.test.ts).
 */

const INV_SQRT_2PI = 0.3989422804014327;

/** phi(x) = e^(-x^2/2) / sqrt(2 pi); x^2 is exact when x is a float32. */
export function normalPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/** sum x^(2n+1) / (2n+1)!!, all terms positive: Phi(x) = 1/2 + phi(x) times this. */
function oddSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let k = 3; Math.abs(term) > 1e-17 * Math.abs(sum); k += 2) {
    term *= x2 / k;
    sum += term;
  }
  return sum;
}

/** Mills ratio Q(u) / phi(u) = 1 / (u + 1 / (u + 2 / (u + 3 / ...))), u >= 1.2, evaluated backwards. */
function millsRatio(u: number): number {
  let t = u;
  for (let k = 500; k >= 1; k--) t = u + k / t;
  return 1 / t;
}

/** Phi(x), the standard normal CDF. Upper tail via the continued fraction (no cancellation). */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const u = Math.abs(x);
  if (u < 1.2) return 0.5 + normalPdf(x) * oddSeries(x);
  if (u > 40) return x > 0 ? 1 : 0;
  const q = normalPdf(u) * millsRatio(u);
  return x > 0 ? 1 - q : q;
}

/** erfc(x) = 2 Phi(-x sqrt 2). */
export function erfc(x: number): number {
  return 2 * normalCdf(-x * Math.SQRT2);
}

/** erf(x) = 2 Phi(x sqrt 2) - 1, by the series near 0 so small arguments keep their digits. */
export function erf(x: number): number {
  const t = x * Math.SQRT2;
  if (Math.abs(t) < 1.2) return 2 * normalPdf(t) * oddSeries(t);
  return 2 * normalCdf(t) - 1;
}
