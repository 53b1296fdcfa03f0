// Losses over [rows, len] (len = the last axis), one invocation per row, compensated sums.
//   forward:    out[row] = per-sample loss (LOSS: mse = mean (p-t)^2, mae = mean |p-t|,
//               halfSquaredError = sum (p-t)^2 / 2, binaryCrossentropy (p clipped), from logits,
//               categoricalCrossentropy of p / sum(p) clipped); terms with t = 0 add nothing to
//               the cross-entropies; BCE targets outside [0, 1] give NaN.
//   backward:   dp = scale * d(per-sample loss)/dp (clip derivative 1 inside the clip range, 0 outside)
//   one_hot:    out[row, k] = k == labels[row]; a row whose label is not an integer in [0, len)
//               is all NaN (so its loss is NaN)
//   reduce_sum: out[group] = scale * sum of WG * PER inputs (fixed order: deterministic)
// LOSS is a value id of lib/ids.wgsl (the semantics table, src/losses/table.ts).
// Requires: lib/math.wgsl, lib/ids.wgsl, lib/loss_terms.wgsl.

override LOSS: u32 = 0u;
override WG: u32 = 64u;
override PER: u32 = 16u;

struct Params {
  rows: u32,
  len: u32,
  base_in: u32,
  base_out: u32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read> pred: array<f32>;
@group(0) @binding(1) var<storage, read> tgt: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> red: array<f32, WG>;

fn bad_target(t: f32) -> bool {
  return m_is_nan(t) || t < 0.0 || t > 1.0;
}

// The element terms come from lib/loss_terms.wgsl; the op adds what the trainers check on the
// host: a binary target outside [0, 1] (or NaN) makes the term NaN.
fn term(p: f32, t: f32) -> f32 {
  if ((LOSS == VALUE_BCE || LOSS == VALUE_BCE_LOGITS) && (bad_target(t) || m_is_nan(p))) {
    return m_nan(0.0);
  }
  return loss_term(LOSS, p, t);
}

fn term_grad(p: f32, t: f32) -> f32 {
  if ((LOSS == VALUE_BCE || LOSS == VALUE_BCE_LOGITS) && (bad_target(t) || m_is_nan(p))) {
    return m_nan(0.0);
  }
  return loss_term_grad(LOSS, p, t);
}

fn row_sum_p(start: u32, n: u32) -> f32 {
  var acc = vec2<f32>(0.0);
  for (var k = 0u; k < n; k++) {
    acc = m_sum_add(acc, pred[start + k]);
  }
  return m_sum_value(acc);
}

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>,
           @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let row = (wid.y * nwg.x + wid.x) * WG + lid;
  if (row >= params.rows) {
    return;
  }
  let n = params.len;
  let start = params.base_in + row * n;
  var acc = vec2<f32>(0.0);
  if (LOSS == VALUE_CCE) {
    let s = row_sum_p(start, n);
    for (var k = 0u; k < n; k++) {
      let t = tgt[start + k];
      let p = pred[start + k];
      if (t != 0.0 || m_is_nan(t) || m_is_nan(p)) {
        acc = m_sum_add(acc, -loss_cce_term(t, p / s));
      }
    }
  } else {
    for (var k = 0u; k < n; k++) {
      acc = m_sum_add(acc, term(pred[start + k], tgt[start + k]));
    }
  }
  var v = m_sum_value(acc);
  if (LOSS != VALUE_HALF_SQUARED_ERROR && LOSS != VALUE_CCE) {
    v = v / f32(n);
  }
  out[params.base_out + row] = v;
}

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3<u32>,
            @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let row = (wid.y * nwg.x + wid.x) * WG + lid;
  if (row >= params.rows) {
    return;
  }
  let n = params.len;
  let start = params.base_in + row * n;
  let o = params.base_out + row * n;
  if (LOSS == VALUE_CCE) {
    // L = -sum t_k log c(u_k), u = p / S:  dL/dp_j = (A - t_j c'_j / c_j) / S,  A = sum t_k c'_k u_k / c_k
    let s = row_sum_p(start, n);
    var acc = vec2<f32>(0.0);
    for (var k = 0u; k < n; k++) {
      let u = pred[start + k] / s;
      acc = m_sum_add(acc, loss_cce_share(tgt[start + k], u));
    }
    let a_sum = m_sum_value(acc);
    for (var k = 0u; k < n; k++) {
      let u = pred[start + k] / s;
      let t = tgt[start + k];
      out[o + k] = params.scale * loss_cce_grad(t, u, a_sum, s);
    }
    return;
  }
  var scale = params.scale;
  if (LOSS != VALUE_HALF_SQUARED_ERROR) {
    scale = scale / f32(n);
  }
  for (var k = 0u; k < n; k++) {
    out[o + k] = scale * term_grad(pred[start + k], tgt[start + k]);
  }
}

@compute @workgroup_size(WG)
fn one_hot(@builtin(workgroup_id) wid: vec3<u32>,
           @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  if (i >= params.rows * params.len) {
    return;
  }
  let row = i / params.len;
  let k = i % params.len;
  let label = tgt[params.base_in + row];
  let valid = !m_is_nan(label) && label >= 0.0 && label < f32(params.len) && floor(label) == label;
  out[params.base_out + i] = select(m_nan(0.0), select(0.0, 1.0, u32(label) == k), valid);
}

@compute @workgroup_size(WG)
fn reduce_sum(@builtin(workgroup_id) wid: vec3<u32>,
              @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lid: u32) {
  let g = wid.y * nwg.x + wid.x;
  let first = g * WG * PER;
  if (first >= params.rows) {
    return;
  }
  var acc = vec2<f32>(0.0);
  for (var k = 0u; k < PER; k++) {
    let i = first + k * WG + lid;
    if (i < params.rows) {
      acc = m_sum_add(acc, pred[params.base_in + i]);
    }
  }
  red[lid] = m_sum_value(acc);
  workgroupBarrier();
  // fixed pairwise tree
  for (var w = WG / 2u; w > 0u; w = w / 2u) {
    if (lid < w) {
      red[lid] = red[lid] + red[lid + w];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    out[params.base_out + g] = params.scale * red[0];
  }
}
