"""Hopfield networks: patterns, Hebbian and Storkey couplings, energy and overlaps.

A network of N Ising units s_i = +-1 stores P patterns xi^mu (int8 (P, N) in {-1, +1}) in
symmetric couplings with zero diagonal, and has the energy

.. math::  H(s) = -\\tfrac12 \\sum_{i \\ne j} J_{ij} s_i s_j

(Hopfield 1982, PNAS 79:2554). The Hebbian rule is J_ij = (1/N) sum_mu xi_i^mu xi_j^mu, so
that H(s) = -(N/2) sum_mu m_mu(s)^2 + P/2 with the overlaps m_mu(s) = (1/N) sum_i xi_i^mu s_i
(Amit, Gutfreund & Sompolinsky 1985, PRL 55:1530). The Storkey rule (Storkey 1997, ICANN,
LNCS 1327:451) adds patterns one at a time,

.. math::  J^{\\nu} = J^{\\nu-1} + \\tfrac1N (\\xi\\xi^T - \\xi h^T - h \\xi^T + 2 J^{\\nu-1}_{\\rm off}),
           h = J^{\\nu-1} \\xi,

which is the rule's h_ij = h_i - J_ij xi_j written out (zero diagonal kept).
"""

from __future__ import annotations

import numpy as np

from deeprg.errors import InputError

RULES = ("hebbian", "storkey")


def random_patterns(n_patterns: int, n_units: int, seed: int | np.random.Generator = 0) -> np.ndarray:
    """P unbiased random patterns: int8 (P, N) with i.i.d. +-1 entries."""
    if n_patterns < 1 or n_units < 1:
        raise InputError(f"need >= 1 pattern and >= 1 unit, got P = {n_patterns}, N = {n_units}")
    rng = np.random.default_rng(seed)
    return (2 * rng.integers(0, 2, size=(n_patterns, n_units)) - 1).astype(np.int8)


def as_patterns(patterns) -> np.ndarray:
    """Validate a (P, N) array of +-1 values and return it as int8."""
    xi = np.asarray(patterns)
    if xi.ndim != 2 or xi.shape[0] < 1 or xi.shape[1] < 2:
        raise InputError(f"patterns must have shape (P >= 1, N >= 2), got {xi.shape}")
    if not np.all((xi == 1) | (xi == -1)):
        raise InputError("patterns must contain only -1 and +1")
    return xi.astype(np.int8)


def as_states(states, n_units: int) -> np.ndarray:
    """Validate states (n, N) or (N,) of +-1 values; returns a C-contiguous int8 copy (n, N)."""
    s = np.atleast_2d(np.asarray(states))
    if s.ndim != 2 or s.shape[1] != n_units:
        raise InputError(f"states must have shape (n, {n_units}), got {np.shape(states)}")
    if not np.all((s == 1) | (s == -1)):
        raise InputError("states must contain only -1 and +1")
    return np.ascontiguousarray(s, dtype=np.int8)


def hebbian_couplings(patterns, *, scaled: bool = False) -> np.ndarray:
    """J = xi^T xi / N with zero diagonal: float64 (N, N).

    ``scaled=True`` returns N J, whose entries are integers (exact in float64), so that the
    zero-temperature dynamics decides ties s_i h_i = 0 exactly.
    """
    xi = as_patterns(patterns)
    n = xi.shape[1]
    x = xi.astype(np.float32)  # integer sums up to P are exact in float32 (P < 2^24)
    J = (x.T @ x).astype(np.float64)
    np.fill_diagonal(J, 0.0)
    return J if scaled else J / n


def storkey_couplings(patterns) -> np.ndarray:
    """Storkey's (1997) incremental rule, float64 (N, N), zero diagonal; O(P N^2)."""
    xi = as_patterns(patterns).astype(np.float64)
    n = xi.shape[1]
    J = np.zeros((n, n))
    for x in xi:
        h = J @ x
        J += (np.outer(x, x) - np.outer(x, h) - np.outer(h, x) + 2.0 * J) / n
        np.fill_diagonal(J, 0.0)
    return J


class Hopfield:
    """A Hopfield network: stored patterns and their couplings.

    Args:
        patterns: int8 (P, N) in {-1, +1}.
        rule: 'hebbian' (Hopfield 1982) or 'storkey' (Storkey 1997).

    Attributes:
        patterns: int8 (P, N). couplings: float64 (N, N) J, symmetric, zero diagonal.
        n_units, n_patterns, alpha (= P / N).

    Example:
        >>> net = Hopfield(random_patterns(10, 200, seed=1))
        >>> bool(net.is_fixed_point(net.patterns).all())
        True
    """

    def __init__(self, patterns, rule: str = "hebbian"):
        if rule not in RULES:
            raise InputError(f"rule must be one of {RULES}, got {rule!r}")
        self.patterns = as_patterns(patterns)
        self.rule = rule
        if rule == "hebbian":
            # integer couplings N J for the kernels (exact ties), J for everything else
            self._kernel_couplings = hebbian_couplings(self.patterns, scaled=True)
            self._kernel_scale = float(self.n_units)
        else:
            self._kernel_couplings = storkey_couplings(self.patterns)
            self._kernel_scale = 1.0

    @classmethod
    def _from_scaled_couplings(cls, patterns, scaled: np.ndarray, scale: float) -> Hopfield:
        """A Hebbian network whose couplings (times ``scale``) were built elsewhere (no copy)."""
        net = cls.__new__(cls)
        net.patterns = as_patterns(patterns)
        net.rule = "hebbian"
        net._kernel_couplings = scaled
        net._kernel_scale = float(scale)
        return net

    @property
    def couplings(self) -> np.ndarray:
        """J: float64 (N, N), symmetric, zero diagonal."""
        return self._kernel_couplings / self._kernel_scale

    @property
    def n_units(self) -> int:
        return self.patterns.shape[1]

    @property
    def n_patterns(self) -> int:
        return self.patterns.shape[0]

    @property
    def alpha(self) -> float:
        return self.n_patterns / self.n_units

    def energy(self, states) -> np.ndarray:
        """H(s) = -1/2 s^T J s, float64 (n,), for states (n, N) or (N,)."""
        s = as_states(states, self.n_units).astype(np.float64)
        return -0.5 * np.einsum("ni,ni->n", s @ self._kernel_couplings, s) / self._kernel_scale

    def overlaps(self, states) -> np.ndarray:
        """m_mu(s) = (1/N) sum_i xi_i^mu s_i, float64 (n, P)."""
        return overlaps(self.patterns, states)

    def local_fields(self, states) -> np.ndarray:
        """h_i = sum_j J_ij s_j, float64 (n, N)."""
        s = as_states(states, self.n_units).astype(np.float64)
        return s @ self._kernel_couplings / self._kernel_scale

    def is_fixed_point(self, states) -> np.ndarray:
        """bool (n,): no unit has s_i h_i < 0 (ties h_i = 0 keep their state)."""
        s = as_states(states, self.n_units)
        h = s.astype(np.float64) @ self._kernel_couplings
        return np.all(s * h >= 0, axis=1)


def overlaps(patterns, states) -> np.ndarray:
    """m_mu(s) = (1/N) xi^mu . s, float64 (n, P)."""
    xi = as_patterns(patterns)
    s = as_states(states, xi.shape[1])
    return (s.astype(np.float32) @ xi.T.astype(np.float32)).astype(np.float64) / xi.shape[1]
