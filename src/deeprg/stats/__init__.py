"""Statistics: autocorrelation times, binning and jackknife errors, Ising observables."""

from deeprg.stats._autocorr import (
    AutocorrError,
    AutocorrResult,
    autocorrelation,
    binning_errors,
    integrated_time,
    jackknife,
    mean_with_error,
)
from deeprg.stats._observables import (
    chain_observables,
    correlation_function,
    dataset_observables,
    ising_observables,
)

__all__ = [
    "AutocorrError",
    "AutocorrResult",
    "autocorrelation",
    "binning_errors",
    "chain_observables",
    "correlation_function",
    "dataset_observables",
    "integrated_time",
    "ising_observables",
    "jackknife",
    "mean_with_error",
]
