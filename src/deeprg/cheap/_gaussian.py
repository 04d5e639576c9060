"""Coarse-graining a translation- and rotation-invariant Gaussian field (Wilson & Kogut 1974; Lin, Tegmark & Rolnick 2017, arXiv:1608.08225, sec. IV).

H = sum_k (a + b k^2 + c k^4) |phi_k|^2. The exact RG step in Fourier space: integrate out the
shell Lambda/s < |k| < Lambda (for a Gaussian the kept modes' Hamiltonian is unchanged),
rescale k' = s k and the field phi'_{k'} = zeta phi_k with zeta chosen to keep b fixed. Then

    a' = s^2 a,   b' = b,   c' = s^-2 c,

the relevant (y = 2), marginal (y = 0) and irrelevant (y = -2) directions of the Gaussian
fixed point. :func:`block_average_kernel` also does the real-space version on a ring: block
averaging is linear, so the coarse field is Gaussian with covariance A C A^T, and its kernel,
fitted at small k, shows the same growth and decay (with corrections from aliasing).
"""

from __future__ import annotations

import numpy as np

from deeprg.errors import InputError


def fourier_rg_step(a: float, b: float, c: float, s: float = 2.0) -> tuple[float, float, float]:
    """Exact momentum-shell step with field rescaling fixing b: (s^2 a, b, c / s^2)."""
    if s <= 1:
        raise InputError(f"rescaling factor s must be > 1, got {s}")
    # after k -> k'/s: a + b k'^2/s^2 + c k'^4/s^4; multiplying the kernel by zeta^2 = s^2 keeps b
    return a * s**2, b, c / s**2


def fourier_rg_flow(a: float, b: float, c: float, steps: int = 5, s: float = 2.0) -> np.ndarray:
    """(steps + 1, 3) array of (a, b, c) along the flow."""
    out = [(a, b, c)]
    for _ in range(steps):
        out.append(fourier_rg_step(*out[-1], s=s))
    return np.array(out)


def lattice_kernel(n: int, a: float, b: float, c: float) -> np.ndarray:
    """Kernel K(k) = a + b k_hat^2 + c k_hat^4 on a ring of n sites, k_hat = 2 sin(k/2)."""
    k = 2 * np.pi * np.fft.fftfreq(n)
    kh2 = (2 * np.sin(k / 2)) ** 2
    return a + b * kh2 + c * kh2**2


def block_average_kernel(n: int, a: float, b: float, c: float, block: int = 2) -> tuple[float, float, float]:
    """Real-space block averaging of the Gaussian field on a ring, fitted couplings.

    The coarse field phi'_X = mean of phi over block X has covariance C'(k') from the exact
    fine covariance C(k) = 1/K(k); its kernel K'(k') = 1/C'(k') is fitted by a + b q + c q^2
    (q = 4 sin^2(k'/2)) at small q and the field rescaled so that b' = b.
    """
    if n % block:
        raise InputError(f"block {block} must divide n = {n}")
    K = lattice_kernel(n, a, b, c)
    C = 1.0 / K
    m = n // block
    kp = 2 * np.pi * np.fft.fftfreq(m)
    Cp = np.zeros(m)
    for j in range(m):  # fine modes aliasing onto coarse mode j: k = (k'_j + 2 pi r) / block
        for r in range(block):
            k = (kp[j] + 2 * np.pi * r) / block
            idx = round(k / (2 * np.pi) * n) % n
            w = abs(np.sum(np.exp(1j * k * np.arange(block))) / block) ** 2
            Cp[j] += w * C[idx]
    Kp = 1.0 / Cp
    q = (2 * np.sin(kp / 2)) ** 2
    sel = np.argsort(q)[: max(6, m // 8)]
    coef = np.polyfit(q[sel], Kp[sel], 2)  # c q^2 + b q + a
    cp, bp, ap = coef
    zeta2 = b / bp
    return ap * zeta2, b, cp * zeta2
