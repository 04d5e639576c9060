"""Real-space renormalization group: exact 1D decimation, block spins, Migdal-Kadanoff,
effective couplings by pseudo-likelihood, and Swendsen's Monte Carlo RG."""

from deeprg.rg._block import RULES as BLOCK_RULES
from deeprg.rg._block import block_configs
from deeprg.rg._couplings import CouplingFit, fit_couplings, try_fit_couplings
from deeprg.rg._decimation1d import DecimationFlow, decimate_once, decimation_flow
from deeprg.rg._mcrg import EVEN_2D, ODD_2D, MCRGResult, mcrg_exponents
from deeprg.rg._mk import MKResult, mk_derivative, mk_fixed_point, mk_flow, mk_recursion
from deeprg.rg._operators import OPERATORS_1D, OPERATORS_2D, Operator, get_operators

__all__ = [
    "BLOCK_RULES",
    "EVEN_2D",
    "ODD_2D",
    "OPERATORS_1D",
    "OPERATORS_2D",
    "CouplingFit",
    "DecimationFlow",
    "MCRGResult",
    "MKResult",
    "Operator",
    "block_configs",
    "decimate_once",
    "decimation_flow",
    "fit_couplings",
    "get_operators",
    "mcrg_exponents",
    "mk_derivative",
    "mk_fixed_point",
    "mk_flow",
    "mk_recursion",
    "try_fit_couplings",
]
