// The user-defined activation (ACTIVATION = 1000). These identity bodies are replaced, as a
// whole file, by the expressions given to runtime.defineActivation(); nothing else is templated.
// CUSTOM_ACTIVATION tells kernels whether one is present, so they skip what only it needs.
const CUSTOM_ACTIVATION: bool = false;

fn custom_forward(x: f32) -> f32 {
  return x;
}

fn custom_backward(x: f32, y: f32, dy: f32) -> f32 {
  return dy;
}
