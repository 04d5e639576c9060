"""Samplers against exact results: chi-square vs enumeration, Kaufman, transfer matrix."""

import numpy as np
import pytest

from deeprg.errors import InputError
from deeprg.exact import K_CRITICAL, chain_thermo, kaufman_thermo
from deeprg.lattice import Chain, SquareLattice
from deeprg.sampling import IsingSampler, Metropolis, TorchIsingSampler, Wolff, _kernels, generate_samples
from deeprg.sampling._rules import _outputs
from deeprg.sampling._validate import chi_square_test
from deeprg.stats import ising_observables

RULES_WITH_FIELD = [
    ("metropolis", 0.0),
    ("metropolis", 0.15),
    ("heatbath", 0.0),
    ("heatbath", 0.15),
    ("wolff", 0.0),
    ("sw", 0.0),
]
ALPHA = 1e-4  # the tests are deterministic (fixed seeds); this is the false-alarm rate of the harness


@pytest.mark.parametrize("rule,h", RULES_WITH_FIELD)
@pytest.mark.parametrize("lattice", [SquareLattice(3), Chain(8)], ids=str)
def test_full_state_distribution(rule, h, lattice):
    sampler = IsingSampler(lattice, 0.35, h, rule=rule, n_chains=64)
    result = chi_square_test(sampler, what="state", n_samples=400, thin=10)
    assert result.combined_p > ALPHA, result


def test_textbook_metropolis_is_not_ergodic_on_a_ring():
    """Accepting every zero-energy flip traps checkerboard sweeps (see metropolis_acceptance)."""
    sampler = IsingSampler(Chain(8), 0.35, rule=Metropolis(zero_flip_probability=1.0), n_chains=64)
    assert chi_square_test(sampler, what="state", n_samples=400, thin=10).combined_p < 1e-8


@pytest.mark.parametrize("rule,h", RULES_WITH_FIELD)
@pytest.mark.parametrize(
    "lattice",
    [SquareLattice(4), SquareLattice(2, 4), SquareLattice(3, 4, periodic=False), Chain(12)],
    ids=str,
)
def test_energy_histogram_against_enumeration(rule, h, lattice):
    sampler = IsingSampler(lattice, K_CRITICAL, h, rule=rule, n_chains=64)
    result = chi_square_test(sampler, what="energy", n_samples=300, thin=20)
    assert result.combined_p > ALPHA, result


class _WrongMetropolis(Metropolis):
    """Accepts with e^{-0.8 dE}: a plausible bug that the harness must catch."""

    def run(self, spins, rng, tables, K, h, n_samples, thin, store, **params):
        z = tables.nbr.shape[1]
        nb = np.arange(-z, z + 1)
        accept = np.vstack([np.minimum(1.0, np.exp(-0.8 * 2.0 * s * (K * nb + h))) for s in (-1, 1)])
        cfg, bond, mag = _outputs(spins.shape[0], n_samples, tables.n, store)
        _kernels.metropolis_run(
            spins, tables.nbr, tables.order, accept, rng, n_samples, thin, store, cfg, bond, mag
        )
        return cfg, bond, mag


def test_harness_catches_a_wrong_acceptance_rule():
    sampler = IsingSampler(SquareLattice(3), 0.35, 0.15, rule=_WrongMetropolis(), n_chains=64)
    assert chi_square_test(sampler, what="state", n_samples=400, thin=8).combined_p < 1e-8
    sampler = IsingSampler(SquareLattice(4), K_CRITICAL, rule=_WrongMetropolis(), n_chains=64)
    assert chi_square_test(sampler, what="energy", n_samples=300, thin=8).combined_p < 1e-8


@pytest.mark.parametrize("rule", ["metropolis", "heatbath", "wolff", "sw"])
@pytest.mark.parametrize("K", [0.3, K_CRITICAL, 0.6])
def test_energy_and_specific_heat_match_kaufman_on_16x16(rule, K):
    L = 16
    sampler = IsingSampler(SquareLattice(L), K, rule=rule, n_chains=16)
    state = sampler.burn_in(sampler.init_state(7, start="up"), 500)
    trace, _ = sampler.trace(state, 3000)
    obs = ising_observables(trace.bond_sum, trace.magnetization, L * L, K)
    exact = kaufman_thermo(L, K)
    for key, ref in (
        ("energy_per_site", exact.energy_per_site),
        ("specific_heat", exact.specific_heat_per_site),
    ):
        value, err = obs[key]["value"], obs[key]["error"]
        assert abs(value - ref) < 4 * err, (key, value, ref, err)


@pytest.mark.parametrize("rule,h", [("metropolis", 0.0), ("heatbath", 0.3), ("metropolis", -0.2)])
def test_chain_matches_transfer_matrix(rule, h):
    n, K = 64, 0.7
    sampler = IsingSampler(Chain(n), K, h, rule=rule, n_chains=16)
    state = sampler.burn_in(sampler.init_state(3), 200)
    trace, _ = sampler.trace(state, 4000)
    obs = ising_observables(trace.bond_sum, trace.magnetization, n, K, h)
    exact = chain_thermo(n, K, h)
    assert abs(obs["energy_per_site"]["value"] - exact.energy_per_site) < 4 * obs["energy_per_site"]["error"]
    m = trace.magnetization / n
    err = np.std(m) * np.sqrt(20 / m.size)
    assert abs(m.mean() - exact.magnetization) < 4 * err + 1e-3


def test_wolff_decorrelates_much_faster_than_metropolis_at_kc():
    from deeprg.stats import integrated_time

    L = 32
    taus = {}
    for rule in ("metropolis", "wolff"):
        sampler = IsingSampler(SquareLattice(L), K_CRITICAL, rule=rule, n_chains=8)
        state = sampler.burn_in(sampler.init_state(11), 2000 if rule == "metropolis" else 200)
        trace, _ = sampler.trace(state, 6000 if rule == "metropolis" else 1500)
        taus[rule] = integrated_time(np.abs(trace.magnetization)).tau
    assert taus["metropolis"] > 20 and taus["wolff"] < 5, taus
    assert taus["metropolis"] > 8 * taus["wolff"]


def test_same_seed_same_samples_and_inputs_untouched():
    sampler = IsingSampler(SquareLattice(8), 0.4, rule="sw", n_chains=3)
    s0 = sampler.init_state(42)
    snapshot = s0.spins.copy()
    a, s1 = sampler.sample(s0, 20)
    b, _ = sampler.sample(s0, 20)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(s0.spins, snapshot)
    assert s1.sweeps == 20 and a.shape == (3, 20, 8, 8) and a.dtype == np.int8
    c, _ = sampler.sample(sampler.init_state(43), 20)
    assert not np.array_equal(a, c)


def test_chains_are_independent_streams():
    sampler = IsingSampler(SquareLattice(8), 0.2, rule="metropolis", n_chains=4)
    state = sampler.init_state(0, start="up")
    cfg, _ = sampler.sample(state, 5)
    assert len({cfg[c].tobytes() for c in range(4)}) == 4


def test_result_does_not_depend_on_chunking():
    sampler = IsingSampler(SquareLattice(6), 0.4, rule="wolff", n_chains=2)
    s = sampler.init_state(5)
    whole, _ = sampler.sample(s, 10)
    first, s_mid = sampler.sample(s, 4)
    rest, _ = sampler.sample(s_mid, 6)
    np.testing.assert_array_equal(whole, np.concatenate([first, rest], axis=1))


def test_cluster_rules_refuse_a_field():
    with pytest.raises(InputError, match="field"):
        IsingSampler(SquareLattice(4), 0.4, 0.1, rule="wolff")
    with pytest.raises(InputError, match="unknown update rule"):
        IsingSampler(SquareLattice(4), 0.4, rule="glauberish")
    with pytest.raises(InputError):
        Wolff(clusters_per_step=0).prepare(None, None, None, 0.4, 0.0)


@pytest.mark.parametrize("rule", ["metropolis", "heatbath"])
def test_torch_backend_matches_exact(rule):
    sampler = TorchIsingSampler(SquareLattice(4), K_CRITICAL, 0.1, rule=rule, n_chains=64)
    result = chi_square_test(sampler, what="energy", n_samples=300, thin=20)
    assert result.combined_p > ALPHA, result
    L = 16
    sampler = TorchIsingSampler(SquareLattice(L), 0.3, rule=rule, n_chains=32)
    state = sampler.burn_in(sampler.init_state(1), 200)
    trace, _ = sampler.trace(state, 400)
    obs = ising_observables(trace.bond_sum, trace.magnetization, L * L, 0.3)
    ref = kaufman_thermo(L, 0.3).energy_per_site
    assert abs(obs["energy_per_site"]["value"] - ref) < 4 * obs["energy_per_site"]["error"]


def test_torch_backend_is_reproducible_on_cpu():
    sampler = TorchIsingSampler(SquareLattice(8), 0.4, n_chains=2)
    a, _ = sampler.sample(sampler.init_state(9), 5)
    b, _ = sampler.sample(sampler.init_state(9), 5)
    np.testing.assert_array_equal(a, b)


@pytest.mark.gpu
def test_torch_backend_on_cuda_matches_kaufman():
    L, K = 32, K_CRITICAL
    sampler = TorchIsingSampler(SquareLattice(L), K, n_chains=64, device="cuda")
    state = sampler.burn_in(sampler.init_state(1), 2000)
    trace, _ = sampler.trace(state, 2000)
    obs = ising_observables(trace.bond_sum, trace.magnetization, L * L, K)
    ref = kaufman_thermo(L, K).energy_per_site
    assert abs(obs["energy_per_site"]["value"] - ref) < 4 * obs["energy_per_site"]["error"]


def test_generate_samples_metadata_and_thinning():
    g = generate_samples(SquareLattice(12), 0.4, 300, algorithm="metropolis", seed=4)
    assert g.configs.shape == (300, 12, 12) and g.configs.dtype == np.int8
    assert g.attrs["thinning"] >= 1 and g.attrs["pilot_tau"] > 1 and g.attrs["seed"] == 4
    assert g.attrs["thermalized"] is True
    g2 = generate_samples(SquareLattice(12), 0.4, 300, algorithm="metropolis", seed=4)
    np.testing.assert_array_equal(g.configs, g2.configs)
    g3 = generate_samples(
        Chain(10), 0.5, 7, algorithm="heatbath", seed=1, n_chains=3, burn_in=10, decorrelate=2
    )
    assert g3.configs.shape == (7, 10) and sorted(np.bincount(g3.chain)) == [2, 2, 3]


def test_multi_spin_coding_against_enumeration_and_kaufman():
    sampler = IsingSampler(SquareLattice(4), K_CRITICAL, rule="msc-metropolis", n_chains=64)
    assert chi_square_test(sampler, what="energy", n_samples=300, thin=20).combined_p > ALPHA
    sampler = IsingSampler(SquareLattice(4), 0.3, rule="msc-metropolis", n_chains=64)
    assert chi_square_test(sampler, what="state", n_samples=300, thin=20, seeds=(0, 1)).combined_p > ALPHA
    L = 16
    sampler = IsingSampler(SquareLattice(L), 0.4, rule="msc-metropolis", n_chains=64)
    state = sampler.burn_in(sampler.init_state(2), 500)
    trace, _ = sampler.trace(state, 1000)
    obs = ising_observables(trace.bond_sum, trace.magnetization, L * L, 0.4)
    ref = kaufman_thermo(L, 0.4)
    assert abs(obs["energy_per_site"]["value"] - ref.energy_per_site) < 4 * obs["energy_per_site"]["error"]
    assert abs(obs["specific_heat"]["value"] - ref.specific_heat_per_site) < 4 * obs["specific_heat"]["error"]


def test_multi_spin_replicas_are_independent():
    sampler = IsingSampler(SquareLattice(8), 0.3, rule="msc-metropolis", n_chains=64)
    cfg, _ = sampler.sample(sampler.init_state(0, start="up"), 3, thin=5)
    flat = cfg[:, -1].reshape(64, -1).astype(float)
    overlaps = np.abs(flat @ flat.T / flat.shape[1])[~np.eye(64, dtype=bool)]
    assert overlaps.mean() < 0.35  # replicas started equal and decorrelated independently


def test_multi_spin_coding_refuses_bad_setups():
    with pytest.raises(InputError, match="multiple of 64"):
        IsingSampler(SquareLattice(4), 0.3, rule="msc", n_chains=10).burn_in(
            IsingSampler(SquareLattice(4), 0.3, rule="msc", n_chains=10).init_state(0), 1
        )
    with pytest.raises(InputError, match="field"):
        IsingSampler(SquareLattice(4), 0.3, 0.1, rule="msc", n_chains=64)
    for K in (0.0, -0.3):  # thresholds e^{-4K} >= 1 (and K < 0 was silently wrong once)
        with pytest.raises(InputError, match="K > 0"):
            IsingSampler(SquareLattice(4), K, rule="msc", n_chains=64)


def test_exact_sampler_matches_the_distribution():
    from scipy import stats

    from deeprg.exact import Enumeration, state_index
    from deeprg.models import ising_chain
    from deeprg.sampling import ExactSampler

    sampler = ExactSampler(Chain(6), K=0.5, h=0.2)
    configs = sampler.sample(20000, seed=1)
    assert configs.shape == (20000, 6) and configs.dtype == np.int8
    probs = Enumeration.of(ising_chain(6, 0.5, 0.2)).probabilities()
    counts = np.bincount(state_index(configs), minlength=64)
    assert stats.chisquare(counts, probs * 20000).pvalue > 1e-4
    np.testing.assert_array_equal(configs, sampler.sample(20000, seed=1))


@pytest.mark.parametrize(
    "lattice,K,h,expected",
    [
        (SquareLattice(4), 0.3, 0.0, "msc-metropolis"),
        (SquareLattice(4), K_CRITICAL, 0.0, "wolff"),
        (SquareLattice(4), 0.6, 0.0, "wolff"),
        (SquareLattice(4), 0.3, 0.2, "metropolis"),
        (SquareLattice(3), 0.3, 0.0, "metropolis"),
        (Chain(12), 1.0, 0.0, "wolff"),
        (Chain(12), 0.4, 0.0, "metropolis"),
    ],
    ids=str,
)
def test_every_automatic_choice_samples_the_exact_distribution(lattice, K, h, expected):
    from deeprg.sampling import choose_algorithm
    from deeprg.sampling._validate import chi_square_of_samples

    assert choose_algorithm(lattice, K, h, 2000).algorithm == expected
    g = generate_samples(lattice, K, 2000, h=h, seed=3)
    assert g.attrs["algorithm"] == expected and g.attrs["algorithm_requested"] == "auto"
    assert g.attrs["algorithm_reason"] and g.attrs["independent"] is True and g.attrs["warning"] == ""
    assert chi_square_of_samples(g.configs, lattice, K, h, what="energy") > ALPHA


@pytest.mark.parametrize("n", [1, 2, 5, 33, 65])
def test_any_number_of_samples(n):
    for algo in ("auto", "metropolis"):
        g = generate_samples(SquareLattice(6), 0.3, n, algorithm=algo, seed=1)
        assert g.configs.shape == (n, 6, 6) and g.chain.shape == (n,)


def test_an_unreliable_pilot_is_reported_not_hidden():
    """A tiny production run caps the pilot; the samples are then not called independent."""
    g = generate_samples(SquareLattice(24), K_CRITICAL, 4, algorithm="metropolis", seed=2)
    assert g.attrs["pilot_reliable"] is False and g.attrs["independent"] is False
    assert "not make samples independent" in g.attrs["warning"]
    g = generate_samples(SquareLattice(8), 0.4, 800, algorithm="metropolis", seed=2, decorrelate=1)
    assert g.attrs["independent"] is False and "correlated" in g.attrs["warning"]


def test_multi_spin_coding_on_odd_tori_uses_the_table_kernel():
    sampler = IsingSampler(SquareLattice(3), 0.3, rule="msc-metropolis", n_chains=64)
    assert chi_square_test(sampler, what="state", n_samples=300, thin=10, seeds=(0, 1)).combined_p > ALPHA


@pytest.mark.parametrize("lattice", [SquareLattice(4), SquareLattice(2, 4), SquareLattice(2, 6)], ids=str)
@pytest.mark.parametrize("spatial", [True, False])
def test_spatial_multispin_and_scalar_metropolis_against_enumeration(lattice, spatial):
    """h = 0 on even tori runs the spatial multi-spin kernel (strips of sites in one word)."""
    rule = Metropolis(spatial_multispin=spatial)
    sampler = IsingSampler(lattice, K_CRITICAL, rule=rule, n_chains=64)
    assert chi_square_test(sampler, what="energy", n_samples=300, thin=20).combined_p > ALPHA
    sampler = IsingSampler(lattice, 0.3, rule=rule, n_chains=64)
    assert chi_square_test(sampler, what="state", n_samples=300, thin=10, seeds=(0, 1)).combined_p > ALPHA


def test_strip_width():
    from deeprg.sampling._msc import strip_width

    assert [strip_width(m) for m in (2, 4, 64, 128, 256, 1024, 6)] == [2, 2, 2, 2, 4, 16, 2]
    assert strip_width(3) == 0


def test_cpu_paths_import_no_torch():
    """Start-up: torch costs ~2 s to import; CPU sampling, stats, data and the CLI never load it."""
    import subprocess
    import sys

    code = (
        "import sys, deeprg.sampling, deeprg.stats, deeprg.data, deeprg.cli.sample, deeprg.exact; "
        "print(sorted(m for m in ('torch', 'scipy.special', 'scipy.integrate') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_cli_default_algorithm_says_what_it_chose(tmp_path, capsys):
    import json

    from deeprg.cli import main
    from deeprg.data import read_dataset

    out = tmp_path / "a.h5"
    with pytest.raises(SystemExit) as info:
        main(
            [
                "sample",
                "ising2d",
                "--L",
                "8",
                "--K",
                "0.3",
                "--n",
                "3",
                "--seed",
                "1",
                "--out",
                str(out),
                "--json",
            ]
        )
    summary = json.loads(capsys.readouterr().out)
    assert info.value.code == 0 and summary["algorithm"] == "msc-metropolis" and summary["n_samples"] == 3
    assert "multi-spin" in summary["algorithm_reason"]
    attrs = read_dataset(out).attrs
    assert attrs["algorithm_requested"] == "auto" and attrs["warning"] == "" and attrs["independent"]


def test_cluster_pilot_configurations_become_exact_samples():
    """A Wolff pilot in equilibrium is the start of production: the reused samples (every
    thin-th pilot configuration after 20 tau of burn-in) and the ones drawn after it both
    follow the exact distribution, and the chain goes on without a gap in its stream."""
    from deeprg.sampling._validate import chi_square_of_samples

    lattice = SquareLattice(4)
    g = generate_samples(lattice, K_CRITICAL, 3000, seed=5)
    reused = g.attrs["pilot_samples_reused_per_chain"]
    assert g.attrs["algorithm"] == "wolff" and 0 < reused < 3000 // g.attrs["n_chains"]
    t = np.arange(g.chain.size) - np.searchsorted(g.chain, g.chain)  # time index within a chain
    assert chi_square_of_samples(g.configs[t < reused], lattice, K_CRITICAL) > ALPHA
    assert chi_square_of_samples(g.configs[t >= reused], lattice, K_CRITICAL) > ALPHA
    g2 = generate_samples(lattice, K_CRITICAL, 3000, seed=5)
    np.testing.assert_array_equal(g.configs, g2.configs)


@pytest.mark.parametrize("L, M", [(4, 6), (16, 16), (8, 34), (2, 2), (2, 300)])
def test_msc_pack_and_bit_sliced_measurement_match_numpy(L, M):
    """pack/unpack are inverse, and the lane counters of the multi-spin-coded square kernel
    give every replica's bond sum and magnetization (checked on the stored configurations)."""
    from deeprg.sampling import _msc

    n = L * M
    rng = np.random.default_rng(L * M)
    spins = np.where(rng.random((64, n)) < 0.3, -1, 1).astype(np.int8)
    words = np.empty((1, n), dtype=np.uint64)
    _msc.pack(spins, words)
    ref = np.zeros(n, dtype=np.uint64)
    for b in range(64):
        ref |= (spins[b] < 0).astype(np.uint64) << np.uint64(b)
    assert np.array_equal(words[0], ref)
    back = np.empty_like(spins)
    _msc.unpack(words, back)
    assert np.array_equal(back, spins)
    p4, p8 = _msc.metropolis_thresholds(0.3)
    state = np.arange(1, 4 * _msc.N_LANES + 1, dtype=np.uint64).reshape(1, _msc.N_LANES, 4)
    cfg, bond, mag = _outputs(64, 3, n, True)
    _msc.msc_square_run(words, L, M, p4, p8, state, 3, 1, True, cfg, bond, mag)
    c = cfg.reshape(64, 3, L, M).astype(np.int64)
    assert np.array_equal(bond, (c * np.roll(c, -1, 3) + c * np.roll(c, -1, 2)).sum((2, 3)))
    assert np.array_equal(mag, c.sum((2, 3)))


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2), (4, 6), (7, 5), (16, 16)], ids=str)
def test_wolff_torus_kernel_is_the_table_kernel_bit_for_bit(shape):
    """The index-arithmetic Wolff kernel visits neighbours in the table's order with the same
    random words: identical configurations, traces, flip counts and random states."""
    from deeprg.sampling._rng import seed_streams
    from deeprg.sampling._sampler import _tables

    tables = _tables(SquareLattice(*shape))
    n, chains = tables.n, 3
    start = np.zeros((chains, n + 1), dtype=np.int8)
    start[:, :n] = np.where(np.random.default_rng(4).random((chains, n)) < 0.5, 1, -1)
    results = []
    for kernel in ("table", "torus"):
        spins, rng = start.copy(), seed_streams(11, chains)
        out = []
        for n_samples, thin, clusters, max_flips in ((1, 50, 1, 7 * n), (40, 3, 2, 0)):
            cfg, bond, mag = _outputs(chains, n_samples, n, True)
            flipped = np.zeros(chains, dtype=np.int64)
            args = (
                K_CRITICAL * 1.1,
                clusters,
                rng,
                n_samples,
                thin,
                True,
                cfg,
                bond,
                mag,
                flipped,
                max_flips,
            )
            torus = (0, 0) if kernel == "table" else shape
            _kernels.wolff_run(spins, tables.nbr32, *torus, -np.expm1(-2 * args[0]), *args[1:])
            out += [cfg, bond, mag, flipped]
        results.append((out, spins, rng))
    (a, spins_a, rng_a), (b, spins_b, rng_b) = results
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert np.array_equal(spins_a, spins_b) and np.array_equal(rng_a, rng_b)
    assert a[3].sum() > 0 and np.unique(a[0]).size == 2  # clusters were flipped, configurations stored


def test_wolff_on_open_lattices_uses_the_table_kernel():
    sampler = IsingSampler(SquareLattice(3, periodic=False), 0.4, rule="wolff", n_chains=64)
    assert chi_square_test(sampler, what="state", n_samples=400, thin=10).combined_p > ALPHA


_U64 = (1 << 64) - 1


def _xoshiropp_py(s):
    """xoshiro256++ (Blackman & Vigna 2018) on Python ints: returns the output, updates s."""
    s0, s1, s2, s3 = s
    x = (s0 + s3) & _U64
    out = ((((x << 23) | (x >> 41)) & _U64) + s0) & _U64
    t = (s1 << 17) & _U64
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s[:] = [s0, s1, s2, ((s3 << 45) | (s3 >> 19)) & _U64]
    return out


def _msc_square_reference(words, L, M, K, streams, sweeps, n_fixed, n_lanes):
    """Replica by replica, site by site: the chain msc_square_run must produce. Colour c, row r
    updates columns 2k + (r + c) mod 2 and site k draws from stream k mod n_lanes: n_fixed words,
    then more while a replica is undecided. Replica b flips with n_anti >= 3, on bit b of the
    first word with n_anti = 2, and with n_anti <= 1 iff its uniform 0.u_1 u_2 ... (u_j = bit b
    of word j) is below e^{-4K} or e^{-8K}, decided at the first bit that differs."""
    from deeprg.sampling._msc import metropolis_thresholds

    p4, p8 = metropolis_thresholds(K)
    pbits = {1: p4 != 0, 0: p8 != 0}
    n_bits = len(pbits[0])
    w = [int(x) for x in words]
    for _ in range(sweeps):
        for colour in range(2):
            for r in range(L):
                for k in range(M // 2):
                    q = 2 * k + ((r + colour) & 1)
                    s = w[r * M + q]
                    nbrs = (
                        w[r * M + (q - 1) % M],
                        w[r * M + (q + 1) % M],
                        w[((r - 1) % L) * M + q],
                        w[((r + 1) % L) * M + q],
                    )
                    stream = streams[k % n_lanes]
                    drawn = [_xoshiropp_py(stream) for _ in range(n_fixed)]
                    flip = 0
                    for b in range(64):
                        n_anti = sum(((s ^ nb) >> b) & 1 for nb in nbrs)
                        if n_anti >= 3 or (n_anti == 2 and (drawn[0] >> b) & 1):
                            flip |= 1 << b
                        elif n_anti <= 1:
                            for j in range(n_bits):
                                if j == len(drawn):
                                    drawn.append(_xoshiropp_py(stream))
                                u = (drawn[j] >> b) & 1
                                if u != pbits[n_anti][j]:
                                    flip |= (1 - u) << b  # U < p: p has the 1 where they differ
                                    break
                    w[r * M + q] = s ^ flip
    return np.array(w, dtype=np.uint64)


@pytest.mark.parametrize(
    "L, M, K",
    [(4, 34, 0.3), (2, 6, 0.3), (2, 2, 2.0), (4, 2, 0.3), (2, 18, 1.5), (4, 16, K_CRITICAL), (6, 4, 5e-4)],
)
def test_msc_square_vector_kernel_matches_a_replica_by_replica_reference(L, M, K):
    """The vectorised kernel (8-site blocks, streams in vector lanes, split rows with halos) is
    bit for bit the chain of the plain reference: full blocks, partial blocks, one site per
    half-row (M = 2), wrapped edges, strong and weak couplings (long and short threshold
    expansions, the scalar tail); and it does not depend on the number of threads."""
    import numba

    from deeprg.sampling import _msc

    n = L * M
    rng = np.random.default_rng(7)
    words = rng.integers(0, 2**63, size=(2, n), dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    streams = rng.integers(1, 2**63, size=(2, _msc.N_LANES, 4), dtype=np.uint64)
    p4, p8 = _msc.metropolis_thresholds(K)
    results = []
    before = numba.get_num_threads()
    try:
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            w, st = words.copy(), streams.copy()
            cfg, bond, mag = _outputs(128, 1, n, False)
            _msc.msc_square_run(w, L, M, p4, p8, st, 1, 2, False, cfg, bond, mag)
            results.append((w, st))
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    py_streams = [[int(x) for x in row] for row in streams[1]]
    ref = _msc_square_reference(words[1], L, M, K, py_streams, 2, _msc._N_FIXED_LANES, _msc.N_LANES)
    np.testing.assert_array_equal(results[0][0][1], ref)
    assert [[int(x) for x in row] for row in results[0][1][1]] == py_streams


def test_threshold_masks_are_the_exact_binary_expansion():
    from fractions import Fraction

    from deeprg.sampling._msc import metropolis_thresholds, threshold_masks

    for p in (np.exp(-4 * K_CRITICAL), np.exp(-8 * 2.0), 0.5, 0.0):
        bits = threshold_masks(p)
        assert set(bits.tolist()) <= {0, 2**64 - 1}
        value = sum(Fraction(1, 2 ** (int(j) + 1)) for j in np.flatnonzero(bits))
        assert value == Fraction(float(p))
    p4, p8 = metropolis_thresholds(2.0)
    assert p4.shape == p8.shape and p8.size > 53


@pytest.mark.parametrize("L, K", [(64, 0.4), (64, K_CRITICAL)])
def test_multi_spin_coding_against_kaufman_at_L64(L, K):
    """The vector path with full 8-site blocks (32 columns per colour and row) against Kaufman's
    exact finite-torus energy and specific heat (Kaufman 1949)."""
    sampler = IsingSampler(SquareLattice(L), K, rule="msc-metropolis", n_chains=64)
    state = sampler.burn_in(sampler.init_state(3, start="up"), 300)
    trace, _ = sampler.trace(state, 1200)
    obs = ising_observables(trace.bond_sum, trace.magnetization, L * L, K)
    ref = kaufman_thermo(L, K)
    assert abs(obs["energy_per_site"]["value"] - ref.energy_per_site) < 4 * obs["energy_per_site"]["error"]
    assert abs(obs["specific_heat"]["value"] - ref.specific_heat_per_site) < 4 * obs["specific_heat"]["error"]
