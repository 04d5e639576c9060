"""The 1D Ising chain solved by its 2 x 2 transfer matrix.

H = -K sum_i s_i s_{i+1} - h sum_i s_i, T = [[e^{K+h}, e^{-K}], [e^{-K}, e^{K-h}]],
lambda_pm = e^K cosh h pm sqrt(e^{2K} sinh^2 h + e^{-2K})   (Baxter 1982, Exactly Solved Models, ch. 2).

- periodic chain of N spins: Z = lambda_+^N + lambda_-^N;
- open chain: Z = u^T T^{N-1} u with u = (e^{h/2}, e^{-h/2});
- infinite chain: ln Z / N -> ln lambda_+.

ln Z is written in closed form in torch float64 and differentiated by autograd, so energies,
specific heats, magnetizations and susceptibilities are exact to round-off.
"""

from __future__ import annotations

import math

import numpy as np

from deeprg.errors import InputError
from deeprg.exact._thermo import Thermo
from deeprg.utils import check_finite, check_int, check_positive


def _eigen(K, h):
    import torch  # lazy: CPU sampling paths never load torch

    root = torch.sqrt(torch.exp(2 * K) * torch.sinh(h) ** 2 + torch.exp(-2 * K))
    lp = torch.exp(K) * torch.cosh(h) + root
    lm = torch.exp(K) * torch.cosh(h) - root
    return lp, lm


def _log_z(n: int | None, K, h, periodic: bool):
    import torch

    lp, lm = _eigen(K, h)
    if n is None:
        return torch.log(lp)
    ratio = lm / lp
    if periodic:
        return n * torch.log(lp) + torch.log1p(ratio**n)
    a, c = torch.exp(K + h), torch.exp(-K)
    u1, u2 = torch.exp(h / 2), torch.exp(-h / 2)

    def weight(lam):  # (u . e_lam)^2 with e_lam proportional to (c, lam - a)
        d = lam - a
        return (u1 * c + u2 * d) ** 2 / (c**2 + d**2)

    return (n - 1) * torch.log(lp) + torch.log(weight(lp) + weight(lm) * ratio ** (n - 1))


def _derivatives(n, K: float, h: float, periodic: bool):
    import torch

    Kt = torch.tensor(K, dtype=torch.float64, requires_grad=True)
    ht = torch.tensor(h, dtype=torch.float64, requires_grad=True)
    lz = _log_z(n, Kt, ht, periodic)
    dK, dh = torch.autograd.grad(lz, (Kt, ht), create_graph=True)
    dKK, dKh = torch.autograd.grad(dK, (Kt, ht), retain_graph=True)
    (dhh,) = torch.autograd.grad(dh, (ht,))
    return [float(x.detach()) for x in (lz, dK, dh, dKK, dKh, dhh)]


def _transfer_matrix(K: float, h: float) -> np.ndarray:
    """T = [[e^{K+h}, e^{-K}], [e^{-K}, e^{K-h}]] (symmetric form)."""
    return np.array([[math.exp(K + h), math.exp(-K)], [math.exp(-K), math.exp(K - h)]])


def _check_chain(n, K, h, *, allow_infinite: bool):
    if n is None and not allow_infinite:
        raise InputError("n must be a number of spins here")
    if n is not None:
        n = check_int(n, "n (number of spins)", minimum=2)
    return n, check_finite(K, "K"), check_finite(h, "h")


def chain_log_z(n: int | None, K: float, h: float = 0.0, *, periodic: bool = True) -> float:
    """ln Z of the Ising chain of ``n`` spins (``n=None``: ln lambda_+, the per-site limit)."""
    import torch

    n, K, h = _check_chain(n, K, h, allow_infinite=True)
    with torch.no_grad():
        return float(
            _log_z(n, torch.tensor(K, dtype=torch.float64), torch.tensor(h, dtype=torch.float64), periodic)
        )


def chain_thermo(n: int | None, K: float, h: float = 0.0, *, periodic: bool = True) -> Thermo:
    """Exact thermodynamics of the Ising chain (transfer matrix).

    Args:
        n: number of spins (>= 2), or None for the infinite chain.
        K: coupling beta J, > 0 (energies are reported in units of J).
        h: field beta H.
        periodic: ring (True) or open chain (False); ignored when n is None.

    Returns:
        :class:`Thermo` with ln Z, u = <H>/N, c = beta^2 Var(H)/N, m = <M>/N and Var(M)/N.
    """
    n, K, h = _check_chain(n, K, h, allow_infinite=True)
    check_positive(K, "K (energies are in units of J = K/beta, so K must be > 0)")
    lz, dK, dh, dKK, dKh, dhh = _derivatives(n, K, h, periodic)
    size = 1 if n is None else n
    return Thermo(
        n_sites=n,
        log_z=None if n is None else lz,
        log_z_per_site=lz / size,
        energy_per_site=-(dK + (h / K) * dh) / size,
        specific_heat_per_site=(K * K * dKK + 2 * K * h * dKh + h * h * dhh) / size,
        magnetization=dh / size,
        susceptibility_per_site=dhh / size,
    )


def chain_correlation(n: int | None, K: float, r, h: float = 0.0, *, connected: bool = False) -> np.ndarray:
    """Spin-spin correlation <s_0 s_r> on a ring of ``n`` spins (``n=None``: infinite chain).

    Uses <s_0 s_r> = Tr(sigma T^r sigma T^{n-r}) / Tr T^n with T = V diag(lambda) V^T; at h = 0
    this is (t^r + t^{n-r}) / (1 + t^n) with t = tanh K, and t^r for the infinite chain.

    Args:
        r: int or int array of separations (0 <= r <= n for a ring).
        connected: subtract <s>^2.

    Returns:
        float64 array with the shape of ``r``.
    """
    n, K, h = _check_chain(n, K, h, allow_infinite=True)
    r = np.asarray(r)
    if not np.issubdtype(r.dtype, np.integer) or np.any(r < 0) or (n is not None and np.any(r > n)):
        raise InputError(f"separations r must be integers in [0, n], got {r}")
    T = _transfer_matrix(K, h)
    lam, V = np.linalg.eigh(T)  # ascending: lam[1] = lambda_+
    S = V.T @ np.diag([1.0, -1.0]) @ V
    x = lam / lam[1]
    if n is None:
        corr = S[1, 1] ** 2 + S[1, 0] ** 2 * x[0] ** r
        mean = S[1, 1]
    else:
        num = sum(S[k, l] ** 2 * x[k] ** r * x[l] ** (n - r) for k in range(2) for l in range(2))
        den = 1.0 + x[0] ** n
        corr = num / den
        mean = (S[1, 1] + S[0, 0] * x[0] ** n) / den
    return corr - mean**2 if connected else corr


def open_chain_correlation(n: int, K: float, i: int, j: int, h: float = 0.0) -> float:
    """<s_i s_j> on an open chain of ``n`` spins: u^T T^i sigma T^{j-i} sigma T^{n-1-j} u / Z."""
    n, K, h = _check_chain(n, K, h, allow_infinite=False)
    i, j = sorted((check_int(i, "i", minimum=0, maximum=n - 1), check_int(j, "j", minimum=0, maximum=n - 1)))
    T = _transfer_matrix(K, h)
    lam, V = np.linalg.eigh(T)

    def power(p):  # T^p / lambda_+^p
        return V @ np.diag((lam / lam[1]) ** p) @ V.T

    u = np.array([math.exp(h / 2), math.exp(-h / 2)])
    sigma = np.diag([1.0, -1.0])
    num = u @ power(i) @ sigma @ power(j - i) @ sigma @ power(n - 1 - j) @ u
    return float(num / (u @ power(n - 1) @ u))
