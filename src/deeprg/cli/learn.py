"""``deeprg train`` and ``deeprg eval``: RBM/DBN training and log-likelihoods."""

from __future__ import annotations

import click

from deeprg.cli._common import (
    FINITE,
    bad_input,
    check_ais_cost,
    check_count,
    check_range,
    check_seed,
    check_training_cost,
    emit,
    examples,
    json_option,
    output_dir,
)
from deeprg.cli._progress import _progress


def _check_outputs(opts: dict) -> None:
    """Outputs and ranges that need no data, checked before anything is loaded or trained."""
    output_dir(opts["out"], whole=True)
    if opts["checkpoint"] is not None:
        output_dir(opts["checkpoint"], "--checkpoint")
    check_seed(opts["seed"])
    check_range(opts["momentum"], "--momentum", 0.0, 1.0)
    for name in ("k", "epochs", "batch", "chains"):
        check_count(opts[name], f"--{name}")


_DEFAULTS = {  # TrainConfig's defaults, without importing torch at start-up
    "method": "auto",
    "k": 1,
    "epochs": 100,
    "lr": 0.05,
    "momentum": 0.5,
    "batch": 20,
    "chains": 64,
    "schedule": "linear",
    "monitor_every": 0,
    "patience": 3,
}


def _train_options(func):
    d = _DEFAULTS
    options = [
        click.option(
            "--method",
            type=click.Choice(["auto", "cd", "pcd", "pt", "tap"]),
            default=d["method"],
            show_default=True,
            help="auto: pt (parallel tempering) for --visible spin, pcd otherwise.",
        ),
        click.option("--k", "k", type=int, default=d["k"], show_default=True, help="Gibbs steps per update."),
        click.option("--epochs", type=int, default=d["epochs"], show_default=True),
        click.option(
            "--lr",
            type=FINITE,
            default=d["lr"],
            show_default=True,
            help="Learning rate (in units of binary units; spin layers are scaled to match).",
        ),
        click.option("--momentum", type=FINITE, default=d["momentum"], show_default=True, help="In [0, 1)."),
        click.option("--l1", type=FINITE, default=0.0, show_default=True, help="L1 weight penalty."),
        click.option("--l2", type=FINITE, default=0.0, show_default=True, help="L2 weight penalty."),
        click.option("--batch", type=int, default=d["batch"], show_default=True, help="Minibatch size."),
        click.option(
            "--chains", type=int, default=d["chains"], show_default=True, help="Persistent chains (PCD, PT)."
        ),
        click.option(
            "--schedule",
            type=click.Choice(["constant", "linear", "exponential"]),
            default=d["schedule"],
            show_default=True,
            help="Learning-rate schedule (linear: to lr/epochs at the end).",
        ),
        click.option(
            "--monitor-every",
            type=int,
            default=d["monitor_every"],
            show_default=True,
            help="Exact log-likelihood every N epochs and after the last (0: about 5 times).",
        ),
        click.option(
            "--patience",
            type=int,
            default=d["patience"],
            show_default=True,
            help="Stop (restoring the best model) when the log-likelihood fell at N successive checks; 0: off.",
        ),
        click.option("--centering", is_flag=True, help="Centre the units (Montavon & Mueller 2012)."),
        click.option(
            "--matmul-precision",
            type=click.Choice(["full", "bf16"]),
            default="full",
            show_default=True,
            help="bf16: bfloat16 products for CD/PCD of large binary RBMs (2x on AVX512-BF16 CPUs).",
        ),
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
        click.option("--quiet", is_flag=True, help="No progress display."),
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
        "matmul_precision": opts["matmul_precision"],
        "monitor_every": opts["monitor_every"],
        "patience": opts["patience"],
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


@click.group(
    epilog=examples(
        "deeprg train rbm ms.h5 --hidden 400 --method pcd --epochs 20 --out rbm/",
        "deeprg train dbn ms.h5 --layers 1600,400,100,25 --l1 2e-4 --out dbn/",
    )
)
def train():
    """Train RBMs and DBNs."""


@train.command(
    "rbm",
    epilog=examples(
        "deeprg train rbm ms.h5 --hidden 400 --method pcd --epochs 20 --out rbm/",
        "deeprg train rbm chain.h5 --hidden 8 --visible spin --lr 0.05 --checkpoint ckpt/ --out rbm/",
    ),
)
@click.argument("data", type=click.Path(dir_okay=False))
@click.option("--hidden", type=int, required=True, help="Hidden units.")
@_train_options
def train_rbm_cmd(data, hidden, **opts):
    """Train an RBM on a dataset (.h5, .npy, .npz) and save it as a model folder."""
    from dataclasses import asdict

    from deeprg.nn import RBM, Trainer, save_model

    if hidden < 1:
        raise bad_input(f"--hidden must be >= 1, got {hidden}")
    _check_outputs(opts)
    train_x, valid_x, meta, config = _training_setup(data, opts)
    check_training_cost(
        len(train_x),
        [train_x.shape[1], hidden],
        epochs=opts["epochs"],
        k=opts["k"],
        chains=opts["chains"],
        batch=opts["batch"],
    )
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

    import warnings

    n_batches = -(-len(train_x) // config.batch_size)
    with (
        _progress(quiet or as_json, "training", "updates") as report,
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", RuntimeWarning)  # the guard's warning is printed below
        last = [0, ""]  # the last finished epoch and its monitors

        def note(epoch):
            done = f"; after epoch {last[0]}: {last[1]}" if last[1] else ""
            return f"epoch {min(epoch, epochs)}/{epochs}{done}"

        def progress(epoch, total, record):
            ll = record.get("valid_log_likelihood", record.get("train_log_likelihood"))
            extra = f", LL {ll:.3f}" if ll is not None else ""
            recon = record.get("reconstruction_error", float("nan"))
            last[:] = epoch, f"recon {recon:.4f}{extra}, monitors {record['monitor_seconds']:.2f} s"
            if report is not None:
                report(epoch * n_batches, total * n_batches, note(epoch + 1 if epoch < total else epoch))
            if record.get("stop_reason") and not as_json:
                click.echo(f"deeprg: warning: training {record['stop_reason']}", err=True)

        def batch_progress(done, total):  # inside epochs: updates done, rate, time left
            if report is not None:
                report(done, total, note(done // n_batches + 1))

        history = trainer.fit(
            train_x,
            valid_x,
            checkpoint_dir=checkpoint,
            progress=progress,
            batch_progress=None if report is None else batch_progress,
        )
    save_model(rbm, out, extra={"training": asdict(trainer.config), "history": history, "data": meta})
    emit(
        {
            "out": str(out),
            "n_visible": rbm.n_visible,
            "n_hidden": hidden,
            "method": trainer.config.method,
            "epochs": epochs,
            "epochs_run": len(history),
            "stop_reason": history[-1].get("stop_reason"),
            "training_seconds": sum(r["seconds"] for r in history),
            "monitor_seconds": sum(r["monitor_seconds"] for r in history),
            "final": history[-1],
        },
        as_json,
    )


@train.command(
    "dbn", epilog=examples("deeprg train dbn ms.h5 --layers 1600,400,100,25 --l1 2e-4 --epochs 20 --out dbn/")
)
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
    _check_outputs(opts)
    train_x, valid_x, meta, config = _training_setup(data, opts)
    check_training_cost(
        len(train_x), sizes, epochs=opts["epochs"], k=opts["k"], chains=opts["chains"], batch=opts["batch"]
    )
    method, visible, seed, device = opts["method"], opts["visible"], opts["seed"], opts["device"]
    out, quiet, as_json, epochs = opts["out"], opts["quiet"], opts["as_json"], opts["epochs"]
    if sizes[0] != train_x.shape[1]:
        raise bad_input(f"--layers starts with {sizes[0]} but the data have {train_x.shape[1]} features")
    dbn = DBN.from_sizes(sizes, visible=visible, seed=seed, device=device)

    with _progress(quiet or as_json, "training", "epochs", every=0.0) as report:

        def progress(layer, epoch, total, record):
            if report is not None:
                n_rbm = len(sizes) - 1
                note = f"layer {layer + 1}/{n_rbm}, recon {record['reconstruction_error']:.4f}"
                report(layer * total + epoch, n_rbm * total, note)

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


@click.command(
    "eval",
    epilog=examples(
        "deeprg eval rbm/ ms.h5", "deeprg eval dbn/ ms.h5 --ais-runs 200 --ais-betas 20000 --json"
    ),
)
@click.argument("model", type=click.Path())
@click.argument("data", type=click.Path(dir_okay=False))
@click.option("--ais-runs", type=int, default=100, show_default=True, help="AIS runs (chains).")
@click.option(
    "--ais-betas", type=int, default=2000, show_default=True, help="Intermediate distributions per AIS run."
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--quiet", is_flag=True, help="No progress display.")
@json_option
def eval_cmd(model, data, ais_runs, ais_betas, seed, quiet, as_json):
    """Log-likelihood (exact or AIS with a reverse-AIS bracket), pseudo-LL, reconstruction
    error and the free-energy gap to the training data."""
    from deeprg.nn import DBN, evaluate_model, load_model
    from deeprg.nn._data import load_training_data

    check_seed(seed)
    check_count(ais_runs, "--ais-runs", 1)
    net, config = load_model(model)
    first = net.layers[0] if isinstance(net, DBN) else net
    check_ais_cost(first.n_visible, first.n_hidden, ais_runs, ais_betas)
    x, _ = load_training_data(data, visible=first.visible)
    if x.shape[1] != first.n_visible:
        raise bad_input(
            f"the model has {first.n_visible} visible units but the data have {x.shape[1]} features"
        )
    if ais_runs < 2 or ais_betas < 10:
        raise bad_input(f"--ais-runs must be >= 2 and --ais-betas >= 10, got {ais_runs} and {ais_betas}")
    with _progress(quiet or as_json, "AIS", "steps") as report:

        def progress(stage, step, total):
            if report is not None:
                report(step, total, stage)

        result = evaluate_model(
            net, x, config, ais_runs=ais_runs, ais_betas=ais_betas, seed=seed, progress=progress
        )
    emit(result, as_json)
