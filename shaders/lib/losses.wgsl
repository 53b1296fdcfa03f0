// Losses and metrics of one row as the semantics table (src/losses/table.ts) defines them, with
// Keras 3's conventions: probabilities clipped to [1e-7, 1 - 1e-7] (gradient 0 outside, NaN kept),
// categorical cross-entropy of p / sum(p). Ids are VALUE_* of lib/ids.wgsl. The kernel supplies
// the row: lv_pred(k), lv_target(k) read element k, lv_set_grad(k, g) stores a gradient element.
// Plain sums in element order, products through m_mul (no driver may fuse them): the CPU twins
// rowValue32 / rowGrad32 round the same way.
// Requires: lib/math.wgsl, lib/ids.wgsl.

const LOSS_LO: f32 = 1e-7;
const LOSS_HI: f32 = 0.99999988079071044921875;  // float32(1 - 1e-7)

fn loss_clip(p: f32) -> f32 {
  if (m_is_nan(p)) { return p; }
  return min(max(p, LOSS_LO), LOSS_HI);
}

fn loss_clip_slope(p: f32) -> f32 { return select(0.0, 1.0, p >= LOSS_LO && p <= LOSS_HI); }

// Per-element term of the elementwise losses (the row value is their mean, or sum for HSE).
fn loss_term(id: u32, p: f32, t: f32) -> f32 {
  let d = p - t;
  switch id {
    case VALUE_MSE: { return m_mul(d, d); }
    case VALUE_MAE: { return abs(d); }
    case VALUE_HALF_SQUARED_ERROR: { return m_mul(d, d) * 0.5; }
    default: {
      let c = loss_clip(p);
      return -(m_mul(t, m_log(c)) + m_mul(1.0 - t, m_log1p(-c)));
    }
  }
}

fn loss_row_value(id: u32, len: u32) -> f32 {
  var s = 0.0;
  switch id {
    case VALUE_CCE: {
      var sum = 0.0;
      for (var k = 0u; k < len; k++) { sum = sum + lv_pred(k); }
      for (var k = 0u; k < len; k++) {
        let t = lv_target(k);
        let p = lv_pred(k);
        if (t != 0.0 || m_is_nan(p)) { s = s + m_mul(t, m_log(loss_clip(p / sum))); }
      }
      return -s;
    }
    case VALUE_BINARY_ACCURACY: {
      for (var k = 0u; k < len; k++) { s = s + select(0.0, 1.0, (lv_pred(k) > 0.5) == (lv_target(k) > 0.5)); }
      return s / f32(len);
    }
    case VALUE_CATEGORICAL_ACCURACY: {
      var bp = 0u;
      var bt = 0u;
      for (var k = 1u; k < len; k++) {
        if (lv_pred(k) > lv_pred(bp)) { bp = k; }
        if (lv_target(k) > lv_target(bt)) { bt = k; }
      }
      return select(0.0, 1.0, bp == bt);
    }
    default: {
      for (var k = 0u; k < len; k++) { s = s + loss_term(id, lv_pred(k), lv_target(k)); }
      if (id == VALUE_HALF_SQUARED_ERROR) { return s; }
      return s / f32(len);
    }
  }
}

// Gradient of the row value w.r.t. the predictions, divided by the batch size nb.
fn loss_row_grad(id: u32, len: u32, nb: f32) {
  if (id == VALUE_CCE) {
    // L = -sum t_k log c(u_k), u = p / S:  dL/dp_j = (A - t_j c'_j / c_j) / S,  A = sum t_k c'_k u_k / c_k
    var sum = 0.0;
    for (var k = 0u; k < len; k++) { sum = sum + lv_pred(k); }
    var a = 0.0;
    for (var k = 0u; k < len; k++) {
      let u = lv_pred(k) / sum;
      a = a + m_mul(m_mul(lv_target(k), loss_clip_slope(u)), u) / loss_clip(u);
    }
    for (var k = 0u; k < len; k++) {
      let u = lv_pred(k) / sum;
      lv_set_grad(k, ((a - m_mul(lv_target(k), loss_clip_slope(u)) / loss_clip(u)) / sum) / nb);
    }
    return;
  }
  let fk = f32(len);
  for (var k = 0u; k < len; k++) {
    let p = lv_pred(k);
    let t = lv_target(k);
    var g = 0.0;
    switch id {
      case VALUE_MSE: { g = (2.0 * (p - t)) / fk; }
      case VALUE_MAE: { g = sign(p - t) / fk; }
      case VALUE_HALF_SQUARED_ERROR: { g = p - t; }
      default: {
        let c = loss_clip(p);
        g = (m_mul(loss_clip_slope(p), c - t) / m_mul(c, 1.0 - c)) / fk;
      }
    }
    lv_set_grad(k, g / nb);
  }
}
