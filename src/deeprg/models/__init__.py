"""Spin Hamiltonians: general k-body polynomials and the Ising chain and square lattice."""

from deeprg.models._hamiltonian import SpinHamiltonian
from deeprg.models._ising import (
    ising_chain,
    ising_energy_2d,
    ising_square,
    magnetization,
    nn_bond_sum_2d,
)

__all__ = [
    "SpinHamiltonian",
    "ising_chain",
    "ising_energy_2d",
    "ising_square",
    "magnetization",
    "nn_bond_sum_2d",
]
