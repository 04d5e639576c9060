"""Pluggable update rules. Each rule is a small frozen object that knows which kernel to call.

A rule receives the chain state and lattice tables, performs ``n_samples * thin`` updates per
chain and returns what it measured. Rules that cannot take a field say so
(``supports_field = False``) and the sampler refuses h != 0 for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from deeprg.errors import InputError
from deeprg.sampling import _kernels


@dataclass(frozen=True)
class UpdateRule:
    """Base class. ``name`` is the CLI spelling; ``supports_field`` whether h != 0 is allowed."""

    name: ClassVar[str] = "base"
    supports_field: ClassVar[bool] = True
    #: whether the rule needs a ferromagnetic coupling K > 0 (the sampler refuses K <= 0)
    needs_positive_coupling: ClassVar[bool] = False
    #: "sweep" for local rules; Wolff's unit is a sweep-equivalent (>= N spins flipped).
    unit: ClassVar[str] = "sweep"

    def prepare(self, spins, rng, tables, K, h) -> dict:
        """Fix rule parameters once per chain state (may advance the chains, as burn-in)."""
        return {}

    def run(self, spins, rng, tables, K, h, n_samples, thin, store, **params):  # pragma: no cover
        raise NotImplementedError


def _outputs(n_chains, n_samples, n_sites, store):
    cfg = np.empty((n_chains, n_samples if store else 0, n_sites), dtype=np.int8)
    bond = np.empty((n_chains, n_samples), dtype=np.float64)
    mag = np.empty((n_chains, n_samples), dtype=np.float64)
    return cfg, bond, mag


def metropolis_acceptance(dE, zero_flip_probability: float = 0.5):
    """Acceptance min(1, e^{-dE}) for dE != 0 and ``zero_flip_probability`` for dE = 0.

    Accepting every zero-energy flip (the textbook choice, probability 1) makes sweeps in a
    fixed order non-ergodic: configurations in which every spin has zero local field cycle
    deterministically and are never entered or left (at h = 0 on rings, ladders and small
    tori the chi-square test then fails with p ~ 0). Any probability in (0, 1] keeps detailed
    balance; 1/2 restores ergodicity.
    """
    dE = np.asarray(dE, dtype=np.float64)
    return np.where(dE == 0.0, zero_flip_probability, np.minimum(1.0, np.exp(-dE)))


@dataclass(frozen=True)
class Metropolis(UpdateRule):
    """Single-spin-flip Metropolis from a lookup table, in checkerboard order.

    Attributes:
        zero_flip_probability: acceptance of flips that cost no energy (see
            :func:`metropolis_acceptance`; 1.0 is the textbook rule and is not ergodic).
        spatial_multispin: at h = 0, K > 0 on periodic lattices with even sides, update up to
            64 same-colour sites of a chain at once with bit logic (spatial multi-spin coding,
            Isakov et al., Comput. Phys. Commun. 192, 265 (2015)): the same Markov chain as
            the scalar checkerboard kernel, 5-10x faster. False forces the scalar kernel.
    """

    name: ClassVar[str] = "metropolis"
    zero_flip_probability: float = 0.5
    spatial_multispin: bool = True

    def run(self, spins, rng, tables, K, h, n_samples, thin, store, **params):
        if not 0.0 < self.zero_flip_probability <= 1.0:
            raise InputError(f"zero_flip_probability must be in (0, 1], got {self.zero_flip_probability}")
        if self.spatial_multispin and self.zero_flip_probability == 0.5 and h == 0.0 and K > 0.0:
            if tables.square is not None and _msc_strip_width(tables.square[1]):
                return _spatial_run(spins, rng, tables, K, n_samples, thin, store)
        z = tables.nbr.shape[1]
        nb = np.arange(-z, z + 1)
        accept = np.empty((2, 2 * z + 1))
        for row, s in enumerate((-1, 1)):
            accept[row] = metropolis_acceptance(2.0 * s * (K * nb + h), self.zero_flip_probability)
        cfg, bond, mag = _outputs(spins.shape[0], n_samples, tables.n, store)
        if tables.square is not None:  # periodic, even sides: the index-arithmetic kernel
            L, M = tables.square
            _kernels.metropolis_square_run(spins, L, M, accept, rng, n_samples, thin, store, cfg, bond, mag)
        else:
            _kernels.metropolis_run(
                spins, tables.nbr, tables.order, accept, rng, n_samples, thin, store, cfg, bond, mag
            )
        return cfg, bond, mag


@dataclass(frozen=True)
class HeatBath(UpdateRule):
    """Heat bath (Glauber): s_i = +1 with probability 1/(1 + e^{-2(K nb + h)})."""

    name: ClassVar[str] = "heatbath"

    def run(self, spins, rng, tables, K, h, n_samples, thin, store, **params):
        z = tables.nbr.shape[1]
        nb = np.arange(-z, z + 1)
        p_up = 1.0 / (1.0 + np.exp(-2.0 * (K * nb + h)))
        cfg, bond, mag = _outputs(spins.shape[0], n_samples, tables.n, store)
        _kernels.heatbath_run(
            spins, tables.nbr, tables.order, p_up, rng, n_samples, thin, store, cfg, bond, mag
        )
        return cfg, bond, mag


def _bond_probability(K: float) -> float:
    if K < 0:
        raise InputError(f"cluster updates need a ferromagnetic coupling K >= 0, got {K}")
    return -math.expm1(-2.0 * K)  # p = 1 - e^{-2K}


@dataclass(frozen=True)
class Wolff(UpdateRule):
    """Wolff single-cluster updates (h = 0 only).

    One step flips ``clusters_per_step`` clusters. By default that number is fixed once per
    chain state, before sampling, as round(N / <cluster size>) measured on 64 clusters per
    chain after >= 20 N spins per chain have been flipped by single clusters (this pilot is
    also burn-in), so one step is about one sweep-equivalent.
    It is never adapted while sampling: stopping after N flipped spins would bias the samples.

    Attributes:
        clusters_per_step: a fixed number of clusters per step (None: chosen by the pilot).
    """

    name: ClassVar[str] = "wolff"
    supports_field: ClassVar[bool] = False
    unit: ClassVar[str] = "sweep-equivalent"
    clusters_per_step: int | None = None

    def prepare(self, spins, rng, tables, K, h) -> dict:
        if self.clusters_per_step is not None:
            if self.clusters_per_step < 1:
                raise InputError(f"clusters_per_step must be >= 1, got {self.clusters_per_step}")
            return {"clusters": int(self.clusters_per_step)}
        n_chains, n = spins.shape[0], tables.n
        cfg, bond, mag = _outputs(n_chains, 1, n, False)
        p_add = _bond_probability(K)
        # Thermalize with single clusters until every chain has flipped >= 20 N spins in
        # all (cluster sizes from a hot start are far too small; each chain stops on its own,
        # which is burn-in, not sampling), then measure 64 clusters.
        flipped = np.zeros(n_chains, dtype=np.int64)
        _wolff(spins, tables, p_add, 1, rng, 1, 20 * n, False, cfg, bond, mag, flipped, 20 * n)
        flipped = np.zeros(n_chains, dtype=np.int64)
        _wolff(spins, tables, p_add, 1, rng, 1, 64, False, cfg, bond, mag, flipped, 0)
        mean_size = flipped.sum() / (64 * n_chains)
        return {"clusters": max(1, round(n / mean_size))}

    def run(self, spins, rng, tables, K, h, n_samples, thin, store, **params):
        cfg, bond, mag = _outputs(spins.shape[0], n_samples, tables.n, store)
        flipped = np.zeros(spins.shape[0], dtype=np.int64)
        p_add = _bond_probability(K)
        _wolff(
            spins, tables, p_add, params["clusters"], rng, n_samples, thin, store, cfg, bond, mag, flipped, 0
        )
        return cfg, bond, mag


def _wolff(spins, tables, p_add, clusters, rng, n_samples, thin, store, cfg, bond, mag, flipped, max_flips):
    """The Wolff kernel: index arithmetic on tori, the neighbour table otherwise (the same
    Markov chain, bit for bit, where both apply)."""
    L, M = tables.torus if tables.torus is not None else (0, 0)
    _kernels.wolff_run(
        spins,
        tables.nbr32,
        L,
        M,
        p_add,
        clusters,
        rng,
        n_samples,
        thin,
        store,
        cfg,
        bond,
        mag,
        flipped,
        max_flips,
    )


@dataclass(frozen=True)
class SwendsenWang(UpdateRule):
    """Swendsen-Wang multi-cluster updates (h = 0 only). One step = one update of all clusters."""

    name: ClassVar[str] = "sw"
    supports_field: ClassVar[bool] = False

    def run(self, spins, rng, tables, K, h, n_samples, thin, store, **params):
        cfg, bond, mag = _outputs(spins.shape[0], n_samples, tables.n, store)
        _kernels.swendsen_wang_run(
            spins, tables.bonds, tables.nbr, _bond_probability(K), rng, n_samples, thin, store, cfg, bond, mag
        )
        return cfg, bond, mag


@dataclass(frozen=True)
class MultiSpinMetropolis(UpdateRule):
    """Metropolis on 64 replicas per machine word (h = 0, periodic square lattices).

    Same Markov chain as :class:`Metropolis` for each replica (zero-energy flips accepted with
    probability 1/2), with independent random bits per replica; n_chains must be a multiple
    of 64. With even sides the kernel uses index arithmetic and xoshiro256++, 8 sites at once
    in vector lanes with 8 streams per word (the first 8 chains' streams of each 64).
    See :mod:`deeprg.sampling._msc`.
    """

    name: ClassVar[str] = "msc-metropolis"
    supports_field: ClassVar[bool] = False
    needs_positive_coupling: ClassVar[bool] = True  # acceptance thresholds e^{-4K}, e^{-8K} < 1

    def run(self, spins, rng, tables, K, h, n_samples, thin, store, **params):
        from deeprg.sampling import _msc

        n_chains, n = spins.shape[0], tables.n
        if n_chains % 64 or tables.nbr.shape[1] != 4 or np.any(tables.nbr >= n):
            raise InputError(
                "msc-metropolis needs n_chains a multiple of 64 on a periodic square lattice, "
                f"got {n_chains} chains on a lattice with coordination {tables.nbr.shape[1]}"
            )
        words = np.empty((n_chains // 64, n), dtype=np.uint64)
        _msc.pack(spins, words)  # reads the first n columns (column n is the ghost site)
        p4, p8 = _msc.metropolis_thresholds(K)
        cfg, bond, mag = _outputs(n_chains, n_samples, n, store)
        # The streams of replicas 64 g .. 64 g + 63 belong to word g: the square kernel takes
        # the first N_LANES of them (one per vector lane), the table kernel the first.
        n_words = n_chains // 64
        if tables.square is not None:  # even sides: index arithmetic, xoshiro256++ in vector lanes
            L, M = tables.square
            rows = (64 * np.arange(n_words)[:, None] + np.arange(_msc.N_LANES)).ravel()
            group_rng = np.ascontiguousarray(rng[rows].reshape(n_words, _msc.N_LANES, 4))
            _msc.msc_square_run(words, L, M, p4, p8, group_rng, n_samples, thin, store, cfg, bond, mag)
            rng[rows] = group_rng.reshape(-1, 4)
        else:
            group_rng = np.ascontiguousarray(rng[::64])
            _msc.msc_metropolis_run(
                words, tables.nbr, tables.order, p4, p8, group_rng, n_samples, thin, store, cfg, bond, mag
            )
            rng[::64] = group_rng
        _msc.unpack(words, spins)  # writes the first n columns
        return cfg, bond, mag


def _msc_strip_width(M: int) -> int:
    from deeprg.sampling._msc import strip_width

    return strip_width(M)


def _spatial_run(spins, rng, tables, K, n_samples, thin, store):
    from deeprg.sampling import _msc

    L, M = tables.square
    cfg, bond, mag = _outputs(spins.shape[0], n_samples, tables.n, store)
    p4, p8 = _msc.metropolis_thresholds(K)
    _msc.spatial_metropolis_run(
        spins, L, M, _msc.strip_width(M), p4, p8, rng, n_samples, thin, store, cfg, bond, mag
    )
    return cfg, bond, mag


RULES: dict[str, type[UpdateRule]] = {
    r.name: r for r in (Metropolis, HeatBath, Wolff, SwendsenWang, MultiSpinMetropolis)
}
_ALIASES = {
    "swendsenwang": "sw",
    "glauber": "heatbath",
    "mscmetropolis": "msc-metropolis",
    "msc": "msc-metropolis",
}


def get_rule(rule: str | UpdateRule) -> UpdateRule:
    """Resolve a rule name ('metropolis', 'heatbath', 'wolff', 'sw') or pass a rule through."""
    if isinstance(rule, UpdateRule):
        return rule
    key = str(rule).lower().replace("-", "").replace("_", "")
    key = _ALIASES.get(key, key)
    if key not in RULES:
        raise InputError(f"unknown update rule {rule!r}; expected one of {sorted(RULES)}")
    return RULES[key]()
