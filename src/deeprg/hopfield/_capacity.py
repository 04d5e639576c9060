"""The storage capacity measured: retrieval from stored patterns as a function of alpha = P/N.

For each network size N and each independent pattern set (its own seed), P_max patterns are
drawn once and the Hebbian couplings grown with P (J(P) = J(P') + the new patterns' outer
products), so every alpha on the grid costs one matrix product in total. From each of the first
``n_starts`` patterns, zero-temperature asynchronous dynamics runs to a fixed point and the
final overlap with the starting pattern is recorded. A trial retrieves when that overlap is at
least ``success`` (0.8: the retrieval state has m ~ 0.97, the states beyond alpha_c ~ 0.3).

The finite-size capacity alpha_50(N) is where the fraction of retrieving trials crosses 1/2
(linear interpolation on the grid, error by bootstrap over pattern sets), extrapolated as
alpha_50(N) = alpha_c + a N^(-1/2) by weighted least squares.
"""

from __future__ import annotations

import numpy as np

from deeprg.errors import InputError
from deeprg.hopfield._dynamics import retrieve
from deeprg.hopfield._network import Hopfield, random_patterns


def capacity_trials(
    n_units: int,
    alphas,
    *,
    n_sets: int = 4,
    n_starts: int = 16,
    seed: int = 0,
    max_sweeps: int = 200,
    rule: str = "hebbian",
) -> dict:
    """Final overlaps of retrieval started at stored patterns.

    rule: 'hebbian' (couplings grown by outer products) or 'storkey' (Storkey's incremental
    rule applied pattern by pattern; a control whose capacity is larger).

    Returns 'alphas' (realised P/N), 'P' (int (A,)), 'overlap' float64 (A, n_sets, n_starts)
    (nan where P < n_starts leaves a slot empty), 'converged' (fraction of trials that reached a
    fixed point) and 'mean_sweeps'.
    """
    alphas = np.asarray(alphas, dtype=np.float64)
    if n_units < 2 or np.any(alphas <= 0) or n_sets < 1 or n_starts < 1:
        raise InputError("need N >= 2, alphas > 0, n_sets >= 1 and n_starts >= 1")
    if rule not in ("hebbian", "storkey"):
        raise InputError(f"rule must be 'hebbian' or 'storkey', got {rule!r}")
    Ps = np.maximum(1, np.round(alphas * n_units).astype(np.int64))
    order = np.argsort(Ps)
    p_max = int(Ps.max())
    out = np.full((len(Ps), n_sets, n_starts), np.nan)
    conv, sweeps = [], []
    for k in range(n_sets):
        xi = random_patterns(p_max, n_units, np.random.default_rng([seed, n_units, k]))
        x = xi.astype(np.float32)
        J = np.zeros((n_units, n_units))
        p_done = 0
        for a in order:
            P = int(Ps[a])
            if P > p_done and rule == "hebbian":
                J += (x[p_done:P].T @ x[p_done:P]).astype(np.float64)
                np.fill_diagonal(J, 0.0)
            elif P > p_done:  # Storkey (1997), one pattern at a time, J itself (scale 1)
                for mu in range(p_done, P):
                    v = xi[mu].astype(np.float64)
                    h = J @ v
                    J += (np.outer(v, v) - np.outer(v, h) - np.outer(h, v) + 2.0 * J) / n_units
                    np.fill_diagonal(J, 0.0)
            p_done = max(p_done, P)
            if rule == "hebbian":
                net = Hopfield._from_scaled_couplings(xi[:P], J, float(n_units))
            else:
                net = Hopfield._from_scaled_couplings(xi[:P], J.copy(), 1.0)
                net.rule = "storkey"
            n_s = min(P, n_starts)
            res = retrieve(net, xi[:n_s], max_sweeps=max_sweeps, seed=[seed, n_units, k, P])
            m = (res.states.astype(np.float32) * xi[:n_s].astype(np.float32)).mean(1)
            out[a, k, :n_s] = m
            conv.append(res.converged.mean())
            sweeps.append(res.steps[res.converged].mean() if res.converged.any() else np.nan)
    return {
        "n_units": n_units,
        "alphas": (Ps / n_units).tolist(),
        "P": Ps.tolist(),
        "overlap": out,
        "converged": float(np.mean(conv)),
        "mean_sweeps": float(np.nanmean(sweeps)),
    }


def retrieval_crossing(alphas, fraction, level: float = 0.5) -> float:
    """First alpha where ``fraction`` (retrieval probability on the grid) falls through
    ``level``, by linear interpolation; nan when it never does."""
    a = np.asarray(alphas, dtype=np.float64)
    f = np.asarray(fraction, dtype=np.float64)
    idx = np.argsort(a)
    a, f = a[idx], f[idx]
    for i in range(len(a) - 1):
        if f[i] >= level > f[i + 1]:
            return float(a[i] + (f[i] - level) * (a[i + 1] - a[i]) / (f[i] - f[i + 1]))
    return float("nan")


def crossing_with_error(alphas, overlap, *, success: float = 0.8, n_boot: int = 200, seed: int = 0):
    """alpha_50 and its bootstrap error over pattern sets. overlap: (A, n_sets, n_starts)."""
    ov = np.asarray(overlap)
    ok = np.where(np.isnan(ov), np.nan, (ov >= success).astype(np.float64))
    est = retrieval_crossing(alphas, np.nanmean(ok, axis=(1, 2)))
    rng = np.random.default_rng(seed)
    n_sets = ov.shape[1]
    boots = []
    for _ in range(n_boot):
        pick = rng.integers(0, n_sets, n_sets)
        boots.append(retrieval_crossing(alphas, np.nanmean(ok[:, pick], axis=(1, 2))))
    boots = np.asarray(boots)
    boots = boots[np.isfinite(boots)]
    err = float(np.std(boots, ddof=1)) if boots.size > 2 else float("nan")
    return est, err


def finite_size_alpha_c(sizes, alpha50, errors, *, exponent: float = 0.5) -> dict:
    """Weighted least-squares fit alpha_50(N) = alpha_c + a N^(-exponent).

    Returns alpha_c, alpha_c_error (from the fit covariance, scaled up by sqrt(chi2/dof) when
    that exceeds 1), slope, chi2, dof. Needs >= 3 finite points.
    """
    N = np.asarray(sizes, dtype=np.float64)
    y = np.asarray(alpha50, dtype=np.float64)
    e = np.asarray(errors, dtype=np.float64)
    ok = np.isfinite(y) & np.isfinite(e) & (e > 0)
    if ok.sum() < 3:
        return {
            "alpha_c": float("nan"),
            "alpha_c_error": float("nan"),
            "slope": float("nan"),
            "chi2": float("nan"),
            "dof": 0,
        }
    X = np.stack([np.ones(ok.sum()), N[ok] ** (-exponent)], axis=1)
    w = 1.0 / e[ok] ** 2
    A = X.T @ (w[:, None] * X)
    coef = np.linalg.solve(A, X.T @ (w * y[ok]))
    cov = np.linalg.inv(A)
    resid = y[ok] - X @ coef
    chi2 = float(np.sum(w * resid**2))
    dof = int(ok.sum() - 2)
    inflate = max(1.0, np.sqrt(chi2 / dof)) if dof > 0 else 1.0
    return {
        "alpha_c": float(coef[0]),
        "alpha_c_error": float(np.sqrt(cov[0, 0]) * inflate),
        "slope": float(coef[1]),
        "chi2": chi2,
        "dof": dof,
    }
