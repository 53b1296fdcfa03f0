// Softmax family over rows of length L (the reduced axis), forward and backward, and the fused
// softmax cross-entropy from logits. MODE picks the op (a, b: inputs; out: output):
//   0 softmax         y  = exp(x - max) / sum exp(x - max)          a = x
//   1 logSoftmax      y  = (x - max) - log(sum exp(x - max))        a = x
//   2 softmaxGrad     dx = y * (dy - sum(y * dy))                    a = y, b = dy
//   3 logSoftmaxGrad  dx = dy - exp(y) * sum(dy)                     a = y, b = dy
//   4 xent            out[row] = -sum_{t != 0} t * logSoftmax(z)     a = z, b = t
//   5 xentGrad        dz = scale * (softmax(z) * sum(t) - t)         a = z, b = t
//   6 xent + xentGrad in one pass (entry `rows_xent_both`): dz in out, the row's loss in row_loss_out
// Entries: `rows_long`, `long_stats` + `long_write` (softmax / log-softmax of rows longer than
// rows_reg takes: see their section at the end), `rows_reg` (softmax / log-softmax of medium rows: the row is read once into
// registers, one workgroup per row, ROWS rows per workgroup), `rows` (one workgroup per row), `rows_partial` + `rows_finish` (several workgroups per
// long row: per-chunk max and sums, then every chunk combines all partials of its row in the same
// fixed order), `rows_small` (one invocation per short row; `rows_lane` the same for softmax / log-softmax, in registers), `strided` (one invocation per column
// of a non-last axis). Sums are (count of x == max, sum of the other exp(x - max), sum t,
// sum t (x - max)), so log(sum) = log1p(rest) stays accurate when one entry dominates.
// All sums are compensated (Neumaier). A row holding NaN or +Infinity, or all -Infinity, gives NaN in that row only. Deterministic:
// fixed reduction order, no atomics. Requires: lib/softmax_math.wgsl, and from the module
// composer (src/kernels/softmax.ts) KMAX (register slots per lane) and the cross-lane reductions
// red_max / red_sum (subgroup operations, or workgroup memory through wg_max / wg_sum).

override MODE: u32 = 0u;
override WG: u32 = 64u;
// WG = G * G: reductions go WG -> G -> 1 values, two barriers each
override G: u32 = 8u;
// rows have a length divisible by 4 and start on a vec4: load and store vec4s
override VEC4: bool = false;
override HAS_MAX: bool = MODE != 2u && MODE != 3u;
// rows_reg: vec4 slots per lane (<= KMAX), and rows per workgroup
override KN: u32 = 1u;
override ROWS: u32 = 1u;

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
  one: f32,
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
  return HAS_MAX && !sm_is_finite(m);
}

fn log_sum(s: vec4<f32>) -> f32 {
  if (s.x == 1.0) {
    return sm_log1p(s.y);
  }
  return sm_log(s.x + s.y);
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
    d = sm_two_diff(x, m, params.one);
    s.y = sm_exp2(d.x, d.y);
  }
  if (MODE >= 4u && (t != 0.0 || sm_is_nan(t))) {
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
  let d = sm_two_diff(mc, m, params.one);
  var w = s.w;
  if (s.z != 0.0) {
    w = s.w + (s.z * d.x + s.z * d.y);
  }
  return vec4<f32>(0.0, (s.x + s.y) * sm_exp2(d.x, d.y), s.z, w);
}

fn elem_out(x: f32, t: f32, m: f32, s: vec4<f32>) -> f32 {
  if (MODE == 2u) {
    return x * (t - s.x);
  }
  if (MODE == 3u) {
    return t - sm_exp(x) * s.x;
  }
  if (bad_max(m)) {
    return sm_nan();
  }
  var d = vec2<f32>(0.0);
  var e = 1.0;
  if (x != m) {
    d = sm_two_diff(x, m, params.one);
    e = sm_exp2(d.x, d.y);
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
    return sm_nan();
  }
  return s.z * log_sum(s) - s.w;
}

fn wg_max(v: f32, lid: u32) -> f32 {
  red_m[lid] = v;
  workgroupBarrier();
  if (lid < G) {
    var m = red_m[lid * G];
    for (var k = 1u; k < G; k++) {
      m = sm_max_nan(m, red_m[lid * G + k]);
    }
    red_m2[lid] = m;
  }
  workgroupBarrier();
  var m = red_m2[0];
  for (var k = 1u; k < G; k++) {
    m = sm_max_nan(m, red_m2[k]);
  }
  return m;
}

fn wg_sum(v: vec4<f32>, lid: u32) -> vec4<f32> {
  red_s[lid] = v;
  workgroupBarrier();
  if (lid < G) {
    var s = array<vec4<f32>, 2>(red_s[lid * G], vec4<f32>(0.0));
    for (var k = 1u; k < G; k++) {
      s = sm_sum_add4(s, red_s[lid * G + k], params.one);
    }
    red_s2[lid] = sm_sum_value4(s);
  }
  workgroupBarrier();
  var s = array<vec4<f32>, 2>(red_s2[0], vec4<f32>(0.0));
  for (var k = 1u; k < G; k++) {
    s = sm_sum_add4(s, red_s2[k], params.one);
  }
  return sm_sum_value4(s);
}

// this invocation's max over elements [start, start + n), strided by WG
fn range_max(start: u32, n: u32, lid: u32) -> f32 {
  var m = -sm_inf();
  var nan = false;
  if (VEC4) {
    let s4 = start >> 2u;
    for (var j = lid; j < (n >> 2u); j += WG) {
      let v = a[s4 + j];
      nan = nan || sm_any_nan4(v);
      m = max(m, max(max(v.x, v.y), max(v.z, v.w)));
    }
  } else {
    for (var j = lid; j < n; j += WG) {
      let v = ld_a(start + j);
      nan = nan || sm_is_nan(v);
      m = max(m, v);
    }
  }
  return select(m, sm_nan(), nan);
}

fn range_sums(start: u32, n: u32, m: f32, lid: u32) -> vec4<f32> {
  var s = array<vec4<f32>, 2>(vec4<f32>(0.0), vec4<f32>(0.0));
  if (VEC4) {
    let s4 = start >> 2u;
    for (var j = lid; j < (n >> 2u); j += WG) {
      s = sm_sum_add4(s, elem_stats4(a[s4 + j], b[s4 + j], m), params.one);
    }
  } else {
    for (var j = lid; j < n; j += WG) {
      s = sm_sum_add4(s, elem_stats(ld_a(start + j), ld_b(start + j), m), params.one);
    }
  }
  return sm_sum_value4(s);
}

fn range_write(start: u32, n: u32, out_start: u32, m: f32, s: vec4<f32>, lid: u32) {
  if (VEC4) {
    let s4 = start >> 2u;
    let o4 = out_start >> 2u;
    for (var j = lid; j < (n >> 2u); j += WG) {
      let x = a[s4 + j];
      let t = b[s4 + j];
      out[o4 + j] = vec4<f32>(elem_out(x.x, t.x, m, s), elem_out(x.y, t.y, m, s),
                              elem_out(x.z, t.z, m, s), elem_out(x.w, t.w, m, s));
    }
  } else {
    for (var j = lid; j < n; j += WG) {
      st(out_start + j, elem_out(ld_a(start + j), ld_b(start + j), m, s));
    }
  }
}

// `rows` for softmax and xentGrad: the sum pass also stores e = exp(x - max) in out, and the
// write pass scales it (one exp per element instead of two; the same e, so the same result)
fn range_sums_stash(start: u32, n: u32, out_start: u32, m: f32, lid: u32) -> vec4<f32> {
  var s = array<vec4<f32>, 2>(vec4<f32>(0.0), vec4<f32>(0.0));
  if (VEC4) {
    let s4 = start >> 2u;
    let o4 = out_start >> 2u;
    for (var j = lid; j < (n >> 2u); j += WG) {
      let x = a[s4 + j];
      let t = b[s4 + j];
      let q0 = elem_stats(x.x, t.x, m);
      let q1 = elem_stats(x.y, t.y, m);
      let q2 = elem_stats(x.z, t.z, m);
      let q3 = elem_stats(x.w, t.w, m);
      out[o4 + j] = vec4<f32>(q0.x + q0.y, q1.x + q1.y, q2.x + q2.y, q3.x + q3.y);
      s = sm_sum_add4(s, (q0 + q1) + (q2 + q3), params.one);
    }
  } else {
    for (var j = lid; j < n; j += WG) {
      let q = elem_stats(ld_a(start + j), ld_b(start + j), m);
      st(out_start + j, q.x + q.y);
      s = sm_sum_add4(s, q, params.one);
    }
  }
  return sm_sum_value4(s);
}

fn stash_out(e: f32, t: f32, m: f32, s: vec4<f32>) -> f32 {
  if (bad_max(m)) {
    return sm_nan();
  }
  let p = e / (s.x + s.y);
  if (MODE == 5u || MODE == 6u) {
    return params.scale * (p * s.z - t);
  }
  return p;
}

fn range_write_stash(start: u32, n: u32, out_start: u32, m: f32, s: vec4<f32>, lid: u32) {
  if (VEC4) {
    let s4 = start >> 2u;
    let o4 = out_start >> 2u;
    for (var j = lid; j < (n >> 2u); j += WG) {
      let e = out[o4 + j];
      var t = vec4<f32>(0.0);
      if (MODE == 5u || MODE == 6u) {
        t = b[s4 + j];
      }
      out[o4 + j] = vec4<f32>(stash_out(e.x, t.x, m, s), stash_out(e.y, t.y, m, s),
                              stash_out(e.z, t.z, m, s), stash_out(e.w, t.w, m, s));
    }
  } else {
    for (var j = lid; j < n; j += WG) {
      let o = out_start + j;
      st(o, stash_out(out[o >> 2u][o & 3u], ld_b(start + j), m, s));
    }
  }
}

fn group_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.y * nwg.x + wid.x;
}

@compute @workgroup_size(WG)
fn rows(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = group_index(wid, nwg);
  if (row >= params.rows) {
    return;
  }
  let n = params.len;
  let start = params.base_in + row * n;
  var m = 0.0;
  if (HAS_MAX) {
    m = wg_max(range_max(start, n, lid), lid);
  }
  let o = params.base_out + row * n;
  if (MODE == 0u || MODE == 5u) {
    let s = wg_sum(range_sums_stash(start, n, o, m, lid), lid);
    range_write_stash(start, n, o, m, s, lid);
    return;
  }
  let s = wg_sum(range_sums(start, n, m, lid), lid);
  if (MODE == 4u) {
    if (lid == 0u) {
      st(params.base_out + row, row_loss(m, s));
    }
    return;
  }
  range_write(start, n, o, m, s, lid);
}

// MODE 6: the gradient of xentGrad and the loss of xent from one read of the row (medium rows)
@compute @workgroup_size(WG)
fn rows_xent_both(@builtin(workgroup_id) wid: vec3<u32>,
                  @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_index) lid: u32) {
  let row = group_index(wid, nwg);
  if (row >= params.rows) {
    return;
  }
  let n = params.len;
  let start = params.base_in + row * n;
  let m = wg_max(range_max(start, n, lid), lid);
  let o = params.base_out + row * n;
  let s = wg_sum(range_sums_stash(start, n, o, m, lid), lid);
  range_write_stash(start, n, o, m, s, lid);
  if (lid == 0u) {
    row_loss_out[params.base_loss + row] = row_loss(m, s);
  }
}

@compute @workgroup_size(WG)
fn rows_partial(@builtin(workgroup_id) wid: vec3<u32>,
                @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lid: u32) {
  let g = group_index(wid, nwg);
  if (g >= params.rows * params.nchunk) {
    return;
  }
  let row = g / params.nchunk;
  let c = g % params.nchunk;
  let first = c * params.chunk;
  let n = min(params.chunk, params.len - first);
  let start = params.base_in + row * params.len + first;
  var m = 0.0;
  if (HAS_MAX) {
    m = wg_max(range_max(start, n, lid), lid);
  }
  let s = wg_sum(range_sums(start, n, m, lid), lid);
  if (lid == 0u) {
    part_out[2u * g] = vec4<f32>(m, 0.0, 0.0, 0.0);
    part_out[2u * g + 1u] = s;
  }
}

@compute @workgroup_size(WG)
fn rows_finish(@builtin(workgroup_id) wid: vec3<u32>,
               @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let g = group_index(wid, nwg);
  if (g >= params.rows * params.nchunk) {
    return;
  }
  let row = g / params.nchunk;
  let c = g % params.nchunk;
  let p0 = row * params.nchunk;
  var m = 0.0;
  if (HAS_MAX) {
    var mt = -sm_inf();
    for (var j = lid; j < params.nchunk; j += WG) {
      mt = sm_max_nan(mt, part_in[2u * (p0 + j)].x);
    }
    m = wg_max(mt, lid);
  }
  var st4 = array<vec4<f32>, 2>(vec4<f32>(0.0), vec4<f32>(0.0));
  for (var j = lid; j < params.nchunk; j += WG) {
    st4 = sm_sum_add4(st4, rescale(part_in[2u * (p0 + j)].x, part_in[2u * (p0 + j) + 1u], m), params.one);
  }
  let s = wg_sum(sm_sum_value4(st4), lid);
  if (MODE == 4u) {
    if (lid == 0u && c == 0u) {
      st(params.base_out + row, row_loss(m, s));
    }
    return;
  }
  let first = c * params.chunk;
  let n = min(params.chunk, params.len - first);
  range_write(params.base_in + row * params.len + first, n, params.base_out + row * params.len + first, m, s, lid);
}

// one invocation per row (rows of up to SMALL elements): the row of a is read once into xs, and
// softmax / xentGrad keep e = exp(x - max) there between the sum and the write
const SMALL: u32 = 16u;

// A short row of `a` in a private array, and its max (NaN when the row holds NaN).
struct SmallRow {
  xs: array<f32, SMALL>,
  mx: f32,
}

fn small_row(start: u32, n: u32) -> SmallRow {
  var r: SmallRow;
  var nan = false;
  var mx = -sm_inf();
  for (var j = 0u; j < n; j++) {
    let v = ld_a(start + j);
    r.xs[j] = v;
    nan = nan || sm_is_nan(v);
    mx = max(mx, v);
  }
  r.mx = select(mx, sm_nan(), nan);
  return r;
}

@compute @workgroup_size(WG)
fn rows_small(@builtin(workgroup_id) wid: vec3<u32>,
              @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let row = group_index(wid, nwg) * WG + lid;
  if (row >= params.rows) {
    return;
  }
  let n = min(params.len, SMALL);
  let start = params.base_in + row * n;
  let r = small_row(start, n);
  var xs = r.xs;
  var m = 0.0;
  if (HAS_MAX) {
    m = r.mx;
  }
  let o = params.base_out + row * n;
  var s = vec4<f32>(0.0);
  if (MODE == 0u || MODE == 5u) {
    for (var j = 0u; j < n; j++) {
      var t = 0.0;
      if (MODE == 5u) {
        t = ld_b(start + j);
      }
      let q = elem_stats(xs[j], t, m);
      xs[j] = q.x + q.y;
      s += q;
    }
    for (var j = 0u; j < n; j++) {
      var t = 0.0;
      if (MODE == 5u) {
        t = ld_b(start + j);
      }
      st(o + j, stash_out(xs[j], t, m, s));
    }
    return;
  }
  for (var j = 0u; j < n; j++) {
    var t = 0.0;
    if (MODE >= 2u) {
      t = ld_b(start + j);
    }
    s += elem_stats(xs[j], t, m);
  }
  if (MODE == 4u) {
    st(params.base_out + row, row_loss(m, s));
    return;
  }
  for (var j = 0u; j < n; j++) {
    var t = 0.0;
    if (MODE >= 2u) {
      t = ld_b(start + j);
    }
    st(o + j, elem_out(xs[j], t, m, s));
  }
}

// MODE 6 on rows of up to SMALL: one invocation per row, the gradient of xentGrad and the loss of
// xent from one read of z and t, with the same sums in the same order as rows_small's modes 4 and
// 5 (so the same bits as the two ops).
@compute @workgroup_size(WG)
fn rows_small_xent_both(@builtin(workgroup_id) wid: vec3<u32>,
                        @builtin(num_workgroups) nwg: vec3<u32>,
                        @builtin(local_invocation_index) lid: u32) {
  let row = group_index(wid, nwg) * WG + lid;
  if (row >= params.rows) {
    return;
  }
  let n = min(params.len, SMALL);
  let start = params.base_in + row * n;
  let r = small_row(start, n);
  var xs = r.xs;
  let m = r.mx;
  var ts: array<f32, SMALL>;
  for (var j = 0u; j < n; j++) {
    ts[j] = ld_b(start + j);
  }
  var s = vec4<f32>(0.0);
  for (var j = 0u; j < n; j++) {
    let q = elem_stats(xs[j], ts[j], m);
    xs[j] = q.x + q.y;
    s += q;
  }
  let o = params.base_out + row * n;
  for (var j = 0u; j < n; j++) {
    st(o + j, stash_out(xs[j], ts[j], m, s));
  }
  row_loss_out[params.base_loss + row] = row_loss(m, s);
}

// ---- rows_reg / rows_lane: softmax (MODE 0) and log-softmax (MODE 1) with the row in registers.
// rows_reg: the WG lanes of a workgroup share a row of up to 4 * KN * WG elements, ROWS rows per
// workgroup one after the other; lane lid holds slots k < KN: the vec4 at k * WG + lid (VEC4),
// else the elements (4k + c) * WG + lid (adjacent lanes read adjacent addresses).
// rows_lane: one row of up to 4 * KN elements per lane, slot k = elements 4k .. 4k + 3.
// Padding is -Infinity. One read and one write of memory per element; per lane: max, then
// compensated sums (count of x == max, the other exp(x - max)) in four columns, then (rows_reg)
// red_max / red_sum across the lanes in a fixed order; the write pass recomputes exp(x - max)
// from the registers (the same bits as summed).

var<private> xc: array<vec4<f32>, KMAX>;

// element index of slot k, component c, for a lane `lane` of `lanes`
fn reg_elem(k: u32, c: u32, lanes: u32, lane: u32) -> u32 {
  if (VEC4) {
    return 4u * (k * lanes + lane) + c;
  }
  return (4u * k + c) * lanes + lane;
}

fn reg_load(start: u32, n: u32, k: u32, lanes: u32, lane: u32) -> vec4<f32> {
  var v = vec4<f32>(-sm_inf());
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
  let d = sm_two_diff4(x, mv, params.one);
  var y: vec4<f32>;
  if (MODE == 0u) {
    y = sm_exp_neg4(d[0], d[1], params.one) / t;
  } else {
    y = (d[0] - t) + d[1];
  }
  return select(y, vec4<f32>(sm_nan()), bad);
}

// One column block of the sums sweep: e^(x - m) added in (hi, lo) pairs, entries equal to the
// max counted instead (their 1s are added exactly at the end). Returns e^(x - m) (1 at the max).
fn lane_sum_add(acc: ptr<function, array<vec4<f32>, 2>>, cnt: ptr<function, vec4<f32>>, x: vec4<f32>, mv: vec4<f32>) -> vec4<f32> {
  let d = sm_two_diff4(x, mv, params.one);
  let e = sm_exp_neg4(d[0], d[1], params.one);
  let top = x == mv;
  *cnt += select(vec4<f32>(0.0), vec4<f32>(1.0), top);
  *acc = sm_sum_add4(*acc, select(e, vec4<f32>(0.0), top), params.one);
  return e;
}

// This lane's four columns as (count, hi, lo, 0).
fn lane_sums(acc: array<vec4<f32>, 2>, cnt: vec4<f32>) -> vec4<f32> {
  var hl = sm_two_sum(acc[0].x, acc[0].y, params.one);
  var lo = (acc[1].x + acc[1].y) + hl.y;
  hl = sm_two_sum(hl.x, acc[0].z, params.one);
  lo = (lo + acc[1].z) + hl.y;
  hl = sm_two_sum(hl.x, acc[0].w, params.one);
  lo = (lo + acc[1].w) + hl.y;
  return vec4<f32>((cnt.x + cnt.y) + (cnt.z + cnt.w), hl.x, lo, 0.0);
}

// `n` elements from `start` (0 for an idle lane of rows_lane), written from `o`
fn reg_row(start: u32, o: u32, n: u32, lanes: u32, lane: u32, lid: u32) {
  var mx = vec4<f32>(-sm_inf());
  var nan = false;
  for (var k = 0u; k < KN; k++) {
    let v = reg_load(start, n, k, lanes, lane);
    xc[k] = v;
    nan = nan || sm_any_nan4(v);
    mx = max(mx, v);
  }
  var m = select(max(max(mx.x, mx.y), max(mx.z, mx.w)), sm_nan(), nan);
  if (lanes > 1u) {
    m = red_max(m, lid);
  }
  let mv = vec4<f32>(m);
  var acc = array<vec4<f32>, 2>(vec4<f32>(0.0), vec4<f32>(0.0));
  var cnt = vec4<f32>(0.0);
  for (var k = 0u; k < KN; k++) {
    let e = lane_sum_add(&acc, &cnt, xc[k], mv);
    // softmax keeps e^(x - m) in the registers: the write divides it (one exponential per element)
    if (MODE == 0u) {
      xc[k] = e;
    }
  }
  var r = lane_sums(acc, cnt);
  if (lanes > 1u) {
    r = red_sum(r, lid);
  }
  let s = vec4<f32>(r.x, sm_sum_value(r.yz), 0.0, 0.0);
  let bad = vec4<bool>(!sm_is_finite(m));
  let t = row_norm(s);
  for (var k = 0u; k < KN; k++) {
    var y: vec4<f32>;
    if (MODE == 0u) {
      y = select(xc[k] / t, vec4<f32>(sm_nan()), bad);
    } else {
      y = row_out4(xc[k], mv, t, bad);
    }
    reg_store(o, n, k, lanes, lane, y);
  }
}

@compute @workgroup_size(WG)
fn rows_reg(@builtin(workgroup_id) wid: vec3<u32>,
            @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let g = group_index(wid, nwg);
  let n = params.len;
  for (var r = 0u; r < ROWS; r++) {
    let row = g * ROWS + r;
    if (row >= params.rows) {
      return;
    }
    reg_row(params.base_in + row * n, params.base_out + row * n, n, WG, lid, lid);
  }
}

@compute @workgroup_size(WG)
fn rows_lane(@builtin(workgroup_id) wid: vec3<u32>,
             @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let row = group_index(wid, nwg) * WG + lid;
  let n = select(0u, params.len, row < params.rows);
  reg_row(params.base_in + row * n, params.base_out + row * n, n, 1u, 0u, lid);
}

// ---- rows_reg2 / rows_reg_xent_both: the other modes (2 softmaxGrad, 3 logSoftmaxGrad, 4 xent,
// 5 xentGrad; 6 both) on medium rows, with rows_reg's lanes, slots and reductions. The rows of a
// and b are read once into registers (xc, tc); per lane, elem_stats of every element in compensated
// sums (slots in order, four columns added as rows' `range_sums` adds a vec4), then red_sum4 across
// the lanes in a fixed order; modes 5 and 6 keep e^(x - max) in xc for the write, as rows_reg.

var<private> tc: array<vec4<f32>, KMAX>;

// reg_load for b, padded with 0. A copy rather than one function over both arrays: a reference
// to b would make the softmax entries statically use (and need) binding 1.
fn reg_load_b(start: u32, n: u32, k: u32, lanes: u32, lane: u32) -> vec4<f32> {
  var v = vec4<f32>(0.0);
  if (VEC4) {
    let i = k * lanes + lane;
    if (i < (n >> 2u)) {
      v = b[(start >> 2u) + i];
    }
  } else {
    for (var c = 0u; c < 4u; c++) {
      let e = reg_elem(k, c, lanes, lane);
      if (e < n) {
        v[c] = ld_b(start + e);
      }
    }
  }
  return v;
}

// elem_stats of one slot (four elements), zero for padding
fn slot_stats(x: vec4<f32>, t: vec4<f32>, m: f32, valid: vec4<bool>) -> array<vec4<f32>, 4> {
  var q = array<vec4<f32>, 4>(elem_stats(x.x, t.x, m), elem_stats(x.y, t.y, m), elem_stats(x.z, t.z, m), elem_stats(x.w, t.w, m));
  for (var c = 0u; c < 4u; c++) {
    q[c] = select(vec4<f32>(0.0), q[c], valid[c]);
  }
  return q;
}

fn slot_valid(n: u32, k: u32, lanes: u32, lane: u32) -> vec4<bool> {
  return vec4<bool>(reg_elem(k, 0u, lanes, lane) < n, reg_elem(k, 1u, lanes, lane) < n,
                    reg_elem(k, 2u, lanes, lane) < n, reg_elem(k, 3u, lanes, lane) < n);
}

struct RowStats {
  m: f32,
  s: vec4<f32>,
}

// The row's max (modes with one) and sums; writes the per-element output of modes 2, 3, 5, 6.
fn reg_row2(start: u32, o: u32, n: u32, lid: u32) -> RowStats {
  var mx = vec4<f32>(-sm_inf());
  var nan = false;
  for (var k = 0u; k < KN; k++) {
    let v = reg_load(start, n, k, WG, lid);
    xc[k] = v;
    tc[k] = reg_load_b(start, n, k, WG, lid);
    nan = nan || sm_any_nan4(v);
    mx = max(mx, v);
  }
  var m = 0.0;
  if (HAS_MAX) {
    m = red_max(select(max(max(mx.x, mx.y), max(mx.z, mx.w)), sm_nan(), nan), lid);
  }
  var acc = array<vec4<f32>, 2>(vec4<f32>(0.0), vec4<f32>(0.0));
  for (var k = 0u; k < KN; k++) {
    let q = slot_stats(xc[k], tc[k], m, slot_valid(n, k, WG, lid));
    if (MODE >= 5u) {
      xc[k] = vec4<f32>(q[0].x + q[0].y, q[1].x + q[1].y, q[2].x + q[2].y, q[3].x + q[3].y);
    }
    acc = sm_sum_add4(acc, (q[0] + q[1]) + (q[2] + q[3]), params.one);
  }
  let s = red_sum4(sm_sum_value4(acc), lid);
  if (MODE != 4u) {
    for (var k = 0u; k < KN; k++) {
      let x = xc[k];
      let t = tc[k];
      var y: vec4<f32>;
      if (MODE >= 5u) {
        y = vec4<f32>(stash_out(x.x, t.x, m, s), stash_out(x.y, t.y, m, s), stash_out(x.z, t.z, m, s), stash_out(x.w, t.w, m, s));
      } else {
        y = vec4<f32>(elem_out(x.x, t.x, m, s), elem_out(x.y, t.y, m, s), elem_out(x.z, t.z, m, s), elem_out(x.w, t.w, m, s));
      }
      reg_store(o, n, k, WG, lid, y);
    }
  }
  return RowStats(m, s);
}

@compute @workgroup_size(WG)
fn rows_reg2(@builtin(workgroup_id) wid: vec3<u32>,
             @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let g = group_index(wid, nwg);
  let n = params.len;
  for (var r = 0u; r < ROWS; r++) {
    let row = g * ROWS + r;
    if (row >= params.rows) {
      return;
    }
    let rs = reg_row2(params.base_in + row * n, params.base_out + row * n, n, lid);
    if (MODE == 4u && lid == 0u) {
      st(params.base_out + row, row_loss(rs.m, rs.s));
    }
  }
}

// MODE 6 on medium rows: rows_reg2's gradient, and each row's loss into row_loss_out
@compute @workgroup_size(WG)
fn rows_reg_xent_both(@builtin(workgroup_id) wid: vec3<u32>,
                      @builtin(num_workgroups) nwg: vec3<u32>,
                      @builtin(local_invocation_index) lid: u32) {
  let g = group_index(wid, nwg);
  let n = params.len;
  for (var r = 0u; r < ROWS; r++) {
    let row = g * ROWS + r;
    if (row >= params.rows) {
      return;
    }
    let rs = reg_row2(params.base_in + row * n, params.base_out + row * n, n, lid);
    if (lid == 0u) {
      row_loss_out[params.base_loss + row] = row_loss(rs.m, rs.s);
    }
  }
}

// one invocation per column (outer o, inner i) of a [outer, L, inner] view; blocked sums of 32
@compute @workgroup_size(WG)
fn strided(@builtin(workgroup_id) wid: vec3<u32>,
           @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let col = group_index(wid, nwg) * WG + lid;
  if (col >= params.rows) {
    return;
  }
  let n = params.len;
  let inner = params.inner;
  let o = col / inner;
  let i = col % inner;
  let start = params.base_in + o * n * inner + i;
  var m = 0.0;
  if (HAS_MAX) {
    m = -sm_inf();
    for (var j = 0u; j < n; j++) {
      m = sm_max_nan(m, ld_a(start + j * inner));
    }
  }
  var s = vec4<f32>(0.0);
  var block = vec4<f32>(0.0);
  for (var j = 0u; j < n; j++) {
    let k = start + j * inner;
    block += elem_stats(ld_a(k), ld_b(k), m);
    if ((j & 31u) == 31u) {
      s += block;
      block = vec4<f32>(0.0);
    }
  }
  s += block;
  let os = params.base_out + o * n * inner + i;
  for (var j = 0u; j < n; j++) {
    let k = j * inner;
    st(os + k, elem_out(ld_a(start + k), ld_b(start + k), m, s));
  }
}

// ---- rows_long / long_stats + long_write: softmax (MODE 0) and log-softmax (MODE 1) of rows
// longer than rows_reg takes. The WG lanes (one subgroup where the composer chose subgroups)
// stream over a range of the row: vec4 j = lane, lane + WG, ... (VEC4), else the elements
// (4k + c) * WG + lane (reg_load / reg_store with slot k). Three sweeps, all with the exact row
// (or chunk) max as reference, as rows_reg: max (NaN by integer max of the bits: lavapipe's max
// drops NaN), then compensated sums of (count of x == max, the other exp(x - max)), then the
// write, which recomputes exp(x - max) for softmax (the same bits as summed; stashing e in out
// and dividing it in the write sweep measured slower on lavapipe). rows_long: one workgroup per
// row. Few long rows: long_stats writes one partial (max, count, rest hi, rest lo) per chunk of
// params.chunk elements into part_out, and long_write combines the partials of the row (every
// lane, in the same fixed order; a chunk whose max is below the row max is scaled by
// exp(chunk max - row max), one rounding more) and writes its chunk.

fn long_slots(n: u32) -> u32 {
  return (n + 4u * WG - 1u) / (4u * WG);
}

fn long_max(start: u32, n: u32, lane: u32, lid: u32) -> f32 {
  var mx = vec4<f32>(-sm_inf());
  var mb = vec4<u32>(0u);
  for (var k = 0u; k < long_slots(n); k++) {
    let v = reg_load(start, n, k, WG, lane);
    mb = max(mb, bitcast<vec4<u32>>(v) & vec4<u32>(0x7fffffffu));
    mx = max(mx, v);
  }
  let nan = any(mb > vec4<u32>(SM_INF_BITS));
  return red_max(select(max(max(mx.x, mx.y), max(mx.z, mx.w)), sm_nan(), nan), lid);
}

// (count of x == m, rest hi, rest lo, 0) over the lanes
fn long_sums(start: u32, n: u32, m: f32, lane: u32, lid: u32) -> vec4<f32> {
  let mv = vec4<f32>(m);
  var acc = array<vec4<f32>, 2>(vec4<f32>(0.0), vec4<f32>(0.0));
  var cnt = vec4<f32>(0.0);
  for (var k = 0u; k < long_slots(n); k++) {
    _ = lane_sum_add(&acc, &cnt, reg_load(start, n, k, WG, lane), mv);
  }
  return red_sum(lane_sums(acc, cnt), lid);
}

// the write sweep, s = (count, rest)
fn long_write_range(start: u32, o: u32, n: u32, m: f32, s: vec4<f32>, lane: u32) {
  let mv = vec4<f32>(m);
  let bad = vec4<bool>(!sm_is_finite(m));
  let t = row_norm(s);
  for (var k = 0u; k < long_slots(n); k++) {
    reg_store(o, n, k, WG, lane, row_out4(reg_load(start, n, k, WG, lane), mv, t, bad));
  }
}

@compute @workgroup_size(WG)
fn rows_long(@builtin(workgroup_id) wid: vec3<u32>,
             @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let row = group_index(wid, nwg);
  if (row >= params.rows) {
    return;
  }
  let n = params.len;
  let start = params.base_in + row * n;
  let o = params.base_out + row * n;
  let m = long_max(start, n, lid, lid);
  let r = long_sums(start, n, m, lid, lid);
  long_write_range(start, o, n, m, vec4<f32>(r.x, sm_sum_value(r.yz), 0.0, 0.0), lid);
}

@compute @workgroup_size(WG)
fn long_stats(@builtin(workgroup_id) wid: vec3<u32>,
              @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let g = group_index(wid, nwg);
  if (g >= params.rows * params.nchunk) {
    return;
  }
  let row = g / params.nchunk;
  let first = (g % params.nchunk) * params.chunk;
  let n = min(params.chunk, params.len - first);
  let start = params.base_in + row * params.len + first;
  let m = long_max(start, n, lid, lid);
  let r = long_sums(start, n, m, lid, lid);
  if (lid == 0u) {
    part_out[g] = vec4<f32>(m, r.x, r.y, r.z);
  }
}

@compute @workgroup_size(WG)
fn long_write(@builtin(workgroup_id) wid: vec3<u32>,
              @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let g = group_index(wid, nwg);
  if (g >= params.rows * params.nchunk) {
    return;
  }
  let row = g / params.nchunk;
  let p0 = row * params.nchunk;
  // the row max, then the chunks' sums moved to it (exactly when the chunk max is the row max)
  var m = -sm_inf();
  for (var j = 0u; j < params.nchunk; j++) {
    m = sm_max_nan(m, part_in[p0 + j].x);
  }
  var cnt = 0.0;
  var acc = vec2<f32>(0.0);
  for (var j = 0u; j < params.nchunk; j++) {
    let p = part_in[p0 + j];
    if (p.x == m) {
      cnt += p.y;
      acc = sm_sum_add(acc, p.z, params.one);
      acc.y += p.w;
    } else {
      let d = sm_two_diff(p.x, m, params.one);
      let f = sm_exp2(d.x, d.y);
      let t = sm_two_sum(p.y, p.z, params.one);
      acc = sm_sum_add(acc, t.x * f, params.one);
      acc.y += (t.y + p.w) * f;
    }
  }
  let s = vec4<f32>(cnt, sm_sum_value(acc), 0.0, 0.0);
  let first = (g % params.nchunk) * params.chunk;
  let n = min(params.chunk, params.len - first);
  let off = row * params.len + first;
  long_write_range(params.base_in + off, params.base_out + off, n, m, s, lid);
}
