"""Decimation of the Ising chain written as variational RG and as an RBM (Mehta & Schwab 2014, arXiv:1410.3831, 1D example).

- ``decimation_operator``: T(v,h) = sum_j [J h_j v_{2j} - ln 2cosh J]. For every J,
  Tr_h e^T = 1 exactly (each factor sums to 1), so the RG is exact and Delta F = 0; as
  J -> infinity h_j = v_{2j} and H^RG(h) is the chain at K' = atanh(tanh^2 K) (corrections
  e^{-2J}). Then E(v,h) = -T + H(v) keeps H's visible couplings: an RBM-like layer.
- ``bond_rbm``: a genuine RBM, one hidden spin per bond coupled to its two visible spins with
  W = J = 1/2 acosh(e^{2K}); summing the hidden spin gives 2 cosh(J(v_i + v_{i+1})) =
  const * e^{K v_i v_{i+1}}, so H^RBM(v) = H(v) + const exactly.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from deeprg.errors import InputError
from deeprg.models import ising_chain
from deeprg.nn import RBM
from deeprg.vrg._mapping import RGMapping


def decimation_operator(n: int, K: float, J: float = 20.0) -> RGMapping:
    """The b = 2 decimation of a ring of n (even) spins as an exact variational RG mapping."""
    if n < 4 or n % 2:
        raise InputError(f"n must be an even number >= 4, got {n}")
    m = n // 2
    log2cosh = J + math.log1p(math.exp(-2 * J))

    def log_t(v, h):
        return J * np.sum(h * v[:, 0::2], axis=1) - m * log2cosh

    return RGMapping(ising_chain(n, K), m, log_t)


def bond_rbm(n: int, K: float) -> RBM:
    """An RBM with n visible spins (a ring) and n hidden spins, hidden j on bond (j, j+1),
    whose visible marginal is exactly the Ising chain at coupling K > 0."""
    if K <= 0:
        raise InputError(f"K must be > 0, got {K}")
    J = 0.5 * math.acosh(math.exp(2 * K))
    rbm = RBM(n, n, visible="spin", hidden="spin", dtype=torch.float64)
    W = torch.zeros(n, n, dtype=torch.float64)
    for j in range(n):
        W[j, j] = J
        W[(j + 1) % n, j] = J
    with torch.no_grad():
        rbm.W.copy_(W)
    return rbm


def exact_k_prime(K: float) -> float:
    return math.atanh(math.tanh(K) ** 2)
