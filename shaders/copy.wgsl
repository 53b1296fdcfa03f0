// y = x over a flat float32 tensor, with the launch shape of activation.wgsl (dispatched by the
// same code, src/kernels/activation.ts dispatchElementwise): the bandwidth yardstick the
// benchmarks compare every elementwise kernel against.

override WG: u32 = 256u;
override VPI: u32 = 4u;

struct Params {
  p: vec4<f32>,
  n4: u32,
}

@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let first = (wid.y * nwg.x + wid.x) * WG * VPI + lid;
  for (var j = 0u; j < VPI; j++) {
    let i = first + j * WG;
    if (i < params.n4) {
      out[i] = x[i];
    }
  }
}
