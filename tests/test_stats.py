import numpy as np
import pytest

from deeprg.errors import InputError
from deeprg.stats import (
    AutocorrError,
    binning_errors,
    correlation_function,
    integrated_time,
    jackknife,
    mean_with_error,
)


def ar1(a, n, chains, seed):
    rng = np.random.default_rng(seed)
    noise = rng.normal(size=(chains, n))
    x = np.empty((chains, n))
    x[:, 0] = noise[:, 0] / np.sqrt(1 - a * a)
    for t in range(1, n):  # test helper only; the library never loops in Python over samples
        x[:, t] = a * x[:, t - 1] + noise[:, t]
    return x


@pytest.mark.parametrize("a", [0.0, 0.5, 0.8, 0.9])
def test_integrated_time_recovers_ar1(a):
    x = ar1(a, 50_000, 4, seed=int(a * 100))
    res = integrated_time(x)
    exact = (1 + a) / (1 - a)
    assert res.reliable
    assert abs(res.tau - exact) < 4 * res.error + 0.02 * exact


def test_mean_error_accounts_for_autocorrelation():
    a = 0.9
    errs, means = [], []
    for seed in range(40):
        x = ar1(a, 5_000, 1, seed)
        m, e, _ = mean_with_error(x)
        means.append(m)
        errs.append(e)
    # the spread of the means over independent runs matches the reported error
    assert np.std(means) == pytest.approx(np.mean(errs), rel=0.25)
    naive = np.std(ar1(a, 5000, 1, 0)) / np.sqrt(5000)
    assert np.mean(errs) > 3 * naive


def test_binning_plateau_matches_tau():
    x = ar1(0.8, 2**16, 1, seed=3)
    sizes, errors = binning_errors(x)
    assert sizes[0] == 1
    tau_from_binning = (errors[-4] / errors[0]) ** 2
    assert tau_from_binning == pytest.approx(9.0, rel=0.3)


def test_jackknife_of_a_nonlinear_function():
    rng = np.random.default_rng(0)
    x = rng.normal(loc=2.0, size=40_000)
    est, err = jackknife(lambda m: m * m, x)
    assert est == pytest.approx(4.0, abs=4 * err)
    assert err == pytest.approx(2 * 2.0 / np.sqrt(x.size), rel=0.3)


def test_strict_mode_raises_with_tau():
    x = ar1(0.95, 300, 1, seed=1)
    with pytest.raises(AutocorrError) as info:
        integrated_time(x, strict=True)
    assert info.value.tau > 5


def test_bad_series():
    with pytest.raises(InputError):
        integrated_time(np.ones((2, 3, 4)))
    with pytest.raises(InputError):
        integrated_time([1.0, np.nan, 2.0])


def test_correlation_function_of_known_configurations():
    stripes = np.ones((1, 8, 8))
    stripes[:, :, 1::2] = -1  # columns alternate
    r, g = correlation_function(stripes)
    # along rows G = (-1)^r, along columns G = 1: the axis average is (1 + (-1)^r)/2
    np.testing.assert_allclose(g, (1 + (-1.0) ** r) / 2)
    rng = np.random.default_rng(0)
    noise = rng.choice([-1, 1], size=(200, 16, 16))
    r, g = correlation_function(noise)
    assert g[0] == 1.0 and np.all(np.abs(g[1:]) < 0.02)


def _ar1_fast(a, n, chains, rng):
    from scipy.signal import lfilter

    noise = rng.normal(size=(chains, n))
    noise[:, 0] /= np.sqrt(1 - a * a)
    return lfilter([1.0], [1.0, -a], noise, axis=1)


@pytest.mark.parametrize("a,n,chains", [(0.9, 200, 25), (0.95, 500, 8), (0.98, 400, 16), (0.9, 5000, 1)])
def test_errors_of_short_pooled_chains_match_the_spread_of_means(a, n, chains):
    """Many short chains (10-40 tau each): tau about the pooled mean keeps the error honest.

    Subtracting each chain's own mean instead reported errors 0.6-0.76x the true spread here.
    """
    rng = np.random.default_rng(1)
    means, errs = [], []
    for _ in range(200):
        m, e, _ = mean_with_error(_ar1_fast(a, n, chains, rng))
        means.append(m)
        errs.append(e)
    assert np.mean(errs) == pytest.approx(np.std(means), rel=0.2)


def test_pooled_reliability_needs_length_in_all_and_per_chain():
    rng = np.random.default_rng(0)
    assert integrated_time(_ar1_fast(0.9, 400, 4, rng)).reliable  # 1600 >= 50 * 19, 400 >= 10 * 19
    assert not integrated_time(_ar1_fast(0.9, 100, 40, rng)).reliable  # 100 < 10 tau per chain
    assert integrated_time(_ar1_fast(0.9, 100, 40, rng)).n_chains == 40
