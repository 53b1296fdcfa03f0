// Dense layer and matrix product: one GEMM core with a fused epilogue (bias, z, activation).
//   forward:     out[M, N] = act(op(A) op(B) + bias), z_out = the pre-activation (KEEP_Z)
//                dense: A = x [N, C], B = kernel [C, K]; matmul: no bias, identity
//   backward_db: dz = act_backward(z, dy) and out[j] = sum_i dz[i, j], rows in order
//                (deterministic, no atomics); runs first, its dz feeds the two products:
//   backward_dx: out = dz kernel^T
//   backward_dw: out = x^T dz
// Every sum runs over k in natural order, one multiply and one add per term.
// `*_direct` entries: the same products without workgroup memory, for CPU adapters (lavapipe)
// where barriers are slow; the others stage TK-deep slices in workgroup memory for real GPUs.
// Requires: lib/math.wgsl, lib/custom_activation.wgsl, lib/activations.wgsl.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
// rows of the operand as stored are whole vec4s (its row length is a multiple of 4)
override VEC_A: bool = false;
override VEC_B: bool = false;
override HAS_BIAS: bool = false;
// forward applies act_forward (ACTIVATION) after the bias
override FUSE_ACT: bool = false;
override KEEP_Z: bool = false;
// backward_db: dy is multiplied by f'(z) (and dz written out)
override DZ: bool = false;
// m, k and n are all multiples of 4: every 4 x 4 block and k-step of the direct entries is
// whole, so their edge checks fold away
override ALIGNED: bool = false;
override DIRECT_WG_X: u32 = 8u;
override DIRECT_WG_Y: u32 = 4u;

// Tiled: a 16 x 16 workgroup computes a 64 x 64 tile, 4 x 4 per invocation.
const TK: u32 = 32u;

struct Params {
  p: vec4<f32>,
  // op(A) is [m, k], op(B) is [k, n]
  m: u32,
  k: u32,
  n: u32,
  // workgroups along n (tiles of 64 columns, or DIRECT_WG_X * 4 in the direct entries)
  tiles_n: u32,
}

@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
// pre-activation z (backward_db)
@group(0) @binding(3) var<storage, read> z: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
// forward: the pre-activation (KEEP_Z); backward_db: dz
@group(0) @binding(5) var<storage, read_write> z_out: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

var<workgroup> a_tile: array<array<vec4<f32>, 16>, TK>;
var<workgroup> b_tile: array<array<vec4<f32>, 16>, TK>;

// Four consecutive floats of a (b) from flat index q, lanes >= count zeroed. With VEC_* the
// caller guarantees q % 4 == 0 and count == 4; otherwise the four may straddle two vec4s.
fn load4_a(q: u32, count: u32) -> vec4<f32> {
  if (VEC_A) {
    return a[q >> 2u];
  }
  return mask4(shift4(a[q >> 2u], a[(q >> 2u) + 1u], q & 3u), count);
}

fn load4_b(q: u32, count: u32) -> vec4<f32> {
  if (VEC_B) {
    return b[q >> 2u];
  }
  return mask4(shift4(b[q >> 2u], b[(q >> 2u) + 1u], q & 3u), count);
}

// Elements o..o+3 of the eight floats (v0, v1).
fn shift4(v0: vec4<f32>, v1: vec4<f32>, o: u32) -> vec4<f32> {
  switch o {
    case 0u: { return v0; }
    case 1u: { return vec4<f32>(v0.yzw, v1.x); }
    case 2u: { return vec4<f32>(v0.zw, v1.xy); }
    default: { return vec4<f32>(v0.w, v1.xyz); }
  }
}

// Zeroes lanes >= count (a select, so that NaN or infinity past the edge cannot leak in).
fn mask4(v: vec4<f32>, count: u32) -> vec4<f32> {
  return select(vec4<f32>(0.0), v, vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(count));
}

// Rows r..r+3 of op(A) at columns k..k+3 (column i of the result = row r+i), zero outside.
fn block_a(r: u32, k: u32) -> mat4x4<f32> {
  let m = params.m;
  let kk = params.k;
  var blk = mat4x4<f32>();
  if (!TRANS_A) {
    // A is [m, k]: four rows of A
    if (ALIGNED || k < kk) {
      for (var i = 0u; i < 4u; i++) {
        if (ALIGNED || r + i < m) {
          blk[i] = load4_a((r + i) * kk + k, min(4u, kk - k));
        }
      }
    }
  } else {
    // A is [k, m]: four rows of A are columns of op(A)
    if (ALIGNED || r < m) {
      for (var j = 0u; j < 4u; j++) {
        if (ALIGNED || k + j < kk) {
          blk[j] = load4_a((k + j) * m + r, min(4u, m - r));
        }
      }
      blk = transpose(blk);
    }
  }
  return blk;
}

// Rows k..k+3 of op(B) at columns c..c+3 (column j of the result = row k+j), zero outside.
fn block_b(k: u32, c: u32) -> mat4x4<f32> {
  let kk = params.k;
  let n = params.n;
  var blk = mat4x4<f32>();
  if (!TRANS_B) {
    // B is [k, n]: four rows of B
    if (ALIGNED || c < n) {
      for (var j = 0u; j < 4u; j++) {
        if (ALIGNED || k + j < kk) {
          blk[j] = load4_b((k + j) * n + c, min(4u, n - c));
        }
      }
    }
  } else {
    // B is [n, k]: four rows of B are columns of op(B)
    if (ALIGNED || k < kk) {
      for (var i = 0u; i < 4u; i++) {
        if (ALIGNED || c + i < n) {
          blk[i] = load4_b((c + i) * kk + k, min(4u, kk - k));
        }
      }
      blk = transpose(blk);
    }
  }
  return blk;
}

// Stores the 4 x 4 block of sums at (r, c); forward: adds the bias, keeps z, applies act.
fn store_block(fwd: bool, r: u32, c: u32, acc: array<vec4<f32>, 4>) {
  let m = params.m;
  let n = params.n;
  for (var i = 0u; i < 4u; i++) {
    if (ALIGNED || r + i < m) {
      for (var j = 0u; j < 4u; j++) {
        if (ALIGNED || c + j < n) {
          let o = (r + i) * n + c + j;
          var v = acc[i][j];
          if (fwd) {
            if (HAS_BIAS) {
              v = v + bias[c + j];
            }
            if (KEEP_Z) {
              z_out[o] = v;
            }
            if (FUSE_ACT) {
              v = act_forward(v, params.p);
            }
          }
          out[o] = v;
        }
      }
    }
  }
}

// acc[i] += op(A)[r + i, k..k+3] op(B)[k..k+3, c..c+3], in order k, k+1, k+2, k+3.
fn mac(acc: ptr<function, array<vec4<f32>, 4>>, ab: mat4x4<f32>, bb: mat4x4<f32>) {
  for (var i = 0u; i < 4u; i++) {
    var s = (*acc)[i];
    s = s + ab[i].x * bb[0];
    s = s + ab[i].y * bb[1];
    s = s + ab[i].z * bb[2];
    s = s + ab[i].w * bb[3];
    (*acc)[i] = s;
  }
}

fn gemm_direct(fwd: bool, wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) {
  // Grids past 65,535 workgroups are folded into 2-D by the scheduler.
  let g = wid.y * nwg.x + wid.x;
  let r = ((g / params.tiles_n) * DIRECT_WG_Y + lid.y) * 4u;
  let c = ((g % params.tiles_n) * DIRECT_WG_X + lid.x) * 4u;
  if (r >= params.m || c >= params.n) {
    return;
  }
  var acc: array<vec4<f32>, 4>;
  for (var k = 0u; k < params.k; k += 4u) {
    mac(&acc, block_a(r, k), block_b(k, c));
  }
  store_block(fwd, r, c, acc);
}

fn gemm_tiled(fwd: bool, wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>, li: u32) {
  let g = wid.y * nwg.x + wid.x;
  let m0 = (g / params.tiles_n) * 64u;
  let n0 = (g % params.tiles_n) * 64u;
  // the whole workgroup leaves together (uniform), so the barriers below stay uniform
  if (m0 >= params.m) {
    return;
  }
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < params.k; k0 += TK) {
    // invocations 0..127 stage a 64 x 32 slice of op(A), 128..255 a 32 x 64 slice of op(B),
    // one 4 x 4 block each; a_tile[k][m / 4] and b_tile[k][n / 4] are read as vec4.
    let blk = li & 127u;
    let bm = blk & 15u;
    let bk = blk >> 4u;
    if (li < 128u) {
      let t = transpose(block_a(m0 + bm * 4u, k0 + bk * 4u));
      for (var j = 0u; j < 4u; j++) {
        a_tile[bk * 4u + j][bm] = t[j];
      }
    } else {
      let t = block_b(k0 + bk * 4u, n0 + bm * 4u);
      for (var j = 0u; j < 4u; j++) {
        b_tile[bk * 4u + j][bm] = t[j];
      }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let av = a_tile[kk][lid.y];
      let bv = b_tile[kk][lid.x];
      acc[0] = acc[0] + av.x * bv;
      acc[1] = acc[1] + av.y * bv;
      acc[2] = acc[2] + av.z * bv;
      acc[3] = acc[3] + av.w * bv;
    }
    workgroupBarrier();
  }
  store_block(fwd, m0 + lid.y * 4u, n0 + lid.x * 4u, acc);
}

@compute @workgroup_size(16, 16)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  gemm_tiled(true, wid, nwg, lid, li);
}

@compute @workgroup_size(DIRECT_WG_X, DIRECT_WG_Y)
fn forward_direct(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_id) lid: vec3<u32>) {
  gemm_direct(true, wid, nwg, lid);
}

// backward_dx / backward_dw: the same core, without the epilogue; the caller sets TRANS_*
// (src/kernels/dense.ts): dx = dz kernel^T is TRANS_B, dw = x^T dz is TRANS_A.
@compute @workgroup_size(16, 16)
fn backward_dx(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  gemm_tiled(false, wid, nwg, lid, li);
}

@compute @workgroup_size(DIRECT_WG_X, DIRECT_WG_Y)
fn backward_dx_direct(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                      @builtin(local_invocation_id) lid: vec3<u32>) {
  gemm_direct(false, wid, nwg, lid);
}

@compute @workgroup_size(16, 16)
fn backward_dw(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  gemm_tiled(false, wid, nwg, lid, li);
}

@compute @workgroup_size(DIRECT_WG_X, DIRECT_WG_Y)
fn backward_dw_direct(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                      @builtin(local_invocation_id) lid: vec3<u32>) {
  gemm_direct(false, wid, nwg, lid);
}

// dz = act_backward(z, dy) (DZ; else dz = dy) and db[j] = sum over rows i (in order) of
// dz[i, j]; dy is bound as a, [m rows, n columns], dz goes to z_out. One invocation per column.
@compute @workgroup_size(64)
fn backward_db(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) li: u32) {
  let j = (wid.y * nwg.x + wid.x) * 64u + li;
  if (j >= params.n) {
    return;
  }
  var s = 0.0;
  for (var i = 0u; i < params.m; i++) {
    let q = i * params.n + j;
    var v = a[q >> 2u][q & 3u];
    if (DZ) {
      v = act_backward(z[q >> 2u][q & 3u], v, params.p);
      z_out[q] = v;
    }
    s = s + v;
  }
  out[j] = s;
}
