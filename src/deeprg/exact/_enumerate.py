"""Exact enumeration of small spin systems by a Gray-code walk (numba).

State indexing, used throughout deeprg: bit i of the state index is 1 when s_i = -1, so index 0
is all spins up and s_i = 1 - 2 * bit_i. Consecutive Gray codes differ by one spin, so each new
energy costs only the terms that touch that spin: O(2^n * terms per spin) in all.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numba
import numpy as np

from deeprg.errors import InputError, TooLargeError
from deeprg.models import SpinHamiltonian
from deeprg.utils import check_finite

#: Largest number of spins enumerated (2^24 energies = 128 MiB of float64).
MAX_ENUMERATION_SPINS = 24


@numba.njit(cache=True)
def _gray_energies(n, term_ptr, term_sites, couplings, site_ptr, site_terms, out):
    """Fill out[idx] = H(s(idx)) for all 2^n states. H = -sum_t K_t prod_{i in t} s_i."""
    n_terms = couplings.shape[0]
    prod = np.ones(n_terms, dtype=np.float64)
    energy = 0.0
    for t in range(n_terms):
        energy -= couplings[t]
    out[0] = energy
    state = 0
    for step in range(1, 1 << n):
        # the spin flipped between Gray codes step-1 and step is the lowest set bit of step
        j = 0
        while not (step >> j) & 1:
            j += 1
        for p in range(site_ptr[j], site_ptr[j + 1]):
            t = site_terms[p]
            energy += 2.0 * couplings[t] * prod[t]
            prod[t] = -prod[t]
        state ^= 1 << j
        out[state] = energy


def _site_to_terms(n: int, term_ptr: np.ndarray, term_sites: np.ndarray):
    counts = np.zeros(n + 1, dtype=np.int64)
    owner = np.repeat(np.arange(len(term_ptr) - 1), np.diff(term_ptr))
    np.add.at(counts, term_sites + 1, 1)
    site_ptr = np.cumsum(counts)
    order = np.argsort(term_sites, kind="stable")
    return site_ptr, owner[order].astype(np.int64)


def enumerate_energies(hamiltonian: SpinHamiltonian) -> np.ndarray:
    """H(s) for every state, float64 array (2^n,), indexed as in the module docstring."""
    n = hamiltonian.n_spins
    if n > MAX_ENUMERATION_SPINS:
        raise TooLargeError(
            f"exact enumeration of {n} spins needs 2^{n} states; at most "
            f"{MAX_ENUMERATION_SPINS} spins are enumerated. Use a transfer-matrix or Kaufman "
            "solution, or sampling, for larger systems",
            size=n,
            limit=MAX_ENUMERATION_SPINS,
        )
    term_ptr, term_sites, couplings = hamiltonian.csr()
    site_ptr, site_terms = _site_to_terms(n, term_ptr, term_sites)
    out = np.empty(1 << n, dtype=np.float64)
    _gray_energies(n, term_ptr, term_sites, couplings, site_ptr, site_terms, out)
    return out


def state_spins(indices, n_spins: int) -> np.ndarray:
    """int8 array (..., n_spins) of the spins s_i = 1 - 2 bit_i of the given state indices."""
    idx = np.asarray(indices, dtype=np.int64)
    bits = (idx[..., None] >> np.arange(n_spins, dtype=np.int64)) & 1
    return (1 - 2 * bits).astype(np.int8)


def state_index(spins) -> np.ndarray:
    """Inverse of :func:`state_spins`: int64 state indices of configurations (..., n) in +-1."""
    s = np.asarray(spins)
    bits = (s < 0).astype(np.int64)
    return (bits << np.arange(s.shape[-1], dtype=np.int64)).sum(axis=-1)


@dataclass(frozen=True)
class Enumeration:
    """Every state of a small system with its energy; thermodynamics at any inverse temperature.

    Attributes:
        n_spins: number of spins n.
        energies: float64 array (2^n,), H(s) per state index (see :func:`state_spins`).
    """

    n_spins: int
    energies: np.ndarray

    @classmethod
    def of(cls, hamiltonian: SpinHamiltonian) -> Enumeration:
        return cls(hamiltonian.n_spins, enumerate_energies(hamiltonian))

    @cached_property
    def magnetizations(self) -> np.ndarray:
        """int32 array (2^n,): M = sum_i s_i = n - 2 popcount(index)."""
        idx = np.arange(1 << self.n_spins, dtype=np.uint64)
        return (self.n_spins - 2 * np.bitwise_count(idx).astype(np.int32)).astype(np.int32)

    def log_z(self, beta: float = 1.0) -> float:
        """ln sum_s exp(-beta H(s)), in float64 with logsumexp."""
        from scipy.special import logsumexp  # lazy: scipy.special costs 0.4 s of start-up

        return float(logsumexp(-check_finite(beta, "beta") * self.energies))

    def probabilities(self, beta: float = 1.0) -> np.ndarray:
        """Boltzmann probabilities, float64 array (2^n,)."""
        a = -beta * self.energies
        from scipy.special import logsumexp

        return np.exp(a - logsumexp(a))

    def moments(self, beta: float = 1.0) -> dict[str, float]:
        """Exact averages at inverse temperature beta (H is used as given, times beta).

        Returns:
            dict with log_z, mean_energy <H>, var_energy Var(H), mean_abs_m <|M|>, mean_m2
            <M^2>, mean_m4 <M^4>, mean_m <M> (M the total magnetization).
        """
        p = self.probabilities(beta)
        e = self.energies
        mean_e = float(p @ e)
        m = self.magnetizations.astype(np.float64)
        m2 = m * m
        return {
            "log_z": self.log_z(beta),
            "mean_energy": mean_e,
            "var_energy": float(p @ (e - mean_e) ** 2),
            "mean_m": float(p @ m),
            "mean_abs_m": float(p @ np.abs(m)),
            "mean_m2": float(p @ m2),
            "mean_m4": float(p @ (m2 * m2)),
        }

    def energy_histogram(
        self, beta: float = 1.0, decimals: int = 9
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Distinct energy levels with degeneracies and Boltzmann probabilities.

        Energies are grouped after rounding to ``decimals`` places (exact for integer couplings).

        Returns:
            (levels float64 (k,), degeneracy int64 (k,), probability float64 (k,)).
        """
        levels, inverse, counts = np.unique(
            np.round(self.energies, decimals), return_inverse=True, return_counts=True
        )
        prob = np.bincount(inverse, weights=self.probabilities(beta), minlength=len(levels))
        return levels, counts.astype(np.int64), prob

    def sample(self, n_samples: int, beta: float = 1.0, *, seed=None) -> np.ndarray:
        """Exact i.i.d. samples: int8 array (n_samples, n_spins)."""
        if n_samples < 0:
            raise InputError(f"n_samples must be >= 0, got {n_samples}")
        rng = np.random.default_rng(seed)
        idx = rng.choice(1 << self.n_spins, size=n_samples, p=self.probabilities(beta))
        return state_spins(idx, self.n_spins)
