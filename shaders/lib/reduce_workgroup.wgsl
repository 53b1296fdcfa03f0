// Cross-lane reductions of the register row kernels (softmax_reg.wgsl, softmax_long.wgsl) through
// workgroup memory: wg_max / wg_sum of lib/rows.wgsl (WG = G * G, two barriers each). The
// fallback where the adapter has no subgroups, or more than one subgroup size.
// Requires: lib/math.wgsl, lib/rows.wgsl.

// Max over the workgroup's lanes, NaN if any lane holds NaN.
fn red_max(v: f32, lid: u32) -> f32 {
  return wg_max(v, lid);
}

// (count, hi, lo, -) summed over the lanes (every lane gets the same bits).
fn red_sum(s: vec4<f32>, lid: u32) -> vec4<f32> {
  return wg_sum(s, lid);
}

// Four compensated sums at once (rows_reg2).
fn red_sum4(s: vec4<f32>, lid: u32) -> vec4<f32> {
  return wg_sum(s, lid);
}
