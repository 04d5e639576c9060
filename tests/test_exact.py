import math

import mpmath
import numpy as np
import pytest

from deeprg.errors import InputError, TooLargeError
from deeprg.exact import (
    K_CRITICAL,
    Enumeration,
    chain_correlation,
    chain_log_z,
    chain_thermo,
    hamiltonian_from_energies,
    inverse_walsh_hadamard,
    kaufman_log_z_and_derivatives,
    kaufman_thermo,
    onsager_energy_per_site,
    onsager_log_z_per_site,
    onsager_magnetization,
    onsager_specific_heat_per_site,
    open_chain_correlation,
    spin_product_expansion,
    state_index,
    state_spins,
    walsh_hadamard,
)
from deeprg.models import SpinHamiltonian, ising_chain, ising_square

# Ferdinand & Fisher (1969) values at K_c: L -> (ln Z/N, u, c)
FERDINAND_FISHER = {
    4: (0.970119716172, -1.565623787638, 0.783266825929),
    8: (0.939715324829, -1.491589107440, 1.145559239894),
    16: (0.932196314981, -1.453064852813, 1.498704959400),
    32: (0.930320390184, -1.433658466146, 1.846767590040),
    64: (0.929851631694, -1.423938389833, 2.192211393141),
}


# --- Kaufman --------------------------------------------------------------------------------
@pytest.mark.parametrize("L,M", [(3, 3), (4, 4), (3, 5), (4, 5), (2, 2), (2, 3)])
@pytest.mark.parametrize("K", [0.1, 0.3, K_CRITICAL, 0.5, 1.2])
def test_kaufman_equals_enumeration(L, M, K):
    en = Enumeration.of(ising_square(L, K, M=M)).moments()
    t = kaufman_thermo(L, K, M)
    N = L * M
    assert t.log_z == pytest.approx(en["log_z"], rel=1e-10, abs=1e-10)
    assert t.energy_per_site == pytest.approx(en["mean_energy"] / (K * N), rel=1e-10, abs=1e-10)
    assert t.specific_heat_per_site == pytest.approx(en["var_energy"] / N, rel=1e-10, abs=1e-10)


@pytest.mark.parametrize("L", sorted(FERDINAND_FISHER))
def test_kaufman_reproduces_ferdinand_fisher_table(L):
    t = kaufman_thermo(L, K_CRITICAL)
    f, u, c = FERDINAND_FISHER[L]
    assert t.log_z_per_site == pytest.approx(f, rel=1e-9)
    assert t.energy_per_site == pytest.approx(u, rel=1e-9)
    assert t.specific_heat_per_site == pytest.approx(c, rel=1e-9)


def _kaufman_mpmath(m, n, K):
    """Kaufman's ln Z in 40-digit arithmetic, the direct product formula (independent code)."""
    K = mpmath.mpf(K)
    C = mpmath.cosh(2 * K) * mpmath.coth(2 * K)

    def gamma(q):
        if q == 0:
            return 2 * K + mpmath.log(mpmath.tanh(K))
        return mpmath.acosh(C - mpmath.cos(mpmath.pi * q / n))

    odd = [gamma(2 * r + 1) for r in range(n)]
    even = [gamma(2 * r) for r in range(n)]
    y1 = mpmath.fprod(2 * mpmath.cosh(m * g / 2) for g in odd)
    y2 = mpmath.fprod(2 * mpmath.sinh(m * g / 2) for g in odd)
    y3 = mpmath.fprod(2 * mpmath.cosh(m * g / 2) for g in even)
    y4 = mpmath.fprod(2 * mpmath.sinh(m * g / 2) for g in even)
    return mpmath.log((2 * mpmath.sinh(2 * K)) ** (m * n / 2) * (y1 + y2 + y3 + y4) / 2)


@pytest.mark.parametrize("L,K", [(256, K_CRITICAL), (256, 0.41), (128, 0.47), (96, 0.2)])
def test_kaufman_derivatives_match_high_precision_to_1e9(L, K):
    with mpmath.workdps(40):
        ref_u = -mpmath.diff(lambda k: _kaufman_mpmath(L, L, k), K) / L**2
        ref_c = K**2 * mpmath.diff(lambda k: _kaufman_mpmath(L, L, k), K, 2) / L**2
        ref_lz = _kaufman_mpmath(L, L, K)
    lz, d1, d2 = kaufman_log_z_and_derivatives(L, K)
    assert lz == pytest.approx(float(ref_lz), rel=1e-12)
    assert -d1 / L**2 == pytest.approx(float(ref_u), rel=1e-9)
    assert K**2 * d2 / L**2 == pytest.approx(float(ref_c), rel=1e-9)


def test_kaufman_approaches_onsager():
    for K in (0.3, 0.6):  # away from K_c the approach is exponentially fast
        t = kaufman_thermo(64, K)
        # below T_c the torus has two ordered states: ln Z = N f + ln 2 up to O(e^-L)
        degeneracy = math.log(2) if K > K_CRITICAL else 0.0
        assert (t.log_z - degeneracy) / 64**2 == pytest.approx(onsager_log_z_per_site(K), abs=1e-12)
        assert t.energy_per_site == pytest.approx(onsager_energy_per_site(K), abs=1e-9)
    # at K_c: u_L = -sqrt 2 - 0.6224/L and c_L = (8 K_c^2/pi) ln L + 0.138 asymptotically
    errors = []
    for L in (64, 128, 256):
        t = kaufman_thermo(L, K_CRITICAL)
        errors.append(abs(t.energy_per_site + math.sqrt(2) + 0.6224 / L) * L)
        assert t.specific_heat_per_site == pytest.approx(
            8 * K_CRITICAL**2 / math.pi * math.log(L) + 0.138, abs=0.01
        )
    assert max(errors) < 1e-4  # L * |u_L + sqrt 2 + 0.6224/L|: the next correction is O(1/L)


def test_kaufman_rejects_bad_input():
    with pytest.raises(InputError):
        kaufman_thermo(1, 0.4)
    with pytest.raises(InputError):
        kaufman_thermo(4, 0.0)
    with pytest.raises(InputError):
        kaufman_thermo(4, float("inf"))


# --- Onsager --------------------------------------------------------------------------------
def test_onsager_reference_values():
    assert onsager_energy_per_site(K_CRITICAL) == pytest.approx(-math.sqrt(2), rel=1e-14)
    assert onsager_log_z_per_site(K_CRITICAL) == pytest.approx(0.9296953983, abs=1e-10)
    catalan = 0.915965594177219015054603514932
    assert onsager_log_z_per_site(K_CRITICAL) == pytest.approx(
        0.5 * math.log(2) + 2 * catalan / math.pi, rel=1e-11
    )
    assert onsager_magnetization(0.5) == pytest.approx(0.911319, abs=1e-6)
    assert onsager_magnetization(0.4) == 0.0
    assert K_CRITICAL == pytest.approx(0.4406867935, abs=1e-10)


@pytest.mark.parametrize("K", [0.2, 0.35, 0.55, 0.8])
def test_onsager_derivatives_are_consistent(K):
    h = 1e-5
    u_num = -(onsager_log_z_per_site(K + h) - onsager_log_z_per_site(K - h)) / (2 * h)
    assert onsager_energy_per_site(K) == pytest.approx(u_num, rel=1e-7)
    c_num = -(K**2) * (onsager_energy_per_site(K + h) - onsager_energy_per_site(K - h)) / (2 * h)
    assert onsager_specific_heat_per_site(K) == pytest.approx(c_num, rel=1e-7)


# --- transfer matrix ------------------------------------------------------------------------
@pytest.mark.parametrize("n", [2, 3, 7, 12, 20])
@pytest.mark.parametrize("h", [0.0, 0.37, -0.8])
@pytest.mark.parametrize("periodic", [True, False])
def test_transfer_matrix_equals_enumeration(n, h, periodic):
    K = 0.63
    en = Enumeration.of(ising_chain(n, K, h, periodic=periodic)).moments()
    t = chain_thermo(n, K, h, periodic=periodic)
    assert t.log_z == pytest.approx(en["log_z"], rel=1e-12)
    assert t.magnetization == pytest.approx(en["mean_m"] / n, abs=1e-12)
    assert t.susceptibility_per_site == pytest.approx((en["mean_m2"] - en["mean_m"] ** 2) / n, rel=1e-9)
    # <beta H> = K <H> in units of J
    assert t.energy_per_site == pytest.approx(en["mean_energy"] / (K * n), rel=1e-11, abs=1e-12)
    assert t.specific_heat_per_site == pytest.approx(en["var_energy"] / n, rel=1e-9)


def test_open_chain_closed_form_and_infinite_limit():
    K, n = 0.8, 9
    assert chain_log_z(n, K, periodic=False) == pytest.approx(
        math.log(2) + (n - 1) * math.log(2 * math.cosh(K)), rel=1e-14
    )
    assert chain_log_z(None, K) == pytest.approx(math.log(2 * math.cosh(K)), rel=1e-14)
    assert chain_thermo(None, K).energy_per_site == pytest.approx(-math.tanh(K), rel=1e-13)


def test_antiferromagnetic_odd_ring_log_z():
    en = Enumeration.of(ising_chain(7, -0.9, 0.2))
    assert chain_log_z(7, -0.9, 0.2) == pytest.approx(en.log_z(), rel=1e-12)


def test_chain_correlations():
    K, n = 0.7, 12
    t = math.tanh(K)
    r = np.arange(n + 1)
    np.testing.assert_allclose(chain_correlation(n, K, r), (t**r + t ** (n - r)) / (1 + t**n), rtol=1e-12)
    np.testing.assert_allclose(chain_correlation(None, K, r), t**r, rtol=1e-12)
    # with a field, against enumeration
    h = 0.3
    en = Enumeration.of(ising_chain(n, K, h))
    p, s = en.probabilities(), state_spins(np.arange(1 << n), n).astype(float)
    for rr in (1, 3, 6):
        assert chain_correlation(n, K, rr, h) == pytest.approx(p @ (s[:, 0] * s[:, rr]), rel=1e-11)
    en_open = Enumeration.of(ising_chain(n, K, h, periodic=False))
    p = en_open.probabilities()
    assert open_chain_correlation(n, K, 2, 7, h) == pytest.approx(p @ (s[:, 2] * s[:, 7]), rel=1e-11)


# --- enumeration ----------------------------------------------------------------------------
def test_enumeration_energy_histogram_and_indexing():
    en = Enumeration.of(ising_square(3, 1.0))
    levels, degeneracy, prob = en.energy_histogram()
    assert degeneracy.sum() == 2**9 and prob.sum() == pytest.approx(1.0)
    assert levels[0] == -18.0 and degeneracy[0] == 2  # the two ground states
    s = state_spins(np.arange(512), 9)
    np.testing.assert_array_equal(state_index(s), np.arange(512))
    np.testing.assert_allclose(en.energies, ising_square(3, 1.0).energy(s), atol=1e-12)


def test_enumeration_general_k_body(rng):
    terms = {(0, 1, 2): 0.4, (2, 5): -0.3, (1,): 0.25, (0, 3, 4, 5): 0.15, (): 1.0}
    ham = SpinHamiltonian(6, terms)
    en = Enumeration.of(ham)
    np.testing.assert_allclose(en.energies, ham.energy(state_spins(np.arange(64), 6)), atol=1e-13)


def test_enumeration_refuses_too_many_spins():
    with pytest.raises(TooLargeError) as info:
        Enumeration.of(ising_square(5, 0.3))
    assert info.value.limit == 24 and info.value.size == 25


# --- Walsh-Hadamard -------------------------------------------------------------------------
@pytest.mark.parametrize("n", [1, 3, 8, 12])
def test_walsh_round_trip(n, rng):
    f = rng.normal(size=1 << n)
    np.testing.assert_allclose(inverse_walsh_hadamard(walsh_hadamard(f)), f, atol=1e-12)


def test_walsh_expansion_of_ising_energy_has_only_nn_couplings():
    ham = ising_square(3, 0.7, M=4)
    en = Enumeration.of(ham)
    coeffs = spin_product_expansion(en.energies, tol=1e-10)
    assert set(coeffs) == set(ham.terms)
    for key, c in coeffs.items():
        assert -c == pytest.approx(ham.terms[key], abs=1e-12)
    rebuilt = hamiltonian_from_energies(en.energies, tol=1e-12)
    assert rebuilt.terms.keys() == ham.terms.keys()


def test_walsh_recovers_random_k_body_couplings(rng):
    terms = {(0, 2, 5): 0.7, (1, 3): -0.2, (4,): 0.9, (0, 1, 2, 3, 4, 5): 0.05}
    ham = SpinHamiltonian(6, terms)
    c = spin_product_expansion(Enumeration.of(ham).energies, tol=1e-12)
    assert {k: -v for k, v in c.items()} == pytest.approx(terms)


def test_walsh_rejects_wrong_length():
    with pytest.raises(InputError, match="2\\^n"):
        walsh_hadamard(np.ones(6))
