"""Exponent table of learned and classical block maps, side by side on the same samples.

Swendsen MCRG (PRL 42, 859 (1979)) at K_c of the 2D Ising model with four b = 2 maps applied
to the same Wolff samples: majority rule, decimation, an RSMI filter (Koch-Janusz & Ringel 2018,
arXiv:1704.06279) and a trained RBM layer (placed and sign-aligned by its receptive fields),
both learned level by level. Prints y_T and y_h per level and map (all even / odd operators)
with jackknife errors, and the seconds each map took to build (training included); with
``--rsmi-seeds`` / ``--rbm-seeds`` > 1 the learned maps are trained once per seed and the
spread over seeds is printed. A scale-invariance table (Binder cumulant of each level-1 coarse
layer minus the visible layer's, paired jackknife error; G'(r)/G(2r) spread) follows, with a
random non-local map as the control that must fail, and the majority rule off K_c for
comparison only (not a control: a good map rescales off K_c too, so it passes there as well).

Every built map is cached under ``--cache`` (one .npz per map and seed, written atomically), so
an interrupted run resumes where it stopped and ``--analyse-only`` reprints from the cache.

    .venv/bin/python benchmarks/bench_learned_rg.py --L 32 --samples 8000 --levels 3
    .venv/bin/python benchmarks/bench_learned_rg.py --L 64 --samples 8000 --levels 3 --cache .cache/lrg64
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from deeprg.exact import K_CRITICAL
from deeprg.experiments.learned_rg import (
    FLOW_OPERATORS,
    _own_fit,
    random_nonlocal_map,
    scale_invariance_stats,
)
from deeprg.lattice import SquareLattice
from deeprg.nn import RBM
from deeprg.rg import EVEN_2D, ODD_2D, block_configs, mcrg_from_levels, train_rsmi, try_fit_couplings
from deeprg.sampling import generate_samples
from deeprg.utils import atomic_path, atomic_write_json
from deeprg.vrg import RBMBlockMap, hidden_marginal_samples, train_local_rbm_map, train_rbm_map


def _cached(path: Path, build):
    """Arrays {name: array} from ``path`` (.npz) or built and saved there atomically."""
    if path.exists():
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    t0 = time.perf_counter()
    out = build()
    out["seconds"] = np.array(time.perf_counter() - t0)
    with atomic_path(path, ".npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **out)
    print(f"# built {path.name} in {float(out['seconds']):.1f} s", flush=True)
    return out


def _levels(d, levels):
    return [d[f"level{k}"] for k in range(levels + 1)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--L", type=int, default=32)
    ap.add_argument("--samples", type=int, default=8000)
    ap.add_argument("--levels", type=int, default=3)
    ap.add_argument("--n-even", type=int, default=6)
    ap.add_argument("--rbm-epochs", type=int, default=10)
    ap.add_argument("--rbm-l1", type=float, default=3e-3)
    ap.add_argument(
        "--rbm-train-samples", type=int, default=0, help="train the RBM on the first N samples (0: all)"
    )
    ap.add_argument("--rbm-seeds", type=int, default=1)
    ap.add_argument("--rsmi-seeds", type=int, default=1)
    ap.add_argument(
        "--local-rbm-seeds",
        type=int,
        default=0,
        help="also a local, weight-shared learned map: one 4 -> 1 RBM trained on all 2 x 2 blocks",
    )
    ap.add_argument("--control-K", type=float, default=0.40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", type=Path, default=Path(".cache/bench_learned_rg"))
    ap.add_argument("--analyse-only", action="store_true", help="only report what the cache holds")
    ap.add_argument(
        "--own-hidden",
        type=int,
        default=0,
        help="fit nn, nnn, plaquette on the level-1 RBM's own hidden marginal with this many Gibbs chains",
    )
    ap.add_argument("--json", type=Path, default=None, help="also write the numbers to this file")
    args = ap.parse_args()
    torch.set_num_threads(1)
    even, odd, L, levels = EVEN_2D[: args.n_even], ODD_2D, args.L, args.levels
    root = args.cache / f"L{L}_n{args.samples}_lev{levels}_s{args.seed}"

    def have(name):
        return (root / f"{name}.npz").exists() or not args.analyse_only

    x = _cached(
        root / "data.npz",
        lambda: {
            "configs": generate_samples(
                SquareLattice(L), K_CRITICAL, args.samples, algorithm="wolff", seed=args.seed
            ).configs
        },
    )["configs"]
    print(f"# L = {L}, {len(x)} Wolff samples at K_c", flush=True)

    built = {}
    for rule in ("majority", "decimation"):

        def classical(rule=rule):
            lat = [x]
            for lev in range(levels):
                lat.append(block_configs(lat[-1], 2, rule, seed=args.seed + lev))
            return {f"level{k}": a for k, a in enumerate(lat)}

        built[rule] = _cached(root / f"{rule}.npz", classical)

    def rsmi(s):
        lat, w, uni, mi = [x], [], [], []
        for lev in range(levels):
            f = train_rsmi(lat[-1], 2, iterations=400, max_pairs=100_000, seed=args.seed + 1000 * s + lev)
            lat.append(f.block_map(seed=args.seed + 500 + 1000 * s)(lat[-1], lev))
            w.append(f.weights)
            uni.append(f.uniformity)
            mi.append(f.mutual_information)
        return {
            **{f"level{k}": a for k, a in enumerate(lat)},
            "weights": np.array(w),
            "uniformity": np.array(uni),
            "mi_bound": np.array(mi),
        }

    def rbm(s):
        lat, conc, n_train = [x], [], args.rbm_train_samples or len(x)
        params = {}
        for lev in range(levels):
            fmap = train_rbm_map(
                lat[-1][:n_train],
                2,
                seed=args.seed + 1000 * s + 97 * lev,
                epochs=args.rbm_epochs,
                lr=0.05,
                l1=args.rbm_l1,
            )
            lat.append(fmap(lat[-1], lev))
            conc.append(fmap.block_concentration())
            for key in ("W", "vbias", "hbias"):
                params[f"{key}{lev}"] = getattr(fmap.rbm, key).detach().double().numpy()
            params[f"order{lev}"], params[f"signs{lev}"] = fmap.order, fmap.signs
        return {**{f"level{k}": a for k, a in enumerate(lat)}, "concentration": np.array(conc), **params}

    def local_rbm(s):
        """A learned map with locality built in (:class:`deeprg.vrg.LocalRBMMap`): one binary RBM
        with 4 visible units and 1 hidden unit, trained (PCD-1) on 200,000 of the level's 2 x 2
        blocks and applied to every block (weights shared), read as a sign-aligned spin."""
        lat, w = [x], []
        for lev in range(levels):
            fmap = train_local_rbm_map(lat[-1], 2, seed=args.seed + 1000 * s + lev)
            lat.append(fmap(lat[-1], lev))
            w.append(fmap.weights.ravel())
        return {**{f"level{k}": a for k, a in enumerate(lat)}, "weights": np.array(w)}

    # learned maps: seed 0 of each first, then the further seeds (so an interrupted run has both)
    order = [("rsmi", 0), ("rbm", 0)]
    order += [("rsmi", s) for s in range(1, args.rsmi_seeds)] + [("rbm", s) for s in range(1, args.rbm_seeds)]
    order += [("localrbm", s) for s in range(args.local_rbm_seeds)]
    builders = {"rsmi": rsmi, "rbm": rbm, "localrbm": local_rbm}
    # an RBM trained with other than the default settings is cached (and reported) under its own name
    rbm_tag = (
        ""
        if (args.rbm_epochs, args.rbm_l1, args.rbm_train_samples) == (10, 3e-3, 0)
        else f"_e{args.rbm_epochs}_l1{args.rbm_l1:g}_n{args.rbm_train_samples or len(x)}"
    )
    for kind, s in order:
        name = f"{kind}_seed{s}" + (rbm_tag if kind == "rbm" else "")
        if have(name):
            built[name] = _cached(root / f"{name}.npz", lambda kind=kind, s=s: builders[kind](s))

    # --- exponents ------------------------------------------------------------------------
    report = {"L": L, "samples": len(x), "levels": levels, "maps": {}, "scale_invariance": {}}
    print()
    print("| map | level | lattice | y_T | y_h | build (s) |")
    print("|---|---|---|---|---|---|")
    for name, d in built.items():
        r = mcrg_from_levels(_levels(d, levels), b=2, even=even, odd=odd)
        rec = {
            "y_T": r.y_T[:, -1].tolist(),
            "y_T_err": r.y_T_err[:, -1].tolist(),
            "y_h": r.y_h[:, -1].tolist(),
            "y_h_err": r.y_h_err[:, -1].tolist(),
            "seconds": float(d["seconds"]),
        }
        for key in ("uniformity", "concentration", "mi_bound", "weights"):
            if key in d:
                rec[key] = d[key].tolist()
        report["maps"][name] = rec
        for lev in range(levels):
            print(
                f"| {name} | {lev + 1} | {L // 2 ** (lev + 1)} | "
                f"{r.y_T[lev, -1]:.3f} +- {r.y_T_err[lev, -1]:.3f} | {r.y_h[lev, -1]:.4f} +- {r.y_h_err[lev, -1]:.4f} | "
                f"{float(d['seconds']) if lev == 0 else float('nan'):.1f} |"
            )
    for name in [n for n in report["maps"] if n.startswith("localrbm_")]:
        w = np.round(np.array(report["maps"][name]["weights"]), 3).tolist()
        print(f"# {name}: 4 -> 1 weights per level {w}")
    for kind, key in (("rsmi", "uniformity"), ("rbm", "concentration")):
        names = [n for n in report["maps"] if n.startswith(kind + "_")]
        if len(names) < 2:
            continue
        print(f"\n# {kind} over {len(names)} training seeds (mean, sample std):")
        for q in ("y_T", "y_h", key):
            v = np.array([report["maps"][n][q] for n in names])
            print(
                f"#   {q}: per level mean {np.round(v.mean(0), 4).tolist()}, std {np.round(v.std(0, ddof=1), 4).tolist()}"
            )
        for n in names:
            print(f"#   {n}: {key} {np.round(report['maps'][n][key], 4).tolist()}")

    # --- scale invariance at level 1 ------------------------------------------------------
    print("\n| map (level 1) | Binder coarse - visible | G'(r)/G(2r) spread |")
    print("|---|---|---|")
    layers = {name: d["level1"] for name, d in built.items()}
    layers["control: random non-local"] = random_nonlocal_map(x, 2, seed=args.seed + 7)
    off = generate_samples(
        SquareLattice(L), args.control_K, min(len(x), 4000), algorithm="wolff", seed=args.seed + 11
    )
    off_visible = off.configs
    controls = {
        f"majority at K = {args.control_K:.2f} (not a control)": (
            block_configs(off_visible, 2, "majority", seed=args.seed),
            off_visible,
        )
    }
    for name, layer in list(layers.items()) + [(k, v[0]) for k, v in controls.items()]:
        vis = controls[name][1] if name in controls else x
        st = scale_invariance_stats(layer, vis, 2)
        report["scale_invariance"][name] = st
        print(
            f"| {name} | {st['binder_diff']:+.4f} +- {st['binder_diff_err']:.4f} | "
            f"{st['ratio_spread']:.3f} +- {st['ratio_spread_err']:.3f} |"
        )
    if args.own_hidden:
        report["couplings_level1"] = own_hidden_table(built, x, L, args)
    if args.json:
        atomic_write_json(args.json, report)


def own_hidden_table(built, x, L, args) -> dict:
    """Level-1 couplings (nn, nnn, plaquette) of every map's coarse layer, and of each RBM's own
    hidden marginal sampled by Gibbs chains (burn-in 2000, 40 samples 50 steps apart per chain)."""
    out = {}
    print("\n| level-1 layer | K_nn | K_nnn | K_plaq | note |")
    print("|---|---|---|---|---|")
    for name, d in built.items():
        f = try_fit_couplings(d["level1"], FLOW_OPERATORS)
        out[name] = {"K": f.couplings.tolist(), "err": f.errors.tolist()}
        print(
            f"| {name} (h from data) | "
            + " | ".join(f"{k:.3f}({e:.3f})" for k, e in zip(f.couplings, f.errors, strict=False))
            + " | |"
        )
    for name, d in built.items():
        if not name.startswith("rbm"):
            continue
        W = d["W0"]
        rbm = RBM(W.shape[0], W.shape[1])
        with torch.no_grad():
            for key in ("W", "vbias", "hbias"):
                getattr(rbm, key).copy_(torch.as_tensor(d[key + "0"]))
        fmap = RBMBlockMap(rbm, L, 2, d["order0"], d["signs0"], 0)
        t0 = time.perf_counter()
        own = hidden_marginal_samples(fmap, x[: args.own_hidden], burn_in=2000, every=50, seed=args.seed + 5)
        fit = _own_fit(own, args.own_hidden)
        out[name + " own"] = fit
        print(
            f"| {name} (own marginal, {args.own_hidden} chains) | "
            + " | ".join(f"{k:.3f}({e:.3f})" for k, e in zip(fit["K"], fit["err"], strict=False))
            + f" | <abs m> {fit['abs_m']:.3f}, drift {fit['drift_z']:.1f} sigma, {time.perf_counter() - t0:.0f} s |",
            flush=True,
        )
    return out


if __name__ == "__main__":
    main()
