"""Receptive-field locality against per-field nulls, the random-graph Ising control, KL per
spin and model chains, and the mehta-schwab verdicts reaching every outcome."""

import numpy as np
import pytest
import torch
from scipy import stats

from deeprg.experiments import mehta_schwab as ms
from deeprg.nn import RBM
from deeprg.vrg import (
    bootstrap_mean,
    core_radius,
    covariance_fields,
    cross_entropy_per_unit,
    effective_radius,
    graph_distances,
    graph_edges,
    graph_ising_energy,
    graph_radius,
    kl_per_spin,
    layer_locality_metrics,
    model_correlations,
    participation_ratio,
    r_hat,
    random_regular_graph,
    sample_graph_ising,
    window_share,
)

L = 12


def _blob_fields(n_units, width=1.0, seed=0, noise=0.02):
    """Gaussian blobs at random centres on the L x L torus (+ small noise)."""
    rng = np.random.default_rng(seed)
    rr, cc = np.indices((L, L))
    out = np.empty((L * L, n_units))
    for j in range(n_units):
        r0, c0 = rng.integers(0, L, 2)
        dr = np.minimum(np.abs(rr - r0), L - np.abs(rr - r0))
        dc = np.minimum(np.abs(cc - c0), L - np.abs(cc - c0))
        out[:, j] = (np.exp(-(dr**2 + dc**2) / (2 * width**2)) + noise * rng.normal(size=(L, L))).ravel()
    return out


def _random_fields(n_units, seed=0):
    return np.random.default_rng(seed).normal(size=(L * L, n_units))


def _smooth_fields(n_units, seed=0):
    """Global Fourier modes (delocalised, smooth)."""
    rng = np.random.default_rng(seed)
    rr, cc = np.indices((L, L))
    out = np.empty((L * L, n_units))
    for j in range(n_units):
        kx, ky = rng.integers(1, 3, 2)
        out[:, j] = np.cos(2 * np.pi * (kx * rr + ky * cc) / L + rng.uniform(0, 2 * np.pi)).ravel()
    return out


def _ell(fields, seed=0):
    return layer_locality_metrics(fields, (L, L), n_null=4, seed=seed)["mean_ell"]


def test_radius_pr_and_window_on_hand_made_fields():
    one = np.zeros(L * L)
    one[5 * L + 7] = 1.0
    r, c = effective_radius(one[:, None], (L, L))
    assert r[0] == pytest.approx(0.0, abs=1e-12) and tuple(c[0]) == pytest.approx((5.0, 7.0))
    corner = np.zeros((L, L))  # a 2x2 block straddling both boundaries: radius sqrt(1/2)
    corner[[0, 0, L - 1, L - 1], [0, L - 1, 0, L - 1]] = 1.0
    assert effective_radius(corner.reshape(-1, 1), (L, L))[0][0] == pytest.approx(np.sqrt(0.5))
    assert window_share(corner.reshape(-1, 1), (L, L), 2)[0] == pytest.approx(1.0)
    flat = np.ones((L * L, 1))
    assert participation_ratio(flat)[0] == pytest.approx(1.0)
    assert participation_ratio(one[:, None])[0] == pytest.approx(1.0 / (L * L))


def test_locality_index_separates_local_random_and_smooth_fields():
    local, rand, smooth = _ell(_blob_fields(16)), _ell(_random_fields(16)), _ell(_smooth_fields(16))
    assert local > 0.6
    assert abs(rand) < 0.05  # the shuffled null is the null of a random field
    assert smooth < 0.2
    # sparse fields on scattered sites (what L1 alone could make) are not local
    sparse = np.zeros((L * L, 16))
    rng = np.random.default_rng(5)
    for j in range(16):
        sparse[rng.choice(L * L, 4, replace=False), j] = rng.normal(size=4)
    assert abs(_ell(sparse)) < 0.15
    # PR does not see geometry: unchanged by the shuffle
    f = _blob_fields(4)
    perm = np.random.default_rng(1).permutation(L * L)
    np.testing.assert_allclose(participation_ratio(f), participation_ratio(f[perm]))


def test_dead_units_are_excluded_and_counted():
    f = _blob_fields(8)
    f[:, :3] *= 0.01
    m = layer_locality_metrics(f, (L, L), n_null=2)
    assert m["n_dead"] == 3 and m["n_live"] == 5 and len(m["r_eff"]) == 5


def test_graph_radius_and_random_regular_graph():
    nbr = random_regular_graph(60, 4, seed=3)
    assert nbr.shape == (60, 4)
    assert all(len(set(row)) == 4 and i not in row for i, row in enumerate(nbr.tolist()))
    assert sorted(np.bincount(nbr.ravel())) == [4] * 60  # regular and symmetric
    for i, row in enumerate(nbr.tolist()):
        for j in row:
            assert i in nbr[j]
    D = graph_distances(nbr)
    f = np.zeros((60, 1))
    f[0] = 1.0
    f[nbr[0]] = 0.5
    assert graph_radius(f, D)[0] <= 1.0
    m = layer_locality_metrics(f, None, distances=D, n_null=8)
    assert m["mean_ell_graph"] > 0.3


def test_graph_ising_sampler_matches_exact_enumeration():
    """Chi-square of the energy histogram against enumeration on a 10-node 3-regular graph."""
    nbr = random_regular_graph(10, 3, seed=1)
    K = 0.4
    states = np.array([[1 - 2 * ((i >> k) & 1) for k in range(10)] for i in range(1 << 10)])
    e = graph_ising_energy(states, nbr, K)
    p = np.exp(-e - np.max(-e))
    p /= p.sum()
    levels, inv = np.unique(np.round(e, 9), return_inverse=True)
    expected = np.bincount(inv, weights=p)
    p_values = []
    for seed in range(3):
        s = sample_graph_ising(nbr, K, 4000, n_chains=4, sweeps=2, seed=seed)
        obs = np.bincount(
            np.searchsorted(levels, np.round(graph_ising_energy(s, nbr, K), 9)), minlength=levels.size
        )
        keep = expected * s.shape[0] >= 5
        o = np.append(obs[keep], obs[~keep].sum())
        x = np.append(expected[keep], expected[~keep].sum()) * s.shape[0]
        p_values.append(stats.chisquare(o[x > 0], x[x > 0]).pvalue)
    assert stats.combine_pvalues(p_values).pvalue > 1e-3
    assert graph_edges(nbr).shape == (15, 2)


def test_covariance_fields_and_bootstrap():
    rng = np.random.default_rng(0)
    v = rng.choice([-1.0, 1.0], size=(4000, 5))
    h = v[:, [2]] + 0.1 * rng.normal(size=(4000, 1))
    c = covariance_fields(v, h)[:, 0]
    assert c[2] == pytest.approx(1.0, abs=0.05) and np.all(np.abs(np.delete(c, 2)) < 0.06)
    b = bootstrap_mean([1.0, 2.0, 3.0])
    assert b["mean"] == 2.0 and b["low"] < 2.0 < b["high"]


def _ells(maker, n_seeds=3):
    return [_ell(maker(16, seed=s), seed=s) for s in range(n_seeds)]


def test_verdicts_reach_every_outcome_from_hand_made_fields():
    local, rand, smooth = _ells(_blob_fields), _ells(_random_fields), _ells(_smooth_fields)
    # locality
    assert ms.verdict_locality(local, rand)[0] == "supported"
    assert ms.verdict_locality(rand, rand)[0] == "not supported"
    assert ms.verdict_locality(smooth, rand)[0] == "not supported"
    assert ms.verdict_locality(local[:1], rand)[0] == "inconclusive"  # one seed: no error bar
    assert ms.verdict_locality(local, local)[0] == "inconclusive"  # a biased metric
    assert ms.verdict_locality([0.0, 0.2, 0.6], rand)[0] == "inconclusive"  # straddles 0.3
    assert ms.verdict_locality([-0.2, 0.5, 0.8], rand)[0] == "inconclusive"  # interval includes 0
    # needs_l1
    assert ms.verdict_needs_l1({0.0: rand, 3e-3: local}, rand[::-1])[0] == "supported"
    assert ms.verdict_needs_l1({0.0: local, 3e-3: local})[0] == "not supported"
    assert ms.verdict_needs_l1({0.0: rand, 3e-3: smooth})[0] == "inconclusive"
    # needs_correlations
    assert ms.verdict_needs_correlations(local, rand, smooth, local)[0] == "supported"
    assert ms.verdict_needs_correlations(local, local, rand, local)[0] == "not supported"
    assert ms.verdict_needs_correlations(rand, rand, rand, local)[0] == "inconclusive"
    # the positive control must be able to say no: random-graph fields not local in graph distance
    assert ms.verdict_needs_correlations(local, rand, smooth, rand)[0] == "inconclusive"
    assert ms.verdict_needs_correlations(local, rand, smooth, None)[0] == "inconclusive"
    # growth with depth: radii of hand-made layer-2 fields (wider blobs) and re-wired sums
    r = lambda fields: float(np.nanmean(effective_radius(fields, (L, L))[0]))  # noqa: E731
    r1 = [r(_blob_fields(16, 1.0, s)) for s in range(3)]
    r2 = [r(_blob_fields(16, 2.0, s)) for s in range(3)]
    rew = [r(_blob_fields(16, 1.0, s) @ np.random.default_rng(s).normal(size=(16, 16))) for s in range(3)]
    assert ms.verdict_growth(r1, r2, rew, local)[0] == "supported"
    assert ms.verdict_growth(r1, r1, rew, local)[0] == "not supported"  # no growth
    assert ms.verdict_growth(r1, rew, r2, local)[0] == "not supported"  # worse than re-wiring
    assert ms.verdict_growth(r1, r2, rew, rand)[0] == "inconclusive"
    # size tracks the correlation length
    assert ms.verdict_size([7.5, 1.6], [r2, r1], [local, local])[0] == "supported"
    assert ms.verdict_size([7.5, 1.6], [r1, r2], [local, local])[0] == "not supported"
    assert ms.verdict_size([7.5, 1.6], [r2, r1], [smooth, local])[0] == "inconclusive"
    assert ms.verdict_size([7.5, 1.6, 0.9], [r2, r1, r2], [local, local, rand])[0] == "supported"
    assert ms.verdict_size([7.5], [r2], [local])[0] == "inconclusive"
    # exact RG step and correlations
    assert ms.verdict_exact_rg(0.001, 0.004)[0] == "supported"
    assert ms.verdict_exact_rg(0.05, 0.06)[0] == "not supported"
    assert ms.verdict_exact_rg(0.005, 0.02)[0] == "inconclusive"
    assert ms.verdict_correlations(0.01, True)[0] == "supported"
    assert ms.verdict_correlations(0.2, True)[0] == "not supported"
    assert ms.verdict_correlations(0.01, False)[0] == "inconclusive"


def _with_dead_units(rbm, k):
    big = RBM(rbm.n_visible, rbm.n_hidden + k, visible=rbm.visible, hidden=rbm.hidden, dtype=torch.float64)
    with torch.no_grad():
        big.W.zero_()
        big.W[:, : rbm.n_hidden] = rbm.W
        big.vbias.copy_(rbm.vbias)
        big.hbias.zero_()
        big.hbias[: rbm.n_hidden] = rbm.hbias
    return big


def test_kl_and_cross_entropy_are_unchanged_by_zero_weight_hidden_units():
    from deeprg.lattice import SquareLattice
    from deeprg.sampling import ExactSampler

    K = 0.35
    rbm = RBM(16, 6, dtype=torch.float64, seed=2, weight_std=0.5)
    configs = ExactSampler(SquareLattice(4), K=K).sample(3000, seed=1)
    a = kl_per_spin(rbm, configs, K)
    b = kl_per_spin(_with_dead_units(rbm, 5), configs, K)  # exact ln Z: identical
    assert a["kl_per_spin"] == pytest.approx(b["kl_per_spin"], abs=1e-10) and a["kl_per_spin"] > 0
    x = (configs.reshape(len(configs), -1) + 1) / 2
    ca, cb = cross_entropy_per_unit(rbm, x), cross_entropy_per_unit(_with_dead_units(rbm, 5), x)
    assert ca["value"] == pytest.approx(cb["value"], abs=1e-10)
    # the free energy per unit is not invariant: it shifts by -5 ln 2 / n_visible
    with torch.no_grad():
        shift = _with_dead_units(rbm, 5).free_energy(x).mean() - rbm.free_energy(x).mean()
    assert float(shift) == pytest.approx(-5 * np.log(2), abs=1e-10)


def test_kl_bracket_with_ais_contains_the_exact_value_and_ignores_zero_weight_units():
    from deeprg.lattice import SquareLattice
    from deeprg.sampling import ExactSampler

    K = 0.3
    configs = ExactSampler(SquareLattice(4), K=K).sample(2000, seed=2)
    rbm = RBM(16, 6, dtype=torch.float64, seed=4, weight_std=0.3)
    x = (configs.reshape(len(configs), -1) + 1) / 2
    samples = rbm.gibbs(torch.as_tensor(x[:64]), 100, torch.Generator().manual_seed(0))
    exact = kl_per_spin(rbm, configs, K)["kl_per_spin"]
    kw = dict(model_samples=samples, ais_runs=32, ais_betas=200, exact_max_units=0)
    a = kl_per_spin(rbm, configs, K, **kw)
    b = kl_per_spin(_with_dead_units(rbm, 8), configs, K, **kw)
    for r in (a, b):
        assert r["low"] - 0.005 <= exact <= r["high"] + 0.005
    assert abs(a["kl_per_spin"] - b["kl_per_spin"]) < 0.005


def test_model_chains_mix_for_an_independent_model_and_r_hat_sees_separation():
    rbm = RBM(64, 8, dtype=torch.float64, seed=0, weight_std=0.0)
    data = np.random.default_rng(0).integers(0, 2, size=(200, 64)).astype(float)
    out = model_correlations(rbm, data, 8, n_chains=16, steps=40, record_every=4)
    assert out["mixed"] and max(abs(g) for g in out["G_from_random"][1:]) < 0.05
    sep = np.vstack([np.zeros((4, 20)), np.ones((4, 20))]) + 0.01 * np.random.default_rng(1).normal(
        size=(8, 20)
    )
    assert r_hat(sep) > 5


def test_correlation_length_and_graph_coupling():
    assert ms.correlation_length(0.408) == pytest.approx(7.46, abs=0.05)
    assert ms.correlation_length(0.6) == pytest.approx(0.865, abs=0.01)
    assert ms.correlation_length(ms.K_CRITICAL) == np.inf
    assert ms.graph_coupling(ms.K_CRITICAL, 4) == pytest.approx(np.arctanh(1 / 3))


def test_presets_are_valid_and_paper_is_faithful():
    from deeprg.experiments import resolve_config

    paper = resolve_config("mehta-schwab", "paper")
    assert (paper.L, paper.samples, paper.layers, paper.epochs, paper.lr) == (
        40,
        20000,
        (1600, 400, 100, 25),
        200,
        0.1,
    )
    assert (paper.method, paper.momentum, paper.final_momentum, paper.momentum_switch) == ("cd", 0.5, 0.9, 5)
    assert paper.l1_main == 2e-4 and paper.n_seeds >= 5 and paper.K == 0.408
    sweep = resolve_config("mehta-schwab", "paper-l1")
    assert {0.0, 1e-3, 3e-3, 1e-2} <= set(sweep.l1s)
    quick = resolve_config("mehta-schwab", "quick")
    conds = {c for c, _, _ in ms.cells(quick)}
    assert conds == {"ising", "shuffled", "graph"} and quick.n_seeds >= 3


def test_mehta_schwab_tiny_run_has_every_claim(tmp_path):
    from deeprg.experiments import resolve_config, run_experiment

    cfg = resolve_config(
        "mehta-schwab",
        "quick",
        overrides={
            "L": 6,
            "layers": [36, 9, 4],
            "samples": 200,
            "epochs": 2,
            "n_seeds": 2,
            "temperatures": [0.3],
            "l1s": [3e-3],
            "chain_steps": 40,
            "n_chains": 4,
            "ais_betas": 50,
            "ais_runs": 4,
            "kl_samples": 100,
            "n_null": 2,
        },
    )
    result, _ = run_experiment("mehta-schwab", tmp_path, cfg)
    ids = {c.id for c in result.claims}
    assert {
        "mehta-schwab.locality",
        "mehta-schwab.growth-with-depth",
        "mehta-schwab.size-tracks-correlation-length",
        "mehta-schwab.needs-l1",
        "mehta-schwab.needs-correlations",
    } <= ids
    names = {f.name for f in result.figures}
    assert {
        "receptive_fields",
        "locality_vs_l1",
        "size_vs_correlation_length",
        "depth_growth",
        "correlations",
    } <= names


def test_criticality_verdict_reaches_every_outcome():
    assert ms.verdict_criticality(30.0, 40)[0] == "supported"
    assert ms.verdict_criticality(float("inf"), 40)[0] == "supported"
    assert ms.verdict_criticality(7.5, 40)[0] == "not supported"
    assert ms.verdict_criticality(12.0, 40)[0] == "inconclusive"


def test_growth_and_size_verdicts_do_not_count_a_growth_below_the_margin():
    """A growth that excludes 0 but lies wholly below SIZE_MARGIN is 'not supported', not
    'supported' (the margin is the smallest growth that counts); a wide interval is inconclusive."""
    local = [0.6, 0.62, 0.64]
    r1 = [2.0, 2.01, 2.02]
    small = [2.10, 2.11, 2.12]  # grows by 0.1 +- 0.01 spacings
    wide = [1.9, 2.6, 3.4]  # straddles the margin
    rew = [5.0, 5.1, 5.2]
    assert ms.SIZE_MARGIN > 0.2
    assert ms.verdict_growth(r1, small, rew, local)[0] == "not supported"
    assert ms.verdict_growth(r1, wide, rew, local)[0] == "inconclusive"
    assert ms.verdict_size([7.5, 1.6], [small, r1], [local, local])[0] == "not supported"
    assert ms.verdict_size([7.5, 1.6], [wide, r1], [local, local])[0] == "inconclusive"


def test_remaining_inconclusive_branches_are_reachable():
    local, rand = [0.6, 0.62, 0.64], [0.0, 0.01, -0.01]
    mid = [0.2, 0.3, 0.4]  # neither clearly local nor clearly not
    assert ms.verdict_needs_l1({3e-3: local})[0] == "inconclusive"  # no l1 = 0 cell
    assert ms.verdict_needs_l1({0.0: mid, 3e-3: local})[0] == "inconclusive"
    assert ms.verdict_needs_correlations(local, None, None)[0] == "inconclusive"  # no control
    assert ms.verdict_needs_correlations(local, rand, mid)[0] == "inconclusive"
    assert ms.verdict_exact_rg(float("nan"), 0.02)[0] == "inconclusive"


def test_exact_rg_verdict_needs_mixed_chains_for_supported():
    """The reverse-AIS upper end bounds KL only for equilibrium model samples."""
    assert ms.verdict_exact_rg(0.001, 0.004, upper_valid=False)[0] == "inconclusive"
    assert ms.verdict_exact_rg(0.05, 0.06, upper_valid=False)[0] == "not supported"
    assert ms.verdict_exact_rg(0.001, 0.004, upper_valid=True)[0] == "supported"


def test_seed_intervals_cover_at_their_nominal_level_with_three_seeds():
    """Student-t intervals over 3 seeds cover ~95%; the percentile bootstrap only ~74%."""
    from deeprg.vrg import bootstrap_mean, seed_difference, seed_interval

    c = seed_interval([1.0, 2.0, 3.0])
    assert c["mean"] == 2.0 and c["high"] - 2.0 == pytest.approx(4.302653 / np.sqrt(3), rel=1e-5)
    rng = np.random.default_rng(3)
    draws = rng.normal(size=(400, 3))
    t_cover = np.mean([(lambda c: c["low"] <= 0 <= c["high"])(seed_interval(x)) for x in draws])
    b_cover = np.mean([(lambda c: c["low"] <= 0 <= c["high"])(bootstrap_mean(x, n_boot=500)) for x in draws])
    assert 0.92 < t_cover < 0.98 and b_cover < 0.85
    d = seed_difference(rng.normal(size=3), rng.normal(size=4) + 10.0)
    assert d["high"] < 0 and d["low"] < d["mean"] < d["high"]
    # three seeds at 0.10, 0.20, 0.28 do not show 'clearly below 0.3' at 95%
    assert ms.verdict_locality([0.10, 0.20, 0.28], [0.0, 0.01, -0.01])[0] == "inconclusive"


def test_local_needs_the_whole_interval_above_the_threshold():
    """'Local' and 'clearly not local' are symmetric: an interval straddling 0.3 is neither,
    even when the mean lies above 0.3 and the interval excludes 0."""
    straddle = [0.2, 0.35, 0.5]
    assert not ms.is_local(straddle) and not ms.is_clearly_not_local(straddle)
    assert ms.verdict_locality(straddle, [0.0, 0.01, -0.01])[0] == "inconclusive"
    assert ms.is_local([0.6, 0.62, 0.64])


def _disk(r, centre=(5, 7), n=16):
    rr, cc = np.indices((n, n))
    dr = np.minimum(np.abs(rr - centre[0]), n - np.abs(rr - centre[0]))
    dc = np.minimum(np.abs(cc - centre[1]), n - np.abs(cc - centre[1]))
    return dr**2 + dc**2, (dr**2 + dc**2 <= r * r).astype(float)


def test_core_radius_reports_the_blob_radius_despite_far_noise():
    """R_core = sqrt(2) rho_50 measures the compact part: a uniform disk of radius r plus weak
    weight far away reports ~r, while R_eff is inflated by the far weight."""
    n = 16
    rng = np.random.default_rng(0)
    for r in (2, 3, 4):
        d2, blob = _disk(r, n=n)
        noisy = blob.copy()
        far = d2 > (r + 3) ** 2
        noisy[far] += 0.12 * rng.normal(size=far.sum())
        share_far = (noisy[far] ** 2).sum() / (noisy**2).sum()
        assert 0.02 < share_far < 0.25  # far weight is real but well below half of w^2
        f = np.stack([blob.ravel(), noisy.ravel()], 1)
        rc = core_radius(f, (n, n))
        assert rc[0] == pytest.approx(r, rel=0.2) and rc[1] == pytest.approx(r, rel=0.2)
        reff = effective_radius(f, (n, n))[0]
        assert reff[1] > 1.05 * reff[0]  # R_eff mixes the far weight into the size
        assert rc[1] / rc[0] - 1 < 0.5 * (reff[1] / reff[0] - 1)  # R_core far less
    one = np.zeros((n * n, 1))
    one[3] = 1.0
    assert core_radius(one, (n, n))[0] == 0.0
    assert np.isnan(core_radius(np.zeros((n * n, 1)), (n, n))[0])
    # a flat field's core is large (half the torus), and wraps around the boundary correctly
    assert core_radius(np.ones((n * n, 1)), (n, n))[0] > 5.0
    _, wrapped = _disk(3, centre=(0, 0), n=n)
    assert core_radius(wrapped.reshape(-1, 1), (n, n))[0] == pytest.approx(
        core_radius(_disk(3, n=n)[1].reshape(-1, 1), (n, n))[0]
    )


def test_one_site_field_is_fully_local():
    """A delta field has R_eff = 0 and a shuffled null that is again a delta (R_null = 0):
    the index is 1, not 0/0 or 0; two adjacent sites stay close to 1; the graph index too."""
    n = 12
    f = np.zeros((n * n, 3))
    f[40, 0] = 1.0
    f[[40, 41], 1] = [1.0, 0.7]
    f[:, 2] = np.random.default_rng(0).normal(size=n * n) / n  # a live random unit, norm ~1
    m = layer_locality_metrics(f, (n, n), n_null=4)
    assert m["n_live"] == 3
    assert m["r_null"][0] < 1e-6  # the shuffled null of a delta is a delta
    assert m["ell"][0] == 1.0
    assert m["ell"][1] > 0.7 and abs(m["ell"][2]) < 0.1
    np.testing.assert_allclose(ms_locality_index([0.0, 1.0, 2.0], [0.0, 4.0, 2.0]), [1.0, 0.75, 0.0])
    nbr = random_regular_graph(30, 4, seed=1)
    g = np.zeros((30, 1))
    g[4] = 1.0
    assert layer_locality_metrics(g, None, distances=graph_distances(nbr), n_null=3)["ell_graph"] == [1.0]


def ms_locality_index(r, rn):
    from deeprg.vrg import locality_index

    return locality_index(r, rn)


def test_needs_l1_is_inconclusive_while_ell_at_zero_l1_still_rises():
    not_local, local = [0.10, 0.12, 0.11], [0.6, 0.62, 0.64]
    flat = [0.11, 0.11, 0.12]  # earlier epoch: the same within noise
    rising = [0.05, 0.08, 0.06]  # earlier epoch: clearly lower
    assert ms.verdict_needs_l1({0.0: not_local, 3e-3: local}, flat)[0] == "supported"
    v, why = ms.verdict_needs_l1({0.0: not_local, 3e-3: local}, rising)
    assert v == "inconclusive" and "not converged" in why
    assert ms.verdict_needs_l1({0.0: not_local, 3e-3: local}, None)[0] == "inconclusive"  # no check
    assert ms.verdict_needs_l1({0.0: local, 3e-3: local}, rising)[0] == "not supported"
    assert ms.still_rising(not_local, rising)["low"] > 0
    assert ms.still_rising(not_local, flat[:2]) is None
    assert ms.earlier_epoch(ms.Config(epochs=20)) == 10 and ms.earlier_epoch(ms.Config(epochs=1)) is None


def test_needs_correlations_needs_a_positive_control_that_says_yes():
    """The random-graph fields in graph distance must be local, else nothing shows that the
    method could see locality that follows the correlations."""
    local, rand = [0.6, 0.62, 0.64], [0.0, 0.01, -0.01]
    graph_weak = [0.25, 0.28, 0.31]  # local-ish but the interval reaches below 0.3
    assert ms.verdict_needs_correlations(local, rand, rand, local)[0] == "supported"
    v, why = ms.verdict_needs_correlations(local, rand, rand, graph_weak)
    assert v == "inconclusive" and "positive control" in why
    assert ms.verdict_needs_correlations(local, rand, rand, rand)[0] == "inconclusive"
    assert ms.verdict_needs_correlations(local, rand, rand, None)[0] == "inconclusive"
    assert ms.verdict_needs_correlations(local, rand, local, local)[0] == "not supported"
