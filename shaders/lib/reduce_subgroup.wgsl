enable subgroups;

// Cross-lane reductions of the register row kernels (softmax_reg.wgsl, softmax_long.wgsl) in one
// subgroup: the workgroup is exactly one subgroup (WG = the adapter's only subgroup size). Max by
// subgroupMax (NaN tested apart: lavapipe's max drops NaN); sums by a shuffle-xor butterfly of
// error-free two-sums, in a fixed order for a given subgroup size, so every lane ends with the
// same bits. Its `enable` must open the module, so it comes first in the parts (SOFTMAX_MODULES).
// Requires: lib/math.wgsl, lib/rows.wgsl.

// Max over the subgroup's lanes, NaN if any lane holds NaN.
fn red_max(v: f32, lid: u32) -> f32 {
  return select(subgroupMax(v), m_nan(0.0), subgroupAny(m_is_nan(v)));
}

// (count, hi, lo, -) summed over the lanes: counts plainly, hi + lo as a double-float.
fn red_sum(s: vec4<f32>, lid: u32) -> vec4<f32> {
  var c = s.x;
  var h = s.y;
  var l = s.z;
  for (var o = 1u; o < WG; o <<= 1u) {
    c = c + subgroupShuffleXor(c, o);
    let t = m_two_sum(h, subgroupShuffleXor(h, o));
    l = (l + subgroupShuffleXor(l, o)) + t.y;
    h = t.x;
  }
  return vec4<f32>(c, h, l, 0.0);
}

// Four compensated sums at once (rows_reg2): the same butterfly on every component.
fn red_sum4(s: vec4<f32>, lid: u32) -> vec4<f32> {
  var acc = array<vec4<f32>, 2>(s, vec4<f32>(0.0));
  for (var o = 1u; o < WG; o <<= 1u) {
    let t = m_two_sum4(acc[0], subgroupShuffleXor(acc[0], o));
    acc = array<vec4<f32>, 2>(t[0], (acc[1] + subgroupShuffleXor(acc[1], o)) + t[1]);
  }
  return m_sum_value4(acc);
}
