"""finite-size-scaling: verdicts reach every outcome; crossings and collapses recover known
exponents from constructed data (and reject wrong ones); a tiny run writes every output."""

import json
import math

import numpy as np
import pytest

from deeprg.experiments import VERDICTS, resolve_config, run_experiment
from deeprg.experiments.finite_size_scaling import (
    binder_crossing,
    collapse_quality,
    estimate_verdict,
    jackknife_over_seeds,
)

KC = 0.44


def _synthetic(inv_nu=1.0, g=1.75, seeds=4, noise=0.002, seed=0):
    """U4 = 0.61 + 0.05 tanh(x) and chi = L^g (1 + exp(-x)) with x = (K - KC) L^inv_nu, plus
    relative noise per seed replica."""
    rng = np.random.default_rng(seed)
    K = np.linspace(0.41, 0.47, 13)
    sizes = [8, 16, 32, 64]
    x = (K[:, None] - KC) * np.array(sizes)[None, :] ** inv_nu
    u = 0.61 + 0.05 * np.tanh(x)
    chi = np.array(sizes)[None, :] ** g * (1 + np.exp(-np.clip(x, -3, 3)))
    u4 = u[..., None] + noise * rng.standard_normal((*u.shape, seeds))
    chis = chi[..., None] * (1 + noise * rng.standard_normal((*chi.shape, seeds)))
    u4_err = np.full(u4.shape, noise)
    chi_err = chis * noise
    return K, sizes, u4, u4_err, chis, chi_err


def test_estimate_verdict_reaches_every_outcome():
    kw = {"allowance": 0.01, "resolution": 0.1}
    assert estimate_verdict(1.02, 0.01, 1.0, **kw)[0] == "supported"
    assert estimate_verdict(1.2, 0.01, 1.0, **kw)[0] == "not supported"
    assert estimate_verdict(1.02, 0.5, 1.0, **kw)[0] == "inconclusive"  # the error does not resolve
    assert estimate_verdict(float("nan"), 0.01, 1.0, **kw)[0] == "inconclusive"
    assert estimate_verdict(1.0, None, 1.0, **kw)[0] == "inconclusive"
    assert {estimate_verdict(v, e, 1.0, **kw)[0] for v, e in ((1, 0.01), (2, 0.01), (1, 1))} == set(VERDICTS)
    # an exponent from a collapse that does not collapse (quality >> 1) decides nothing
    q = {"max_quality": 3.0}
    assert estimate_verdict(1.02, 0.01, 1.0, quality=0.8, **q, **kw)[0] == "supported"
    assert estimate_verdict(1.2, 0.01, 1.0, quality=0.8, **q, **kw)[0] == "not supported"
    assert estimate_verdict(1.02, 0.01, 1.0, quality=12.0, **q, **kw)[0] == "inconclusive"
    assert estimate_verdict(1.2, 0.01, 1.0, quality=float("nan"), **q, **kw)[0] == "inconclusive"


def test_binder_crossing_of_constructed_curves():
    K = np.linspace(0.40, 0.48, 9)
    small, large = 0.6 + 1.0 * (K - 0.437), 0.6 + 4.0 * (K - 0.437)
    assert binder_crossing(K, small, large) == pytest.approx(0.437)
    assert math.isnan(binder_crossing(K, large, small))  # wrong order: + to -, no crossing
    assert math.isnan(binder_crossing(K, small, small + 0.1))  # parallel curves


def test_collapse_recovers_exponents_and_rejects_wrong_ones():
    full = jackknife_over_seeds(*_synthetic())
    err = full["errors"]
    # within 4 jackknife errors of the values the data were built with, and resolved
    assert abs(full["K_c"] - KC) < 4 * err["K_c"] and err["K_c"] < 1e-3
    assert abs(full["nu"] - 1.0) < 4 * err["nu"] and err["nu"] < 0.05
    assert abs(full["gamma_over_nu"] - 1.75) < 4 * err["gamma_over_nu"] and err["gamma_over_nu"] < 0.05
    assert full["binder_quality"] < 3 and full["chi_quality"] < 3
    kw = {"allowance": 0.05, "resolution": 0.2}
    assert estimate_verdict(full["nu"], err["nu"], 1.0, **kw)[0] == "supported"
    assert estimate_verdict(full["gamma_over_nu"], err["gamma_over_nu"], 1.75, **kw)[0] == "supported"
    # a control: data built with nu = 3/2 and gamma/nu = 1 are found to have them, so the
    # claims nu = 1 and gamma/nu = 7/4 are rejected by the same rule that accepts them above
    K, sizes, u4, u4e, chi, chie = _synthetic(inv_nu=2 / 3, g=1.0)
    full = jackknife_over_seeds(K, sizes, u4, u4e, chi, chie)
    assert full["nu"] == pytest.approx(1.5, abs=4 * full["errors"]["nu"]) and full[
        "gamma_over_nu"
    ] == pytest.approx(1.0, abs=0.03)
    assert estimate_verdict(full["nu"], full["errors"]["nu"], 1.0, **kw)[0] == "not supported"
    assert estimate_verdict(full["gamma_over_nu"], full["errors"]["gamma_over_nu"], 1.75, **kw)[0] == (
        "not supported"
    )
    # and a collapse that only works by pulling the curves apart is refused
    assert collapse_quality(
        [np.array([0.0, 1.0]), np.array([5.0, 6.0])], [np.ones(2)] * 2, [np.ones(2)] * 2
    ) == (float("inf"))


def test_jackknife_errors_come_from_the_seeds():
    quiet = jackknife_over_seeds(*_synthetic(noise=0.001, seed=1))
    noisy = jackknife_over_seeds(*_synthetic(noise=0.01, seed=1))
    for key in ("K_c", "nu", "gamma_over_nu"):
        assert 0 < quiet["errors"][key] < noisy["errors"][key], key
    assert len(quiet["crossings"]) == len(quiet["errors"]["crossings"]) == 3


def test_tiny_run_writes_claims_with_ids_and_resumes(tmp_path):
    config = resolve_config(
        "finite-size-scaling",
        "quick",
        overrides={
            "sizes": [4, 6, 8],
            "couplings": [0.40, 0.42, 0.44, 0.46, 0.48],
            "seeds": 2,
            "samples": 64,
            "chains": 2,
            "burn_in": 10,
        },
    )
    result, _ = run_experiment("finite-size-scaling", tmp_path, config)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    ids = [c["id"] for c in metrics["claims"]]
    assert ids == [
        "finite-size-scaling.binder-crossing",
        "finite-size-scaling.nu",
        "finite-size-scaling.gamma-over-nu",
    ]
    assert all(c["verdict"] in VERDICTS for c in metrics["claims"])
    assert {"nu", "gamma_over_nu", "K_c_collapse", "binder_crossing_largest_pair"} <= set(metrics["metrics"])
    assert (tmp_path / "sweep" / "index.json").exists() and result.figures
    assert "Binder" in metrics["claims"][0]["source"] and "PHYSICS" not in json.dumps(metrics)
    _, again = run_experiment("finite-size-scaling", tmp_path, config)
    assert again["reused_steps"] == ["sweep", "analysis", "analysis_without_smallest"]
    # a new config starts the sweep over in the same folder (its parameters differ)
    other = resolve_config("finite-size-scaling", "quick", overrides={**config.to_dict(), "samples": 32})
    _, third = run_experiment("finite-size-scaling", tmp_path, other)
    assert third["status"] == "finished"
    stored = json.loads((tmp_path / "sweep" / "index.json").read_text())
    assert stored["spec"]["n_samples"] == 32


@pytest.mark.parametrize(
    "overrides,key",
    [
        ({"seeds": 1}, "seeds"),
        ({"scheduler": "nowhere"}, "scheduler"),
        ({"sizes": [8, 16]}, "sizes"),
        ({"couplings": [0.4, 0.44]}, "couplings"),
    ],
)
def test_bad_configs_name_the_key(overrides, key):
    from deeprg.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        resolve_config("finite-size-scaling", "quick", overrides=overrides)
    assert info.value.key == key
