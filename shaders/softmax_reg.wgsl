// Softmax family (MODE: lib/rows.wgsl) on rows held in registers: one read and one write of
// memory per element. Cross-lane reductions red_max / red_sum / red_sum4 come from
// lib/reduce_subgroup.wgsl (WG = one subgroup) or lib/reduce_workgroup.wgsl (WG = G * G).
// Requires: lib/math.wgsl, lib/rows.wgsl, and lib/reduce_subgroup.wgsl or lib/reduce_workgroup.wgsl.

// Register slots (vec4) per lane: the largest plan's (CPU adapters); plans on GPUs use KN <= 8,
// and KN is an override, so the loops over slots have constant trip counts.
const KMAX: u32 = 64u;
// vec4 slots per lane (<= KMAX), and rows per workgroup one after the other
override KN: u32 = 1u;
override ROWS: u32 = 1u;

// ---- rows_reg / rows_lane: softmax (MODE 0) and log-softmax (MODE 1).
// rows_reg: the WG lanes of a workgroup share a row of up to 4 * KN * WG elements, ROWS rows per
// workgroup one after the other; lane lid holds slots k < KN: the vec4 at k * WG + lid (VEC4),
// else the elements (4k + c) * WG + lid (adjacent lanes read adjacent addresses).
// rows_lane: one row of up to 4 * KN elements per lane, slot k = elements 4k .. 4k + 3.
// Padding is -Infinity. One read and one write of memory per element; per lane: max, then
// compensated sums (count of x == max, the other exp(x - max)) in four columns, then (rows_reg)
// red_max / red_sum across the lanes in a fixed order; the write pass recomputes exp(x - max)
// from the registers (the same bits as summed).

var<private> xc: array<vec4<f32>, KMAX>;

// `n` elements from `start` (0 for an idle lane of rows_lane), written from `o`
fn reg_row(start: u32, o: u32, n: u32, lanes: u32, lane: u32, lid: u32) {
  var mx = vec4<f32>(m_inf(-1.0));
  var nan = false;
  for (var k = 0u; k < KN; k++) {
    let v = reg_load(start, n, k, lanes, lane);
    xc[k] = v;
    nan = nan || m_any_nan4(v);
    mx = max(mx, v);
  }
  var m = select(max(max(mx.x, mx.y), max(mx.z, mx.w)), m_nan(0.0), nan);
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
  let s = vec4<f32>(r.x, m_sum_value(r.yz), 0.0, 0.0);
  let bad = vec4<bool>(!m_is_finite(m));
  let t = row_norm(s);
  for (var k = 0u; k < KN; k++) {
    var y: vec4<f32>;
    if (MODE == 0u) {
      y = select(xc[k] / t, vec4<f32>(m_nan(0.0)), bad);
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
  var mx = vec4<f32>(m_inf(-1.0));
  var nan = false;
  for (var k = 0u; k < KN; k++) {
    let v = reg_load(start, n, k, WG, lid);
    xc[k] = v;
    tc[k] = reg_load_b(start, n, k, WG, lid);
    nan = nan || m_any_nan4(v);
    mx = max(mx, v);
  }
  var m = 0.0;
  if (HAS_MAX) {
    m = red_max(select(max(max(mx.x, mx.y), max(mx.z, mx.w)), m_nan(0.0), nan), lid);
  }
  var acc = array<vec4<f32>, 2>(vec4<f32>(0.0), vec4<f32>(0.0));
  for (var k = 0u; k < KN; k++) {
    let q = slot_stats(xc[k], tc[k], m, slot_valid(n, k, WG, lid));
    if (MODE >= 5u) {
      xc[k] = vec4<f32>(q[0].x + q[0].y, q[1].x + q[1].y, q[2].x + q[2].y, q[3].x + q[3].y);
    }
    acc = m_sum_add4(acc, (q[0] + q[1]) + (q[2] + q[3]));
  }
  let s = red_sum4(m_sum_value4(acc), lid);
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
