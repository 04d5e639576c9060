"""The ``deeprg`` command group and its subcommands."""

from __future__ import annotations

import json
import sys

import click

from deeprg import __version__
from deeprg.cli._common import FINITE, bad_input, emit, json_option, run_cli


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="deeprg")
def cli():
    """deeprg: test, with numbers, whether deep learning works like the renormalization group."""


@cli.command()
@json_option
def info(as_json):
    """Version, dependency versions, numba and torch devices."""
    from deeprg._info import system_info

    emit(system_info(), as_json)


@cli.group()
def exact():
    """Exact solutions (transfer matrix, Kaufman, Onsager)."""


@exact.command("ising1d")
@click.option("--n", "n", type=int, required=True, help="Number of spins (>= 2).")
@click.option("--K", "K", type=FINITE, required=True, help="Coupling K = beta J (> 0).")
@click.option("--h", "h", type=FINITE, default=0.0, show_default=True, help="Field h = beta H.")
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


@exact.command("ising2d")
@click.option("--L", "L", type=str, required=True, help="Rows (>= 2), or 'inf' for Onsager.")
@click.option("--M", "M", type=int, default=None, help="Columns (default: L).")
@click.option("--K", "K", type=FINITE, required=True, help="Coupling K = beta J (> 0).")
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
        emit({"model": "ising2d", "L": "inf", "K": K, "K_c": K_CRITICAL, **result}, as_json)
        return
    try:
        L_int = int(L)
    except ValueError:
        raise bad_input(f"--L must be an integer >= 2 or 'inf', got {L!r}") from None
    if L_int < 2 or (M is not None and M < 2):
        raise bad_input(f"--L and --M must be at least 2, got L={L_int}, M={M}")
    result = kaufman_thermo(L_int, K, M).to_dict()
    emit({"model": "ising2d", "L": L_int, "M": M or L_int, "K": K, "K_c": K_CRITICAL, **result}, as_json)


ALGOS = click.Choice(["metropolis", "heatbath", "wolff", "sw"], case_sensitive=False)


def _int_or_auto(value: str, option: str, minimum: int):
    if value.strip().lower() == "auto":
        return "auto"
    try:
        out = int(value)
    except ValueError:
        raise bad_input(f"{option} must be an integer >= {minimum} or 'auto', got {value!r}") from None
    if out < minimum:
        raise bad_input(f"{option} must be an integer >= {minimum} or 'auto', got {out}")
    return out


def _sample_options(func):
    options = [
        click.option("--K", "K", type=FINITE, required=True, help="Coupling K = beta J (> 0)."),
        click.option("--n", "n", type=int, required=True, help="Number of configurations to store."),
        click.option("--algo", type=ALGOS, default="metropolis", show_default=True, help="Update rule."),
        click.option(
            "--h", "h", type=FINITE, default=0.0, show_default=True, help="Field h (metropolis, heatbath)."
        ),
        click.option("--seed", type=int, default=None, help="Seed (default: drawn and recorded)."),
        click.option("--chains", type=int, default=None, help="Independent chains (default min(n, 32))."),
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


def _run_sampling(lattice, K, n, algo, h, seed, chains, burn_in, decorrelate, device, out, quiet, as_json):
    from deeprg.data import write_dataset
    from deeprg.sampling import generate_samples
    from deeprg.stats import ising_observables

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
    burn = _int_or_auto(str(burn_in), "--burn-in", 0)
    thin = _int_or_auto(str(decorrelate), "--decorrelate", 1)
    with _progress(quiet, f"sampling {n} configurations") as report:
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
    obs = ising_observables(gen.bond_sum, gen.magnetization, lattice.n_sites, K, h)
    attrs = {**gen.attrs, "observables": obs}
    write_dataset(out, gen.configs, attrs, chain=gen.chain)
    summary = {
        "out": str(out),
        "n_samples": int(gen.configs.shape[0]),
        "shape": list(gen.configs.shape[1:]),
        **{k: gen.attrs[k] for k in ("algorithm", "seed", "n_chains", "thinning", "thermalized")},
        "tau_int_abs_magnetization": gen.attrs["tau_int_abs_magnetization"],
        "energy_per_site": obs["energy_per_site"],
        "abs_magnetization": obs["abs_magnetization"],
    }
    emit(summary, as_json)


class _progress:
    """A rich progress bar on stderr (silent with --quiet or when stderr is not a terminal)."""

    def __init__(self, quiet: bool, label: str):
        self.enabled = not quiet and sys.stderr.isatty()
        self.label = label

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.progress import Progress

        self._bar = Progress(transient=True)
        self._bar.start()
        self._task = self._bar.add_task(self.label, total=None)

        def report(done, total):
            self._bar.update(self._task, completed=done, total=total)

        return report

    def __exit__(self, *exc):
        if self.enabled:
            self._bar.stop()
        return False


@cli.group()
def sample():
    """Sample Ising configurations into an HDF5 dataset."""


@sample.command("ising2d")
@click.option("--L", "L", type=int, required=True, help="Rows (>= 2).")
@click.option("--M", "M", type=int, default=None, help="Columns (default: L).")
@_sample_options
def sample_ising2d(L, M, **kwargs):
    """Square-lattice Ising model on an L x M torus."""
    from deeprg.lattice import SquareLattice

    if L < 2 or (M is not None and M < 2):
        raise bad_input(f"--L and --M must be at least 2, got L={L}, M={M}")
    _run_sampling(SquareLattice(L, M), **kwargs)


@sample.command("ising1d")
@click.option("--L", "L", type=int, required=True, help="Chain length (>= 2), periodic.")
@_sample_options
def sample_ising1d(L, **kwargs):
    """Ising chain (ring) of L spins."""
    from deeprg.lattice import Chain

    if L < 2:
        raise bad_input(f"--L must be at least 2 spins, got {L}")
    _run_sampling(Chain(L), **kwargs)


@cli.command()
@click.argument("dataset", type=click.Path(dir_okay=False))
@json_option
def observe(dataset, as_json):
    """Observables with autocorrelation-aware errors from a dataset."""
    from deeprg.data import read_dataset
    from deeprg.stats import dataset_observables

    emit(dataset_observables(read_dataset(dataset)), as_json)


@cli.group()
def rg():
    """Real-space renormalization group."""


@rg.command("decimate1d")
@click.option("--K", "K", type=FINITE, required=True, help="Coupling K.")
@click.option("--h", "h", type=FINITE, default=0.0, show_default=True, help="Field h.")
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


@rg.command("mk")
@click.option("--b", "b", type=int, default=2, show_default=True, help="Rescaling factor (>= 2).")
@click.option("--d", "d", type=int, default=2, show_default=True, help="Dimension (2..6).")
@json_option
def rg_mk(b, d, as_json):
    """Migdal-Kadanoff fixed point and thermal exponent, beside the exact 2D values."""
    from deeprg.rg import mk_fixed_point

    if b < 2 or not 2 <= d <= 6:
        raise bad_input(f"need --b >= 2 and 2 <= --d <= 6, got b={b}, d={d}")
    emit(mk_fixed_point(b, d).to_dict(), as_json)


@rg.command("block")
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


@rg.command("couplings")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--operators", default="nn", show_default=True, help="Comma-separated operator names.")
@json_option
def rg_couplings(source, operators, as_json):
    """Effective couplings by maximum pseudo-likelihood, with sandwich errors."""
    from deeprg.data import read_dataset
    from deeprg.rg import fit_couplings

    ds = read_dataset(source)
    emit({"source": str(source), **fit_couplings(ds.configs, operators).to_dict()}, as_json)


@rg.command("mcrg")
@click.option("--L", "L", type=int, required=True, help="Lattice side (divisible by 2^levels, >= 4 after).")
@click.option("--K", "K", type=FINITE, required=True, help="Coupling (K_c = 0.4406867935).")
@click.option("--samples", type=int, required=True, help="Number of configurations.")
@click.option("--levels", type=int, default=2, show_default=True, help="Blocking levels.")
@click.option(
    "--couplings", "n_couplings", type=int, default=6, show_default=True, help="Even operators (1..6)."
)
@click.option("--algo", type=ALGOS, default="wolff", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@json_option
def rg_mcrg(L, K, samples, levels, n_couplings, algo, seed, as_json):
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
    gen = generate_samples(SquareLattice(L), K, samples, algorithm=algo.lower(), seed=seed)
    result = mcrg_exponents(gen.configs, levels=levels, even=EVEN_2D[:n_couplings], odd=ODD_2D, seed=seed)
    emit({"K": K, "algorithm": algo, "thinning": gen.attrs["thinning"], **result.to_dict()}, as_json)


def _parse_overrides(pairs) -> dict:
    """--set key=value pairs; values are parsed as JSON when possible (numbers, lists, bools)."""
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise bad_input(f"--set expects key=value, got {pair!r}")
        key, raw = pair.split("=", 1)
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out


@cli.command()
@click.argument("name")
@click.option("--preset", type=click.Choice(["quick", "paper"]), default="quick", show_default=True)
@click.option("--out", "out", type=click.Path(file_okay=False), default="reports", show_default=True)
@click.option(
    "--config", "config_file", type=click.Path(dir_okay=False), default=None, help="TOML file of config keys."
)
@click.option(
    "--set", "overrides", multiple=True, help="Override a config key: --set key=value (repeatable)."
)
@click.option("--fresh", is_flag=True, help="Recompute every step instead of resuming.")
@click.option("--quiet", is_flag=True, help="No progress messages.")
@json_option
def reproduce(name, preset, out, config_file, overrides, fresh, quiet, as_json):
    """Run one experiment (or 'all') and write its report under OUT/NAME/."""
    from pathlib import Path

    from deeprg.experiments import REGISTRY, resolve_config, run_experiment
    from deeprg.report import render_run, write_index

    names = list(REGISTRY) if name == "all" else [name]
    if name != "all" and name not in REGISTRY:
        raise bad_input(f"unknown experiment {name!r}; expected one of {list(REGISTRY)} or 'all'")
    parsed = _parse_overrides(overrides)
    if name == "all" and (parsed or config_file):
        raise bad_input("--set and --config apply to one experiment, not to 'all'")
    configs = {n: resolve_config(n, preset, config_file=config_file, overrides=parsed) for n in names}
    summary = {}
    for n in names:
        run_dir = Path(out) / n

        def progress(step, n=n):
            if not quiet:
                click.echo(f"[{n}] {step}", err=True)

        result, doc = run_experiment(n, run_dir, configs[n], progress=progress, fresh=fresh)
        report = render_run(run_dir, doc["title"], doc, result)
        summary[n] = {
            "report": str(report),
            "seconds": round(doc["timings_seconds"]["total"], 2),
            "verdicts": [c.verdict for c in result.claims],
            "summary": result.summary,
        }
        if not quiet:
            click.echo(f"[{n}] done in {doc['timings_seconds']['total']:.1f} s: {result.summary}", err=True)
    index = write_index(out)
    emit({"index": str(index), "runs": summary}, as_json)


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    sys.exit(run_cli(cli, argv))
