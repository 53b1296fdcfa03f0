// The float32 math library of every kernel; module-scope functions only, no bindings, names
// carry an `m_` prefix (vec4 forms end in 4). Does not use WGSL's exp/log/tanh built-ins (loose,
// and free to assume no NaN/Inf): NaN and Inf are tested by bit pattern, exp/expm1/log/log1p use
// Cody-Waite reduction plus polynomials fitted with mpmath (coefficients below, ~1 ULP each).
// One defence against driver rewrites (FMA contraction, reassociation such as (a + b) - a -> b):
// m_opaque(v), an identity the optimiser cannot see through, one unsigned min on the bits (only
// the NaN 0xffffffff becomes another NaN). A value whose own rounding matters goes through it
// (m_mul, m_two_sum, the compensated sums): one integer op, nothing needed from the kernel.

fn m_is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn m_is_inf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
fn m_is_finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) < 0x7f800000u; }
// A quiet NaN built from a runtime value (a NaN literal is a const-expression error).
fn m_nan(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) | 0x7fc00000u); }
// +-Inf with the sign of s, made at run time for the same reason.
fn m_inf(s: f32) -> f32 { return bitcast<f32>((bitcast<u32>(s) & 0x80000000u) | 0x7f800000u); }
fn m_copysign(mag: f32, s: f32) -> f32 {
  return bitcast<f32>((bitcast<u32>(mag) & 0x7fffffffu) | (bitcast<u32>(s) & 0x80000000u));
}
fn m_is_finite4(v: vec4<f32>) -> vec4<bool> {
  return (bitcast<vec4<u32>>(v) & vec4<u32>(0x7fffffffu)) < vec4<u32>(0x7f800000u);
}
fn m_any_nan4(v: vec4<f32>) -> bool {
  return any((bitcast<vec4<u32>>(v) & vec4<u32>(0x7fffffffu)) > vec4<u32>(0x7f800000u));
}
// max and clamp that return NaN for NaN (the built-ins may drop it: lavapipe's max(NaN, 0) is 0).
fn m_max_nan(a: f32, b: f32) -> f32 { return select(max(a, b), m_nan(a), m_is_nan(a) || m_is_nan(b)); }
fn m_clip(x: f32, lo: f32, hi: f32) -> f32 { return select(min(max(x, lo), hi), x, m_is_nan(x)); }
// The barrier against driver rewrites (see the top of this file).
fn m_opaque(v: f32) -> f32 { return bitcast<f32>(min(bitcast<u32>(v), 0xfffffffeu)); }
fn m_opaque4(v: vec4<f32>) -> vec4<f32> { return bitcast<vec4<f32>>(min(bitcast<vec4<u32>>(v), vec4<u32>(0xfffffffeu))); }
// a * b rounded on its own: keeps drivers from fusing it into an FMA with a following add
// (Mesa does once loops unroll), which would move digits the seeds print.
fn m_mul(a: f32, b: f32) -> f32 { return m_opaque(a * b); }
// a + b = s + e exactly (Knuth's TwoSum; m_opaque stops the optimiser from simplifying e to 0).
fn m_two_sum(a: f32, b: f32) -> vec2<f32> {
  let s = m_opaque(a + b);
  let bb = m_opaque(s - a);
  return vec2<f32>(s, (a - (s - bb)) + (b - bb));
}
fn m_two_sum4(a: vec4<f32>, b: vec4<f32>) -> array<vec4<f32>, 2> {
  let s = m_opaque4(a + b);
  let bb = m_opaque4(s - a);
  return array<vec4<f32>, 2>(s, (a - (s - bb)) + (b - bb));
}
// a - b = hi + lo exactly (TwoSum of a and -b); lo = 0 where hi is not finite (x - max of a
// row with -Infinity entries).
fn m_two_diff(a: f32, b: f32) -> vec2<f32> {
  let hi = m_opaque(a - b);
  let bb = m_opaque(hi - a);
  let lo = (a - (hi - bb)) - (b + bb);
  return vec2<f32>(hi, select(0.0, lo, m_is_finite(hi)));
}
fn m_two_diff4(a: vec4<f32>, b: vec4<f32>) -> array<vec4<f32>, 2> {
  let hi = m_opaque4(a - b);
  let bb = m_opaque4(hi - a);
  let lo = (a - (hi - bb)) - (b + bb);
  return array<vec4<f32>, 2>(hi, select(vec4<f32>(0.0), lo, m_is_finite4(hi)));
}
// Neumaier's compensated sum: acc = (sum, correction); read it with m_sum_value, which drops the
// correction where either part is not finite.
fn m_sum_add(acc: vec2<f32>, v: f32) -> vec2<f32> {
  let t = m_opaque(acc.x + v);
  let e = select((v - t) + acc.x, (acc.x - t) + v, abs(acc.x) >= abs(v));
  return vec2<f32>(t, acc.y + e);
}
fn m_sum_value(acc: vec2<f32>) -> f32 {
  return select(acc.x, acc.x + acc.y, m_is_finite(acc.x) && m_is_finite(acc.y));
}
// Four sums at once: acc[0] the sums, acc[1] the corrections.
fn m_sum_add4(acc: array<vec4<f32>, 2>, v: vec4<f32>) -> array<vec4<f32>, 2> {
  let t = m_opaque4(acc[0] + v);
  let e = select((v - t) + acc[0], (acc[0] - t) + v, abs(acc[0]) >= abs(v));
  return array<vec4<f32>, 2>(t, acc[1] + e);
}
fn m_sum_value4(acc: array<vec4<f32>, 2>) -> vec4<f32> {
  let s = acc[0] + acc[1];
  return select(acc[0], s, m_is_finite4(s));
}
// High 12 significant bits of x; products of two such halves are exact in f32.
fn m_hi12(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) & 0xfffff000u); }

// v * 2^n for |n| <= 300 in three exact steps (double rounding only for subnormal results).
fn m_ldexp(v: f32, n: i32) -> f32 {
  let n1 = clamp(n, -120, 120);
  let n2 = clamp(n - n1, -120, 120);
  let n3 = clamp(n - n1 - n2, -120, 120);
  let s1 = bitcast<f32>(u32(n1 + 127) << 23u);
  let s2 = bitcast<f32>(u32(n2 + 127) << 23u);
  let s3 = bitcast<f32>(u32(n3 + 127) << 23u);
  return v * s1 * s2 * s3;
}

const M_LOG2E: f32 = 1.4426950408889634;
const M_LN2_HI: f32 = 0.693145751953125;      // 16 significant bits: n * M_LN2_HI is exact
const M_LN2_LO: f32 = 1.428606765330187e-06;
const M_INV_SQRT_2PI: f32 = 0.3989422804014327;

// ---- fitted polynomials (generated; variable t, see each caller for its range) ----
fn m_poly_expm1_p(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, 0.00019908772082999349, 0.0013928738189861178), 0.008333245292305946), 0.041666530072689056), 0.1666666716337204), 0.5); }
fn m_poly_tanh_t(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, 0.004349349532276392, -0.009919564239680767), 0.022192366421222687), -0.054005879908800125), 0.13333484530448914), -0.3333333432674408); }
fn m_poly_phi_c(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, -0.0002850317396223545, 0.00043131053098477423), -0.0013140853261575103), 0.009994364343583584), -0.06649158149957657), 0.3989422917366028); }
fn m_poly_gelu_k(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 0.004694244358688593, -0.006560657639056444), 0.004486639052629471), -0.010294236242771149), 0.05992750823497772), -0.26596495509147644), 0.7978845834732056); }
fn m_poly_phi_r0(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 0.0003133440623059869, -0.0002314677112735808), 0.0006848436314612627), -0.0024974318221211433), 0.007506505586206913), -0.020915424451231956), 0.05350898206233978), -0.12294446676969528), 0.24533139169216156); }
fn m_poly_phi_r1(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 5.671549843100365e-06, -2.44098155235406e-05), 9.437157132197171e-05), -0.0003726714348886162), 0.001406777766533196), -0.00503134448081255), 0.016947364434599876), -0.05322542041540146), 0.15365193784236908); }
fn m_poly_phi_r2(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, -1.0057716082201296e-07, 4.6619925342383794e-07), -1.1866520708281314e-06), 6.656932782789227e-06), -3.761844345717691e-05), 0.00019302555301692337), -0.0009587003150954843), 0.004605836700648069), -0.02129971608519554), 0.09441064298152924); }
fn m_poly_gelu_h0(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 0.0007594045018777251, -0.0003110337711405009), -0.0011031362228095531), 0.00021015209495089948), 9.171537385554984e-05), 0.0010873882565647364), -0.0035006427206099033), 0.010108775459229946), -0.027591582387685776), 0.0689563974738121), -0.5534218549728394); }
fn m_poly_phi_r3(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, -110.18514251708984, 30.962337493896484), -5.725287914276123), 1.193490982055664), -0.39892134070396423), 0.398942232131958); }
const M_SILU_X0_HI: f32 = -1.2784645557403564; const M_SILU_X0_LO: f32 = 1.2979282537628478e-08;  // root -1.2784645427610737951
const M_MISH_X0_HI: f32 = -1.1924312114715576; const M_MISH_X0_LO: f32 = -3.0439375464652585e-09;  // root -1.1924312145154952121
const M_GELUT_X0_HI: f32 = -0.7524614334106445; const M_GELUT_X0_LO: f32 = 1.1339627903339533e-08;  // root -0.75246142207101625849
fn m_poly_gelut_droot(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, -0.0005760740605182946, -0.0004988937871530652), 0.0005393601604737341), -0.0006116366712376475), -0.0009885545587167144), 0.007259511388838291), 0.012375791557133198), -0.03180595114827156), -0.09534727782011032), 0.0436151921749115), 0.3819712996482849), 0.35791176557540894); }
fn m_poly_mish_h(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, -0.003635082161054015, -0.0025529598351567984), 0.002226046985015273), 0.009358849376440048), -0.023287881165742874), 0.037924185395240784), -0.040859248489141464), -0.0005586771294474602), 0.1347265988588333), -0.40236687660217285), 0.7692307829856873); }
fn m_poly_mish_dmid(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, -0.002590029966086149, -0.004407520871609449), 0.0012064704205840826), 0.018142251297831535), 0.016863500699400902), -0.06138940900564194), -0.1328670233488083), 0.12545567750930786), 0.6097128391265869), 0.37772858142852783); }
fn m_poly_silu_droot(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, -0.0001426898525096476, -0.00020303153723943979), 0.00014421978266909719), 0.00023444864200428128), 0.00014441402163356543), 0.00035098043736070395), -0.000794852152466774), -0.0061116646975278854), -0.008760027587413788), 0.02783653512597084), 0.13476818799972534), 0.18254129588603973); }
fn m_poly_mish_droot(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, -0.00013111642329022288, 1.778102887328714e-05), 0.00022603117395192385), 2.670349203981459e-06), 6.700740777887404e-05), 0.000487007899209857), -0.0001236297539435327), -0.003934361971914768), -0.011073270812630653), -0.006771416869014502), 0.05174980312585831), 0.18089473247528076), 0.21864277124404907); }
fn m_poly_gelu_droot(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 0.002376506570726633, -0.0006210292340256274), -0.0027928738854825497), 0.0005500292172655463), 0.00041375032742507756), -0.0006943430635146797), 0.006700955796986818), 0.010420926846563816), -0.03376255929470062), -0.0887802317738533), 0.05903799086809158), 0.3772808015346527), 0.3349912166595459); }
fn m_poly_silu_dmid(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 0.010488172993063927, -0.001888764789327979), -0.006233931053429842), 0.00019549168064258993), 0.004935889970511198), 0.006551060825586319), -0.022893691435456276), -0.06144724413752556), 0.09945478290319443), 0.45435792207717896), 0.28803303837776184); }
fn m_poly_gelut_k(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, -0.040830664336681366, 0.0654883161187172), -0.041397299617528915), 0.0141203748062253), -0.012030096724629402), 0.06136995553970337), -0.2672825753688812), 0.7978845834732056); }
fn m_poly_gelut_q0(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, -0.005600247997790575, 0.002463642507791519), 0.013442098163068295), 7.005132829362992e-06), -0.07704588025808334), 0.07394085824489594), -1.1841015815734863), 4.144567966461182), -3.169891119003296); }
fn m_poly_gelut_q1(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, -0.024214398115873337, -0.0007763730827718973), 0.0050062742084264755), -0.01675846427679062), -0.023898182436823845), 0.2393084019422531), -1.5691946744918823), 6.162203788757324), -6.998193740844727); }
fn m_poly_gelut_q2(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, -0.07555895298719406, -0.006831153761595488), 0.020498324185609818), 0.0002813783648889512), 0.008034666068851948), 0.24251441657543182), -2.1299924850463867), 8.936677932739258), -12.607345581054688); }
fn m_poly_gelut_q3(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 0.06346641480922699, 0.000670206209179014), -0.0181186031550169), 0.00191768619697541), 0.0056298719719052315), 0.21891391277313232), -2.645249843597412), 12.524904251098633), -20.607223510742188); }
fn m_poly_gelut_q4(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 0.11104512214660645, 0.0078055476769804955), -0.03319717198610306), -0.001332316780462861), 0.0034270656760782003), 0.2143722027540207), -3.1306650638580322), 16.85793685913086), -31.580322265625); }
fn m_poly_gelut_q5(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 0.24416592717170715, 0.003650222672149539), -0.07102371752262115), -0.00048569595674052835), 0.0064712101593613625), 0.21407108008861542), -3.612525463104248), 21.91516876220703), -46.0750732421875); }
fn m_poly_silu_q0(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, -0.00011926110892090946, 0.0001826000225264579), 0.00020810771093238145), -8.841798990033567e-05), -0.0016857126029208302), -0.008684170432388783), -0.02066771872341633), -0.002748866332694888), 1.1206417083740234), -1.6295334100723267); }
fn m_poly_silu_q1(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 2.6169854550062155e-07, -2.0554275579343084e-06), -1.3304070307640359e-05), -6.22734660282731e-05), -0.00020801225036848336), -0.00015694767353124917), 0.0027710171416401863), 0.017976315692067146), 1.054508924484253), -3.677440881729126); }
fn m_poly_silu_q2(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, -1.9509941466822056e-06, 1.2689773939200677e-05), 3.375823325768579e-06), -2.517529355827719e-05), 1.78361533471616e-05), 0.0001983415859285742), 0.0010471413843333721), 0.004072045907378197), 1.0099999904632568), -5.988162040710449); }
fn m_poly_silu_q3(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, -1.038013238030544e-06, 4.470520252652932e-06), 2.3815912300051423e-06), -8.112199793686159e-06), 5.408096512837801e-06), 5.1676910516107455e-05), 0.0002262840571347624), 0.0008003385155461729), 1.0018503665924072), -7.9979023933410645); }
fn m_poly_gelu_g1(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 3.8203988879104145e-06, 1.1658052244456485e-05), -2.9054852348053828e-05), 8.765817619860172e-05), -0.0003708095464389771), 0.0014091249322518706), -0.005031617823988199), 0.016947103664278984), -0.45216768980026245), -0.7439681887626648); }
fn m_poly_gelu_g2(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, -1.1643593325061374e-06, -3.2913762879616115e-06), 1.002320686893654e-06), 1.4182957784214523e-05), -3.9055721572367474e-05), 0.00018830981571227312), -0.0009583805222064257), 0.004606785252690315), -0.4202420115470886), -1.5013585090637207); }
fn m_poly_gelu_g3(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 18817.224609375, -3048.855224609375), 217.22666931152344), -11.878691673278809), 1.3066524267196655), -0.4000653028488159), 0.3989480435848236), -0.3989422917366028); }
fn m_poly_mish_q0(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 3.6329990962258307e-06, -3.5187581488571595e-06), -4.6698663936695084e-05), -0.00025458435993641615), -0.0010628903983160853), -0.003034171648323536), -0.003728635376319289), 0.012642113491892815), 1.0715996026992798), -1.9764211177825928); }
fn m_poly_mish_q1(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, -8.546466233383399e-06, 0.0001275690010515973), -5.433276783151086e-06), -0.00012824664008803666), -7.408447709167376e-05), 6.640258652623743e-05), 0.0018236922333016992), 0.010399091057479382), 1.0306252241134644), -3.584563970565796); }
fn m_poly_mish_q2(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, -1.849930231401231e-05, -2.0351464627310634e-05), 1.783081461326219e-05), 1.3023648534726817e-05), 2.1300947992131114e-06), 0.00015687780978623778), 0.0011122041614726186), 0.004739632364362478), 1.0122880935668945), -4.859902858734131); }
fn m_poly_mish_q3(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 1.0827490903864145e-08, -1.487940153310774e-07), -2.0998887961809487e-08), 1.532454916741699e-06), 6.058281542209443e-06), 3.910344821633771e-05), 0.00020684779155999422), 0.0007521732477471232), 1.0017634630203247), -7.2479753494262695); }
fn m_poly_mish_dpos(t: f32) -> f32 { return fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, fma(t, 0.003512296127155423, -0.00045776975457556546), 0.0025351964868605137), -0.0006835043313913047), -0.023261019960045815), 0.011148201301693916), 0.09081034362316132), -0.07880587130784988), -0.26892712712287903), 0.4680533707141876), 0.8864243626594543); }

// expm1(r) on |r| <= ln2/2: r + r^2 P(r), 2.7e-9 relative.
fn m_expm1_small(r: f32) -> f32 { return fma(r * r, m_poly_expm1_p(r), r); }

// e^(a + b) * 2^k. b is a small correction to a (a's rounding error); k rescales results that
// would be subnormal. a - n*ln2_hi is exact (Sterbenz), so the reduced argument keeps b's bits.
fn m_exp_ab(a: f32, b: f32, k: i32) -> f32 {
  let ac = clamp(a, -200.0, 200.0);
  let nf = round(ac * M_LOG2E);
  // m_opaque keeps drivers from folding the two ln2 halves back into one rounded constant.
  let r = (m_opaque(ac - nf * M_LN2_HI) - nf * M_LN2_LO) + b;
  // Without m_opaque, drivers regroup 1 + (r + r^2 P) as (1 + r) + r^2 P: one more rounding.
  return m_ldexp(1.0 + m_opaque(m_expm1_small(r)), i32(nf) + k);
}
// e^x, NaN for NaN.
fn m_exp(x: f32) -> f32 { return select(m_exp_ab(x, 0.0, 0), x, m_is_nan(x)); }

// ---- branch-free variants for the elementwise kernels (m_exp above is kept bit for bit: the
// fused training kernel and its CPU twin mirror it). On SIMD-across-invocations drivers every
// side of a divergent branch runs, so these use selects and scale by 2^n in two exact steps. ----

// 2^n for integral n in [-126, 127], no checks, from the float itself: n + 127 lands in the
// low mantissa bits of 1.5 * 2^23 + n + 127, and the shift moves them into the exponent field
// (the rest shifts out). Cheaper than i32(n), which WGSL makes saturating.
fn m_pow2f(n: f32) -> f32 { return bitcast<f32>(bitcast<u32>(n + 12583039.0) << 23u); }
// 2^n as two normal factors for integral n in [-246, 247]; v * x * y rounds once, since
// v * 2^-120 stays normal for v >= 2^-6.
fn m_pow2f_split(n: f32) -> vec2<f32> {
  let n1 = clamp(n, -120.0, 120.0);
  return vec2<f32>(m_pow2f(n1), m_pow2f(n - n1));
}
// ac - nf ln2 in two fmas: the first is exact (nf * M_LN2_HI has at most 24 bits and the
// difference is small by Sterbenz), so no driver regrouping can merge the two ln2 halves.
fn m_reduce_ln2(ac: f32, nf: f32) -> f32 { return fma(-nf, M_LN2_LO, fma(-nf, M_LN2_HI, ac)); }
// e^r on |r| <= ln2/2 as one Horner chain ending in + 1 (1 + r (1 + r P(r))): no separate
// 1 + expm1 step for a driver to regroup.
fn m_exp_small(r: f32) -> f32 { return fma(r, fma(r, m_poly_expm1_p(r), 1.0), 1.0); }
// e^(hi + lo) per component for hi <= 0 or -Inf (x - max of a softmax row as hi + lo): results
// below 2^-126 (hi < -87.68) flush to 0; a NaN hi gives garbage (callers test rows for NaN).
// k = round(hi log2(e)) from the bits of hi log2(e) + 1.5 * 2^23: no float -> int conversion
// (slow on CPU adapters); k + 127 shifted into the exponent field is 2^k.
fn m_exp_neg4(hi: vec4<f32>, lo: vec4<f32>) -> vec4<f32> {
  let t = m_opaque4(fma(hi, vec4<f32>(M_LOG2E), vec4<f32>(12582912.0)));
  let k = t - 12582912.0;
  let r = vec4<f32>(m_reduce_ln2(hi.x, k.x), m_reduce_ln2(hi.y, k.y), m_reduce_ln2(hi.z, k.z), m_reduce_ln2(hi.w, k.w)) + lo;
  let p = vec4<f32>(m_exp_small(r.x), m_exp_small(r.y), m_exp_small(r.z), m_exp_small(r.w));
  let sc = bitcast<vec4<f32>>((bitcast<vec4<u32>>(t) + vec4<u32>(127u - 0x4B400000u)) << vec4<u32>(23u));
  return select(p * sc, vec4<f32>(0.0), hi < vec4<f32>(-87.68));
}
// e^(a + b) * 2^k for k in [-24, 24] (k < 0 only with a > 60): a is clamped to [-150, 100], so
// n + k splits into two normal factors; the results equal m_exp_ab's wherever neither is 0 or
// Inf, within an ULP (one Horner chain instead of 1 + expm1).
fn m_fexp(a: f32, b: f32, k: i32) -> f32 {
  let ac = clamp(a, -150.0, 100.0);
  let nf = round(ac * M_LOG2E);
  let s = m_pow2f_split(nf + f32(k));
  return m_exp_small(m_reduce_ln2(ac, nf) + b) * s.x * s.y;
}
// m_exp_hl without branches (same clamp and scaling as m_fexp).
fn m_fexp_hl(a: f32, k: i32) -> vec2<f32> {
  let ac = clamp(a, -150.0, 100.0);
  let nf = round(ac * M_LOG2E);
  let q = m_opaque(m_expm1_small(m_reduce_ln2(ac, nf)));
  let h = m_opaque(1.0 + q);
  let l = q - (h - 1.0);
  let s = m_pow2f_split(nf + f32(k));
  return vec2<f32>(h * s.x * s.y, l * s.x * s.y);
}
// e^y - 1, branch-free: 2^n q + (2^n - 1) rounds once for n <= 24 (both terms exact), and
// 2^n (1 + q) above, where the - 1 is below half an ULP. y is clamped to [-40, 89].
fn m_fexpm1(y: f32) -> f32 {
  let yc = clamp(y, -40.0, 89.0);
  let nf = round(yc * M_LOG2E);
  let q = m_opaque(m_expm1_small(m_reduce_ln2(yc, nf)));
  let s = m_pow2f_split(nf);
  let t = s.x * s.y;
  return select(fma(t, q, t - 1.0), (1.0 + q) * s.x * s.y, nf > 24.0);
}
// m_fexpm1 for y in [-40, 0] (the caller clamps): one scale factor, no overflow side.
fn m_fexpm1_neg(y: f32) -> f32 {
  let nf = round(y * M_LOG2E);
  let q = m_opaque(m_expm1_small(m_reduce_ln2(y, nf)));
  let t = m_pow2f(nf);
  return fma(t, q, t - 1.0);
}
// e^a * 2^k as hi + lo: lo keeps the rounding error of 1 + q (about half an ULP of hi) for
// callers that can use it.
fn m_exp_hl(a: f32, k: i32) -> vec2<f32> {
  let ac = clamp(a, -200.0, 200.0);
  let nf = round(ac * M_LOG2E);
  let r = m_opaque(ac - nf * M_LN2_HI) - nf * M_LN2_LO;
  let q = m_opaque(m_expm1_small(r));
  let h = m_opaque(1.0 + q);
  let l = q - (h - 1.0);
  let n = i32(nf) + k;
  return vec2<f32>(m_ldexp(h, n), m_ldexp(l, n));
}

// log(1 + f) for f in [-1/3, 1/2]: f - (f^2/2 - s (f^2/2 + R(s^2))), s = f / (2 + f); the
// leading f is exact, so the error stays in the small correction.
fn m_log1p_core(f: f32) -> f32 {
  let s = f / (2.0 + f);
  let z = s * s;
  let r = z * (0.6666666666666666 + z * (0.4 + z * (0.2857142857142857 + z * (0.2222222222222222 + z * 0.18181818181818182))));
  let hfsq = 0.5 * f * f;
  return f - (hfsq - s * (hfsq + r));
}

// log(1 + x), x >= -1.
fn m_log1p(x: f32) -> f32 {
  if (m_is_nan(x) || x < -1.0) { return m_nan(x); }
  if (x == -1.0) { return m_inf(-1.0); }
  if (x >= -0.3333 && x <= 0.5) { return m_log1p_core(x); }
  if (m_is_inf(x)) { return x; }
  let u = 1.0 + x;
  // Rounding error of 1 + x, recovered exactly (valid for both x < 1 and x >= 1).
  let c = select(x - (m_opaque(u) - 1.0), 1.0 - (m_opaque(u) - x), x >= 1.0) / u;
  var k = i32((bitcast<u32>(u) >> 23u) & 0xffu) - 127;
  var m = bitcast<f32>((bitcast<u32>(u) & 0x007fffffu) | 0x3f800000u);
  if (m > 1.4142135) { m = m * 0.5; k = k + 1; }
  let kf = f32(k);
  return kf * M_LN2_HI + (m_log1p_core(m - 1.0) + (c + kf * M_LN2_LO));
}

fn m_log(x: f32) -> f32 {
  if (m_is_nan(x) || x < 0.0) { return m_nan(x); }
  if (x == 0.0) { return m_inf(-1.0); }
  if (m_is_inf(x)) { return x; }
  var v = x;
  var k = -127;
  if (v < 1.1754944e-38) { v = v * 16777216.0; k = k - 24; }
  k = k + i32((bitcast<u32>(v) >> 23u) & 0xffu);
  var m = bitcast<f32>((bitcast<u32>(v) & 0x007fffffu) | 0x3f800000u);
  if (m > 1.4142135) { m = m * 0.5; k = k + 1; }
  let kf = f32(k);
  return kf * M_LN2_HI + (m_log1p_core(m - 1.0) + kf * M_LN2_LO);
}

// tanh: odd polynomial near 0 (no cancellation), (1 - e)/(1 + e) with e = e^(-2|x|) elsewhere.
fn m_tanh(x: f32) -> f32 {
  if (m_is_nan(x)) { return x; }
  let a = abs(x);
  if (a < 0.55) { let z = x * x; return fma(x * z, m_poly_tanh_t(z), x); }
  if (a > 9.5) { return m_copysign(1.0, x); }
  let e = m_exp(-2.0 * a);
  return m_copysign((1.0 - e) / (1.0 + e), x);
}

// 1 / (1 + e^-x) from e = e^-|x| <= 1, so nothing overflows or cancels.
fn m_sigmoid(x: f32) -> f32 {
  let e = m_exp(-abs(x));
  let d = 1.0 + e;
  return select(e / d, 1.0 / d, x >= 0.0);
}

// The textbook float32 1 / (1 + e^-x) that Keras computes: training reproduces the seeds'
// printed digits with it (m_sigmoid is the more accurate form the activation ops use).
fn m_sigmoid_textbook(x: f32) -> f32 { return 1.0 / (1.0 + m_exp(-x)); }

// n / (1 + e)^2 for 0 <= e <= 1, n and e given as hi + lo; the rounding error of d = 1 + e is
// recovered exactly and applied to first order (it would otherwise count twice).
fn m_div_sq_one_plus2(n: vec2<f32>, e: vec2<f32>) -> f32 {
  let d = m_opaque(1.0 + e.x);
  let dl = (e.x - (d - 1.0)) + e.y;
  // dl / d is a correction below 2^-23 of the result: 1/d to ~6% (1 - t + t^2/2, t = d - 1)
  // keeps it to ~0.1 ULP and saves a division.
  let t = d - 1.0;
  return (n.x + (n.y - (2.0 * n.x * dl) * fma(t, fma(t, 0.5, -1.0), 1.0))) / (d * d);
}
fn m_div_sq_one_plus(n: f32, e: f32) -> f32 { return m_div_sq_one_plus2(vec2<f32>(n, 0.0), vec2<f32>(e, 0.0)); }
// Rounding error of 1 + e, for numerators that contain 1 + e themselves.
fn m_one_plus_lo(e: f32) -> f32 {
  let d = m_opaque(1.0 + e);
  return e - (d - 1.0);
}
// e / (1 + e)^2 (sigmoid', tanh' / 4) from e = hi + lo.
fn m_e_over_sq(e: vec2<f32>) -> f32 { return m_div_sq_one_plus2(e, e); }

// e^(-x^2/2) * 2^k with x^2 = hi + lo carried exactly: hi/2 feeds the exact Cody-Waite step,
// lo/2 the correction (otherwise the rounding of x^2 costs |x|^2/2 ULP, ~88 ULP near underflow).
fn m_exp_neg_half_sq(x: f32, k: i32) -> f32 {
  let xh = m_hi12(x);
  let xl = x - xh;
  let hi = xh * xh;
  let lo = (2.0 * xh + xl) * xl;
  return m_exp_ab(-0.5 * hi, -0.5 * lo, k);
}

// m_exp_neg_half_sq on m_fexp (|x| <= 17).
fn m_fexp_neg_half_sq(x: f32, k: i32) -> f32 {
  let xh = m_hi12(x);
  let xl = x - xh;
  let hi = xh * xh;
  let lo = (2.0 * xh + xl) * xl;
  return m_fexp(-0.5 * hi, -0.5 * lo, k);
}

// R(u) = Phi(-u) e^(u^2/2) for u >= 0.674 (Phi: standard normal CDF).
fn m_phi_r(u: f32) -> f32 {
  if (u < 1.5) { return m_poly_phi_r0(u - 1.125); }
  if (u < 3.0) { return m_poly_phi_r1(u - 2.25); }
  if (u < 5.0) { return m_poly_phi_r2(u - 4.0); }
  let w = 1.0 / u;
  return w * m_poly_phi_r3(w * w);
}

// G(u) = R(u) - u / sqrt(2 pi) for u >= 0.35, so that gelu'(-u) = e^(-u^2/2) G(u) and
// gelu'(u) = 1 - e^(-u^2/2) G(u). Below 1.5 it is (u - u0) H(u) with the root u0 = 0.75179
// divided out, so gelu' keeps full relative accuracy next to it.
const M_GELU_U0_HI: f32 = 0.7517915368080139;
const M_GELU_U0_LO: f32 = -1.211444988769017e-08;
fn m_gelu_g(u: f32) -> f32 {
  if (u < 1.5) { return (m_opaque(u - M_GELU_U0_HI) - M_GELU_U0_LO) * m_poly_gelu_h0(u - 1.0); }
  if (u < 3.0) { return m_poly_gelu_g1(u - 2.25); }
  if (u < 5.0) { return m_poly_gelu_g2(u - 4.0); }
  let w = 1.0 / u;
  return u * m_poly_gelu_g3(w * w);
}
