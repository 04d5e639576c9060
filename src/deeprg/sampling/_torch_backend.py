"""Checkerboard Metropolis and heat bath in torch, for a batch of lattices on CPU or CUDA.

Same statistics as the numba kernels (checked by the same chi-square harness and against
Kaufman), designed for GPUs: every update is a whole-lattice tensor operation on one
checkerboard colour. Random numbers come from one torch.Generator per sampler on the device
(Philox on CUDA); each spin of each lattice gets its own number, so nothing is shared between
chains.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from deeprg.errors import InputError
from deeprg.lattice import Chain, SquareLattice
from deeprg.sampling._rules import UpdateRule, get_rule
from deeprg.sampling._sampler import Trace
from deeprg.utils import check_finite, check_int


def cuda_available() -> bool:
    """Whether torch sees a CUDA device."""
    return bool(torch.cuda.is_available())


@dataclass(frozen=True)
class TorchSamplerState:
    """spins: int8 tensor (n_chains, *shape) on the device; generator state; updates done."""

    spins: torch.Tensor
    generator_state: torch.Tensor
    sweeps: int = 0
    seed: int | None = None
    rule_params: tuple = ()


@dataclass(frozen=True)
class TorchIsingSampler:
    """Batched checkerboard sampler (rules: 'metropolis', 'heatbath') on periodic lattices
    with even sides. Interface as :class:`~deeprg.sampling.IsingSampler`, plus ``device`` and
    ``dtype`` (float32 by default; the arithmetic per update is exact in either)."""

    lattice: Chain | SquareLattice
    K: float
    h: float = 0.0
    rule: UpdateRule | str = "metropolis"
    n_chains: int = 1
    device: str = "cpu"
    dtype: torch.dtype = torch.float32
    _masks: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "K", check_finite(self.K, "K"))
        object.__setattr__(self, "h", check_finite(self.h, "h"))
        object.__setattr__(self, "rule", get_rule(self.rule))
        check_int(self.n_chains, "n_chains", minimum=1)
        if self.rule.name not in ("metropolis", "heatbath"):
            raise InputError(f"the torch backend runs 'metropolis' and 'heatbath', not {self.rule.name!r}")
        if not self.lattice.periodic or any(side % 2 for side in self.lattice.shape):
            raise InputError(
                f"the torch backend needs a periodic lattice with even sides, got {self.lattice}"
            )
        if str(self.device).startswith("cuda") and not cuda_available():
            raise InputError("device 'cuda' was asked for, but torch sees no CUDA device")

    @property
    def shape(self):
        return self.lattice.shape

    @property
    def n_sites(self) -> int:
        return self.lattice.n_sites

    def _colour_masks(self):
        if "m" not in self._masks:
            idx = torch.meshgrid(*[torch.arange(s) for s in self.shape], indexing="ij")
            parity = sum(idx) % 2
            self._masks["m"] = [(parity == c).to(self.device) for c in (0, 1)]
        return self._masks["m"]

    def init_state(self, seed=None, *, start: str = "random") -> TorchSamplerState:
        gen = torch.Generator(device=self.device)
        gen.manual_seed(
            int(np.random.SeedSequence(seed).generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
        )
        shape = (self.n_chains, *self.shape)
        if start == "random":
            spins = (2 * torch.randint(0, 2, shape, generator=gen, device=self.device) - 1).to(torch.int8)
        elif start in ("up", "down"):
            spins = torch.full(shape, 1 if start == "up" else -1, dtype=torch.int8, device=self.device)
        else:
            raise InputError(f"start must be 'random', 'up' or 'down', got {start!r}")
        return TorchSamplerState(spins, gen.get_state(), 0, seed)

    def _neighbour_sum(self, s):
        dims = tuple(range(1, s.ndim))
        total = torch.zeros_like(s)
        for d in dims:
            total += torch.roll(s, 1, d) + torch.roll(s, -1, d)
        return total

    def _measure(self, s):
        dims = tuple(range(1, s.ndim))
        bond = sum((s * torch.roll(s, 1, d)).sum(dim=dims) for d in dims)
        return bond.double(), s.sum(dim=dims).double()

    def _sweep(self, s, gen):
        # Random colour order per chain and sweep (see metropolis_run: a fixed order can make
        # zero-energy Metropolis dynamics reducible).
        m0, m1 = self._colour_masks()
        first = torch.rand((s.shape[0],) + (1,) * (s.ndim - 1), generator=gen, device=self.device) < 0.5
        for mask in (torch.where(first, m0, m1), torch.where(first, m1, m0)):
            nb = self._neighbour_sum(s)
            u = torch.rand(s.shape, generator=gen, device=self.device, dtype=self.dtype)
            if self.rule.name == "metropolis":
                dE = 2.0 * s * (self.K * nb + self.h)
                accept = torch.where(dE == 0, 0.5, torch.exp(-dE))  # see metropolis_acceptance
                flip = mask & (u < accept)
                s = torch.where(flip, -s, s)
            else:
                p_up = torch.sigmoid(2.0 * (self.K * nb + self.h))
                s = torch.where(mask, torch.where(u < p_up, 1.0, -1.0).to(s.dtype), s)
        return s

    def _advance(self, state: TorchSamplerState, n_samples: int, thin: int, store: bool):
        n_samples = check_int(n_samples, "n_samples", minimum=0)
        thin = check_int(thin, "thin", minimum=1)
        gen = torch.Generator(device=self.device)
        gen.set_state(state.generator_state)
        s = state.spins.to(self.dtype)
        cfgs, bonds, mags = [], [], []
        with torch.no_grad():
            for _ in range(n_samples):
                for _ in range(thin):
                    s = self._sweep(s, gen)
                b, m = self._measure(s)
                bonds.append(b)
                mags.append(m)
                if store:
                    cfgs.append(s.to(torch.int8).cpu())
        shape = (self.n_chains, 0, *self.shape)
        cfg = torch.stack(cfgs, 1).numpy() if cfgs else np.empty(shape, dtype=np.int8)
        bond = torch.stack(bonds, 1).cpu().numpy() if bonds else np.empty((self.n_chains, 0))
        mag = torch.stack(mags, 1).cpu().numpy() if mags else np.empty((self.n_chains, 0))
        new = TorchSamplerState(
            s.to(torch.int8), gen.get_state(), state.sweeps + n_samples * thin, state.seed
        )
        return cfg, Trace(bond, mag, self.n_sites), new

    def burn_in(self, state, n_sweeps: int):
        if n_sweeps <= 0:
            return state
        return self._advance(state, 1, n_sweeps, False)[2]

    def sample(self, state, n_samples: int, *, thin: int = 1):
        cfg, _, new = self._advance(state, n_samples, thin, True)
        return cfg, new

    def sample_with_trace(self, state, n_samples: int, *, thin: int = 1):
        return self._advance(state, n_samples, thin, True)

    def trace(self, state, n_samples: int, *, thin: int = 1):
        _, trace, new = self._advance(state, n_samples, thin, False)
        return trace, new
