"""General k-body spin Hamiltonians.

.. math::

    H(s) = -\\sum_A K_A \\prod_{i \\in A} s_i, \\qquad s_i \\in \\{-1, +1\\},

where ``A`` runs over subsets of sites (index tuples) and the empty tuple ``()`` is a
constant. All couplings are dimensionless (the inverse temperature is absorbed: K = beta J),
so the Boltzmann weight is exp(-H(s)). This is the general many-body Hamiltonian of Mehta & Schwab (2014,
arXiv:1410.3831), and the form real-space RG generates.

The equivalent {0,1} form uses x_i = (1 + s_i)/2, i.e. s_i = 2 x_i - 1, and is written
H(x) = sum_A c_A prod_{i in A} x_i (note the sign: c_A are plain polynomial coefficients).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations

import numpy as np

from deeprg.errors import InputError
from deeprg.utils import check_finite, check_int


def _normalise_terms(terms: Mapping, n_spins: int) -> dict[tuple[int, ...], float]:
    out: dict[tuple[int, ...], float] = {}
    for key, value in terms.items():
        if isinstance(key, int | np.integer):
            key = (int(key),)
        try:
            idx = tuple(sorted(int(i) for i in key))
        except TypeError as exc:
            raise InputError(f"term key {key!r} must be a tuple of site indices") from exc
        if len(set(idx)) != len(idx):
            raise InputError(f"term {key!r} repeats a site; s_i^2 = 1, so reduce the monomial first")
        if idx and (idx[0] < 0 or idx[-1] >= n_spins):
            raise InputError(f"term {key!r} has a site outside 0..{n_spins - 1}")
        coupling = check_finite(value, f"coupling of term {key!r}")
        out[idx] = out.get(idx, 0.0) + coupling
    return out


class SpinHamiltonian:
    """A k-body Ising-type Hamiltonian on ``n_spins`` spins, evaluated in batches.

    Args:
        n_spins: number of spins, >= 1.
        terms: mapping from index tuples (sites, any order, no repeats) to couplings K_A;
            ``()`` is a constant term and contributes -K_() to H.

    Example:
        >>> h = SpinHamiltonian(3, {(0, 1): 1.0, (1, 2): 1.0, (0,): 0.5})
        >>> float(h.energy(np.array([1, 1, 1])))
        -2.5
    """

    def __init__(self, n_spins: int, terms: Mapping):
        self.n_spins = check_int(n_spins, "n_spins", minimum=1)
        self.terms = _normalise_terms(terms, self.n_spins)
        # Group terms by order for vectorised evaluation.
        self._groups: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        by_order: dict[int, list] = {}
        for idx, k in self.terms.items():
            by_order.setdefault(len(idx), []).append((idx, k))
        for order, items in by_order.items():
            sites = np.array([i for i, _ in items], dtype=np.int64).reshape(len(items), order)
            couplings = np.array([k for _, k in items], dtype=np.float64)
            self._groups[order] = (sites, couplings)

    def __repr__(self) -> str:
        return f"SpinHamiltonian(n_spins={self.n_spins}, n_terms={len(self.terms)}, order={self.order})"

    @property
    def order(self) -> int:
        """Largest number of spins in one term (0 for a constant)."""
        return max((len(i) for i in self.terms), default=0)

    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Flat arrays for kernels: (term_ptr int64 (T+1,), term_sites int64, couplings float64 (T,)).

        Term t acts on ``term_sites[term_ptr[t]:term_ptr[t+1]]``. Constant terms are included
        with no sites.
        """
        items = list(self.terms.items())
        ptr = np.zeros(len(items) + 1, dtype=np.int64)
        ptr[1:] = np.cumsum([len(i) for i, _ in items])
        sites = np.fromiter((s for i, _ in items for s in i), dtype=np.int64, count=int(ptr[-1]))
        couplings = np.array([k for _, k in items], dtype=np.float64)
        return ptr, sites, couplings

    def energy(self, s):
        """Energy H(s) of a batch of configurations.

        Args:
            s: array (..., n_spins) with values in {-1, +1}; numpy (any real/int dtype) or a
                torch tensor (evaluated in the tensor's dtype and device).

        Returns:
            float64 array (...) for numpy input; a tensor (...) for torch input.
        """
        if type(s).__module__.startswith("torch"):
            return self._energy_torch(s)
        s = np.asarray(s)
        if s.shape[-1] != self.n_spins:
            raise InputError(f"configurations must have last axis {self.n_spins}, got shape {s.shape}")
        s = s.astype(np.float64, copy=False)
        e = np.zeros(s.shape[:-1], dtype=np.float64)
        for order, (sites, k) in self._groups.items():
            if order == 0:
                e -= k.sum()
            else:
                e -= s[..., sites].prod(axis=-1) @ k
        return e

    def _energy_torch(self, s):
        import torch

        if s.shape[-1] != self.n_spins:
            raise InputError(f"configurations must have last axis {self.n_spins}, got shape {tuple(s.shape)}")
        dtype = s.dtype if s.is_floating_point() else torch.float64
        s = s.to(dtype)
        e = torch.zeros(s.shape[:-1], dtype=dtype, device=s.device)
        for order, (sites, k) in self._groups.items():
            kt = torch.as_tensor(k, dtype=dtype, device=s.device)
            if order == 0:
                e = e - kt.sum()
            else:
                idx = torch.as_tensor(sites, device=s.device)
                e = e - s[..., idx].prod(dim=-1) @ kt
        return e

    # -- the {0,1} form -------------------------------------------------------------------
    def to_binary(self) -> dict[tuple[int, ...], float]:
        """Coefficients c_A of H written in x = (1+s)/2: H = sum_A c_A prod_{i in A} x_i.

        Uses prod_{i in A} s_i = prod_{i in A} (2 x_i - 1)
        = sum_{B subset A} 2^{|B|} (-1)^{|A|-|B|} prod_{i in B} x_i.
        """
        out: dict[tuple[int, ...], float] = {}
        for idx, k in self.terms.items():
            for size in range(len(idx) + 1):
                for sub in combinations(idx, size):
                    coef = -k * (2.0**size) * (-1.0) ** (len(idx) - size)
                    out[sub] = out.get(sub, 0.0) + coef
        return {a: c for a, c in out.items() if c != 0.0}

    @classmethod
    def from_binary(cls, n_spins: int, coefficients: Mapping) -> SpinHamiltonian:
        """Build from the {0,1} form H(x) = sum_A c_A prod x_i, with x_i = (1 + s_i)/2."""
        coefficients = _normalise_terms(coefficients, check_int(n_spins, "n_spins", minimum=1))
        terms: dict[tuple[int, ...], float] = {}
        for idx, c in coefficients.items():
            # prod x_i = 2^{-|A|} sum_{B subset A} prod_{i in B} s_i, and H = -sum K_B s_B.
            scale = c / 2.0 ** len(idx)
            for size in range(len(idx) + 1):
                for sub in combinations(idx, size):
                    terms[sub] = terms.get(sub, 0.0) - scale
        return cls(n_spins, {a: k for a, k in terms.items() if k != 0.0})

    def energy_binary(self, x) -> np.ndarray:
        """H evaluated on {0,1} configurations x (..., n_spins), with s = 2x - 1."""
        return self.energy(2 * np.asarray(x, dtype=np.int8) - 1)
