// Tiled matrix product C[M, N] = op(A) op(B), op = transpose when TRANS_A / TRANS_B.
//   A: [M, K] (TRANS_A: [K, M]), B: [K, N] (TRANS_B: [N, K]), all row-major float32.
// Each workgroup computes a TM x TN tile of C (TM = TN = 16 * RM, RN = 4), staging TK-deep
// slices of A and B in workgroup memory; each invocation keeps an RM x 4 block of sums in
// registers and accumulates over k in natural order (k = 0, 1, ...) with one multiply-add each.
// VEC_A / VEC_B: the operand's rows are multiples of 4 floats, so slices load as vec4.

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override VEC_A: bool = false;
override VEC_B: bool = false;

const TK: u32 = 16u;
const RM: u32 = 4u;
const TM: u32 = 64u;
const TN: u32 = 64u;
const WG: u32 = 256u;

struct Params {
  m: u32,
  k: u32,
  n: u32,
  // number of tiles along N
  tiles_n: u32,
}

@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

// a_tile[k][m / 4], b_tile[k][n / 4]: both read as vec4 along the output dimension.
var<workgroup> a_tile: array<array<vec4<f32>, 16>, 16>;
var<workgroup> b_tile: array<array<vec4<f32>, 16>, 16>;

fn load_a(row: u32, col: u32) -> f32 {
  // element (row, col) of op(A), zero outside
  if (row >= params.m || col >= params.k) {
    return 0.0;
  }
  var i = row * params.k + col;
  if (TRANS_A) {
    i = col * params.m + row;
  }
  return a[i >> 2u][i & 3u];
}

fn load_b(row: u32, col: u32) -> f32 {
  if (row >= params.k || col >= params.n) {
    return 0.0;
  }
  var i = row * params.n + col;
  if (TRANS_B) {
    i = col * params.k + row;
  }
  return b[i >> 2u][i & 3u];
}

// Loads the TM x TK slice of op(A) at (m0, k0) and the TK x TN slice of op(B) at (k0, n0).
fn stage(lid: u32, m0: u32, n0: u32, k0: u32) {
  if (VEC_A && !TRANS_A) {
    // one vec4 along k per invocation: row lid / 4, k = 4 * (lid % 4) ..
    let r = lid >> 2u;
    let kq = (lid & 3u) * 4u;
    let row = m0 + r;
    var v = vec4<f32>(0.0);
    if (row < params.m && k0 + kq < params.k) {
      v = a[(row * params.k + k0 + kq) >> 2u];
    }
    a_tile[kq][r >> 2u][r & 3u] = v.x;
    a_tile[kq + 1u][r >> 2u][r & 3u] = v.y;
    a_tile[kq + 2u][r >> 2u][r & 3u] = v.z;
    a_tile[kq + 3u][r >> 2u][r & 3u] = v.w;
  } else if (VEC_A && TRANS_A) {
    // A is [K, M]: one vec4 along m per invocation
    let kk = lid >> 4u;
    let mq = lid & 15u;
    var v = vec4<f32>(0.0);
    if (k0 + kk < params.k && m0 + mq * 4u < params.m) {
      v = a[((k0 + kk) * params.m + m0 + mq * 4u) >> 2u];
    }
    a_tile[kk][mq] = v;
  } else {
    for (var e = 0u; e < 4u; e++) {
      let idx = lid + e * WG;
      var r = idx / TK;
      var kk = idx % TK;
      if (TRANS_A) {
        r = idx % TM;
        kk = idx / TM;
      }
      a_tile[kk][r >> 2u][r & 3u] = load_a(m0 + r, k0 + kk);
    }
  }
  if (VEC_B && !TRANS_B) {
    let kk = lid >> 4u;
    let nq = lid & 15u;
    var v = vec4<f32>(0.0);
    if (k0 + kk < params.k && n0 + nq * 4u < params.n) {
      v = b[((k0 + kk) * params.n + n0 + nq * 4u) >> 2u];
    }
    b_tile[kk][nq] = v;
  } else if (VEC_B && TRANS_B) {
    // B is [N, K]: one vec4 along k per invocation
    let cidx = lid >> 2u;
    let kq = (lid & 3u) * 4u;
    var v = vec4<f32>(0.0);
    if (n0 + cidx < params.n && k0 + kq < params.k) {
      v = b[((n0 + cidx) * params.k + k0 + kq) >> 2u];
    }
    b_tile[kq][cidx >> 2u][cidx & 3u] = v.x;
    b_tile[kq + 1u][cidx >> 2u][cidx & 3u] = v.y;
    b_tile[kq + 2u][cidx >> 2u][cidx & 3u] = v.z;
    b_tile[kq + 3u][cidx >> 2u][cidx & 3u] = v.w;
  } else {
    for (var e = 0u; e < 4u; e++) {
      let idx = lid + e * WG;
      var kk = idx / TN;
      var col = idx % TN;
      if (TRANS_B) {
        kk = idx % TK;
        col = idx / TK;
      }
      b_tile[kk][col >> 2u][col & 3u] = load_b(k0 + kk, n0 + col);
    }
  }
}

@compute @workgroup_size(16, 16)
fn forward(@builtin(workgroup_id) wid: vec3<u32>,
           @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_id) lid3: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  // Grids past 65,535 workgroups are folded into 2-D by the scheduler.
  let tile = wid.y * nwg.x + wid.x;
  let m0 = (tile / params.tiles_n) * TM;
  let n0 = (tile % params.tiles_n) * TN;
  if (m0 >= params.m) {
    return;
  }
  let tx = lid3.x;
  let ty = lid3.y;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < params.k; k0 += TK) {
    stage(lid, m0, n0, k0);
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let av = a_tile[kk][ty];
      let bv = b_tile[kk][tx];
      acc[0] = fma(vec4<f32>(av.x), bv, acc[0]);
      acc[1] = fma(vec4<f32>(av.y), bv, acc[1]);
      acc[2] = fma(vec4<f32>(av.z), bv, acc[2]);
      acc[3] = fma(vec4<f32>(av.w), bv, acc[3]);
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < RM; i++) {
    let row = m0 + ty * RM + i;
    let col = n0 + tx * 4u;
    if (row < params.m) {
      for (var j = 0u; j < 4u; j++) {
        if (col + j < params.n) {
          c[row * params.n + col + j] = acc[i][j];
        }
      }
    }
  }
}
