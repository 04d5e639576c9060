"""``deeprg sample`` and ``deeprg observe``: Monte Carlo datasets and their observables."""

from __future__ import annotations

import click

from deeprg.cli._common import (
    COUPLING,
    bad_input,
    check_count,
    check_sampling_cost,
    check_seed,
    emit,
    examples,
    int_or_auto,
    json_option,
    output_file,
    temperature_option,
)
from deeprg.cli._progress import _progress

ALGOS = click.Choice(
    ["auto", "metropolis", "heatbath", "wolff", "sw", "msc-metropolis"], case_sensitive=False
)


def _sample_options(func):
    options = [
        temperature_option(help_K="Coupling K = beta J (> 0).", kind=COUPLING),
        click.option("--n", "n", type=int, required=True, help="Number of configurations to store."),
        click.option(
            "--algo",
            type=ALGOS,
            default="auto",
            show_default=True,
            help="Update rule; 'auto' picks the fastest correct one and says why "
            "(Wolff near and below K_c, multi-spin-coded Metropolis above, Metropolis with a field).",
        ),
        click.option(
            "--h", "h", type=COUPLING, default=0.0, show_default=True, help="Field h (metropolis, heatbath)."
        ),
        click.option("--seed", type=int, default=None, help="Seed (default: drawn and recorded)."),
        click.option(
            "--chains",
            type=int,
            default=None,
            help="Independent chains (default: max(4, threads); max(2, threads) for wolff and sw; "
            "64 per thread for msc-metropolis).",
        ),
        click.option(
            "--burn-in", "burn_in", default="auto", show_default=True, help="Updates per chain, or 'auto'."
        ),
        click.option(
            "--decorrelate",
            default="auto",
            show_default=True,
            help="Updates between samples, or 'auto' (tau).",
        ),
        click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True),
        click.option("--out", type=click.Path(dir_okay=False), required=True, help="Output .h5 file."),
        click.option("--quiet", is_flag=True, help="No progress bar."),
        json_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _precheck(n_sites: int, opts: dict) -> None:
    """Output, seed, counts and cost, before the lattice is built or a chain runs."""
    output_file(opts["out"])
    check_seed(opts["seed"])
    check_count(opts["n"], "--n")
    check_count(opts["chains"], "--chains")
    burn = int_or_auto(str(opts["burn_in"]), "--burn-in", 0)
    thin = int_or_auto(str(opts["decorrelate"]), "--decorrelate", 1)
    check_sampling_cost(n_sites, opts["n"], opts["chains"], burn, thin)


def _run_sampling(lattice, K, n, algo, h, seed, chains, burn_in, decorrelate, device, out, quiet, as_json):
    from deeprg.sampling import generate_samples
    from deeprg.stats import chain_observables

    if K <= 0:
        raise bad_input(f"--K must be > 0, got {K}")
    if n < 1:
        raise bad_input(f"--n must be at least 1 configuration, got {n}")
    if chains is not None and chains < 1:
        raise bad_input(f"--chains must be at least 1, got {chains}")
    if seed is not None and seed < 0:
        raise bad_input(f"--seed must be >= 0, got {seed}")
    if device == "cuda":
        from deeprg.sampling import cuda_available

        if not cuda_available():
            raise bad_input("--device cuda was asked for, but torch sees no CUDA device; use --device cpu")
    burn = int_or_auto(str(burn_in), "--burn-in", 0)
    thin = int_or_auto(str(decorrelate), "--decorrelate", 1)
    with _progress(quiet or as_json, f"sampling {n} configurations", "samples") as report:
        gen = generate_samples(
            lattice,
            K,
            n,
            h=h,
            algorithm=algo.lower(),
            seed=seed,
            n_chains=chains,
            burn_in=burn,
            decorrelate=thin,
            progress=report,
            device=device,
        )
    obs = (
        chain_observables(gen.bond_sum, gen.magnetization, gen.chain, lattice.n_sites, K, h)
        if n >= 2
        else None
    )
    attrs = {**gen.attrs, "observables": obs}
    from deeprg.data import write_dataset  # h5py is needed only now, not before the kernel runs

    # gzip level 1: half the time of level 4 on +-1 spins, files ~30% larger
    write_dataset(out, gen.configs, attrs, chain=gen.chain, compression_level=1)
    keys = ("algorithm", "algorithm_reason", "seed", "n_chains", "thinning", "thermalized", "independent")
    summary = {
        "out": str(out),
        "n_samples": int(gen.configs.shape[0]),
        "shape": list(gen.configs.shape[1:]),
        **{k: gen.attrs[k] for k in keys},
        "tau_int_abs_magnetization": gen.attrs["tau_int_abs_magnetization"],
        "energy_per_site": obs["energy_per_site"] if obs else None,
        "abs_magnetization": obs["abs_magnetization"] if obs else None,
    }
    if gen.attrs["warning"]:
        summary["warning"] = gen.attrs["warning"]
    emit(summary, as_json)


@click.group(
    epilog=examples("deeprg sample ising2d --L 40 --K 0.408 --n 20000 --algo wolff --seed 1 --out ms.h5")
)
def sample():
    """Sample Ising configurations into an HDF5 dataset."""


@sample.command(
    "ising2d",
    epilog=examples(
        "deeprg sample ising2d --L 40 --K 0.408 --n 20000 --algo wolff --seed 1 --out ms.h5",
        "deeprg sample ising2d --L 32 --T 2.269 --n 1000 --algo sw --out tc.h5",
    ),
)
@click.option("--L", "L", type=int, required=True, help="Rows (>= 2).")
@click.option("--M", "M", type=int, default=None, help="Columns (default: L).")
@_sample_options
def sample_ising2d(L, M, **kwargs):
    """Square-lattice Ising model on an L x M torus."""
    from deeprg.lattice import SquareLattice

    if L < 2 or (M is not None and M < 2):
        raise bad_input(f"--L and --M must be at least 2, got L={L}, M={M}")
    _precheck(L * (M or L), kwargs)
    _run_sampling(SquareLattice(L, M), **kwargs)


@sample.command(
    "ising1d", epilog=examples("deeprg sample ising1d --L 256 --K 0.8 --n 4000 --seed 1 --out chain.h5")
)
@click.option("--L", "L", type=int, required=True, help="Chain length (>= 2), periodic.")
@_sample_options
def sample_ising1d(L, **kwargs):
    """Ising chain (ring) of L spins."""
    from deeprg.lattice import Chain

    if L < 2:
        raise bad_input(f"--L must be at least 2 spins, got {L}")
    _precheck(L, kwargs)
    _run_sampling(Chain(L), **kwargs)


@click.command(epilog=examples("deeprg observe ms.h5", "deeprg observe ms.h5 --json"))
@click.argument("dataset", type=click.Path(dir_okay=False))
@json_option
def observe(dataset, as_json):
    """Observables with autocorrelation-aware errors from a dataset."""
    from deeprg.data import read_dataset
    from deeprg.stats import dataset_observables

    emit(dataset_observables(read_dataset(dataset)), as_json)
