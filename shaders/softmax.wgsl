// Softmax family (MODE: lib/rows.wgsl) with workgroup-memory reductions, every mode:
//   rows             one workgroup per row (rows up to 8192 here)
//   rows_partial + rows_finish   several workgroups per long row: per-chunk max and sums, then
//                    every chunk combines all partials of its row in the same fixed order
//   rows_small       one invocation per row of up to SMALL elements
//   rows_xent_both, rows_small_xent_both   MODE 6 on medium / short rows
//   strided          one invocation per column of a non-last axis
// Requires: lib/math.wgsl, lib/rows.wgsl.

// this invocation's max over elements [start, start + n), strided by WG
fn range_max(start: u32, n: u32, lid: u32) -> f32 {
  var m = m_inf(-1.0);
  var nan = false;
  if (VEC4) {
    let s4 = start >> 2u;
    for (var j = lid; j < (n >> 2u); j += WG) {
      let v = a[s4 + j];
      nan = nan || m_any_nan4(v);
      m = max(m, max(max(v.x, v.y), max(v.z, v.w)));
    }
  } else {
    for (var j = lid; j < n; j += WG) {
      let v = ld_a(start + j);
      nan = nan || m_is_nan(v);
      m = max(m, v);
    }
  }
  return select(m, m_nan(0.0), nan);
}

fn range_sums(start: u32, n: u32, m: f32, lid: u32) -> vec4<f32> {
  var s = array<vec4<f32>, 2>(vec4<f32>(0.0), vec4<f32>(0.0));
  if (VEC4) {
    let s4 = start >> 2u;
    for (var j = lid; j < (n >> 2u); j += WG) {
      s = m_sum_add4(s, elem_stats4(a[s4 + j], b[s4 + j], m));
    }
  } else {
    for (var j = lid; j < n; j += WG) {
      s = m_sum_add4(s, elem_stats(ld_a(start + j), ld_b(start + j), m));
    }
  }
  return m_sum_value4(s);
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
      s = m_sum_add4(s, (q0 + q1) + (q2 + q3));
    }
  } else {
    for (var j = lid; j < n; j += WG) {
      let q = elem_stats(ld_a(start + j), ld_b(start + j), m);
      st(out_start + j, q.x + q.y);
      s = m_sum_add4(s, q);
    }
  }
  return m_sum_value4(s);
}

// the write pass of `rows` after range_sums_stash
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
    var mt = m_inf(-1.0);
    for (var j = lid; j < params.nchunk; j += WG) {
      mt = m_max_nan(mt, part_in[2u * (p0 + j)].x);
    }
    m = wg_max(mt, lid);
  }
  var st4 = array<vec4<f32>, 2>(vec4<f32>(0.0), vec4<f32>(0.0));
  for (var j = lid; j < params.nchunk; j += WG) {
    st4 = m_sum_add4(st4, rescale(part_in[2u * (p0 + j)].x, part_in[2u * (p0 + j) + 1u], m));
  }
  let s = wg_sum(m_sum_value4(st4), lid);
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
  var mx = m_inf(-1.0);
  for (var j = 0u; j < n; j++) {
    let v = ld_a(start + j);
    r.xs[j] = v;
    nan = nan || m_is_nan(v);
    mx = max(mx, v);
  }
  r.mx = select(mx, m_nan(0.0), nan);
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
    m = m_inf(-1.0);
    for (var j = 0u; j < n; j++) {
      m = m_max_nan(m, ld_a(start + j * inner));
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
