"""Real-space mutual information (RSMI) coarse-graining (Koch-Janusz & Ringel 2018, Nature
Physics 14, 578, arXiv:1704.06279).

A b x b block V of a 2D configuration is mapped to one coarse spin H in {-1, +1} by a linear
filter lambda (b*b weights):

.. math::

    p_\\lambda(H = +1 \\mid V) = \\sigma(2 \\lambda \\cdot V), \\qquad \\sigma(x) = 1/(1 + e^{-x}).

The filter maximises the mutual information I(H; E) between H and the block's *environment*
E: the sites whose Chebyshev distance from the block lies in (buffer, buffer + width]. The
buffer keeps short-range, non-universal correlations out, so the filter keeps what the block
tells about the far field. I(H; E) is not tractable, so it is bounded from below with a
variational decoder q_theta(H | E) = sigma(2 H (theta . E)) (Barber & Agakov 2003):

.. math::

    I(H; E) \\ge \\mathcal{J}(\\lambda, \\theta) = H_b(\\bar p) + \\frac{1}{m} \\sum_k
        \\big[p_k \\ln \\sigma(2 g_k) + (1 - p_k) \\ln \\sigma(-2 g_k)\\big],

with p_k = p_lambda(H = +1 | V_k), g_k = theta . E_k, p_bar the mean of p_k and H_b the
binary entropy (nats). The bound is tight when q is the true p(H | E). Both lambda and theta
ascend the gradient (Adam), with analytic gradients:

    dJ/da_k = (2/m) p_k (1 - p_k) [ln((1 - p_bar)/p_bar) + 2 g_k],  a_k = lambda . V_k,
    dJ/dg_k = (2/m) [p_k - sigma(2 g_k)].

Koch-Janusz & Ringel find, for the 2D Ising model, a filter with equal weights on the block:
the block-spin (majority) rule. :attr:`RSMIFilter.uniformity` measures that, and
:meth:`RSMIFilter.block_map` turns the filter into a block map usable in MCRG
(:func:`deeprg.rg.mcrg_exponents`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deeprg.errors import InputError
from deeprg.utils import check_int


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def environment_offsets(b: int, buffer: int, width: int) -> np.ndarray:
    """Offsets (dr, dc) from a block's top-left site of the environment shell: sites at
    Chebyshev distance d from the block with buffer < d <= buffer + width. int64 (n_E, 2)."""
    lo, hi = -(buffer + width), b - 1 + buffer + width
    out = []
    for dr in range(lo, hi + 1):
        for dc in range(lo, hi + 1):
            d = max(max(-dr, dr - (b - 1), 0), max(-dc, dc - (b - 1), 0))
            if buffer < d <= buffer + width:
                out.append((dr, dc))
    return np.array(out, dtype=np.int64)


def block_environment_pairs(
    configs, b: int = 2, *, buffer: int = 1, width: int = 2, max_pairs: int = 200_000, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(V, E) pairs from every b x b block of periodic configurations (a seeded subset).

    Args:
        configs: int (n, L, L) of +-1. b: block side. buffer, width: the environment shell.
        max_pairs: at most this many (sample, block) pairs, drawn without replacement.

    Returns:
        V float64 (m, b*b) (row-major within the block), E float64 (m, n_E).
    """
    s = np.asarray(configs)
    if s.ndim != 3 or s.shape[1] != s.shape[2]:
        raise InputError(f"RSMI needs square configurations (n, L, L), got {s.shape}")
    n, L, _ = s.shape
    b = check_int(b, "b (block size)", minimum=2)
    if L % b:
        raise InputError(f"block size b={b} must divide L={L}")
    if L < b + 2 * (buffer + width):
        raise InputError(f"L={L} is too small for a block of {b} with buffer {buffer} and width {width}")
    nb = (L // b) ** 2
    rng = np.random.default_rng(seed)
    total = n * nb
    pick = np.sort(rng.choice(total, size=min(max_pairs, total), replace=False))
    sample, block = pick // nb, pick % nb
    r0, c0 = (block // (L // b)) * b, (block % (L // b)) * b
    inner = np.array([(i, j) for i in range(b) for j in range(b)], dtype=np.int64)
    env = environment_offsets(b, buffer, width)

    def gather(offsets):
        rr = (r0[:, None] + offsets[None, :, 0]) % L
        cc = (c0[:, None] + offsets[None, :, 1]) % L
        return s[sample[:, None], rr, cc].astype(np.float64)

    return gather(inner), gather(env)


@dataclass(frozen=True)
class RSMIFilter:
    """A trained RSMI filter.

    Attributes:
        b: block side. weights: float64 (b, b), the filter lambda, sign-aligned (sum >= 0).
        decoder: float64 (n_E,) the variational decoder theta. buffer, width: environment shell.
        history: the bound J (nats) per iteration, evaluated on the training pairs.
        mutual_information: the final bound on I(H; E) in nats.
    """

    b: int
    weights: np.ndarray
    decoder: np.ndarray
    buffer: int
    width: int
    history: np.ndarray
    mutual_information: float

    @property
    def uniformity(self) -> float:
        """(sum lambda)^2 / (b^2 sum lambda^2): 1 for equal weights of one sign (block spin),
        1/b^2 for a filter on one site (decimation), 0 for a filter that sums to zero."""
        w = self.weights.ravel()
        return float(w.sum() ** 2 / (w.size * np.sum(w * w))) if np.any(w) else 0.0

    def probabilities(self, configs) -> np.ndarray:
        """p(H = +1 | V) for every block: float64 (n, L/b, L/b)."""
        s = np.asarray(configs, dtype=np.float64)
        n, L, M = s.shape
        b = self.b
        blocks = s.reshape(n, L // b, b, M // b, b)
        a = np.einsum("nibjc,bc->nij", blocks, self.weights)
        return _sigmoid(2.0 * a)

    def block_map(self, *, seed: int = 0):
        """A stochastic block map for :func:`deeprg.rg.mcrg_exponents`: H sampled from
        p(H | V), level ``lev`` with seed ``seed + lev``."""

        def apply(configs, level):
            p = self.probabilities(configs)
            u = np.random.default_rng(seed + level).random(p.shape)
            return np.where(u < p, 1, -1).astype(np.int8)

        apply.__name__ = f"rsmi_b{self.b}"
        return apply

    def to_dict(self) -> dict:
        return {
            "b": self.b,
            "weights": self.weights.tolist(),
            "buffer": self.buffer,
            "width": self.width,
            "mutual_information_bound": self.mutual_information,
            "uniformity": self.uniformity,
            "history_first_last": [float(self.history[0]), float(self.history[-1])],
        }


def _bound_and_grads(lam, theta, V, E, *, grads: bool = True):
    a = V @ lam
    g = E @ theta
    p = _sigmoid(2.0 * a)
    pbar = float(np.clip(p.mean(), 1e-12, 1 - 1e-12))
    hb = -(pbar * np.log(pbar) + (1 - pbar) * np.log(1 - pbar))
    ce = np.mean(p * _log_sigmoid(2 * g) + (1 - p) * _log_sigmoid(-2 * g))
    J = hb + ce
    if not grads:
        return J, None, None
    m = len(a)
    da = (2.0 / m) * p * (1 - p) * (np.log((1 - pbar) / pbar) + 2.0 * g)
    dg = (2.0 / m) * (p - _sigmoid(2.0 * g))
    return J, V.T @ da, E.T @ dg


def train_rsmi(
    configs,
    b: int = 2,
    *,
    buffer: int = 1,
    width: int = 2,
    iterations: int = 300,
    lr: float = 0.05,
    l2: float = 1e-4,
    max_pairs: int = 100_000,
    init_std: float = 0.1,
    seed: int = 0,
) -> RSMIFilter:
    """Train an RSMI filter on equilibrium configurations by full-batch Adam on the bound.

    Args:
        configs: int (n, L, L) of +-1 (periodic). b: block side.
        buffer, width: environment shell (sites at Chebyshev distance buffer < d <= buffer + width
            from the block).
        iterations, lr: Adam steps and step size. l2: penalty l2 |lambda|^2 keeping the filter
            finite (the bound saturates as |lambda| grows).
        init_std: the filter starts random (normal, this std), so it has to find its shape.
        seed: pair subsampling and initial weights.

    Returns:
        :class:`RSMIFilter` (weights sign-aligned so that they sum to >= 0; the bound is
        invariant under lambda -> -lambda with theta -> -theta).
    """
    iterations = check_int(iterations, "iterations", minimum=1)
    V, E = block_environment_pairs(configs, b, buffer=buffer, width=width, max_pairs=max_pairs, seed=seed)
    rng = np.random.default_rng(seed + 1)
    lam = rng.normal(0.0, init_std, V.shape[1])
    theta = np.zeros(E.shape[1])
    params = np.concatenate([lam, theta])
    m1, m2 = np.zeros_like(params), np.zeros_like(params)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    history = np.empty(iterations + 1)
    k = V.shape[1]
    for it in range(iterations):
        J, gl, gt = _bound_and_grads(params[:k], params[k:], V, E)
        history[it] = J
        grad = np.concatenate([gl - 2 * l2 * params[:k], gt])
        m1 = beta1 * m1 + (1 - beta1) * grad
        m2 = beta2 * m2 + (1 - beta2) * grad * grad
        step = lr * (m1 / (1 - beta1 ** (it + 1))) / (np.sqrt(m2 / (1 - beta2 ** (it + 1))) + eps)
        params = params + step  # ascent
    J, _, _ = _bound_and_grads(params[:k], params[k:], V, E, grads=False)
    history[-1] = J
    lam, theta = params[:k], params[k:]
    if lam.sum() < 0:
        lam, theta = -lam, -theta
    return RSMIFilter(int(b), lam.reshape(b, b), theta, int(buffer), int(width), history, float(J))
