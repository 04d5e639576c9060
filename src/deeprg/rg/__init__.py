"""Real-space renormalization group: exact 1D decimation, block spins, Migdal-Kadanoff,
effective couplings by pseudo-likelihood, and Swendsen's Monte Carlo RG."""

from deeprg.rg._block import RULES as BLOCK_RULES
from deeprg.rg._block import block_configs
from deeprg.rg._couplings import CouplingFit, fit_couplings, try_fit_couplings
from deeprg.rg._decimation1d import DecimationFlow, decimate_once, decimation_flow
from deeprg.rg._mcrg import EVEN_2D, ODD_2D, BlockMap, MCRGResult, mcrg_exponents, mcrg_from_levels, rule_map
from deeprg.rg._mk import MKResult, mk_derivative, mk_fixed_point, mk_flow, mk_recursion
from deeprg.rg._operators import OPERATORS_1D, OPERATORS_2D, Operator, get_operators
from deeprg.rg._rbm_couplings import MAX_EXACT_HIDDEN, rbm_hidden_couplings, rbm_hidden_energies
from deeprg.rg._rsmi import RSMIFilter, block_environment_pairs, environment_offsets, train_rsmi

__all__ = [
    "BLOCK_RULES",
    "EVEN_2D",
    "MAX_EXACT_HIDDEN",
    "ODD_2D",
    "OPERATORS_1D",
    "OPERATORS_2D",
    "BlockMap",
    "CouplingFit",
    "DecimationFlow",
    "MCRGResult",
    "MKResult",
    "Operator",
    "RSMIFilter",
    "block_configs",
    "block_environment_pairs",
    "decimate_once",
    "decimation_flow",
    "environment_offsets",
    "fit_couplings",
    "get_operators",
    "mcrg_exponents",
    "mcrg_from_levels",
    "mk_derivative",
    "mk_fixed_point",
    "mk_flow",
    "mk_recursion",
    "rbm_hidden_couplings",
    "rbm_hidden_energies",
    "rule_map",
    "train_rsmi",
    "try_fit_couplings",
]
