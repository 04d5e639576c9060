import math

import numpy as np
import pytest

from deeprg.errors import InputError
from deeprg.exact import K_CRITICAL, Enumeration, chain_log_z
from deeprg.lattice import SquareLattice
from deeprg.models import SpinHamiltonian, ising_chain
from deeprg.rg import (
    OPERATORS_1D,
    OPERATORS_2D,
    block_configs,
    decimate_once,
    decimation_flow,
    fit_couplings,
    mcrg_exponents,
    mk_fixed_point,
    mk_flow,
)
from deeprg.sampling import ExactSampler, generate_samples


# --- 1D decimation -------------------------------------------------------------------------
@pytest.mark.parametrize("b", [2, 3, 5])
@pytest.mark.parametrize("K", [0.05, 0.5, 1.3, 4.0])
def test_tanh_recursion(b, K):
    K1, h1, _ = decimate_once(K, 0.0, b)
    assert math.tanh(K1) == pytest.approx(math.tanh(K) ** b, rel=1e-13) and h1 == 0.0


@pytest.mark.parametrize(
    "K,h,b", [(0.3, 0.0, 2), (1.1, 0.0, 2), (2.5, 0.0, 3), (0.7, 0.4, 2), (1.2, -0.3, 3), (0.2, 1.5, 2)]
)
def test_free_energy_from_the_flow_is_exact(K, h, b):
    flow = decimation_flow(K, h, b=b, steps=80)
    assert flow.free_energy_per_site == pytest.approx(chain_log_z(None, K, h), abs=1e-10)
    if h == 0:
        assert flow.free_energy_per_site == pytest.approx(math.log(2 * math.cosh(K)), abs=1e-10)


def test_decimation_matches_partial_trace_of_a_finite_ring():
    """ln Z(K, h, N) = (N/b) ln z + ln Z(K', h', N/b) on a ring, checked by enumeration."""
    K, h, b, N = 0.8, 0.25, 2, 12
    K1, h1, lz = decimate_once(K, h, b)
    lhs = Enumeration.of(ising_chain(N, K, h)).log_z()
    rhs = (N / b) * lz + Enumeration.of(ising_chain(N // b, K1, h1)).log_z()
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_nelson_fisher_b2():
    K, h = 0.9, 0.35
    K1, h1, lz = decimate_once(K, h, 2)
    c = math.cosh
    assert math.exp(2 * h1) == pytest.approx(math.exp(2 * h) * c(2 * K + h) / c(2 * K - h), rel=1e-12)
    assert math.exp(4 * K1) == pytest.approx(c(2 * K + h) * c(2 * K - h) / c(h) ** 2, rel=1e-12)
    assert 4 * lz == pytest.approx(math.log(16 * c(2 * K + h) * c(2 * K - h) * c(h) ** 2), rel=1e-12)


def test_flow_goes_to_the_stable_fixed_point():
    flow = decimation_flow(3.0, b=2, steps=40)
    assert np.all(np.diff(flow.K) <= 0) and flow.K[-1] < 1e-12


# --- block spins ------------------------------------------------------------------------------
def test_majority_rule_on_a_known_configuration():
    s = np.array(
        [
            [1, 1, -1, -1, 1, -1],
            [1, -1, -1, -1, 1, 1],
            [-1, -1, 1, 1, 1, 1],
            [-1, 1, 1, -1, 1, 1],
            [1, 1, 1, 1, -1, -1],
            [1, -1, 1, -1, -1, 1],
        ],
        dtype=np.int8,
    )[None]
    # b = 3 block sums by hand: -1, 3, 5, -1; decimation keeps s[0,0], s[0,3], s[3,0], s[3,3]
    out = block_configs(s, 3)
    np.testing.assert_array_equal(out[0], [[-1, 1], [1, -1]])
    dec = block_configs(s, 3, "decimation")
    np.testing.assert_array_equal(dec[0], [[1, -1], [-1, -1]])


def test_majority_b2_breaks_ties_at_random_with_the_seed():
    s = np.ones((2000, 2, 2), dtype=np.int8)
    s[:, 0, :] = -1  # every block is a tie
    a = block_configs(s, 2, seed=1)
    np.testing.assert_array_equal(a, block_configs(s, 2, seed=1))
    assert not np.array_equal(a, block_configs(s, 2, seed=2))
    assert abs(a.mean()) < 0.1  # fair coin


@pytest.mark.parametrize("rule,b", [("majority", 3), ("decimation", 2), ("decimation", 3)])
def test_blocking_commutes_with_translations_by_b(rule, b, rng):
    s = rng.choice(np.array([-1, 1], dtype=np.int8), size=(5, 12, 12))
    shifted = np.roll(s, (b, 2 * b), axis=(1, 2))
    np.testing.assert_array_equal(
        block_configs(shifted, b, rule), np.roll(block_configs(s, b, rule), (1, 2), axis=(1, 2))
    )


def test_block_rejects_bad_sizes():
    with pytest.raises(InputError, match="divide"):
        block_configs(np.ones((1, 6, 6), dtype=np.int8), 4)
    with pytest.raises(InputError, match="rule"):
        block_configs(np.ones((1, 6, 6), dtype=np.int8), 2, "vote")


# --- Migdal-Kadanoff --------------------------------------------------------------------------
def test_migdal_kadanoff_fixed_point_and_exponent():
    r = mk_fixed_point(2, 2)
    assert r.K_star == pytest.approx(0.304689, abs=1e-6)
    assert r.y_T == pytest.approx(0.7472, abs=1e-4)
    assert r.y_T == pytest.approx(math.log2(2 * math.tanh(4 * r.K_star)), abs=1e-12)
    assert 0.5 * math.log(math.cosh(4 * r.K_star)) == pytest.approx(r.K_star, abs=1e-12)
    below, above = mk_flow(r.K_star - 0.01, 8), mk_flow(r.K_star + 0.01, 8)
    assert below[-1] < below[0] and above[-1] > above[0]


# --- pseudo-likelihood ------------------------------------------------------------------------
def test_operator_local_fields_are_derivatives(rng):
    for table, shape in ((OPERATORS_2D, (3, 6, 6)), (OPERATORS_1D, (3, 10))):
        s = rng.choice(np.array([-1, 1], dtype=np.int8), size=shape)
        for op in table.values():
            a = op.local(s)
            t = s.copy()
            idx = (slice(None), 2, 3) if len(shape) == 3 else (slice(None), 4)
            t[idx] *= -1
            np.testing.assert_array_equal(op.total(s) - op.total(t), 2 * s[idx] * a[idx])


def test_pseudo_likelihood_recovers_exactly_sampled_couplings():
    ham = SpinHamiltonian(
        10, {**{(i, (i + 1) % 10): 0.6 for i in range(10)}, **{(i,): 0.2 for i in range(10)}}
    )
    configs = ExactSampler(ham).sample(40000, seed=3)
    fit = fit_couplings(configs, "nn,m,nnn")
    truth = {"nn": 0.6, "m": 0.2, "nnn": 0.0}
    for name, value, err in zip(fit.operators, fit.couplings, fit.errors, strict=True):
        assert abs(value - truth[name]) < 4 * err, (name, value, err)
    assert fit.converged


def test_pseudo_likelihood_recovers_a_three_spin_coupling():
    n = 10
    terms = {
        **{(i, (i + 1) % n): 0.3 for i in range(n)},
        **{tuple(sorted((i, (i + 1) % n, (i + 2) % n))): 0.25 for i in range(n)},
    }
    configs = ExactSampler(SpinHamiltonian(n, terms)).sample(40000, seed=5)
    fit = fit_couplings(configs, "nn,triple")
    assert (
        abs(fit.couplings[0] - 0.3) < 4 * fit.errors[0] and abs(fit.couplings[1] - 0.25) < 4 * fit.errors[1]
    )


@pytest.mark.parametrize("K", [0.3, K_CRITICAL])
def test_pseudo_likelihood_recovers_K_within_1_percent_from_mc_at_L32(K):
    gen = generate_samples(SquareLattice(32), K, 3000, algorithm="wolff", seed=11)
    fit = fit_couplings(gen.configs, "nn")
    assert abs(fit.couplings[0] - K) < 0.01 * K
    assert abs(fit.couplings[0] - K) < 4 * fit.errors[0]


def test_blocked_couplings_flow_away_from_kc():
    """Majority blocking flows couplings down above T_c and up below it."""
    out = {}
    for K in (0.35, 0.55):
        gen = generate_samples(SquareLattice(32), K, 1500, algorithm="wolff", seed=2)
        out[K] = fit_couplings(block_configs(gen.configs, 2, seed=0), "nn").couplings[0]
    assert out[0.35] < 0.35 and out[0.55] > 0.55


# --- MCRG -------------------------------------------------------------------------------------
def test_mcrg_on_a_small_lattice():
    gen = generate_samples(SquareLattice(16), K_CRITICAL, 6000, algorithm="wolff", seed=4)
    r = mcrg_exponents(gen.configs, levels=1, even=("nn", "nnn", "plaquette", "(2,0)"), odd=("m", "triple"))
    # documented accuracy at L = 16, level 1: y_T within 0.1 of 1, y_h within 0.03 of 15/8
    assert abs(r.y_T[0, -1] - 1.0) < 0.1 and abs(r.y_h[0, -1] - 1.875) < 0.03
    assert np.all(r.y_T_err > 0) and np.all(r.y_h_err > 0)


def test_mcrg_refuses_lattices_too_small():
    with pytest.raises(InputError):
        mcrg_exponents(np.ones((100, 8, 8), dtype=np.int8), levels=2)


def test_frozen_samples_have_no_finite_couplings():
    from deeprg.rg import try_fit_couplings

    frozen = np.ones((50, 8, 8), dtype=np.int8)
    assert try_fit_couplings(frozen, "nn,nnn") is None
    with pytest.raises(InputError, match="singular"):
        fit_couplings(frozen, "nn,nnn")


def test_mcrg_progress_reports_every_stage_and_changes_nothing():
    from deeprg.rg import mcrg_exponents

    rng = np.random.default_rng(3)
    configs = np.where(rng.random((80, 16, 16)) < 0.5, 1, -1).astype(np.int8)
    calls = []
    with_progress = mcrg_exponents(configs, levels=2, seed=1, progress=lambda d, t: calls.append((d, t)))
    plain = mcrg_exponents(configs, levels=2, seed=1)
    assert np.array_equal(with_progress.y_T, plain.y_T, equal_nan=True)
    assert np.array_equal(with_progress.y_h, plain.y_h, equal_nan=True)
    done = [d for d, _ in calls]
    assert {t for _, t in calls} == {7} and done == sorted(done) and done[-1] == 7
    assert done[:-1] == list(range(7))  # every stage announced once before it runs
