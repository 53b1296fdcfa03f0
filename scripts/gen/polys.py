"""The fitted polynomials of shaders/lib/math.wgsl (`fn m_poly_<name>(t: f32) -> f32`, Horner in
fma): what each approximates, on what interval of t, to what degree, and the fitter.

Each spec gives the target g(t) (mpmath, 40 digits) and a scale s(t) that turns an error in the
polynomial into the relative error of the quantity its caller returns: |s (P - g)|. For most
pieces that quantity is P itself (s = 1/|g|); where the caller adds a leading term (expm1's
r + r^2 P, tanh's x + x^3 T, Phi's 0.5 + x C, ...) s is smaller and the fit can be looser.

Fit: Lawson-reweighted least squares (converges to the weighted minimax) on Chebyshev nodes and
a uniform grid, in the monomial basis of t; then the coefficients are rounded to float32 one at
a time from the constant term up, the others refitted after each rounding, and a local search on
the float32 lattice polishes the result.
"""
import re
from dataclasses import dataclass
from typing import Callable

import mpmath
import numpy as np
from mpmath import mpf

from reference import ROOTS, gelu_d, gelu_tanh_d as gelut_d, gelu_tanh_u, mish_d, phi_cdf, root, silu_d

DPS = 40
mpmath.mp.dps = DPS     # for the constants below; sample() sets it again for each call
SQRT2PI = mpmath.sqrt(2 * mpmath.pi)


def gelut_w(x):                                # tanh-gelu's w = 2 sqrt(2/pi) (x + 0.044715 x^3)
    return 2 * gelu_tanh_u(x)


def phi_r(u):                                  # R(u) = Phi(-u) e^(u^2/2)
    return mpmath.erfc(u / mpmath.sqrt(2)) / 2 * mpmath.exp(u * u / 2)


def gelu_g(u):                                 # G(u) = R(u) - u / sqrt(2 pi)
    return phi_r(u) - u / SQRT2PI


ROOT_SILU, ROOT_GELU, ROOT_MISH, ROOT_GELUT = (root(fn, x0) for fn, x0 in ROOTS)   # ROOT_GELU = -u0


def nz(v, eps=mpf('1e-12')):
    """v nudged off an exact 0, where a target is 0/0: close enough that the value is its limit
    to ~1e-12, far enough that 40 digits survive the cancellation (1e-30 would leave ~10)."""
    return v if v != 0 else eps


@dataclass
class Spec:
    name: str
    what: str                  # the function and the variable, in words
    lo: float                  # interval of t
    hi: float
    degree: int
    target: Callable           # t (mpf) -> g(t)
    scale: Callable = None     # t (mpf), g -> s(t); None: relative to g (1 / |g|)


def rel(t, g):
    return 1 / abs(g)


def droot(fn, x0, shift):
    """P with f'(x) = d P(d + shift), d = x - x0 (the root divided out)."""
    return lambda t: fn(x0 + nz(t - shift)) / nz(t - shift)


def q_exp(fn, w):
    """Q(x) = f'(x) e^-w(x), so that f'(x) = e^w(x) Q(x) (use with piece() for t = x - c)."""
    return lambda x: fn(x) * mpmath.exp(-w(x))


def piece(fn, c):
    return lambda t: fn(t + c)


def sqrt_pos(t):
    return mpmath.sqrt(nz(t))


def even_fit(fn, neg_max):
    """K(x^2) with fn(x) = 0.5 + x K(x^2); the scale is the worst of x = +sqrt(t) and, while
    sqrt(t) <= neg_max, x = -sqrt(t) (relative to fn(x))."""
    def target(t):
        x = sqrt_pos(t)
        return (fn(x) - mpf(0.5)) / x

    def scale(t, g):
        x = sqrt_pos(t)
        s = x / abs(fn(x))
        if x <= neg_max:
            s = max(s, x / abs(fn(-x)))
        return s
    return target, scale


def _tanh_target(t):
    x = sqrt_pos(t)
    return (mpmath.tanh(x) - x) / x ** 3


def _phi_c_target(t):
    x = sqrt_pos(t)
    return (phi_cdf(x) - mpf(0.5)) / x


def _phi_c_scale(t, g):
    # Phi(x) = 0.5 + x C (worst at x = -sqrt t) and erf's 2 t C(t^2) (relative to C)
    x = sqrt_pos(t)
    return max(x / phi_cdf(-x), 1 / abs(g))


_gk_t, _gk_s = even_fit(gelu_d, 0.35)
_gtk_t, _gtk_s = even_fit(gelut_d, 0.353)
U0 = -ROOT_GELU

SPECS = [
    Spec('expm1_p', 'expm1(r) = r + r^2 P(r), t = r on |r| <= ln2/2 (also e^r = 1 + r (1 + r P))',
         -0.34657359027997264, 0.34657359027997264, 5,
         lambda t: (mpmath.expm1(nz(t)) - nz(t)) / nz(t) ** 2,
         lambda t, g: t * t / abs(mpmath.expm1(nz(t)))),
    Spec('tanh_t', 'tanh(x) = x + x^3 T(x^2), t = x^2, |x| < 0.55', 0, 0.3025, 5,
         _tanh_target, lambda t, g: sqrt_pos(t) ** 3 / mpmath.tanh(sqrt_pos(t))),
    Spec('phi_c', 'Phi(x) = 0.5 + x C(x^2), t = x^2, |x| <= 0.675 (erf: 2 x C(x^2))', 0, 0.455625, 5,
         _phi_c_target, _phi_c_scale),
    Spec('gelu_k', "gelu'(x) = 0.5 + x K(x^2), t = x^2, x in [-0.35, 0.675]", 0, 0.455625, 6, _gk_t, _gk_s),
    Spec('phi_r0', 'R(u) = Phi(-u) e^(u^2/2), t = u - 1.125, u in [0.675, 1.5]', -0.45, 0.375, 8,
         piece(phi_r, mpf('1.125'))),
    Spec('phi_r1', 'R(u), t = u - 2.25, u in [1.5, 3]', -0.75, 0.75, 8, piece(phi_r, mpf('2.25'))),
    Spec('phi_r2', 'R(u), t = u - 4, u in [3, 5]', -1, 1, 9, piece(phi_r, mpf(4))),
    Spec('gelu_h0', 'H(u) = G(u) / (u - u0), G = R(u) - u / sqrt(2 pi), t = u - 1, u in [0.675, 1.5]',
         -0.325, 0.5, 10, lambda t: gelu_g(1 + t) / (1 + t - U0)),
    Spec('phi_r3', 'R(u) = w P(w^2), w = 1/u, t = w^2, u in [5, 15]', 1 / 225, 0.04, 5,
         lambda t: phi_r(1 / mpmath.sqrt(t)) / mpmath.sqrt(t)),
    Spec('gelut_droot', "tanh-gelu'(x) = d P(d + 0.1875), d = x - x0 (root -0.75246), x in [-1.5, -0.35]",
         -0.5625, 0.5875, 11, droot(gelut_d, ROOT_GELUT, mpf('0.1875'))),
    Spec('mish_h', 'h(e) = (e + 2) / (e^2 + 2e + 2) (mish(x) = x e h(e), e = e^x, x <= 0), t = e - 0.5',
         -0.5, 0.5, 10, lambda t: (t + mpf(2.5)) / ((t + mpf(0.5)) ** 2 + 2 * (t + mpf(0.5)) + 2)),
    Spec('mish_dmid', "mish'(x), t = x + 0.35, x in [-0.70, 0]", -0.35, 0.35, 9, piece(mish_d, mpf(-0.35))),
    Spec('silu_droot', "silu'(x) = d P(d + 0.25), d = x - x0 (root -1.27846), x in [-2.2, -0.86]",
         -0.67, 0.67, 11, droot(silu_d, ROOT_SILU, mpf(0.25))),
    Spec('mish_droot', "mish'(x) = d P(d + 0.25), d = x - x0 (root -1.19243), x in [-2.19, -0.69]",
         -0.75, 0.75, 12, droot(mish_d, ROOT_MISH, mpf(0.25))),
    Spec('gelu_droot', "gelu'(x) = d P(d + 0.25), d = x - x0 (root -0.75179), x in [-1.6, -0.35]",
         -0.6, 0.652, 12, droot(gelu_d, ROOT_GELU, mpf(0.25))),
    Spec('silu_dmid', "silu'(x), t = x + 0.4375, x in [-0.87, 0]", -0.4325, 0.4375, 10,
         piece(silu_d, mpf(-0.4375))),
    Spec('gelut_k', "tanh-gelu'(x) = 0.5 + x K(x^2), t = x^2, x in [-0.353, 0.675]", 0, 0.455625, 7,
         _gtk_t, _gtk_s),
]
# tanh-gelu' = e^w Q(x) on [-6, -1.5], six pieces of width 0.75
for _i in range(6):
    _c = mpf(-1.875) - mpf(0.75) * _i
    SPECS.append(Spec(f'gelut_q{_i}', f"tanh-gelu'(x) e^-w(x), t = x - ({float(_c)}), x in "
                      f'[{float(_c) - 0.375}, {float(_c) + 0.375}]', -0.375, 0.375, 8,
                      piece(q_exp(gelut_d, gelut_w), _c)))
# silu' = e^x Q(x) on [-10, -2.2]
# (q0 ends where the root piece stops: x0 - 0.92 = -2.19846)
for _i, (_a, _b, _c) in enumerate([(-3.5, -2.198, -2.875), (-6, -3.5, -4.75), (-8, -6, -7), (-10, -8, -9)]):
    SPECS.append(Spec(f'silu_q{_i}', f"silu'(x) e^-x, t = x - ({_c}), x in [{_a}, {_b}]", _a - _c, _b - _c, 9,
                      piece(q_exp(silu_d, lambda x: x), mpf(_c))))
SPECS += [
    Spec('gelu_g1', 'G(u) = R(u) - u / sqrt(2 pi), t = u - 2.25, u in [1.5, 3]', -0.75, 0.75, 9,
         piece(gelu_g, mpf('2.25'))),
    Spec('gelu_g2', 'G(u), t = u - 4, u in [3, 5]', -1, 1, 9, piece(gelu_g, mpf(4))),
    Spec('gelu_g3', 'G(u) = u P(w^2), w = 1/u, t = w^2, u in [5, 15]', 1 / 225, 0.04, 7,
         lambda t: gelu_g(1 / mpmath.sqrt(t)) * mpmath.sqrt(t)),
]
# mish' = e^x Q(x) on [-10, -2.19] (q0 ends where the root piece stops: x0 - 1 = -2.19243)
for _i, (_a, _b, _c) in enumerate([(-4, -2.1875, -3.09375), (-5.25, -4, -4.625), (-6.5, -5.25, -5.875),
                                   (-10, -6.5, -8.25)]):
    SPECS.append(Spec(f'mish_q{_i}', f"mish'(x) e^-x, t = x - ({_c}), x in [{_a}, {_b}]", _a - _c, _b - _c, 9,
                      piece(q_exp(mish_d, lambda x: x), mpf(_c))))
SPECS.append(Spec('mish_dpos', "mish'(x), t = x - 0.5, x in [0, 1]", -0.5, 0.5, 10, piece(mish_d, mpf(0.5))))

BY_NAME = {s.name: s for s in SPECS}


# ---- float32 and the WGSL line ----
def f32(v: float) -> float:
    return float(np.float32(v))


def f32_next(v: float, away_from: float) -> float:
    """The float32 neighbour of the float32 v on the side of away_from."""
    return float(np.nextafter(np.float32(v), np.float32(np.inf if away_from > v else -np.inf)))


def wgsl_line(name: str, c: list) -> str:
    """fn m_poly_<name>(t) as fma Horner, c[0] the constant term; literals as Python's repr of
    the float32 value (shortest decimal that reads back as the same float64)."""
    expr = repr(c[-1])
    for k in range(len(c) - 2, -1, -1):
        expr = f'fma(t, {expr}, {repr(c[k])})'
    return f'fn m_poly_{name}(t: f32) -> f32 {{ return {expr}; }}'


LINE_RE = re.compile(r'^fn m_poly_(\w+)\(t: f32\) -> f32 \{ return (.*); \}$')
NUM_RE = re.compile(r'-?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?')


def parse_line(line: str):
    """(name, coefficients c[0..n]) of a generated line; None if the line is not one."""
    m = LINE_RE.match(line.rstrip('\n'))
    if not m:
        return None
    nums = [float(v) for v in NUM_RE.findall(m.group(2).replace('fma(t,', ''))]
    return m.group(1), nums[::-1]   # the innermost literal is the highest degree


# ---- the fit ----
@dataclass
class Samples:
    t: np.ndarray
    g: np.ndarray
    s: np.ndarray


def sample(spec: Spec, n: int, chebyshev: bool) -> Samples:
    with mpmath.workdps(DPS):
        return _sample(spec, n, chebyshev)


def _sample(spec: Spec, n: int, chebyshev: bool) -> Samples:
    if chebyshev:
        k = np.arange(n)
        u = np.cos((2 * k + 1) * np.pi / (2 * n))[::-1]
    else:
        u = np.linspace(-1, 1, n)
    ts, gs, ss = [], [], []
    for uu in u:
        t = mpf(spec.lo) + (mpf(spec.hi) - spec.lo) * (mpf(float(uu)) + 1) / 2
        g = spec.target(t)
        s = (spec.scale or rel)(t, g)
        ts.append(float(t))
        gs.append(float(g))
        ss.append(float(s))
    return Samples(np.array(ts), np.array(gs), np.array(ss))


def horner64(c, t):
    p = np.zeros_like(t) + c[-1]
    for k in range(len(c) - 2, -1, -1):
        p = p * t + c[k]
    return p


def horner32(c, t):
    """As the GPU evaluates it on lavapipe: fma(t, p, c) as two float32 roundings."""
    t32 = t.astype(np.float32)
    p = np.full_like(t32, np.float32(c[-1]))
    for k in range(len(c) - 2, -1, -1):
        p = (p * t32) + np.float32(c[k])
    return p.astype(np.float64)


def max_err(c, smp: Samples, evaluate=horner64) -> float:
    return float(np.max(np.abs(smp.s * (evaluate(c, smp.t) - smp.g))))


def lawson(smp: Samples, degree: int, fixed: dict, iters: int, w0=None):
    """Weighted minimax by Lawson's reweighting; coefficients in `fixed` are held."""
    free = [k for k in range(degree + 1) if k not in fixed]
    if not free:
        return [fixed[k] for k in range(degree + 1)], w0
    scale_t = max(abs(smp.t).max(), 1e-300)
    a = np.stack([(smp.t / scale_t) ** k for k in free], axis=1) * smp.s[:, None]
    rhs = smp.g.copy()
    for k, v in fixed.items():
        rhs -= v * smp.t ** k
    rhs *= smp.s
    w = np.full(len(smp.t), 1 / len(smp.t)) if w0 is None else w0.copy()
    for _ in range(iters):
        sw = np.sqrt(w)
        x, *_ = np.linalg.lstsq(a * sw[:, None], rhs * sw, rcond=None)
        r = np.abs(a @ x - rhs)
        w = w * r
        w /= w.sum()
    c = [0.0] * (degree + 1)
    for k, v in fixed.items():
        c[k] = v
    for k, v in zip(free, x):
        c[k] = v / scale_t ** k
    return c, w


def f32_neighbours(v: float, steps: int) -> list:
    """The float32 values 1..steps steps below and above the float32 v."""
    out = []
    for direction in (np.inf, -np.inf):
        x = np.float32(v)
        for _ in range(steps):
            x = np.nextafter(x, np.float32(direction))
            out.append(float(x))
    return out


def polish(c: list, smp: Samples, max_rounds: int = 300) -> list:
    """Local search on the float32 lattice: moves of one coefficient by 1-2 float32 steps, or
    of two coefficients by one step each, while the weighted max error drops."""
    c = list(c)
    sv = smp.s[:, None] * np.stack([smp.t ** k for k in range(len(c))], axis=1)   # dR / dc_k
    r = smp.s * (horner64(c, smp.t) - smp.g)
    for _ in range(max_rounds):
        singles = [(k, v - c[k]) for k in range(len(c)) for v in f32_neighbours(c[k], 2)]
        steps1 = [(k, v - c[k]) for k in range(len(c)) for v in f32_neighbours(c[k], 1)]
        moves = [[m] for m in singles] + [[a, b] for i, a in enumerate(steps1) for b in steps1[i + 1:] if a[0] != b[0]]
        delta = np.zeros((len(c), len(moves)))
        for j, mv in enumerate(moves):
            for k, d in mv:
                delta[k, j] = d
        errs = np.max(np.abs(r[:, None] + sv @ delta), axis=0)
        j = int(np.argmin(errs))
        if errs[j] >= np.max(np.abs(r)) * (1 - 1e-9):
            break
        for k, d in moves[j]:
            c[k] = f32(c[k] + d)
        r = smp.s * (horner64(c, smp.t) - smp.g)
    return c


def fit(spec: Spec, smp: Samples, iters: int = 60) -> list:
    """Float32 coefficients c[0..degree]: the weighted minimax fit, then each coefficient from
    the constant term up rounded to the nearer float32 or the other neighbour (whichever leaves
    the better refit of the remaining ones, each refit a fresh Lawson run), then polished."""
    c, _ = lawson(smp, spec.degree, {}, iters)
    fixed = {}
    for k in range(spec.degree + 1):
        best = None
        near = f32(c[k])
        for v in (near, f32_next(near, c[k])):
            trial = dict(fixed)
            trial[k] = v
            ct, _ = lawson(smp, spec.degree, trial, iters)
            e = max_err(ct, smp)
            if best is None or e < best[0]:
                best = (e, trial, ct)
        _, fixed, c = best
    return polish([fixed[k] for k in range(spec.degree + 1)], smp)
