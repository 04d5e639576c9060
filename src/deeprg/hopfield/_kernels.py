"""Numba kernels for Hopfield dynamics, many trials in parallel (``prange`` over trials).

Conventions shared by every kernel:
- ``states``: int8 (C, N) in {-1, +1}, updated in place (one row per trial).
- ``J``: float64 (N, N), symmetric with zero diagonal (Hebbian networks pass N J, whose
  entries are integers, so local fields are exact and ties h_i = 0 are decided exactly).
- ``rng``: uint64 (C, 4) per-trial xoshiro256+ states, advanced in place; a trial uses only
  its own stream, so results do not depend on thread scheduling.
- Asynchronous dynamics picks a site uniformly at random at each update (N updates make a
  sweep). This is a Markov chain on the 2^N states, which is what lets tests compare basins
  with exact absorption probabilities.
"""

from __future__ import annotations

import numba
import numpy as np

from deeprg.sampling._rng import to_unit, xoshiro_next


@numba.njit(inline="always")
def _site(s0, s1, s2, s3, n):
    x, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
    i = int(to_unit(x) * n)
    if i >= n:
        i = n - 1
    return i, s0, s1, s2, s3


@numba.njit(inline="always")
def _local_fields(J, s, h):
    """h = J s for one trial, written into h (float64 (n,))."""
    n = s.shape[0]
    for i in range(n):
        acc = 0.0
        for j in range(n):
            acc += J[i, j] * s[j]
        h[i] = acc


@numba.njit(parallel=True, cache=True)
def async_zero_t(J, states, rng, max_sweeps, out_sweeps):
    """Zero-temperature asynchronous dynamics s_i <- sign(h_i) (ties keep s_i) to a fixed point.

    Writes the number of sweeps to convergence into ``out_sweeps`` (int64 (C,)), -1 if no
    fixed point was reached within ``max_sweeps``. A fixed point is checked after each sweep.
    """
    n_trials, n = states.shape
    fields = np.empty((n_trials, n))  # per-trial work space, allocated outside the parallel loop
    for c in numba.prange(n_trials):
        s0, s1, s2, s3 = rng[c, 0], rng[c, 1], rng[c, 2], rng[c, 3]
        h = fields[c]
        _local_fields(J, states[c], h)
        out_sweeps[c] = -1
        for sweep in range(max_sweeps):
            for _ in range(n):
                i, s0, s1, s2, s3 = _site(s0, s1, s2, s3, n)
                si = states[c, i]
                if si * h[i] < 0.0:
                    states[c, i] = -si
                    d = -2.0 * si
                    for j in range(n):
                        h[j] += d * J[i, j]
            stable = True
            for i in range(n):
                if states[c, i] * h[i] < 0.0:
                    stable = False
                    break
            if stable:
                out_sweeps[c] = sweep + 1
                break
        rng[c, 0], rng[c, 1], rng[c, 2], rng[c, 3] = s0, s1, s2, s3


@numba.njit(parallel=True, cache=True)
def sync_zero_t(J, states, max_steps, out_steps):
    """Zero-temperature synchronous dynamics s <- sign(J s) (ties keep s_i), deterministic.

    ``out_steps`` (int64 (C,)): steps to a fixed point, or -(steps) when the trial entered a
    2-cycle (Goles & Vichniac 1986: symmetric J gives fixed points or 2-cycles only), 0 if
    neither within ``max_steps``. On a 2-cycle the state is left at one of its two points.
    """
    n_trials, n = states.shape
    buf = np.empty((n_trials, 3, n), dtype=np.int8)  # previous, current, next state per trial
    for c in numba.prange(n_trials):
        for i in range(n):
            buf[c, 0, i] = states[c, i]
            buf[c, 1, i] = states[c, i]
        out_steps[c] = 0
        for step in range(max_steps):
            changed = False
            for i in range(n):
                acc = 0.0
                for j in range(n):
                    acc += J[i, j] * buf[c, 1, j]
                v = buf[c, 1, i]
                if acc > 0.0:
                    v = 1
                elif acc < 0.0:
                    v = -1
                buf[c, 2, i] = v
                if v != buf[c, 1, i]:
                    changed = True
            if not changed:
                out_steps[c] = step + 1
                break
            cycle = step > 0
            if cycle:
                for i in range(n):
                    if buf[c, 2, i] != buf[c, 0, i]:
                        cycle = False
                        break
            for i in range(n):
                buf[c, 0, i] = buf[c, 1, i]
                buf[c, 1, i] = buf[c, 2, i]
            if cycle:
                out_steps[c] = -(step + 1)
                break
        for i in range(n):
            states[c, i] = buf[c, 1, i]


@numba.njit(parallel=True, cache=True)
def glauber(J, scale, beta, states, rng, n_sweeps):
    """Heat-bath (Glauber) dynamics at inverse temperature beta, random site selection:
    P(s_i = +1) = 1 / (1 + exp(-2 beta h_i)) with h_i = (J s)_i / scale."""
    n_trials, n = states.shape
    b2 = 2.0 * beta / scale
    fields = np.empty((n_trials, n))
    for c in numba.prange(n_trials):
        s0, s1, s2, s3 = rng[c, 0], rng[c, 1], rng[c, 2], rng[c, 3]
        h = fields[c]
        _local_fields(J, states[c], h)
        for _ in range(n_sweeps * n):
            i, s0, s1, s2, s3 = _site(s0, s1, s2, s3, n)
            x, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
            p_up = 1.0 / (1.0 + np.exp(-b2 * h[i]))
            new = 1 if to_unit(x) < p_up else -1
            si = states[c, i]
            if new != si:
                states[c, i] = new
                d = 2.0 * new
                for j in range(n):
                    h[j] += d * J[i, j]
        rng[c, 0], rng[c, 1], rng[c, 2], rng[c, 3] = s0, s1, s2, s3


@numba.njit(inline="always")
def _phi(x, kind):
    """ln sum_u e^{u x} over a hidden unit's values (up to a constant): x^2/2 (Gaussian),
    softplus (binary {0,1}), ln 2cosh (spin)."""
    if kind == 0:
        return 0.5 * x * x
    ax = abs(x)
    if kind == 1:
        return max(x, 0.0) + np.log1p(np.exp(-ax))
    return ax + np.log1p(np.exp(-2.0 * ax))


@numba.njit(parallel=True, cache=True)
def descend_free_energy(W, c, b, kind, states, rng, max_sweeps, tol, out_sweeps):
    """Zero-temperature asynchronous descent on an RBM's visible free energy,

        F(s) = -c.s - sum_j phi(b_j + sum_i s_i W_ij),   s in {-1, +1}^N,

    flipping a randomly chosen unit whenever that lowers F by more than ``tol``. W: float64
    (N, M); c (N,); b (M,); kind 0/1/2 = Gaussian/binary/spin hidden units. With Gaussian
    units and W = xi^T / sqrt(N) this is the Hebbian Hopfield energy plus P/2 (Barra et al.
    2012). ``out_sweeps`` as in :func:`async_zero_t`.
    """
    n_trials, n = states.shape
    m = W.shape[1]
    inputs = np.empty((n_trials, m))
    for t in numba.prange(n_trials):
        s0, s1, s2, s3 = rng[t, 0], rng[t, 1], rng[t, 2], rng[t, 3]
        a = inputs[t]
        for j in range(m):
            acc = b[j]
            for i in range(n):
                acc += W[i, j] * states[t, i]
            a[j] = acc
        out_sweeps[t] = -1
        for sweep in range(max_sweeps):
            for _ in range(n):
                i, s0, s1, s2, s3 = _site(s0, s1, s2, s3, n)
                si = states[t, i]
                dF = 2.0 * c[i] * si
                for j in range(m):
                    dF -= _phi(a[j] - 2.0 * si * W[i, j], kind) - _phi(a[j], kind)
                if dF < -tol:
                    states[t, i] = -si
                    for j in range(m):
                        a[j] -= 2.0 * si * W[i, j]
            stable = True
            for i in range(n):
                si = states[t, i]
                dF = 2.0 * c[i] * si
                for j in range(m):
                    dF -= _phi(a[j] - 2.0 * si * W[i, j], kind) - _phi(a[j], kind)
                if dF < -tol:
                    stable = False
                    break
            if stable:
                out_sweeps[t] = sweep + 1
                break
        rng[t, 0], rng[t, 1], rng[t, 2], rng[t, 3] = s0, s1, s2, s3
