"""Correctness harness: chi-square of sampled distributions against exact enumeration.

One harness serves every update rule (NetKet's ``test_correct_sampling`` habit): sample a
tiny lattice with many chains, thin well past the autocorrelation time, and compare the
histogram of energies (or of whole states) with the exact Boltzmann distribution. p-values of
several seeds are combined with Fisher's method.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from deeprg.exact import Enumeration, state_index
from deeprg.models import ising_chain, ising_square


@dataclass(frozen=True)
class ChiSquareResult:
    """p-values per seed, Fisher's combined p-value, and the chi-square statistics."""

    p_values: tuple[float, ...]
    combined_p: float
    statistics: tuple[float, ...]
    dof: tuple[int, ...]


def _chi_square(observed: np.ndarray, expected: np.ndarray, min_expected: float = 5.0):
    """Pearson chi-square after merging bins with expected count < min_expected into one."""
    small = expected < min_expected
    obs = np.concatenate([observed[~small], [observed[small].sum()]]) if small.any() else observed
    exp = np.concatenate([expected[~small], [expected[small].sum()]]) if small.any() else expected
    keep = exp > 0
    stat, p = stats.chisquare(obs[keep], exp[keep] * obs[keep].sum() / exp[keep].sum())
    return float(stat), float(p), int(keep.sum() - 1)


def _enumeration_of(lattice, K: float, h: float):
    if hasattr(lattice, "L"):
        ham = ising_square(lattice.L, K, h, M=lattice.M, periodic=lattice.periodic)
    else:
        ham = ising_chain(lattice.n, K, h, periodic=lattice.periodic)
    en = Enumeration.of(ham)
    probs = en.probabilities()
    levels = np.unique(np.round(en.energies, 9))
    level_of_state = np.searchsorted(levels, np.round(en.energies, 9))
    return probs, levels, level_of_state


def _observed_expected(idx, probs, levels, level_of_state, what):
    if what == "state":
        return np.bincount(idx, minlength=probs.size).astype(float), probs * idx.size
    observed = np.bincount(level_of_state[idx], minlength=levels.size).astype(float)
    expected = np.bincount(level_of_state, weights=probs, minlength=levels.size) * idx.size
    return observed, expected


def chi_square_of_samples(configs, lattice, K: float, h: float = 0.0, *, what: str = "energy") -> float:
    """p-value of the chi-square test of independent samples int8 (n, *shape) against the
    exact Boltzmann distribution of ``lattice`` at (K, h) ('energy' levels or whole 'state's)."""
    probs, levels, level_of_state = _enumeration_of(lattice, K, h)
    idx = state_index(np.asarray(configs).reshape(len(configs), -1))
    return _chi_square(*_observed_expected(idx, probs, levels, level_of_state, what))[1]


def chi_square_test(
    sampler,
    *,
    seeds=(0, 1, 2, 3),
    n_samples: int = 400,
    thin: int = 10,
    burn_in: int = 200,
    what: str = "energy",
):
    """Sample with ``sampler`` for each seed and test against exact enumeration.

    Args:
        sampler: an :class:`~deeprg.sampling.IsingSampler` on a lattice of <= 16 sites.
        n_samples: samples per chain per seed (the sampler's n_chains run in parallel).
        what: 'energy' (histogram of energy levels) or 'state' (all 2^N states).

    Returns:
        :class:`ChiSquareResult`.
    """
    probs, levels, level_of_state = _enumeration_of(sampler.lattice, sampler.K, sampler.h)
    p_values, statistics, dofs = [], [], []
    for seed in seeds:
        state = sampler.burn_in(sampler.init_state(seed), burn_in)
        configs, _ = sampler.sample(state, n_samples, thin=thin)
        idx = state_index(configs.reshape(-1, sampler.n_sites))
        stat, p, dof = _chi_square(*_observed_expected(idx, probs, levels, level_of_state, what))
        p_values.append(p)
        statistics.append(stat)
        dofs.append(dof)
    combined = stats.combine_pvalues(p_values, method="fisher").pvalue
    return ChiSquareResult(tuple(p_values), float(combined), tuple(statistics), tuple(dofs))
