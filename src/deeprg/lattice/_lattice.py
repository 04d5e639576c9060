"""Chain and square lattices with periodic or open boundaries.

Sites are numbered in row-major order: on an ``L x M`` square lattice (L rows, M columns)
site ``(r, c)`` has index ``r * M + c``. Configurations are stored with shape ``(..., L, M)``
or flattened to ``(..., L * M)`` in that order.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from deeprg.errors import InputError
from deeprg.utils import check_int


@dataclass(frozen=True)
class Chain:
    """A 1D chain of ``n`` sites, periodic (a ring) or open.

    Attributes:
        n: number of sites, >= 2.
        periodic: whether site n-1 is bonded to site 0.
    """

    n: int
    periodic: bool = True

    def __post_init__(self):
        check_int(self.n, "n (number of sites)", minimum=2)

    @property
    def n_sites(self) -> int:
        return self.n

    @property
    def shape(self) -> tuple[int]:
        return (self.n,)

    @cached_property
    def bonds(self) -> np.ndarray:
        """int64 array (n_bonds, 2): each nearest-neighbour bond once (n or n-1 bonds).

        A ring of 2 sites has two distinct bonds between the same pair, as Tr T^2 counts them.
        """
        i = np.arange(self.n if self.periodic else self.n - 1)
        return np.stack([i, (i + 1) % self.n], axis=1).astype(np.int64)

    @cached_property
    def neighbors(self) -> np.ndarray:
        """int64 array (n, 2): left and right neighbour of each site, -1 where absent."""
        i = np.arange(self.n)
        left, right = (i - 1) % self.n, (i + 1) % self.n
        if not self.periodic:
            left = np.where(i == 0, -1, left)
            right = np.where(i == self.n - 1, -1, right)
        return np.stack([left, right], axis=1).astype(np.int64)

    def distance(self, i, j) -> np.ndarray:
        """Distance |i - j|, with the minimum image on a ring."""
        d = np.abs(np.asarray(i) - np.asarray(j))
        return np.minimum(d, self.n - d) if self.periodic else d

    def block_map(self, b: int) -> np.ndarray:
        """int64 array (n // b, b): the sites of each block of ``b`` consecutive sites."""
        b = check_int(b, "b (block size)", minimum=1)
        if self.n % b:
            raise InputError(f"block size b={b} must divide the chain length n={self.n}")
        return np.arange(self.n, dtype=np.int64).reshape(self.n // b, b)


@dataclass(frozen=True)
class SquareLattice:
    """An ``L x M`` square lattice (L rows, M columns; M defaults to L), periodic or open.

    Attributes:
        L: number of rows, >= 2.
        M: number of columns, >= 2 (defaults to L).
        periodic: torus (True) or free boundaries (False).
    """

    L: int
    M: int | None = None
    periodic: bool = True

    def __post_init__(self):
        check_int(self.L, "L (rows)", minimum=2)
        if self.M is None:
            object.__setattr__(self, "M", self.L)
        check_int(self.M, "M (columns)", minimum=2)

    @property
    def n_sites(self) -> int:
        return self.L * self.M

    @property
    def shape(self) -> tuple[int, int]:
        return (self.L, self.M)

    def index(self, r, c) -> np.ndarray:
        """Site index of row ``r`` and column ``c`` (wrapped on a torus)."""
        return (np.asarray(r) % self.L) * self.M + (np.asarray(c) % self.M)

    def coords(self, i) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) of site index ``i``."""
        return np.divmod(np.asarray(i), self.M)

    @cached_property
    def bonds(self) -> np.ndarray:
        """int64 array (n_bonds, 2): each nearest-neighbour bond once (right, then down).

        A torus with a side of 2 keeps both bonds between the same pair along that side
        (the wrap-around bond is a distinct bond), as Kaufman's formula counts 2LM bonds.
        """
        r, c = np.divmod(np.arange(self.n_sites), self.M)
        right = np.stack([self.index(r, c), self.index(r, c + 1)], axis=1)
        down = np.stack([self.index(r, c), self.index(r + 1, c)], axis=1)
        if not self.periodic:
            right = right[c < self.M - 1]
            down = down[r < self.L - 1]
        return np.concatenate([right, down]).astype(np.int64)

    @cached_property
    def neighbors(self) -> np.ndarray:
        """int64 array (n_sites, 4): right, down, left, up neighbours; -1 where absent (open)."""
        r, c = np.divmod(np.arange(self.n_sites), self.M)
        nb = np.stack(
            [self.index(r, c + 1), self.index(r + 1, c), self.index(r, c - 1), self.index(r - 1, c)],
            axis=1,
        )
        if not self.periodic:
            nb[:, 0] = np.where(c == self.M - 1, -1, nb[:, 0])
            nb[:, 1] = np.where(r == self.L - 1, -1, nb[:, 1])
            nb[:, 2] = np.where(c == 0, -1, nb[:, 2])
            nb[:, 3] = np.where(r == 0, -1, nb[:, 3])
        return nb.astype(np.int64)

    @cached_property
    def parity(self) -> np.ndarray:
        """int8 array (L, M): checkerboard colour (r + c) % 2. Needs even sides on a torus."""
        r, c = np.indices(self.shape)
        return ((r + c) % 2).astype(np.int8)

    def displacement(self, i, j) -> tuple[np.ndarray, np.ndarray]:
        """Row and column displacement from site i to site j (minimum image on a torus)."""
        ri, ci = self.coords(i)
        rj, cj = self.coords(j)
        dr, dc = rj - ri, cj - ci
        if self.periodic:
            dr = (dr + self.L // 2) % self.L - self.L // 2
            dc = (dc + self.M // 2) % self.M - self.M // 2
        return dr, dc

    def distance(self, i, j) -> np.ndarray:
        """Euclidean distance between sites i and j (minimum image on a torus)."""
        dr, dc = self.displacement(i, j)
        return np.hypot(dr, dc)

    def block_map(self, b: int) -> np.ndarray:
        """int64 array (L//b * M//b, b*b): the sites of each b x b block, blocks row-major.

        Block ``(R, C)`` covers rows ``R*b .. R*b+b-1`` and columns ``C*b .. C*b+b-1``.
        """
        b = check_int(b, "b (block size)", minimum=1)
        if self.L % b or self.M % b:
            raise InputError(f"block size b={b} must divide both sides of the {self.L}x{self.M} lattice")
        idx = np.arange(self.n_sites).reshape(self.L // b, b, self.M // b, b)
        return idx.transpose(0, 2, 1, 3).reshape(-1, b * b).astype(np.int64)


def torus_centroids(mass) -> np.ndarray:
    """Circular centroids of non-negative masses on a periodic L x M lattice.

    Along each axis the centroid is the angle of sum_x p(x) e^{2 pi i x / L}, scaled back to
    lattice units (the circular mean; Mardia & Jupp 2000, ch. 2), so a field straddling the
    boundary is centred correctly.

    Args:
        mass: float (L, M) or (L, M, n), non-negative (for example w^2 or |w| of fields).

    Returns:
        float64 (2,) or (n, 2): (row, col) in [0, L) x [0, M); (0, 0) for an all-zero mass.
    """
    m = np.asarray(mass, dtype=np.float64)
    single = m.ndim == 2
    if single:
        m = m[..., None]
    L, M = m.shape[:2]
    total = m.sum(axis=(0, 1))
    total = np.where(total > 0, total, 1.0)
    out = []
    for size, marginal in ((L, m.sum(axis=1) / total), (M, m.sum(axis=0) / total)):
        phase = np.exp(2j * np.pi * np.arange(size) / size)
        x = np.mod(np.angle(phase @ marginal) * size / (2 * np.pi), size)
        out.append(np.where(size - x < 1e-9, 0.0, x))
    centroids = np.stack(out, axis=1)
    return centroids[0] if single else centroids
