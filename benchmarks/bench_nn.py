"""RBM benchmarks, side by side in one run (issue: energy-based learning engine).

1. Quality: sklearn's bundled 8x8 digits binarised at 8/16, train/test split, 16 hidden
   units; exact test log-likelihood (ln Z by enumerating the 16 hidden units) of deeprg (PCD,
   TAP) and scikit-learn's BernoulliRBM with the same number of parameter updates.
2. Speed: seconds per epoch of a 1600 -> 400 RBM with PCD-1 / CD-1, batch 100, on 20,000
   40x40 Ising configurations at K = 0.408, against learnergy (CD only) and scikit-learn.

3. Defaults (--defaults): the whole command `deeprg train rbm train.npy --hidden 16` at its
   defaults against a script fitting BernoulliRBM(16, lr 0.05, batch 20, 100 epochs), both
   timed as separate processes (start-up included), with their exact test log-likelihoods.
4. AIS (--ais): a 784 x 20 RBM on the digits upsampled to 28x28 and binarised; exact ln Z by
   enumerating the 2^20 hidden states against forward AIS, reverse AIS and their bracket.

    .venv/bin/python benchmarks/bench_nn.py [--quick] [--defaults] [--ais] [--speed [--cpu-time]] [--only]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch

from deeprg.lattice import SquareLattice
from deeprg.nn import RBM, TrainConfig, Trainer, exact_log_z
from deeprg.sampling import generate_samples


def exact_test_ll(W, vbias, hbias, X) -> float:
    rbm = RBM(W.shape[0], W.shape[1], dtype=torch.float64)
    with torch.no_grad():
        rbm.W.copy_(torch.as_tensor(W, dtype=torch.float64))
        rbm.vbias.copy_(torch.as_tensor(vbias, dtype=torch.float64))
        rbm.hbias.copy_(torch.as_tensor(hbias, dtype=torch.float64))
        return float((-rbm.free_energy(torch.as_tensor(X, dtype=torch.float64))).mean()) - exact_log_z(rbm)


def quality(quick: bool):
    from sklearn.datasets import load_digits
    from sklearn.neural_network import BernoulliRBM

    X = (load_digits().data >= 8).astype(np.float64)
    perm = np.random.default_rng(0).permutation(len(X))
    train, test = X[perm[:1400]], X[perm[1400:]]
    epochs, batch = (10, 10) if quick else (40, 10)
    updates = epochs * int(np.ceil(len(train) / batch))
    rows = []
    t0 = time.perf_counter()
    sk = BernoulliRBM(
        n_components=16, learning_rate=0.05, batch_size=batch, n_iter=epochs, random_state=0
    ).fit(train)
    dt = time.perf_counter() - t0
    rows.append(
        (
            "scikit-learn BernoulliRBM (PCD-1, 10 chains)",
            exact_test_ll(sk.components_.T, sk.intercept_visible_, sk.intercept_hidden_, test),
            dt,
        )
    )
    for label, method, extra in (
        ("deeprg PCD-1 (256 chains)", "pcd", {}),
        ("deeprg PCD-1 (256 chains), centred", "pcd", {"centering": True}),
        ("deeprg TAP/EMF (2nd order)", "tap", {"tap_iterations": 5}),
    ):
        rbm = RBM(64, 16, seed=0, dtype=torch.float64)
        cfg = TrainConfig(
            method=method,
            epochs=epochs,
            batch_size=batch,
            lr=0.05,
            momentum=0.5,
            n_chains=256,
            monitor_samples=10,
            seed=0,
            **extra,
        )
        trainer = Trainer(rbm, cfg)
        t0 = time.perf_counter()
        history = trainer.fit(train)
        dt = sum(h["seconds"] for h in history)  # training time, monitors excluded
        W = rbm.W.detach().numpy()
        # fold centring offsets into plain biases for the shared evaluation
        with torch.no_grad():
            vb = (rbm.vbias - rbm.W @ rbm.h_offset).numpy()
            hb = (rbm.hbias - rbm.W.T @ rbm.v_offset).numpy()
        rows.append((label, exact_test_ll(W, vb, hb, test), dt))
    return updates, rows


def equal_time(quick: bool):
    """Best exact test LL reached within each training-time budget (epochs swept)."""
    from sklearn.datasets import load_digits
    from sklearn.neural_network import BernoulliRBM

    X = (load_digits().data >= 8).astype(np.float64)
    perm = np.random.default_rng(0).permutation(len(X))
    train, test = X[perm[:1400]], X[perm[1400:]]
    epoch_grid = (5, 10, 20, 40) if quick else (5, 10, 20, 40, 80, 160)
    points = {
        "scikit-learn (PCD-1, 10 chains)": [],
        "deeprg PCD-1 (256 chains)": [],
        "deeprg PCD-1 (64 chains)": [],
    }
    # warm-up: imports and compiled kernels load once per process, for both libraries
    Trainer(
        RBM(64, 16, dtype=torch.float64),
        TrainConfig(method="pcd", epochs=1, batch_size=10, monitor_exact=False),
    ).fit(train[:50])
    BernoulliRBM(n_components=16, n_iter=1).fit(train[:50])
    for epochs in epoch_grid:
        t0 = time.perf_counter()
        sk = BernoulliRBM(
            n_components=16, learning_rate=0.05, batch_size=10, n_iter=epochs, random_state=0
        ).fit(train)
        points["scikit-learn (PCD-1, 10 chains)"].append(
            (
                time.perf_counter() - t0,
                exact_test_ll(sk.components_.T, sk.intercept_visible_, sk.intercept_hidden_, test),
            )
        )
        for label, chains in (("deeprg PCD-1 (256 chains)", 256), ("deeprg PCD-1 (64 chains)", 64)):
            rbm = RBM(64, 16, seed=0, dtype=torch.float64)
            t0 = time.perf_counter()
            Trainer(
                rbm,
                TrainConfig(
                    method="pcd",
                    epochs=epochs,
                    batch_size=10,
                    lr=0.05,
                    n_chains=chains,
                    monitor_samples=10,
                    monitor_exact=False,
                ),
            ).fit(train)
            dt = time.perf_counter() - t0
            with torch.no_grad():
                points[label].append(
                    (dt, exact_test_ll(rbm.W.numpy(), rbm.vbias.numpy(), rbm.hbias.numpy(), test))
                )
    budgets = (0.25, 0.5, 1.0, 2.0, 4.0)
    table = {
        label: [max((ll for t, ll in pts if t <= b), default=float("nan")) for b in budgets]
        for label, pts in points.items()
    }
    return budgets, table


def speed(quick: bool, cpu_time: bool = False):
    """Seconds per 1600 -> 400 epoch, batch 100, 100 persistent chains, side by side.

    Wall time at the process's torch/BLAS threads (2), or with ``cpu_time`` CPU seconds of one
    thread for every implementation (robust on a loaded machine). deeprg's time is the epoch
    alone (as history["seconds"]); scikit-learn's and learnergy's are their fit of one epoch.
    """
    from threadpoolctl import threadpool_limits

    n = 5000 if quick else 20000
    gen = generate_samples(SquareLattice(40), 0.408, n, algorithm="wolff", seed=1)
    X = ((gen.configs.reshape(n, -1) + 1) // 2).astype(np.float32)
    clock = time.process_time if cpu_time else time.perf_counter
    threads = 1 if cpu_time else torch.get_num_threads()
    Xt = torch.from_numpy(X)

    def deeprg_epoch(method, precision):
        from deeprg.nn._train import _BatchReport

        rbm = RBM(1600, 400, seed=0)
        cfg = TrainConfig(
            method=method, epochs=1, batch_size=100, lr=0.01, n_chains=100, matmul_precision=precision
        )
        trainer = Trainer(rbm, cfg)
        trainer._init_chains(Xt)
        trainer._batch_report = _BatchReport(None, 1, 1)
        t0 = clock()
        trainer._buffered_epoch(Xt)
        return clock() - t0

    def sklearn_epoch():
        from sklearn.neural_network import BernoulliRBM

        t0 = clock()
        BernoulliRBM(n_components=400, learning_rate=0.01, batch_size=100, n_iter=1, random_state=0).fit(X)
        return clock() - t0

    def learnergy_epoch():
        try:
            from learnergy.models.bernoulli import RBM as LRBM
            from torch.utils.data import TensorDataset
        except ImportError:
            return float("nan")
        model = LRBM(n_visible=1600, n_hidden=400, steps=1, learning_rate=0.01)
        ds = TensorDataset(torch.as_tensor(X), torch.zeros(n))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = clock()
            model.fit(ds, batch_size=100, epochs=1)
        return clock() - t0

    runs = {
        "deeprg PCD-1 (float32)": lambda: deeprg_epoch("pcd", "full"),
        "deeprg PCD-1 (bf16 products)": lambda: deeprg_epoch("pcd", "bf16"),
        "deeprg CD-1 (float32)": lambda: deeprg_epoch("cd", "full"),
        "scikit-learn BernoulliRBM (PCD-1, float32 input kept)": sklearn_epoch,
        "learnergy RBM (CD-1, float32)": learnergy_epoch,
    }
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    times = {k: [] for k in runs}
    try:
        with threadpool_limits(threads):
            for _ in range(1 if quick else 3):  # interleaved repeats; the minimum is reported
                for k, f in runs.items():
                    times[k].append(f())
    finally:
        torch.set_num_threads(old)
    return n, {k: min(v) for k, v in times.items()}


def _digits_split():
    from sklearn.datasets import load_digits

    X = (load_digits().data >= 8).astype(np.float32)
    perm = np.random.default_rng(0).permutation(len(X))
    return X[perm[:1400]], X[perm[1400:]]


def defaults_vs_sklearn(folder):
    """Wall time of two whole processes and the exact test LL each reaches."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from deeprg.nn import load_model

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    train, test = _digits_split()
    np.save(folder / "train.npy", train)
    np.save(folder / "test.npy", test)
    script = folder / "sk.py"
    script.write_text(
        "import json, sys, numpy as np\n"
        "from sklearn.neural_network import BernoulliRBM\n"
        f"X = np.load({str(folder / 'train.npy')!r})\n"
        "m = BernoulliRBM(n_components=16, learning_rate=0.05, batch_size=20, n_iter=100, random_state=0).fit(X)\n"
        f"np.savez({str(folder / 'sk.npz')!r}, W=m.components_.T, c=m.intercept_visible_, b=m.intercept_hidden_)\n"
    )
    deeprg = Path(sys.executable).with_name("deeprg")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(script)], check=True, env=env)
    t_sk = time.perf_counter() - t0
    t0 = time.perf_counter()
    cmd = [
        str(deeprg),
        "train",
        "rbm",
        str(folder / "train.npy"),
        "--hidden",
        "16",
        "--out",
        str(folder / "m"),
    ]
    out = subprocess.run([*cmd, "--quiet", "--json"], check=True, env=env, capture_output=True, text=True)
    t_dr = time.perf_counter() - t0
    summary = json.loads(out.stdout)
    sk = np.load(folder / "sk.npz")
    rbm, _ = load_model(folder / "m")
    with torch.no_grad():
        W, c, b = rbm.W.double().numpy(), rbm.vbias.double().numpy(), rbm.hbias.double().numpy()
    return {
        "scikit-learn": (exact_test_ll(sk["W"], sk["c"], sk["b"], test), t_sk),
        "deeprg train rbm (defaults)": (exact_test_ll(W, c, b, test), t_dr),
        "monitor_seconds": summary.get("monitor_seconds"),
    }


def upsampled_digits(size: int = 28) -> np.ndarray:
    """sklearn's 8x8 digits resized to size x size (linear interpolation) and binarised."""
    from scipy.ndimage import zoom
    from sklearn.datasets import load_digits

    imgs = load_digits().images / 16.0
    big = np.stack([zoom(im, size / 8, order=1) for im in imgs])
    return (big.reshape(len(imgs), -1) >= 0.5).astype(np.float32)


def ais_accuracy(quick: bool):
    from deeprg.nn import ais_bracket

    X = upsampled_digits()
    rbm = RBM(784, 20, seed=0)
    Trainer(rbm, TrainConfig(epochs=10 if quick else 30, monitor_exact=False, patience=0)).fit(X)
    t0 = time.perf_counter()
    exact = exact_log_z(rbm)
    t_exact = time.perf_counter() - t0
    rows = []
    for n_betas in (500, 2000) if quick else (500, 2000, 10000):
        br = ais_bracket(rbm, X, n_runs=100, n_betas=n_betas, seed=0)
        rows.append(
            (
                n_betas,
                br.forward.log_z - exact,
                br.reverse.log_z - exact,
                br.low <= exact <= br.high,
                br.seconds,
            )
        )
    return exact, t_exact, rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--defaults", action="store_true", help="CLI at defaults vs scikit-learn")
    parser.add_argument("--ais", action="store_true", help="AIS vs exact ln Z on a 784 x 20 RBM")
    parser.add_argument("--only", action="store_true", help="run only the sections asked for")
    parser.add_argument("--speed", action="store_true", help="the 1600 -> 400 epoch")
    parser.add_argument(
        "--cpu-time", action="store_true", help="speed: CPU seconds on one thread (a loaded machine)"
    )
    args = parser.parse_args()
    torch.set_num_threads(2)
    if args.defaults:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            res = defaults_vs_sklearn(tmp)
        print("\n## Digits at defaults: whole commands (start-up included), exact test log-likelihood\n")
        print("| command | test log-likelihood [nats] | wall time [s] |")
        print("|---|---|---|")
        for k in ("scikit-learn", "deeprg train rbm (defaults)"):
            print(f"| {k} | {res[k][0]:.3f} | {res[k][1]:.2f} |")
        ratio = res["deeprg train rbm (defaults)"][1] / res["scikit-learn"][1]
        print(f"\ndeeprg / scikit-learn wall time: {ratio:.2f}x (monitors: {res['monitor_seconds']:.2f} s)")
    if args.ais:
        exact, t_exact, rows = ais_accuracy(args.quick)
        print(
            f"\n## AIS on a 784 x 20 digits RBM: exact ln Z = {exact:.3f} ({t_exact:.1f} s by enumeration)\n"
        )
        print(
            "| betas (100 runs) | forward - exact | reverse - exact | bracket holds exact | seconds (both) |"
        )
        print("|---|---|---|---|---|")
        for n_betas, df, dr, ok, sec in rows:
            print(f"| {n_betas} | {df:+.3f} | {dr:+.3f} | {ok} | {sec:.1f} |")
    if args.speed or not args.only:
        n, sp = speed(args.quick, args.cpu_time)
        best_peer = min(v for k, v in sp.items() if not k.startswith("deeprg") and np.isfinite(v))
        unit = "CPU seconds/epoch, one thread" if args.cpu_time else "seconds/epoch"
        print(f"\n## {unit}, 1600 -> 400 RBM, {n} Ising configurations, batch 100\n")
        print(f"| implementation | {unit} | speed-up vs the faster peer |")
        print("|---|---|---|")
        for k, v in sp.items():
            print(f"| {k} | {v:.2f} | {best_peer / v:.2f}x |")
    if args.only:
        return
    updates, rows = quality(args.quick)
    print(f"## Exact test log-likelihood on binarised 8x8 digits, 16 hidden units, {updates} updates\n")
    print("| model | test log-likelihood [nats] | training time [s] |")
    print("|---|---|---|")
    for label, ll, dt in rows:
        print(f"| {label} | {ll:.3f} | {dt:.2f} |")
    budgets, table = equal_time(args.quick)
    print(
        "\n## Best exact test log-likelihood within a training-time budget (epochs swept, wall time, per-epoch exact-LL monitor off)\n"
    )
    print("| model | " + " | ".join(f"<= {b:g} s" for b in budgets) + " |")
    print("|---|" + "---|" * len(budgets))
    for label, vals in table.items():
        print(f"| {label} | " + " | ".join("-" if not np.isfinite(v) else f"{v:.3f}" for v in vals) + " |")


if __name__ == "__main__":
    main()
