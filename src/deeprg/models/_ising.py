"""Nearest-neighbour Ising models, H = -K sum_<ij> s_i s_j - h sum_i s_i (K = beta J, h = beta H).

Fast batched energies for configurations stored on their lattice shape, and factories that
return the same model as a general :class:`SpinHamiltonian` (for enumeration and RG).
"""

from __future__ import annotations

import numpy as np

from deeprg.lattice import Chain, SquareLattice
from deeprg.models._hamiltonian import SpinHamiltonian
from deeprg.utils import check_finite


def _bond_terms(bonds: np.ndarray, K: float) -> dict[tuple[int, int], float]:
    terms: dict[tuple[int, int], float] = {}
    for i, j in bonds:
        key = (min(i, j), max(i, j))
        if key[0] == key[1]:
            continue
        terms[key] = terms.get(key, 0.0) + K
    return terms


def ising_chain(n: int, K: float, h: float = 0.0, *, periodic: bool = True) -> SpinHamiltonian:
    """The Ising chain of ``n`` spins as a :class:`SpinHamiltonian`."""
    lat = Chain(n, periodic)
    K, h = check_finite(K, "K"), check_finite(h, "h")
    terms: dict = _bond_terms(lat.bonds, K)
    if h:
        terms.update({(i,): h for i in range(n)})
    return SpinHamiltonian(n, terms)


def ising_square(
    L: int, K: float, h: float = 0.0, *, M: int | None = None, periodic: bool = True
) -> SpinHamiltonian:
    """The square-lattice Ising model on L x M sites as a :class:`SpinHamiltonian`.

    On a torus with a side of 2 the wrap-around bond duplicates the inner one, so that pair's
    coupling is 2K (2LM bonds in all, as in Kaufman's formula).
    """
    lat = SquareLattice(L, M, periodic)
    K, h = check_finite(K, "K"), check_finite(h, "h")
    terms: dict = _bond_terms(lat.bonds, K)
    if h:
        terms.update({(i,): h for i in range(lat.n_sites)})
    return SpinHamiltonian(lat.n_sites, terms)


def nn_bond_sum_2d(configs) -> np.ndarray:
    """Sum over nearest-neighbour bonds of s_i s_j on periodic L x M lattices.

    Args:
        configs: array (..., L, M) of +-1 values (any integer or float dtype).

    Returns:
        float64 array (...): sum_<ij> s_i s_j (2LM bonds on the torus).
    """
    s = np.asarray(configs, dtype=np.float64)
    return (s * np.roll(s, -1, axis=-1)).sum(axis=(-2, -1)) + (s * np.roll(s, -1, axis=-2)).sum(axis=(-2, -1))


def magnetization(configs, ndim: int = 2) -> np.ndarray:
    """Total magnetization sum_i s_i over the last ``ndim`` axes, as float64."""
    s = np.asarray(configs)
    return s.sum(axis=tuple(range(-ndim, 0)), dtype=np.float64)


def ising_energy_2d(configs, K: float = 1.0, h: float = 0.0) -> np.ndarray:
    """Dimensionless energy -K sum_<ij> s_i s_j - h sum_i s_i of periodic 2D configurations."""
    return -K * nn_bond_sum_2d(configs) - h * magnetization(configs, 2)
