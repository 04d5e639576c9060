"""The Ising sampler: an immutable configuration and a separate chain state.

    sampler = IsingSampler(SquareLattice(32), K=0.44, rule="wolff", n_chains=8)
    state = sampler.init_state(seed=1)
    state = sampler.burn_in(state, 500)
    configs, state = sampler.sample(state, 1000, thin=2)   # int8 (8, 1000, 32, 32)

Following NetKet's Sampler/SamplerState and emcee's Move/State split, the sampler holds no
mutable data and every call returns a new state; inputs are never modified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from deeprg.errors import InputError
from deeprg.lattice import Chain, SquareLattice
from deeprg.sampling._rng import seed_streams
from deeprg.sampling._rules import UpdateRule, get_rule
from deeprg.utils import check_finite, check_int


@dataclass(frozen=True)
class _Tables:
    """Lattice tables in kernel form (ghost site N for absent neighbours)."""

    n: int
    nbr: np.ndarray
    order: np.ndarray
    bonds: np.ndarray
    square: tuple[int, int] | None = None  # (L, M) for a periodic square lattice with even sides
    torus: tuple[int, int] | None = None  # (L, M) for any periodic square lattice

    @cached_property
    def nbr32(self) -> np.ndarray:
        """``nbr`` as int32: half the cache footprint for the Wolff kernel's random accesses."""
        return self.nbr.astype(np.int32)


def _tables(lattice) -> _Tables:
    n = lattice.n_sites
    nbr = lattice.neighbors.copy()
    nbr[nbr < 0] = n
    if isinstance(lattice, SquareLattice) and lattice.L % 2 == 0 and lattice.M % 2 == 0:
        parity = lattice.parity.ravel()
        order = np.concatenate([np.flatnonzero(parity == 0), np.flatnonzero(parity == 1)])
    elif isinstance(lattice, Chain) and lattice.n % 2 == 0:
        order = np.concatenate([np.arange(0, n, 2), np.arange(1, n, 2)])
    else:  # not bipartite: a sequential sweep is equally valid
        order = np.arange(n)
    torus = (lattice.L, lattice.M) if isinstance(lattice, SquareLattice) and lattice.periodic else None
    square = torus if torus is not None and lattice.L % 2 == 0 and lattice.M % 2 == 0 else None
    return _Tables(
        n,
        np.ascontiguousarray(nbr, dtype=np.int64),
        order.astype(np.int64),
        lattice.bonds.copy(),
        square,
        torus,
    )


@dataclass(frozen=True)
class SamplerState:
    """Chain state: spins int8 (n_chains, N) in {-1,+1}, per-chain RNG states, updates done,
    and the rule parameters fixed for this state (for example Wolff's clusters per step)."""

    spins: np.ndarray
    rng: np.ndarray
    sweeps: int = 0
    seed: int | None = None
    rule_params: tuple = ()

    def copy(self) -> SamplerState:
        return SamplerState(self.spins.copy(), self.rng.copy(), self.sweeps, self.seed, self.rule_params)


@dataclass(frozen=True)
class Trace:
    """Per-chain time series recorded every ``thin`` updates.

    Attributes:
        bond_sum: float64 (n_chains, n): sum_<ij> s_i s_j.
        magnetization: float64 (n_chains, n): sum_i s_i.
        n_sites: N.
    """

    bond_sum: np.ndarray
    magnetization: np.ndarray
    n_sites: int

    def energy_per_site(self, K: float, h: float = 0.0) -> np.ndarray:
        """<H>/N in units of J (beta = K): -(bond_sum + (h/K) M)/N."""
        return -(self.bond_sum + (h / K if K else 0.0) * self.magnetization) / self.n_sites


@dataclass(frozen=True)
class IsingSampler:
    """Monte Carlo sampler for the Ising model on a chain or square lattice.

    Args:
        lattice: :class:`~deeprg.lattice.Chain` or :class:`~deeprg.lattice.SquareLattice`.
        K: coupling beta J. h: field beta H (only for rules with ``supports_field``).
        rule: 'metropolis', 'heatbath', 'wolff', 'sw', or an :class:`UpdateRule`.
        n_chains: number of independent chains, each with its own random stream.
    """

    lattice: Chain | SquareLattice
    K: float
    h: float = 0.0
    rule: UpdateRule | str = "metropolis"
    n_chains: int = 1
    _tables_cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self):
        if not isinstance(self.lattice, Chain | SquareLattice):
            raise InputError(f"lattice must be a Chain or SquareLattice, got {type(self.lattice).__name__}")
        object.__setattr__(self, "K", check_finite(self.K, "K"))
        object.__setattr__(self, "h", check_finite(self.h, "h"))
        object.__setattr__(self, "rule", get_rule(self.rule))
        check_int(self.n_chains, "n_chains", minimum=1)
        if self.h != 0.0 and not self.rule.supports_field:
            raise InputError(
                f"the {self.rule.name} rule does not take a field (got h={self.h}); "
                "use metropolis or heatbath for h != 0"
            )
        if self.K <= 0.0 and self.rule.needs_positive_coupling:
            raise InputError(
                f"the {self.rule.name} rule needs a ferromagnetic coupling K > 0 (got K={self.K}); "
                "use metropolis or heatbath for K <= 0"
            )

    @cached_property
    def _tables(self) -> _Tables:
        return _tables(self.lattice)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.lattice.shape

    @property
    def n_sites(self) -> int:
        return self.lattice.n_sites

    def init_state(self, seed=None, *, start: str = "random") -> SamplerState:
        """A fresh state: 'random' (infinite temperature), 'up' or 'down' spins."""
        rng_streams = seed_streams(seed, self.n_chains + 1)
        init_rng = np.random.Generator(np.random.PCG64(rng_streams[-1]))
        n = self.n_sites
        if start == "random":
            spins = (2 * init_rng.integers(0, 2, size=(self.n_chains, n)) - 1).astype(np.int8)
        elif start in ("up", "down"):
            spins = np.full((self.n_chains, n), 1 if start == "up" else -1, dtype=np.int8)
        else:
            raise InputError(f"start must be 'random', 'up' or 'down', got {start!r}")
        return SamplerState(spins, np.ascontiguousarray(rng_streams[:-1]), 0, seed)

    def _check_state(self, state: SamplerState) -> None:
        if state.spins.shape != (self.n_chains, self.n_sites):
            raise InputError(
                f"state holds spins of shape {state.spins.shape}, expected {(self.n_chains, self.n_sites)}"
            )

    def _advance(self, state: SamplerState, n_samples: int, thin: int, store: bool):
        self._check_state(state)
        n_samples = check_int(n_samples, "n_samples", minimum=0)
        thin = check_int(thin, "thin", minimum=1)
        n = self.n_sites
        spins = np.zeros((self.n_chains, n + 1), dtype=np.int8)
        spins[:, :n] = state.spins
        rng = state.rng.copy()
        params = dict(state.rule_params)
        if not params:
            params = self.rule.prepare(spins, rng, self._tables, self.K, self.h)
        cfg, bond, mag = self.rule.run(
            spins, rng, self._tables, self.K, self.h, n_samples, thin, store, **params
        )
        new_state = SamplerState(
            np.ascontiguousarray(spins[:, :n]),
            rng,
            state.sweeps + n_samples * thin,
            state.seed,
            tuple(sorted(params.items())),
        )
        return cfg, Trace(bond, mag, n), new_state

    def burn_in(self, state: SamplerState, n_sweeps: int) -> SamplerState:
        """Advance every chain by ``n_sweeps`` updates without recording."""
        if n_sweeps <= 0:
            return state
        return self._advance(state, 1, n_sweeps, False)[2]

    def sample(
        self, state: SamplerState, n_samples: int, *, thin: int = 1
    ) -> tuple[np.ndarray, SamplerState]:
        """Draw ``n_samples`` configurations per chain, one every ``thin`` updates.

        Returns:
            (configs int8 (n_chains, n_samples, *lattice.shape), new state).
        """
        cfg, _, new_state = self._advance(state, n_samples, thin, True)
        return cfg.reshape(self.n_chains, -1, *self.shape), new_state

    def sample_with_trace(self, state: SamplerState, n_samples: int, *, thin: int = 1):
        """Like :meth:`sample`, also returning the :class:`Trace` of every recorded sample."""
        cfg, trace, new_state = self._advance(state, n_samples, thin, True)
        return cfg.reshape(self.n_chains, -1, *self.shape), trace, new_state

    def trace(self, state: SamplerState, n_samples: int, *, thin: int = 1) -> tuple[Trace, SamplerState]:
        """Record bond sum and magnetization every ``thin`` updates, without storing configs."""
        _, trace, new_state = self._advance(state, n_samples, thin, False)
        return trace, new_state
