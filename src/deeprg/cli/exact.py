"""``deeprg exact``: exact results (transfer matrix, Kaufman, Onsager)."""

from __future__ import annotations

import click

from deeprg.cli._common import (
    COUPLING,
    bad_input,
    check_finite_result,
    emit,
    examples,
    json_option,
    temperature_option,
)

#: Kaufman sides beyond this differ from Onsager (--L inf) by less than float64 resolution.
MAX_SIDE = 1_000_000


@click.group(epilog=examples("deeprg exact ising2d --L 16 --K 0.44", "deeprg exact ising1d --n 10 --T 1.5"))
def exact():
    """Exact solutions (transfer matrix, Kaufman, Onsager)."""


@exact.command(
    "ising1d",
    epilog=examples(
        "deeprg exact ising1d --n 100 --K 0.5 --h 0.1",
        "deeprg exact ising1d --n 64 --T 2.0 --open --json",
    ),
)
@click.option("--n", "n", type=int, required=True, help="Number of spins (>= 2).")
@temperature_option(help_K="Coupling K = beta J (> 0).", kind=COUPLING)
@click.option("--h", "h", type=COUPLING, default=0.0, show_default=True, help="Field h = beta H.")
@click.option("--open", "open_chain", is_flag=True, help="Open chain instead of a ring.")
@json_option
def exact_ising1d(n, K, h, open_chain, as_json):
    """Exact 1D Ising chain by the transfer matrix."""
    from deeprg.exact import chain_thermo

    if n < 2:
        raise bad_input(f"--n must be at least 2 spins, got {n}")
    if K <= 0:
        raise bad_input(f"--K must be > 0 (energies are in units of J = K/beta), got {K}")
    result = chain_thermo(n, K, h, periodic=not open_chain).to_dict()
    check_finite_result(result, "exact ising1d")
    emit(
        {
            "model": "ising1d",
            "n": n,
            "K": K,
            "h": h,
            "boundary": "open" if open_chain else "periodic",
            **result,
        },
        as_json,
    )


@exact.command(
    "ising2d",
    epilog=examples(
        "deeprg exact ising2d --L 64 --K 0.4406867935",
        "deeprg exact ising2d --L inf --T 2.0 --json",
    ),
)
@click.option("--L", "L", type=str, required=True, help="Rows (>= 2), or 'inf' for Onsager.")
@click.option("--M", "M", type=int, default=None, help="Columns (default: L).")
@temperature_option(help_K="Coupling K = beta J (> 0).", kind=COUPLING)
@json_option
def exact_ising2d(L, M, K, as_json):
    """Exact 2D Ising model: Kaufman's torus, or Onsager's infinite lattice (--L inf)."""
    from deeprg.exact import K_CRITICAL, kaufman_thermo, onsager_thermo

    if K <= 0:
        raise bad_input(f"--K must be > 0 (Kaufman and Onsager need a ferromagnet), got {K}")
    if L.strip().lower() in {"inf", "infinity"}:
        if M is not None:
            raise bad_input("--M makes no sense with --L inf (the infinite lattice)")
        result = onsager_thermo(K).to_dict()
        check_finite_result(result, "exact ising2d")
        emit({"model": "ising2d", "L": "inf", "K": K, "K_c": K_CRITICAL, **result}, as_json)
        return
    try:
        L_int = int(L)
    except ValueError:
        raise bad_input(f"--L must be an integer >= 2 or 'inf', got {L!r}") from None
    if L_int < 2 or (M is not None and M < 2):
        raise bad_input(f"--L and --M must be at least 2, got L={L_int}, M={M}")
    if max(L_int, M or L_int) > MAX_SIDE:
        raise bad_input(
            f"--L and --M must be at most {MAX_SIDE} (Kaufman); larger tori agree with --L inf "
            f"to float64 precision, got L={L_int}, M={M}"
        )
    result = kaufman_thermo(L_int, K, M).to_dict()
    check_finite_result(result, "exact ising2d")
    emit({"model": "ising2d", "L": L_int, "M": M or L_int, "K": K, "K_c": K_CRITICAL, **result}, as_json)
