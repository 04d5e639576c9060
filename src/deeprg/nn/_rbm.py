"""Restricted Boltzmann machines in torch.

Energy with optional centering offsets mu (visible) and lam (hidden) (Montavon & Mueller 2012):

    E(v, h) = -(v - mu)^T W (h - lam) - c^T v - b^T h,

units either binary {0, 1} or spins {-1, +1}. With a_j(v) = b_j + ((v - mu)^T W)_j the free
energy is

    F(v) = -c^T v + (v - mu)^T W lam - sum_j phi(a_j(v)),

phi = softplus for binary hidden units and ln 2cosh for spin hidden units, both evaluated
stably (Hinton 2012, "A practical guide to training RBMs"). p(v) = e^{-F(v)} / Z. Offsets of zero give the usual RBM.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as torch_f

from deeprg.errors import InputError

UNIT_TYPES = ("binary", "spin")


def log_2cosh(x: torch.Tensor) -> torch.Tensor:
    """ln(2 cosh x) without overflow: |x| + log1p(e^{-2|x|})."""
    ax = x.abs()
    return ax + torch.log1p(torch.exp(-2.0 * ax))


def phi(x: torch.Tensor, unit: str) -> torch.Tensor:
    """ln sum_{u} e^{u x} over one unit's values: softplus (binary) or ln 2cosh (spin)."""
    return torch_f.softplus(x) if unit == "binary" else log_2cosh(x)


def unit_mean(x: torch.Tensor, unit: str) -> torch.Tensor:
    """E[u] for input x: sigmoid(x) (binary) or tanh(x) (spin)."""
    return torch.sigmoid(x) if unit == "binary" else torch.tanh(x)


def unit_sample(x: torch.Tensor, unit: str, generator: torch.Generator | None) -> torch.Tensor:
    """Sample units with input x: P(u = 1) = sigmoid(x) (binary), P(u = +1) = sigmoid(2x) (spin)."""
    p = torch.sigmoid(x if unit == "binary" else 2.0 * x)
    u = (torch.rand(p.shape, generator=generator, device=p.device, dtype=p.dtype) < p).to(p.dtype)
    return u if unit == "binary" else 2.0 * u - 1.0


class RBM(nn.Module):
    """A restricted Boltzmann machine.

    Args:
        n_visible, n_hidden: layer sizes.
        visible, hidden: 'binary' ({0,1}) or 'spin' ({-1,+1}) units.
        dtype: torch.float32 or torch.float64. device: explicit device ('cpu', 'cuda').
        seed: seed of the initial weights (normal, std 0.01).

    Attributes (parameters): W (n_visible, n_hidden), vbias c (n_visible,), hbias b (n_hidden,);
    buffers v_offset mu (n_visible,) and h_offset lam (n_hidden,) (zero unless centred).
    """

    def __init__(
        self,
        n_visible: int,
        n_hidden: int,
        *,
        visible: str = "binary",
        hidden: str = "binary",
        dtype: torch.dtype = torch.float32,
        device: str | torch.device = "cpu",
        seed: int | None = 0,
        weight_std: float = 0.01,
    ):
        super().__init__()
        if n_visible < 1 or n_hidden < 1:
            raise InputError(f"layer sizes must be >= 1, got {n_visible} visible and {n_hidden} hidden")
        for name, unit in (("visible", visible), ("hidden", hidden)):
            if unit not in UNIT_TYPES:
                raise InputError(f"{name} units must be one of {UNIT_TYPES}, got {unit!r}")
        if dtype not in (torch.float32, torch.float64):
            raise InputError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
        self.visible, self.hidden = visible, hidden
        gen = torch.Generator().manual_seed(0 if seed is None else int(seed))
        W = torch.randn(n_visible, n_hidden, generator=gen, dtype=torch.float64) * weight_std
        self.W = nn.Parameter(W.to(dtype=dtype, device=device))
        self.vbias = nn.Parameter(torch.zeros(n_visible, dtype=dtype, device=device))
        self.hbias = nn.Parameter(torch.zeros(n_hidden, dtype=dtype, device=device))
        self.register_buffer("v_offset", torch.zeros(n_visible, dtype=dtype, device=device))
        self.register_buffer("h_offset", torch.zeros(n_hidden, dtype=dtype, device=device))

    # -- shapes -------------------------------------------------------------------------------
    @property
    def n_visible(self) -> int:
        return self.W.shape[0]

    @property
    def n_hidden(self) -> int:
        return self.W.shape[1]

    def config(self) -> dict:
        return {
            "n_visible": self.n_visible,
            "n_hidden": self.n_hidden,
            "visible": self.visible,
            "hidden": self.hidden,
            "dtype": str(self.W.dtype).replace("torch.", ""),
        }

    def extra_repr(self) -> str:
        centred = bool(self.v_offset.abs().sum() > 0 or self.h_offset.abs().sum() > 0)
        return (
            f"n_visible={self.n_visible}, n_hidden={self.n_hidden}, visible={self.visible!r}, "
            f"hidden={self.hidden!r}, dtype={self.config()['dtype']}, device={self.W.device}"
            + (", centred" if centred else "")
        )

    def forward(self, v) -> torch.Tensor:
        """The free energy F(v) of each row of v (n, n_visible), shape (n,): ``rbm(v)``.

        F is what training differentiates (ln p(v) = -F(v) - ln Z), so ``rbm(v).mean()`` is a
        loss whose autograd gradient is the data term of the log-likelihood gradient; use
        :meth:`hidden_mean` for features E[h | v].
        """
        return self.free_energy(v)

    def _as_tensor(self, v) -> torch.Tensor:
        v = torch.as_tensor(v)
        return v.to(dtype=self.W.dtype, device=self.W.device)

    # -- energies -----------------------------------------------------------------------------
    def hidden_input(self, v: torch.Tensor) -> torch.Tensor:
        """a(v) = b + (v - mu) W, shape (n, n_hidden)."""
        return self.hbias + (v - self.v_offset) @ self.W

    def visible_input(self, h: torch.Tensor) -> torch.Tensor:
        """a(h) = c + W (h - lam), shape (n, n_visible)."""
        return self.vbias + (h - self.h_offset) @ self.W.T

    def energy(self, v, h) -> torch.Tensor:
        """E(v, h), shape (n,)."""
        v, h = self._as_tensor(v), self._as_tensor(h)
        return (
            -(((v - self.v_offset) @ self.W) * (h - self.h_offset)).sum(-1) - v @ self.vbias - h @ self.hbias
        )

    def free_energy(self, v) -> torch.Tensor:
        """F(v) = -ln sum_h e^{-E(v,h)}, shape (n,)."""
        v = self._as_tensor(v)
        return (
            -v @ self.vbias
            + (v - self.v_offset) @ (self.W @ self.h_offset)
            - phi(self.hidden_input(v), self.hidden).sum(-1)
        )

    def free_energy_hidden(self, h) -> torch.Tensor:
        """F(h) = -ln sum_v e^{-E(v,h)}, shape (n,)."""
        h = self._as_tensor(h)
        return (
            -h @ self.hbias
            + (h - self.h_offset) @ (self.W.T @ self.v_offset)
            - phi(self.visible_input(h), self.visible).sum(-1)
        )

    # -- conditionals and sampling ---------------------------------------------------------------
    def hidden_mean(self, v) -> torch.Tensor:
        return unit_mean(self.hidden_input(self._as_tensor(v)), self.hidden)

    def visible_mean(self, h) -> torch.Tensor:
        return unit_mean(self.visible_input(self._as_tensor(h)), self.visible)

    def sample_hidden(self, v, generator=None, beta: float = 1.0) -> torch.Tensor:
        return unit_sample(beta * self.hidden_input(self._as_tensor(v)), self.hidden, generator)

    def sample_visible(self, h, generator=None, beta: float = 1.0) -> torch.Tensor:
        return unit_sample(beta * self.visible_input(self._as_tensor(h)), self.visible, generator)

    @torch.no_grad()
    def gibbs(self, v, steps: int = 1, generator=None, beta: float = 1.0) -> torch.Tensor:
        """``steps`` rounds of block Gibbs sampling v -> h -> v at inverse temperature beta."""
        v = self._as_tensor(v)
        for _ in range(steps):
            h = self.sample_hidden(v, generator, beta)
            v = self.sample_visible(h, generator, beta)
        return v

    @torch.no_grad()
    def reconstruct(self, v) -> torch.Tensor:
        """Mean-field reconstruction E[v | h = E[h | v]]."""
        return self.visible_mean(self.hidden_mean(v))

    def unit_values(self, layer: str) -> tuple[float, float]:
        unit = self.visible if layer == "visible" else self.hidden
        return (0.0, 1.0) if unit == "binary" else (-1.0, 1.0)

    def log_units(self) -> float:
        """ln 2: each unit has two states."""
        return math.log(2.0)
