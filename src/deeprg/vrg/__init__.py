"""Variational RG meets deep learning: the Kadanoff-RBM mapping computed exactly, decimation
written as an RBM, and measurements of what trained networks learned."""

from deeprg.vrg._analysis import (
    analyze_network,
    assign_to_coarse_lattice,
    layer_locality,
    locality,
    receptive_fields,
)
from deeprg.vrg._decimation import bond_rbm, decimation_operator, exact_k_prime
from deeprg.vrg._learned_map import (
    RBMBlockMap,
    field_centroids,
    learned_rbm_levels,
    place_on_coarse_lattice,
    torch_threads,
    train_rbm_map,
)
from deeprg.vrg._mapping import Defect, RGMapping, estimate_ising_mapping
from deeprg.vrg._translation import (
    center_on_torus,
    circular_centroid,
    max_cross_correlation,
    phase_randomized,
    translation_null,
    translation_score,
)

__all__ = [
    "Defect",
    "RBMBlockMap",
    "RGMapping",
    "analyze_network",
    "assign_to_coarse_lattice",
    "bond_rbm",
    "center_on_torus",
    "circular_centroid",
    "decimation_operator",
    "estimate_ising_mapping",
    "exact_k_prime",
    "field_centroids",
    "layer_locality",
    "learned_rbm_levels",
    "locality",
    "max_cross_correlation",
    "phase_randomized",
    "place_on_coarse_lattice",
    "receptive_fields",
    "torch_threads",
    "train_rbm_map",
    "translation_null",
    "translation_score",
]
