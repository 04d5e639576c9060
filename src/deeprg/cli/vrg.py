"""``deeprg vrg``: variational RG, the Kadanoff-RBM mapping, trained networks analysed."""

from __future__ import annotations

import click

from deeprg.cli._common import (
    COUPLING,
    FINITE,
    bad_input,
    check_count,
    check_seed,
    emit,
    examples,
    json_option,
    temperature_option,
)
from deeprg.cli._progress import _progress


@click.group(epilog=examples("deeprg vrg decimation1d --K 0.8", "deeprg vrg analyze dbn/ ms.h5"))
def vrg():
    """Variational RG and RBMs: the mapping computed, trained networks analysed."""


@vrg.command(
    "decimation1d",
    epilog=examples("deeprg vrg decimation1d --K 0.8", "deeprg vrg decimation1d --T 2.0 --n 16 --json"),
)
@temperature_option(help_K="Chain coupling K > 0.", kind=COUPLING)
@click.option("--n", "n", type=int, default=12, show_default=True, help="Visible spins (even, 4..20).")
@click.option(
    "--J",
    "J",
    type=COUPLING,
    default=20.0,
    show_default=True,
    help="Decimation coupling (exact as J -> inf).",
)
@json_option
def vrg_decimation1d(K, n, J, as_json):
    """The RBM-like operator that decimates the Ising chain: K', its exact value, the defect."""
    from deeprg.vrg import decimation_operator, exact_k_prime

    if K <= 0:
        raise bad_input(f"--K must be > 0, got {K}")
    if n < 4 or n > 20 or n % 2:
        raise bad_input(f"--n must be an even number between 4 and 20, got {n}")
    if J < 5:
        raise bad_input(f"--J must be >= 5 (corrections ~ e^-2J), got {J}")
    m = decimation_operator(n, K, J)
    c = m.renormalized_couplings()
    ring = {tuple(sorted((j, (j + 1) % (n // 2)))) for j in range(n // 2)}
    kp = [c.get(p, 0.0) for p in sorted(ring)]
    others = max((abs(v) for k, v in c.items() if k and k not in ring), default=0.0)
    emit(
        {
            "K": K,
            "n": n,
            "J": J,
            "K_prime": float(sum(kp) / len(kp)),
            "K_prime_exact": exact_k_prime(K),
            "other_couplings_max": others,
            **m.summary(),
        },
        as_json,
    )


@vrg.command(
    "analyze",
    epilog=examples("deeprg vrg analyze dbn/ ms.h5", "deeprg vrg analyze rbm/ ms.h5 --radius 5 --json"),
)
@click.argument("model", type=click.Path())
@click.argument("data", type=click.Path(dir_okay=False))
@click.option("--radius", type=FINITE, default=None, help="Locality window (default L/4).")
@click.option("--max-samples", type=int, default=4000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--quiet", is_flag=True, help="No progress display.")
@json_option
def vrg_analyze(model, data, radius, max_samples, seed, quiet, as_json):
    """Locality per layer against shuffled nulls, cross-entropy per unit, couplings vs block spins."""
    from deeprg.data import read_dataset
    from deeprg.nn import DBN, load_model
    from deeprg.vrg import analyze_network

    if radius is not None and radius <= 0:
        raise bad_input(f"--radius must be > 0, got {radius}")
    check_count(max_samples, "--max-samples", 1)
    check_seed(seed)
    net, _ = load_model(model)
    ds = read_dataset(data)
    if ds.configs.ndim != 3:
        raise bad_input("vrg analyze needs a 2D lattice dataset (n, L, L)")
    layers = list(net.layers) if isinstance(net, DBN) else [net]
    if layers[0].n_visible != ds.n_sites:
        raise bad_input(f"the model has {layers[0].n_visible} visible units, the dataset {ds.n_sites} sites")
    with _progress(quiet or as_json, "analysing layers", "layers") as report:
        result = analyze_network(layers, ds.configs[:max_samples], radius=radius, seed=seed, progress=report)
    emit(result, as_json)
