"""Onsager's solution of the square-lattice Ising model in the thermodynamic limit.

- -beta f = ln 2 + 1/(2 pi^2) int_0^pi int_0^pi ln[cosh^2 2K - sinh 2K (cos t1 + cos t2)] dt1 dt2
  (Onsager, Phys. Rev. 65, 117 (1944)); the inner integral is done in closed form,
  (1/pi) int_0^pi ln(a - b cos t) dt = ln[(a + sqrt(a^2 - b^2)) / 2].
- u = -coth 2K [1 + (2/pi)(2 tanh^2 2K - 1) K1(k)], k = 2 sinh 2K / cosh^2 2K.
- c = (4/pi)(K coth 2K)^2 {K1 - E1 - (1 - tanh^2 2K)[pi/2 + (2 tanh^2 2K - 1) K1]}.
- m = (1 - sinh^-4 2K)^{1/8} for K > K_c (Yang 1952), else 0.
"""

from __future__ import annotations

import math

from deeprg.exact._thermo import Thermo
from deeprg.utils import check_positive

#: Critical coupling of the square lattice, K_c = ln(1 + sqrt 2) / 2.
K_CRITICAL = 0.5 * math.log1p(math.sqrt(2.0))
#: Critical temperature T_c = 1 / K_c in units of J / k_B.
T_CRITICAL = 1.0 / K_CRITICAL


def onsager_log_z_per_site(K: float) -> float:
    """-beta f = lim ln Z / N on the infinite square lattice (K > 0)."""
    K = check_positive(K, "K")
    a0, b = math.cosh(2 * K) ** 2, math.sinh(2 * K)

    def inner(t):
        a = a0 - b * math.cos(t)
        return math.log((a + math.sqrt(max(a * a - b * b, 0.0))) / 2.0)

    # The integrand has a log singularity at t = 0 when K = K_c; quad handles it with points.
    from scipy import integrate  # lazy: scipy costs 0.5 s of start-up

    val, _ = integrate.quad(inner, 0.0, math.pi, epsabs=1e-14, epsrel=1e-13, limit=400)
    return math.log(2.0) + val / (2.0 * math.pi)


def _k_modulus(K: float) -> float:
    return 2.0 * math.sinh(2 * K) / math.cosh(2 * K) ** 2


def onsager_energy_per_site(K: float) -> float:
    """u = <H>/N in units of J on the infinite lattice."""
    K = check_positive(K, "K")
    k = _k_modulus(K)
    t2 = math.tanh(2 * K) ** 2
    from scipy import special

    k1 = float(special.ellipk(k * k)) if k < 1 else math.inf
    if not math.isfinite(k1):  # at K_c the log singularity is multiplied by (2 tanh^2 2K - 1) = 0
        return -math.sqrt(2.0)
    return -(1.0 / math.tanh(2 * K)) * (1.0 + (2.0 / math.pi) * (2.0 * t2 - 1.0) * k1)


def onsager_specific_heat_per_site(K: float) -> float:
    """c = beta^2 Var(H)/N on the infinite lattice (diverges logarithmically at K_c)."""
    K = check_positive(K, "K")
    k = _k_modulus(K)
    if k >= 1.0:
        return math.inf
    t2 = math.tanh(2 * K) ** 2
    from scipy import special

    k1, e1 = float(special.ellipk(k * k)), float(special.ellipe(k * k))
    pref = (4.0 / math.pi) * (K / math.tanh(2 * K)) ** 2
    return pref * (k1 - e1 - (1.0 - t2) * (math.pi / 2.0 + (2.0 * t2 - 1.0) * k1))


def onsager_magnetization(K: float) -> float:
    """Spontaneous magnetization per site, (1 - sinh^-4 2K)^{1/8} above K_c, else 0."""
    K = check_positive(K, "K")
    if K <= K_CRITICAL:
        return 0.0
    return float((1.0 - math.sinh(2 * K) ** -4) ** 0.125)


def onsager_thermo(K: float) -> Thermo:
    """Onsager's infinite-lattice values packed as :class:`Thermo` (n_sites = None)."""
    return Thermo(
        n_sites=None,
        log_z=None,
        log_z_per_site=onsager_log_z_per_site(K),
        energy_per_site=onsager_energy_per_site(K),
        specific_heat_per_site=onsager_specific_heat_per_site(K),
        magnetization=onsager_magnetization(K),
    )


def critical_coupling() -> float:
    """K_c = ln(1 + sqrt 2)/2 = 0.44068679350977..."""
    return K_CRITICAL


__all__ = [
    "K_CRITICAL",
    "T_CRITICAL",
    "critical_coupling",
    "onsager_energy_per_site",
    "onsager_log_z_per_site",
    "onsager_magnetization",
    "onsager_specific_heat_per_site",
    "onsager_thermo",
]
