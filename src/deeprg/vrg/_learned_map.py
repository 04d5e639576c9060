"""A trained RBM layer used as a block-spin rule (for Swendsen MCRG and coupling flows).

An RBM with L^2 visible spins and (L/b)^2 hidden spins, trained on equilibrium configurations,
defines a stochastic coarse-graining v -> h ~ p(h | v). To read h as a configuration of the
coarse L/b x L/b lattice:

- *placement*: each hidden unit's receptive field W[:, j] (an L x L image) has a centroid (the
  circular mean of w^2 on the torus); an optimal one-to-one assignment (Hungarian algorithm)
  puts the units on the coarse sites whose block centres are nearest;
- *sign alignment*: the RBM is symmetric under h_j -> -h_j with W[:, j] -> -W[:, j], so unit j
  is read as sign(sum_i W_ij) h_j, making every coarse spin follow its block's magnetization.

Both steps are gauge choices that do not change p(h | v) up to relabelling. Trained layer by
layer on the previous level's sampled hidden configurations, a stack of such layers gives the
blocked configurations of every MCRG level (:func:`learned_rbm_levels`).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from deeprg.errors import InputError
from deeprg.lattice import torus_centroids
from deeprg.nn import RBM, TrainConfig, Trainer


@contextmanager
def torch_threads(n: int = 1):
    """Run a block with ``n`` torch intra-op threads and restore the previous number after.

    Small RBMs are fastest on one thread: a 50 x 64 x 64 product takes about 10 us on one
    thread and about 60 us on two, which wake for every product. (The milliseconds once seen
    after numba's parallel kernels had run were OpenMP threads spin-waiting on a busy machine;
    ``import deeprg`` sets ``OMP_WAIT_POLICY=PASSIVE`` against that, see
    ``benchmarks/bench_threads.py``.) numba and torch share one OpenMP runtime and every numba
    launch sets its thread count, so a numba kernel run inside the block puts torch back on
    numba's count."""
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def field_centroids(W, L: int) -> np.ndarray:
    """Circular centroids (row, col) on the L x L torus of the receptive fields w_j^2.

    Args:
        W: (L*L, n_h) weights, visible sites row-major.

    Returns:
        float64 (n_h, 2) in [0, L).
    """
    W = np.asarray(W, dtype=np.float64)
    if W.shape[0] != L * L:
        raise InputError(f"W has {W.shape[0]} rows, expected L*L = {L * L}")
    return torus_centroids((W * W).reshape(L, L, -1))


def place_on_coarse_lattice(W, L: int, b: int) -> tuple[np.ndarray, np.ndarray]:
    """(order, signs): ``order[k]`` is the hidden unit placed on coarse site k (row-major on the
    L/b x L/b lattice), ``signs[k]`` = sign(sum_i W_i,order[k]) (+1 when the sum is zero)."""
    W = np.asarray(W, dtype=np.float64)
    side = L // b
    if W.shape[1] != side * side:
        raise InputError(f"{W.shape[1]} hidden units cannot fill a {side}x{side} coarse lattice one to one")
    cents = field_centroids(W, L)
    centres = (np.indices((side, side)).reshape(2, -1).T * b + (b - 1) / 2.0).astype(np.float64)
    d = np.abs(centres[:, None, :] - cents[None, :, :])
    d = np.minimum(d, L - d)
    rows, cols = linear_sum_assignment(np.hypot(d[..., 0], d[..., 1]))
    order = np.empty(side * side, dtype=np.int64)
    order[rows] = cols
    signs = np.where(W[:, order].sum(axis=0) < 0, -1, 1).astype(np.int8)
    return order, signs


@dataclass
class RBMBlockMap:
    """A trained RBM layer as a stochastic block map for :func:`deeprg.rg.mcrg_exponents`.

    Attributes:
        rbm: the layer, L^2 -> (L/b)^2 units; binary units are read as spins (s = 2u - 1), so
            p(h | v) is the same kernel whichever units the RBM uses. L, b: lattice side and
            rescaling. order, signs: placement and sign alignment (:func:`place_on_coarse_lattice`).
        seed: sampling seed; level ``lev`` uses ``seed + lev``.
    """

    rbm: RBM
    L: int
    b: int
    order: np.ndarray
    signs: np.ndarray
    seed: int = 0

    @classmethod
    def of(cls, rbm: RBM, L: int, b: int, *, seed: int = 0) -> RBMBlockMap:
        if rbm.n_visible != L * L or rbm.n_hidden * b * b != L * L:
            raise InputError(
                f"an RBM block map for L={L}, b={b} needs {L * L} visible and {(L // b) ** 2} hidden "
                f"units, got {rbm.n_visible} and {rbm.n_hidden}"
            )
        order, signs = place_on_coarse_lattice(rbm.W.detach().double().cpu().numpy(), L, b)
        return cls(rbm, L, b, order, signs, seed)

    def hidden_means(self, configs) -> np.ndarray:
        """E[s'_k | v] for every coarse site (placed, sign-aligned): float64 (n, L/b, L/b)."""
        s = np.asarray(configs)
        n = s.shape[0]
        x = s.reshape(n, -1).astype(np.float64)
        if self.rbm.visible == "binary":
            x = (x + 1.0) / 2.0
        with torch.no_grad():
            m = self.rbm.hidden_mean(torch.as_tensor(x, dtype=self.rbm.W.dtype)).double().numpy()
        if self.rbm.hidden == "binary":
            m = 2.0 * m - 1.0
        side = self.L // self.b
        return (m[:, self.order] * self.signs).reshape(n, side, side)

    def __call__(self, configs, level: int = 0) -> np.ndarray:
        s = np.asarray(configs)
        if s.ndim != 3 or s.shape[1:] != (self.L, self.L):
            raise InputError(f"this block map takes configurations (n, {self.L}, {self.L}), got {s.shape}")
        m = self.hidden_means(s)
        u = np.random.default_rng(self.seed + level).random(m.shape)
        return np.where(u < 0.5 * (1.0 + m), 1, -1).astype(np.int8)

    def block_concentration(self) -> float:
        """Mean share of w_j^2 inside the b x b block of the coarse site unit j is placed on:
        1 for fields confined to their block, b^2/L^2 for fields spread evenly."""
        W = self.rbm.W.detach().double().cpu().numpy()
        side = self.L // self.b
        shares = []
        for k in range(side * side):
            w2 = (W[:, self.order[k]] ** 2).reshape(self.L, self.L)
            r, c = divmod(k, side)
            inside = w2[r * self.b : (r + 1) * self.b, c * self.b : (c + 1) * self.b].sum()
            shares.append(inside / max(w2.sum(), 1e-300))
        return float(np.mean(shares))


def train_rbm_map(
    configs,
    b: int = 2,
    *,
    epochs: int = 20,
    lr: float = 0.01,
    l1: float = 1e-3,
    batch_size: int = 100,
    n_chains: int = 256,
    k: int = 1,
    units: str = "binary",
    seed: int = 0,
) -> RBMBlockMap:
    """Train an RBM L^2 -> (L/b)^2 (PCD-k, L1 penalty) on configurations (n, L, L) of +-1 and
    return it as a block map. ``units`` 'binary' (the default: small layers train in the
    compiled loop of :mod:`deeprg.nn`) or 'spin'; a binary RBM is a spin RBM with shifted
    biases, so both define the same family of kernels p(h | v)."""
    s = np.asarray(configs)
    if s.ndim != 3 or s.shape[1] != s.shape[2] or s.shape[1] % b:
        raise InputError(f"configs must be (n, L, L) with b={b} dividing L, got {s.shape}")
    n, L, _ = s.shape
    if units not in ("binary", "spin"):
        raise InputError(f"units must be 'binary' or 'spin', got {units!r}")
    rbm = RBM(L * L, (L // b) ** 2, visible=units, hidden=units, seed=seed)
    cfg = TrainConfig.plain_sgd(
        method="pcd",
        k=k,
        epochs=epochs,
        lr=lr,
        l1=l1,
        batch_size=batch_size,
        n_chains=n_chains,
        monitor_samples=min(10, n),  # the monitors are not used here
        monitor_exact=False,
        seed=seed,
    )
    x = s.reshape(n, -1).astype(np.float32)
    with torch_threads(1 if L * L * rbm.n_hidden <= 1 << 18 else torch.get_num_threads()):
        Trainer(rbm, cfg).fit((x + 1) / 2 if units == "binary" else x)
    return RBMBlockMap.of(rbm, L, b, seed=seed)


def learned_rbm_levels(configs, levels: int, b: int = 2, *, seed: int = 0, **train_kwargs):
    """Stack of RBM block maps trained level by level: each layer is trained on the previous
    level's sampled, placed, sign-aligned hidden configurations.

    Returns:
        (lattices, maps): [level 0 .. levels] configurations and the RBMBlockMap of each level.
    """
    lattices, maps = [np.asarray(configs).astype(np.int8)], []
    for lev in range(levels):
        fmap = train_rbm_map(lattices[-1], b, seed=seed + 97 * lev, **train_kwargs)
        maps.append(fmap)
        lattices.append(fmap(lattices[-1], lev))
    return lattices, maps
