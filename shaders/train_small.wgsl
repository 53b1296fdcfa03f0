// Whole-network training for small dense networks, specialised per network by override constants
// (layer sizes, activations, bias, loss, metrics), so the per-sample loops unroll and, for networks
// of up to 64 parameters and 32 units, the weights live in private arrays (registers once unrolled).
//   train:    one invocation runs n_epochs epochs: per mini-batch forward, loss, backward, update;
//             writes each epoch's loss and metrics to `logs`, optionally the last epoch's outputs.
//   predict:  one workgroup per sample, forward only.   evaluate: loss/metric means, 1 invocation.
//   The general (per-op) path uses: batch_metrics, act_forward / act_backward, gather_rows.
// float32, one rounding per operation in the per-op order: z = (sum_i a_i w_ij) + b_j,
// dW_ij += a_i dz_j, da_i = sum_j dz_j w_ij, then the optimizer step. Keras derivatives from the output y:
// sigmoid dy*y*(1-y), tanh dy*(1-y*y), relu y > 0. Weights Keras order: kernel [in, out], bias [out].
// logs: [epochs done, stop reason (below), stop epoch,
//        stride (1 + NM) per epoch, then (keep_out) the outputs [n, K] of the last epoch run].
// perm: [n] row order scratch, then the stop flag.
// Loss, metrics and their gradients come from lib/losses.wgsl (the same Keras conventions as the
// loss ops); layer codes and value ids are the named constants of lib/ids.wgsl.
// logs stop reasons: 0 none, 1 loss below, 2 loss not finite, 3 a weight not finite.
// Requires: lib/math.wgsl, lib/ids.wgsl, lib/loss_terms.wgsl, lib/losses.wgsl, lib/optimizers.wgsl, lib/custom_activation.wgsl.

const SMALLP: u32 = 64u;
const SMALLU: u32 = 32u;
const MAXP: u32 = 1536u;
const MAXU: u32 = 256u;

// GENERIC: one pipeline for every network, read from `netd` at run time (loops keep their
// bounds, so it compiles in a fraction of the time and is shared by all networks); otherwise the
// network is baked in by the override constants below (unrolled, faster per epoch). Both do the
// same float32 operations in the same order.
override GENERIC: bool = false;
// netd: [L, LOSS, NM, 0, D0..D8, A1..A8, B1..B8, M0..M7, U0..U8, P1..P9] (src/model/train-small.ts netDescriptor).
@group(0) @binding(2) var<storage, read> netd: array<u32>;
const MAXM: u32 = 8u;
// Entries copy the descriptor here first (load_net): lavapipe compiles each storage read inside a
// loop into code per SIMD lane with bounds checks and branches, a private read into a few
// instructions, and the descriptor is read everywhere.
var<private> nd: array<u32, 56>;
fn load_net() {
  if (GENERIC) {
    for (var i = 0u; i < 56u; i++) { nd[i] = netd[i]; }
  }
}

// The network: L layers, D0 inputs, Dl units, Al activation code, Bl bias, loss and metrics.
// Activation codes are the table ids ACT_IDENTITY, ACT_RELU, ACT_SIGMOID, ACT_TANH, ACT_SOFTMAX
// (last layer) and ACT_CUSTOM.
override L: u32 = 1u;
override D0: u32 = 1u;
override D1: u32 = 1u;
override D2: u32 = 0u;
override D3: u32 = 0u;
override D4: u32 = 0u;
override D5: u32 = 0u;
override D6: u32 = 0u;
override D7: u32 = 0u;
override D8: u32 = 0u;
override A1: u32 = 0u;
override A2: u32 = 0u;
override A3: u32 = 0u;
override A4: u32 = 0u;
override A5: u32 = 0u;
override A6: u32 = 0u;
override A7: u32 = 0u;
override A8: u32 = 0u;
override B1: bool = true;
override B2: bool = true;
override B3: bool = true;
override B4: bool = true;
override B5: bool = true;
override B6: bool = true;
override B7: bool = true;
override B8: bool = true;
// LOSS and M0..M7 are value ids (VALUE_*); sparse labels arrive as one-hot rows with VALUE_CCE.
override LOSS: u32 = 0u;
override NM: u32 = 0u;
override M0: u32 = 0u;
override M1: u32 = 0u;
override M2: u32 = 0u;
override M3: u32 = 0u;
override M4: u32 = 0u;
override M5: u32 = 0u;
override M6: u32 = 0u;
override M7: u32 = 0u;
// The optimizer kind of specialised train pipelines (OPT_ANY: read from the uniform).
const OPT_ANY: u32 = 255u;
override OPT_KIND: u32 = OPT_ANY;
// batch_metrics reads predictions from `wts` instead of the forward pass.
override PRED_IN_STORAGE: bool = false;
// act_forward / act_backward: the activation code of the elementwise step.
override EW_ACT: u32 = 0u;

// Unit offsets of layer outputs in a/z/d (the input row is at 0), parameter offsets per layer.
override U1: u32 = D0;
override U2: u32 = U1 + D1;
override U3: u32 = U2 + D2;
override U4: u32 = U3 + D3;
override U5: u32 = U4 + D4;
override U6: u32 = U5 + D5;
override U7: u32 = U6 + D6;
override U8: u32 = U7 + D7;
override P2: u32 = (D0 + 1u) * D1;
override P3: u32 = P2 + (D1 + 1u) * D2;
override P4: u32 = P3 + (D2 + 1u) * D3;
override P5: u32 = P4 + (D3 + 1u) * D4;
override P6: u32 = P5 + (D4 + 1u) * D5;
override P7: u32 = P6 + (D5 + 1u) * D6;
override P8: u32 = P7 + (D6 + 1u) * D7;
override P9: u32 = P8 + (D7 + 1u) * D8;

struct Params {
  epoch0: u32,
  n_epochs: u32,
  n: u32,
  batch: u32,
  seed: u32,
  shuffle: u32,
  // 1: rows carry sample weights (`sample_w`, Keras class_weight): the loss and its gradient scale by them.
  weighted: u32,
  n_slots: u32,
  stop_below: f32,
  use_stop: u32,
  keep_out: u32,
  slot: u32,
  // The optimizer (lib/optimizers.wgsl) and its iterations before this chunk.
  opt: OptStep,
  iter0: u32,
}

@group(0) @binding(0) var<storage, read> xs: array<f32>;
@group(0) @binding(1) var<storage, read> ys: array<f32>;
@group(0) @binding(3) var<storage, read_write> wts: array<f32>;
// Optimizer state [slots * P], slot-major (src/model/optimizers.ts).
@group(0) @binding(4) var<storage, read_write> opt_state: array<f32>;
@group(0) @binding(5) var<storage, read_write> logs: array<f32>;
@group(0) @binding(6) var<storage, read_write> perm: array<u32>;
@group(0) @binding(7) var<uniform> params: Params;
// Per-row weights of the training rows (batch_metrics: of the batch rows), when params.weighted.
@group(0) @binding(8) var<storage, read> sample_w: array<f32>;

fn row_weight(row: u32) -> f32 {
  if (params.weighted != 0u) { return sample_w[row]; }
  return 1.0;
}

// Two storage classes, chosen by SMALL: private arrays (registers once the loops unroll; their
// fixed size keeps compiles fast only when small) or workgroup arrays sized to the network
// (optimizer state then stays in `opt_state`: 2 x 1536 + 3 x 256 floats fit 16 KiB of workgroup memory).
override SMALL: bool = true;
override NPW: u32 = select(select(P9, MAXP, GENERIC), 1u, SMALL);
override NUW: u32 = select(select(U8 + D8, MAXU, GENERIC), 1u, SMALL);
var<private> w_s: array<f32, SMALLP>;
var<private> g_s: array<f32, SMALLP>;
var<private> s0_s: array<f32, SMALLP>;
var<private> s1_s: array<f32, SMALLP>;
var<private> s2_s: array<f32, SMALLP>;
var<private> z_s: array<f32, SMALLU>;
var<private> a_s: array<f32, SMALLU>;
var<private> d_s: array<f32, SMALLU>;
var<workgroup> w_l: array<f32, NPW>;
var<workgroup> g_l: array<f32, NPW>;
var<workgroup> z_l: array<f32, NUW>;
var<workgroup> a_l: array<f32, NUW>;
var<workgroup> d_l: array<f32, NUW>;
fn w_get(i: u32) -> f32 { if (SMALL) { return w_s[i]; } return w_l[i]; }
fn w_set(i: u32, x: f32) { if (SMALL) { w_s[i] = x; } else { w_l[i] = x; } }
fn g_get(i: u32) -> f32 { if (SMALL) { return g_s[i]; } return g_l[i]; }
fn g_set(i: u32, x: f32) { if (SMALL) { g_s[i] = x; } else { g_l[i] = x; } }
fn opt_get(k: u32, p: u32) -> f32 {
  if (SMALL) {
    switch k {
      case 0u: { return s0_s[p]; }
      case 1u: { return s1_s[p]; }
      default: { return s2_s[p]; }
    }
  }
  return opt_state[k * n_params() + p];
}
fn opt_set(k: u32, p: u32, x: f32) {
  if (SMALL) {
    switch k {
      case 0u: { s0_s[p] = x; }
      case 1u: { s1_s[p] = x; }
      default: { s2_s[p] = x; }
    }
  } else {
    opt_state[k * n_params() + p] = x;
  }
}
fn z_get(i: u32) -> f32 { if (SMALL) { return z_s[i]; } return z_l[i]; }
fn z_set(i: u32, x: f32) { if (SMALL) { z_s[i] = x; } else { z_l[i] = x; } }
fn a_get(i: u32) -> f32 { if (SMALL) { return a_s[i]; } return a_l[i]; }
fn a_set(i: u32, x: f32) { if (SMALL) { a_s[i] = x; } else { a_l[i] = x; } }
fn d_get(i: u32) -> f32 { if (SMALL) { return d_s[i]; } return d_l[i]; }
fn d_set(i: u32, x: f32) { if (SMALL) { d_s[i] = x; } else { d_l[i] = x; } }
var<private> msum: array<f32, MAXM>;

// With a constant argument (the callers' loops over layers are written out) these fold away.
fn dim(l: u32) -> u32 {
  if (GENERIC) { return nd[4u + l]; }
  switch l {
    case 0u: { return D0; }
    case 1u: { return D1; }
    case 2u: { return D2; }
    case 3u: { return D3; }
    case 4u: { return D4; }
    case 5u: { return D5; }
    case 6u: { return D6; }
    case 7u: { return D7; }
    default: { return D8; }
  }
}
fn act_of(l: u32) -> u32 {
  if (GENERIC) { return nd[12u + l]; }
  switch l {
    case 1u: { return A1; }
    case 2u: { return A2; }
    case 3u: { return A3; }
    case 4u: { return A4; }
    case 5u: { return A5; }
    case 6u: { return A6; }
    case 7u: { return A7; }
    default: { return A8; }
  }
}
fn has_bias(l: u32) -> bool {
  if (GENERIC) { return nd[20u + l] != 0u; }
  switch l {
    case 1u: { return B1; }
    case 2u: { return B2; }
    case 3u: { return B3; }
    case 4u: { return B4; }
    case 5u: { return B5; }
    case 6u: { return B6; }
    case 7u: { return B7; }
    default: { return B8; }
  }
}
fn unit_off(l: u32) -> u32 {
  if (GENERIC) { return nd[37u + l]; }
  switch l {
    case 0u: { return 0u; }
    case 1u: { return U1; }
    case 2u: { return U2; }
    case 3u: { return U3; }
    case 4u: { return U4; }
    case 5u: { return U5; }
    case 6u: { return U6; }
    case 7u: { return U7; }
    default: { return U8; }
  }
}
fn param_off(l: u32) -> u32 {
  if (GENERIC) { return nd[45u + l]; }
  switch l {
    case 1u: { return 0u; }
    case 2u: { return P2; }
    case 3u: { return P3; }
    case 4u: { return P4; }
    case 5u: { return P5; }
    case 6u: { return P6; }
    case 7u: { return P7; }
    case 8u: { return P8; }
    default: { return P9; }
  }
}
fn metric_id(m: u32) -> u32 {
  if (GENERIC) { return nd[29u + m]; }
  switch m {
    case 0u: { return M0; }
    case 1u: { return M1; }
    case 2u: { return M2; }
    case 3u: { return M3; }
    case 4u: { return M4; }
    case 5u: { return M5; }
    case 6u: { return M6; }
    default: { return M7; }
  }
}
fn n_layers() -> u32 { if (GENERIC) { return nd[0]; } return L; }
fn loss_id() -> u32 { if (GENERIC) { return nd[1]; } return LOSS; }
fn n_metrics() -> u32 { if (GENERIC) { return nd[2]; } return NM; }
fn n_params() -> u32 { return param_off(n_layers() + 1u); }
fn k_out() -> u32 { return dim(n_layers()); }

// sigmoid is the textbook float32 1 / (1 + e^-x) as Keras computes it; the seeds' digits need it.
fn act_fwd(code: u32, x: f32) -> f32 {
  switch code {
    case ACT_RELU: { return select(0.0, x, x > 0.0); }
    case ACT_SIGMOID: { return m_sigmoid_textbook(x); }
    case ACT_TANH: { return m_tanh(x); }
    case ACT_CUSTOM: { return custom_forward(x); }
    default: { return x; }
  }
}
// dL/dz from the output y (Keras' SigmoidGrad / TanhGrad); custom activations get x too.
fn act_bwd(code: u32, x: f32, y: f32, dy: f32) -> f32 {
  switch code {
    case ACT_RELU: { return select(0.0, dy, y > 0.0); }
    case ACT_SIGMOID: { return m_mul(m_mul(dy, y), 1.0 - y); }
    case ACT_TANH: { return m_mul(dy, 1.0 - m_mul(y, y)); }
    case ACT_CUSTOM: { return custom_backward(x, y, dy); }
    default: { return dy; }
  }
}

// ---- the fused network ----

fn layer_forward(l: u32) {
  let cin = dim(l - 1u);
  let cout = dim(l);
  let po = param_off(l);
  let ui = unit_off(l - 1u);
  let uo = unit_off(l);
  let code = act_of(l);
  // Softmax keeps z in `a` until the row is complete. Only a custom activation's derivative needs
  // z later (the others take the output y), so only then is it stored.
  for (var j = 0u; j < cout; j++) {
    var acc = 0.0;
    for (var i = 0u; i < cin; i++) { acc = acc + m_mul(a_get(ui + i), w_get(po + i * cout + j)); }
    let z = acc + w_get(po + cin * cout + j);
    if (CUSTOM_ACTIVATION) { z_set(uo + j, z); }
    a_set(uo + j, select(act_fwd(code, z), z, code == ACT_SOFTMAX));
  }
  if (code == ACT_SOFTMAX) {
    var mx = a_get(uo);
    for (var j = 1u; j < cout; j++) { mx = max(mx, a_get(uo + j)); }
    var s = 0.0;
    for (var j = 0u; j < cout; j++) {
      let e = m_exp(a_get(uo + j) - mx);
      a_set(uo + j, e);
      s = s + e;
    }
    for (var j = 0u; j < cout; j++) { a_set(uo + j, a_get(uo + j) / s); }
  }
}

// z of unit u for act_bwd: only a custom activation's derivative reads it.
fn z_for_bwd(u: u32) -> f32 {
  if (CUSTOM_ACTIVATION) { return z_get(u); }
  return 0.0;
}

// Forward pass of sample `row` with weights in `w`; fills z and a.
fn forward(row: u32) {
  let d0 = dim(0u);
  for (var i = 0u; i < d0; i++) { a_set(i, xs[row * d0 + i]); }
  if (GENERIC) {
    for (var l = 1u; l <= n_layers(); l++) { layer_forward(l); }
    return;
  }
  layer_forward(1u);
  if (L >= 2u) { layer_forward(2u); }
  if (L >= 3u) { layer_forward(3u); }
  if (L >= 4u) { layer_forward(4u); }
  if (L >= 5u) { layer_forward(5u); }
  if (L >= 6u) { layer_forward(6u); }
  if (L >= 7u) { layer_forward(7u); }
  if (L >= 8u) { layer_forward(8u); }
}

// Prediction i of the current sample: the forward pass, or (batch_metrics) a row in storage.
fn pred(yo: u32, i: u32) -> f32 {
  if (PRED_IN_STORAGE) { return wts[yo + i]; }
  return a_get(yo + i);
}

// The row lib/losses.wgsl reads: predictions at lv_yo (forward pass or storage), targets at lv_to.
var<private> lv_yo: u32;
var<private> lv_to: u32;
fn lv_pred(k: u32) -> f32 { return pred(lv_yo, k); }
fn lv_target(k: u32) -> f32 { return ys[lv_to + k]; }
fn lv_set_grad(k: u32, g: f32) { d_set(lv_yo + k, g); }

// Adds the loss and metric values of one sample (predictions at yo, targets of `row`). The loss
// and the metrics share one call of loss_row_value: every call is inlined, and a software adapter
// (lavapipe) compiles each copy, superlinearly in the kernel's size.
fn accumulate(yo: u32, row: u32, rw: f32, lsum: ptr<function, f32>) {
  lv_yo = yo;
  lv_to = row * k_out();
  for (var v = 0u; v <= n_metrics(); v++) {
    let x = loss_row_value(select(metric_id(v - 1u), loss_id(), v == 0u), k_out());
    if (v == 0u) {
      *lsum = *lsum + m_mul(x, rw);
    } else {
      msum[v - 1u] = msum[v - 1u] + x;
    }
  }
}

fn layer_backward(l: u32) {
  let cin = dim(l - 1u);
  let cout = dim(l);
  let po = param_off(l);
  let ui = unit_off(l - 1u);
  let uo = unit_off(l);
  for (var i = 0u; i < cin; i++) {
    for (var j = 0u; j < cout; j++) { g_set(po + i * cout + j, g_get(po + i * cout + j) + m_mul(a_get(ui + i), d_get(uo + j))); }
  }
  if (has_bias(l)) {
    for (var j = 0u; j < cout; j++) { g_set(po + cin * cout + j, g_get(po + cin * cout + j) + d_get(uo + j)); }
  }
  if (l > 1u) {
    let code_in = act_of(l - 1u);
    for (var i = 0u; i < cin; i++) {
      var acc = 0.0;
      for (var j = 0u; j < cout; j++) { acc = acc + m_mul(d_get(uo + j), w_get(po + i * cout + j)); }
      d_set(ui + i, act_bwd(code_in, z_for_bwd(ui + i), a_get(ui + i), acc));
    }
  }
}

// Backward pass of the current sample, adding its gradient (scaled by 1/nb) to g.
fn backward(row: u32, nb: u32, rw: f32) {
  let k = k_out();
  let yo = unit_off(n_layers());
  let to = row * k;
  let code = act_of(n_layers());
  let loss = loss_id();
  let fk = f32(k);
  let fb = f32(nb);
  // d holds dL/dz of the output layer: softmax + cross-entropy and sigmoid + binary
  // cross-entropy in the stable logits form, else the loss gradient through the activation.
  if ((loss == VALUE_CCE && code == ACT_SOFTMAX) || (loss == VALUE_BCE && code == ACT_SIGMOID)) {
    for (var j = 0u; j < k; j++) {
      let e = a_get(yo + j) - ys[to + j];
      d_set(yo + j, select(e / fk, e, loss == VALUE_CCE) / fb);
    }
  } else {
    lv_yo = yo;
    lv_to = to;
    loss_row_grad(loss, k, fb);
    if (code == ACT_SOFTMAX) {
      var s = 0.0;
      for (var j = 0u; j < k; j++) { s = s + m_mul(d_get(yo + j), a_get(yo + j)); }
      for (var j = 0u; j < k; j++) { d_set(yo + j, a_get(yo + j) * (d_get(yo + j) - s)); }
    } else {
      for (var j = 0u; j < k; j++) { d_set(yo + j, act_bwd(code, z_for_bwd(yo + j), a_get(yo + j), d_get(yo + j))); }
    }
  }
  if (rw != 1.0) {
    for (var j = 0u; j < k; j++) { d_set(yo + j, d_get(yo + j) * rw); }
  }
  if (GENERIC) {
    for (var l = n_layers(); l >= 1u; l--) { layer_backward(l); }
    return;
  }
  if (L >= 8u) { layer_backward(8u); }
  if (L >= 7u) { layer_backward(7u); }
  if (L >= 6u) { layer_backward(6u); }
  if (L >= 5u) { layer_backward(5u); }
  if (L >= 4u) { layer_backward(4u); }
  if (L >= 3u) { layer_backward(3u); }
  if (L >= 2u) { layer_backward(2u); }
  layer_backward(1u);
}

// lowbias32 (Wellons): the counter-based hash behind seeded shuffles; src/model/random.ts matches it.
fn hash32(x: u32) -> u32 {
  var h = x;
  h ^= h >> 16u;
  h *= 0x7feb352du;
  h ^= h >> 15u;
  h *= 0x846ca68bu;
  h ^= h >> 16u;
  return h;
}

fn shuffle_epoch(e: u32) {
  let n = params.n;
  for (var i = 0u; i < n; i++) { perm[i] = i; }
  let base = hash32(hash32(params.seed) ^ e);
  for (var i = n - 1u; i >= 1u; i--) {
    let j = hash32(base ^ hash32(i)) % (i + 1u);
    let t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
}

fn load_weights() {
  for (var p = 0u; p < n_params(); p++) { w_set(p, wts[p]); }
}

@compute @workgroup_size(1)
fn train() {
  load_net();
  // perm[n] is the stop flag: set when a chunk stops, so chunks recorded after it do nothing.
  var r = vec3<u32>(0u);
  if (perm[params.n] == 0u) { r = train_epochs(); }
  logs[0] = f32(r.x);
  logs[1] = f32(r.y);
  logs[2] = f32(r.z);
}

// The chunk's epochs: returns (epochs done, stop reason, stop epoch).
fn train_epochs() -> vec3<u32> {
  let P = n_params();
  let K = k_out();
  let yo = unit_off(n_layers());
  load_weights();
  if (SMALL) {
    for (var k = 0u; k < params.n_slots; k++) {
      for (var p = 0u; p < P; p++) { opt_set(k, p, opt_state[k * P + p]); }
    }
  }
  var iter = params.iter0;
  let stride = 1u + n_metrics();
  let n = params.n;
  let out_base = 3u + params.n_epochs * stride;
  var done = 0u;
  var reason = 0u;
  var stop_epoch = 0u;
  for (var t = 0u; t < params.n_epochs; t++) {
    let e = params.epoch0 + t;
    if (params.shuffle != 0u) { shuffle_epoch(e); }
    var lsum = 0.0;
    for (var m = 0u; m < n_metrics(); m++) { msum[m] = 0.0; }
    for (var b0 = 0u; b0 < n; b0 += params.batch) {
      let nb = min(params.batch, n - b0);
      for (var p = 0u; p < P; p++) { g_set(p, 0.0); }
      for (var s = 0u; s < nb; s++) {
        var row = b0 + s;
        if (params.shuffle != 0u) { row = perm[row]; }
        forward(row);
        let rw = row_weight(row);
        accumulate(yo, row, rw, &lsum);
        if (params.keep_out != 0u) {
          for (var j = 0u; j < K; j++) { logs[out_base + row * K + j] = a_get(yo + j); }
        }
        backward(row, nb, rw);
      }
      iter = iter + 1u;
      // Train pipelines bake the kind in, so the module holds one update rule.
      let kind = select(params.opt.kind, OPT_KIND, OPT_KIND != OPT_ANY);
      var alpha = 0.0;
      if (kind == OPT_ADAM) { alpha = opt_alpha(params.opt, f32(iter)); }
      for (var p = 0u; p < P; p++) { w_set(p, opt_update(params.opt, kind, alpha, p, w_get(p), g_get(p))); }
    }
    let loss = lsum / f32(n);
    logs[3u + t * stride] = loss;
    for (var m = 0u; m < n_metrics(); m++) { logs[4u + t * stride + m] = msum[m] / f32(n); }
    done = t + 1u;
    if (!m_is_finite(loss)) {
      reason = 2u;
      stop_epoch = e;
      break;
    }
    var weights_finite = true;
    for (var p = 0u; p < P; p++) { weights_finite = weights_finite && m_is_finite(w_get(p)); }
    if (!weights_finite) {
      reason = 3u;
      stop_epoch = e;
      break;
    }
    if (params.use_stop != 0u && loss < params.stop_below) {
      reason = 1u;
      stop_epoch = e;
      break;
    }
  }
  for (var p = 0u; p < P; p++) { wts[p] = w_get(p); }
  if (SMALL) {
    for (var k = 0u; k < params.n_slots; k++) {
      for (var p = 0u; p < P; p++) { opt_state[k * P + p] = opt_get(k, p); }
    }
  }
  if (reason != 0u) { perm[params.n] = 1u; }
  return vec3<u32>(done, reason, stop_epoch);
}

// One invocation per workgroup (the network's arrays are per workgroup in the large class).
@compute @workgroup_size(1)
fn predict(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = wid.y * nwg.x + wid.x;
  if (row >= params.n) {
    return;
  }
  load_net();
  load_weights();
  forward(row);
  let K = k_out();
  let yo = unit_off(n_layers());
  for (var j = 0u; j < K; j++) { logs[row * K + j] = a_get(yo + j); }
}

@compute @workgroup_size(1)
fn evaluate() {
  load_net();
  load_weights();
  var lsum = 0.0;
  for (var m = 0u; m < n_metrics(); m++) { msum[m] = 0.0; }
  let yo = unit_off(n_layers());
  for (var row = 0u; row < params.n; row++) {
    forward(row);
    accumulate(yo, row, row_weight(row), &lsum);
  }
  logs[0] = lsum / f32(params.n);
  for (var m = 0u; m < n_metrics(); m++) { logs[1u + m] = msum[m] / f32(params.n); }
}

// ---- entries of the general (per-op) path ----

// Adds the loss and metric sums of predictions `wts` [nb, K] against targets `ys` [nb, K] to
// logs[slot * (1 + NM) ...], in row order (the fused kernel's order). Needs PRED_IN_STORAGE.
@compute @workgroup_size(1)
fn batch_metrics() {
  load_net();
  let K = k_out();
  let base = params.slot * (1u + n_metrics());
  var lsum = logs[base];
  for (var m = 0u; m < n_metrics(); m++) { msum[m] = logs[base + 1u + m]; }
  for (var s = 0u; s < params.batch; s++) { accumulate(s * K, s, row_weight(s), &lsum); }
  logs[base] = lsum;
  for (var m = 0u; m < n_metrics(); m++) { logs[base + 1u + m] = msum[m]; }
}

// y = act(z) elementwise (EW_ACT), xs = z [n], logs = y [n].
@compute @workgroup_size(64)
fn act_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 64u + gid.x;
  if (i >= params.n) {
    return;
  }
  logs[i] = act_fwd(EW_ACT, xs[i]);
}

// dz = act'(y) dy elementwise (EW_ACT): xs = y, ys = dy, wts = z (custom only), logs = dz [n].
@compute @workgroup_size(64)
fn act_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 64u + gid.x;
  if (i >= params.n) {
    return;
  }
  var x = 0.0;
  if (EW_ACT == ACT_CUSTOM) { x = wts[i]; }
  logs[i] = act_bwd(EW_ACT, x, xs[i], ys[i]);
}

// Rows of xs [rows, cols] in the order of ys (row indices as f32) [batch]: logs [batch, cols].
// params.n = cols, params.batch = output rows, params.epoch0 = first index in ys.
@compute @workgroup_size(64)
fn gather_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 64u + gid.x;
  let cols = params.n;
  if (i >= params.batch * cols) {
    return;
  }
  let r = i / cols;
  let src = u32(ys[params.epoch0 + r]);
  logs[i] = xs[src * cols + (i - r * cols)];
}

// The inverse: rows of xs [batch, cols] to rows ys[epoch0 + r] of logs [rows, cols].
@compute @workgroup_size(64)
fn scatter_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 64u + gid.x;
  let cols = params.n;
  if (i >= params.batch * cols) {
    return;
  }
  let r = i / cols;
  let dst = u32(ys[params.epoch0 + r]);
  logs[dst * cols + (i - r * cols)] = xs[i];
}

// Rows of xs [batch, cols] times their sample weight (class_weight): logs [batch, cols].
// params.n = cols, params.batch = rows.
@compute @workgroup_size(64)
fn scale_rows(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 64u + gid.x;
  if (i >= params.batch * params.n) {
    return;
  }
  logs[i] = xs[i] * sample_w[i / params.n];
}

// The per-op engine's weight guard: logs[params.slot] = 1 when any of xs[0 .. n) is NaN or infinite.
@compute @workgroup_size(64)
fn check_finite(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 64u + gid.x;
  if (i >= params.n) {
    return;
  }
  if (!m_is_finite(xs[i])) {
    logs[params.slot] = 1.0;
  }
}
