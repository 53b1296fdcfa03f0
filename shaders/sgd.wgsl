// In-place SGD step on up to two tensors per dispatch (a layer's kernel and bias), Keras semantics:
//   update:          param -= lr * grad
//   update_momentum: v = momentum * v - lr * grad; param += v  (NESTEROV: param += momentum * v - lr * grad)
// Element i < n0 belongs to tensor 0, the next n1 to tensor 1. Each step is one float32 op.

override NESTEROV: bool = false;

struct Params {
  lr: f32,
  momentum: f32,
  n0: u32,
  n1: u32,
}

@group(0) @binding(0) var<storage, read> grad0: array<f32>;
@group(0) @binding(1) var<storage, read> grad1: array<f32>;
@group(0) @binding(2) var<storage, read_write> param0: array<f32>;
@group(0) @binding(3) var<storage, read_write> param1: array<f32>;
@group(0) @binding(4) var<storage, read_write> vel0: array<f32>;
@group(0) @binding(5) var<storage, read_write> vel1: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;

fn flat_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  // Grids past 65,535 workgroups are folded into 2-D by the scheduler.
  return (wid.y * nwg.x + wid.x) * 256u + lid;
}

@compute @workgroup_size(256)
fn update(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid);
  if (i < params.n0) {
    let step = params.lr * grad0[i];
    param0[i] = param0[i] - step;
  } else if (i - params.n0 < params.n1) {
    let j = i - params.n0;
    let step = params.lr * grad1[j];
    param1[j] = param1[j] - step;
  }
}

fn momentum_step(v: f32, g: f32) -> vec2<f32> {
  // (new velocity, increment of the parameter)
  let lg = params.lr * g;
  let nv = params.momentum * v - lg;
  if (NESTEROV) {
    return vec2<f32>(nv, params.momentum * nv - lg);
  }
  return vec2<f32>(nv, nv);
}

@compute @workgroup_size(256)
fn update_momentum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                   @builtin(local_invocation_index) lid: u32) {
  let i = flat_index(wid, nwg, lid);
  if (i < params.n0) {
    let r = momentum_step(vel0[i], grad0[i]);
    vel0[i] = r.x;
    param0[i] = param0[i] + r.y;
  } else if (i - params.n0 < params.n1) {
    let j = i - params.n0;
    let r = momentum_step(vel1[j], grad1[j]);
    vel1[j] = r.x;
    param1[j] = param1[j] + r.y;
  }
}
