// One optimizer step on one parameter tensor, in place, Keras 3 semantics (lib/optimizers.wgsl):
//   update: param [n] from grad [n]; state [slots * n] slot-major (unused by SGD without momentum).
// Requires: lib/math.wgsl, lib/ids.wgsl, lib/optimizers.wgsl.

struct Params {
  opt: OptStep,
  n: u32,
  alpha: f32,
}

@group(0) @binding(0) var<storage, read> grad: array<f32>;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read_write> state: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

fn opt_get(k: u32, p: u32) -> f32 { return state[k * params.n + p]; }
fn opt_set(k: u32, p: u32, v: f32) { state[k * params.n + p] = v; }

@compute @workgroup_size(256)
fn update(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
          @builtin(local_invocation_index) lid: u32) {
  // Grids past 65,535 workgroups are folded into 2-D by the scheduler.
  let i = (wid.y * nwg.x + wid.x) * 256u + lid;
  if (i >= params.n) {
    return;
  }
  param[i] = opt_update(params.opt, params.opt.kind, params.alpha, i, param[i], grad[i]);
}
