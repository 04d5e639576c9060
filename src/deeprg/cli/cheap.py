"""``deeprg cheap``: the Lin-Tegmark-Rolnick constructions."""

from __future__ import annotations

import math

import click

from deeprg.cli._common import (
    FINITE,
    bad_input,
    check_seed,
    emit,
    examples,
    json_option,
)


@click.group(
    epilog=examples("deeprg cheap gate --kind mult", "deeprg cheap compile '3*x0*x1 - 0.5*x2^2 + 1'")
)
def cheap():
    """Lin-Tegmark constructions: multiplication gates and compiled polynomials."""


@cheap.command(
    "gate",
    epilog=examples(
        "deeprg cheap gate --kind mult --lambda 0.01",
        "deeprg cheap gate --kind binary --k 3 --beta 40 --json",
    ),
)
@click.option("--kind", type=click.Choice(["mult", "binary"]), required=True)
@click.option("--lambda", "lam", type=FINITE, default=None, help="Input scale of the multiplication gate.")
@click.option(
    "--activation",
    type=click.Choice(["sigmoid", "softplus", "tanh", "exp"]),
    default="sigmoid",
    show_default=True,
)
@click.option("--beta", type=FINITE, default=None, help="Bias (mult) or gain (binary).")
@click.option("--k", "k", type=int, default=3, show_default=True, help="Bits of the binary product.")
@json_option
def cheap_gate(kind, lam, activation, beta, k, as_json):
    """Measure a gate's error (and, for mult, the log-log slope of error against lambda)."""
    from deeprg.cheap import binary_gate_error, error_slope, multiplication_error

    if kind == "mult":
        if lam is not None and lam <= 0:
            raise bad_input(f"--lambda must be > 0, got {lam}")
        slope, lambdas, errors = error_slope(activation, beta=beta)
        out = {
            "kind": "mult",
            "activation": activation,
            "neurons": 4,
            "slope": slope,
            "expected_slope": 2.0,
            "lambdas": lambdas,
            "errors": errors,
        }
        if lam is not None:
            out["lambda"] = lam
            out["max_error"] = multiplication_error(lam, activation, beta=beta)
    else:
        if not 1 <= k <= 20:
            raise bad_input(f"--k must be between 1 and 20, got {k}")
        b = 40.0 if beta is None else beta
        if b <= 0:
            raise bad_input(f"--beta must be > 0, got {b}")
        out = {
            "kind": "binary",
            "k": k,
            "beta": b,
            "neurons": 1,
            "max_error": binary_gate_error(k, b),
            "bound": 1 / (1 + math.exp(b / 2)),
        }
    emit(out, as_json)


@cheap.command(
    "compile",
    epilog=examples(
        "deeprg cheap compile '3*x0*x1 - 0.5*x2^2 + 1'",
        "deeprg cheap compile 'x0*x1*x2 + x3' --binary --json",
    ),
)
@click.argument("poly")
@click.option("--binary", is_flag=True, help="Variables are bits: the 3-layer construction.")
@click.option("--lambda", "lam", type=FINITE, default=1e-3, show_default=True)
@click.option("--beta", type=FINITE, default=60.0, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@json_option
def cheap_compile(poly, binary, lam, beta, seed, as_json):
    """Compile a polynomial such as '3*x0*x1 - 0.5*x2^2 + 1' into a network; report its size
    and its error against direct evaluation on random inputs."""
    import torch

    from deeprg.cheap import compile_polynomial, evaluate_polynomial, parse_polynomial

    if lam <= 0 or beta <= 0:
        raise bad_input(f"--lambda and --beta must be > 0, got {lam}, {beta}")
    check_seed(seed)
    parsed = parse_polynomial(poly)
    net = compile_polynomial(parsed, binary=binary, lam=lam, beta=beta)
    gen = torch.Generator().manual_seed(seed)
    n = max(net.n_vars, 1)
    x = torch.rand((2000, n), generator=gen, dtype=torch.float64)
    x = (x < 0.5).to(torch.float64) if binary else 2 * x - 1
    err = float((net(x) - evaluate_polynomial(parsed, x)).abs().max())
    emit(
        {
            "polynomial": poly,
            "terms": {"*".join(f"x{i}" for i in m) or "1": c for m, c in parsed.items()},
            "binary": binary,
            "neurons": net.cost.neurons,
            "synapses": net.cost.synapses,
            "hidden_depth": net.cost.depth,
            "max_error": err,
        },
        as_json,
    )
