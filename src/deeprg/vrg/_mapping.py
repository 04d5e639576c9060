"""The Kadanoff variational RG <-> RBM mapping, computed exactly for small systems
(Mehta & Schwab 2014, arXiv:1410.3831; Kadanoff, Houghton & Yalabik 1976).

Variational RG: e^{-H^RG(h)} = Tr_v e^{T(v,h) - H(v)}, exact (free energy preserved) iff
Tr_h e^{T(v,h)} = 1 for every v. With an RBM, T(v,h) = -E(v,h) + H(v); then
H^RG(h) = H^RBM(h) and the RG is exact iff H^RBM(v) = H(v) up to a constant.

:class:`RGMapping` enumerates every (v, h) pair (n_v <= 20, n_h <= 10 by default), for any
operator T given as a function, or for an RBM. States use deeprg's index convention (bit i
set <=> spin -1); RBM units must be spins (+-1) so that h is a spin configuration.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch
from scipy.special import logsumexp

from deeprg.errors import InputError, TooLargeError
from deeprg.exact import Enumeration, hamiltonian_from_energies, spin_product_expansion, state_spins
from deeprg.models import SpinHamiltonian

MAX_VISIBLE, MAX_HIDDEN = 20, 10


@dataclass(frozen=True)
class Defect:
    """How far Tr_h e^{T(v,h)} is from 1.

    Attributes:
        log_trace: float64 (2^n_v,): D(v) = ln Tr_h e^{T(v,h)} (0 everywhere iff exact).
        max_abs: max |D(v)|. spread: max D - min D (0 iff exact up to a constant).
        kl: KL(p_H || p_model) in nats, p_model(v) ~ e^{-H(v) + D(v)} (the RBM's visible
            marginal when T comes from an RBM); 0 iff exact up to a constant.
    """

    log_trace: np.ndarray
    max_abs: float
    spread: float
    kl: float


class RGMapping:
    """Exact variational-RG quantities for a Hamiltonian H(v) and an operator T(v, h).

    Args:
        hamiltonian: :class:`SpinHamiltonian` of the n_v visible spins.
        n_hidden: number of hidden spins.
        log_t: callable (v (m, n_v), h (m, n_h), float64 +-1) -> T(v, h) (m,).
    """

    def __init__(self, hamiltonian: SpinHamiltonian, n_hidden: int, log_t):
        self.H = hamiltonian
        self.n_v, self.n_h = hamiltonian.n_spins, int(n_hidden)
        if self.n_v > MAX_VISIBLE:
            raise TooLargeError(
                f"exact mapping needs <= {MAX_VISIBLE} visible spins, got {self.n_v}",
                size=self.n_v,
                limit=MAX_VISIBLE,
            )
        if not 1 <= self.n_h <= MAX_HIDDEN:
            raise TooLargeError(
                f"exact mapping needs 1..{MAX_HIDDEN} hidden spins, got {self.n_h}",
                size=self.n_h,
                limit=MAX_HIDDEN,
            )
        self.log_t = log_t

    @classmethod
    def from_rbm(cls, hamiltonian: SpinHamiltonian, rbm) -> RGMapping:
        """T(v,h) = -E(v,h) + H(v) for an RBM with spin units."""
        if rbm.visible != "spin" or rbm.hidden != "spin":
            raise InputError("the mapping needs an RBM with spin (+-1) visible and hidden units")
        if rbm.n_visible != hamiltonian.n_spins:
            raise InputError(f"the RBM has {rbm.n_visible} visible units, H has {hamiltonian.n_spins} spins")
        model = copy.deepcopy(rbm).double()

        def log_t(v, h):
            with torch.no_grad():
                e = model.energy(torch.as_tensor(v), torch.as_tensor(h)).numpy()
            return -e + hamiltonian.energy(v)

        return cls(hamiltonian, rbm.n_hidden, log_t)

    @cached_property
    def visible_states(self) -> np.ndarray:
        return state_spins(np.arange(1 << self.n_v), self.n_v).astype(np.float64)

    @cached_property
    def hidden_states(self) -> np.ndarray:
        return state_spins(np.arange(1 << self.n_h), self.n_h).astype(np.float64)

    @cached_property
    def T(self) -> np.ndarray:
        """T(v, h) for all pairs: float64 (2^n_v, 2^n_h)."""
        V, Hs = self.visible_states, self.hidden_states
        out = np.empty((V.shape[0], Hs.shape[0]))
        for j in range(Hs.shape[0]):
            out[:, j] = self.log_t(V, np.broadcast_to(Hs[j], (V.shape[0], self.n_h)).copy())
        return out

    @cached_property
    def H_v(self) -> np.ndarray:
        return Enumeration.of(self.H).energies

    @cached_property
    def log_z(self) -> float:
        """ln Z of H (the original system)."""
        return float(logsumexp(-self.H_v))

    def defect(self) -> Defect:
        """The exactness defect D(v) = ln Tr_h e^{T(v,h)} and its summaries."""
        D = logsumexp(self.T, axis=1)
        log_p_h = -self.H_v - self.log_z
        log_q = -self.H_v + D
        log_q = log_q - logsumexp(log_q)
        kl = float(np.sum(np.exp(log_p_h) * (log_p_h - log_q)))
        return Defect(D, float(np.max(np.abs(D))), float(np.ptp(D)), max(kl, 0.0))

    @cached_property
    def renormalized_energies(self) -> np.ndarray:
        """H^RG(h) = -ln Tr_v e^{T(v,h) - H(v)} for every hidden state, float64 (2^n_h,)."""
        return -logsumexp(self.T - self.H_v[:, None], axis=0)

    def renormalized_hamiltonian(self, *, tol: float = 0.0) -> SpinHamiltonian:
        """H^RG as a k-body spin Hamiltonian (Walsh-Hadamard), couplings K_A with |K_A| > tol."""
        return hamiltonian_from_energies(self.renormalized_energies, tol=tol)

    def renormalized_couplings(self, *, tol: float = 0.0) -> dict[tuple[int, ...], float]:
        """{sites: K_A} of H^RG = -sum K_A prod h (the constant () included)."""
        return {a: -c for a, c in spin_product_expansion(self.renormalized_energies, tol=tol).items()}

    @property
    def log_z_rg(self) -> float:
        """ln Z^RG = ln Tr_h e^{-H^RG(h)}."""
        return float(logsumexp(-self.renormalized_energies))

    @property
    def delta_f(self) -> float:
        """Delta F = F^RG - F = ln Z - ln Z^RG (zero when the defect vanishes)."""
        return self.log_z - self.log_z_rg

    def summary(self) -> dict:
        d = self.defect()
        return {
            "n_visible": self.n_v,
            "n_hidden": self.n_h,
            "defect_max_abs": d.max_abs,
            "defect_spread": d.spread,
            "defect_kl": d.kl,
            "log_z": self.log_z,
            "log_z_rg": self.log_z_rg,
            "delta_f": self.delta_f,
        }


def estimate_ising_mapping(
    rbm, configs, K: float, *, ais_runs: int = 100, ais_betas: int = 4000, seed: int = 0, model_samples=None
) -> dict:
    """KL(p_Ising || p_RBM) for a large square-lattice Ising model, by sampling.

    With equilibrium samples v ~ p_H of the L x L torus at coupling K (h = 0), Kaufman's exact
    ln Z and the RBM's ln Z_RBM (exact for a small layer, else forward AIS, and reverse AIS
    from ``model_samples`` when given):

        KL(p_H || p_RBM) = E_v[-H(v) - ln Z + F_RBM(v)] + ln Z_RBM.

    KL is gauge-invariant; Delta F = ln Z - ln Z_RBM is not reported, because adding k
    zero-weight hidden units leaves p_RBM unchanged and shifts it by -k ln 2. The RBM's
    visible units may be spins or bits (bits are mapped by (v + 1)/2).

    Returns:
        dict: ``kl`` (nats, whole lattice), ``kl_error`` (half the bracket width plus the
        sample error), ``kl_per_spin``, ``low``, ``high`` (per spin), ``method``.
    """
    from deeprg.vrg._chains import kl_per_spin

    s = np.asarray(configs)
    if s.ndim != 3 or s.shape[1] != s.shape[2]:
        raise InputError(f"configs must be (n, L, L) spins, got {s.shape}")
    L = s.shape[1]
    if model_samples is None and min(rbm.n_visible, rbm.n_hidden) > 20:
        raise InputError("a large RBM needs model_samples for the reverse-AIS bound of ln Z_RBM")
    res = kl_per_spin(
        rbm, s, K, model_samples=model_samples, ais_runs=ais_runs, ais_betas=ais_betas, seed=seed
    )
    N = L * L
    return {
        "kl": res["kl_per_spin"] * N,
        "kl_error": 0.5 * (res["high"] - res["low"]) * N,
        **res,
    }
