"""Side by side: the multi-spin-coded Metropolis comparison loop, before and after, and where
its time goes (one thread, CPU time, interleaved repeats, medians).

    python benchmarks/bench_msc_kernel.py [--repeat 9]

Variants (all on the same periodic L x L sweep of 64 replicas per word at K_c, no measuring):

- ``early-exit loop``: the comparison as it was (a loop from the first word whose exit
  depends on the data: stop when every lane is decided);
- ``deeprg kernel``: :func:`deeprg.sampling._msc._flip_bits` as shipped (fixed unrolled words,
  exact loop after them);
- cost split, not samplers: ``rng only`` (7 xoshiro256++ words per site update, no
  comparison), ``comparison only`` (the 7 comparison steps fed by a one-multiply counter),
  ``count only`` (the bit-sliced neighbour count and the store alone).
"""

from __future__ import annotations

import argparse
import os
import time

import numba
import numpy as np

from deeprg.sampling._msc import _ZERO, _anti_aligned_count, _compare_word, _flip_bits, threshold_masks
from deeprg.sampling._rng import xoshiropp_next

K_C = 0.5 * np.log(1.0 + np.sqrt(2.0))
_G = np.uint64(0x9E3779B97F4A7C15)


@numba.njit(inline="always")
def _flip_bits_early_exit(eq2, eq1, eq0, p4, p8, s0, s1, s2, s3):
    """The comparison before the fixed words: a loop from the first word, exit on the data."""
    undecided = eq1 | eq0
    if (eq2 | undecided) == _ZERO:
        return _ZERO, s0, s1, s2, s3
    x, s0, s1, s2, s3 = xoshiropp_next(s0, s1, s2, s3)
    flip = eq2 & x
    n_bits = p4.shape[0]
    j = 0
    while undecided != _ZERO:
        pj = (eq1 & p4[j]) | (eq0 & p8[j])
        flip |= undecided & pj & ~x
        undecided &= ~(pj ^ x)
        j += 1
        if undecided == _ZERO or j >= n_bits:
            break
        x, s0, s1, s2, s3 = xoshiropp_next(s0, s1, s2, s3)
    return flip, s0, s1, s2, s3


def _make(mode: int):
    @numba.njit
    def run(w, L, p4, p8, st, sweeps):
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
                        eq2, eq1, eq0 = b1 & ~b0 & ~b2, low & b0, low & ~b0
                        if mode == 0:
                            bits, s0, s1, s2, s3 = _flip_bits_early_exit(
                                eq2, eq1, eq0, p4, p8, s0, s1, s2, s3
                            )
                        elif mode == 1:
                            bits, s0, s1, s2, s3 = _flip_bits(eq2, eq1, eq0, p4, p8, s0, s1, s2, s3)
                        elif mode == 2:
                            acc = _ZERO
                            for _j in range(7):
                                x, s0, s1, s2, s3 = xoshiropp_next(s0, s1, s2, s3)
                                acc ^= x
                            bits = acc & (eq2 | eq1 | eq0)
                        elif mode == 3:
                            s0 += _G
                            x = s0 * _G
                            bits, und = _compare_word(0, x, eq1, eq0, p4, p8, eq2 & x, eq1 | eq0)
                            for j in range(1, 7):
                                s0 += _G
                                x = s0 * _G
                                bits, und = _compare_word(j, x, eq1, eq0, p4, p8, bits, und)
                        else:
                            bits = eq2 & s0
                            s0 += _G
                        w[row + q] = s ^ (b2 | (b1 & b0) | bits)
        st[0], st[1], st[2], st[3] = s0, s1, s2, s3

    return run


VARIANTS = {
    "early-exit loop (before)": 0,
    "deeprg kernel (after)": 1,
    "rng only": 2,
    "comparison only": 3,
    "count only": 4,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--flips", type=float, default=3e7, help="attempted flips per timing")
    args = parser.parse_args()
    numba.set_num_threads(1)
    p4, p8 = threshold_masks(np.exp(-4.0 * K_C)), threshold_masks(np.exp(-8.0 * K_C))
    kernels = {name: _make(mode) for name, mode in VARIANTS.items()}
    print(f"# msc comparison loop, flips/ns per core at K_c (load {os.getloadavg()})\n")
    print("| variant | L = 64 | L = 256 | L = 1024 |")
    print("|---|---|---|---|")
    table = {name: [] for name in VARIANTS}
    for L in (64, 256, 1024):
        sweeps = max(2, int(args.flips / 64 / L / L))
        states = {}
        for name, fn in kernels.items():
            w = np.zeros(L * L, dtype=np.uint64)
            st = np.arange(1, 5, dtype=np.uint64) * _G
            fn(w, L, p4, p8, st, 30)  # compile, then leave the ordered start
            states[name] = (w, st)
        rates = {name: [] for name in VARIANTS}
        for _ in range(args.repeat):  # interleaved
            for name, fn in kernels.items():
                w, st = states[name]
                t0 = time.process_time()
                fn(w, L, p4, p8, st, sweeps)
                rates[name].append(64 * sweeps * L * L / (time.process_time() - t0) / 1e9)
        for name in VARIANTS:
            table[name].append(float(np.median(rates[name])))
    for name, cells in table.items():
        print(f"| {name} | {' | '.join(f'{c:.2f}' for c in cells)} |")
    print(f"\nload after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
