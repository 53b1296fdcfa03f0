// Softmax (MODE 0) and log-softmax (MODE 1, lib/rows.wgsl) of rows longer than rows_reg takes.
// Requires: lib/math.wgsl, lib/rows.wgsl, and lib/reduce_subgroup.wgsl or lib/reduce_workgroup.wgsl.
// The WG lanes (one subgroup with lib/reduce_subgroup.wgsl)
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
  var mx = vec4<f32>(m_inf(-1.0));
  var mb = vec4<u32>(0u);
  for (var k = 0u; k < long_slots(n); k++) {
    let v = reg_load(start, n, k, WG, lane);
    mb = max(mb, bitcast<vec4<u32>>(v) & vec4<u32>(0x7fffffffu));
    mx = max(mx, v);
  }
  let nan = any(mb > vec4<u32>(0x7f800000u));
  return red_max(select(max(max(mx.x, mx.y), max(mx.z, mx.w)), m_nan(0.0), nan), lid);
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
  let bad = vec4<bool>(!m_is_finite(m));
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
  long_write_range(start, o, n, m, vec4<f32>(r.x, m_sum_value(r.yz), 0.0, 0.0), lid);
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
  var m = m_inf(-1.0);
  for (var j = 0u; j < params.nchunk; j++) {
    m = m_max_nan(m, part_in[p0 + j].x);
  }
  var cnt = 0.0;
  var acc = vec2<f32>(0.0);
  for (var j = 0u; j < params.nchunk; j++) {
    let p = part_in[p0 + j];
    if (p.x == m) {
      cnt += p.y;
      acc = m_sum_add(acc, p.z);
      acc.y += p.w;
    } else {
      let d = m_two_diff(p.x, m);
      let f = m_fexp(d.x, d.y, 0);
      let t = m_two_sum(p.y, p.z);
      acc = m_sum_add(acc, t.x * f);
      acc.y += (t.y + p.w) * f;
    }
  }
  let s = vec4<f32>(cnt, m_sum_value(acc), 0.0, 0.0);
  let first = (g % params.nchunk) * params.chunk;
  let n = min(params.chunk, params.len - first);
  let off = row * params.len + first;
  long_write_range(params.base_in + off, params.base_out + off, n, m, s, lid);
}
