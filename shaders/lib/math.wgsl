// PLACEHOLDER
fn nn_exp(x: f32) -> f32 { return exp(x); }
