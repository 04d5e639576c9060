"""Exact solutions: enumeration, 1D transfer matrix, Kaufman's torus, Onsager, Walsh-Hadamard."""

from deeprg.exact._enumerate import (
    MAX_ENUMERATION_SPINS,
    Enumeration,
    enumerate_energies,
    state_index,
    state_spins,
)
from deeprg.exact._kaufman import kaufman_log_z_and_derivatives, kaufman_thermo
from deeprg.exact._onsager import (
    K_CRITICAL,
    T_CRITICAL,
    critical_coupling,
    onsager_energy_per_site,
    onsager_log_z_per_site,
    onsager_magnetization,
    onsager_specific_heat_per_site,
    onsager_thermo,
)
from deeprg.exact._thermo import Thermo
from deeprg.exact._transfer import (
    chain_correlation,
    chain_log_z,
    chain_thermo,
    open_chain_correlation,
)
from deeprg.exact._walsh import (
    hamiltonian_from_energies,
    inverse_walsh_hadamard,
    mask_to_sites,
    spin_product_expansion,
    walsh_hadamard,
)

__all__ = [
    "K_CRITICAL",
    "MAX_ENUMERATION_SPINS",
    "T_CRITICAL",
    "Enumeration",
    "Thermo",
    "chain_correlation",
    "chain_log_z",
    "chain_thermo",
    "critical_coupling",
    "enumerate_energies",
    "hamiltonian_from_energies",
    "inverse_walsh_hadamard",
    "kaufman_log_z_and_derivatives",
    "kaufman_thermo",
    "mask_to_sites",
    "onsager_energy_per_site",
    "onsager_log_z_per_site",
    "onsager_magnetization",
    "onsager_specific_heat_per_site",
    "onsager_thermo",
    "open_chain_correlation",
    "spin_product_expansion",
    "state_index",
    "state_spins",
    "walsh_hadamard",
]
