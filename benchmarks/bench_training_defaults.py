"""Training defaults on ordered data: exact log-likelihood per epoch of a 16-hidden RBM on 2D
Ising configurations at K_c (8x8, 16x16, 32x32; spin and binary visible units) for each
training method at otherwise default settings (docs/training.md).

    .venv/bin/python benchmarks/bench_training_defaults.py [--sizes 8,16,32] [--methods pcd,pt,cd,auto]
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np
import torch

from deeprg.lattice import SquareLattice
from deeprg.nn import RBM, TrainConfig, Trainer
from deeprg.sampling import IsingSampler

K_C = 0.4406867935097715
N_CONFIGS = {8: 2000, 16: 4000, 32: 8000}


def ising(L: int, n: int, seed: int = 1) -> np.ndarray:
    sampler = IsingSampler(SquareLattice(L), K=K_C, rule="wolff", n_chains=8)
    state = sampler.burn_in(sampler.init_state(seed=seed), 200)
    configs, _ = sampler.sample(state, n // 8)
    return configs.reshape(-1, L * L).astype(np.float32)


def run(x: np.ndarray, units: str, method: str, epochs: int, seed: int = 0):
    data = x if units == "spin" else (x + 1) / 2
    rbm = RBM(x.shape[1], 16, visible=units, seed=seed)
    cfg = TrainConfig(method=method, epochs=epochs, monitor_every=1, seed=seed)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        history = Trainer(rbm, cfg).fit(data)
    lls = [r["train_log_likelihood"] for r in history if "train_log_likelihood" in r]
    return lls, history[-1].get("stop_reason"), time.perf_counter() - t0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="8,16,32")
    parser.add_argument("--methods", default="pcd,pt,cd")
    parser.add_argument("--units", default="spin,binary")
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(
        "| lattice | units | method | exact train log-likelihood per epoch [nats] | uniform | stopped | s |"
    )
    print("|---|---|---|---|---|---|---|")
    for L in (int(s) for s in args.sizes.split(",")):
        x = ising(L, N_CONFIGS[L])
        for units in args.units.split(","):
            for method in args.methods.split(","):
                lls, stop, sec = run(x, units, method, args.epochs)
                print(
                    f"| {L}x{L} | {units} | {method} | {', '.join(f'{v:.1f}' for v in lls)} | "
                    f"{-L * L * math.log(2):.1f} | {'yes' if stop else 'no'} | {sec:.0f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
