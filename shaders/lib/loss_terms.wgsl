// The elementwise terms of the losses and their derivatives, as the semantics table
// (src/losses/table.ts) defines them with Keras 3's conventions: probabilities clipped to
// [LOSS_LO, LOSS_HI] (derivative 0 outside, NaN kept), binary cross-entropy from logits in the
// stable log-sigmoid form. The loss ops (loss.wgsl) and the trainers (lib/losses.wgsl) use them.
// Products go through m_mul so no driver fuses them with a following add.
// Requires: lib/math.wgsl, lib/ids.wgsl.

fn loss_clip(p: f32) -> f32 { return m_clip(p, LOSS_LO, LOSS_HI); }

fn loss_clip_slope(p: f32) -> f32 { return select(0.0, 1.0, p >= LOSS_LO && p <= LOSS_HI); }

// One element's term: the row value is their mean (their sum for VALUE_HALF_SQUARED_ERROR).
fn loss_term(id: u32, p: f32, t: f32) -> f32 {
  let d = p - t;
  switch id {
    case VALUE_MSE: { return m_mul(d, d); }
    case VALUE_MAE: { return abs(d); }
    case VALUE_HALF_SQUARED_ERROR: { return m_mul(d, d) * 0.5; }
    case VALUE_BCE_LOGITS: {
      // max(z, 0) - z t + log1p(exp(-|z|)), each part >= 0
      let lin = select(m_mul(p, 1.0 - t), -m_mul(p, t), p < 0.0);
      return lin + m_log1p(m_exp(-abs(p)));
    }
    default: {
      let c = loss_clip(p);
      return -(m_mul(t, m_log(c)) + m_mul(1.0 - t, m_log1p(-c)));
    }
  }
}

// d(term)/dp.
fn loss_term_grad(id: u32, p: f32, t: f32) -> f32 {
  let d = p - t;
  switch id {
    case VALUE_MSE: { return 2.0 * d; }
    case VALUE_MAE: { return sign(d); }
    case VALUE_HALF_SQUARED_ERROR: { return d; }
    case VALUE_BCE_LOGITS: { return m_sigmoid(p) - t; }
    default: {
      let c = loss_clip(p);
      return m_mul(loss_clip_slope(p), c - t) / m_mul(c, 1.0 - c);
    }
  }
}

// Categorical cross-entropy of one element of u = p / sum(p).
fn loss_cce_term(t: f32, u: f32) -> f32 { return m_mul(t, m_log(loss_clip(u))); }
// Its share of A = sum t_k c'_k u_k / c_k in dL/dp_j = (A - t_j c'_j / c_j) / S.
fn loss_cce_share(t: f32, u: f32) -> f32 { return m_mul(m_mul(t, loss_clip_slope(u)), u) / loss_clip(u); }
fn loss_cce_grad(t: f32, u: f32, a: f32, s: f32) -> f32 { return (a - m_mul(t, loss_clip_slope(u)) / loss_clip(u)) / s; }
