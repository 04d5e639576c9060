"""Hopfield networks: storage, dynamics against exact basins, theory, classification, and the
Gaussian-RBM equivalence (Barra et al. 2012) checked by enumeration."""

import numpy as np
import pytest
from scipy.linalg import hadamard
from scipy.stats import chi2

from deeprg.errors import InputError
from deeprg.hopfield import (
    ALPHA_C,
    M_AT_ALPHA_C,
    Hopfield,
    capacity_trials,
    classify_states,
    crossing_with_error,
    descend,
    equivalence_defect,
    exact_basins,
    finite_size_alpha_c,
    glauber_dynamics,
    hopfield_log_probabilities,
    mixture_energy,
    mixture_overlap,
    overlaps,
    random_patterns,
    rbm_as_spin_form,
    retrieval_crossing,
    retrieval_overlap,
    retrieve,
    state_index,
    storkey_couplings,
)


def test_orthogonal_patterns_are_fixed_points_of_every_dynamics():
    xi = hadamard(16)[1:5].astype(np.int8)  # 4 mutually orthogonal +-1 patterns
    for rule in ("hebbian", "storkey"):
        net = Hopfield(xi, rule=rule)
        assert net.is_fixed_point(xi).all()
        for mode in ("async", "sync"):
            r = retrieve(net, xi, mode=mode, seed=3)
            np.testing.assert_array_equal(r.states, xi)
            assert (r.steps == 1).all()
    # Hebbian energy of a pattern: -(N/2) sum_mu m_mu^2 + P/2 = -N/2 + P/2
    np.testing.assert_allclose(Hopfield(xi).energy(xi), -8 + 2, atol=1e-12)


def test_energy_and_overlaps_agree_with_the_pattern_form():
    xi = random_patterns(5, 40, seed=2)
    net = Hopfield(xi)
    s = random_patterns(7, 40, seed=9)
    m = net.overlaps(s)
    np.testing.assert_allclose(net.energy(s), -20 * (m**2).sum(1) + 2.5, atol=1e-10)
    J = net.couplings
    assert np.allclose(J, J.T) and np.all(np.diag(J) == 0)


def test_storkey_rule_matches_its_definition_and_stores_more_than_hebb():
    xi = random_patterns(3, 12, seed=4).astype(np.float64)
    n = 12
    W = np.zeros((n, n))
    for x in xi:  # the rule written element by element (Storkey 1997)
        h = W @ x
        new = W.copy()
        for i in range(n):
            for j in range(n):
                if i != j:
                    hij = h[i] - W[i, j] * x[j]
                    hji = h[j] - W[j, i] * x[i]
                    new[i, j] = W[i, j] + (x[i] * x[j] - x[i] * hji - hij * x[j]) / n
        W = new
    np.testing.assert_allclose(storkey_couplings(xi.astype(np.int8)), W, atol=1e-12)
    xi = random_patterns(30, 200, seed=5)  # alpha = 0.15 > alpha_c
    assert Hopfield(xi, "storkey").is_fixed_point(xi).mean() > Hopfield(xi).is_fixed_point(xi).mean()


def test_async_dynamics_matches_exact_basins():
    """Endpoint frequencies from random starts against exact absorption probabilities."""
    xi = random_patterns(3, 10, seed=11)
    net = Hopfield(xi)
    exact = exact_basins(net)
    np.testing.assert_allclose(exact["absorption"].sum(1), 1.0, atol=1e-12)
    assert net.is_fixed_point(exact["fixed_points"]).all()
    n_trials = 6000
    starts = random_patterns(n_trials, 10, seed=12)
    r = retrieve(net, starts, seed=13)
    assert r.converged.all()
    col = {int(k): c for c, k in enumerate(exact["fixed_indices"])}
    counts = np.bincount([col[int(k)] for k in state_index(r.states)], minlength=len(col))
    expected = exact["absorption"][state_index(starts)].sum(0)  # given these very starts
    keep = expected > 5
    stat = np.sum((counts[keep] - expected[keep]) ** 2 / expected[keep])
    assert chi2.sf(stat, keep.sum() - 1) > 1e-3
    # the capacity curve at small N: retrieval probability from a stored pattern
    p_exact = exact["absorption"][state_index(xi)]  # (P, F)
    starts = np.repeat(xi, 2000, axis=0)
    r = retrieve(net, starts, seed=14)
    ends = np.array([col[int(k)] for k in state_index(r.states)]).reshape(3, 2000)
    for mu in range(3):
        target = col[int(state_index(xi[mu : mu + 1])[0])] if net.is_fixed_point(xi[mu])[0] else None
        if target is None:
            continue
        p_hat = np.mean(ends[mu] == target)
        p = p_exact[mu, target]
        assert abs(p_hat - p) <= 4 * np.sqrt(p * (1 - p) / 2000) + 1e-12


def test_synchronous_dynamics_ends_in_fixed_points_or_two_cycles():
    xi = random_patterns(4, 30, seed=21)
    net = Hopfield(xi)
    r = retrieve(net, random_patterns(200, 30, seed=22), mode="sync")
    assert (r.converged | r.cycles).all()
    assert net.is_fixed_point(r.states[r.converged]).all()


def test_glauber_samples_the_boltzmann_distribution():
    xi = random_patterns(2, 6, seed=31)
    net = Hopfield(xi)
    beta = 0.8
    starts = np.ones((4000, 6), dtype=np.int8)
    s = glauber_dynamics(net, starts, beta, 30, seed=32)
    counts = np.bincount(state_index(s), minlength=64)
    expected = 4000 * np.exp(hopfield_log_probabilities(xi, beta))
    stat = np.sum((counts - expected) ** 2 / expected)
    assert chi2.sf(stat, 63) > 1e-3
    np.testing.assert_array_equal(starts, 1)  # inputs untouched
    np.testing.assert_array_equal(s, glauber_dynamics(net, starts, beta, 30, seed=32))


def test_descent_with_gaussian_hidden_units_is_hopfield_dynamics():
    xi = random_patterns(6, 50, seed=41)
    starts = random_patterns(40, 50, seed=42)
    a = retrieve(Hopfield(xi), starts, seed=43)
    b = descend(xi.T / np.sqrt(50), starts, hidden="gaussian", seed=43)
    np.testing.assert_array_equal(a.states, b.states)
    # binary-visible RBM rewritten in spin form keeps F(v) up to a constant
    rng = np.random.default_rng(0)
    W, c, bb = rng.normal(size=(5, 3)), rng.normal(size=5), rng.normal(size=3)
    Ws, cs, bs = rbm_as_spin_form(W, c, bb)
    s = random_patterns(8, 5, seed=1).astype(np.float64)
    v = (s + 1) / 2
    f_bin = -v @ c - np.logaddexp(0, bb + v @ W).sum(1)
    f_spin = -s @ cs - np.logaddexp(0, bs + s @ Ws).sum(1)
    np.testing.assert_allclose(f_bin - f_spin, (f_bin - f_spin)[0], atol=1e-12)


def test_replica_symmetric_theory_values():
    assert ALPHA_C == pytest.approx(0.1379, abs=5e-4)
    assert M_AT_ALPHA_C == pytest.approx(0.967, abs=1e-3)
    assert retrieval_overlap(0.0) == 1.0
    assert np.isnan(retrieval_overlap(0.2))
    assert retrieval_overlap(0.05) > retrieval_overlap(0.13) > M_AT_ALPHA_C
    assert mixture_overlap(3) == 0.5 and mixture_overlap(5) == 0.375
    assert mixture_energy(1) == -0.5 and mixture_energy(3) == -0.375
    # the symmetric 3-mixture of random patterns at large N: overlaps 1/2, energy -3/8
    xi = random_patterns(3, 20000, seed=5)
    mix = np.sign(xi.sum(0)).astype(np.int8)
    np.testing.assert_allclose(overlaps(xi, mix)[0], 0.5, atol=0.02)
    # energy -3/8 per unit also with many other patterns: cross-talk and zero diagonal cancel
    xi = random_patterns(200, 10000, seed=6)
    for n in (1, 3):
        s = np.sign(xi[:n].sum(0)).astype(np.int8)
        m = overlaps(xi, s)[0]
        assert -0.5 * (m**2).sum() + 200 / 20000 == pytest.approx(mixture_energy(n), abs=0.01)
    with pytest.raises(InputError):
        mixture_overlap(2)


def test_classification_of_constructed_states():
    xi = random_patterns(7, 400, seed=51)
    rng = np.random.default_rng(52)
    noisy = xi[2] * np.where(rng.random(400) < 0.03, -1, 1)
    mix3 = np.sign(xi[0] - xi[3] + xi[5])
    mix5 = np.sign(xi[0] + xi[1] + xi[2] + xi[3] + xi[4])
    glass = random_patterns(1, 400, seed=53)[0]
    states = np.stack([noisy, -xi[4], mix3, mix5, glass]).astype(np.int8)
    out = classify_states(xi, states)
    assert out["labels"] == ["pattern", "pattern", "mixture3", "mixture5", "spin glass"]
    assert out["best"][0] == 2


def test_gaussian_rbm_equivalence_is_exact_by_enumeration():
    """Barra et al. (2012): the visible marginal of the Gaussian-hidden RBM is the Hopfield
    Boltzmann distribution; ln Z differs by (P/2) ln(2 pi / beta) + beta P / 2."""
    for p, n, beta, seed in ((1, 8, 1.0, 0), (2, 10, 1.3, 1), (3, 12, 0.6, 2)):
        d = equivalence_defect(random_patterns(p, n, seed=seed), beta)
        assert abs(d["defect"]) < 1e-10
        assert d["max_marginal_defect"] < 1e-10
    # and a wrong offset would be seen: the defect is not trivially zero
    d = equivalence_defect(random_patterns(2, 10, seed=1), 2.0)
    assert abs(d["log_z_rbm"] - d["log_z_hopfield"]) > 1.0


def test_capacity_helpers():
    assert retrieval_crossing([0.1, 0.2, 0.3], [1.0, 0.6, 0.2]) == pytest.approx(0.225)
    assert np.isnan(retrieval_crossing([0.1, 0.2], [1.0, 0.9]))
    fit = finite_size_alpha_c([100, 400, 1600], [0.16, 0.15, 0.145], [0.002, 0.002, 0.002])
    assert fit["alpha_c"] == pytest.approx(0.14, abs=1e-9) and fit["dof"] == 1
    assert np.isnan(finite_size_alpha_c([100, 200], [0.1, 0.1], [0.01, 0.01])["alpha_c"])
    out = capacity_trials(100, [0.05, 0.3], n_sets=2, n_starts=4, seed=1)
    ov = out["overlap"]
    assert ov.shape == (2, 2, 4)
    assert np.nanmean(ov[0]) > 0.95 and np.nanmean(ov[1]) < 0.8
    st = capacity_trials(100, [0.3], n_sets=1, n_starts=4, seed=1, rule="storkey")
    assert np.nanmean(st["overlap"]) > np.nanmean(ov[1])  # Storkey stores more
    net = Hopfield(random_patterns(5, 100, np.random.default_rng([1, 100, 0])), "storkey")
    np.testing.assert_allclose(net.couplings, storkey_couplings(net.patterns), atol=1e-12)
    est, err = crossing_with_error(out["alphas"], ov, n_boot=20)
    assert 0.05 < est < 0.3 and err >= 0
