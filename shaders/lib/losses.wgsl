// Losses and metrics of one row as the semantics table (src/losses/table.ts) defines them, with
// Keras 3's conventions: probabilities clipped to [1e-7, 1 - 1e-7] (gradient 0 outside, NaN kept),
// categorical cross-entropy of p / sum(p). Ids are VALUE_* of lib/ids.wgsl. The kernel supplies
// the row: lv_pred(k), lv_target(k) read element k, lv_set_grad(k, g) stores a gradient element.
// Plain sums in element order, products through m_mul (no driver may fuse them): the CPU twins
// rowValue32 / rowGrad32 round the same way.
// Requires: lib/math.wgsl, lib/ids.wgsl, lib/loss_terms.wgsl.

fn loss_row_value(id: u32, len: u32) -> f32 {
  var sum = 0.0;
  if (id == VALUE_CCE) {
    for (var k = 0u; k < len; k++) { sum = sum + lv_pred(k); }
  }
  // One pass reads each element once for every value: each read site costs a software adapter
  // (lavapipe) per-lane code, so the cases share it.
  var s = 0.0;
  var bp = 0u;
  var bt = 0u;
  var best_p = 0.0;
  var best_t = 0.0;
  for (var k = 0u; k < len; k++) {
    let p = lv_pred(k);
    let t = lv_target(k);
    switch id {
      case VALUE_CCE: {
        if (t != 0.0 || m_is_nan(p)) { s = s + loss_cce_term(t, p / sum); }
      }
      case VALUE_BINARY_ACCURACY: {
        s = s + select(0.0, 1.0, (p > 0.5) == (t > 0.5));
      }
      case VALUE_CATEGORICAL_ACCURACY: {
        // argmax, the first index on ties (a NaN never wins)
        if (k == 0u || p > best_p) {
          bp = k;
          best_p = p;
        }
        if (k == 0u || t > best_t) {
          bt = k;
          best_t = t;
        }
      }
      default: {
        s = s + loss_term(id, p, t);
      }
    }
  }
  switch id {
    case VALUE_CCE: { return -s; }
    case VALUE_BINARY_ACCURACY: { return s / f32(len); }
    case VALUE_CATEGORICAL_ACCURACY: { return select(0.0, 1.0, bp == bt); }
    case VALUE_HALF_SQUARED_ERROR: { return s; }
    default: { return s / f32(len); }
  }
}

// Gradient of the row value w.r.t. the predictions, divided by the batch size nb.
fn loss_row_grad(id: u32, len: u32, nb: f32) {
  // CCE: L = -sum t_k log c(u_k), u = p / S:  dL/dp_j = (A - t_j c'_j / c_j) / S,  A = sum t_k c'_k u_k / c_k
  var sum = 0.0;
  var a = 0.0;
  if (id == VALUE_CCE) {
    for (var k = 0u; k < len; k++) { sum = sum + lv_pred(k); }
    for (var k = 0u; k < len; k++) { a = a + loss_cce_share(lv_target(k), lv_pred(k) / sum); }
  }
  let fk = select(f32(len), 1.0, id == VALUE_HALF_SQUARED_ERROR);
  for (var k = 0u; k < len; k++) {
    let p = lv_pred(k);
    let t = lv_target(k);
    var g = 0.0;
    if (id == VALUE_CCE) {
      g = loss_cce_grad(t, p / sum, a, sum) / nb;
    } else {
      g = (loss_term_grad(id, p, t) / fk) / nb;
    }
    lv_set_grad(k, g);
  }
}
