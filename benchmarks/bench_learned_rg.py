"""Exponent table of learned and classical block maps, side by side on the same samples.

Swendsen MCRG (PRL 42, 859 (1979)) at K_c of the 2D Ising model with four b = 2 maps applied
to the same Wolff samples: majority rule, decimation, an RSMI filter (Koch-Janusz & Ringel 2018,
arXiv:1704.06279) and a trained RBM layer (placed and sign-aligned by its receptive fields),
both learned level by level. Prints y_T and y_h per level and map (all even / odd operators)
with jackknife errors, and the seconds each map took to build (training included).

    .venv/bin/python benchmarks/bench_learned_rg.py --L 32 --samples 8000 --levels 3
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from deeprg.exact import K_CRITICAL
from deeprg.lattice import SquareLattice
from deeprg.rg import EVEN_2D, ODD_2D, block_configs, mcrg_from_levels, train_rsmi
from deeprg.sampling import generate_samples
from deeprg.vrg import learned_rbm_levels


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--L", type=int, default=32)
    ap.add_argument("--samples", type=int, default=8000)
    ap.add_argument("--levels", type=int, default=3)
    ap.add_argument("--n-even", type=int, default=6)
    ap.add_argument("--rbm-epochs", type=int, default=10)
    ap.add_argument("--rbm-l1", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    even, odd = EVEN_2D[: args.n_even], ODD_2D

    t0 = time.perf_counter()
    x = generate_samples(
        SquareLattice(args.L), K_CRITICAL, args.samples, algorithm="wolff", seed=args.seed
    ).configs
    print(f"# L = {args.L}, {args.samples} Wolff samples at K_c ({time.perf_counter() - t0:.1f} s)")

    results, seconds = {}, {}
    for rule in ("majority", "decimation"):
        t0 = time.perf_counter()
        lat = [x]
        for lev in range(args.levels):
            lat.append(block_configs(lat[-1], 2, rule, seed=args.seed + lev))
        seconds[rule] = time.perf_counter() - t0
        results[rule] = mcrg_from_levels(lat, b=2, even=even, odd=odd)

    t0 = time.perf_counter()
    lat = [x]
    for lev in range(args.levels):
        f = train_rsmi(lat[-1], 2, iterations=400, max_pairs=100_000, seed=args.seed + lev)
        lat.append(f.block_map(seed=args.seed + 500)(lat[-1], lev))
        print(
            f"# RSMI level {lev + 1}: filter {np.round(f.weights, 3).tolist()}, uniformity {f.uniformity:.4f}"
        )
    seconds["rsmi"] = time.perf_counter() - t0
    results["rsmi"] = mcrg_from_levels(lat, b=2, even=even, odd=odd)

    t0 = time.perf_counter()
    lat, maps = learned_rbm_levels(
        x, args.levels, 2, seed=args.seed, epochs=args.rbm_epochs, lr=0.05, l1=args.rbm_l1
    )
    seconds["rbm"] = time.perf_counter() - t0
    print("# RBM block concentration per level: " + ", ".join(f"{m.block_concentration():.3f}" for m in maps))
    results["rbm"] = mcrg_from_levels(lat, b=2, even=even, odd=odd)

    print()
    print("| map | level | lattice | y_T | y_h | build (s) |")
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        for lev in range(args.levels):
            print(
                f"| {name} | {lev + 1} | {args.L // 2 ** (lev + 1)} | "
                f"{r.y_T[lev, -1]:.3f} +- {r.y_T_err[lev, -1]:.3f} | {r.y_h[lev, -1]:.4f} +- {r.y_h_err[lev, -1]:.4f} | "
                f"{seconds[name]:.1f} |"
            )


if __name__ == "__main__":
    main()
