"""Coupling operators S_alpha on periodic lattices, for effective-coupling fits and MCRG.

Each operator is a sum over lattice translations of spin products of one or more *shapes*
(tuples of displacements from an anchor site):

    S_alpha(s) = sum_x sum_{shape} prod_{d in shape} s_{x + d}.

The even operators (an even number of spins per product) follow Swendsen (PRL 42, 859 (1979)):
nn, nnn (diagonal), plaquette, (2,0), (2,1), (2,2); the odd ones are the magnetization m, the
three-spin corners of a plaquette (triple) and straight three-spin lines (line3). The
Hamiltonian written with them is H = -sum_alpha K_alpha S_alpha.

``local`` returns dS_alpha/ds_i = the sum, over every product containing site i, of the
product of its other spins: the "local field" of operator alpha at i.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deeprg.errors import InputError


@dataclass(frozen=True)
class Operator:
    """A translation-invariant coupling operator.

    Attributes:
        name: identifier used on the CLI. shapes: tuple of shapes; each shape is a tuple of
            displacements ((dr, dc) in 2D, (d,) in 1D), the first being (0, ...).
        parity: 'even' or 'odd' under global spin flip.
    """

    name: str
    shapes: tuple
    parity: str

    @property
    def ndim(self) -> int:
        return len(self.shapes[0][0])

    def _shift(self, s: np.ndarray, d) -> np.ndarray:
        # value at x of the returned array = s[x + d]
        axes = tuple(range(1, 1 + self.ndim))
        return np.roll(s, tuple(-int(k) for k in d), axis=axes)

    def total(self, configs) -> np.ndarray:
        """S_alpha per configuration: float64 (n,). configs: (n, L, M) or (n, N) of +-1."""
        s = self._check(configs)
        out = np.zeros(s.shape[0])
        axes = tuple(range(1, s.ndim))
        for shape in self.shapes:
            prod = np.ones_like(s)
            for d in shape:
                prod = prod * self._shift(s, d)
            out += prod.sum(axis=axes)
        return out

    def local(self, configs) -> np.ndarray:
        """dS_alpha/ds_i per site: int16 array with the shape of ``configs``."""
        s = self._check(configs)
        out = np.zeros(s.shape, dtype=np.int16)
        for shape in self.shapes:
            for k in shape:  # site i plays the role of displacement k: anchor = i - k
                prod = np.ones_like(s)
                for d in shape:
                    if d == k:
                        continue
                    prod = prod * self._shift(s, tuple(a - b for a, b in zip(d, k, strict=True)))
                out += prod
        return out

    def max_abs_local(self) -> int:
        return sum(len(shape) for shape in self.shapes)

    def _check(self, configs) -> np.ndarray:
        s = np.asarray(configs)
        if s.ndim != self.ndim + 1:
            raise InputError(
                f"operator {self.name!r} acts on {self.ndim}D lattices: configs must have shape "
                f"(n, {'L, M' if self.ndim == 2 else 'N'}), got {s.shape}"
            )
        return s.astype(np.int16, copy=False)


def _pairs(*displacements):
    return tuple(((0, 0), d) for d in displacements)


OPERATORS_2D: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("nn", _pairs((0, 1), (1, 0)), "even"),
        Operator("nnn", _pairs((1, 1), (1, -1)), "even"),
        Operator("plaquette", (((0, 0), (0, 1), (1, 0), (1, 1)),), "even"),
        Operator("(2,0)", _pairs((0, 2), (2, 0)), "even"),
        Operator("(2,1)", _pairs((1, 2), (2, 1), (1, -2), (2, -1)), "even"),
        Operator("(2,2)", _pairs((2, 2), (2, -2)), "even"),
        Operator("m", (((0, 0),),), "odd"),
        Operator(
            "triple",
            (
                ((0, 0), (0, 1), (1, 0)),
                ((0, 0), (0, 1), (1, 1)),
                ((0, 0), (1, 0), (1, 1)),
                ((0, 1), (1, 0), (1, 1)),
            ),
            "odd",
        ),
        Operator("line3", (((0, 0), (0, 1), (0, 2)), ((0, 0), (1, 0), (2, 0))), "odd"),
    )
}

OPERATORS_1D: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("nn", (((0,), (1,)),), "even"),
        Operator("nnn", (((0,), (2,)),), "even"),
        Operator("nn3", (((0,), (3,)),), "even"),
        Operator("four", (((0,), (1,), (2,), (3,)),), "even"),
        Operator("m", (((0,),),), "odd"),
        Operator("triple", (((0,), (1,), (2,)),), "odd"),
    )
}

#: Aliases accepted on the command line.
_ALIASES = {"field": "m", "h": "m", "plaq": "plaquette", "3spin": "triple"}


def get_operators(names, ndim: int = 2) -> list[Operator]:
    """Operators by name for a 1D or 2D lattice; names may be a comma-separated string."""
    table = OPERATORS_2D if ndim == 2 else OPERATORS_1D
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    out = []
    for name in names:
        key = _ALIASES.get(name, name)
        if key not in table:
            raise InputError(
                f"unknown operator {name!r} for a {ndim}D lattice; expected some of {sorted(table)}"
            )
        out.append(table[key])
    if not out:
        raise InputError("no operators given")
    if len({o.name for o in out}) != len(out):
        raise InputError(f"operators repeat: {[o.name for o in out]}")
    return out
