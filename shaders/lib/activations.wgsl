// PLACEHOLDER
override ACTIVATION: u32 = 0u;
fn act_forward(x: f32, p: vec4<f32>) -> f32 {
  switch ACTIVATION {
    case 1u: { return 1.0 / (1.0 + nn_exp(-x)); }
    case 4u: { return select(0.0, x, x > 0.0); }
    case 1000u: { return custom_forward(x); }
    default: { return x; }
  }
}
fn act_backward(x: f32, dy: f32, p: vec4<f32>) -> f32 {
  switch ACTIVATION {
    case 1u: { let s = 1.0 / (1.0 + nn_exp(-x)); return dy * s * (1.0 - s); }
    case 4u: { return select(0.0, dy, x > 0.0); }
    case 1000u: { return custom_backward(x, custom_forward(x), dy); }
    default: { return dy; }
  }
}
