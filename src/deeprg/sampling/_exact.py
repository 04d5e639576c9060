"""Exact i.i.d. sampling from the enumerated Boltzmann distribution of a tiny system."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from deeprg.exact import Enumeration
from deeprg.lattice import Chain, SquareLattice
from deeprg.models import SpinHamiltonian, ising_chain, ising_square
from deeprg.utils import check_int


@dataclass(frozen=True)
class ExactSampler:
    """Draws independent configurations from exp(-H)/Z by enumerating all 2^N states (N <= 24).

    Args:
        system: a :class:`SpinHamiltonian`, or a lattice together with ``K`` and ``h``.

    Example:
        >>> configs = ExactSampler(SquareLattice(3), K=0.4).sample(1000, seed=0)  # (1000, 3, 3)
    """

    system: SpinHamiltonian | Chain | SquareLattice
    K: float = 0.0
    h: float = 0.0

    @cached_property
    def hamiltonian(self) -> SpinHamiltonian:
        if isinstance(self.system, SpinHamiltonian):
            return self.system
        if isinstance(self.system, SquareLattice):
            lat = self.system
            return ising_square(lat.L, self.K, self.h, M=lat.M, periodic=lat.periodic)
        return ising_chain(self.system.n, self.K, self.h, periodic=self.system.periodic)

    @cached_property
    def enumeration(self) -> Enumeration:
        return Enumeration.of(self.hamiltonian)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.system.shape if hasattr(self.system, "shape") else (self.hamiltonian.n_spins,)

    def sample(self, n_samples: int, *, seed=None) -> np.ndarray:
        """int8 array (n_samples, *shape) of independent exact samples."""
        n_samples = check_int(n_samples, "n_samples", minimum=0)
        return self.enumeration.sample(n_samples, seed=seed).reshape(n_samples, *self.shape)
