"""Exact effective couplings of an RBM's hidden layer (marginalise the visible layer, then
expand in spin products; Decelle et al. 2023, arXiv:2309.02292, give this RBM -> multi-body
Ising mapping).

With E(v, h) = -(v - mu)^T W (h - lam) - c^T v - b^T h (centering offsets mu, lam may be zero),
summing the visible units gives the hidden Hamiltonian

.. math::

    H(h) = -\\ln \\sum_v e^{-E(v,h)} = -b^T h + \\mu^T x - \\sum_i \\varphi(c_i + x_i),
    \\qquad x = W (h - \\lambda),

with phi = ln 2cosh for spin visible units and softplus for binary ones. Written in hidden
*spins* s_j = +-1 (s_j = 2 h_j - 1 for binary hidden units), H(s) = -sum_A K_A prod_{j in A} s_j
by a Walsh-Hadamard transform over all 2^{n_h} hidden states (:mod:`deeprg.exact`). This module
works on plain arrays, so it does not depend on :mod:`deeprg.nn`.
"""

from __future__ import annotations

import numpy as np

from deeprg.errors import InputError, TooLargeError
from deeprg.exact import spin_product_expansion, state_spins

MAX_EXACT_HIDDEN = 20


def _phi(x, unit):
    ax = np.abs(x)
    if unit == "spin":
        return ax + np.log1p(np.exp(-2.0 * ax))
    return np.maximum(x, 0.0) + np.log1p(np.exp(-ax))


def rbm_hidden_energies(
    W, vbias, hbias, *, visible: str = "spin", hidden: str = "spin", v_offset=None, h_offset=None
) -> np.ndarray:
    """H(h) = -ln sum_v e^{-E(v,h)} for every hidden state, float64 (2^n_h,).

    States follow deeprg's index convention: bit j of the index is set <=> hidden spin s_j = -1
    (h_j = 0 for binary units).

    Args:
        W: (n_v, n_h) weights. vbias c (n_v,), hbias b (n_h,). visible, hidden: 'spin' or
            'binary'. v_offset mu, h_offset lam: centering offsets (default zero).
    """
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2:
        raise InputError(f"W must be a matrix (n_visible, n_hidden), got shape {W.shape}")
    n_v, n_h = W.shape
    if n_h > MAX_EXACT_HIDDEN:
        raise TooLargeError(
            f"exact hidden couplings need <= {MAX_EXACT_HIDDEN} hidden units, got {n_h}; fit them by "
            "pseudo-likelihood on hidden samples instead",
            size=n_h,
            limit=MAX_EXACT_HIDDEN,
        )
    for name, unit in (("visible", visible), ("hidden", hidden)):
        if unit not in ("spin", "binary"):
            raise InputError(f"{name} units must be 'spin' or 'binary', got {unit!r}")

    def vector(x, size, name):
        x = np.zeros(size) if x is None else np.asarray(x, dtype=np.float64)
        if x.shape != (size,):
            raise InputError(f"{name} must have shape ({size},) to match W {W.shape}, got {x.shape}")
        return x

    c, b = vector(vbias, n_v, "vbias"), vector(hbias, n_h, "hbias")
    mu, lam = vector(v_offset, n_v, "v_offset"), vector(h_offset, n_h, "h_offset")
    out = np.empty(1 << n_h)
    chunk = max(1, 2_000_000 // max(n_v, 1))
    for start in range(0, 1 << n_h, chunk):
        idx = np.arange(start, min(start + chunk, 1 << n_h))
        s = state_spins(idx, n_h).astype(np.float64)
        h = s if hidden == "spin" else (s + 1.0) / 2.0
        x = (h - lam) @ W.T
        out[idx] = -h @ b + x @ mu - _phi(c + x, visible).sum(axis=1)
    return out


def rbm_hidden_couplings(W, vbias, hbias, *, tol: float = 0.0, **kwargs) -> dict[tuple[int, ...], float]:
    """Exact multi-body couplings of the RBM's hidden marginal: {hidden sites: K_A} with
    H(s) = -sum_A K_A prod_{j in A} s_j (the constant under ()); keyword arguments as in
    :func:`rbm_hidden_energies`. Couplings with |K_A| <= tol are dropped."""
    energies = rbm_hidden_energies(W, vbias, hbias, **kwargs)
    return {a: -v for a, v in spin_product_expansion(energies, tol=tol).items()}
