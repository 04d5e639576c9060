"""Sweep benchmarks, side by side in one run (issue: sweeps that outgrow one machine).

The same K x L x seed grid, written to disk as one HDF5 dataset per point, by:

- a hand-written loop (the peer: what a user writes today, `generate_samples` then
  `write_dataset` for every point, in one process, numba threads over chains);
- `run_sweep(..., scheduler="serial")` (the engine without Dask: verification, index, seeds);
- `run_sweep` on an embedded LocalCluster of 1 and of N worker processes (start-up included).

Run:

    .venv/bin/python benchmarks/bench_sweep.py [--quick] [--json out.json]

Prints a markdown table with wall times and ratios to the hand-written loop, and checks that
every run produced the same configurations (SHA-256 per point).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

from deeprg.data import read_dataset, write_dataset
from deeprg.lattice import SquareLattice
from deeprg.sampling import generate_samples
from deeprg.sweep import SweepSpec, configs_digest, grid, machine_cores, point_seed, run_sweep


def hand_loop(spec: SweepSpec, Ks, Ls, replicas, out: Path) -> None:
    for p in grid(Ks, Ls, replicas):
        gen = generate_samples(
            SquareLattice(p.L),
            p.K,
            spec.n_samples,
            algorithm=spec.algorithm,
            seed=point_seed(spec.seed, p),
            n_chains=spec.chains,
            burn_in=spec.burn_in,
            decorrelate=spec.decorrelate,
        )
        write_dataset(out / f"{p.name}.h5", gen.configs, gen.attrs, chain=gen.chain)


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def digests(folder: Path) -> dict:
    out = {}
    for path in sorted(folder.rglob("*.h5")):
        ds = read_dataset(path)
        out[path.name] = configs_digest(ds.configs, ds.chain)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    Ks = (0.42, 0.43, 0.44, 0.45, 0.46)
    Ls = (16, 32) if args.quick else (16, 32, 64)
    replicas = 2
    spec = SweepSpec(n_samples=500 if args.quick else 2000, algorithm="wolff", seed=7, chains=4)
    cores = machine_cores()
    root = Path(tempfile.mkdtemp(prefix="deeprg-bench-sweep-"))
    # warm the numba cache in this process so that no row pays for compilation
    generate_samples(SquareLattice(8), 0.44, 16, algorithm="wolff", seed=0, n_chains=4)
    rows, reference = [], None
    runs = [
        ("hand-written loop (1 process, numba threads)", lambda o: hand_loop(spec, Ks, Ls, replicas, o)),
        ("run_sweep serial (1 process)", lambda o: run_sweep(spec, Ks, Ls, replicas, o, scheduler="serial")),
        (
            "run_sweep LocalCluster, 1 worker",
            lambda o: run_sweep(spec, Ks, Ls, replicas, o, scheduler="local", n_workers=1),
        ),
        (
            f"run_sweep LocalCluster, {cores} workers",
            lambda o: run_sweep(spec, Ks, Ls, replicas, o, scheduler="local", n_workers=cores),
        ),
    ]
    for label, fn in runs:
        out = root / f"run{len(rows)}"
        out.mkdir()
        c0 = _cpu()
        t0 = time.perf_counter()
        fn(out)
        seconds = time.perf_counter() - t0
        cpu = _cpu() - c0  # this process and its reaped children (the cluster's workers)
        d = digests(out)
        reference = reference or d
        rows.append({"run": label, "seconds": seconds, "cpu_seconds": cpu, "same_bytes": d == reference})
    t0 = time.perf_counter()
    resumed = run_sweep(spec, Ks, Ls, replicas, root / "run1", scheduler="serial")
    resume_seconds = time.perf_counter() - t0
    shutil.rmtree(root)
    n_points = len(Ks) * len(Ls) * replicas
    base = rows[0]["seconds"]
    print(
        f"grid: {len(Ks)} K x L={list(Ls)} x {replicas} seeds = {n_points} points, {spec.n_samples} samples, "
        f"wolff; {cores} cores; {platform.processor() or platform.machine()}; load {os.getloadavg()[0]:.1f}\n"
    )
    cpu_base = rows[0]["cpu_seconds"]
    print("| run | wall [s] | CPU [s] | wall ratio to the loop | CPU ratio to the loop | same bytes |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['run']} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | {base / r['seconds']:.2f}x | "
            f"{r['cpu_seconds'] / cpu_base:.2f}x | {r['same_bytes']} |"
        )
    print(
        f"\nresume of a finished sweep (verify every file, skip all): {resume_seconds:.2f} s, skipped {resumed['skipped']}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "resume_seconds": resume_seconds}, indent=2))


if __name__ == "__main__":
    main()
