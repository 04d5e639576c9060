"""Swendsen's Monte Carlo renormalization group (Swendsen 1979, Phys. Rev. Lett. 42:859).

With H^{(n)} = -sum_alpha K^{(n)}_alpha S^{(n)}_alpha on the n-times blocked lattice, the
linearised RG matrix T_{alpha beta} = dK^{(n)}_alpha / dK^{(n-1)}_beta solves F = G T with

    F_{gamma beta} = <S^{(n)}_gamma S^{(n-1)}_beta> - <S^{(n)}_gamma><S^{(n-1)}_beta>,
    G_{gamma alpha} = <S^{(n)}_gamma S^{(n)}_alpha> - <S^{(n)}_gamma><S^{(n)}_alpha>.

The leading eigenvalue of T in the even (odd) sector gives y_T (y_h) = ln lambda / ln b. Results
are reported per blocking level and per number of operators kept (the truncation), with
jackknife errors over blocks of samples.

The block transformation is pluggable: a rule name ('majority', 'decimation'), or any *block
map* ``f(configs (n, L, L) int8, level) -> (n, L/b, L/b) int8`` of +-1, deterministic or
stochastic (a kernel P(s'|s) such as a trained RBM layer or a mutual-information filter,
Koch-Janusz & Ringel 2018, arXiv:1704.06279). Swendsen's equations only need the coarse
configurations level by level, so :func:`mcrg_from_levels` takes them directly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from deeprg.errors import InputError
from deeprg.rg._block import block_configs
from deeprg.rg._operators import OPERATORS_2D, get_operators

EVEN_2D = ("nn", "nnn", "plaquette", "(2,0)", "(2,1)", "(2,2)")
ODD_2D = ("m", "triple", "line3")

#: A block map: (configs (n, L, L) int8 of +-1, level starting at 0) -> (n, L/b, L/b) int8.
BlockMap = Callable[[np.ndarray, int], np.ndarray]


def rule_map(rule: str = "majority", b: int = 2, *, seed: int = 0) -> BlockMap:
    """The block map of a named rule; level ``lev`` uses tie-breaking seed ``seed + lev``."""

    def apply(configs, level):
        return block_configs(configs, b, rule, seed=seed + level)

    apply.__name__ = f"{rule}_b{b}"
    return apply


def _leading_eigenvalue(S_hi: np.ndarray, S_lo: np.ndarray) -> float:
    """lambda_max of T = G^-1 F from operator totals (n_samples, k) at levels n and n-1; NaN
    when G is singular (operators that are constant or linearly dependent at level n, as on a
    frozen coarse lattice: the level has no exponent)."""
    a = S_hi - S_hi.mean(axis=0)
    c = S_lo - S_lo.mean(axis=0)
    G = a.T @ a / len(a)
    F = a.T @ c / len(a)
    try:
        T = np.linalg.solve(G, F)
    except np.linalg.LinAlgError:
        return float("nan")
    ev = np.linalg.eigvals(T)
    return float(np.max(ev.real))


def _exponent(lam: float, b: int) -> float:
    """ln lambda / ln b, NaN when the leading eigenvalue is not positive (a map that does not
    rescale the relevant direction)."""
    return float(np.log(lam) / np.log(b)) if lam > 0 else float("nan")


@dataclass(frozen=True)
class MCRGResult:
    """Exponents per level and truncation.

    Attributes:
        b: block size. levels: number of blockings. L: original side.
        even_operators, odd_operators: names in the order they are added.
        y_T, y_T_err, y_h, y_h_err: float64 arrays (levels, n_operators); entry [n-1, m-1] uses
            level n and the first m operators of the sector.
    """

    b: int
    L: int
    levels: int
    n_samples: int
    even_operators: tuple[str, ...]
    odd_operators: tuple[str, ...]
    y_T: np.ndarray
    y_T_err: np.ndarray
    y_h: np.ndarray
    y_h_err: np.ndarray
    exact: dict = field(default_factory=lambda: {"y_T": 1.0, "y_h": 15.0 / 8.0})

    def to_dict(self) -> dict:
        def table(values, errors, names):
            return [
                {
                    "level": n + 1,
                    "lattice": self.L // self.b ** (n + 1),
                    **{
                        f"{m + 1} ({names[m]})": {"value": float(values[n, m]), "error": float(errors[n, m])}
                        for m in range(len(names))
                    },
                }
                for n in range(self.levels)
            ]

        return {
            "b": self.b,
            "L": self.L,
            "n_samples": self.n_samples,
            "even_operators": list(self.even_operators),
            "odd_operators": list(self.odd_operators),
            "y_T": table(self.y_T, self.y_T_err, self.even_operators),
            "y_h": table(self.y_h, self.y_h_err, self.odd_operators),
            "exact": self.exact,
        }


def mcrg_exponents(
    configs,
    *,
    levels: int = 2,
    b: int = 2,
    even=EVEN_2D,
    odd=ODD_2D,
    rule: str = "majority",
    block_map: BlockMap | None = None,
    n_jackknife: int = 20,
    seed: int = 0,
    progress=None,
) -> MCRGResult:
    """Swendsen MCRG exponents y_T and y_h from equilibrium configurations.

    Args:
        configs: int (n, L, L) of +-1 on a periodic lattice, n >= 2 n_jackknife.
        levels: blockings; the lattice after ``levels`` blockings must be at least 4 x 4.
        even, odd: operator names, added in this order for the truncation table.
        rule: block rule ('majority' with random ties for even b, or 'decimation'); ignored
            when ``block_map`` is given.
        block_map: any map ``f(configs, level) -> coarse configs`` with linear factor b (see
            the module docstring); it is called once per level on the previous level's output.
        n_jackknife: jackknife blocks of consecutive samples.
        progress: optional ``callback(done, total)`` over the analysis' stages (one per
            blocking, per level's operator sums and per level's fits).
    """
    s = np.asarray(configs)
    if s.ndim != 3 or s.shape[1] != s.shape[2]:
        raise InputError(f"MCRG needs square configurations (n, L, L), got {s.shape}")
    L = s.shape[1]
    if L % b**levels or L // b**levels < 4:
        raise InputError(f"L={L} cannot be blocked {levels} times by b={b} down to at least 4x4")
    fmap = block_map if block_map is not None else rule_map(rule, b, seed=seed)
    lattices = [s.astype(np.int8)]
    total = 3 * levels + 1  # blockings, then mcrg_from_levels' 2 levels + 1 stages
    for lev in range(levels):
        if progress is not None:
            progress(lev, total)
        coarse = np.asarray(fmap(lattices[-1], lev))
        expected = (s.shape[0], L // b ** (lev + 1), L // b ** (lev + 1))
        if coarse.shape != expected:
            raise InputError(
                f"the block map returned shape {coarse.shape} at level {lev}, expected {expected}"
            )
        lattices.append(coarse.astype(np.int8))
    after_blocking = None
    if progress is not None:

        def after_blocking(done, _total):
            progress(levels + done, total)

    return mcrg_from_levels(
        lattices, b=b, even=even, odd=odd, n_jackknife=n_jackknife, progress=after_blocking
    )


def mcrg_from_levels(
    lattices: Sequence[np.ndarray],
    *,
    b: int = 2,
    even=EVEN_2D,
    odd=ODD_2D,
    n_jackknife: int = 20,
    progress=None,
) -> MCRGResult:
    """Swendsen MCRG from configurations already blocked level by level.

    Args:
        lattices: [level 0 (n, L, L), level 1 (n, L/b, L/b), ...] of +-1; sample k of every
            level is the image of sample k of level 0 (the same samples, blocked).
        b: the linear rescaling factor between consecutive levels.
        progress: optional ``callback(done, total)``, total = 2 levels + 1 stages (operator
            sums per lattice, fits per level).
    """
    if len(lattices) < 2:
        raise InputError("MCRG needs the original lattice and at least one blocked level")
    s = np.asarray(lattices[0])
    if s.ndim != 3 or s.shape[1] != s.shape[2]:
        raise InputError(f"MCRG needs square configurations (n, L, L), got {s.shape}")
    L, n, levels = s.shape[1], s.shape[0], len(lattices) - 1
    for lev, x in enumerate(lattices[1:], start=1):
        side = L // b**lev
        if np.shape(x) != (n, side, side) or side < 4:
            raise InputError(
                f"level {lev} must have shape {(n, side, side)} with side >= 4, got {np.shape(x)}"
            )
    if n < 2 * n_jackknife:
        raise InputError(
            f"need at least {2 * n_jackknife} samples for {n_jackknife} jackknife blocks, got {n}"
        )
    even_ops = get_operators(list(even), 2)
    odd_ops = get_operators(list(odd), 2)
    for op in even_ops + odd_ops:
        if op.name in OPERATORS_2D and op.parity not in ("even", "odd"):
            raise InputError(f"operator {op.name} has no parity")
    stages = 2 * levels + 1
    done = 0

    def tick():
        nonlocal done
        if progress is not None:
            progress(done, stages)
        done += 1

    totals_even, totals_odd = [], []
    for x in lattices:
        tick()
        totals_even.append(np.stack([op.total(x) for op in even_ops], axis=1))
        totals_odd.append(np.stack([op.total(x) for op in odd_ops], axis=1))
    edges = np.linspace(0, n, n_jackknife + 1).astype(int)
    keep_masks = [np.r_[0 : edges[j], edges[j + 1] : n] for j in range(n_jackknife)]

    def sector(totals, k_max, report):
        values = np.zeros((levels, k_max))
        errors = np.zeros((levels, k_max))
        for lev in range(1, levels + 1):
            if report:
                tick()
            for m in range(1, k_max + 1):
                hi, lo = totals[lev][:, :m], totals[lev - 1][:, :m]
                full = _exponent(_leading_eigenvalue(hi, lo), b)
                jk = np.array([_exponent(_leading_eigenvalue(hi[idx], lo[idx]), b) for idx in keep_masks])
                values[lev - 1, m - 1] = full
                errors[lev - 1, m - 1] = np.sqrt(
                    (n_jackknife - 1) / n_jackknife * np.sum((jk - jk.mean()) ** 2)
                )
        return values, errors

    yT, yT_err = sector(totals_even, len(even_ops), True)
    yh, yh_err = sector(totals_odd, len(odd_ops), False)
    if progress is not None:
        progress(stages, stages)
    return MCRGResult(
        b,
        L,
        levels,
        n,
        tuple(o.name for o in even_ops),
        tuple(o.name for o in odd_ops),
        yT,
        yT_err,
        yh,
        yh_err,
    )
