"""The slow validation suite: ``pytest -m slow`` (``make test-slow``), not run by CI.

Each test prints the number it reached (run with ``-s`` to see them):
- Monte Carlo against Kaufman's exact finite-torus results on large lattices;
- honest error bars: the spread of means over 32 seeds against the reported errors for
  Metropolis at L = 32, K_c (the cheap CI variants are the AR(1) tests in test_stats.py);
- Swendsen MCRG at L = 64, K_c over several seeds against y_T = 1, y_h = 15/8;
- AIS on an RBM with 784 visible units against exact enumeration of its 20 hidden units.
"""

import inspect

import numpy as np
import pytest

from deeprg.exact import K_CRITICAL, kaufman_thermo
from deeprg.lattice import SquareLattice
from deeprg.sampling import IsingSampler, generate_samples
from deeprg.stats import chain_observables, ising_observables

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "L,K,rule,chains,sweeps",
    [
        (128, K_CRITICAL, "wolff", 4, 4000),
        (256, 0.40, "msc-metropolis", 128, 1500),
        (128, 0.38, "metropolis", 4, 3000),  # spatial multi-spin coding, 64 strips per word
        (128, 0.5, "sw", 2, 2000),
    ],
)
def test_large_lattice_energy_and_specific_heat_match_kaufman(L, K, rule, chains, sweeps):
    sampler = IsingSampler(SquareLattice(L), K, rule=rule, n_chains=chains)
    state = sampler.burn_in(sampler.init_state(1, start="up"), sweeps // 4)
    trace, _ = sampler.trace(state, sweeps)
    obs = ising_observables(trace.bond_sum, trace.magnetization, L * L, K)
    exact = kaufman_thermo(L, K)
    for key, ref in (
        ("energy_per_site", exact.energy_per_site),
        ("specific_heat", exact.specific_heat_per_site),
    ):
        value, err = obs[key]["value"], obs[key]["error"]
        z = (value - ref) / err
        print(f"\nL={L} K={K:.6f} {rule}: {key} = {value:.6f} +- {err:.6f}, Kaufman {ref:.6f}, z = {z:+.2f}")
        assert abs(z) < 4, (key, value, ref, err)


def test_reported_errors_match_the_spread_over_seeds_metropolis_at_kc():
    """1000 'independent' samples at L = 32, K_c with the automatic pilot and thinning."""
    L, n, seeds = 32, 1000, range(32)
    means = {"energy_per_site": [], "abs_magnetization": []}
    errors = {k: [] for k in means}
    for seed in seeds:
        g = generate_samples(SquareLattice(L), K_CRITICAL, n, algorithm="metropolis", seed=seed)
        obs = chain_observables(g.bond_sum, g.magnetization, g.chain, L * L, K_CRITICAL)
        for k in means:
            means[k].append(obs[k]["value"])
            errors[k].append(obs[k]["error"])
    for k in means:
        ratio = np.std(means[k], ddof=1) / np.mean(errors[k])
        print(f"\n{k}: spread of means / mean reported error = {ratio:.3f} over {len(seeds)} seeds")
        assert 0.8 < ratio < 1.2, (k, ratio)


def test_mcrg_exponents_at_l64_over_seeds():
    from deeprg.rg import EVEN_2D, ODD_2D, mcrg_exponents

    yT, yh, yT_err, yh_err = [], [], [], []
    for seed in (1, 2, 3):
        gen = generate_samples(SquareLattice(64), K_CRITICAL, 10000, algorithm="wolff", seed=seed)
        r = mcrg_exponents(gen.configs, levels=3, even=EVEN_2D, odd=ODD_2D, seed=seed)
        yT.append(r.y_T[:, -1])
        yh.append(r.y_h[:, -1])
        yT_err.append(r.y_T_err[:, -1])
        yh_err.append(r.y_h_err[:, -1])
    yT, yh = np.array(yT), np.array(yh)
    print(f"\ny_T per level (mean over seeds, all even operators): {np.round(yT.mean(0), 4)} (exact 1)")
    print(f"y_h per level (mean over seeds, all odd operators): {np.round(yh.mean(0), 4)} (exact 1.875)")
    print(
        f"scatter over seeds / jackknife error at level 1: y_T {yT[:, 0].std(ddof=1) / np.mean(yT_err, 0)[0]:.2f}, "
        f"y_h {yh[:, 0].std(ddof=1) / np.mean(yh_err, 0)[0]:.2f}"
    )
    assert 0.95 <= yT[:, 0].mean() <= 1.02
    assert abs(yh[:, 0].mean() - 1.875) <= 0.01
    assert abs(yT[:, -1].mean() - 1.0) <= 0.03


def test_ais_on_784_visible_units_matches_exact_enumeration_of_20_hidden():
    import torch

    from deeprg.nn import RBM, ais_log_z, exact_log_z

    rbm = RBM(784, 20, dtype=torch.float64, seed=3, weight_std=0.05)
    gen = torch.Generator().manual_seed(4)
    with torch.no_grad():
        rbm.vbias.copy_(0.5 * torch.randn(784, generator=gen, dtype=torch.float64))
        rbm.hbias.copy_(0.5 * torch.randn(20, generator=gen, dtype=torch.float64))
    data = (
        torch.rand(500, 784, generator=gen, dtype=torch.float64) < torch.sigmoid(rbm.vbias.detach())
    ).double()
    exact = exact_log_z(rbm)
    wanted = {"n_runs": 100, "n_betas": 10000, "seed": 0}
    accepted = inspect.signature(ais_log_z).parameters
    res = ais_log_z(rbm, data, **{k: v for k, v in wanted.items() if k in accepted})
    print(
        f"\nAIS ln Z = {res.log_z:.4f} [{res.log_z_low:.4f}, {res.log_z_high:.4f}] vs exact {exact:.4f} "
        f"(difference {res.log_z - exact:+.4f} nats over 784 + 20 units)"
    )
    assert abs(res.log_z - exact) < 0.1
