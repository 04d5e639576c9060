"""Sweep grids: the sampling parameters, the points (K, L, replica), and per-point seeds.

A sweep is a frozen :class:`SweepSpec` (what every point shares: model, sample count, update
rule, the sweep seed...) and a grid of :class:`Point` objects, the Cartesian product of
couplings K, sizes L and seed replicas. Each point's seed is derived from the sweep seed and
the point itself with numpy's ``SeedSequence`` spawn keys, so that a point's samples depend
only on (sweep seed, K, L, replica): not on the order in which points run, on which worker
runs them, or on which other points the grid holds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import struct
from dataclasses import dataclass

import numpy as np

from deeprg.errors import InputError

MODELS = ("ising2d", "ising1d")
ALGORITHMS = ("metropolis", "heatbath", "wolff", "sw")
#: Significant digits kept for couplings: K = 0.405 typed or from a linspace is the same K.
K_DIGITS = 12


def _round_k(value: float) -> float:
    return float(f"{float(value):.{K_DIGITS}g}")


def parse_values(text: str, *, name: str = "--K", integer: bool = False) -> tuple:
    """Parse a grid axis: ``a:b:n`` (n evenly spaced values from a to b inclusive), or a
    comma-separated list ``a,b,c``, or one value.

    Returns a sorted tuple of unique values (floats rounded to 12 significant digits, or ints).

    Raises:
        InputError: empty, malformed, or a range with n < 1.
    """
    text = str(text).strip()
    if not text:
        raise InputError(f"{name} is empty; expected a:b:n or a comma-separated list")
    try:
        if ":" in text:
            if integer:
                raise ValueError
            parts = text.split(":")
            if len(parts) != 3:
                raise ValueError
            a, b, n = float(parts[0]), float(parts[1]), int(parts[2])
            if n < 1:
                raise InputError(f"{name} range {text!r} asks for {n} values; expected n >= 1")
            values = np.linspace(a, b, n) if n > 1 else np.array([a])
        else:
            values = [int(v) if integer else float(v) for v in text.split(",") if v.strip()]
    except InputError:
        raise
    except ValueError:
        form = "a comma-separated list of integers" if integer else "a:b:n (inclusive, n values) or a,b,c"
        raise InputError(f"{name} {text!r} is malformed; expected {form}") from None
    if len(values) == 0:
        raise InputError(f"{name} {text!r} holds no values")
    if integer:
        return tuple(sorted({int(v) for v in values}))
    out = tuple(sorted({_round_k(v) for v in values}))
    if not all(np.isfinite(out)):
        raise InputError(f"{name} {text!r} holds a value that is not finite")
    return out


@dataclass(frozen=True, order=True)
class Point:
    """One point of a sweep: size L, coupling K and seed replica (0, 1, ...)."""

    L: int
    K: float
    replica: int

    @property
    def name(self) -> str:
        """A file-name-safe, unique name, e.g. ``L0016_K0.4406868_r002``."""
        return f"L{self.L:04d}_K{self.K:.12g}_r{self.replica:03d}"

    def to_dict(self) -> dict:
        return {"L": self.L, "K": self.K, "replica": self.replica}


@dataclass(frozen=True)
class SweepSpec:
    """What every point of a sweep shares.

    Attributes:
        model: 'ising2d' (L x L torus) or 'ising1d' (ring of L spins).
        n_samples: configurations per point. algorithm: update rule.
        seed: the sweep seed (>= 0); per-point seeds derive from it (:func:`point_seed`).
        h: field (local rules only). chains: chains per point (None: the sampler's default).
        burn_in, decorrelate: updates per chain, or 'auto' (pilot run), as in
            :func:`deeprg.sampling.generate_samples`.
        store_configs: write every configuration (an HDF5 dataset per point); False keeps only
            the observables and the SHA-256 digest of the configurations (a JSON record).
    """

    model: str = "ising2d"
    n_samples: int = 1000
    algorithm: str = "wolff"
    seed: int = 0
    h: float = 0.0
    chains: int | None = None
    burn_in: int | str = "auto"
    decorrelate: int | str = "auto"
    store_configs: bool = True

    def __post_init__(self):
        if self.model not in MODELS:
            raise InputError(f"model must be one of {list(MODELS)}, got {self.model!r}")
        if self.algorithm not in ALGORITHMS:
            raise InputError(f"algorithm must be one of {list(ALGORITHMS)}, got {self.algorithm!r}")
        if isinstance(self.n_samples, bool) or not isinstance(self.n_samples, int) or self.n_samples < 1:
            raise InputError(f"n_samples must be a positive integer, got {self.n_samples!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise InputError(f"the sweep seed must be a non-negative integer, got {self.seed!r}")
        if self.chains is not None and (not isinstance(self.chains, int) or self.chains < 1):
            raise InputError(f"chains must be a positive integer or None, got {self.chains!r}")
        if not np.isfinite(self.h):
            raise InputError(f"h must be finite, got {self.h}")
        if self.h != 0.0 and self.algorithm in ("wolff", "sw"):
            raise InputError(f"a field h = {self.h} needs a local rule (metropolis, heatbath)")
        for key, low in (("burn_in", 0), ("decorrelate", 1)):
            value = getattr(self, key)
            if value != "auto" and (isinstance(value, bool) or not isinstance(value, int) or value < low):
                raise InputError(f"{key} must be an integer >= {low} or 'auto', got {value!r}")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> SweepSpec:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise InputError(f"unknown sweep parameters {unknown}; expected some of {sorted(names)}")
        return cls(**data)

    @property
    def digest(self) -> str:
        """SHA-256 (16 hex digits) of the shared parameters: points of two sweeps with the same
        digest and the same (K, L, replica) are the same computation."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def grid(Ks, Ls, n_replicas: int) -> list[Point]:
    """The Cartesian product K x L x replica, ordered largest L first (the slowest points
    start first, which shortens the sweep's tail on a cluster)."""
    if isinstance(n_replicas, bool) or not isinstance(n_replicas, int | np.integer) or n_replicas < 1:
        raise InputError(f"the number of seed replicas must be a positive integer, got {n_replicas!r}")
    Ks = tuple(_round_k(k) for k in Ks)
    Ls = tuple(int(v) for v in Ls)
    if not Ks or not Ls:
        raise InputError("a sweep needs at least one coupling K and one size L")
    if any(k <= 0 for k in Ks):
        raise InputError(f"couplings K must be > 0, got {[k for k in Ks if k <= 0]}")
    if any(v < 2 for v in Ls):
        raise InputError(f"sizes L must be at least 2, got {[v for v in Ls if v < 2]}")
    points = {Point(L, K, r) for L in Ls for K in Ks for r in range(int(n_replicas))}
    return sorted(points, key=lambda p: (-p.L, p.K, p.replica))


def _float_bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", float(x)))[0]


def point_seed(sweep_seed: int, point: Point, model: str = "ising2d") -> int:
    """The seed of one point: a 63-bit integer from ``SeedSequence(sweep_seed, spawn_key=key)``
    with key = (model index, L, bits of K as float64, replica).

    The same (sweep seed, model, K, L, replica) always gives the same seed, and different
    points get statistically independent streams (O'Neill's SeedSequence hashing, as numpy
    uses for ``spawn``).
    """
    key = (MODELS.index(model), int(point.L), _float_bits(point.K), int(point.replica))
    state = np.random.SeedSequence(int(sweep_seed), spawn_key=key).generate_state(1, np.uint64)[0]
    return int(state) & ((1 << 63) - 1)
