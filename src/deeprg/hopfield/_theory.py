"""Replica-symmetric theory of the Hebbian Hopfield network at zero temperature, and the
symmetric mixture states.

Amit, Gutfreund & Sompolinsky (1985, PRL 55:1530; 1987, Ann. Phys. 173:30): at T = 0 the
retrieval overlap m solves m = erf(y) with

.. math::  y \\left(\\sqrt{2\\alpha} + \\tfrac{2}{\\sqrt\\pi} e^{-y^2}\\right) = \\operatorname{erf}(y),

which has a retrieval solution only for alpha < alpha_c = 0.1379, where m jumps from
m(alpha_c) = 0.9674 to zero. (Replica-symmetry breaking moves alpha_c to about 0.144:
Steffan & Kuehn 1994, Z. Phys. B 95:249.)

Symmetric mixtures of an odd number n of patterns, s = sign(xi^1 + ... + xi^n), have, for
random patterns and N -> infinity, the overlap m_n = C(n-1, (n-1)/2) / 2^(n-1) with each
of them (1/2 for n = 3, 3/8 for n = 5) and the energy per unit E/N = -(n/2) m_n^2: -1/2 for a
pattern, -3/8 for a 3-mixture, -45/128 for a 5-mixture (Amit, Gutfreund & Sompolinsky 1985,
PRA 32:1007). With H = -(N/2) sum_mu m_mu^2 + P/2, the P - n other patterns add
-(1/2) sum m_mu^2 ~ -alpha/2 of random cross-talk, which the zero diagonal's +alpha/2 cancels.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq, minimize_scalar
from scipy.special import erf

from deeprg.errors import InputError


def _g(y):
    return erf(y) / y - 2.0 / math.sqrt(math.pi) * np.exp(-y * y)


def _critical_point() -> tuple[float, float, float]:
    res = minimize_scalar(lambda y: -_g(y), bounds=(0.5, 4.0), method="bounded", options={"xatol": 1e-12})
    y = float(res.x)
    return float(_g(y) ** 2 / 2.0), float(erf(y)), y


ALPHA_C, M_AT_ALPHA_C, _Y_C = _critical_point()
#: Replica-symmetric capacity and overlap at the transition, quoted by Amit et al. (1985).
ALPHA_C_QUOTED, M_AT_ALPHA_C_QUOTED = 0.138, 0.967


def retrieval_overlap(alpha: float) -> float:
    """Replica-symmetric T = 0 retrieval overlap m(alpha); nan above alpha_c (no solution)."""
    if alpha < 0:
        raise InputError(f"alpha must be >= 0, got {alpha}")
    if alpha == 0:
        return 1.0
    if alpha > ALPHA_C:
        return float("nan")
    target = math.sqrt(2.0 * alpha)
    y = brentq(lambda t: _g(t) - target, _Y_C, 50.0, xtol=1e-14)
    return float(erf(y))


def mixture_overlap(n: int) -> float:
    """Overlap m_n of the symmetric n-mixture with each of its n patterns (n odd)."""
    if n < 1 or n % 2 == 0:
        raise InputError(f"symmetric mixtures have an odd number of patterns, got {n}")
    return math.comb(n - 1, (n - 1) // 2) / 2.0 ** (n - 1)


def mixture_energy(n: int) -> float:
    """Energy per unit -(n/2) m_n^2 of the symmetric n-mixture (n = 1: a pattern) as
    N -> infinity; the zero diagonal's +alpha/2 cancels the random cross-talk of the other
    patterns, so it holds at small alpha too (relaxation at larger alpha lowers it)."""
    return -0.5 * n * mixture_overlap(n) ** 2
