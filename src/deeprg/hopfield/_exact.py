"""Exact basins of attraction of asynchronous zero-temperature dynamics on small networks.

With a uniformly random site updated at each step, zero-temperature dynamics is a Markov
chain on the 2^N states: from s, site i is chosen with probability 1/N and flipped iff
s_i h_i < 0. Fixed points are absorbing. The probability B[s, a] that a start s ends at the
fixed point a solves (I - Q) B = R over the transient states (Q: transient to transient,
R: transient to absorbing), computed here with a sparse LU factorisation (Kemeny & Snell 1960).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import splu

from deeprg.errors import TooLargeError
from deeprg.hopfield._equivalence import _all_states
from deeprg.hopfield._network import Hopfield

MAX_BASIN_UNITS = 14


def exact_basins(net: Hopfield) -> dict:
    """Absorption probabilities of every state into every fixed point.

    Returns 'fixed_points' (int8 (F, N)), 'absorption' (float64 (2^N, F), rows sum to 1;
    state index: bit i set <=> s_i = -1) and 'basin_fractions' (float64 (F,), the mean over
    uniformly random starts).
    """
    n = net.n_units
    if n > MAX_BASIN_UNITS:
        raise TooLargeError(
            f"exact basins need N <= {MAX_BASIN_UNITS}, got {n}", size=n, limit=MAX_BASIN_UNITS
        )
    n_states = 1 << n
    s = _all_states(n, 0, n_states)
    h = s.astype(np.float64) @ net._kernel_couplings
    unstable = s * h < 0  # (S, N)
    absorbing = ~unstable.any(1)
    fixed = np.flatnonzero(absorbing)
    transient = np.flatnonzero(~absorbing)
    col_of_fixed = -np.ones(n_states, dtype=np.int64)
    col_of_fixed[fixed] = np.arange(len(fixed))
    row_of_transient = -np.ones(n_states, dtype=np.int64)
    row_of_transient[transient] = np.arange(len(transient))
    src, site = np.nonzero(unstable[transient])
    src_state = transient[src]
    dst = src_state ^ (1 << site)  # flipping s_i toggles bit i
    p_flip = 1.0 / n
    stay = 1.0 - unstable[transient].sum(1) / n
    to_t = row_of_transient[dst] >= 0
    T = len(transient)
    Q = sparse.coo_matrix(
        (np.full(to_t.sum(), p_flip), (src[to_t], row_of_transient[dst[to_t]])), shape=(T, T)
    ).tocsc()
    Q = Q + sparse.diags(stay)
    R = sparse.coo_matrix(
        (np.full((~to_t).sum(), p_flip), (src[~to_t], col_of_fixed[dst[~to_t]])), shape=(T, len(fixed))
    ).toarray()
    B_t = splu((sparse.identity(T, format="csc") - Q).tocsc()).solve(R) if T else np.zeros((0, len(fixed)))
    absorption = np.zeros((n_states, len(fixed)))
    absorption[fixed, np.arange(len(fixed))] = 1.0
    absorption[transient] = B_t
    return {
        "fixed_points": s[fixed],
        "fixed_indices": fixed,
        "absorption": absorption,
        "basin_fractions": absorption.mean(0),
    }


def state_index(states) -> np.ndarray:
    """Index of each state (n, N): bit i set <=> s_i = -1. int64 (n,)."""
    s = np.atleast_2d(np.asarray(states))
    return ((s < 0).astype(np.int64) << np.arange(s.shape[1])).sum(1)
