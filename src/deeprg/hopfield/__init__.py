"""Hopfield networks as Ising models: storage, retrieval dynamics, capacity, spurious states,
and the exact equivalence with an RBM with Gaussian hidden units.

Hopfield (1982, PNAS 79:2554); Amit, Gutfreund & Sompolinsky (1985, PRL 55:1530);
Storkey (1997); Barra, Bernacchia, Santucci & Contucci (2012, Neural Networks 34:1,
arXiv:1105.2790).
"""

from deeprg.hopfield._capacity import (
    capacity_trials,
    crossing_with_error,
    finite_size_alpha_c,
    retrieval_crossing,
)
from deeprg.hopfield._classify import CLASSES, classify_states
from deeprg.hopfield._dynamics import Retrieval, descend, glauber_dynamics, rbm_as_spin_form, retrieve
from deeprg.hopfield._equivalence import (
    equivalence_defect,
    gaussian_rbm_log_z,
    gaussian_rbm_visible_log_marginal,
    hopfield_log_probabilities,
    hopfield_log_z,
)
from deeprg.hopfield._exact import exact_basins, state_index
from deeprg.hopfield._network import (
    RULES,
    Hopfield,
    as_patterns,
    hebbian_couplings,
    overlaps,
    random_patterns,
    storkey_couplings,
)
from deeprg.hopfield._theory import (
    ALPHA_C,
    ALPHA_C_QUOTED,
    M_AT_ALPHA_C,
    M_AT_ALPHA_C_QUOTED,
    mixture_energy,
    mixture_overlap,
    retrieval_overlap,
)

__all__ = [
    "ALPHA_C",
    "ALPHA_C_QUOTED",
    "CLASSES",
    "M_AT_ALPHA_C",
    "M_AT_ALPHA_C_QUOTED",
    "RULES",
    "Hopfield",
    "Retrieval",
    "as_patterns",
    "capacity_trials",
    "classify_states",
    "crossing_with_error",
    "descend",
    "equivalence_defect",
    "exact_basins",
    "finite_size_alpha_c",
    "gaussian_rbm_log_z",
    "gaussian_rbm_visible_log_marginal",
    "glauber_dynamics",
    "hebbian_couplings",
    "hopfield_log_probabilities",
    "hopfield_log_z",
    "mixture_energy",
    "mixture_overlap",
    "overlaps",
    "random_patterns",
    "rbm_as_spin_form",
    "retrieval_crossing",
    "retrieval_overlap",
    "retrieve",
    "state_index",
    "storkey_couplings",
]
