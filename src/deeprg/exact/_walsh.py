"""Walsh-Hadamard (spin-product) expansion of functions of a few spins.

Every function f of n spins s_i in {-1, +1} is a unique polynomial

.. math::

    f(s) = \\sum_{A \\subseteq \\{0..n-1\\}} c_A \\prod_{i \\in A} s_i, \\qquad
    c_A = 2^{-n} \\sum_s f(s) \\prod_{i \\in A} s_i .

With states indexed as in :mod:`deeprg.exact._enumerate` (bit i set <=> s_i = -1), the
character prod_{i in A} s_i equals (-1)^{popcount(A & index)}, so c = H_n f / 2^n with the
Sylvester-Hadamard matrix, computed by the fast transform in O(n 2^n). Subsets A are encoded
as bit masks.
"""

from __future__ import annotations

import numpy as np

from deeprg.errors import InputError, TooLargeError
from deeprg.models import SpinHamiltonian

MAX_WALSH_SPINS = 24


def _n_from_length(length: int) -> int:
    n = int(length).bit_length() - 1
    if length < 1 or (1 << n) != length:
        raise InputError(f"need 2^n function values (one per state), got {length}")
    if n > MAX_WALSH_SPINS:
        raise TooLargeError(
            f"Walsh-Hadamard expansion of {n} spins exceeds the limit of {MAX_WALSH_SPINS}",
            size=n,
            limit=MAX_WALSH_SPINS,
        )
    return n


def _fwht(a: np.ndarray) -> np.ndarray:
    """Unnormalised fast Walsh-Hadamard transform along the last axis (returns a new array)."""
    a = np.array(a, dtype=np.float64, copy=True)
    n = _n_from_length(a.shape[-1])
    lead = a.shape[:-1]
    for i in range(n):
        v = a.reshape(*lead, -1, 2, 1 << i)
        x, y = v[..., 0, :].copy(), v[..., 1, :]
        v[..., 0, :] += y
        v[..., 1, :] = x - y
    return a


def walsh_hadamard(values) -> np.ndarray:
    """Coefficients c_A of f(s) = sum_A c_A prod_{i in A} s_i.

    Args:
        values: float array (..., 2^n) of f on every state index.

    Returns:
        float64 array (..., 2^n): c_A at position ``A`` (bit mask of the subset).
    """
    values = np.asarray(values, dtype=np.float64)
    return _fwht(values) / values.shape[-1]


def inverse_walsh_hadamard(coefficients) -> np.ndarray:
    """f on every state from its coefficients c_A (inverse of :func:`walsh_hadamard`)."""
    return _fwht(np.asarray(coefficients, dtype=np.float64))


def mask_to_sites(mask: int) -> tuple[int, ...]:
    """The sites of a subset bit mask, ascending."""
    return tuple(i for i in range(int(mask).bit_length()) if (mask >> i) & 1)


def spin_product_expansion(values, *, tol: float = 0.0) -> dict[tuple[int, ...], float]:
    """f(s) = sum_A c_A prod s_i as a dict {sites: c_A}, keeping |c_A| > tol (() is the constant)."""
    c = walsh_hadamard(values)
    if c.ndim != 1:
        raise InputError("spin_product_expansion takes one function (a 1D array of 2^n values)")
    keep = np.flatnonzero(np.abs(c) > tol)
    return {mask_to_sites(a): float(c[a]) for a in keep}


def hamiltonian_from_energies(energies, *, tol: float = 0.0) -> SpinHamiltonian:
    """The k-body Hamiltonian H(s) = -sum_A K_A prod s_i equal to the given energy per state.

    Since H = sum_A c_A s_A, the couplings are K_A = -c_A (the constant K_() included).
    """
    energies = np.asarray(energies, dtype=np.float64)
    n = _n_from_length(energies.shape[-1])
    coeffs = spin_product_expansion(energies, tol=tol)
    return SpinHamiltonian(max(n, 1), {a: -c for a, c in coeffs.items()})
