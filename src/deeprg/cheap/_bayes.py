"""The Boltzmann/softmax view of classification (Lin, Tegmark & Rolnick 2017, sec. II):

    p(x | y) = softmax_x(-H_x(y) - mu_x),  H_x(y) = -ln p(y | x),  mu_x = -ln p(x).

For Gaussian classes H_x is a quadratic polynomial in y, so the network is: multiplication
gates for the products y_i y_j, a linear layer for -H_x(y) - mu_x, and a softmax.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch
from torch import nn

from deeprg.cheap._gates import MultiplicationGate
from deeprg.errors import InputError


class GaussianSoftmaxClassifier(nn.Module):
    """Exact Bayes classifier for Gaussian classes, built from gates and a softmax.

    Args:
        means: (n_classes, d). covariances: (n_classes, d, d) positive definite.
        priors: (n_classes,) summing to 1. lam: gate scale.
    """

    def __init__(self, means, covariances, priors, *, lam: float = 1e-3):
        super().__init__()
        means = np.asarray(means, dtype=np.float64)
        covs = np.asarray(covariances, dtype=np.float64)
        priors = np.asarray(priors, dtype=np.float64)
        k, d = means.shape
        if covs.shape != (k, d, d) or priors.shape != (k,):
            raise InputError("means (k, d), covariances (k, d, d) and priors (k,) must agree")
        if np.any(priors <= 0) or abs(priors.sum() - 1) > 1e-9:
            raise InputError("priors must be positive and sum to 1")
        self.pairs = list(itertools.combinations_with_replacement(range(d), 2))
        self.gates = nn.ModuleList(MultiplicationGate(lam) for _ in self.pairs)
        # -H_x(y) - mu_x = -1/2 (y - m)^T P (y - m) - 1/2 ln det(2 pi S) + ln p(x), P = S^-1
        quad = np.zeros((k, len(self.pairs)))
        lin = np.zeros((k, d))
        const = np.zeros(k)
        for c in range(k):
            P = np.linalg.inv(covs[c])
            for j, (a, b) in enumerate(self.pairs):
                quad[c, j] = -0.5 * P[a, a] if a == b else -P[a, b]
            lin[c] = P @ means[c]
            sign, logdet = np.linalg.slogdet(2 * math.pi * covs[c])
            if sign <= 0:
                raise InputError(f"covariance of class {c} is not positive definite")
            const[c] = -0.5 * means[c] @ P @ means[c] - 0.5 * logdet + math.log(priors[c])
        self.register_buffer("quad", torch.tensor(quad))
        self.register_buffer("lin", torch.tensor(lin))
        self.register_buffer("const", torch.tensor(const))

    def logits(self, y: torch.Tensor) -> torch.Tensor:
        """-H_x(y) - mu_x for every class, (n, k)."""
        prods = torch.stack(
            [g(y[:, [a, b]]) for g, (a, b) in zip(self.gates, self.pairs, strict=True)], dim=1
        )
        return prods @ self.quad.T + y @ self.lin.T + self.const

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        """p(x | y), (n, k)."""
        return torch.softmax(self.logits(y), dim=1)
