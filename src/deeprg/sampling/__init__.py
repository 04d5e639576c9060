"""Monte Carlo sampling of Ising models: numba kernels on CPU, torch on CUDA, exact sampling."""

from deeprg.sampling._exact import ExactSampler
from deeprg.sampling._generate import Generated, generate_samples
from deeprg.sampling._rules import (
    RULES,
    HeatBath,
    Metropolis,
    MultiSpinMetropolis,
    SwendsenWang,
    UpdateRule,
    Wolff,
    get_rule,
    metropolis_acceptance,
)
from deeprg.sampling._sampler import IsingSampler, SamplerState, Trace
from deeprg.sampling._torch_backend import TorchIsingSampler, TorchSamplerState, cuda_available

__all__ = [
    "RULES",
    "ExactSampler",
    "Generated",
    "HeatBath",
    "IsingSampler",
    "Metropolis",
    "MultiSpinMetropolis",
    "SamplerState",
    "SwendsenWang",
    "TorchIsingSampler",
    "TorchSamplerState",
    "Trace",
    "UpdateRule",
    "Wolff",
    "cuda_available",
    "generate_samples",
    "get_rule",
    "metropolis_acceptance",
]
