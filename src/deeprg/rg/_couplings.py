"""Effective couplings from samples by maximum pseudo-likelihood (Besag 1975).

For p(s) proportional to exp(sum_alpha K_alpha S_alpha(s)), each spin's conditional is

    p(s_i | rest) = exp(s_i theta_i) / (2 cosh theta_i),  theta_i = sum_alpha K_alpha a_{alpha,i},

with a_{alpha,i} = dS_alpha/ds_i (:meth:`Operator.local`). The log pseudo-likelihood depends on
the data only through u_i = s_i a_i, so it is

    l(K) = sum_{samples, sites} [K . u - ln 2 cosh(K . u)],

which is concave. The u vectors take few distinct values, so they are counted once (np.unique
on packed integer keys) and Newton's method runs on the counts. The estimator is consistent;
its covariance is the sandwich H^-1 J H^-1, with J built from the scores of blocks of
consecutive samples, so autocorrelated samples get honest error bars.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deeprg.errors import InputError
from deeprg.rg._operators import Operator, get_operators


@dataclass(frozen=True)
class CouplingFit:
    """Fitted couplings K_alpha (H = -sum K_alpha S_alpha) with standard errors.

    Attributes:
        operators: names, in order. couplings, errors: float64 (k,). covariance: (k, k).
        n_samples: configurations used. converged: Newton converged. iterations: Newton steps.
        pseudo_log_likelihood_per_site: the maximised objective per spin.
    """

    operators: tuple[str, ...]
    couplings: np.ndarray
    errors: np.ndarray
    covariance: np.ndarray
    n_samples: int
    converged: bool
    iterations: int
    pseudo_log_likelihood_per_site: float

    def to_dict(self) -> dict:
        return {
            "operators": list(self.operators),
            "couplings": {
                n: {"value": float(v), "error": float(e)}
                for n, v, e in zip(self.operators, self.couplings, self.errors, strict=True)
            },
            "n_samples": self.n_samples,
            "converged": self.converged,
            "iterations": self.iterations,
            "pseudo_log_likelihood_per_site": self.pseudo_log_likelihood_per_site,
        }


def _u_vectors(configs: np.ndarray, ops: list[Operator]) -> np.ndarray:
    """int16 (n, sites, k): u_{alpha,i} = s_i dS_alpha/ds_i."""
    s = configs.astype(np.int16)
    cols = [(s * op.local(s)).reshape(s.shape[0], -1) for op in ops]
    return np.stack(cols, axis=-1)


def _log2cosh(x):
    ax = np.abs(x)
    return ax + np.log1p(np.exp(-2.0 * ax))


def try_fit_couplings(configs, operators="nn", **kwargs) -> CouplingFit | None:
    """:func:`fit_couplings`, or None when the couplings are not identifiable from the data
    (for example frozen, perfectly ordered samples make the Hessian singular and the maximum
    lie at infinite coupling)."""
    try:
        return fit_couplings(configs, operators, **kwargs)
    except InputError as exc:
        if "singular" in str(exc):
            return None
        raise


def fit_couplings(
    configs,
    operators="nn",
    *,
    chunk: int | None = None,
    n_blocks: int = 50,
    max_iter: int = 100,
    tol: float = 1e-12,
) -> CouplingFit:
    """Maximum pseudo-likelihood couplings of the given operators.

    Args:
        configs: int array (n, L, M) or (n, N) of +-1 (periodic lattice), samples in time order.
        operators: names (list or comma-separated), see :mod:`deeprg.rg._operators`.
        chunk: samples per batch of feature computation (bounds memory).
        n_blocks: blocks of consecutive samples for the sandwich covariance.

    Returns:
        :class:`CouplingFit`.
    """
    s = np.asarray(configs)
    if s.ndim not in (2, 3) or s.shape[0] < 2:
        raise InputError(f"configs must have shape (n >= 2, N) or (n >= 2, L, M), got {s.shape}")
    if not np.all(np.abs(s) == 1):
        raise InputError("configs must hold only -1 and +1")
    ops = (
        get_operators(operators, ndim=s.ndim - 1)
        if not isinstance(operators, list) or not operators or not isinstance(operators[0], Operator)
        else operators
    )
    k = len(ops)
    n = s.shape[0]
    sites = int(np.prod(s.shape[1:]))
    chunk = chunk or max(1, 4_000_000 // (sites * k))
    bound = np.array([op.max_abs_local() for op in ops], dtype=np.int64)
    radix = 2 * bound + 1
    if np.prod(radix.astype(float)) > 2**62:
        raise InputError("too many operators to pack feature vectors; fit fewer at a time")
    weights = np.cumprod(np.concatenate([[1], radix[:-1]]))

    keys_all, counts_all = [], []
    for start in range(0, n, chunk):
        u = _u_vectors(s[start : start + chunk], ops).reshape(-1, k).astype(np.int64)
        key = ((u + bound) * weights).sum(axis=1)
        uk, cnt = np.unique(key, return_counts=True)
        keys_all.append(uk)
        counts_all.append(cnt)
    keys = np.concatenate(keys_all)
    counts = np.concatenate(counts_all)
    uniq, inv = np.unique(keys, return_inverse=True)
    cnt = np.bincount(inv, weights=counts)
    rows = ((uniq[:, None] // weights) % radix) - bound  # decode (n_unique, k)
    U = rows.astype(np.float64)
    total = cnt.sum()

    def objective(K):
        th = U @ K
        return float(cnt @ (th - _log2cosh(th))) / total

    K = np.zeros(k)
    converged, it = False, 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        th = U @ K
        t = np.tanh(th)
        grad = U.T @ (cnt * (1.0 - t))
        hess = -(U.T * (cnt * (1.0 - t * t))) @ U
        try:
            step = -np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            raise InputError(
                "the operators are linearly dependent on these samples (singular Hessian); "
                "drop one or use more data"
            ) from None
        f0, lam = objective(K), 1.0
        while objective(K + lam * step) < f0 - 1e-15 and lam > 1e-8:
            lam *= 0.5
        K = K + lam * step
        if np.max(np.abs(lam * step)) < tol:
            converged = True
            break

    # Sandwich covariance from block scores of consecutive samples.
    th_hess = U @ K
    H = -(U.T * (cnt * (1.0 - np.tanh(th_hess) ** 2))) @ U
    n_blocks = max(2, min(n_blocks, n))
    edges = np.linspace(0, n, n_blocks + 1).astype(int)
    scores = np.zeros((n_blocks, k))
    for b in range(n_blocks):
        for start in range(edges[b], edges[b + 1], chunk):
            stop = min(start + chunk, edges[b + 1])
            u = _u_vectors(s[start:stop], ops).reshape(-1, k).astype(np.float64)
            scores[b] += u.T @ (1.0 - np.tanh(u @ K))
    J = scores.T @ scores * n_blocks / (n_blocks - 1)
    Hinv = np.linalg.inv(H)
    cov = Hinv @ J @ Hinv
    return CouplingFit(
        tuple(op.name for op in ops),
        K,
        np.sqrt(np.clip(np.diag(cov), 0, None)),
        cov,
        n,
        converged,
        it,
        objective(K),
    )
