"""torch after numba's threaded kernels, side by side in one run (issue: docs/UX, thread interplay).

numba's parallel kernels (threading layer ``omp``) and torch's CPU kernels share one GNU OpenMP
runtime: whichever libgomp is loaded first serves both (the loader binds the other's GOMP_* and
omp_* symbols to it), so they share one thread pool and one thread count, which every numba
launch sets to numba's. With ``OMP_WAIT_POLICY`` unset, libgomp's threads spin while they wait.
On 2 cores that other processes also use, a 2-thread region of a 10 us product waits for a
descheduled partner while the spinning thread holds the other CPU: milliseconds per product.
``import deeprg`` sets ``OMP_WAIT_POLICY=PASSIVE`` (unless the variable is already set) before
the runtime loads, so waiting threads sleep at once.

Each mode runs in a fresh process (the policy is read when a runtime loads), interleaved over
``--repeat`` rounds; the table gives medians over rounds of:

- torch us/op: a 50 x 64 @ 64 x 64 product and sigmoid, right after a numba kernel ran;
- interleaved: a numba prange kernel then three torch products, 200 times (sampling + training);
- the ratio of each to the spinning default.

Modes: ``spin`` (deeprg not imported, the runtimes' default), ``deeprg`` (``import deeprg``
first: the fix), ``deeprg, torch 1 thread`` (the fix plus one torch thread, the choice the
experiments keep for tiny RBMs), ``spin, torch 1 thread`` (the earlier workaround alone).

Run:

    .venv/bin/python benchmarks/bench_threads.py [--repeat 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

CHILD = r"""
import json, sys, time
mode = sys.argv[1]
if mode.startswith("deeprg"):
    import deeprg  # noqa: F401  (sets OMP_WAIT_POLICY before the runtimes load)
import numba
import numpy as np
import torch

if mode.endswith("1"):
    torch.set_num_threads(1)


@numba.njit(parallel=True)
def kernel(x):
    s = 0.0
    for i in numba.prange(x.shape[0]):
        acc = 0.0
        for j in range(x.shape[1]):
            acc += np.sin(x[i, j])
        s += acc
    return s


def products(n):
    a, b = torch.randn(50, 64), torch.randn(64, 64)
    t = time.perf_counter()
    for _ in range(n):
        torch.sigmoid(a @ b)
    return (time.perf_counter() - t) / n


x = np.random.default_rng(0).random((2, 2000))
products(20)
kernel(x)
after = products(300)
t_torch = t_numba = 0.0
for _ in range(200):
    t = time.perf_counter()
    kernel(x)
    t_numba += time.perf_counter() - t
    t_torch += 3 * products(3)
print(json.dumps({
    "layer": numba.threading_layer(),
    "torch_threads": torch.get_num_threads(),
    "after_us": after * 1e6,
    "interleaved_torch_us": t_torch / 600 * 1e6,
    "interleaved_numba_us": t_numba / 200 * 1e6,
}))
"""

MODES = {
    "spin": "spin",
    "deeprg": "deeprg",
    "deeprg, torch 1 thread": "deeprg1",
    "spin, torch 1 thread": "spin1",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="NUMBA_NUM_THREADS and torch threads")
    args = parser.parse_args()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS")
    }
    env["NUMBA_NUM_THREADS"] = str(args.threads)
    env["OMP_NUM_THREADS"] = str(args.threads)
    runs: dict[str, list[dict]] = {name: [] for name in MODES}
    for _ in range(args.repeat):
        for name, arg in MODES.items():
            out = subprocess.run(
                [sys.executable, "-c", CHILD, arg], env=env, capture_output=True, text=True, check=True
            )
            runs[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{args.threads} threads, {args.repeat} interleaved rounds, load average {load:.1f} at the end\n")
    print(
        "| mode | layer | torch threads | torch us/op after numba | interleaved torch us/op "
        "| interleaved numba us/call | ratio to spin: after, interleaved torch, numba |"
    )
    print("|---|---|---|---|---|---|---|")
    keys = ("after_us", "interleaved_torch_us", "interleaved_numba_us")
    base = {k: statistics.median(r[k] for r in runs["spin"]) for k in keys}
    for name, rs in runs.items():
        med = {k: statistics.median(r[k] for r in rs) for k in keys}
        ratios = ", ".join(f"{med[k] / base[k]:.3g}" for k in keys)
        print(
            f"| {name} | {rs[0]['layer']} | {rs[0]['torch_threads']} | {med['after_us']:.0f} | "
            f"{med['interleaved_torch_us']:.0f} | {med['interleaved_numba_us']:.0f} | {ratios} |"
        )


if __name__ == "__main__":
    main()
