"""Sampling benchmarks, side by side in one run (issue: Monte Carlo engine).

Peers: mcising (PyPI, Rust core) and a plain numpy checkerboard Metropolis. Run:

    .venv/bin/python benchmarks/bench_sampling.py [--quick] [--json out.json]

Prints markdown tables with ratios. Independent samples per second use one estimator for
everyone: tau of |M| from deeprg.stats.integrated_time on each code's own time series
(tau = 2 tau_int in Sokal's convention), so independent samples/s = measurements/s / tau.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numba
import numpy as np

from deeprg.exact import K_CRITICAL
from deeprg.lattice import SquareLattice
from deeprg.sampling import IsingSampler, generate_samples
from deeprg.stats import integrated_time

T_C = 1.0 / K_CRITICAL


def numpy_checkerboard(L: int, K: float, n_sweeps: int, seed: int = 0):
    """The plain-numpy peer: vectorised checkerboard Metropolis on one lattice."""
    rng = np.random.default_rng(seed)
    s = rng.choice(np.array([-1, 1], dtype=np.int8), size=(L, L))
    parity = np.indices((L, L)).sum(axis=0) % 2
    masks = [parity == 0, parity == 1]
    accept = {d: min(1.0, np.exp(-2.0 * K * d)) for d in (-4, -2, 0, 2, 4)}
    table = np.array([accept[d] for d in (-4, -2, 0, 2, 4)])
    mags = np.empty(n_sweeps)
    for t in range(n_sweeps):
        for mask in masks:
            nb = np.roll(s, 1, 0) + np.roll(s, -1, 0) + np.roll(s, 1, 1) + np.roll(s, -1, 1)
            p = table[(s * nb + 4) // 2]
            flip = mask & (rng.random((L, L)) < p)
            s = np.where(flip, -s, s)
        mags[t] = s.sum()
    return mags


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def deeprg_rate(rule: str, L: int, n_steps: int, n_chains: int, threads: int):
    numba.set_num_threads(threads)
    sampler = IsingSampler(SquareLattice(L), K_CRITICAL, rule=rule, n_chains=n_chains)
    state = sampler.burn_in(sampler.init_state(1), 200 if rule in ("wolff", "sw") else 2000)
    (trace, _), dt = timed(lambda: sampler.trace(state, n_steps))
    tau = integrated_time(np.abs(trace.magnetization)).tau
    return {"updates_per_s": n_chains * n_steps / dt, "tau": tau, "seconds": dt}


def mcising_rate(algo: str, L: int, n_steps: int):
    from mcising import IsingSimulation

    sim = IsingSimulation(L, 1.0, 0.0, 0.0, 0.0, 1, algo)
    sim.sweep(200 if algo != "metropolis" else 2000, temperature=T_C)
    out, dt = timed(lambda: sim.production_sweeps(n_steps, 1, temperature=T_C, store_configs=False))
    mags = np.asarray(out["magnetizations"], dtype=float)
    tau = integrated_time(np.abs(mags)).tau
    return {
        "updates_per_s": n_steps / dt,
        "tau": tau,
        "seconds": dt,
        "cluster_flips": out.get("n_cluster_flips"),
    }


def flips_per_ns(quick: bool):
    rows = []
    for L in (64, 256):
        sweeps = (200 if L == 64 else 20) // (2 if quick else 1)
        numba.set_num_threads(1)
        res = {}
        s = IsingSampler(SquareLattice(L), K_CRITICAL, rule="metropolis", n_chains=1)
        st = s.burn_in(s.init_state(0), 5)
        _, dt = timed(lambda: s.burn_in(st, sweeps))
        res["deeprg metropolis (scalar, 1 core)"] = sweeps * L * L / dt / 1e9
        s = IsingSampler(SquareLattice(L), K_CRITICAL, rule="msc-metropolis", n_chains=64)
        st = s.burn_in(s.init_state(0), 2)
        _, dt = timed(lambda: s.burn_in(st, sweeps))
        res["deeprg msc-metropolis (64 replicas, 1 core)"] = 64 * sweeps * L * L / dt / 1e9
        numba.set_num_threads(2)
        s = IsingSampler(SquareLattice(L), K_CRITICAL, rule="msc-metropolis", n_chains=128)
        st = s.burn_in(s.init_state(0), 2)
        _, dt = timed(lambda: s.burn_in(st, sweeps))
        res["deeprg msc-metropolis (128 replicas, 2 cores)"] = 128 * sweeps * L * L / dt / 1e9
        from mcising import IsingSimulation

        sim = IsingSimulation(L, 1.0, 0.0, 0.0, 0.0, 1, "metropolis")
        sim.sweep(5, temperature=T_C)
        _, dt = timed(lambda: sim.sweep(sweeps, temperature=T_C))
        res["mcising metropolis (1 core)"] = sweeps * L * L / dt / 1e9
        np_sweeps = max(2, sweeps // 10)
        _, dt = timed(lambda: numpy_checkerboard(L, K_CRITICAL, np_sweeps))
        res["numpy checkerboard (1 core)"] = np_sweeps * L * L / dt / 1e9
        rows.append((L, res))
    return rows


def independent_samples(quick: bool):
    L = 64
    f = 0.5 if quick else 1.0
    res = {
        "deeprg metropolis (1 chain, 1 core)": deeprg_rate("metropolis", L, int(40000 * f), 1, 1),
        "deeprg msc-metropolis (64 replicas, 1 core)": deeprg_rate("msc-metropolis", L, int(3000 * f), 64, 1),
        "deeprg msc-metropolis (128 replicas, 2 cores)": deeprg_rate(
            "msc-metropolis", L, int(3000 * f), 128, 2
        ),
        "deeprg wolff (1 chain, 1 core)": deeprg_rate("wolff", L, int(8000 * f), 1, 1),
        "deeprg wolff (2 chains, 2 cores)": deeprg_rate("wolff", L, int(8000 * f), 2, 2),
        "deeprg sw (1 chain, 1 core)": deeprg_rate("sw", L, int(8000 * f), 1, 1),
        "mcising metropolis": mcising_rate("metropolis", L, int(40000 * f)),
        "mcising wolff (1 cluster per step)": mcising_rate("wolff", L, int(40000 * f)),
        "mcising swendsen_wang": mcising_rate("swendsen_wang", L, int(8000 * f)),
    }
    for r in res.values():
        r["independent_per_s"] = r["updates_per_s"] / r["tau"]
    return res


def mehta_schwab_dataset(quick: bool):
    numba.set_num_threads(2)
    out = {}
    for algo in ("metropolis", "sw", "wolff"):
        gen, dt = timed(
            lambda a=algo: generate_samples(
                SquareLattice(40), 0.408, 20000 if not quick else 5000, algorithm=a, seed=1
            )
        )
        out[algo] = {"seconds": dt, "thinning": gen.attrs["thinning"], "pilot_tau": gen.attrs["pilot_tau"]}
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    meta = {
        "machine": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "numba": numba.__version__,
    }
    print(f"# Sampling benchmarks ({meta})\n")

    rows = flips_per_ns(args.quick)
    print("## Metropolis flips per nanosecond at K_c\n")
    print("| implementation | L = 64 | L = 256 | ratio to mcising (L=64, L=256) |")
    print("|---|---|---|---|")
    names = list(rows[0][1])
    for name in names:
        a, b = rows[0][1][name], rows[1][1][name]
        ra = a / rows[0][1]["mcising metropolis (1 core)"]
        rb = b / rows[1][1]["mcising metropolis (1 core)"]
        print(f"| {name} | {a:.3f} | {b:.3f} | {ra:.2f}x, {rb:.2f}x |")

    ind = independent_samples(args.quick)
    best_peer = max(v["independent_per_s"] for k, v in ind.items() if k.startswith("mcising"))
    print("\n## Independent samples per second at K_c, L = 64 (rate / tau(|M|))\n")
    print("| implementation | updates/s | tau(|M|) [updates] | independent/s | ratio to best mcising |")
    print("|---|---|---|---|---|")
    for name, r in ind.items():
        print(
            f"| {name} | {r['updates_per_s']:.4g} | {r['tau']:.3g} | {r['independent_per_s']:.4g} | "
            f"{r['independent_per_s'] / best_peer:.2f}x |"
        )

    ms = mehta_schwab_dataset(args.quick)
    print("\n## Mehta-Schwab dataset: 20,000 decorrelated 40x40 configurations at K = 0.408, 2 cores\n")
    print("| algorithm | wall time [s] | thinning | pilot tau |")
    print("|---|---|---|---|")
    for algo, r in ms.items():
        print(f"| {algo} | {r['seconds']:.1f} | {r['thinning']} | {r['pilot_tau']:.3g} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(
                {"meta": meta, "flips_per_ns": rows, "independent": ind, "mehta_schwab": ms},
                fh,
                indent=2,
                default=str,
            )


if __name__ == "__main__":
    main()
