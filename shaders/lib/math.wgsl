// Float32 math for the activation library; module-scope functions only, no bindings.
// Does not use WGSL's exp/log/tanh built-ins (loose, and free to assume no NaN/Inf): NaN and
// Inf are tested by bit pattern, exp/expm1/log/log1p use Cody-Waite reduction plus polynomials
// fitted with mpmath (coefficients below, ~1 ULP each). Names carry an `m_` prefix.

fn m_is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn m_is_inf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
fn m_is_finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) < 0x7f800000u; }
// A quiet NaN built from a runtime value (a NaN literal is a const-expression error).
fn m_nan(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) | 0x7fc00000u); }
// +-Inf with the sign of s, made at run time for the same reason.
fn m_inf(s: f32) -> f32 { return bitcast<f32>((bitcast<u32>(s) & 0x80000000u) | 0x7f800000u); }
fn m_copysign(mag: f32, s: f32) -> f32 {
  return bitcast<f32>((bitcast<u32>(mag) & 0x7fffffffu) | (bitcast<u32>(s) & 0x80000000u));
}
// Identity the optimiser cannot see through: some drivers (Mesa's NIR) rewrite (a + b) - a to b,
// which would erase the rounding error that error-free transforms recover.
fn m_opaque(v: f32) -> f32 {
  let b = bitcast<u32>(v);
  return select(v, bitcast<f32>(b ^ 1u), b == 0xffffffffu);
}
// High 12 significant bits of x; products of two such halves are exact in f32.
fn m_hi12(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) & 0xfffff000u); }

// v * 2^n for |n| <= 300 in three exact steps (double rounding only for subnormal results).
fn m_ldexp(v: f32, n: i32) -> f32 {
  let n1 = clamp(n, -120, 120);
  let n2 = clamp(n - n1, -120, 120);
  let n3 = clamp(n - n1 - n2, -120, 120);
  let s1 = bitcast<f32>(u32(n1 + 127) << 23u);
  let s2 = bitcast<f32>(u32(n2 + 127) << 23u);
  let s3 = bitcast<f32>(u32(n3 + 127) << 23u);
  return v * s1 * s2 * s3;
}

const M_LOG2E: f32 = 1.4426950408889634;
const M_LN2_HI: f32 = 0.693145751953125;      // 16 significant bits: n * M_LN2_HI is exact
const M_LN2_LO: f32 = 1.428606765330187e-06;
const M_INV_SQRT_2PI: f32 = 0.3989422804014327;

// ---- fitted polynomials (generated; variable t, see each caller for its range) ----
fn m_poly_expm1_p(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, 0.00019908772082999349, 0.0013928738189861178), 0.008333245292305946), 0.041666530072689056), 0.1666666716337204), 0.5); }
fn m_poly_tanh_t(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, 0.004349349532276392, -0.009919564239680767), 0.022192366421222687), -0.054005879908800125), 0.13333484530448914), -0.3333333432674408); }
fn m_poly_phi_c(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, -0.0002850317396223545, 0.00043131053098477423), -0.0013140853261575103), 0.009994364343583584), -0.06649158149957657), 0.3989422917366028); }
fn m_poly_gelu_k(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 0.004694244358688593, -0.006560657639056444), 0.004486639052629471), -0.010294236242771149), 0.05992750823497772), -0.26596495509147644), 0.7978845834732056); }
fn m_poly_phi_r0(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 0.0003133440623059869, -0.0002314677112735808), 0.0006848436314612627), -0.0024974318221211433), 0.007506505586206913), -0.020915424451231956), 0.05350898206233978), -0.12294446676969528), 0.24533139169216156); }
fn m_poly_phi_r1(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 5.671549843100365e-06, -2.44098155235406e-05), 9.437157132197171e-05), -0.0003726714348886162), 0.001406777766533196), -0.00503134448081255), 0.016947364434599876), -0.05322542041540146), 0.15365193784236908); }
fn m_poly_phi_r2(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, -1.0057716082201296e-07, 4.6619925342383794e-07), -1.1866520708281314e-06), 6.656932782789227e-06), -3.761844345717691e-05), 0.00019302555301692337), -0.0009587003150954843), 0.004605836700648069), -0.02129971608519554), 0.09441064298152924); }
fn m_poly_gelu_h0(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 0.0007594045018777251, -0.0003110337711405009), -0.0011031362228095531), 0.00021015209495089948), 9.171537385554984e-05), 0.0010873882565647364), -0.0035006427206099033), 0.010108775459229946), -0.027591582387685776), 0.0689563974738121), -0.5534218549728394); }
fn m_poly_gelu_h1(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 7.351869953708956e-06, 8.515336958225816e-06), -4.535176049103029e-05), 0.00014671644021291286), -0.0005896508228033781), 0.0022956873290240765), -0.00847107358276844), 0.029638180509209633), -0.4965718686580658); }
fn m_poly_gelu_h2(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 3.7441811429062e-08, -9.877013553705183e-07), 4.844309273721592e-07), -1.2244632898728014e-06), 1.6915748346946202e-05), -9.352939378004521e-05), 0.0004929165588691831), -0.002559600630775094), 0.012920737266540527), -0.4622112512588501); }
fn m_poly_gelu_h3(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, -1.114848017692566, 1.1206319332122803), -0.15229187905788422), -0.3212707042694092), 0.1329616755247116), 0.17328719794750214), -0.2999148964881897), -0.39894238114356995); }
fn m_poly_phi_r3(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, -110.18514251708984, 30.962337493896484), -5.725287914276123), 1.193490982055664), -0.39892134070396423), 0.398942232131958); }
const M_SILU_X0_HI = -1.2784645557403564; const M_SILU_X0_LO = 1.2979282537628478e-08;  // root -1.2784645427610737951
fn m_poly_silu_droot(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 0.00018381985137239099, 0.0007951076840981841), 0.00012537228758446872), -0.006608025170862675), -0.015222514048218727), 0.018874969333410263), 0.14664879441261292), 0.2178117036819458); }
const M_MISH_X0_HI = -1.1924312114715576; const M_MISH_X0_LO = -3.0439375464652585e-09;  // root -1.1924312145154952121
fn m_poly_mish_droot(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 0.000988389365375042, 0.0016532789450138807), 0.000626550056040287), 0.0005938511458225548), -0.003320941934362054), -0.015765942633152008), -0.02027319371700287), 0.04190586507320404), 0.2047312706708908), 0.2669479250907898); }
fn m_poly_gelut_droot(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 0.0024889232590794563, 0.0014299213653430343), -0.003156094579026103), 0.004514230880886316), 0.019759060814976692), -0.016544725745916367), -0.11394718289375305), -0.015785250812768936), 0.3875184655189514), 0.4304001033306122); }

// expm1(r) on |r| <= ln2/2: r + r^2 P(r), 2.7e-9 relative.
fn m_expm1_small(r: f32) -> f32 { return fma(r * r, m_poly_expm1_p(r), r); }

// e^(a + b) * 2^k. b is a small correction to a (a's rounding error); k rescales results that
// would be subnormal. a - n*ln2_hi is exact (Sterbenz), so the reduced argument keeps b's bits.
fn m_exp_ab(a: f32, b: f32, k: i32) -> f32 {
  let ac = clamp(a, -200.0, 200.0);
  let nf = round(ac * M_LOG2E);
  let r = ((ac - nf * M_LN2_HI) - nf * M_LN2_LO) + b;
  return m_ldexp(1.0 + m_expm1_small(r), i32(nf) + k);
}
fn m_exp(x: f32) -> f32 { return m_exp_ab(x, 0.0, 0); }

// e^x - 1 = 2^n (1 + q) - 1, regrouped per n so that no step cancels.
fn m_expm1(x: f32) -> f32 {
  if (abs(x) <= 0.3465) { return m_expm1_small(x); }
  let xc = clamp(x, -200.0, 200.0);
  let nf = round(xc * M_LOG2E);
  let q = m_expm1_small((xc - nf * M_LN2_HI) - nf * M_LN2_LO);
  let n = i32(nf);
  if (n < -25 || n > 24) { return m_ldexp(1.0 + q, n) - 1.0; }
  let t = bitcast<f32>(u32(n + 127) << 23u);
  if (n < 0) { return fma(t, q, t - 1.0); }
  return t * (q + (1.0 - 1.0 / t));
}

// log(1 + f) for f in [-1/3, 1/2]: f - (f^2/2 - s (f^2/2 + R(s^2))), s = f / (2 + f); the
// leading f is exact, so the error stays in the small correction.
fn m_log1p_core(f: f32) -> f32 {
  let s = f / (2.0 + f);
  let z = s * s;
  let r = z * (0.6666666666666666 + z * (0.4 + z * (0.2857142857142857 + z * (0.2222222222222222 + z * 0.18181818181818182))));
  let hfsq = 0.5 * f * f;
  return f - (hfsq - s * (hfsq + r));
}

// log(1 + x), x >= -1.
fn m_log1p(x: f32) -> f32 {
  if (m_is_nan(x) || x < -1.0) { return m_nan(x); }
  if (x == -1.0) { return m_inf(-1.0); }
  if (x >= -0.3333 && x <= 0.5) { return m_log1p_core(x); }
  if (m_is_inf(x)) { return x; }
  let u = 1.0 + x;
  // Rounding error of 1 + x, recovered exactly (valid for both x < 1 and x >= 1).
  let c = select(x - (m_opaque(u) - 1.0), 1.0 - (m_opaque(u) - x), x >= 1.0) / u;
  var k = i32((bitcast<u32>(u) >> 23u) & 0xffu) - 127;
  var m = bitcast<f32>((bitcast<u32>(u) & 0x007fffffu) | 0x3f800000u);
  if (m > 1.4142135) { m = m * 0.5; k = k + 1; }
  let kf = f32(k);
  return kf * M_LN2_HI + (m_log1p_core(m - 1.0) + (c + kf * M_LN2_LO));
}

fn m_log(x: f32) -> f32 {
  if (m_is_nan(x) || x < 0.0) { return m_nan(x); }
  if (x == 0.0) { return m_inf(-1.0); }
  if (m_is_inf(x)) { return x; }
  var v = x;
  var k = -127;
  if (v < 1.1754944e-38) { v = v * 16777216.0; k = k - 24; }
  k = k + i32((bitcast<u32>(v) >> 23u) & 0xffu);
  var m = bitcast<f32>((bitcast<u32>(v) & 0x007fffffu) | 0x3f800000u);
  if (m > 1.4142135) { m = m * 0.5; k = k + 1; }
  let kf = f32(k);
  return kf * M_LN2_HI + (m_log1p_core(m - 1.0) + kf * M_LN2_LO);
}

// tanh: odd polynomial near 0 (no cancellation), (1 - e)/(1 + e) with e = e^(-2|x|) elsewhere.
fn m_tanh(x: f32) -> f32 {
  let a = abs(x);
  if (a < 0.55) { let z = x * x; return fma(x * z, m_poly_tanh_t(z), x); }
  if (a > 9.5) { return m_copysign(1.0, x); }
  let e = m_exp(-2.0 * a);
  return m_copysign((1.0 - e) / (1.0 + e), x);
}

// 1 / (1 + e^-x) from e = e^-|x| <= 1, so nothing overflows or cancels.
fn m_sigmoid(x: f32) -> f32 {
  let e = m_exp(-abs(x));
  let d = 1.0 + e;
  return select(e / d, 1.0 / d, x >= 0.0);
}

// e^(-x^2/2) * 2^k with x^2 = hi + lo carried exactly: hi/2 feeds the exact Cody-Waite step,
// lo/2 the correction (otherwise the rounding of x^2 costs |x|^2/2 ULP, ~88 ULP near underflow).
fn m_exp_neg_half_sq(x: f32, k: i32) -> f32 {
  let xh = m_hi12(x);
  let xl = x - xh;
  let hi = xh * xh;
  let lo = (2.0 * xh + xl) * xl;
  return m_exp_ab(-0.5 * hi, -0.5 * lo, k);
}

// R(u) = Phi(-u) e^(u^2/2) for u >= 0.674 (Phi: standard normal CDF).
fn m_phi_r(u: f32) -> f32 {
  if (u < 1.5) { return m_poly_phi_r0(u - 1.125); }
  if (u < 3.0) { return m_poly_phi_r1(u - 2.25); }
  if (u < 5.0) { return m_poly_phi_r2(u - 4.0); }
  let w = 1.0 / u;
  return w * m_poly_phi_r3(w * w);
}

// H(u) = (R(u) - u / sqrt(2 pi)) / (u - u0) for u >= 0.35, u0 = 0.75179 the root of gelu'(-u):
// the root is divided out so gelu' keeps full relative accuracy next to it.
fn m_gelu_h(u: f32) -> f32 {
  if (u < 1.5) { return m_poly_gelu_h0(u - 1.0); }
  if (u < 3.0) { return m_poly_gelu_h1(u - 2.25); }
  if (u < 5.0) { return m_poly_gelu_h2(u - 4.0); }
  return m_poly_gelu_h3(1.0 / u);
}
const M_GELU_U0_HI: f32 = 0.7517915368080139;
const M_GELU_U0_LO: f32 = -1.211444988769017e-08;

// Phi(x), standard normal CDF (gelu's gate).
fn m_normal_cdf(x: f32) -> f32 {
  let a = abs(x);
  if (a <= 0.675) { return fma(x, m_poly_phi_c(x * x), 0.5); }
  let q = m_exp_neg_half_sq(min(a, 15.0), 0) * m_phi_r(min(a, 15.0));
  return select(q, 1.0 - q, x > 0.0);
}
// erf(x) = 2 Phi(x sqrt 2) - 1; erfc(x) = 2 Phi(-x sqrt 2). (The scaling by sqrt 2 rounds.)
fn m_erf(x: f32) -> f32 { return 2.0 * m_normal_cdf(x * 1.4142135623730951) - 1.0; }
fn m_erfc(x: f32) -> f32 { return 2.0 * m_normal_cdf(-x * 1.4142135623730951); }
