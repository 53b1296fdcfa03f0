// Accurate float32 exp / log / log1p for the softmax and loss kernels (about 1 ULP on normal
// results; WGSL's built-in exp allows 3 + 2|x| ULP), and NaN / infinity tests by bit pattern
// (a compiler may assume no NaN, so `x != x` is not a safe test; lavapipe's max(NaN, 0) is 0).
// `one` arguments are 1.0 read from a uniform: opaque to the compiler, they keep error-free
// transformations (two-difference, compensated sums) from being simplified away.

const SM_INF_BITS: u32 = 0x7f800000u;
// infinity and NaN cannot be constants in WGSL: make them from private variables at run time
var<private> sm_inf_bits: u32 = 0x7f800000u;
var<private> sm_nan_bits: u32 = 0x7fc00000u;

fn sm_is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > SM_INF_BITS;
}

fn sm_is_finite(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) < SM_INF_BITS;
}

fn sm_any_nan4(v: vec4<f32>) -> bool {
  return any((bitcast<vec4<u32>>(v) & vec4<u32>(0x7fffffffu)) > vec4<u32>(SM_INF_BITS));
}

fn sm_inf() -> f32 {
  return bitcast<f32>(sm_inf_bits);
}

fn sm_nan() -> f32 {
  return bitcast<f32>(sm_nan_bits);
}

// max that returns NaN when either argument is NaN
fn sm_max_nan(a: f32, b: f32) -> f32 {
  if (sm_is_nan(a) || sm_is_nan(b)) {
    return sm_nan();
  }
  return max(a, b);
}

// (hi, lo) with hi + lo = a - b exactly (hi = the rounded difference); lo = 0 when hi is not finite
fn sm_two_diff(a: f32, b: f32, one: f32) -> vec2<f32> {
  let hi = a - b;
  let h = hi * one;
  let bb = h - a;
  let lo = (a - (h - bb)) - (b + bb);
  return vec2<f32>(hi, select(0.0, lo, sm_is_finite(hi)));
}

// 2^k for integer k in [-126, 127]
fn sm_pow2(k: i32) -> f32 {
  return bitcast<f32>(u32(k + 127) << 23u);
}

// exp(hi + lo), |lo| <= ulp(hi): Cody-Waite reduction by ln 2, then a degree-7 polynomial.
fn sm_exp2(hi: f32, lo: f32) -> f32 {
  if (sm_is_nan(hi)) {
    return hi;
  }
  if (hi > 88.72284) {
    return sm_inf();
  }
  if (hi < -103.972084) {
    return 0.0;
  }
  let k = round(hi * 1.442695041);
  let r = ((hi - k * 0.693145751953125) + lo) - k * 1.428606765330187e-6;
  let p = (((((1.9875691500e-4 * r + 1.3981999507e-3) * r + 8.3334519073e-3) * r
             + 4.1665795894e-2) * r + 1.6666665459e-1) * r + 5.0000001201e-1) * (r * r) + r + 1.0;
  // k as an integer from the bits of k + 1.5 * 2^23 (exact), not i32(k), and a shift, not / 2:
  // lavapipe converts and divides integer vectors slowly (lane by lane for the division)
  let ki = bitcast<i32>(k + 12582912.0) - 0x4B400000;
  let k1 = ki >> 1u;
  return p * sm_pow2(k1) * sm_pow2(ki - k1);
}

fn sm_exp(x: f32) -> f32 {
  return sm_exp2(x, 0.0);
}

// log1p(s) for s in [-0.5, 1]: 2 atanh(s / (2 + s)) as a series in f^2 <= 1/9
fn sm_log1p_core(s: f32) -> f32 {
  let f = s / (2.0 + s);
  let f2 = f * f;
  let q = f2 * (0.6666666667 + f2 * (0.4 + f2 * (0.2857142857 + f2 * (0.2222222222 + f2 * (0.1818181818
          + f2 * (0.1538461538 + f2 * (0.1333333333 + f2 * (0.1176470588 + f2 * 0.1052631579))))))));
  return 2.0 * f + f * q;
}

fn sm_log(x: f32) -> f32 {
  let b = bitcast<u32>(x);
  if (sm_is_nan(x) || (b > 0x80000000u)) {
    return sm_nan();
  }
  if ((b & 0x7fffffffu) == 0u) {
    return -sm_inf();
  }
  if (b == SM_INF_BITS) {
    return x;
  }
  var v = x;
  var e: i32 = 0;
  if (b < 0x00800000u) {
    v = x * 8388608.0;
    e = -23;
  }
  let vb = bitcast<u32>(v);
  e += i32(vb >> 23u) - 127;
  var m = bitcast<f32>((vb & 0x007fffffu) | 0x3f800000u);
  if (m > 1.4142135) {
    m = m * 0.5;
    e += 1;
  }
  let ef = f32(e);
  return ef * 0.693145751953125 + (ef * 1.428606765330187e-6 + sm_log1p_core(m - 1.0));
}

fn sm_log1p(s: f32) -> f32 {
  if (sm_is_nan(s)) {
    return s;
  }
  if (s >= -0.5 && s <= 1.0) {
    return sm_log1p_core(s);
  }
  return sm_log(1.0 + s);
}

// Neumaier compensated sum: acc = (sum, correction); read it with sm_sum_value
fn sm_sum_add(acc: vec2<f32>, v: f32, one: f32) -> vec2<f32> {
  let t = acc.x + v;
  let to = t * one;
  let e = select((v - to) + acc.x, (acc.x - to) + v, abs(acc.x) >= abs(v));
  return vec2<f32>(t, acc.y + e);
}

fn sm_sum_value(acc: vec2<f32>) -> f32 {
  return select(acc.x, acc.x + acc.y, sm_is_finite(acc.x) && sm_is_finite(acc.y));
}

// the same for four sums at once: acc[0] sums, acc[1] corrections
fn sm_sum_add4(acc: array<vec4<f32>, 2>, v: vec4<f32>, one: f32) -> array<vec4<f32>, 2> {
  let t = acc[0] + v;
  let to = t * one;
  let e = select((v - to) + acc[0], (acc[0] - to) + v, abs(acc[0]) >= abs(v));
  return array<vec4<f32>, 2>(t, acc[1] + e);
}

fn sm_sum_value4(acc: array<vec4<f32>, 2>) -> vec4<f32> {
  let fin = (bitcast<vec4<u32>>(acc[0] + acc[1]) & vec4<u32>(0x7fffffffu)) < vec4<u32>(SM_INF_BITS);
  return select(acc[0], acc[0] + acc[1], fin);
}

// ---- vec4 forms for the register-cached row kernels (the same formulas as above)

// (hi, lo) with hi + lo = a - b exactly, per component; lo = 0 where hi is not finite
fn sm_two_diff4(a: vec4<f32>, b: vec4<f32>, one: f32) -> array<vec4<f32>, 2> {
  let hi = a - b;
  let h = hi * one;
  let bb = h - a;
  let lo = (a - (h - bb)) - (b + bb);
  let fin = (bitcast<vec4<u32>>(hi) & vec4<u32>(0x7fffffffu)) < vec4<u32>(SM_INF_BITS);
  return array<vec4<f32>, 2>(hi, select(vec4<f32>(0.0), lo, fin));
}

// exp(hi + lo) for hi <= 0 or hi = -Infinity (x - max of a row; a NaN hi gives garbage: such a
// row is NaN anyway), without branches: sm_exp2's reduction and polynomial (its Horner steps as fma).
// k = round(hi / ln 2) comes from the bits of hi / ln 2 + 1.5 * 2^23 (float -> int conversions
// and integer division are slow on CPU adapters). Below -87.68, k would be under -126 and the
// result is a subnormal (< 2^-126.5): 0 (the kernels' contract lets subnormal results flush to 0).
fn sm_exp_neg4(hi: vec4<f32>, lo: vec4<f32>, one: f32) -> vec4<f32> {
  let under = hi < vec4<f32>(-87.68);
  let t = fma(hi, vec4<f32>(1.442695041), vec4<f32>(12582912.0)) * one;
  let k = t - 12582912.0;
  let r = ((hi - k * 0.693145751953125) + lo) - k * 1.428606765330187e-6;
  var q = fma(vec4<f32>(1.9875691500e-4), r, vec4<f32>(1.3981999507e-3));
  q = fma(q, r, vec4<f32>(8.3334519073e-3));
  q = fma(q, r, vec4<f32>(4.1665795894e-2));
  q = fma(q, r, vec4<f32>(1.6666665459e-1));
  q = fma(q, r, vec4<f32>(5.0000001201e-1));
  // not fma(q, r * r, r): that measured up to 2 ULP, this (as sm_exp2) 1 ULP
  let p = (q * (r * r) + r) + 1.0;
  // 2^k: k + 127 into the exponent field (t's low mantissa bits hold k + 2^22)
  let sc = bitcast<vec4<f32>>((bitcast<vec4<u32>>(t) + vec4<u32>(127u - 0x4B400000u)) << vec4<u32>(23u));
  return select(p * sc, vec4<f32>(0.0), under);
}

// error-free a + b = (s, e) (Knuth's two-sum: no branch, symmetric in a and b)
fn sm_two_sum(a: f32, b: f32, one: f32) -> vec2<f32> {
  let s = a + b;
  let so = s * one;
  let bb = so - a;
  let e = (a - (so - bb)) + (b - bb);
  return vec2<f32>(s, select(0.0, e, sm_is_finite(s)));
}
