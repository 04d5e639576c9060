"""Monte Carlo sampling of Ising models: numba kernels on CPU, torch on CUDA, exact sampling."""

from deeprg.sampling._generate import Generated, generate_samples
from deeprg.sampling._rules import RULES, HeatBath, Metropolis, SwendsenWang, UpdateRule, Wolff, get_rule
from deeprg.sampling._sampler import IsingSampler, SamplerState, Trace
from deeprg.sampling._torch_backend import TorchIsingSampler, TorchSamplerState, cuda_available

__all__ = [
    "RULES",
    "Generated",
    "HeatBath",
    "IsingSampler",
    "Metropolis",
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
]
