// The softmax family's shared part: the op (MODE), the bindings, what one element adds to the
// row sums and what it writes, the workgroup-memory reductions, and the register layout. MODE:
//   0 softmax         y  = exp(x - max) / sum exp(x - max)          a = x
//   1 logSoftmax      y  = (x - max) - log(sum exp(x - max))        a = x
//   2 softmaxGrad     dx = y * (dy - sum(y * dy))                    a = y, b = dy
//   3 logSoftmaxGrad  dx = dy - exp(y) * sum(dy)                     a = y, b = dy
//   4 xent            out[row] = -sum_{t != 0} t * logSoftmax(z)     a = z, b = t
//   5 xentGrad        dz = scale * (softmax(z) * sum(t) - t)         a = z, b = t
//   6 xent + xentGrad in one pass: dz in out, the row's loss in row_loss_out
// Row sums are (count of x == max, sum of the other exp(x - max), sum t, sum t (x - max)), so
// log(sum) = log1p(rest) stays accurate when one entry dominates; all compensated (Neumaier).
// A row holding NaN or +Infinity, or all -Infinity, gives NaN in that row only. Deterministic:
// fixed reduction order, no atomics. Entries: softmax.wgsl, softmax_reg.wgsl, softmax_long.wgsl.
// Requires: lib/math.wgsl.

override MODE: u32 = 0u;
override WG: u32 = 64u;
// WG = G * G: reductions go WG -> G -> 1 values, two barriers each
override G: u32 = 8u;
// rows have a length divisible by 4 and start on a vec4: load and store vec4s
override VEC4: bool = false;
override HAS_MAX: bool = MODE != 2u && MODE != 3u;

struct Params {
  rows: u32,
  len: u32,
  nchunk: u32,
  chunk: u32,
  // element offsets of this dispatch's first row inside the bound ranges of a/b and out
  base_in: u32,
  base_out: u32,
  // strided: distance between consecutive elements of a row
  inner: u32,
  scale: f32,
  // rows_xent_both: element offset of this dispatch's first row in row_loss_out
  base_loss: u32,
}

@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> params: Params;
// per chunk: [max, 0, 0, 0], sums
@group(0) @binding(4) var<storage, read> part_in: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> part_out: array<vec4<f32>>;

// rows_xent_both only: one loss per row
@group(0) @binding(6) var<storage, read_write> row_loss_out: array<f32>;

var<workgroup> red_m: array<f32, WG>;
var<workgroup> red_m2: array<f32, G>;
var<workgroup> red_s: array<vec4<f32>, WG>;
var<workgroup> red_s2: array<vec4<f32>, G>;

fn ld_a(i: u32) -> f32 {
  return a[i >> 2u][i & 3u];
}

fn ld_b(i: u32) -> f32 {
  return b[i >> 2u][i & 3u];
}

fn st(i: u32, v: f32) {
  out[i >> 2u][i & 3u] = v;
}

// row max is NaN (NaN or +Infinity in the row) or -Infinity (all -Infinity): the row is NaN
fn bad_max(m: f32) -> bool {
  return HAS_MAX && !m_is_finite(m);
}

fn log_sum(s: vec4<f32>) -> f32 {
  if (s.x == 1.0) {
    return m_log1p(s.y);
  }
  return m_log(s.x + s.y);
}

// this element's share of the row sums, given the row (or chunk) max m
fn elem_stats(x: f32, t: f32, m: f32) -> vec4<f32> {
  if (MODE == 2u) {
    return vec4<f32>(x * t, 0.0, 0.0, 0.0);
  }
  if (MODE == 3u) {
    return vec4<f32>(t, 0.0, 0.0, 0.0);
  }
  var s = vec4<f32>(0.0);
  var d = vec2<f32>(0.0);
  if (x == m) {
    s.x = 1.0;
  } else {
    d = m_two_diff(x, m);
    s.y = m_fexp(d.x, d.y, 0);
  }
  if (MODE >= 4u && (t != 0.0 || m_is_nan(t))) {
    s.z = t;
    s.w = t * d.x + t * d.y;
  }
  return s;
}

fn elem_stats4(x: vec4<f32>, t: vec4<f32>, m: f32) -> vec4<f32> {
  return (elem_stats(x.x, t.x, m) + elem_stats(x.y, t.y, m)) + (elem_stats(x.z, t.z, m) + elem_stats(x.w, t.w, m));
}

// partial sums taken against chunk max mc, moved to the row max m >= mc
fn rescale(mc: f32, s: vec4<f32>, m: f32) -> vec4<f32> {
  if (!HAS_MAX || mc == m) {
    return s;
  }
  let d = m_two_diff(mc, m);
  var w = s.w;
  if (s.z != 0.0) {
    w = s.w + (s.z * d.x + s.z * d.y);
  }
  return vec4<f32>(0.0, (s.x + s.y) * m_fexp(d.x, d.y, 0), s.z, w);
}

fn elem_out(x: f32, t: f32, m: f32, s: vec4<f32>) -> f32 {
  if (MODE == 2u) {
    return x * (t - s.x);
  }
  if (MODE == 3u) {
    return t - m_exp(x) * s.x;
  }
  if (bad_max(m)) {
    return m_nan(0.0);
  }
  var d = vec2<f32>(0.0);
  var e = 1.0;
  if (x != m) {
    d = m_two_diff(x, m);
    e = m_fexp(d.x, d.y, 0);
  }
  if (MODE == 1u) {
    return (d.x - log_sum(s)) + d.y;
  }
  let p = e / (s.x + s.y);
  if (MODE == 5u) {
    return params.scale * (p * s.z - t);
  }
  return p;
}

fn row_loss(m: f32, s: vec4<f32>) -> f32 {
  if (bad_max(m)) {
    return m_nan(0.0);
  }
  return s.z * log_sum(s) - s.w;
}

fn wg_max(v: f32, lid: u32) -> f32 {
  red_m[lid] = v;
  workgroupBarrier();
  if (lid < G) {
    var m = red_m[lid * G];
    for (var k = 1u; k < G; k++) {
      m = m_max_nan(m, red_m[lid * G + k]);
    }
    red_m2[lid] = m;
  }
  workgroupBarrier();
  var m = red_m2[0];
  for (var k = 1u; k < G; k++) {
    m = m_max_nan(m, red_m2[k]);
  }
  return m;
}

fn wg_sum(v: vec4<f32>, lid: u32) -> vec4<f32> {
  red_s[lid] = v;
  workgroupBarrier();
  if (lid < G) {
    var s = array<vec4<f32>, 2>(red_s[lid * G], vec4<f32>(0.0));
    for (var k = 1u; k < G; k++) {
      s = m_sum_add4(s, red_s[lid * G + k]);
    }
    red_s2[lid] = m_sum_value4(s);
  }
  workgroupBarrier();
  var s = array<vec4<f32>, 2>(red_s2[0], vec4<f32>(0.0));
  for (var k = 1u; k < G; k++) {
    s = m_sum_add4(s, red_s2[k]);
  }
  return m_sum_value4(s);
}

// softmax or xentGrad output from e = exp(x - max) kept since the sums pass
fn stash_out(e: f32, t: f32, m: f32, s: vec4<f32>) -> f32 {
  if (bad_max(m)) {
    return m_nan(0.0);
  }
  let p = e / (s.x + s.y);
  if (MODE == 5u || MODE == 6u) {
    return params.scale * (p * s.z - t);
  }
  return p;
}

// linear workgroup index of a grid folded into 2-D past 65,535 workgroups
fn group_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.y * nwg.x + wid.x;
}

// ---- the register layout of softmax_reg.wgsl and softmax_long.wgsl: lane `lane` of `lanes`
// holds slots k of four elements each

// element index of slot k, component c, for lane `lane` of `lanes`
fn reg_elem(k: u32, c: u32, lanes: u32, lane: u32) -> u32 {
  if (VEC4) {
    return 4u * (k * lanes + lane) + c;
  }
  return (4u * k + c) * lanes + lane;
}

fn reg_load(start: u32, n: u32, k: u32, lanes: u32, lane: u32) -> vec4<f32> {
  var v = vec4<f32>(m_inf(-1.0));
  if (VEC4) {
    let i = k * lanes + lane;
    if (i < (n >> 2u)) {
      v = a[(start >> 2u) + i];
    }
  } else {
    for (var c = 0u; c < 4u; c++) {
      let e = reg_elem(k, c, lanes, lane);
      if (e < n) {
        v[c] = ld_a(start + e);
      }
    }
  }
  return v;
}

fn reg_store(o: u32, n: u32, k: u32, lanes: u32, lane: u32, y: vec4<f32>) {
  if (VEC4) {
    let i = k * lanes + lane;
    if (i < (n >> 2u)) {
      out[(o >> 2u) + i] = y;
    }
  } else {
    for (var c = 0u; c < 4u; c++) {
      let e = reg_elem(k, c, lanes, lane);
      if (e < n) {
        st(o + e, y[c]);
      }
    }
  }
}

// The write sweep's divisor (softmax: the row sum) or subtrahend (log-softmax: log of it), from
// s = (count of the max, rest).
fn row_norm(s: vec4<f32>) -> vec4<f32> {
  if (MODE == 0u) {
    return vec4<f32>(s.x + s.y);
  }
  return vec4<f32>(log_sum(s));
}

// Four outputs: e^(x - m) / sum or (x - m) - log sum; NaN for a row whose max is not finite.
fn row_out4(x: vec4<f32>, mv: vec4<f32>, t: vec4<f32>, bad: vec4<bool>) -> vec4<f32> {
  let d = m_two_diff4(x, mv);
  var y: vec4<f32>;
  if (MODE == 0u) {
    y = m_exp_neg4(d[0], d[1]) / t;
  } else {
    y = (d[0] - t) + d[1];
  }
  return select(y, vec4<f32>(m_nan(0.0)), bad);
}

// One column block of the sums sweep: e^(x - m) added in (hi, lo) pairs, entries equal to the
// max counted instead (their 1s are added exactly at the end). Returns e^(x - m) (1 at the max).
fn lane_sum_add(acc: ptr<function, array<vec4<f32>, 2>>, cnt: ptr<function, vec4<f32>>, x: vec4<f32>, mv: vec4<f32>) -> vec4<f32> {
  let d = m_two_diff4(x, mv);
  let e = m_exp_neg4(d[0], d[1]);
  let top = x == mv;
  *cnt += select(vec4<f32>(0.0), vec4<f32>(1.0), top);
  *acc = m_sum_add4(*acc, select(e, vec4<f32>(0.0), top));
  return e;
}

// This lane's four columns as (count, hi, lo, 0).
fn lane_sums(acc: array<vec4<f32>, 2>, cnt: vec4<f32>) -> vec4<f32> {
  var hl = m_two_sum(acc[0].x, acc[0].y);
  var lo = (acc[1].x + acc[1].y) + hl.y;
  hl = m_two_sum(hl.x, acc[0].z);
  lo = (lo + acc[1].z) + hl.y;
  hl = m_two_sum(hl.x, acc[0].w);
  lo = (lo + acc[1].w) + hl.y;
  return vec4<f32>((cnt.x + cnt.y) + (cnt.z + cnt.w), hl.x, lo, 0.0);
}
