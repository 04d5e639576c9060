"""What a trained RBM generates: G(r) after one Gibbs step and from model chains, with a
mixing check, and the gauge-invariant distance of the model from the Ising distribution.

Mehta & Schwab (2014, arXiv:1410.3831) show reconstructions of Ising configurations.
A reconstruction v -> h -> v' after *one* sampled Gibbs step starts at the data and stays near
it; it says little about the model. What the model believes is in its equilibrium samples, so
G(r) is also measured on block-Gibbs chains run for many steps, started both from data and
from random states. If the two sets of chains disagree at the end (Gelman & Rubin 1992 R-hat
over all chains, and a z-score between the two groups), the chains have not mixed and the
samples' G(r) is not the model's.

KL(p_Ising || p_RBM) per spin (:func:`kl_per_spin`) is invariant under the RBM's
conventions: adding hidden units with zero weights multiplies every e^{-F(v)} and Z_RBM by
the same factor, so it cancels; F^RG - F = ln Z - ln Z_RBM does not (Kadanoff's
normalisation Tr_h e^{T} = 1 is not imposed by training).
"""

from __future__ import annotations

import numpy as np
import torch

from deeprg.errors import InputError


def _spins(v: torch.Tensor, unit: str) -> np.ndarray:
    x = v.detach().double().cpu().numpy()
    return (2.0 * x - 1.0) if unit == "binary" else x


def _observables(s: np.ndarray, L: int) -> tuple[np.ndarray, np.ndarray]:
    """Nearest-neighbour correlation and |m| per configuration (s (n, L*L) in +-1)."""
    g = s.reshape(-1, L, L)
    nn = 0.5 * ((g * np.roll(g, 1, axis=1)).mean((1, 2)) + (g * np.roll(g, 1, axis=2)).mean((1, 2)))
    return nn, np.abs(g.mean((1, 2)))


def r_hat(traces: np.ndarray) -> float:
    """Gelman-Rubin potential scale reduction of traces (n_chains, n_steps) (second halves)."""
    x = np.asarray(traces, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 4:
        raise InputError(f"R-hat needs (>= 2 chains, >= 4 steps), got {x.shape}")
    x = x[:, x.shape[1] // 2 :]
    n = x.shape[1]
    means = x.mean(1)
    w = x.var(1, ddof=1).mean()
    b = n * means.var(ddof=1)
    if w <= 0:
        return 1.0 if b <= 0 else float("inf")
    return float(np.sqrt(((n - 1) / n * w + b / n) / w))


@torch.no_grad()
def model_correlations(
    rbm,
    data,
    L: int,
    *,
    n_chains: int = 64,
    steps: int = 500,
    record_every: int = 10,
    seed: int = 0,
) -> dict:
    """G(r) of the data, after one sampled Gibbs step, and of model chains with a mixing check.

    Args:
        rbm: an :class:`~deeprg.nn.RBM` whose visible units are the L x L sites (row-major).
        data: (n, L*L) unit values of the data (bits for binary units, spins for spin units).
        n_chains: chains per start (from random data rows, and from uniform random states).
        steps: block-Gibbs steps per chain. record_every: steps between recorded traces.

    Returns:
        dict with ``r``, ``G_data``, ``G_one_step``, ``G_from_data``, ``G_from_random``
        (lists), ``r_hat`` (nn correlation and |m| over all 2 n_chains chains), ``z_nn`` and
        ``z_abs_m`` (end-of-run difference of the two groups in standard errors),
        ``mixed`` (R-hat < 1.1 and |z| < 3 for both), and the final model samples
        (``samples``: float64 (2 n_chains, L*L) unit values).
    """
    from deeprg.stats import correlation_function

    x = rbm._as_tensor(np.asarray(data))
    if x.ndim != 2 or x.shape[1] != L * L or x.shape[1] != rbm.n_visible:
        raise InputError(f"data must be (n, {L * L}) for an RBM with {rbm.n_visible} visible units")
    if steps < 2 * record_every or n_chains < 2:
        raise InputError("need steps >= 2 record_every and n_chains >= 2")
    gen = torch.Generator(device=rbm.W.device).manual_seed(seed)
    lo, hi = rbm.unit_values("visible")
    s_data = _spins(x, rbm.visible)
    one = rbm.gibbs(x, 1, gen)
    idx = torch.randint(0, x.shape[0], (n_chains,), generator=gen)
    rand = lo + (hi - lo) * (torch.rand((n_chains, rbm.n_visible), generator=gen, dtype=x.dtype) < 0.5).to(
        x.dtype
    )
    chains = torch.cat([x[idx].clone(), rand])
    nn_tr, m_tr = [], []
    for _ in range(steps // record_every):
        chains = rbm.gibbs(chains, record_every, gen)
        nn, m = _observables(_spins(chains, rbm.visible), L)
        nn_tr.append(nn)
        m_tr.append(m)
    nn_tr, m_tr = np.array(nn_tr).T, np.array(m_tr).T  # (2C, T)
    s_end = _spins(chains, rbm.visible)

    def z(tr):
        last = tr[:, tr.shape[1] // 2 :].mean(1)
        a, b = last[:n_chains], last[n_chains:]
        se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
        return (
            float((a.mean() - b.mean()) / se) if se > 0 else (0.0 if a.mean() == b.mean() else float("inf"))
        )

    r, g_data = correlation_function(s_data.reshape(-1, L, L))
    _, g_one = correlation_function(_spins(one, rbm.visible).reshape(-1, L, L))
    _, g_fd = correlation_function(s_end[:n_chains].reshape(-1, L, L))
    _, g_fr = correlation_function(s_end[n_chains:].reshape(-1, L, L))
    rh = {"nn": r_hat(nn_tr), "abs_m": r_hat(m_tr)}
    zs = {"nn": z(nn_tr), "abs_m": z(m_tr)}
    return {
        "r": r.tolist(),
        "G_data": g_data.tolist(),
        "G_one_step": g_one.tolist(),
        "G_from_data": g_fd.tolist(),
        "G_from_random": g_fr.tolist(),
        "r_hat": rh,
        "z_nn": zs["nn"],
        "z_abs_m": zs["abs_m"],
        "mixed": bool(max(rh.values()) < 1.1 and max(abs(v) for v in zs.values()) < 3.0),
        "steps": int(steps),
        "trace_nn_mean": {
            "from_data": nn_tr[:n_chains].mean(0).tolist(),
            "from_random": nn_tr[n_chains:].mean(0).tolist(),
        },
        "samples": chains.detach().double().cpu().numpy(),
    }


@torch.no_grad()
def kl_per_spin(
    rbm,
    configs,
    K: float,
    *,
    model_samples=None,
    ais_runs: int = 64,
    ais_betas: int = 2000,
    seed: int = 0,
    exact_max_units: int = 20,
) -> dict:
    """KL(p_Ising || p_RBM) per spin for the periodic L x L Ising model at coupling K, bracketed.

    With equilibrium samples v ~ p_Ising, Kaufman's exact ln Z and ln Z_RBM,

        KL = E_v[-H(v) - ln Z + F_RBM(v)] + ln Z_RBM.

    Forward AIS underestimates ln Z_RBM on average and reverse AIS (Burda, Grosse &
    Salakhutdinov 2015; from ``model_samples``) overestimates it, so they bracket KL from below
    and above. The bracket is valid to the extent that the model samples are equilibrium
    samples (see :func:`model_correlations` for the mixing check). When the smaller layer has
    at most ``exact_max_units`` units ln Z_RBM is exact and the bracket closes.

    Returns:
        dict: ``kl_per_spin`` (midpoint), ``low``, ``high`` (bracket including 2 standard
        errors of the sample mean), ``sample_error``, ``log_z_forward``, ``log_z_reverse``,
        ``method``.
    """
    from deeprg.exact import kaufman_log_z_and_derivatives
    from deeprg.models import nn_bond_sum_2d
    from deeprg.nn import ais_log_z, exact_log_z, reverse_ais_log_z

    s = np.asarray(configs)
    if s.ndim != 3 or s.shape[1] != s.shape[2]:
        raise InputError(f"configs must be (n, L, L) spins, got {s.shape}")
    n, L, _ = s.shape
    if rbm.n_visible != L * L:
        raise InputError(f"the RBM has {rbm.n_visible} visible units, the lattice {L * L} sites")
    log_z, _, _ = kaufman_log_z_and_derivatives(L, K)
    flat = s.reshape(n, -1).astype(np.float64)
    v = (flat + 1) / 2 if rbm.visible == "binary" else flat
    f_rbm = rbm.free_energy(torch.as_tensor(v, dtype=rbm.W.dtype, device=rbm.W.device)).double().cpu().numpy()
    per = K * nn_bond_sum_2d(s) - log_z + f_rbm
    mean, se = float(per.mean()), float(per.std(ddof=1) / np.sqrt(n))
    if min(rbm.n_visible, rbm.n_hidden) <= exact_max_units:
        lz = exact_log_z(rbm)
        lo_z = hi_z = lz
        method = "samples + Kaufman ln Z + exact ln Z_RBM"
    else:
        lo_z = ais_log_z(rbm, v, n_runs=ais_runs, n_betas=ais_betas, seed=seed).log_z
        if model_samples is None:
            raise InputError("reverse AIS needs model samples (or an RBM small enough for exact ln Z)")
        hi_z = reverse_ais_log_z(rbm, v, model_samples, n_betas=ais_betas, seed=seed + 1).log_z
        method = "samples + Kaufman ln Z + forward/reverse AIS ln Z_RBM"
    N = L * L
    low = (mean + min(lo_z, hi_z) - 2 * se) / N
    high = (mean + max(lo_z, hi_z) + 2 * se) / N
    return {
        "kl_per_spin": 0.5 * (low + high),
        "low": low,
        "high": high,
        "sample_error": se / N,
        "log_z_forward": float(lo_z),
        "log_z_reverse": float(hi_z),
        "reverse_below_forward": bool(hi_z < lo_z),
        "method": method,
    }


@torch.no_grad()
def cross_entropy_per_unit(
    rbm, inputs, *, log_z: float | None = None, ais_runs: int = 64, ais_betas: int = 2000, seed: int = 0
) -> dict:
    """Cross-entropy -<ln p_RBM(x)>/n_visible of a layer's inputs x (nats per unit).

    The gauge-invariant replacement of the "free energy per unit" of a layer: <F(x)> alone
    shifts by -k ln 2 when k zero-weight hidden units are added, <F(x)> + ln Z does not. For
    the first layer it equals (S_Ising + KL)/N. ln Z is exact when the smaller layer has at
    most 20 units, forward AIS otherwise (then the value is a stochastic lower bound), or the
    ``log_z`` given.
    """
    from deeprg.nn import ais_log_z, exact_log_z

    x = torch.as_tensor(np.asarray(inputs), dtype=rbm.W.dtype, device=rbm.W.device)
    f = rbm.free_energy(x).double().cpu().numpy()
    if log_z is not None:
        lz, method = float(log_z), "given ln Z"
    elif min(rbm.n_visible, rbm.n_hidden) <= 20:
        lz, method = exact_log_z(rbm), "exact"
    else:
        lz, method = ais_log_z(rbm, x, n_runs=ais_runs, n_betas=ais_betas, seed=seed).log_z, "forward AIS"
    per = (f + lz) / rbm.n_visible
    return {
        "value": float(per.mean()),
        "error": float(per.std(ddof=1) / np.sqrt(per.size)) if per.size > 1 else None,
        "n_visible": rbm.n_visible,
        "method": method,
    }
