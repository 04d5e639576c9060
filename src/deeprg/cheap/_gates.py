"""Multiplication gates of Lin, Tegmark & Rolnick (J. Stat. Phys. 168, 1223 (2017); seeds 000, 002).

Continuous gate, 4 hidden neurons: for a smooth activation sigma with sigma''(beta) != 0,

    m(u, v) = [sigma(beta + l(u+v)) + sigma(beta - l(u+v)) - sigma(beta + l(u-v)) - sigma(beta - l(u-v))]
              / (4 l^2 sigma''(beta)) = u v [1 + O(l^2 (u^2 + v^2))],

so the error falls as lambda^2 (l = lambda: inputs scaled by lambda, output by lambda^-2).

Binary gate: the product of k bits is prod_i y_i = lim_{beta -> inf} sigmoid(-beta (k - 1/2 - sum_i y_i)),
one neuron; its worst error over all 2^k inputs is sigmoid(-beta/2).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from deeprg.errors import InputError

ACTIVATIONS = ("sigmoid", "softplus", "tanh", "exp")
#: Default operating points with sigma''(beta) != 0 (sigmoid and tanh need a bias).
DEFAULT_BIAS = {"sigmoid": 1.0, "softplus": 0.0, "tanh": 0.5, "exp": 0.0}


def activation(name: str):
    """The activation function by name."""
    return _activation_fn(name)


def _activation_fn(name: str):
    if name == "sigmoid":
        return torch.sigmoid
    if name == "softplus":
        return torch.nn.functional.softplus
    if name == "tanh":
        return torch.tanh
    if name == "exp":
        return torch.exp
    raise InputError(f"unknown activation {name!r}; expected one of {ACTIVATIONS}")


def activation_derivative(name: str, beta: float, order: int) -> float:
    """d^order sigma / dx^order at beta, by repeated autograd in float64."""
    x = torch.tensor(float(beta), dtype=torch.float64, requires_grad=True)
    y = activation(name)(x)
    for _ in range(order):
        (y,) = torch.autograd.grad(y, x, create_graph=True)
    return float(y.detach())


class MultiplicationGate(nn.Module):
    """u * v from 4 hidden neurons with explicit, fixed weights.

    Args:
        lam: input scale lambda (> 0); smaller is more accurate (error ~ lambda^2).
        activation: 'sigmoid', 'softplus', 'tanh' or 'exp'. beta: operating point (bias).

    Forward: input (..., 2) -> output (...). ``hidden.weight`` (4, 2), ``hidden.bias`` (4,),
    ``output.weight`` (1, 4) hold the construction, so the module is an ordinary MLP.
    """

    n_neurons = 4
    n_synapses = 12  # 8 input weights + 4 output weights

    def __init__(
        self, lam: float = 0.01, activation: str = "sigmoid", beta: float | None = None, dtype=torch.float64
    ):
        super().__init__()
        if not lam > 0:
            raise InputError(f"lambda must be > 0, got {lam}")
        self.activation_name = activation
        self.act = _activation_fn(activation)
        beta = DEFAULT_BIAS[activation] if beta is None else float(beta)
        d2 = activation_derivative(activation, beta, 2)
        if abs(d2) < 1e-8:
            raise InputError(
                f"sigma''({beta}) = {d2:.2e} for {activation}: choose a bias where the second derivative is nonzero"
            )
        self.lam, self.beta, self.d2 = float(lam), beta, d2
        self.hidden = nn.Linear(2, 4, dtype=dtype)
        self.output = nn.Linear(4, 1, bias=False, dtype=dtype)
        with torch.no_grad():
            self.hidden.weight.copy_(
                lam * torch.tensor([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]], dtype=dtype)
            )
            self.hidden.bias.fill_(beta)
            self.output.weight.copy_(
                torch.tensor([[1.0, 1.0, -1.0, -1.0]], dtype=dtype) / (4.0 * lam * lam * d2)
            )
        for p in self.parameters():
            p.requires_grad_(False)

    def forward(self, uv: torch.Tensor) -> torch.Tensor:
        return self.output(self.act(self.hidden(uv))).squeeze(-1)


class BinaryProductGate(nn.Module):
    """The product of k bits y in {0,1}^k from one sigmoid neuron with gain beta.

    Forward: (..., k) -> (...), sigmoid(beta (sum y - k + 1/2)).
    """

    def __init__(self, k: int, beta: float = 40.0, dtype=torch.float64):
        super().__init__()
        if k < 1:
            raise InputError(f"k must be >= 1, got {k}")
        if not beta > 0:
            raise InputError(f"beta must be > 0, got {beta}")
        self.k, self.beta = int(k), float(beta)
        self.neuron = nn.Linear(k, 1, dtype=dtype)
        with torch.no_grad():
            self.neuron.weight.fill_(beta)
            self.neuron.bias.fill_(-beta * (k - 0.5))
        for p in self.parameters():
            p.requires_grad_(False)

    @property
    def n_neurons(self) -> int:
        return 1

    @property
    def n_synapses(self) -> int:
        return self.k + 1

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.neuron(y)).squeeze(-1)

    def worst_error_bound(self) -> float:
        """sigmoid(-beta/2): the largest deviation over all 2^k inputs."""
        return 1.0 / (1.0 + math.exp(self.beta / 2.0))


def multiplication_error(
    lam: float, activation: str = "sigmoid", *, beta: float | None = None, n: int = 2001, radius: float = 1.0
) -> float:
    """Max |m(u,v) - uv| over a grid of (u, v) in [-radius, radius]^2."""
    gate = MultiplicationGate(lam, activation, beta)
    g = torch.linspace(-radius, radius, int(math.sqrt(n)) + 1, dtype=torch.float64)
    u, v = torch.meshgrid(g, g, indexing="ij")
    uv = torch.stack([u.ravel(), v.ravel()], dim=1)
    return float((gate(uv) - uv[:, 0] * uv[:, 1]).abs().max())


def error_slope(
    activation: str = "sigmoid", lambdas=None, *, beta: float | None = None
) -> tuple[float, list[float], list[float]]:
    """Log-log slope of the gate error against lambda (theory: 2)."""
    import numpy as np

    lambdas = list(lambdas) if lambdas is not None else [0.2, 0.1, 0.05, 0.025, 0.0125]
    errors = [multiplication_error(lam, activation, beta=beta) for lam in lambdas]
    slope = float(np.polyfit(np.log(lambdas), np.log(errors), 1)[0])
    return slope, lambdas, errors


def binary_gate_error(k: int, beta: float) -> float:
    """Max |gate(y) - prod y| over all 2^k binary inputs."""
    gate = BinaryProductGate(k, beta)
    idx = torch.arange(2**k)
    y = ((idx[:, None] >> torch.arange(k)) & 1).to(torch.float64)
    return float((gate(y) - y.prod(dim=1)).abs().max())
