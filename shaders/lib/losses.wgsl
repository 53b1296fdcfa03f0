// Losses and metrics of one row as the semantics table (src/losses/table.ts) defines them, with
// Keras 3's conventions: probabilities clipped to [1e-7, 1 - 1e-7] (gradient 0 outside, NaN kept),
// categorical cross-entropy of p / sum(p). Ids are VALUE_* of lib/ids.wgsl. The kernel supplies
// the row: lv_pred(k), lv_target(k) read element k, lv_set_grad(k, g) stores a gradient element.
// Plain sums in element order, products through m_mul (no driver may fuse them): the CPU twins
// rowValue32 / rowGrad32 round the same way.
// Requires: lib/math.wgsl, lib/ids.wgsl, lib/loss_terms.wgsl.

fn loss_row_value(id: u32, len: u32) -> f32 {
  var s = 0.0;
  switch id {
    case VALUE_CCE: {
      var sum = 0.0;
      for (var k = 0u; k < len; k++) { sum = sum + lv_pred(k); }
      for (var k = 0u; k < len; k++) {
        let t = lv_target(k);
        let p = lv_pred(k);
        if (t != 0.0 || m_is_nan(p)) { s = s + loss_cce_term(t, p / sum); }
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
    for (var k = 0u; k < len; k++) { a = a + loss_cce_share(lv_target(k), lv_pred(k) / sum); }
    for (var k = 0u; k < len; k++) { lv_set_grad(k, loss_cce_grad(lv_target(k), lv_pred(k) / sum, a, sum) / nb); }
    return;
  }
  let fk = select(f32(len), 1.0, id == VALUE_HALF_SQUARED_ERROR);
  for (var k = 0u; k < len; k++) { lv_set_grad(k, (loss_term_grad(id, lv_pred(k), lv_target(k)) / fk) / nb); }
}
