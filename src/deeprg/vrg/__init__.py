"""Variational RG meets deep learning: the Kadanoff-RBM mapping computed exactly, decimation
written as an RBM, and measurements of what trained networks learned (receptive-field
locality against per-field nulls, KL per spin, model chains, an Ising control on random
graphs)."""

from deeprg.vrg._analysis import (
    analyze_network,
    assign_to_coarse_lattice,
    layer_locality,
    locality,
    receptive_fields,
)
from deeprg.vrg._chains import cross_entropy_per_unit, kl_per_spin, model_correlations, r_hat
from deeprg.vrg._decimation import bond_rbm, decimation_operator, exact_k_prime
from deeprg.vrg._graph import (
    bethe_critical_coupling,
    graph_distances,
    graph_edges,
    graph_ising_energy,
    random_regular_graph,
    sample_graph_ising,
)
from deeprg.vrg._hidden_couplings import exact_hidden_lattice_couplings, hidden_marginal_samples
from deeprg.vrg._learned_map import (
    LocalRBMMap,
    RBMBlockMap,
    field_centroids,
    learned_rbm_levels,
    place_on_coarse_lattice,
    torch_threads,
    train_local_rbm_map,
    train_rbm_map,
)
from deeprg.vrg._locality import (
    bootstrap_mean,
    core_radius,
    covariance_fields,
    dead_units,
    effective_radius,
    graph_radius,
    layer_locality_metrics,
    locality_index,
    participation_ratio,
    seed_difference,
    seed_interval,
    window_share,
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
    "LocalRBMMap",
    "RBMBlockMap",
    "RGMapping",
    "analyze_network",
    "assign_to_coarse_lattice",
    "bethe_critical_coupling",
    "bond_rbm",
    "bootstrap_mean",
    "center_on_torus",
    "circular_centroid",
    "core_radius",
    "covariance_fields",
    "cross_entropy_per_unit",
    "dead_units",
    "decimation_operator",
    "effective_radius",
    "estimate_ising_mapping",
    "exact_hidden_lattice_couplings",
    "exact_k_prime",
    "field_centroids",
    "graph_distances",
    "graph_edges",
    "graph_ising_energy",
    "graph_radius",
    "hidden_marginal_samples",
    "kl_per_spin",
    "layer_locality",
    "layer_locality_metrics",
    "learned_rbm_levels",
    "locality",
    "locality_index",
    "max_cross_correlation",
    "model_correlations",
    "participation_ratio",
    "phase_randomized",
    "place_on_coarse_lattice",
    "r_hat",
    "random_regular_graph",
    "receptive_fields",
    "sample_graph_ising",
    "seed_difference",
    "seed_interval",
    "torch_threads",
    "train_local_rbm_map",
    "train_rbm_map",
    "translation_null",
    "translation_score",
    "window_share",
]
