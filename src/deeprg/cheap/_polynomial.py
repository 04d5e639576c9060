"""Polynomials compiled into networks of multiplication gates (Lin, Tegmark & Rolnick 2017).

Text format: terms separated by + or -, each a coefficient and/or variables x<i> with optional
powers, e.g. ``"3*x0*x1 - 0.5*x2^2 + 1.5"``. A polynomial is a dict {monomial: coefficient}
with monomials as sorted tuples of variable indices (repeats are powers).

- continuous: each monomial of degree d is a binary tree of multiplication gates of depth
  ceil(log2 d), then one linear output neuron sums the monomials with their coefficients;
- binary (variables in {0,1}, so x^p = x): each monomial is one BinaryProductGate neuron, and
  a linear output sums them: input, one hidden layer, output (3 layers).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import torch
from torch import nn

from deeprg.cheap._gates import BinaryProductGate, MultiplicationGate
from deeprg.errors import InputError

#: Limits of the polynomial compiler (network size grows with the degree and the variables).
MAX_DEGREE = 64
MAX_VARIABLES = 4096
MAX_TERMS = 10_000


def _split_terms(s: str) -> list[str]:
    """Split at + and - that are not the sign of a number's exponent (1e-3)."""
    pieces, start = [], 0
    for i in range(1, len(s)):
        if s[i] in "+-" and not (s[i - 1] in "eE" and i >= 2 and (s[i - 2].isdigit() or s[i - 2] == ".")):
            pieces.append(s[start:i])
            start = i
    pieces.append(s[start:])
    return pieces


def parse_polynomial(text: str) -> dict[tuple[int, ...], float]:
    """Parse the text format into {monomial: coefficient}. Raises InputError on bad input."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("empty polynomial; expected terms like '3*x0*x1 - 0.5*x2^2 + 1'")
    s = text.replace(" ", "").replace("**", "^")
    if s[0] not in "+-":
        s = "+" + s
    poly: dict[tuple[int, ...], float] = {}
    pieces = _split_terms(s)
    if len(pieces) > MAX_TERMS:
        raise InputError(f"the polynomial has {len(pieces)} terms, more than the limit of {MAX_TERMS}")
    for piece in pieces:
        sign = -1.0 if piece[0] == "-" else 1.0
        body = piece[1:]
        if not body:
            raise InputError(f"dangling sign in polynomial {text!r}")
        coef, mono = sign, []
        for f in body.split("*"):
            if not f:
                raise InputError(f"empty factor in polynomial {text!r}")
            m = re.fullmatch(r"x(\d+)(?:\^(\d+))?", f)
            if m:
                var, power = int(m.group(1)), int(m.group(2) or 1)
                if var >= MAX_VARIABLES or len(mono) + power > MAX_DEGREE:
                    raise InputError(
                        f"term {body!r} of {text!r} is beyond the compiler's limits: variables "
                        f"x0..x{MAX_VARIABLES - 1}, degree <= {MAX_DEGREE} per term"
                    )
                mono += [var] * power
                continue
            try:
                coef *= float(f)
            except ValueError:
                raise InputError(
                    f"bad factor {f!r} in polynomial {text!r}; expected numbers and x<i>^<p>"
                ) from None
        if not math.isfinite(coef):
            raise InputError(f"non-finite coefficient in {text!r}")
        key = tuple(sorted(mono))
        poly[key] = poly.get(key, 0.0) + coef
    return {k: v for k, v in poly.items() if v != 0.0}


def evaluate_polynomial(poly: dict, x: torch.Tensor) -> torch.Tensor:
    """Direct evaluation, x (..., n_vars) -> (...)."""
    out = torch.zeros(x.shape[:-1], dtype=x.dtype)
    for mono, c in poly.items():
        term = torch.full(x.shape[:-1], c, dtype=x.dtype)
        for i in mono:
            term = term * x[..., i]
        out = out + term
    return out


class _ProductTree(nn.Module):
    """prod of x[idx] by a binary tree of MultiplicationGates (pass-through for odd counts)."""

    def __init__(self, idx: tuple[int, ...], lam: float, activation: str):
        super().__init__()
        self.idx = list(idx)
        levels, width = [], len(idx)
        while width > 1:
            levels.append(nn.ModuleList(MultiplicationGate(lam, activation) for _ in range(width // 2)))
            width = width // 2 + width % 2
        self.levels = nn.ModuleList(levels)

    @property
    def n_gates(self) -> int:
        return sum(len(level) for level in self.levels)

    @property
    def depth(self) -> int:
        return len(self.levels)

    def forward(self, x):
        vals = [x[..., i] for i in self.idx]
        for level in self.levels:
            nxt = [gate(torch.stack([vals[2 * j], vals[2 * j + 1]], dim=-1)) for j, gate in enumerate(level)]
            if len(vals) % 2:
                nxt.append(vals[-1])
            vals = nxt
        return vals[0] if vals else torch.ones(x.shape[:-1], dtype=x.dtype)


@dataclass(frozen=True)
class NetworkCost:
    neurons: int
    synapses: int
    depth: int


class CompiledPolynomial(nn.Module):
    """A polynomial as a network (continuous gates or binary 3-layer form).

    Attributes: ``cost`` (neurons, synapses, hidden depth); ``poly``; ``n_vars``.
    """

    def __init__(
        self,
        poly: dict,
        *,
        binary: bool = False,
        lam: float = 1e-3,
        beta: float = 60.0,
        activation: str = "sigmoid",
    ):
        super().__init__()
        if not poly:
            raise InputError("the polynomial has no terms")
        self.poly = dict(poly)
        self.binary = binary
        self.n_vars = 1 + max((max(m) for m in poly if m), default=-1)
        self.monomials = list(poly)
        self.register_buffer(
            "coefficients", torch.tensor([poly[m] for m in self.monomials], dtype=torch.float64)
        )
        if binary:
            self.gates = nn.ModuleList(
                BinaryProductGate(len(set(m)), beta) if m else nn.Identity() for m in self.monomials
            )
            n = sum(1 for m in self.monomials if m)
            syn = sum(len(set(m)) + 1 for m in self.monomials if m) + len(self.monomials)
            self.cost = NetworkCost(neurons=n + 1, synapses=syn, depth=1)
        else:
            self.trees = nn.ModuleList(_ProductTree(m, lam, activation) for m in self.monomials)
            gates = sum(t.n_gates for t in self.trees)
            self.cost = NetworkCost(
                neurons=4 * gates + 1,
                synapses=MultiplicationGate.n_synapses * gates + len(self.monomials),
                depth=max((t.depth for t in self.trees), default=0),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] < self.n_vars:
            raise InputError(f"input has {x.shape[-1]} variables, the polynomial uses {self.n_vars}")
        if self.binary:
            terms = []
            for m, gate in zip(self.monomials, self.gates, strict=True):
                if m:
                    terms.append(gate(x[..., sorted(set(m))]))
                else:
                    terms.append(torch.ones(x.shape[:-1], dtype=x.dtype))
        else:
            terms = [tree(x) for tree in self.trees]
        return torch.stack(terms, dim=-1) @ self.coefficients.to(x.dtype)


def compile_polynomial(poly, **kwargs) -> CompiledPolynomial:
    """Compile a dict or text polynomial (see :class:`CompiledPolynomial` for options)."""
    if isinstance(poly, str):
        poly = parse_polynomial(poly)
    return CompiledPolynomial(poly, **kwargs)


def count_monomials(n: int, d: int) -> int:
    """Number of monomials of degree <= d in n variables: (n + d)! / (n! d!)."""
    return math.comb(n + d, d)


def markov_network_neuron_bound(n_cliques: int, clique_size: int) -> int:
    """Lin-Tegmark locality bound: a Markov network with N_c cliques of at most S_c variables
    needs at most N_c 2^{S_c} neurons (one per monomial of each clique's energy)."""
    if n_cliques < 0 or clique_size < 0:
        raise InputError("clique counts and sizes must be >= 0")
    return n_cliques * 2**clique_size
