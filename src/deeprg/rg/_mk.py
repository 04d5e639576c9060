"""Migdal-Kadanoff bond-moving RG in d dimensions (Migdal 1975; Kadanoff 1976).

Moving bonds multiplies the coupling by b^{d-1}; decimating b-1 of every b spins along the
strengthened bonds is the 1D recursion tanh K' = tanh^b(b^{d-1} K). For d = 2, b = 2:
K' = 1/2 ln cosh 4K, with nontrivial fixed point K* = 0.304689 and thermal eigenvalue
y_T = log_b(dK'/dK at K*) = log_2(2 tanh 4K*) = 0.7472, i.e. nu = 1.338, an approximation
of the exact nu = 1 (K_c = 0.440687).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from scipy.optimize import brentq

from deeprg.exact import K_CRITICAL
from deeprg.utils import check_finite, check_int


def mk_recursion(K: float, b: int = 2, d: int = 2) -> float:
    """K' = atanh(tanh^b(b^{d-1} K))."""
    K = check_finite(K, "K")
    t = math.tanh(b ** (d - 1) * K)
    tb = t**b
    return math.atanh(tb) if tb < 1.0 else math.inf


def mk_derivative(K: float, b: int = 2, d: int = 2) -> float:
    """dK'/dK, analytic: b^d t^{b-1} (1 - t^2) / (1 - t^{2b}) with t = tanh(b^{d-1} K)."""
    c = b ** (d - 1)
    t = math.tanh(c * K)
    return c * b * t ** (b - 1) * (1.0 - t * t) / (1.0 - t ** (2 * b))


@dataclass(frozen=True)
class MKResult:
    b: int
    d: int
    K_star: float
    eigenvalue: float
    y_T: float
    nu: float
    exact_K_c: float | None
    exact_y_T: float | None
    exact_nu: float | None

    def to_dict(self) -> dict:
        return asdict(self)


def mk_fixed_point(b: int = 2, d: int = 2) -> MKResult:
    """The nontrivial fixed point of the Migdal-Kadanoff recursion and its exponent y_T."""
    b = check_int(b, "b", minimum=2)
    d = check_int(d, "d", minimum=2, maximum=6)
    # K' - K is negative at small K (flows to 0) and positive at large K (flows to infinity).
    lo, hi = 1e-6, 1.0
    while mk_recursion(hi, b, d) - hi <= 0:
        hi *= 2
    K_star = brentq(lambda k: mk_recursion(k, b, d) - k, lo, hi, xtol=1e-15, rtol=1e-15)
    lam = mk_derivative(K_star, b, d)
    y = math.log(lam) / math.log(b)
    exact = d == 2
    return MKResult(
        b=b,
        d=d,
        K_star=K_star,
        eigenvalue=lam,
        y_T=y,
        nu=1.0 / y,
        exact_K_c=K_CRITICAL if exact else None,
        exact_y_T=1.0 if exact else None,
        exact_nu=1.0 if exact else None,
    )


def mk_flow(K: float, steps: int = 10, b: int = 2, d: int = 2) -> list[float]:
    """The sequence K, K', K'', ... under Migdal-Kadanoff."""
    out = [check_finite(K, "K")]
    for _ in range(check_int(steps, "steps", minimum=0, maximum=1000)):
        nxt = mk_recursion(out[-1], b, d)
        out.append(nxt)
        if not math.isfinite(nxt):
            break
    return out
