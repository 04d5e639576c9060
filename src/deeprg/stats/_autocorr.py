"""Autocorrelation times and error bars for correlated Monte Carlo time series.

Convention: tau = 1 + 2 sum_{t>=1} rho(t), the variance inflation factor, so that the error of a
mean of N correlated samples is sigma * sqrt(tau / N) and N / tau samples are independent.
(Sokal's tau_int = 1/2 + sum rho(t) is tau / 2.) For an AR(1) chain x_t = a x_{t-1} + noise,
tau = (1 + a)/(1 - a) exactly.

The sum is truncated with Sokal's automatic window: the smallest W with W >= c * tau(W)
(Sokal 1997, "Monte Carlo methods in statistical mechanics", sec. 3; c = 5 by default).

Several chains are pooled: the autocovariance is taken about the mean of all chains together,
not each chain's own mean. Subtracting a chain's own mean removes the part of its fluctuation
that is slower than the chain is long, which biases tau low by O(tau / n) per chain: with 25
chains of 40 samples at tau ~ 3 samples this made error bars 1.26x too small. About the
pooled mean the bias is O(tau / (n n_chains)) (Gelman & Rubin 1992 pool chains the same way).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deeprg.errors import DeepRGError, InputError


class AutocorrError(DeepRGError):
    """The series is too short for a reliable autocorrelation time (N < min_factor * tau).

    Attributes:
        tau: the (unreliable) estimate. n: series length per chain.
    """

    def __init__(self, message: str, *, tau: float, n: int):
        super().__init__(message)
        self.tau = tau
        self.n = n


@dataclass(frozen=True)
class AutocorrResult:
    """tau (variance inflation), its error, the window W, the length n per chain, the number
    of chains, and whether the estimate is reliable (see :func:`integrated_time`)."""

    tau: float
    error: float
    window: int
    n: int
    reliable: bool
    n_chains: int = 1


def _as_chains(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise InputError(f"time series must have shape (n,) or (n_chains, n), got {x.shape}")
    if x.shape[1] < 2:
        raise InputError(f"need at least 2 samples per chain, got {x.shape[1]}")
    if not np.all(np.isfinite(x)):
        raise InputError("time series contains nan or inf")
    return x


def autocorrelation(x) -> np.ndarray:
    """Normalised autocorrelation rho(t), averaged over chains; float64 (n,).

    Computed by FFT with zero padding, about the pooled mean of all chains (see the module
    docstring).
    """
    x = _as_chains(x)
    n = x.shape[1]
    size = 1 << int(2 * n - 1).bit_length()
    d = x - x.mean()
    f = np.fft.rfft(d, n=size, axis=1)
    acov = np.fft.irfft(f * np.conj(f), n=size, axis=1)[:, :n].mean(axis=0)
    if acov[0] <= 0:
        return np.concatenate([[1.0], np.zeros(n - 1)])  # a constant series
    return acov / acov[0]


def integrated_time(x, *, c: float = 5.0, min_factor: float = 50.0, strict: bool = False) -> AutocorrResult:
    """Integrated autocorrelation time with Sokal's automatic window.

    Args:
        x: float array (n,) or (n_chains, n).
        c: window constant (W >= c tau).
        min_factor: the estimate is reliable when all chains together hold
            n_chains * n >= min_factor * tau samples (the estimator's variance is set by the
            total length, Sokal 1997 eq. 3.19) and each chain holds n >= 2 c tau (the window
            fits twice into every chain). For one chain this is Sokal's n >= min_factor * tau.
        strict: raise :class:`AutocorrError` instead of flagging an unreliable estimate.
    """
    x = _as_chains(x)
    n = x.shape[1]
    rho = autocorrelation(x)
    taus = 2.0 * np.cumsum(rho) - 1.0  # tau(W) = 1 + 2 sum_{t=1}^{W} rho(t)
    window = np.arange(len(taus))
    ok = window >= c * taus
    w = int(np.argmax(ok)) if np.any(ok) else len(taus) - 1
    tau = max(float(taus[w]), 1e-12)
    error = tau * np.sqrt(2.0 * (2 * w + 1) / (n * x.shape[0]))
    n_chains = x.shape[0]
    reliable = n * n_chains >= min_factor * tau and n >= 2 * c * tau
    if strict and not reliable:
        raise AutocorrError(
            f"{n_chains} chain(s) of {n} samples are too short for tau = {tau:.3g}: need "
            f"{min_factor:g} tau = {min_factor * tau:.0f} samples in all and {2 * c:g} tau per chain; "
            "run longer or thin less",
            tau=tau,
            n=n,
        )
    return AutocorrResult(tau, float(error), w, n, bool(reliable), n_chains)


def mean_with_error(x, *, c: float = 5.0) -> tuple[float, float, float]:
    """Mean of a correlated series (n,) or (n_chains, n), its error, and tau.

    The error is sigma sqrt(tau / N) with tau from :func:`integrated_time`. When that tau is
    not reliable (series shorter than ~50 tau) it is most likely too small, so the error is
    the largest of three estimates: the tau error, the plateau-free maximum of the binning
    errors (Flyvbjerg & Petersen 1989) and, with >= 4 chains, the scatter of the chain means,
    std(chain means) / sqrt(n_chains), which is unbiased for independent chains whatever tau
    is. Reliable estimates are returned unchanged.
    """
    x = _as_chains(x)
    res = integrated_time(x, c=c)
    tau = res.tau
    var = x.var(ddof=1) if x.size > 1 else 0.0
    error = float(np.sqrt(var * max(tau, 1.0) / x.size))
    if not res.reliable:
        error = max(error, _fallback_error(x))
    return float(x.mean()), error, tau


def _fallback_error(x: np.ndarray) -> float:
    """The larger of the binning error's maximum and the between-chain error (>= 4 chains)."""
    out = 0.0
    _, errors = binning_errors(x) if x.size >= 32 else (None, np.zeros(0))
    if errors.size:
        out = float(errors.max())
    if x.shape[0] >= 4:
        out = max(out, float(x.mean(axis=1).std(ddof=1) / np.sqrt(x.shape[0])))
    return out


def binning_errors(x) -> tuple[np.ndarray, np.ndarray]:
    """Error of the mean from bins of 1, 2, 4, ... samples (Flyvbjerg & Petersen 1989).

    Returns:
        (bin sizes int64 (k,), errors float64 (k,)) for levels with at least 32 bins in all.
        The plateau of the errors is the honest error; its ratio to the first entry squared
        estimates tau.
    """
    x = _as_chains(x)
    sizes, errors = [], []
    size = 1
    while x.shape[1] // size >= 1 and x.shape[0] * (x.shape[1] // size) >= 32:
        m = x.shape[1] // size
        b = x[:, : m * size].reshape(x.shape[0], m, size).mean(axis=2).ravel()
        sizes.append(size)
        errors.append(b.std(ddof=1) / np.sqrt(b.size))
        size *= 2
    return np.array(sizes, dtype=np.int64), np.array(errors)


def jackknife(func, *series, n_blocks: int = 40):
    """Blocked jackknife estimate and error of ``func(*means)`` of correlated series.

    Each series is (n,) or (n_chains, n) with a common shape; ``func`` receives the block-
    excluded means of every series (floats) and returns a float. Each chain is cut into
    contiguous blocks (about ``n_blocks`` in total); blocks much longer than tau make the
    error honest for correlated data.

    Returns:
        (estimate, error): the bias-corrected jackknife estimate and its standard error.
    """
    arrays = [_as_chains(s) for s in series]
    shape = arrays[0].shape
    if any(a.shape != shape for a in arrays):
        raise InputError("jackknife series must share one shape")
    n_chains, n = shape
    per_chain = max(1, min(n, -(-n_blocks // n_chains)))
    length = n // per_chain
    blocks = [a[:, : per_chain * length].reshape(n_chains * per_chain, length).mean(axis=1) for a in arrays]
    k = blocks[0].size
    full = float(func(*[b.mean() for b in blocks]))
    if k < 2:
        return full, float("nan")
    totals = [b.sum() for b in blocks]
    loo = np.array(
        [func(*[(t - b[i]) / (k - 1) for t, b in zip(totals, blocks, strict=True)]) for i in range(k)]
    )
    mean_loo = loo.mean()
    estimate = k * full - (k - 1) * mean_loo
    error = np.sqrt((k - 1) / k * np.sum((loo - mean_loo) ** 2))
    return float(estimate), float(error)
