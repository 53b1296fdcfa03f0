// Elementwise activation over a flat float32 tensor, four elements per vec4.
//   forward:  y[i]  = f(x[i])
//   backward: dx[i] = dy[i] * f'(x[i])
// f is chosen by the override ACTIVATION (lib/activations.wgsl); parameters in params.p.
// Tensors are padded to 16 bytes, so a vec4 past the last element only touches padding.
// A workgroup covers VPI * WG consecutive vec4s, invocation l taking l, l + WG, ...: neighbours
// stay on neighbouring vec4s (coalesced on GPUs) and the fixed cost of an invocation, high on
// CPU adapters, is shared by VPI vec4s.
// Requires: lib/math.wgsl, lib/custom_activation.wgsl, lib/activations.wgsl.

override WG: u32 = 256u;
override VPI: u32 = 4u;

struct Params {
  p: vec4<f32>,
  // number of vec4s in this chunk
  n4: u32,
}

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> dy: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> params: Params;

// First vec4 of this invocation; grids past 65,535 workgroups are folded into 2-D by the scheduler.
fn first_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG * VPI + lid;
}

@compute @workgroup_size(WG)
fn forward(@builtin(workgroup_id) wid: vec3<u32>,
           @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let first = first_index(wid, nwg, lid);
  let p = params.p;
  for (var j = 0u; j < VPI; j++) {
    let i = first + j * WG;
    if (i < params.n4) {
      let v = x[i];
      out[i] = vec4<f32>(act_forward(v.x, p), act_forward(v.y, p), act_forward(v.z, p), act_forward(v.w, p));
    }
  }
}

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3<u32>,
            @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let first = first_index(wid, nwg, lid);
  let p = params.p;
  for (var j = 0u; j < VPI; j++) {
    let i = first + j * WG;
    if (i < params.n4) {
      let v = x[i];
      let g = dy[i];
      out[i] = vec4<f32>(act_backward(v.x, g.x, p), act_backward(v.y, g.y, p),
                         act_backward(v.z, g.z, p), act_backward(v.w, g.w, p));
    }
  }
}
