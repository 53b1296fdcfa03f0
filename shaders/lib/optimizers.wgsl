// Keras 3 optimizer updates of one parameter in float32, one rounding per operation in Keras'
// order: SGD (momentum, Nesterov), Adam / AdamW (amsgrad), RMSprop (momentum, centered), Adagrad,
// each after the decoupled weight decay Keras applies to any optimizer (w -= w wd lr). Kind and
// flags come from a uniform (no recompile per optimizer); src/model/optimizers.ts is the table and
// its optUpdate32 the CPU twin. The kernel supplies state slot k of parameter p: opt_get(k, p),
// opt_set(k, p, v). Products go through m_mul so no driver fuses them into an FMA.
// Requires: lib/math.wgsl, lib/ids.wgsl.

struct OptStep {
  kind: u32,
  flags: u32,
  lr: f32,
  b1: f32,
  b2: f32,
  one_minus_b1: f32,
  one_minus_b2: f32,
  eps: f32,
  momentum: f32,
  rho: f32,
  one_minus_rho: f32,
  wd: f32,
}

// Adam's lr sqrt(1 - b2^t) / (1 - b1^t) at Keras' local step t = iterations + 1.
fn opt_alpha(o: OptStep, t: f32) -> f32 {
  let b1p = m_exp(m_mul(t, m_log(o.b1)));
  let b2p = m_exp(m_mul(t, m_log(o.b2)));
  return m_mul(o.lr, sqrt(1.0 - b2p)) / (1.0 - b1p);
}

// `kind` is o.kind, or a constant the caller bakes in (the switch then folds away).
fn opt_update(o: OptStep, kind: u32, alpha: f32, p: u32, w0: f32, g: f32) -> f32 {
  var w = w0;
  if (o.wd != 0.0) { w = w - m_mul(m_mul(w, o.wd), o.lr); }
  switch kind {
    case OPT_SGD: {
      if (o.momentum == 0.0) { return w - m_mul(g, o.lr); }
      let m = m_mul(opt_get(0u, p), o.momentum) - m_mul(g, o.lr);
      opt_set(0u, p, m);
      if ((o.flags & OPT_FLAG_NESTEROV) != 0u) { return w + (m_mul(m, o.momentum) - m_mul(g, o.lr)); }
      return w + m;
    }
    case OPT_ADAM: {
      let m0 = opt_get(0u, p);
      let v0 = opt_get(1u, p);
      let m = m0 + m_mul(g - m0, o.one_minus_b1);
      let v = v0 + m_mul(m_mul(g, g) - v0, o.one_minus_b2);
      opt_set(0u, p, m);
      opt_set(1u, p, v);
      var vu = v;
      if ((o.flags & OPT_FLAG_AMSGRAD) != 0u) {
        vu = max(opt_get(2u, p), v);
        opt_set(2u, p, vu);
      }
      return w - m_mul(m, alpha) / (sqrt(vu) + o.eps);
    }
    case OPT_RMSPROP: {
      let v = m_mul(o.rho, opt_get(0u, p)) + m_mul(o.one_minus_rho, m_mul(g, g));
      opt_set(0u, p, v);
      var den = v + o.eps;
      if ((o.flags & OPT_FLAG_CENTERED) != 0u) {
        let a = m_mul(o.rho, opt_get(2u, p)) + m_mul(o.one_minus_rho, g);
        opt_set(2u, p, a);
        den = (v - m_mul(a, a)) + o.eps;
      }
      let inc = m_mul(o.lr, g) / sqrt(den);
      if (o.momentum > 0.0) {
        let mo = m_mul(o.momentum, opt_get(1u, p)) + inc;
        opt_set(1u, p, mo);
        return w - mo;
      }
      return w - inc;
    }
    default: {
      let acc = opt_get(0u, p) + m_mul(g, g);
      opt_set(0u, p, acc);
      return w - m_mul(o.lr, g) / sqrt(acc + o.eps);
    }
  }
}
