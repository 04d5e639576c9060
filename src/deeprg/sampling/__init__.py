"""Monte Carlo sampling of Ising models: numba kernels on CPU, torch on CUDA, exact sampling."""

from deeprg.sampling._exact import ExactSampler
from deeprg.sampling._generate import AlgorithmChoice, Generated, choose_algorithm, generate_samples
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
from deeprg.sampling._startup import preload_blas

preload_blas()  # before any kernel loads: numba's BLAS check would import all of scipy.linalg

# The torch backend is imported on first use, so that CPU sampling never pays torch's start-up.
_LAZY = {"TorchIsingSampler", "TorchSamplerState", "cuda_available"}


def __getattr__(name):
    if name in _LAZY:
        from deeprg.sampling import _torch_backend

        return getattr(_torch_backend, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "RULES",
    "AlgorithmChoice",
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
    "choose_algorithm",
    "cuda_available",
    "generate_samples",
    "get_rule",
    "metropolis_acceptance",
]
