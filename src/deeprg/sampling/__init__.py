"""Monte Carlo sampling of Ising models: numba kernels on CPU, torch on CUDA, exact sampling."""

from deeprg.sampling._generate import Generated, generate_samples
from deeprg.sampling._rules import RULES, HeatBath, Metropolis, SwendsenWang, UpdateRule, Wolff, get_rule
from deeprg.sampling._sampler import IsingSampler, SamplerState, Trace

__all__ = [
    "RULES",
    "Generated",
    "HeatBath",
    "IsingSampler",
    "Metropolis",
    "SamplerState",
    "SwendsenWang",
    "Trace",
    "UpdateRule",
    "Wolff",
    "generate_samples",
    "get_rule",
]
