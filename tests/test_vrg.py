import json
import math

import numpy as np
import pytest
import torch

from deeprg.cli import main
from deeprg.errors import InputError, TooLargeError
from deeprg.models import ising_chain, ising_square
from deeprg.nn import RBM
from deeprg.vrg import (
    RGMapping,
    bond_rbm,
    decimation_operator,
    exact_k_prime,
    layer_locality,
    locality,
    receptive_fields,
)


@pytest.mark.parametrize("K", [0.2, 0.7, 1.3])
def test_exact_1d_decimation_mapping(K):
    m = decimation_operator(12, K, J=20.0)
    d = m.defect()
    assert d.max_abs < 1e-10 and d.kl < 1e-12
    couplings = m.renormalized_couplings()
    ring = {tuple(sorted((j, (j + 1) % 6))) for j in range(6)}
    for pair in ring:
        assert couplings[pair] == pytest.approx(exact_k_prime(K), abs=1e-10)
    assert all(abs(v) < 1e-10 for k, v in couplings.items() if k and k not in ring)
    assert abs(m.delta_f) < 1e-10 and m.log_z == pytest.approx(m.log_z_rg, abs=1e-10)


@pytest.mark.parametrize("K", [0.3, 0.9])
def test_bond_rbm_reproduces_the_chain(K):
    rbm = bond_rbm(10, K)
    m = RGMapping.from_rbm(ising_chain(10, K), rbm)
    d = m.defect()
    assert d.spread < 1e-10 and d.kl < 1e-12  # H^RBM(v) = H(v) + const
    # Z^RG = Z up to the constant: Delta F = -D
    assert m.delta_f == pytest.approx(-d.log_trace[0], abs=1e-10)
    # H^RG(h) = H^RBM(h): the hidden free energy of the RBM
    with torch.no_grad():
        f_h = rbm.free_energy_hidden(torch.tensor(m.hidden_states)).numpy()
    np.testing.assert_allclose(m.renormalized_energies, f_h, atol=1e-10)


def test_perturbed_rbm_has_a_positive_defect():
    rbm = bond_rbm(8, 0.6)
    with torch.no_grad():
        rbm.W[0, 3] += 0.3
    d = RGMapping.from_rbm(ising_chain(8, 0.6), rbm).defect()
    assert d.kl > 1e-4 and d.spread > 1e-3


def test_variational_rg_identity_z_rg_equals_z_when_exact():
    # any T with Tr_h e^T = 1: a random normalised conditional over 2 hidden spins
    ham = ising_square(3, 0.4)
    rng = np.random.default_rng(0)
    table = rng.normal(size=(2**9, 4))
    table -= np.log(np.exp(table).sum(1, keepdims=True))

    from deeprg.exact import state_index

    def log_t(v, h):
        return table[state_index(v), state_index(h)]

    m = RGMapping(ham, 2, log_t)
    assert m.defect().max_abs < 1e-12 and abs(m.delta_f) < 1e-12


def test_mapping_limits():
    with pytest.raises(TooLargeError):
        RGMapping(ising_chain(22, 0.3), 4, lambda v, h: 0)
    with pytest.raises(InputError, match="spin"):
        RGMapping.from_rbm(ising_chain(6, 0.3), RBM(6, 3))


def test_locality_scores_local_fields_high_and_random_fields_low():
    L = 16
    local = np.zeros((L * L, 16))
    for j in range(16):  # each unit sees one 4x4 block
        r0, c0 = (j // 4) * 4, (j % 4) * 4
        for r in range(r0, r0 + 4):
            for c in range(c0, c0 + 4):
                local[r * L + c, j] = 1.0
    rand = np.random.default_rng(0).normal(size=(L * L, 16))
    hi = layer_locality(local, (L, L), 4.0)
    lo = layer_locality(rand, (L, L), 4.0)
    assert hi["mean_mass_within"] > 0.95 and lo["mean_mass_within"] < 0.35
    assert lo["mean_mass_within"] == pytest.approx(lo["uniform_baseline"], abs=0.1)
    # wrap-around: a block straddling the boundary is still local
    f = np.zeros((L, L))
    f[[0, 0, L - 1, L - 1], [0, L - 1, 0, L - 1]] = 1.0
    assert locality(f, 1.5)["mass_within"] == 1.0


def test_receptive_fields_multiply_down():
    W1, W2 = np.ones((4, 3)), np.ones((3, 2))
    f = receptive_fields([W1, W2])
    assert f[0].shape == (4, 3) and f[1].shape == (4, 2) and f[1][0, 0] == 3


def test_vrg_cli(capsys):
    with pytest.raises(SystemExit) as info:
        main(["vrg", "decimation1d", "--K", "0.8", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert info.value.code == 0 and out["K_prime"] == pytest.approx(
        math.atanh(math.tanh(0.8) ** 2), abs=1e-10
    )
    assert out["defect_max_abs"] < 1e-10
    with pytest.raises(SystemExit) as info:
        main(["vrg", "decimation1d", "--K", "0.8", "--n", "7"])
    assert info.value.code == 2


def test_vrg_analyze_cli(tmp_path, capsys):
    from deeprg.data import write_dataset
    from deeprg.nn import DBN, save_model

    configs = np.random.default_rng(0).choice(np.array([-1, 1], dtype=np.int8), size=(200, 8, 8))
    write_dataset(
        tmp_path / "d.h5", configs, {"model": "ising2d", "K": 0.4, "h": 0.0, "algorithm": "x", "seed": 0}
    )
    save_model(DBN.from_sizes([64, 16, 4]), tmp_path / "m")
    with pytest.raises(SystemExit) as info:
        main(["vrg", "analyze", str(tmp_path / "m"), str(tmp_path / "d.h5"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert info.value.code == 0 and len(out["layers"]) == 2 and "coupling_flow" in out["layers"][0]


def test_sampling_estimate_of_the_mapping_matches_enumeration():
    """On a 4x4 torus the sampled KL agrees with exact enumeration (Delta F, which depends on
    the RBM's normalisation convention, is no longer estimated)."""

    from deeprg.lattice import SquareLattice
    from deeprg.sampling import ExactSampler
    from deeprg.vrg import estimate_ising_mapping

    K = 0.35
    rbm = RBM(16, 6, visible="spin", hidden="spin", dtype=torch.float64, seed=3)
    with torch.no_grad():
        rbm.W.mul_(30.0)
    configs = ExactSampler(SquareLattice(4), K=K).sample(20000, seed=1)
    est = estimate_ising_mapping(rbm, configs, K)
    exact = RGMapping.from_rbm(ising_square(4, K), rbm)
    assert "delta_f" not in est
    d = exact.defect()
    assert abs(est["kl"] - d.kl) < 4 * est["kl_error"] + 0.02
