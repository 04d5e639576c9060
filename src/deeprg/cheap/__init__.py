"""Cheap learning: the Lin-Tegmark constructions as runnable, measurable torch modules."""

from deeprg.cheap._bayes import GaussianSoftmaxClassifier
from deeprg.cheap._depth import ShallowProduct, deep_product, flattening_costs, train_product_mlp
from deeprg.cheap._gates import (
    ACTIVATIONS,
    BinaryProductGate,
    MultiplicationGate,
    activation_derivative,
    binary_gate_error,
    error_slope,
    multiplication_error,
)
from deeprg.cheap._gaussian import block_average_kernel, fourier_rg_flow, fourier_rg_step, lattice_kernel
from deeprg.cheap._information import (
    hierarchy_informations,
    mutual_information,
    repetition_channel,
    statistic_information,
)
from deeprg.cheap._polynomial import (
    CompiledPolynomial,
    compile_polynomial,
    count_monomials,
    evaluate_polynomial,
    markov_network_neuron_bound,
    parse_polynomial,
)

__all__ = [
    "ACTIVATIONS",
    "BinaryProductGate",
    "CompiledPolynomial",
    "GaussianSoftmaxClassifier",
    "MultiplicationGate",
    "ShallowProduct",
    "activation_derivative",
    "binary_gate_error",
    "block_average_kernel",
    "compile_polynomial",
    "count_monomials",
    "deep_product",
    "error_slope",
    "evaluate_polynomial",
    "flattening_costs",
    "fourier_rg_flow",
    "fourier_rg_step",
    "hierarchy_informations",
    "lattice_kernel",
    "markov_network_neuron_bound",
    "multiplication_error",
    "mutual_information",
    "parse_polynomial",
    "repetition_channel",
    "statistic_information",
    "train_product_mlp",
]
