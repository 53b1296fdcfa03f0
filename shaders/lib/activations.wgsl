// Every activation and its derivative, selected by the override ACTIVATION (ids in
// src/activations/table.ts); p packs the parameters (table.ts `pack`). act_backward returns
// dy * f'(x). NaN in x or dy gives NaN; kinks take the documented one-sided derivative.
// Requires: lib/math.wgsl, lib/ids.wgsl, lib/custom_activation.wgsl.

override ACTIVATION: u32 = 0u;

const TWO_POW_M24: f32 = 5.9604644775390625e-08;  // results built from e * 2^24 stay normal

// a * x + b with a * x = p + pe split exactly (Dekker's product on 12-bit halves): where
// p + b cancels it is exact, so the result keeps full relative accuracy next to the zero crossing.
fn act_mul_add(a: f32, x: f32, b: f32) -> f32 {
  // one rounding in these cases, signed zeros as IEEE gives them (the parameters are uniform:
  // no divergence); the default linear (a = 1, b = 0) is both
  if (b == 0.0) { return a * x + b; }
  if (a == 1.0) { return x + b; }
  let p = a * x;
  if (!m_is_finite(p)) { return p + b; }
  let ah = m_hi12(a);
  let al = a - ah;
  let xh = m_hi12(x);
  let xl = x - xh;
  let pe = (((ah * xh - m_opaque(p)) + ah * xl) + al * xh) + al * xl;
  return m_opaque(p + b) + pe;
}

// v * 2^-24, after the fact: without m_opaque drivers move the constant into the product
// ((a b) c -> (a c) b), where a * 2^-24 can be subnormal and lose digits.
fn act_unscale(v: f32) -> f32 { return m_opaque(v) * TWO_POW_M24; }

// alpha * e^x for x <= 0, kept accurate when e^x alone would be subnormal.
fn act_scaled_exp(alpha: f32, x: f32) -> f32 {
  return act_unscale(alpha * m_fexp(x, 0.0, 24));
}

// ---- one exponential each, no branches (SIMD drivers run every side of a divergent branch) ----
// 1 / (1 + e^-x) from e = e^-|x| <= 1: nothing overflows or cancels; one division.
fn act_sigmoid(x: f32) -> f32 {
  let e = m_fexp(-abs(x), 0.0, 0);
  return select(e, 1.0, x >= 0.0) / (1.0 + e);
}
// tanh |x| = -m / (2 + m), m = e^(-2|x|) - 1 (accurate down to 0, so no separate small-x path).
fn act_tanh(x: f32) -> f32 {
  let m = m_fexpm1_neg(-2.0 * min(abs(x), 10.0));
  return m_copysign(-m / (2.0 + m), x);
}
// dy tanh'(x) = dy 4 e / (1 + e)^2, e = e^-2|x| carried at 2^24 scale (4 e stays normal).
fn act_tanh_back(x: f32, dy: f32) -> f32 {
  let e24 = m_fexp_hl(-2.0 * abs(x), 24);
  let g = 4.0 * m_div_sq_one_plus2(e24, e24 * TWO_POW_M24);
  return select(dy * (g * TWO_POW_M24), act_unscale(dy * g), e24.x < 1.0);
}
// log(1 + e^x) = max(x, 0) + log(1 + e), e = e^-|x|: 1 + e = u + err exactly, u = 2^k m with
// m in [0.707, 1.414], log(1 + e) = k ln2 + log1p(m - 1) + err / u.
fn act_softplus(x: f32) -> f32 {
  let e = m_fexp(-abs(x), 0.0, 0);
  let u = m_opaque(1.0 + e);
  let t = u - 1.0;
  let err = e - t;
  let big = u > 1.4142135;
  let m = select(u, 0.5 * u, big);
  let k = select(0.0, 1.0, big);
  // err / u: 1 / u to ~6% (1 - t + t^2/2) is enough for a term below 2^-24 of the result
  // (and exact where it is all of it, u = 1).
  let c = err * fma(t, fma(t, 0.5, -1.0), 1.0);
  return max(x, 0.0) + (k * M_LN2_HI + (m_log1p_core(m - 1.0) + (c + k * M_LN2_LO)));
}

// ---- gelu, exact (erf) form: x Phi(x) ----
fn act_gelu(x: f32) -> f32 {
  let u = min(abs(x), 15.0);
  let neg = x < 0.0;
  let r = m_phi_r(u);
  let e = m_fexp_neg_half_sq(u, select(0, 24, neg));   // Phi(-u) = e r (e at 2^24 scale for x < 0)
  let tail = select(x * (1.0 - e * r), act_unscale((max(x, -16.0) * r) * e), neg);
  return select(tail, x * fma(x, m_poly_phi_c(x * x), 0.5), abs(x) <= 0.675);
}
// gelu'(x) = Phi(x) + x phi(x) = 1 - E(x) G(x) for x > 0, E(u) G(u) at x = -u; G = (u - u0) H.
fn act_gelu_grad(x: f32) -> vec2<f32> {
  if (x >= -0.35 && x <= 0.675) { return vec2<f32>(0.0, fma(x, m_poly_gelu_k(x * x), 0.5)); }
  // Around the root x0 = -u0: gelu'(x) / (x - x0) fitted on x in [-1.6, -0.35].
  let dr = m_opaque(x + M_GELU_U0_HI) + M_GELU_U0_LO;
  if (dr >= -0.85 && dr <= 0.402) { return vec2<f32>(0.0, dr * m_poly_gelu_droot(dr + 0.25)); }
  let u = min(abs(x), 15.0);
  let pos = x > 0.0;
  let eg = m_fexp_neg_half_sq(u, select(24, 0, pos)) * m_gelu_g(u);
  return select(vec2<f32>(0.0, act_unscale(eg)), vec2<f32>(1.0, -eg), pos);
}

// ---- gelu, tanh form: 0.5 x (1 + tanh(w / 2)) = x sigmoid(w), w = 2 sqrt(2/pi) (x + 0.044715 x^3) ----
// w reaches -90 before the result underflows, so it is carried as hi + lo (about 2^-36 relative):
// a plain float32 w would cost up to |w| ULP.
const GT_A1: f32 = 1.5957691669464111;     // 2 sqrt(2/pi) = GT_A1 + GT_A2
const GT_A2: f32 = -4.534068054340423e-08;
const GT_BH: f32 = 0.07135009765625;       // 2 sqrt(2/pi) 0.044715 = GT_BH (12 bits) + GT_BL
const GT_BL: f32 = 4.718616310128709e-06;
const GT_B: f32 = 0.07135481387376785;
const GT_3BH: f32 = 0.21405029296875;      // 3 GT_B = GT_3BH (12 bits) + GT_3BL
const GT_3BL: f32 = 1.4155849385133479e-05;
const GT_3B: f32 = 0.21406444907188416;
// x (A + b x^2) as hi + lo, b = bh + bl (bh with 12 bits): w for b = B, x w' for b = 3B.
fn act_gelu_tanh_poly(x: f32, bh: f32, bl: f32, b: f32) -> vec2<f32> {
  let xh = m_hi12(x);
  let xl = x - xh;
  let sh = xh * xh;                                    // x^2 = sh + sl, sh exact
  let sl = (2.0 * xh + xl) * xl;
  let shh = m_hi12(sh);
  let k = m_two_sum(GT_A1, bh * shh);                  // A + b x^2 = k.x + klo
  let klo = k.y + (GT_A2 + ((bh * (sh - shh) + bl * sh) + b * sl));
  let kh = m_hi12(k.x);
  let kl = k.x - kh;
  return vec2<f32>(xh * kh, ((xh * kl + xl * kh) + xl * kl) + x * klo);
}
fn act_gelu_tanh_w(x: f32) -> vec2<f32> { return act_gelu_tanh_poly(x, GT_BH, GT_BL, GT_B); }
// e^-|w| * 2^24 from w = hi + lo.
fn act_gelu_tanh_e24(w: vec2<f32>) -> f32 {
  let s = select(1.0, -1.0, w.x >= 0.0);
  return m_fexp(s * w.x, s * w.y, 24);
}
fn act_gelu_tanh(x: f32) -> f32 {
  let xc = clamp(x, -30.0, 30.0);
  let w = act_gelu_tanh_w(xc);
  let e24 = act_gelu_tanh_e24(w);
  let d = 1.0 + e24 * TWO_POW_M24;
  let pos = w.x >= 0.0;
  let q = select(xc * e24, x, pos) / d;
  return select(act_unscale(q), q, pos);
}
fn act_gelu_tanh_grad(x: f32) -> vec2<f32> {
  // gelu_tanh'(x) - 1/2 is odd: K(x^2) fitted on [0, 0.675].
  if (x >= -0.353 && x <= 0.675) { return vec2<f32>(0.0, fma(x, m_poly_gelut_k(x * x), 0.5)); }
  let dr = m_opaque(x - M_GELUT_X0_HI) - M_GELUT_X0_LO;
  if (dr >= -0.75 && dr <= 0.4) { return vec2<f32>(0.0, dr * m_poly_gelut_droot(dr + 0.1875)); }   // x in [-1.5, -0.35]
  let xc = clamp(x, -30.0, 30.0);
  let w = act_gelu_tanh_w(xc);
  let xdw2 = act_gelu_tanh_poly(xc, GT_3BH, GT_3BL, GT_3B);   // x w'
  let dw = GT_A1 + fma(GT_3B, xc * xc, GT_A2);
  let e24 = act_gelu_tanh_e24(w);
  let e = e24 * TWO_POW_M24;
  let d = 1.0 + e;
  // sigmoid(w) + x sigmoid(w) sigmoid(-w) w' = ((1 + e) + x w' e) / (1 + e)^2, e = e^-w (w >= 0);
  // past x w' = 2 it exceeds 1 and is returned as 1 + e (x w' - 1 - e) / (1 + e)^2.
  let xdw = xc * dw;
  if (w.x >= 0.0) {
    if (xdw >= 2.0) { return vec2<f32>(1.0, m_div_sq_one_plus(e * ((xdw - 1.0) - e), e)); }
    return vec2<f32>(0.0, m_div_sq_one_plus(fma(xdw, e, d) + m_one_plus_lo(e), e));
  }
  // x in [-6, -1.5]: e^w Q(x), Q = f' e^-w fitted in six pieces of width 0.75 (the sum below
  // keeps only ~3 ULP there).
  if (x >= -6.0) {
    var q: f32;
    if (x >= -2.25) { q = m_poly_gelut_q0(x + 1.875); }
    else if (x >= -3.0) { q = m_poly_gelut_q1(x + 2.625); }
    else if (x >= -3.75) { q = m_poly_gelut_q2(x + 3.375); }
    else if (x >= -4.5) { q = m_poly_gelut_q3(x + 4.125); }
    else if (x >= -5.25) { q = m_poly_gelut_q4(x + 4.875); }
    else { q = m_poly_gelut_q5(x + 5.625); }
    return vec2<f32>(0.0, act_unscale(e24 * q));
  }
  let s = (d + xdw2.x) + (xdw2.y + m_one_plus_lo(e));
  if (e < 1e-20) { return vec2<f32>(0.0, act_unscale(e24 * s)); }
  return vec2<f32>(0.0, m_e_over_sq(vec2<f32>(e, 0.0)) * s);
}

// ---- silu: x sigmoid(x) ----
fn act_silu(x: f32) -> f32 {
  let xc = max(x, -200.0);
  let e24 = m_fexp(-abs(xc), 0.0, 24);
  let d = 1.0 + e24 * TWO_POW_M24;
  let pos = x >= 0.0;
  let q = select(xc * e24, x, pos) / d;
  return select(act_unscale(q), q, pos);
}
// silu'(x) = sigmoid(x) (1 + x sigmoid(-x)); root at x0 = -1.27846 divided out.
fn act_silu_grad(x: f32) -> vec2<f32> {
  let dr = m_opaque(x - M_SILU_X0_HI) - M_SILU_X0_LO;
  if (dr >= -0.92 && dr <= 0.42) { return vec2<f32>(0.0, dr * m_poly_silu_droot(dr + 0.25)); }  // x in [-2.2, -0.86]
  if (x <= 0.0 && x > -0.87) { return vec2<f32>(0.0, m_poly_silu_dmid(x + 0.4375)); }            // fitted on [-0.87, 0]
  let xc = clamp(x, -200.0, 200.0);
  let e24 = m_fexp(-abs(xc), 0.0, 24);
  let e = e24 * TWO_POW_M24;
  let d = 1.0 + e;
  // x >= 1.5: 1 + e (x - 1 - e) / (1 + e)^2 (above 1, where the sum's ULP would be coarse).
  if (x >= 1.5) { return vec2<f32>(1.0, m_div_sq_one_plus(e * ((xc - 1.0) - e), e)); }
  if (x >= 0.0) { return vec2<f32>(0.0, m_div_sq_one_plus(fma(xc, e, d) + m_one_plus_lo(e), e)); }
  // x < -0.86 away from the root: e^x Q(x), Q = (1 + x + e) / (1 + e)^2, fitted in four
  // pieces on [-10, -2.2]; below -10 (e < 4.6e-5) Q = (1 + x) + e (-1 - 2x) to float32 accuracy.
  var q: f32;
  if (x >= -3.5) { q = m_poly_silu_q0(x + 2.875); }
  else if (x >= -6.0) { q = m_poly_silu_q1(x + 4.75); }
  else if (x >= -8.0) { q = m_poly_silu_q2(x + 7.0); }
  else if (x >= -10.0) { q = m_poly_silu_q3(x + 9.0); }
  else { q = fma(e, -1.0 - 2.0 * xc, 1.0 + xc); }
  return vec2<f32>(0.0, act_unscale(e24 * q));
}

// ---- mish: x tanh(softplus(x)) = x n / (n + 2), n = e^x (e^x + 2) ----
fn act_mish(x: f32) -> f32 {
  // e = e^-|x|: x > 0: tanh(softplus(x)) = (1 + 2e) / (1 + 2e + 2e^2); x <= 0: e h(e),
  // h(e) = (e + 2) / (e^2 + 2e + 2) fitted on [0, 1] (e at 2^24 scale there).
  let xc = max(x, -200.0);
  let e24 = m_fexp(-abs(xc), 0.0, 24);
  let e = e24 * TWO_POW_M24;
  let pos = x > 0.0;
  let neg = act_unscale((xc * e24) * m_poly_mish_h(e - 0.5));
  return select(neg, x * (fma(2.0, e, 1.0) / fma(2.0 * e, 1.0 + e, 1.0)), pos);
}
// mish'(x) = e S / (n + 2)^2, S = 4 (1 + x) + e (n + 2 e + 6 + 4 x), e = e^x (x <= 0);
// with e = e^-x for x > 0: (1 + 2e) / D + 4 x e^2 (1 + e) / D^2, D = 1 + 2e + 2e^2.
fn act_mish_grad(x: f32) -> vec2<f32> {
  let dr = m_opaque(x - M_MISH_X0_HI) - M_MISH_X0_LO;
  if (dr >= -1.0 && dr <= 0.5) { return vec2<f32>(0.0, dr * m_poly_mish_droot(dr + 0.25)); }   // x in [-2.19, -0.69]
  if (x > 0.0) {
    let xc = min(x, 200.0);
    let e = m_fexp(-xc, 0.0, 0);
    let dd = fma(2.0 * e, 1.0 + e, 1.0);
    // x >= 1: 1 + 2 e^2 (2x (1 + e) - D) / D^2, the same value written as 1 + small.
    if (x >= 1.0) { return vec2<f32>(1.0, (2.0 * e * e) * (fma(2.0 * xc, 1.0 + e, -dd) / (dd * dd))); }
    return vec2<f32>(0.0, m_poly_mish_dpos(x - 0.5));                       // fitted on [0, 1]
  }
  if (x > -0.70) { return vec2<f32>(0.0, m_poly_mish_dmid(x + 0.35)); }   // fitted on [-0.70, 0]
  // x < -2.19: e^x Q(x), Q = S / (n + 2)^2 fitted in four pieces on [-10, -2.19]; below -10
  // (e < 4.6e-5) Q = (1 + x) + e (-1/2 - x) to float32 accuracy.
  let xc = max(x, -200.0);
  let e24 = m_fexp(xc, 0.0, 24);
  let e = e24 * TWO_POW_M24;
  var q: f32;
  if (x >= -4.0) { q = m_poly_mish_q0(x + 3.09375); }
  else if (x >= -5.25) { q = m_poly_mish_q1(x + 4.625); }
  else if (x >= -6.5) { q = m_poly_mish_q2(x + 5.875); }
  else if (x >= -10.0) { q = m_poly_mish_q3(x + 8.25); }
  else { q = fma(e, -0.5 - xc, 1.0 + xc); }
  return vec2<f32>(0.0, act_unscale(e24 * q));
}

// dy * (g.x + g.y) for a derivative returned as (1, small) or (0, value): dy + dy * small
// rounds once in the result's binade instead of in the coarser one just above 1.
fn act_times(dy: f32, g: vec2<f32>) -> f32 {
  return select(dy * g.y, fma(dy, g.y, dy), g.x != 0.0);
}

// NaN in x (or dy) gives NaN: tested once per element by bit pattern and applied with a select
// after the fact, so the body below runs branch-free (its value for a NaN input is discarded).
fn act_forward(x: f32, p: vec4<f32>) -> f32 {
  return select(act_forward_any(x, p), x, m_is_nan(x));
}
fn act_backward(x: f32, dy: f32, p: vec4<f32>) -> f32 {
  return select(act_backward_any(x, dy, p), m_nan(x), m_is_nan(x) || m_is_nan(dy));
}

fn act_forward_any(x: f32, p: vec4<f32>) -> f32 {
  switch ACTIVATION {
    case ACT_IDENTITY: { return x; }
    case ACT_LINEAR: { return act_mul_add(p.x, x, p.y); }
    case ACT_STEP: { return select(select(0.0, -1.0, p.x != 0.0), 1.0, x >= 0.0); }
    case ACT_SIGMOID: { return act_sigmoid(x); }
    case ACT_TANH: { return act_tanh(x); }
    case ACT_RELU: { return select(0.0, x, x > 0.0); }
    case ACT_LEAKY_RELU: { return select(p.x * x, x, x > 0.0); }
    case ACT_RELU6: { return min(max(x, 0.0), 6.0); }
    case ACT_ELU: { return select(p.x * m_fexpm1_neg(clamp(x, -40.0, 0.0)), x, x > 0.0); }
    case ACT_SELU: { return select(p.z * m_fexpm1_neg(clamp(x, -40.0, 0.0)), p.y * x, x > 0.0); }
    case ACT_CELU: { return select(p.x * m_fexpm1(x / p.x), x, x > 0.0); }
    case ACT_SOFTPLUS: { return act_softplus(x); }
    case ACT_SOFTSIGN: {
      if (abs(x) >= 67108864.0) { return m_copysign(1.0, x); }
      return x / (1.0 + abs(x));
    }
    case ACT_HARD_SIGMOID: { return clamp(act_mul_add(p.x, x, p.y), 0.0, 1.0); }
    case ACT_SILU: { return act_silu(x); }
    case ACT_GELU: { return select(act_gelu(x), act_gelu_tanh(x), p.x != 0.0); }
    case ACT_MISH: { return act_mish(x); }
    case ACT_HARD_SWISH: {
      if (x <= -3.0) { return 0.0; }
      if (x >= 3.0) { return x; }
      return x * (x + 3.0) / 6.0;
    }
    case ACT_CUSTOM: { return custom_forward(x); }
    default: { return m_nan(x); }
  }
}

fn act_backward_any(x: f32, dy: f32, p: vec4<f32>) -> f32 {
  switch ACTIVATION {
    case ACT_IDENTITY: { return dy; }
    case ACT_LINEAR: { return dy * p.x; }
    case ACT_STEP: { return 0.0; }
    case ACT_SIGMOID: { return dy * m_e_over_sq(m_fexp_hl(-abs(x), 0)); }   // e / (1 + e)^2, e = e^-|x|
    case ACT_TANH: { return act_tanh_back(x, dy); }
    case ACT_RELU: { return select(0.0, dy, x > 0.0); }
    case ACT_LEAKY_RELU: { return select(dy * p.x, dy, x > 0.0); }
    case ACT_RELU6: { return select(0.0, dy, x > 0.0 && x < 6.0); }
    case ACT_ELU: { return select(act_scaled_exp(dy * p.x, x), dy, x > 0.0); }
    case ACT_SELU: { return select(act_scaled_exp(dy * p.z, x), dy * p.y, x > 0.0); }
    case ACT_CELU: {                                          // e^(x/alpha) > 0 when alpha < 0: may exceed FLT_MAX where dy e^.. does not
      let y = x / p.x;
      let big = y > 64.0;
      let v = dy * m_fexp(y, 0.0, select(0, -24, big));
      return select(select(v, v * 16777216.0, big), dy, x > 0.0);
    }
    case ACT_SOFTPLUS: { return dy * act_sigmoid(x); }
    case ACT_SOFTSIGN: { let d = 1.0 + abs(x); return dy / (d * d); }
    case ACT_HARD_SIGMOID: { return select(0.0, dy * p.x, x > p.z && x < p.w); }   // (p.z, p.w): where 0 < alpha x + beta < 1
    case ACT_SILU: { return act_times(dy, act_silu_grad(x)); }
    case ACT_GELU: { return act_times(dy, select(act_gelu_grad(x), act_gelu_tanh_grad(x), p.x != 0.0)); }
    case ACT_MISH: { return act_times(dy, act_mish_grad(x)); }
    case ACT_HARD_SWISH: {
      if (x <= -3.0) { return 0.0; }
      if (x >= 3.0) { return dy; }
      return dy * ((2.0 * x + 3.0) / 6.0);
    }
    case ACT_CUSTOM: { return custom_backward(x, custom_forward(x), dy); }
    default: { return m_nan(x); }
  }
}
