"""``deeprg rg``: classical renormalization group on chains, lattices and datasets."""

from __future__ import annotations

import json

import click

from deeprg.cli._common import (
    COUPLING,
    bad_input,
    check_cost,
    check_seed,
    emit,
    examples,
    json_option,
    output_file,
    temperature_option,
)
from deeprg.cli._progress import _progress
from deeprg.cli.sample import ALGOS


@click.group(epilog=examples("deeprg rg decimate1d --K 1.0 --steps 40", "deeprg rg mk"))
def rg():
    """Real-space renormalization group."""


@rg.command(
    "decimate1d",
    epilog=examples(
        "deeprg rg decimate1d --K 1.0 --h 0.2 --steps 60", "deeprg rg decimate1d --T 0.5 --b 3 --json"
    ),
)
@temperature_option(help_K="Coupling K.", kind=COUPLING)
@click.option("--h", "h", type=COUPLING, default=0.0, show_default=True, help="Field h.")
@click.option("--b", "b", type=int, default=2, show_default=True, help="Block size (>= 2).")
@click.option("--steps", type=int, default=40, show_default=True, help="Decimation steps (1..2000).")
@json_option
def rg_decimate1d(K, h, b, steps, as_json):
    """Exact decimation flow of the Ising chain and the free energy rebuilt from it."""
    from deeprg.rg import decimation_flow

    if b < 2:
        raise bad_input(f"--b must be at least 2, got {b}")
    if not 1 <= steps <= 2000:
        raise bad_input(f"--steps must be between 1 and 2000, got {steps}")
    emit({"K": K, "h": h, **decimation_flow(K, h, b=b, steps=steps).to_dict()}, as_json)


@rg.command("mk", epilog=examples("deeprg rg mk", "deeprg rg mk --b 3 --d 3 --json"))
@click.option("--b", "b", type=int, default=2, show_default=True, help="Rescaling factor (>= 2).")
@click.option("--d", "d", type=int, default=2, show_default=True, help="Dimension (2..6).")
@json_option
def rg_mk(b, d, as_json):
    """Migdal-Kadanoff fixed point and thermal exponent, beside the exact 2D values."""
    from deeprg.rg import mk_fixed_point

    if not 2 <= b <= 64 or not 2 <= d <= 6:
        raise bad_input(f"need 2 <= --b <= 64 and 2 <= --d <= 6, got b={b}, d={d}")
    emit(mk_fixed_point(b, d).to_dict(), as_json)


@rg.command("block", epilog=examples("deeprg rg block ms.h5 --rule majority --b 2 --out ms-b2.h5"))
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--rule", type=click.Choice(["majority", "decimation"]), default="majority", show_default=True)
@click.option("--b", "b", type=int, default=2, show_default=True, help="Block size.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of majority tie-breaking.")
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="Output .h5 file.")
@json_option
def rg_block(source, rule, b, seed, out, as_json):
    """Block-spin transform of a dataset; the metadata records the chain of transforms."""
    from deeprg.data import read_dataset, write_dataset
    from deeprg.rg import block_configs

    if b < 2:
        raise bad_input(f"--b must be at least 2, got {b}")
    output_file(out)
    check_seed(seed)
    ds = read_dataset(source)
    blocked = block_configs(ds.configs, b, rule, seed=seed)
    history = json.loads(ds.attrs.get("block_history", "[]"))
    history.append(
        {"rule": rule, "b": b, "seed": seed, "source": str(source), "from_shape": list(ds.lattice_shape)}
    )
    attrs = {
        k: v
        for k, v in ds.attrs.items()
        if k not in ("config_json", "deeprg_version", "created_utc", "git_hash", "host")
    }
    attrs.update(
        {
            "L": blocked.shape[1],
            "M": blocked.shape[2] if blocked.ndim == 3 else 1,
            "blocked": True,
            "block_history": json.dumps(history),
        }
    )
    write_dataset(out, blocked, attrs, chain=ds.chain)
    emit({"out": str(out), "shape": list(blocked.shape), "block_history": history}, as_json)


@rg.command("couplings", epilog=examples("deeprg rg couplings ms-b2.h5 --operators nn,nnn,plaquette"))
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--operators", default="nn", show_default=True, help="Comma-separated operator names.")
@json_option
def rg_couplings(source, operators, as_json):
    """Effective couplings by maximum pseudo-likelihood, with sandwich errors."""
    from deeprg.data import read_dataset
    from deeprg.rg import fit_couplings

    ds = read_dataset(source)
    emit({"source": str(source), **fit_couplings(ds.configs, operators).to_dict()}, as_json)


@rg.command(
    "mcrg",
    epilog=examples(
        "deeprg rg mcrg --L 64 --K 0.4406867935 --samples 20000 --levels 3",
        "deeprg rg mcrg --L 32 --T 2.269185 --samples 2000 --levels 2 --json",
    ),
)
@click.option("--L", "L", type=int, required=True, help="Lattice side (divisible by 2^levels, >= 4 after).")
@temperature_option(help_K="Coupling (K_c = 0.4406867935).", kind=COUPLING)
@click.option("--samples", type=int, required=True, help="Number of configurations.")
@click.option("--levels", type=int, default=2, show_default=True, help="Blocking levels.")
@click.option(
    "--couplings", "n_couplings", type=int, default=6, show_default=True, help="Even operators (1..6)."
)
@click.option("--algo", type=ALGOS, default="wolff", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--quiet", is_flag=True, help="No progress display.")
@json_option
def rg_mcrg(L, K, samples, levels, n_couplings, algo, seed, quiet, as_json):
    """Swendsen MCRG: y_T and y_h with jackknife errors per level and truncation."""
    from deeprg.lattice import SquareLattice
    from deeprg.rg import EVEN_2D, ODD_2D, mcrg_exponents
    from deeprg.sampling import generate_samples

    if K <= 0:
        raise bad_input(f"--K must be > 0, got {K}")
    if not 1 <= n_couplings <= len(EVEN_2D):
        raise bad_input(f"--couplings must be between 1 and {len(EVEN_2D)}, got {n_couplings}")
    if levels < 1 or L < 8 or L % (2**levels) or L // 2**levels < 4:
        raise bad_input(f"--L={L} must be divisible by 2^levels and leave at least 4x4 after {levels} levels")
    if samples < 40:
        raise bad_input(f"--samples must be at least 40 (20 jackknife blocks), got {samples}")
    check_seed(seed)
    check_cost(
        f"MCRG with {samples} samples of {L}x{L}",
        nbytes=4.0 * samples * L * L,
        spin_updates=1000.0 * L * L + float(samples) * L * L,
    )
    with _progress(quiet or as_json, f"sampling {samples} configurations", "samples") as report:
        gen = generate_samples(
            SquareLattice(L), K, samples, algorithm=algo.lower(), seed=seed, progress=report
        )
    with _progress(quiet or as_json, "MCRG analysis", "stages") as report:
        result = mcrg_exponents(
            gen.configs, levels=levels, even=EVEN_2D[:n_couplings], odd=ODD_2D, seed=seed, progress=report
        )
    emit({"K": K, "algorithm": algo, "thinning": gen.attrs["thinning"], **result.to_dict()}, as_json)
