"""test/activations.mpmath.json: every activation and its derivative at 120 digits (mpmath),
rounded to float32 through float64 (float(v), then the float32 nearest it), on a fixed input set.

The CPU reference (src/activations/table.ts) is checked against this file in
test/activations.test.ts (within 1 ULP). Formulas here are the mathematical definitions with the
library's conventions at the kinks; they share nothing with the float64 code they check.
"""
import json
import math
import struct

import mpmath
from mpmath import mp, mpf

DPS = 120


def at_dps(fn):
    """Runs fn at DPS digits (the fitter in polys.py works at its own precision)."""
    def run(*args, **kwargs):
        with mp.workdps(DPS):
            return fn(*args, **kwargs)
    return run


def f32(v) -> float:
    """The float32 nearest float(v) (round to nearest even), as a Python float."""
    return struct.unpack('<f', struct.pack('<f', float(v)))[0]


def f32_step(x: float, k: int) -> float:
    """The float32 k steps away from the float32 x in magnitude (k > 0: away from zero)."""
    (u,) = struct.unpack('<I', struct.pack('<f', x))
    return struct.unpack('<f', struct.pack('<I', u + k))[0]


# ---- the input set ----
# The finite named inputs of test/activations.test.ts (without -0 and +-3.4e38) and the seams of
# gelu's pieces (0.675, 1.5, 5, 15), in the file's order.
NAMED = [0, 1e-30, -1e-30, 0.5, -0.5, 1, -1, 10, -10, 20, -20, 88, -88, 89, -89, 100, -100, 1e4, -1e4,
         1.4e-45, -1.4e-45, 0.25, 7, 9, 3, -3, 6, -2.5, 2.5, -6, 0.675, -0.675, 1.5, -1.5, 5, -5, 15, -15]
LOG_SWEEP = (-20, 3.5, 24)   # +-10^e for 24 exponents e evenly spaced on [-20, 3.5]
ROOT_STEPS = 2               # the float32 nearest each root of a derivative, and 2 neighbours each side


def e_pos(x):
    return mpmath.exp(-abs(x))


def sigmoid(x):
    e = e_pos(x)
    return 1 / (1 + e) if x >= 0 else e / (1 + e)


def sigmoid_d(x):                      # s (1 - s) = e / (1 + e)^2 without cancellation
    e = e_pos(x)
    return e / (1 + e) ** 2


def sech2(u):                          # 1 - tanh(u)^2 = 4 e / (1 + e)^2, e = e^-2|u|
    e = mpmath.exp(-2 * abs(u))
    return 4 * e / (1 + e) ** 2


def softplus(x):
    return max(x, 0) + mpmath.log1p(e_pos(x))


def phi_cdf(x):
    return mpmath.erfc(-x / mpmath.sqrt(2)) / 2


def phi_pdf(x):
    return mpmath.exp(-x * x / 2) / mpmath.sqrt(2 * mpmath.pi)


def gelu_tanh_u(x):                    # sqrt(2/pi) (x + 0.044715 x^3), constants at the working precision
    return mpmath.sqrt(2 / mpmath.pi) * (x + mpf('0.044715') * x ** 3)


def gelu_tanh(x):                      # x (1 + tanh u) / 2 = x sigmoid(2u): no cancellation for u < 0
    return x * sigmoid(2 * gelu_tanh_u(x))


def gelu_tanh_d(x):
    u = gelu_tanh_u(x)
    du = mpmath.sqrt(2 / mpmath.pi) * (1 + 3 * mpf('0.044715') * x * x)
    return sigmoid(2 * u) + x / 2 * sech2(u) * du


def silu_d(x):
    return sigmoid(x) + x * sigmoid_d(x)


def gelu_d(x):
    return phi_cdf(x) + x * phi_pdf(x)


def mish(x):
    return x * mpmath.tanh(softplus(x))


def mish_d(x):
    sp = softplus(x)
    return mpmath.tanh(sp) + x * sigmoid(x) * sech2(sp)


# Roots of the derivatives that cross zero (start points for findroot).
ROOTS = [(silu_d, -1.28), (gelu_d, -0.75), (mish_d, -1.19), (gelu_tanh_d, -0.75)]


def root(fn, x0):
    return mpmath.findroot(fn, mpf(x0))


@at_dps
def inputs() -> list:
    xs = [f32(v) for v in NAMED]
    lo, hi, n = LOG_SWEEP
    for k in range(n):
        v = f32(mpf(10) ** (mpf(lo) + k * (mpf(hi) - lo) / (n - 1)))
        xs += [v, -v]
    for fn, x0 in ROOTS:
        c = f32(root(fn, x0))
        xs += [f32_step(c, k) for k in range(-ROOT_STEPS, ROOT_STEPS + 1)]
    return xs


# ---- the activations: (forward, derivative) given the float32 parameters ----
def variants():
    a02 = mpf(f32(0.2))
    sa, sg = mpf(f32(1.6732632423543772)), mpf(f32(1.0507009873554805))

    def elu(al):
        return (lambda x: x if x > 0 else al * mpmath.expm1(x),
                lambda x: 1 if x > 0 else al * mpmath.exp(x))

    def celu(al):
        return (lambda x: x if x > 0 else al * mpmath.expm1(x / al),
                lambda x: 1 if x > 0 else mpmath.exp(x / al))

    def linear(a, b):
        return (lambda x: a * x + b, lambda x: a)

    def hard_sigmoid(al, be):
        return (lambda x: min(max(al * x + be, 0), 1),
                lambda x: al if 0 < al * x + be < 1 else 0)

    return [
        ('identity', {}, (lambda x: x, lambda x: 1)),
        ('linear', {}, linear(1, 0)),
        ('linear', {'a': 1.5, 'b': 1}, linear(mpf(1.5), 1)),
        ('sigmoid', {}, (sigmoid, sigmoid_d)),
        ('tanh', {}, (mpmath.tanh, sech2)),
        ('leakyRelu', {}, (lambda x: x if x > 0 else a02 * x, lambda x: 1 if x > 0 else a02)),
        ('elu', {}, elu(1)),
        ('elu', {'alpha': 2}, elu(2)),
        ('selu', {}, (lambda x: sg * x if x > 0 else sg * sa * mpmath.expm1(x),
                      lambda x: sg if x > 0 else sg * sa * mpmath.exp(x))),
        ('celu', {}, celu(1)),
        ('celu', {'alpha': 0.5}, celu(mpf(0.5))),
        ('softplus', {}, (softplus, sigmoid)),
        ('softsign', {}, (lambda x: x / (1 + abs(x)), lambda x: 1 / (1 + abs(x)) ** 2)),
        ('hardSigmoid', {}, hard_sigmoid(a02, mpf(0.5))),
        ('silu', {}, (lambda x: x * sigmoid(x), silu_d)),
        ('gelu', {}, (lambda x: x * phi_cdf(x), gelu_d)),
        ('gelu', {'approximate': 'tanh'}, (gelu_tanh, gelu_tanh_d)),
        ('mish', {}, (mish, mish_d)),
        ('hardSwish', {}, (lambda x: 0 if x <= -3 else x if x >= 3 else x * (x + 3) / 6,
                           lambda x: 0 if x <= -3 else 1 if x >= 3 else (2 * x + 3) / 6)),
    ]


@at_dps
def build() -> str:
    xs = inputs()
    out = {'inputs': xs, 'variants': []}
    for name, params, (f, df) in variants():
        mx = [mpf(x) for x in xs]
        out['variants'].append({'name': name, 'params': params,
                                'forward': [f32(f(x)) for x in mx],
                                'derivative': [f32(df(x)) for x in mx]})
    return json.dumps(out)


def f32_correct(v):
    """The correctly rounded float32 of v (nearest, ties to even), subnormals included."""
    if v == 0:
        return 0.0
    if abs(v) < mpf(2) ** -126:
        return float(mpmath.nint(v * mpf(2) ** 149) * mpf(2) ** -149)
    with mp.workprec(24):
        r = +v
    return float(r) if abs(r) <= mpf(3.4028234663852886e38) else math.copysign(math.inf, v)


@at_dps
def rounding_report() -> list:
    """How many values of the file differ from the correctly rounded float32 (float(v) rounds
    to float64 first, so a value just past a float32 tie can land on the tie and go to even)."""
    off = []
    for name, params, fns in variants():
        for kind, fn in zip(('forward', 'derivative'), fns):
            for x in inputs():
                v = mpf(fn(mpf(x)))
                if f32(v) != f32_correct(v):
                    off.append(f'{name}{json.dumps(params) if params else ""} {kind} at {x!r}')
    return off
