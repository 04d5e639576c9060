"""The ``deeprg`` command group and its subcommands."""

from __future__ import annotations

import json
import math
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


class _StepStatus:
    """Progress of an experiment: a live spinner with the step name and elapsed time on a
    terminal, one line per step otherwise; nothing with --quiet."""

    def __init__(self, name: str, quiet: bool, *, index: int, total: int):
        self.name, self.quiet, self.prefix = name, quiet, f"[{index}/{total} {name}]"
        self._live = None

    def step(self, step: str):
        if self.quiet:
            return
        if sys.stderr.isatty():
            from rich.console import Console

            self.stop()
            self._live = Console(stderr=True).status(f"{self.prefix} {step} ...")
            self._live.start()
        else:
            click.echo(f"{self.prefix} {step}", err=True)

    def stop(self):
        if self._live is not None:
            self._live.stop()
            self._live = None


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


def _train_options(func):
    options = [
        click.option(
            "--method", type=click.Choice(["cd", "pcd", "pt", "tap"]), default="pcd", show_default=True
        ),
        click.option("--k", "k", type=int, default=1, show_default=True, help="Gibbs steps per update."),
        click.option("--epochs", type=int, default=10, show_default=True),
        click.option("--lr", type=FINITE, default=0.01, show_default=True, help="Learning rate."),
        click.option("--momentum", type=FINITE, default=0.5, show_default=True),
        click.option("--l1", type=FINITE, default=0.0, show_default=True, help="L1 weight penalty."),
        click.option("--l2", type=FINITE, default=0.0, show_default=True, help="L2 weight penalty."),
        click.option("--batch", type=int, default=100, show_default=True, help="Minibatch size."),
        click.option(
            "--chains", type=int, default=256, show_default=True, help="Persistent chains (PCD, PT)."
        ),
        click.option(
            "--schedule",
            type=click.Choice(["constant", "linear", "exponential"]),
            default="constant",
            show_default=True,
        ),
        click.option("--centering", is_flag=True, help="Centre the units (Montavon & Mueller 2012)."),
        click.option("--visible", type=click.Choice(["binary", "spin"]), default="binary", show_default=True),
        click.option(
            "--valid-fraction",
            type=FINITE,
            default=0.1,
            show_default=True,
            help="Held-out share of the data.",
        ),
        click.option("--seed", type=int, default=0, show_default=True),
        click.option("--device", default="cpu", show_default=True, help="cpu or cuda."),
        click.option(
            "--checkpoint",
            type=click.Path(file_okay=False),
            default=None,
            help="Checkpoint folder (resumes).",
        ),
        click.option("--out", type=click.Path(), required=True, help="Model folder to write."),
        click.option("--quiet", is_flag=True),
        json_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _training_setup(data, opts: dict):
    """Load and split the data and build the TrainConfig from the shared training options."""
    visible, valid_fraction, seed, device = (
        opts["visible"],
        opts["valid_fraction"],
        opts["seed"],
        opts["device"],
    )
    cfg = {
        "method": opts["method"],
        "k": opts["k"],
        "epochs": opts["epochs"],
        "lr": opts["lr"],
        "momentum": opts["momentum"],
        "l1": opts["l1"],
        "l2": opts["l2"],
        "batch_size": opts["batch"],
        "n_chains": opts["chains"],
        "schedule": opts["schedule"],
        "centering": opts["centering"],
    }
    import numpy as np

    from deeprg.nn import TrainConfig
    from deeprg.nn._data import load_training_data

    if not 0.0 <= valid_fraction < 0.9:
        raise bad_input(f"--valid-fraction must lie in [0, 0.9), got {valid_fraction}")
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise bad_input("--device cuda was asked for, but torch sees no CUDA device; use --device cpu")
    elif device != "cpu":
        raise bad_input(f"--device must be cpu or cuda, got {device!r}")
    x, meta = load_training_data(data, visible=visible)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(x))
    n_valid = round(valid_fraction * len(x))
    valid, train = (x[perm[:n_valid]], x[perm[n_valid:]]) if n_valid else (None, x)
    config = TrainConfig(seed=seed, **cfg)
    config.validate()
    return train, valid, meta, config


@cli.group()
def train():
    """Train RBMs and DBNs."""


@train.command("rbm")
@click.argument("data", type=click.Path(dir_okay=False))
@click.option("--hidden", type=int, required=True, help="Hidden units.")
@_train_options
def train_rbm_cmd(data, hidden, **opts):
    """Train an RBM on a dataset (.h5, .npy, .npz) and save it as a model folder."""
    from dataclasses import asdict

    from deeprg.nn import RBM, Trainer, save_model

    if hidden < 1:
        raise bad_input(f"--hidden must be >= 1, got {hidden}")
    train_x, valid_x, meta, config = _training_setup(data, opts)
    method, visible, seed, device = opts["method"], opts["visible"], opts["seed"], opts["device"]
    checkpoint, out, quiet, as_json, epochs = (
        opts["checkpoint"],
        opts["out"],
        opts["quiet"],
        opts["as_json"],
        opts["epochs"],
    )
    if method == "tap" and visible != "binary":
        raise bad_input("--method tap needs --visible binary")
    rbm = RBM(train_x.shape[1], hidden, visible=visible, device=device, seed=seed)
    trainer = Trainer(rbm, config)

    def progress(epoch, total, record):
        if not quiet:
            ll = record.get("valid_log_likelihood", record.get("train_log_likelihood"))
            extra = f", LL {ll:.3f}" if ll is not None else ""
            click.echo(
                f"epoch {epoch}/{total}: {record['seconds']:.2f} s, recon {record['reconstruction_error']:.4f}{extra}",
                err=True,
            )

    history = trainer.fit(train_x, valid_x, checkpoint_dir=checkpoint, progress=progress)
    save_model(rbm, out, extra={"training": asdict(config), "history": history, "data": meta})
    emit(
        {
            "out": str(out),
            "n_visible": rbm.n_visible,
            "n_hidden": hidden,
            "method": method,
            "epochs": epochs,
            "final": history[-1],
        },
        as_json,
    )


@train.command("dbn")
@click.argument("data", type=click.Path(dir_okay=False))
@click.option(
    "--layers", required=True, help="Layer sizes, e.g. 1600,400,100,25 (the first is the data size)."
)
@_train_options
def train_dbn_cmd(data, layers, **opts):
    """Train a deep belief network greedily, layer by layer."""
    from dataclasses import asdict

    from deeprg.nn import DBN, save_model

    try:
        sizes = [int(x) for x in layers.split(",")]
    except ValueError:
        raise bad_input(f"--layers must be comma-separated integers, got {layers!r}") from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise bad_input(f"--layers needs at least two positive sizes, got {sizes}")
    if opts["checkpoint"]:
        raise bad_input("--checkpoint is supported by 'train rbm'; a DBN is retrained layer by layer")
    train_x, valid_x, meta, config = _training_setup(data, opts)
    method, visible, seed, device = opts["method"], opts["visible"], opts["seed"], opts["device"]
    out, quiet, as_json, epochs = opts["out"], opts["quiet"], opts["as_json"], opts["epochs"]
    if sizes[0] != train_x.shape[1]:
        raise bad_input(f"--layers starts with {sizes[0]} but the data have {train_x.shape[1]} features")
    dbn = DBN.from_sizes(sizes, visible=visible, seed=seed, device=device)

    def progress(layer, epoch, total, record):
        if not quiet:
            click.echo(
                f"layer {layer + 1} epoch {epoch}/{total}: {record['seconds']:.2f} s, recon {record['reconstruction_error']:.4f}",
                err=True,
            )

    histories = dbn.fit(train_x, config, valid_x, progress=progress)
    save_model(dbn, out, extra={"training": asdict(config), "history": histories, "data": meta})
    emit(
        {
            "out": str(out),
            "layers": sizes,
            "method": method,
            "epochs": epochs,
            "final_reconstruction_errors": [h[-1]["reconstruction_error"] for h in histories],
        },
        as_json,
    )


@cli.command("eval")
@click.argument("model", type=click.Path())
@click.argument("data", type=click.Path(dir_okay=False))
@click.option("--ais-runs", type=int, default=100, show_default=True)
@click.option("--ais-betas", type=int, default=10000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@json_option
def eval_cmd(model, data, ais_runs, ais_betas, seed, as_json):
    """Log-likelihood (exact or AIS with a reverse-AIS bracket), pseudo-LL, reconstruction
    error and the free-energy gap to the training data."""
    from deeprg.nn import DBN, evaluate_model, load_model
    from deeprg.nn._data import load_training_data

    net, config = load_model(model)
    first = net.layers[0] if isinstance(net, DBN) else net
    x, _ = load_training_data(data, visible=first.visible)
    if x.shape[1] != first.n_visible:
        raise bad_input(
            f"the model has {first.n_visible} visible units but the data have {x.shape[1]} features"
        )
    emit(evaluate_model(net, x, config, ais_runs=ais_runs, ais_betas=ais_betas, seed=seed), as_json)


@cli.group()
def cheap():
    """Lin-Tegmark constructions: multiplication gates and compiled polynomials."""


@cheap.command("gate")
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


@cheap.command("compile")
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


@cli.group()
def vrg():
    """Variational RG and RBMs: the mapping computed, trained networks analysed."""


@vrg.command("decimation1d")
@click.option("--K", "K", type=FINITE, required=True, help="Chain coupling K > 0.")
@click.option("--n", "n", type=int, default=12, show_default=True, help="Visible spins (even, 4..20).")
@click.option(
    "--J", "J", type=FINITE, default=20.0, show_default=True, help="Decimation coupling (exact as J -> inf)."
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


@vrg.command("analyze")
@click.argument("model", type=click.Path())
@click.argument("data", type=click.Path(dir_okay=False))
@click.option("--radius", type=FINITE, default=None, help="Locality window (default L/4).")
@click.option("--max-samples", type=int, default=4000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@json_option
def vrg_analyze(model, data, radius, max_samples, seed, as_json):
    """Locality per layer, hidden-layer couplings vs block spins, and per-layer free energies."""
    from deeprg.data import read_dataset
    from deeprg.nn import DBN, load_model
    from deeprg.vrg import analyze_network

    net, _ = load_model(model)
    ds = read_dataset(data)
    if ds.configs.ndim != 3:
        raise bad_input("vrg analyze needs a 2D lattice dataset (n, L, L)")
    layers = list(net.layers) if isinstance(net, DBN) else [net]
    if layers[0].n_visible != ds.n_sites:
        raise bad_input(f"the model has {layers[0].n_visible} visible units, the dataset {ds.n_sites} sites")
    emit(analyze_network(layers, ds.configs[:max_samples], radius=radius, seed=seed), as_json)


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

        status = _StepStatus(n, quiet, index=names.index(n) + 1, total=len(names))
        try:
            result, doc = run_experiment(n, run_dir, configs[n], progress=status.step, fresh=fresh)
        finally:
            status.stop()
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
