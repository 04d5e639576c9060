"""Ising observables with honest error bars, and correlation functions by FFT."""

from __future__ import annotations

import numpy as np

from deeprg.errors import InputError
from deeprg.models import nn_bond_sum_2d
from deeprg.stats._autocorr import integrated_time, jackknife, mean_with_error


def ising_observables(bond_sum, magnetization, n_sites: int, K: float, h: float = 0.0) -> dict:
    """Observables from per-sample bond sums and magnetizations.

    Args:
        bond_sum: float (n,) or (n_chains, n): sum_<ij> s_i s_j per sample.
        magnetization: same shape: M = sum_i s_i per sample.
        n_sites: N. K, h: the couplings (energies in units of J, beta = K).

    Returns:
        dict of {"value", "error"} entries: energy_per_site (<H>/N), abs_magnetization (<|m|>),
        m2 (<m^2>), susceptibility (N(<m^2> - <|m|>^2), reduced units), specific_heat
        (K^2 N Var(e)), binder (1 - <m^4>/(3<m^2>^2)); plus tau_int for the energy and |m|
        (variance-inflation convention, see :mod:`deeprg.stats._autocorr`) and n_samples.
        Errors of means use tau; nonlinear ones use a blocked jackknife.
    """
    bond = np.asarray(bond_sum, dtype=np.float64)
    mag = np.asarray(magnetization, dtype=np.float64)
    if bond.shape != mag.shape:
        raise InputError(f"bond_sum {bond.shape} and magnetization {mag.shape} must have one shape")
    if K <= 0:
        raise InputError(f"K must be > 0 to report energies in units of J, got {K}")
    N = float(n_sites)
    e = -(bond + (h / K) * mag) / N
    m = mag / N
    am = np.abs(m)
    m2 = m * m
    out = {}
    for key, series in (("energy_per_site", e), ("abs_magnetization", am), ("m2", m2)):
        value, error, _ = mean_with_error(series)
        out[key] = {"value": value, "error": error}
    chi = jackknife(lambda a, b: N * (b - a * a), am, m2)
    cv = jackknife(lambda a, b: K * K * N * (b - a * a), e, e * e)
    binder = jackknife(lambda b, d: 1.0 - d / (3.0 * b * b), m2, m2 * m2)
    out["susceptibility"] = {"value": chi[0], "error": chi[1]}
    out["specific_heat"] = {"value": cv[0], "error": cv[1]}
    out["binder"] = {"value": binder[0], "error": binder[1]}
    t_e, t_m = integrated_time(e), integrated_time(am)
    out["tau_int"] = {
        "energy": {"value": t_e.tau, "error": t_e.error, "reliable": t_e.reliable},
        "abs_magnetization": {"value": t_m.tau, "error": t_m.error, "reliable": t_m.reliable},
    }
    out["n_samples"] = int(e.size)
    return out


def chain_observables(bond_sum, magnetization, chain, n_sites: int, K: float, h: float = 0.0) -> dict:
    """:func:`ising_observables` of samples (n,) grouped by their chain ids (n,) or None.

    Chains are cut to the shortest one and stacked (n_chains, length), so that tau is taken
    over time within chains about the pooled mean. When chains hold fewer than 2 samples
    each, the samples (one per independent chain) are treated as one series.
    """
    bond = np.asarray(bond_sum, dtype=np.float64)
    mag = np.asarray(magnetization, dtype=np.float64)
    if chain is None:
        groups = [np.arange(bond.shape[0])]
    else:
        chain = np.asarray(chain)
        groups = [np.flatnonzero(chain == c) for c in np.unique(chain)]
    length = min(len(g) for g in groups)
    if length < 2:  # chains too short to follow in time: treat samples as one series
        groups, length = [np.arange(bond.shape[0])], bond.shape[0]
    idx = np.stack([g[:length] for g in groups])
    return ising_observables(bond[idx], mag[idx], n_sites, K, h)


def correlation_function(configs, *, connected: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Spin-spin correlation G(r) on periodic lattices by FFT.

    Args:
        configs: array (n, L, M) (2D torus) or (n, N) (ring) of +-1 values.
        connected: subtract <|m|>^2 (the finite-size estimate of <m>^2).

    Returns:
        (r int64 (R,), G float64 (R,)) with G(r) = <s_x s_{x+r e}> averaged over sites, samples
        and both lattice axes, for r = 0 .. min(L, M)//2 (N//2 for a ring).
    """
    s = np.asarray(configs, dtype=np.float64)
    if s.ndim == 2:
        s = s[:, None, :]
        axes_1d = True
    elif s.ndim == 3:
        axes_1d = False
    else:
        raise InputError(f"configs must have shape (n, L, M) or (n, N), got {s.shape}")
    f = np.fft.rfft2(s, axes=(-2, -1))
    corr = np.fft.irfft2(f * np.conj(f), s=s.shape[-2:], axes=(-2, -1)).mean(axis=0) / (
        s.shape[-2] * s.shape[-1]
    )
    L, M = s.shape[-2:]
    if axes_1d:
        r = np.arange(M // 2 + 1)
        g = corr[0, r]
    else:
        r = np.arange(min(L, M) // 2 + 1)
        g = 0.5 * (corr[r, 0] + corr[0, r])
    if connected:
        g = g - np.mean(np.abs(s.mean(axis=(-2, -1)))) ** 2
    return r.astype(np.int64), g


def dataset_observables(dataset) -> dict:
    """Observables of a :class:`~deeprg.data.SpinDataset`, grouped by chain for honest errors.

    Returns the dict of :func:`ising_observables` plus the model parameters, the connected
    correlation function G(r), and tau in updates (tau in samples times the thinning).
    """
    configs = dataset.configs
    attrs = dataset.attrs
    K, h = float(attrs["K"]), float(attrs.get("h", 0.0))
    s = configs.astype(np.float64)
    if configs.ndim == 3:
        bond = nn_bond_sum_2d(s)
    else:
        bond = (s * np.roll(s, -1, axis=-1)).sum(axis=-1)
    mag = s.reshape(s.shape[0], -1).sum(axis=1)
    out = {"model": attrs["model"], "shape": list(configs.shape[1:]), "K": K, "h": h}
    out.update(chain_observables(bond, mag, dataset.chain, int(np.prod(configs.shape[1:])), K, h))
    thin = attrs.get("thinning")
    if isinstance(thin, int | np.integer):
        out["tau_int_updates"] = {k: v["value"] * int(thin) for k, v in out["tau_int"].items()}
    r, g = correlation_function(configs[: min(configs.shape[0], 4000)], connected=True)
    out["correlation_function"] = {"r": r.tolist(), "G_connected": g.tolist()}
    return out
