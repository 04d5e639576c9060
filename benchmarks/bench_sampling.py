"""Sampling benchmarks, side by side with mcising in one run (issue: the fastest correct path).

    .venv/bin/python benchmarks/bench_sampling.py [--quick] [--repeat 3] [--json out.json]

Sections (markdown tables with ratios):

1. start-up of whole processes (import deeprg.sampling, a one-sample ``deeprg sample``, import
   mcising, import torch), whether torch was loaded, and ``deeprg sample`` split into
   interpreter, imports, kernel load and first kernel call (benchmarks/_startup_job.py);
2. per-core kernel speed (one thread, in process): flips per nanosecond of scalar and
   multi-spin-coded Metropolis against mcising's Metropolis, and the machine's memory bandwidth
   (a numpy copy) against the traffic the multi-spin-coded kernel needs;
3. whole processes, same sweeps: ``deeprg sample --algo metropolis --chains 1 --burn-in 0
   --decorrelate D`` against mcising doing the same sweeps and storing the same configurations;
4. whole processes, independent samples at K_c (L = 64, 128, or ``--sizes L:n,...``): the
   default ``deeprg sample`` (``--algo auto``) against mcising's Wolff and Swendsen-Wang. Every
   code thins by ceil(max(tau_E, tau_|M|)) (deeprg from its own pilot; mcising from an untimed
   pilot given to it, with a burn-in of max(20 tau, 2000 single clusters or 200 SW sweeps)).
   Independent samples = stored samples / max(1, tau), tau measured on the stored samples by
   deeprg.stats.integrated_time for every code, for |M| alone and for the slower of E and |M|.

Repeats are interleaved (deeprg, mcising, deeprg, ...) and the median is reported, so that a
loaded machine slows both sides alike; CPU time (user + sys of the child) is reported as well.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

from deeprg.data import read_dataset
from deeprg.exact import K_CRITICAL
from deeprg.lattice import SquareLattice
from deeprg.sampling import IsingSampler, Metropolis
from deeprg.stats import integrated_time

T_C = 1.0 / K_CRITICAL
HERE = Path(__file__).resolve().parent
PY = sys.executable
DEEPRG = str(Path(PY).with_name("deeprg"))


def run_process(cmd: list[str]) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of the child, stdout) of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env={**os.environ})
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.stdout


def interleaved(cmds: dict[str, list[str]], repeat: int) -> dict[str, dict]:
    """Run every command ``repeat`` times, interleaved; median wall and CPU time per command."""
    walls = {k: [] for k in cmds}
    cpus = {k: [] for k in cmds}
    outs = {}
    for _ in range(repeat):
        for key, cmd in cmds.items():
            w, c, o = run_process(cmd)
            walls[key].append(w)
            cpus[key].append(c)
            outs[key] = o
    return {
        k: {
            "wall": float(np.median(walls[k])),
            "cpu": float(np.median(cpus[k])),
            "walls": walls[k],  # every repeat: this virtual machine's speed varies with its host
            "cpus": cpus[k],
            "out": outs[k],
        }
        for k in cmds
    }


# ----------------------------------------------------------------------------- 1. start-up
def startup(repeat: int, tmp: Path) -> dict:
    cmds = {
        "python -c 'import deeprg.sampling'": [
            PY,
            "-c",
            "import sys, deeprg.sampling, deeprg.stats, deeprg.data; print('torch' in sys.modules)",
        ],
        "deeprg sample ising2d --L 8 --n 1 (whole command)": [
            DEEPRG,
            "sample",
            "ising2d",
            "--L",
            "8",
            "--K",
            "0.3",
            "--n",
            "1",
            "--seed",
            "1",
            "--out",
            str(tmp / "s.h5"),
            "--quiet",
        ],
        "python -c 'import mcising'": [PY, "-c", "import mcising"],
        "python -c 'import torch' (what deeprg no longer pays)": [PY, "-c", "import torch"],
    }
    res = interleaved(cmds, repeat)
    res["torch_loaded_by_deeprg_sampling"] = (
        res["python -c 'import deeprg.sampling'"]["out"].strip() == "True"
    )
    res["phases"] = startup_phases(repeat, tmp)
    return res


def startup_phases(repeat: int, tmp: Path) -> dict:
    """``deeprg sample`` start-up split into interpreter, imports, kernel load and first kernel
    call (benchmarks/_startup_job.py runs the command in-process), median of ``repeat``."""
    requests = {
        "msc-metropolis (K = 0.3)": ["--K", "0.3"],
        "wolff (K = K_c)": ["--K", repr(K_CRITICAL)],
    }
    rows = {}
    for _ in range(repeat):
        for name, extra in requests.items():
            t0 = time.perf_counter()
            subprocess.run([PY, "-c", "pass"], check=True)
            interp = time.perf_counter() - t0
            cmd = [PY, str(HERE / "_startup_job.py"), "sample", "ising2d", "--L", "8", *extra, "--n", "1",
                   "--seed", "1", "--out", str(tmp / "p.h5"), "--quiet", "--json"]  # fmt: skip
            t0 = time.perf_counter()
            out = subprocess.run(cmd, check=True, capture_output=True, text=True)
            wall = time.perf_counter() - t0
            info = json.loads(out.stderr.strip().splitlines()[-1])
            row = rows.setdefault(name, {"kernels": info["kernels"]})
            row.setdefault("interpreter_s", []).append(interp)
            row.setdefault("import_s", []).append(info["import_s"])
            row.setdefault("kernel_load_s", []).append(info["kernel_load_s"])
            row.setdefault("first_kernel_call_s", []).append(interp + info["first_kernel_call_s"])
            row.setdefault("whole_s", []).append(wall)
    return {
        name: {
            k: (float(np.median(v)) if isinstance(v, list) and k != "kernels" else v) for k, v in row.items()
        }
        for name, row in rows.items()
    }


# ----------------------------------------------------------------------------- 2. per core
def _best_rate(fn, flips: float, repeat: int) -> float:
    """Flips per ns of CPU time (best of ``repeat``): on a loaded machine wall time measures the
    other tenants, CPU time of the one thread measures the kernel."""
    fn()
    best = math.inf
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return flips / best / 1e9


def per_core(quick: bool, repeat: int) -> dict:
    from mcising import IsingSimulation

    numba.set_num_threads(1)
    rows = {}
    for L in (64, 256, 1024):
        res = {}
        budget = 2e7 if quick else 6e7  # attempted flips per timing
        if L <= 256:
            sweeps = max(2, int(budget / 4 / (L * L)))
            for name, rule in (
                ("deeprg metropolis (default: spatial multi-spin, 1 chain)", Metropolis()),
                ("deeprg metropolis (scalar kernel, 1 chain)", Metropolis(spatial_multispin=False)),
            ):
                s = IsingSampler(SquareLattice(L), K_CRITICAL, rule=rule, n_chains=1)
                st = s.burn_in(s.init_state(0), 5)
                res[name] = _best_rate(lambda s=s, st=st: s.burn_in(st, sweeps), sweeps * L * L, repeat)
            sim = IsingSimulation(L, 1.0, 0.0, 0.0, 0.0, 1, "metropolis")
            sim.sweep(5, temperature=T_C)
            res["mcising metropolis"] = _best_rate(
                lambda: sim.sweep(sweeps, temperature=T_C), sweeps * L * L, repeat
            )
        sweeps = max(20, int(budget / (64 * L * L)))  # pack/unpack/measure cost ~ a sweep
        s = IsingSampler(SquareLattice(L), K_CRITICAL, rule="msc-metropolis", n_chains=64)
        st = s.burn_in(s.init_state(0), 2)
        res["deeprg msc-metropolis (64 replicas)"] = _best_rate(
            lambda: s.burn_in(st, sweeps), 64 * sweeps * L * L, repeat
        )
        rows[L] = res
    rows["wolff_clusters_per_cpu_s"] = wolff_per_core(quick, repeat)
    rows["rng_ns_per_word"] = rng_ns_per_word(repeat)
    # memory bandwidth: a numpy copy of 256 MB (read + write)
    a = np.ones(1 << 25, dtype=np.float64)
    b = np.empty_like(a)
    best = min(_timed(lambda: np.copyto(b, a)) for _ in range(max(3, repeat)))
    rows["memory_bandwidth_GBps"] = 2 * a.nbytes / best / 1e9
    return rows


def wolff_per_core(quick: bool, repeat: int) -> dict:
    """Single Wolff clusters per second of CPU time at K_c, deeprg against mcising (one thread)."""
    from mcising import IsingSimulation

    from deeprg.sampling import Wolff

    numba.set_num_threads(1)
    out = {}
    for L in (64, 128):
        n = (10000 if quick else 40000) // (L // 64) ** 2  # clusters grow as ~L^(7/4)
        s = IsingSampler(SquareLattice(L), K_CRITICAL, rule=Wolff(clusters_per_step=1), n_chains=1)
        st = s.burn_in(s.init_state(0), 2000)
        sim = IsingSimulation(L, 1.0, 0.0, 0.0, 0.0, 1, "wolff")
        sim.sweep(2000, temperature=T_C)
        a = b = math.inf
        for _ in range(repeat):  # interleaved
            a = min(a, _timed(lambda: s.burn_in(st, n)))
            b = min(b, _timed(lambda: sim.sweep(n, temperature=T_C)))
        out[L] = {"deeprg": n / a, "mcising": n / b}
    return out


def rng_ns_per_word(repeat: int) -> float:
    """CPU nanoseconds per xoshiro256++ word in a numba loop (the multi-spin kernel's generator)."""
    from deeprg.sampling._rng import xoshiropp_next

    @numba.njit
    def words(n, s0, s1, s2, s3):
        acc = np.uint64(0)
        for _ in range(n):
            x, s0, s1, s2, s3 = xoshiropp_next(s0, s1, s2, s3)
            acc ^= x
        return acc

    one = np.uint64(1)
    words(10, one, one, one, one)
    n = 50_000_000
    return (
        min(_timed(lambda: words(n, one, np.uint64(2), np.uint64(3), np.uint64(4))) for _ in range(repeat))
        / n
        * 1e9
    )


def _timed(fn) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


# ------------------------------------------------------------------ 3. same sweeps, whole processes
def same_sweeps(quick: bool, repeat: int, tmp: Path) -> dict:
    out = {}
    # The first two are the example (start-up decides them); the long ones measure the
    # sweeps themselves (mcising needs ~4-7 s for them).
    runs = [(64, 400, 50), (256, 20 if quick else 40, 50)]
    if not quick:
        runs += [(64, 4000, 50), (256, 400, 50)]
    for L, n, d in runs:
        deeprg = [
            DEEPRG, "sample", "ising2d", "--L", str(L), "--K", repr(K_CRITICAL), "--n", str(n),
            "--algo", "metropolis", "--chains", "1", "--burn-in", "0", "--decorrelate", str(d),
            "--seed", "1", "--out", str(tmp / "m.h5"), "--quiet",
        ]  # fmt: skip
        mc = [
            PY,
            str(HERE / "_mcising_job.py"),
            "metropolis",
            str(L),
            repr(T_C),
            str(n),
            str(d),
            "0",
            str(tmp / "m.npy"),
        ]
        out[f"{L}:{n}"] = {
            "L": L,
            "n": n,
            "decorrelate": d,
            **interleaved({"deeprg": deeprg, "mcising": mc}, repeat),
        }
    return out


# ------------------------------------------------- 4. independent samples at K_c, whole processes
def _mcising_tau(algo: str, L: int, steps: int) -> dict:
    """tau of |M| and of E (stored-sample units, interval 1) from an untimed mcising pilot."""
    from mcising import IsingSimulation

    sim = IsingSimulation(L, 1.0, 0.0, 0.0, 0.0, 1, algo)
    sim.sweep(2000 if algo == "wolff" else 300, temperature=T_C)
    res = sim.production_sweeps(steps, 1, temperature=T_C, store_configs=False)
    return {
        "abs_m": integrated_time(np.abs(np.asarray(res["magnetizations"]))).tau,
        "energy": integrated_time(np.asarray(res["energies"], dtype=float)).tau,
    }


def _series(configs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """|m| and e = -sum_<ij> s_i s_j / N of int8 configs (n, L, L) on the torus."""
    c = configs.astype(np.int8)
    absm = np.abs(c.reshape(len(c), -1).mean(axis=1, dtype=np.float64))
    bond = (c * np.roll(c, 1, axis=1)).astype(np.int32) + (c * np.roll(c, 1, axis=2)).astype(np.int32)
    e = -bond.reshape(len(c), -1).mean(axis=1, dtype=np.float64)
    return absm, e


def _taus_of_chains(configs: np.ndarray, groups: list[np.ndarray]) -> dict:
    """tau of |m| and e in stored samples, pooled over chains of equal length (tau = 1 with
    fewer than two samples per chain)."""
    absm, e = _series(configs)
    length = min(len(g) for g in groups)
    if length < 2:
        return {"abs_m": 1.0, "energy": 1.0}
    return {
        "abs_m": integrated_time(np.stack([absm[g[:length]] for g in groups])).tau,
        "energy": integrated_time(np.stack([e[g[:length]] for g in groups])).tau,
    }


def independent(quick: bool, repeat: int, tmp: Path, sizes: list[tuple[int, int]] | None = None) -> dict:
    """Independent samples at K_c: every code thins by ceil(max(tau_E, tau_|M|)) (deeprg from
    its own pilot, mcising from an untimed pilot given to it), and the independent samples it
    delivers are n / max(1, tau) with tau measured on the stored samples, for |M| alone and for
    the slower of E and |M|."""
    out = {}
    sizes = sizes or [(64, 2000), (128, 500)] + ([] if quick else [(64, 20000), (128, 4000)])
    for L, n in sizes:
        cmds = {
            "deeprg sample (default: --algo auto)": [
                DEEPRG, "sample", "ising2d", "--L", str(L), "--K", repr(K_CRITICAL), "--n", str(n),
                "--seed", "1", "--out", str(tmp / "a.h5"), "--quiet", "--json",
            ],
        }  # fmt: skip
        taus = {}
        for algo, steps in (("wolff", 20000), ("swendsen_wang", 4000)):
            tau = _mcising_tau(algo, L, steps // (2 if quick else 1))
            taus[algo] = tau
            worst = max(tau.values())
            cmds[f"mcising {algo} (interval {math.ceil(worst)})"] = [
                PY, str(HERE / "_mcising_job.py"), algo, str(L), repr(T_C), str(n), str(math.ceil(worst)),
                str(max(math.ceil(20 * worst), 2000 if algo == "wolff" else 200)), str(tmp / f"{algo}.npy"),
            ]  # fmt: skip
        res = interleaved(cmds, repeat)
        for key, r in res.items():
            if key.startswith("deeprg"):
                info = json.loads(r["out"])
                r["algorithm"] = info["algorithm"]
                ds = read_dataset(tmp / "a.h5")
                r["tau_samples"] = _taus_of_chains(ds.configs, ds.by_chain())
            else:
                algo = key.split()[1]
                configs = np.load(tmp / f"{algo}.npy")
                r["tau_samples"] = _taus_of_chains(configs, [np.arange(len(configs))])
            r["independent"] = n / max(1.0, r["tau_samples"]["abs_m"])
            r["independent_both"] = n / max(1.0, *r["tau_samples"].values())
            for k in ("independent", "independent_both"):
                r[f"{k}_per_s"] = r[k] / r["wall"]
                r[f"{k}_per_cpu_s"] = r[k] / r["cpu"]
            r.pop("out")
        out[f"{L}:{n}"] = {"L": L, "n": n, "pilot_tau": taus, **res}
    return out


def _fmt_startup(res: dict) -> None:
    print("## 1. Start-up, whole processes (median wall and CPU seconds)\n")
    print("| command | wall [s] | CPU [s] |")
    print("|---|---|---|")
    for key, r in res.items():
        if isinstance(r, dict) and "wall" in r:
            print(f"| {key} | {r['wall']:.2f} | {r['cpu']:.2f} |")
    print(
        f"\ntorch loaded by `import deeprg.sampling, deeprg.stats, deeprg.data`: {res['torch_loaded_by_deeprg_sampling']}\n"
    )
    print(
        "`deeprg sample ising2d --L 8 --n 1` by phase (median wall seconds; first kernel call from process start):\n"
    )
    print(
        "| request | kernels loaded | interpreter | imports | kernel load | first kernel call | whole command |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, r in res["phases"].items():
        print(
            f"| {name} | {', '.join(r['kernels'])} | {r['interpreter_s']:.2f} | {r['import_s']:.2f} | "
            f"{r['kernel_load_s']:.2f} | {r['first_kernel_call_s']:.2f} | {r['whole_s']:.2f} |"
        )
    print()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="1,2,3,4", help="comma-separated sections")
    parser.add_argument("--json", default=None)
    parser.add_argument("--sizes", default=None, help="section 4: L:n pairs, e.g. 64:20000,128:5000")
    args = parser.parse_args()
    only = set(args.only.split(","))
    meta = {
        "machine": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "load_average": os.getloadavg(),
        "numba": numba.__version__,
        "repeat": args.repeat,
    }
    print(f"# Sampling benchmarks ({meta})\n")
    results = {"meta": meta}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if "1" in only:
            results["startup"] = startup(args.repeat, tmp)
            _fmt_startup(results["startup"])
        if "2" in only:
            rows = results["per_core"] = per_core(args.quick, args.repeat)
            print("## 2. Per-core flips per nanosecond of CPU time at K_c (one thread, best of repeats)\n")
            print("| implementation | L = 64 | L = 256 | L = 1024 |")
            print("|---|---|---|---|")
            for name in (
                "deeprg metropolis (default: spatial multi-spin, 1 chain)",
                "deeprg metropolis (scalar kernel, 1 chain)",
                "mcising metropolis",
                "deeprg msc-metropolis (64 replicas)",
            ):
                cells = [f"{rows[L][name]:.3f}" if name in rows[L] else "-" for L in (64, 256, 1024)]
                print(f"| {name} | {' | '.join(cells)} |")
            for L in (64, 256):
                r = rows[L]
                mc = r["mcising metropolis"]
                print(
                    f"\nL = {L}: deeprg metropolis / mcising = "
                    f"{r['deeprg metropolis (default: spatial multi-spin, 1 chain)'] / mc:.2f}x "
                    f"(scalar kernel {r['deeprg metropolis (scalar kernel, 1 chain)'] / mc:.2f}x), "
                    f"msc / mcising = {r['deeprg msc-metropolis (64 replicas)'] / mc:.1f}x"
                )
            print(
                f"\nmemory bandwidth (numpy copy, read + write): {rows['memory_bandwidth_GBps']:.1f} GB/s; "
                f"xoshiro256++: {rows['rng_ns_per_word']:.2f} ns per word\n"
            )
            print("Wolff single clusters per CPU second at K_c (one thread, best of interleaved repeats):\n")
            print("| L | deeprg | mcising | ratio |")
            print("|---|---|---|---|")
            for L, r in rows["wolff_clusters_per_cpu_s"].items():
                print(f"| {L} | {r['deeprg']:.0f} | {r['mcising']:.0f} | {r['deeprg'] / r['mcising']:.2f}x |")
            print()
        if "3" in only:
            res = results["same_sweeps"] = same_sweeps(args.quick, args.repeat, tmp)
            print("## 3. Same sweeps, whole processes (Metropolis at K_c, one chain, no burn-in)\n")
            print(
                "| L | samples x sweeps apart | deeprg wall / CPU [s] | mcising wall / CPU [s] | ratio (wall, CPU) |"
            )
            print("|---|---|---|---|---|")
            for r in res.values():
                a, b = r["deeprg"], r["mcising"]
                print(
                    f"| {r['L']} | {r['n']} x {r['decorrelate']} | {a['wall']:.2f} / {a['cpu']:.2f} | "
                    f"{b['wall']:.2f} / {b['cpu']:.2f} | {b['wall'] / a['wall']:.2f}x, {b['cpu'] / a['cpu']:.2f}x |"
                )
            print()
        if "4" in only:
            sizes = None
            if args.sizes:
                sizes = [(int(a), int(b)) for a, b in (x.split(":") for x in args.sizes.split(","))]
            res = results["independent"] = independent(args.quick, args.repeat, tmp, sizes)
            print("## 4. Independent samples at K_c, whole processes\n")
            print(
                "| L | n | command | wall [s] | CPU [s] | tau E, abs M [samples] | independent (abs M; both) "
                "| vs best mcising, abs M (wall, CPU) | vs best mcising, both (wall, CPU) |"
            )
            print("|---|---|---|---|---|---|---|---|---|")
            for r in res.values():
                rows = {k: v for k, v in r.items() if isinstance(v, dict) and "wall" in v}
                best = {
                    f"{k}_per_{u}": max(
                        v[f"{k}_per_{u}"] for name, v in rows.items() if name.startswith("mcising")
                    )
                    for k in ("independent", "independent_both")
                    for u in ("s", "cpu_s")
                }
                for k, v in rows.items():
                    name = k + (f" -> {v['algorithm']}" if "algorithm" in v else "")
                    t = v["tau_samples"]
                    ratios = [
                        f"{v[f'{m}_per_s'] / best[f'{m}_per_s']:.2f}x, "
                        f"{v[f'{m}_per_cpu_s'] / best[f'{m}_per_cpu_s']:.2f}x"
                        for m in ("independent", "independent_both")
                    ]
                    print(
                        f"| {r['L']} | {r['n']} | {name} | {v['wall']:.2f} | {v['cpu']:.2f} | "
                        f"{t['energy']:.2f}, {t['abs_m']:.2f} | {v['independent']:.0f}; {v['independent_both']:.0f} | "
                        f"{ratios[0]} | {ratios[1]} |"
                    )
            print()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
