"""Retrieval and sampling: public wrappers around the numba kernels.

Every function takes starting states (n, N) in {-1, +1}, runs one independent trial per
row in parallel, owns its random streams (one xoshiro256+ stream per trial from ``seed``) and
returns new arrays; inputs are never modified. Same seed, same result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deeprg.errors import InputError
from deeprg.hopfield._kernels import async_zero_t, descend_free_energy, glauber, sync_zero_t
from deeprg.hopfield._network import Hopfield, as_states
from deeprg.sampling._rng import seed_streams

HIDDEN_KINDS = {"gaussian": 0, "binary": 1, "spin": 2}


@dataclass(frozen=True)
class Retrieval:
    """End points of zero-temperature dynamics.

    Attributes:
        states: int8 (n, N) final states. steps: int64 (n,) sweeps (async) or steps (sync) to
            convergence. converged: bool (n,) reached a fixed point. cycles: bool (n,) ended
            in a 2-cycle (synchronous dynamics only).
    """

    states: np.ndarray
    steps: np.ndarray
    converged: np.ndarray
    cycles: np.ndarray


def retrieve(
    net: Hopfield, starts, *, mode: str = "async", max_sweeps: int = 200, seed: int | list = 0
) -> Retrieval:
    """Run zero-temperature dynamics from every start (rows of ``starts``) to a fixed point.

    mode 'async': s_i <- sign(h_i) at a uniformly random site, N updates per sweep (Hopfield
    1982); 'sync': s <- sign(J s) for all units at once (deterministic; may end in a 2-cycle).
    Ties h_i = 0 keep s_i.
    """
    if max_sweeps < 1:
        raise InputError(f"max_sweeps must be >= 1, got {max_sweeps}")
    s = as_states(starts, net.n_units).copy()
    steps = np.zeros(s.shape[0], dtype=np.int64)
    J = np.ascontiguousarray(net._kernel_couplings)
    if mode == "async":
        async_zero_t(J, s, seed_streams(seed, s.shape[0]), int(max_sweeps), steps)
        return Retrieval(s, steps, steps > 0, np.zeros(s.shape[0], dtype=bool))
    if mode == "sync":
        sync_zero_t(J, s, int(max_sweeps), steps)
        return Retrieval(s, np.abs(steps), steps > 0, steps < 0)
    raise InputError(f"mode must be 'async' or 'sync', got {mode!r}")


def glauber_dynamics(net: Hopfield, starts, beta: float, n_sweeps: int, *, seed: int = 0) -> np.ndarray:
    """States after ``n_sweeps`` sweeps of heat-bath dynamics at inverse temperature beta,
    whose stationary distribution is p(s) ~ exp(-beta H(s)). int8 (n, N)."""
    if not np.isfinite(beta) or beta < 0:
        raise InputError(f"beta must be a finite number >= 0, got {beta}")
    if n_sweeps < 0:
        raise InputError(f"n_sweeps must be >= 0, got {n_sweeps}")
    s = as_states(starts, net.n_units).copy()
    J = np.ascontiguousarray(net._kernel_couplings)
    glauber(J, net._kernel_scale, float(beta), s, seed_streams(seed, s.shape[0]), int(n_sweeps))
    return s


def descend(
    W,
    starts,
    *,
    visible_bias=None,
    hidden_bias=None,
    hidden: str = "binary",
    max_sweeps: int = 200,
    tol: float = 1e-9,
    seed: int = 0,
) -> Retrieval:
    """Zero-temperature descent on the visible free energy of an RBM with spin visible units.

        F(s) = -c.s - sum_j phi(b_j + (s W)_j),  s in {-1, +1}^N,

    phi = x^2/2 (Gaussian hidden units), softplus (binary {0,1}) or ln 2cosh (spin). W: (N, M).
    A unit flips when that lowers F by more than ``tol``.
    """
    if hidden not in HIDDEN_KINDS:
        raise InputError(f"hidden must be one of {tuple(HIDDEN_KINDS)}, got {hidden!r}")
    W = np.ascontiguousarray(W, dtype=np.float64)
    if W.ndim != 2:
        raise InputError(f"W must be 2D (N, M), got shape {W.shape}")
    n, m = W.shape
    c = np.zeros(n) if visible_bias is None else np.ascontiguousarray(visible_bias, dtype=np.float64)
    b = np.zeros(m) if hidden_bias is None else np.ascontiguousarray(hidden_bias, dtype=np.float64)
    if c.shape != (n,) or b.shape != (m,):
        raise InputError(f"biases must have shapes ({n},) and ({m},), got {c.shape} and {b.shape}")
    s = as_states(starts, n).copy()
    steps = np.zeros(s.shape[0], dtype=np.int64)
    descend_free_energy(
        W, c, b, HIDDEN_KINDS[hidden], s, seed_streams(seed, s.shape[0]), int(max_sweeps), float(tol), steps
    )
    return Retrieval(s, steps, steps > 0, np.zeros(s.shape[0], dtype=bool))


def rbm_as_spin_form(W, visible_bias, hidden_bias) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rewrite an RBM with binary visible units v = (s + 1)/2 in spin form for :func:`descend`.

    E = -v.c - h.b - v W h becomes -s.c' - h.b' - s W' h (+ const) with W' = W/2,
    c' = c/2, b' = b + (1/2) sum_i W_ij. Returns (W', c', b').
    """
    W = np.asarray(W, dtype=np.float64)
    return (
        W / 2.0,
        np.asarray(visible_bias, dtype=np.float64) / 2.0,
        (np.asarray(hidden_bias, dtype=np.float64) + 0.5 * W.sum(0)),
    )
