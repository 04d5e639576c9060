"""Every verdict rule of the hopfield and convolution experiments reaches every outcome."""

import math

import numpy as np
import pytest

from deeprg.errors import ConfigError
from deeprg.experiments import resolve_config
from deeprg.experiments.convolution import verdict_translation, verdict_weight_sharing
from deeprg.experiments.hopfield import (
    verdict_capacity,
    verdict_equivalence,
    verdict_overlap,
    verdict_rbm,
    verdict_spurious,
)


def _outcomes(results):
    return {v for v, _ in results}


ALL = {"supported", "not supported", "inconclusive"}


def test_capacity_verdict():
    assert (
        _outcomes(
            [
                verdict_capacity(0.140, 0.003, 4),
                verdict_capacity(0.17, 0.003, 4),
                verdict_capacity(0.14, 0.003, 2),
                verdict_capacity(0.14, 0.05, 4),
            ]
        )
        == ALL
    )
    assert verdict_capacity(np.nan, np.nan, 5)[0] == "inconclusive"
    assert verdict_capacity(0.140, 0.003, 4, control_separates=False)[0] == "inconclusive"


def test_overlap_verdict():
    assert (
        _outcomes(
            [
                verdict_overlap(0.97, 0.003, 30),
                verdict_overlap(0.90, 0.003, 30),
                verdict_overlap(0.97, 0.003, 2),
            ]
        )
        == ALL
    )
    # an error too large to resolve the overlap (was 'supported' through 2 sigma + 0.01)
    assert verdict_overlap(0.90, 0.1, 30)[0] == "inconclusive"
    assert verdict_overlap(0.97, np.nan, 30)[0] == "inconclusive"


def test_spurious_verdict():
    assert (
        _outcomes(
            [
                verdict_spurious(0.3, -0.37, -0.37, 0.9, 300),
                verdict_spurious(0.0, np.nan, -0.37, 0.9, 300),  # no mixtures found
                verdict_spurious(0.3, -0.30, -0.37, 0.9, 300),  # wrong energy
                verdict_spurious(0.3, -0.37, -0.37, 0.9, 10),
            ]
        )
        == ALL
    )
    assert verdict_spurious(0.3, -0.37, -0.37, 0.1, 300)[0] == "not supported"


def test_rbm_verdict():
    stored = [1, 1, 1]
    e = [0.01, 0.01, 0.01]
    assert verdict_rbm([0.3, 0.4, 0.5], [0.05, 0.1, 0.1], e, stored)[0] == "supported"
    assert verdict_rbm([0.3, 0.4, 0.5], [0.6, 0.7, 0.8], e, stored)[0] == "not supported"
    assert verdict_rbm([0.3, 0.4, 0.5], [0.3, 0.4, 0.5], e, stored)[0] == "not supported"  # no better
    assert verdict_rbm([0.3, 0.4, 0.5], [0.05, 0.7, 0.5], e, stored)[0] == "inconclusive"  # mixed
    assert (
        verdict_rbm([0.3, 0.4, 0.5], [0.05, 0.1, 0.1], e, [0.2, 0.5, 1.0])[0] == "inconclusive"
    )  # not stored
    # no spurious memories in the Hopfield network to avoid (was 'not supported')
    assert verdict_rbm([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], e, stored)[0] == "inconclusive"
    # errors too large to see the Hopfield network's spurious rate (was 'not supported')
    assert verdict_rbm([0.3, 0.4, 0.5], [0.1, 0.2, 0.3], [0.3] * 3, stored)[0] == "inconclusive"


def test_equivalence_verdict():
    assert (
        _outcomes([verdict_equivalence(1e-14), verdict_equivalence(1e-3), verdict_equivalence(np.nan)]) == ALL
    )


def test_translation_verdict():
    assert verdict_translation(0.3, 0.02, 0.0, 0.01, 20)[0] == "supported"
    assert verdict_translation(0.0, 0.01, 0.0, 0.01, 20)[0] == "not supported"
    assert verdict_translation(0.3, 0.02, 0.3, 0.01, 20)[0] == "inconclusive"  # control confounded
    assert verdict_translation(0.3, 0.02, 0.0, 0.01, 2)[0] == "inconclusive"  # too few fields
    assert verdict_translation(0.06, 0.01, 0.0, 0.01, 20)[0] == "inconclusive"  # within errors


def test_weight_sharing_verdict():
    assert verdict_weight_sharing(0.001, 0.002, -0.1, 0.01)[0] == "supported"
    assert verdict_weight_sharing(-0.1, 0.002, -0.1, 0.01)[0] == "not supported"
    assert verdict_weight_sharing(0.001, 0.002, 0.0, 0.01)[0] == "inconclusive"  # control cannot say no
    assert verdict_weight_sharing(np.nan, 0.002, -0.1, 0.01)[0] == "inconclusive"
    assert verdict_weight_sharing(0.001, 0.002, -0.1, 0.01, max_control_loss=0.001)[0] == "inconclusive"
    # a large seed error: no detected loss is not evidence of no loss (was 'supported')
    assert verdict_weight_sharing(0.0, 0.05, -0.1, 0.01)[0] == "inconclusive"
    assert verdict_weight_sharing(-0.004, 0.002, -0.1, 0.01)[0] == "inconclusive"  # straddles -tol


def test_symmetrization_gap_is_zero_without_permutation():
    from deeprg.experiments.convolution import symmetrization_gap

    assert abs(symmetrization_gap(3, 0.44, np.arange(9))) < 1e-12
    gap = symmetrization_gap(3, 0.44, np.array([4, 0, 8, 2, 6, 1, 7, 3, 5]))
    assert gap > 1e-3


@pytest.mark.parametrize(
    "name,overrides,key",
    [
        ("hopfield", {"pattern_sets": 1}, "pattern_sets"),
        ("hopfield", {"rbm_alphas": [0.01]}, "rbm_alphas"),
        ("convolution", {"ll_L": 6}, "ll_L"),
        ("convolution", {"seeds": 1}, "seeds"),
    ],
)
def test_configs_validate(name, overrides, key):
    with pytest.raises(ConfigError) as err:
        resolve_config(name, "quick", overrides=overrides)
    assert err.value.key == key
    assert resolve_config(name, "paper").preset == "paper"


def test_overlap_error_is_over_pattern_sets():
    """Trials of one network are not independent: the error of the retrieval overlap comes from
    the spread between pattern sets (one network each), not from the trials pooled."""
    from deeprg.experiments.hopfield import _cluster_error

    # two networks, each with 50 identical trials: pooled trials would give an error ~0.001
    r = np.array([[0.95] * 50, [0.99] * 50])
    e = _cluster_error(r)
    assert e == pytest.approx(0.02, rel=1e-9)  # the standard error of the two set means
    # independent trials in every set: the cluster error agrees with the naive one
    rng = np.random.default_rng(0)
    r = rng.normal(0.97, 0.01, size=(40, 25))
    naive = r.std(ddof=1) / math.sqrt(r.size)
    assert 0.7 < _cluster_error(r) / naive < 1.3
    # NaN (non-retrieving) trials are left out; one set with trials is not enough
    assert _cluster_error(np.array([[0.9, np.nan], [np.nan, np.nan]])) is None
