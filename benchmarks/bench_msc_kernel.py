"""Side by side: the multi-spin-coded Metropolis kernel before and after the vector lanes,
and where the time of the vector kernel goes (one thread, CPU time, interleaved repeats,
medians).

    python benchmarks/bench_msc_kernel.py [--repeat 7]        # kernels
    PYTHONPATH=SRC python benchmarks/bench_msc_kernel.py --sampler   # through IsingSampler

Variants (all on the same periodic L x L sweep of 64 replicas per word at K_c, no measuring):

- ``scalar kernel (before)``: one site at a time, one xoshiro256++ stream per word, the
  comparison of :func:`deeprg.sampling._msc._flip_bits` (7 fixed words, exact loop after);
- ``vector lanes (after)``: :func:`deeprg.sampling._msc.split_sweeps` as shipped: blocks of 8
  same-colour sites updated in the 8 lanes of a vector register, 8 streams per word advanced
  together, 11 fixed comparison words per site, exact tail per site;
- cost split of the vector kernel, not samplers: ``vector count only`` (staging, bit-sliced
  count and store, flips from a counter), ``vector count + 11 words`` (plus the generator,
  no comparison).

``--sampler`` times ``IsingSampler(..., rule="msc-metropolis", n_chains=64).burn_in``
(packs, sweeps, measures once, unpacks) with the ``deeprg`` on PYTHONPATH, printing one
line of flips/ns per L; run it for two source trees alternately to compare them.
"""

from __future__ import annotations

import argparse
import os
import time

import numba
import numpy as np

K_C = 0.5 * np.log(1.0 + np.sqrt(2.0))
_G = np.uint64(0x9E3779B97F4A7C15)


def _kernels():
    from deeprg.sampling._msc import (
        _NV,
        _ZERO,
        _anti_aligned_count,
        _flip_bits,
        _join_rows,
        _split_rows,
        metropolis_thresholds,
        msc_square_run,
        split_sweeps,
    )
    from deeprg.sampling._rng import xoshiropp_next
    from deeprg.sampling._rules import _outputs

    # every variant runs inside a one-iteration prange, as the shipped kernels do (numba
    # compiles a prange body as its own function; LLVM's vectoriser decides differently there)
    @numba.njit(parallel=True)
    def scalar(w, L, p4, p8, st, sweeps):
        for _g in numba.prange(1):
            _scalar_body(w, L, p4, p8, st, sweeps)

    @numba.njit(inline="always")
    def _scalar_body(w, L, p4, p8, st, sweeps):
        s0, s1, s2, s3 = st[0], st[1], st[2], st[3]
        for _ in range(sweeps):
            for colour in range(2):
                for r in range(L):
                    row = r * L
                    up = ((r + L - 1) % L) * L
                    down = ((r + 1) % L) * L
                    for q in range((r + colour) & 1, L, 2):
                        left = q - 1 if q > 0 else L - 1
                        right = q + 1 if q < L - 1 else 0
                        s = w[row + q]
                        b0, b1, b2 = _anti_aligned_count(
                            s, w[row + left], w[row + right], w[up + q], w[down + q]
                        )
                        low = ~(b2 | b1)
                        bits, s0, s1, s2, s3 = _flip_bits(
                            b1 & ~b0 & ~b2, low & b0, low & ~b0, p4, p8, s0, s1, s2, s3
                        )
                        w[row + q] = s ^ (b2 | (b1 & b0) | bits)
        st[0], st[1], st[2], st[3] = s0, s1, s2, s3

    @numba.njit(parallel=True)
    def vector(w, L, p4, p8, st, sweeps):
        for _g in numba.prange(1):
            _vector_body(w, L, p4, p8, st, sweeps)

    @numba.njit(inline="always")
    def _vector_body(w, L, p4, p8, st, sweeps):
        X = np.empty(L * (L + 4), dtype=np.uint64)
        _split_rows(w, X, L, L)
        T = np.zeros(12 * _NV, dtype=np.uint64)
        for i in range(4 * _NV):
            T[5 * _NV + i] = st[i]
        split_sweeps(X, T, L, L, p4, p8, sweeps)
        for i in range(4 * _NV):
            st[i] = T[5 * _NV + i]
        _join_rows(X, w, L, L)

    def split_variant(mode):
        @numba.njit(inline="always")
        def site(T, v):
            s = T[v]
            b0, b1, b2 = _anti_aligned_count(s, T[_NV + v], T[2 * _NV + v], T[3 * _NV + v], T[4 * _NV + v])
            low = ~(b2 | b1)
            eq2, eq1, eq0 = b1 & ~b0 & ~b2, low & b0, low & ~b0
            a0, a1, a2, a3 = T[5 * _NV + v], T[6 * _NV + v], T[7 * _NV + v], T[8 * _NV + v]
            if mode == 0:  # count only: flips from a counter
                a0 += _G
                bits = eq2 & (a0 * _G)
            else:  # count + 11 words, folded, no comparison
                acc = _ZERO
                for _j in range(11):
                    x, a0, a1, a2, a3 = xoshiropp_next(a0, a1, a2, a3)
                    acc ^= x
                bits = acc & (eq2 | eq1 | eq0)
            T[5 * _NV + v], T[6 * _NV + v], T[7 * _NV + v], T[8 * _NV + v] = a0, a1, a2, a3
            T[v] = s ^ (b2 | (b1 & b0) | bits)

        @numba.njit(parallel=True)
        def run(w, L, p4, p8, st, sweeps):
            for _g in numba.prange(1):
                body(w, L, p4, p8, st, sweeps)

        @numba.njit(inline="always")
        def body(w, L, p4, p8, st, sweeps):
            X = np.empty(L * (L + 4), dtype=np.uint64)
            _split_rows(w, X, L, L)
            T = np.zeros(12 * _NV, dtype=np.uint64)
            for i in range(4 * _NV):
                T[5 * _NV + i] = st[i]
            H, R = L // 2, L + 4
            for _ in range(sweeps):
                for colour in range(2):
                    for r in range(L):
                        p = (r + colour) & 1
                        half = r * R + p * (H + 2)
                        ub = np.uint64(half + 1)
                        uo = np.uint64(r * R + (1 - p) * (H + 2) + p)
                        uu = np.uint64(((r + L - 1) % L) * R + p * (H + 2) + 1)
                        ud = np.uint64(((r + 1) % L) * R + p * (H + 2) + 1)
                        for k0 in range(0, H, _NV):
                            nv = min(_NV, H - k0)
                            u = np.uint64(k0)
                            for v in range(nv):
                                uv = u + np.uint64(v)
                                T[v] = X[ub + uv]
                                T[_NV + v] = X[uo + uv]
                                T[2 * _NV + v] = X[uo + uv + np.uint64(1)]
                                T[3 * _NV + v] = X[uu + uv]
                                T[4 * _NV + v] = X[ud + uv]
                            for v in range(nv):
                                site(T, v)
                            for v in range(nv):
                                X[ub + u + np.uint64(v)] = T[v]
                        X[half] = X[half + H]
                        X[half + H + 1] = X[half + 1]
            for i in range(4 * _NV):
                st[i] = T[5 * _NV + i]
            _join_rows(X, w, L, L)

        return run

    def shipped(w, L, p4, p8, st, sweeps):
        cfg, bond, mag = _outputs(64, 1, L * L, False)
        msc_square_run(
            w.reshape(1, -1), L, L, p4, p8, st.reshape(1, nv_, 4), 1, sweeps, False, cfg, bond, mag
        )

    nv_ = _NV
    kernels = {
        "scalar kernel (before)": scalar,
        "vector lanes (after)": vector,
        "msc_square_run as shipped (+ one measurement)": shipped,
        "vector count only": split_variant(0),
        "vector count + 11 words, no comparison": split_variant(1),
    }
    return kernels, metropolis_thresholds, _NV


def _kernel_table(repeat: int, flips: float, only: str | None, sizes) -> None:
    numba.set_num_threads(1)
    kernels, thresholds, nv = _kernels()
    if only:
        kernels = {k: f for k, f in kernels.items() if only in k}
    p4, p8 = thresholds(K_C)
    print(f"# msc kernel, flips/ns per core at K_c (load {os.getloadavg()})\n")
    print(f"| variant | {' | '.join(f'L = {L}' for L in sizes)} |")
    print("|---" * (len(sizes) + 1) + "|")
    table = {name: [] for name in kernels}
    for L in sizes:
        sweeps = max(2, int(flips / 64 / L / L))
        states = {}
        for name, fn in kernels.items():
            w = np.zeros(L * L, dtype=np.uint64)
            n_st = 4 if name.startswith("scalar") else 4 * nv
            st = np.arange(1, n_st + 1, dtype=np.uint64) * _G
            fn(w, L, p4, p8, st, 30)  # compile, then leave the ordered start
            states[name] = (w, st)
        rates = {name: [] for name in kernels}
        for _ in range(repeat):  # interleaved
            for name, fn in kernels.items():
                w, st = states[name]
                t0 = time.process_time()
                fn(w, L, p4, p8, st, sweeps)
                rates[name].append(64 * sweeps * L * L / (time.process_time() - t0) / 1e9)
        for name in kernels:
            table[name].append(float(np.median(rates[name])))
    for name, cells in table.items():
        print(f"| {name} | {' | '.join(f'{c:.2f}' for c in cells)} |")
    print(f"\nload after: {os.getloadavg()}")


def _sampler_line(repeat: int) -> None:
    from deeprg.lattice import SquareLattice
    from deeprg.sampling import IsingSampler

    numba.set_num_threads(1)
    cells = []
    for L, sweeps in ((64, 400), (256, 40), (1024, 6)):
        s = IsingSampler(SquareLattice(L), K_C, rule="msc-metropolis", n_chains=64)
        state = s.burn_in(s.init_state(1), 2)  # compile
        rates = []
        for _ in range(repeat):
            t0 = time.process_time()
            state = s.burn_in(state, sweeps)
            rates.append(64 * sweeps * L * L / (time.process_time() - t0) / 1e9)
        cells.append(float(np.median(rates)))
    print(" ".join(f"{c:.2f}" for c in cells))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--flips", type=float, default=6e7, help="attempted flips per timing")
    parser.add_argument("--sampler", action="store_true", help="one line of sampler flips/ns")
    parser.add_argument("--only", help="run only the variants whose name contains this")
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 256, 1024])
    args = parser.parse_args()
    if args.sampler:
        _sampler_line(args.repeat)
    else:
        _kernel_table(args.repeat, args.flips, args.only, args.sizes)


if __name__ == "__main__":
    main()
