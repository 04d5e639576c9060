import numpy as np
import pytest
import torch

from deeprg.errors import InputError
from deeprg.lattice import Chain, SquareLattice
from deeprg.models import SpinHamiltonian, ising_chain, ising_energy_2d, ising_square


def test_square_lattice_neighbours_and_bonds():
    lat = SquareLattice(3, 4)
    assert lat.n_sites == 12 and lat.bonds.shape == (24, 2)
    # site (1, 3): right wraps to (1, 0), down is (2, 3)
    i = lat.index(1, 3)
    assert lat.neighbors[i, 0] == lat.index(1, 0) and lat.neighbors[i, 1] == lat.index(2, 3)
    open_lat = SquareLattice(3, 4, periodic=False)
    assert open_lat.bonds.shape == (3 * 3 + 2 * 4, 2)
    assert open_lat.neighbors[open_lat.index(0, 0), 3] == -1


def test_periodic_distance_is_minimum_image():
    lat = SquareLattice(8)
    assert lat.distance(lat.index(0, 0), lat.index(0, 7)) == 1
    assert lat.distance(lat.index(0, 0), lat.index(4, 4)) == pytest.approx(np.hypot(4, 4))
    assert Chain(10).distance(0, 9) == 1 and Chain(10, periodic=False).distance(0, 9) == 9


def test_block_map_partitions_the_lattice():
    lat = SquareLattice(6)
    blocks = lat.block_map(2)
    assert blocks.shape == (9, 4)
    assert sorted(blocks.ravel().tolist()) == list(range(36))
    assert blocks[1].tolist() == [2, 3, 8, 9]
    with pytest.raises(InputError, match="divide"):
        lat.block_map(4)


def test_lattice_rejects_bad_sizes():
    with pytest.raises(InputError):
        SquareLattice(1)
    with pytest.raises(InputError):
        Chain(1)


def test_general_hamiltonian_matches_ising_energy(rng):
    L, K, h = 4, 0.37, 0.11
    ham = ising_square(L, K, h)
    s = rng.choice(np.array([-1, 1], dtype=np.int8), size=(50, L, L))
    np.testing.assert_allclose(ham.energy(s.reshape(50, -1)), ising_energy_2d(s, K, h), rtol=1e-13)


def test_general_hamiltonian_torch_equals_numpy(rng):
    ham = SpinHamiltonian(6, {(0, 1, 2): 0.5, (3,): -0.2, (1, 4): 1.1, (0, 2, 3, 5): 0.3, (): 0.7})
    s = rng.choice([-1, 1], size=(20, 6))
    np.testing.assert_allclose(
        ham.energy(torch.tensor(s, dtype=torch.float64)).numpy(), ham.energy(s), rtol=1e-14
    )


def test_binary_form_round_trip(rng):
    ham = SpinHamiltonian(5, {(0, 1, 2): 0.5, (3,): -0.2, (1, 4): 1.1, (): 0.3})
    x = rng.integers(0, 2, size=(30, 5))
    coeffs = ham.to_binary()
    direct = sum(c * np.prod(x[:, list(a)], axis=1) if a else c for a, c in coeffs.items())
    np.testing.assert_allclose(direct, ham.energy_binary(x), atol=1e-12)
    back = SpinHamiltonian.from_binary(5, coeffs)
    for key, value in ham.terms.items():
        assert back.terms[key] == pytest.approx(value)


def test_hamiltonian_rejects_bad_terms():
    with pytest.raises(InputError, match="repeats"):
        SpinHamiltonian(3, {(0, 0): 1.0})
    with pytest.raises(InputError, match="outside"):
        SpinHamiltonian(3, {(0, 3): 1.0})
    with pytest.raises(InputError, match="finite"):
        SpinHamiltonian(3, {(0, 1): float("nan")})


def test_small_tori_double_bonds_like_kaufman():
    assert ising_square(2, 1.0).terms[(0, 1)] == 2.0
    assert ising_chain(2, 1.0).terms[(0, 1)] == 2.0


def test_torus_centroids_are_circular_means():
    from deeprg.lattice import torus_centroids

    m = np.zeros((8, 6))
    m[7, 2] = m[0, 2] = 1.0  # straddles the row boundary: centroid at row 7.5, not 3.5
    r, c = torus_centroids(m)
    assert r == pytest.approx(7.5) and c == pytest.approx(2.0)
    assert tuple(torus_centroids(np.zeros((4, 4)))) == (0.0, 0.0)
    stack = np.stack([m, np.roll(m, 3, axis=1)], axis=-1)
    np.testing.assert_allclose(torus_centroids(stack), [[7.5, 2.0], [7.5, 5.0]])
