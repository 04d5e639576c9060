"""Depth versus width for the product of n inputs (Lin, Tegmark & Rolnick 2017; Rolnick &
Tegmark, ICLR 2018).

- deep: a binary tree of multiplication gates, n - 1 gates = 4(n - 1) neurons, depth ceil(log2 n);
- shallow: one hidden layer of 2^n neurons, one per sign vector s in {-1,1}^n:

      prod_i x_i ~ sum_s (prod_i s_i) sigma(beta + lambda s.x) / (2^n lambda^n sigma^(n)(beta)),

  exact as lambda -> 0 because sum_s prod(s) (s.x)^m vanishes for m < n and equals
  2^n n! prod x for m = n.
- the flattening costs C_n = N_shallow / N_deep and C_s = S_shallow / S_deep (Lin, Tegmark & Rolnick 2017, arXiv:1608.08225, sec. III).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch
from torch import nn

from deeprg.cheap._gates import activation, activation_derivative
from deeprg.cheap._polynomial import compile_polynomial
from deeprg.errors import InputError


class ShallowProduct(nn.Module):
    """prod of n inputs with one hidden layer of 2^n neurons (fixed weights)."""

    def __init__(self, n: int, lam: float = 0.05, act: str = "sigmoid", beta: float | None = None):
        super().__init__()
        if not 1 <= n <= 16:
            raise InputError(f"n must be between 1 and 16, got {n}")
        self.n = n
        self.act = activation(act)
        # choose an operating point with a sizeable n-th derivative
        if beta is None:
            grid = np.linspace(-2.5, 2.5, 51)
            beta = float(grid[np.argmax([abs(activation_derivative(act, b, n)) for b in grid])])
        dn = activation_derivative(act, beta, n)
        if abs(dn) < 1e-10:
            raise InputError(f"sigma^({n})({beta}) vanishes; pick another bias")
        signs = torch.tensor(list(itertools.product((-1.0, 1.0), repeat=n)), dtype=torch.float64)
        self.hidden = nn.Linear(n, 2**n, dtype=torch.float64)
        self.output = nn.Linear(2**n, 1, bias=False, dtype=torch.float64)
        with torch.no_grad():
            self.hidden.weight.copy_(lam * signs)
            self.hidden.bias.fill_(beta)
            self.output.weight.copy_(signs.prod(dim=1)[None, :] / (2**n * lam**n * dn))
        for p in self.parameters():
            p.requires_grad_(False)

    @property
    def n_neurons(self) -> int:
        return 2**self.n

    @property
    def n_synapses(self) -> int:
        return 2**self.n * (self.n + 1)

    def forward(self, x):
        return self.output(self.act(self.hidden(x))).squeeze(-1)


def deep_product(n: int, lam: float = 1e-3):
    """The binary-tree product of x0..x_{n-1} as a compiled network."""
    return compile_polynomial({tuple(range(n)): 1.0}, lam=lam)


def flattening_costs(n: int) -> dict:
    """Neuron and synapse counts of the deep and shallow constructions, and C_n, C_s."""
    deep = deep_product(n)
    gates = n - 1
    n_deep, s_deep = 4 * gates, 12 * gates  # hidden neurons and synapses of the gates
    n_shallow, s_shallow = 2**n, 2**n * (n + 1)
    return {
        "n": n,
        "deep_neurons": n_deep,
        "deep_synapses": s_deep,
        "deep_depth": deep.cost.depth,
        "shallow_neurons": n_shallow,
        "shallow_synapses": s_shallow,
        "C_n": n_shallow / n_deep if n_deep else math.inf,
        "C_s": s_shallow / s_deep if s_deep else math.inf,
    }


def train_product_mlp(
    n: int, widths, *, depth: int = 1, steps: int = 1500, n_train: int = 4096, seed: int = 0, lr: float = 3e-3
) -> list[float]:
    """Train MLPs (``depth`` hidden layers of the given width, tanh) on prod of n inputs in
    [-1, 1]^n and return the held-out RMS error for each width."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    x = torch.rand((n_train, n), generator=gen) * 2 - 1
    y = x.prod(dim=1, keepdim=True)
    xt = torch.rand((2048, n), generator=gen) * 2 - 1
    yt = xt.prod(dim=1, keepdim=True)
    errors = []
    for w in widths:
        layers, d_in = [], n
        for _ in range(depth):
            layers += [nn.Linear(d_in, w), nn.Tanh()]
            d_in = w
        net = nn.Sequential(*layers, nn.Linear(d_in, 1))
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        for _ in range(steps):
            opt.zero_grad()
            loss = ((net(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
        with torch.no_grad():
            errors.append(float(((net(xt) - yt) ** 2).mean().sqrt() / yt.std()))
    return errors
