"""The Hopfield network as an RBM with Gaussian hidden units (Barra, Bernacchia, Santucci &
Contucci 2012, Neural Networks 34:1, arXiv:1105.2790).

Take N spin visible units s and P real hidden units z with

.. math::  p(s, z) \\propto \\exp\\Big(-\\frac{\\beta}{2}\\sum_\\mu z_\\mu^2
           + \\frac{\\beta}{\\sqrt N}\\sum_{i\\mu} \\xi_i^\\mu s_i z_\\mu\\Big).

Integrating z out (a Gaussian integral) gives p(s) ~ exp(beta/(2N) sum_mu (xi^mu . s)^2) =
exp(-beta H_Hebb(s)) e^{beta P/2}, so the visible marginal is the Hopfield Boltzmann
distribution and

.. math::  \\ln Z_{RBM} = \\ln Z_{H} + \\frac P2 \\ln\\frac{2\\pi}{\\beta} + \\frac{\\beta P}{2}.

Summing s out instead gives the hidden marginal
p(z) ~ exp(-beta |z|^2 / 2) prod_i 2 cosh(beta/sqrt(N) sum_mu xi_i^mu z_mu). Both sides are
computed here independently: ln Z_H by enumerating the 2^N spin states, ln Z_RBM by tensor
Gauss-Hermite quadrature over the P hidden units (no use of the identity).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy.special import logsumexp

from deeprg.errors import InputError, TooLargeError
from deeprg.hopfield._network import as_patterns

MAX_ENUMERATION_UNITS = 22


def _all_states(n: int, start: int, stop: int) -> np.ndarray:
    idx = np.arange(start, stop, dtype=np.int64)
    bits = (idx[:, None] >> np.arange(n)) & 1
    return (1 - 2 * bits).astype(np.int8)  # bit i set <=> s_i = -1 (the package convention)


def hopfield_log_z(patterns, beta: float, *, batch: int = 1 << 15) -> float:
    """ln sum_s exp(-beta H(s)) for the Hebbian network, by enumerating all 2^N states."""
    xi = as_patterns(patterns)
    p, n = xi.shape
    if n > MAX_ENUMERATION_UNITS:
        raise TooLargeError(
            f"enumeration needs N <= {MAX_ENUMERATION_UNITS}, got N = {n}",
            size=n,
            limit=MAX_ENUMERATION_UNITS,
        )
    parts = []
    for start in range(0, 1 << n, batch):
        s = _all_states(n, start, min(1 << n, start + batch)).astype(np.float64)
        u = s @ xi.T.astype(np.float64)
        energy = -0.5 / n * np.sum(u * u, axis=1) + 0.5 * p
        parts.append(logsumexp(-beta * energy))
    return float(logsumexp(parts))


def hopfield_log_probabilities(patterns, beta: float) -> np.ndarray:
    """ln p(s) of every state (index order: bit i set <=> s_i = -1), float64 (2^N,)."""
    xi = as_patterns(patterns)
    p, n = xi.shape
    if n > 16:
        raise TooLargeError(f"the full distribution is limited to N <= 16, got {n}", size=n, limit=16)
    s = _all_states(n, 0, 1 << n).astype(np.float64)
    u = s @ xi.T.astype(np.float64)
    logw = -beta * (-0.5 / n * np.sum(u * u, axis=1) + 0.5 * p)
    return logw - logsumexp(logw)


def gaussian_rbm_log_z(patterns, beta: float, *, nodes: int = 80) -> float:
    """ln of the Gaussian-hidden RBM's partition function sum_s int d^P z e^{-E(s, z)} by
    tensor Gauss-Hermite quadrature (``nodes`` per hidden unit) over the hidden marginal.

    With z = t sqrt(2/beta): ln Z = (P/2) ln(2/beta) + ln sum_k w_k prod_i 2cosh(sqrt(2 beta/N) xi_i . t_k).
    Practical for P <= 3.
    """
    xi = as_patterns(patterns).astype(np.float64)
    p, n = xi.shape
    if beta <= 0:
        raise InputError(f"beta must be > 0, got {beta}")
    if nodes**p > 5_000_000:
        raise TooLargeError(f"{nodes}^{p} quadrature points is too many; use P <= 3", size=p, limit=3)
    t, w = np.polynomial.hermite.hermgauss(nodes)
    log_w = np.log(w)
    pts = np.array(list(itertools.product(range(nodes), repeat=p)))  # (K, P)
    tk = t[pts]
    lw = log_w[pts].sum(1)
    x = math.sqrt(2.0 * beta / n) * tk @ xi  # (K, N)
    ax = np.abs(x)
    log_2cosh = ax + np.log1p(np.exp(-2.0 * ax))
    return float(0.5 * p * math.log(2.0 / beta) + logsumexp(lw + log_2cosh.sum(1)))


def gaussian_rbm_visible_log_marginal(patterns, states, beta: float, *, nodes: int = 80) -> np.ndarray:
    """ln int d^P z e^{-E(s, z)} for each state s (n, N), by Gauss-Hermite quadrature per
    hidden unit (the z-integral factorises over mu). float64 (n,)."""
    xi = as_patterns(patterns).astype(np.float64)
    s = np.atleast_2d(np.asarray(states, dtype=np.float64))
    n = xi.shape[1]
    t, w = np.polynomial.hermite.hermgauss(nodes)
    u = math.sqrt(2.0 * beta / n) * (s @ xi.T)  # (n, P): exponent u * t per hidden unit
    per = logsumexp(np.log(w)[None, None, :] + u[:, :, None] * t[None, None, :], axis=2)
    return 0.5 * xi.shape[0] * math.log(2.0 / beta) + per.sum(1)


def equivalence_defect(patterns, beta: float, *, nodes: int = 80) -> dict:
    """Check Barra et al.'s identity on a small network: both sides and their difference.

    Returns log_z_hopfield (enumeration), log_z_rbm (quadrature), predicted_offset
    (P/2 ln(2 pi/beta) + beta P/2), defect = log_z_rbm - log_z_hopfield - offset, and
    max_marginal_defect = max_s |ln p_RBM(s) - ln p_H(s)| over every state (N <= 16).
    """
    xi = as_patterns(patterns)
    p, n = xi.shape
    lz_h = hopfield_log_z(xi, beta)
    lz_r = gaussian_rbm_log_z(xi, beta, nodes=nodes)
    offset = 0.5 * p * math.log(2.0 * math.pi / beta) + 0.5 * beta * p
    out = {
        "n_units": n,
        "n_patterns": p,
        "beta": beta,
        "log_z_hopfield": lz_h,
        "log_z_rbm": lz_r,
        "predicted_offset": offset,
        "defect": lz_r - lz_h - offset,
    }
    if n <= 16:
        s = _all_states(n, 0, 1 << n)
        log_p_rbm = gaussian_rbm_visible_log_marginal(xi, s, beta, nodes=nodes) - lz_r
        out["max_marginal_defect"] = float(np.max(np.abs(log_p_rbm - hopfield_log_probabilities(xi, beta))))
    return out
