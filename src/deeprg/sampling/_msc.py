"""Multi-spin-coded Metropolis: 64 independent lattices packed bitwise in uint64 words.

Bit b of word ``w[g, i]`` is the spin of site i in replica 64 g + b (bit 1 <=> s = -1, as in
:mod:`deeprg.exact`). One update of site i acts on 64 replicas at once with bit logic
(Isakov et al., Comput. Phys. Commun. 192, 265 (2015), sec. 3; Romero et al. 2020):

- a_k = w_i XOR w_{nbr_k} marks anti-aligned neighbours; a bit-sliced adder counts them,
  n_anti in 0..4, and dE = 8K - 4K n_anti at h = 0;
- n_anti >= 3 (dE < 0) flips; n_anti = 2 (dE = 0) flips with probability 1/2 (a bit of the
  first comparison word below, which those lanes do not use otherwise; see
  :func:`deeprg.sampling._rules.metropolis_acceptance`); n_anti = 1 and 0 flip with
  probabilities e^{-4K} and e^{-8K}.
- Those Bernoulli bits are independent per replica: each lane compares its own uniform
  U = 0.u_1 u_2 ... (bit j of the j-th random word) with the binary expansion of its threshold,
  most significant bit first, until every lane is decided (a lane needs 2 words on average,
  the slowest of 64 about log2(64) + 1.3): the square kernel draws 11 words for every site in
  vector lanes and more only while a replica is undecided, the table and spatial kernels 7 and
  then more while a lane is undecided. No random number is shared between replicas. Single bits are used as random bits, so the
  generator is xoshiro256++ (Blackman & Vigna 2018), whose every output bit is good
  (xoshiro256+'s lowest bits are linear and fail tests).

Cost: each comparison word is one xoshiro256++ output; the square kernel
(:func:`msc_square_run`) updates 8 same-colour sites at once in the lanes of a vector
register, with 8 generator streams per word advanced together, so a site update of 64
replicas costs a few nanoseconds of bit logic and the kernel is bound by instructions, not by
memory (the lattice is read twice and written once per sweep).
"""

from __future__ import annotations

import numba
import numpy as np

from deeprg.errors import InputError
from deeprg.sampling._rng import xoshiropp_next

_ONES = np.uint64(0xFFFFFFFFFFFFFFFF)
_ZERO = np.uint64(0)


def threshold_masks(p: float, n_bits: int | None = None) -> np.ndarray:
    """uint64 (n,): all-ones where bit j of the binary expansion of p (0 <= p < 1) is 1.

    By default the whole expansion of the double p (it ends: at most 1074 bits), so that a
    comparison U < p with a uniform U = 0.u_1 u_2 ... is exact: a lane whose bits equal all of
    p's has U >= p. At least ``_N_FIXED_LANES`` = 11 entries (trailing zeros), as the kernels
    read that many unconditionally. ``n_bits`` truncates (or pads) to that length instead."""
    x = float(p)
    if not 0.0 <= x < 1.0:
        raise InputError(f"threshold must lie in [0, 1), got {p}")
    if n_bits is not None and n_bits < _N_FIXED_LANES:
        raise InputError(
            f"the kernels read {_N_FIXED_LANES} threshold bits unconditionally, got n_bits={n_bits}"
        )
    bits = []
    while x != 0.0 and (n_bits is None or len(bits) < n_bits):
        x *= 2.0  # exact in binary floating point, as is the subtraction below
        bits.append(x >= 1.0)
        if x >= 1.0:
            x -= 1.0
    length = max(len(bits), _N_FIXED_LANES) if n_bits is None else n_bits
    out = np.zeros(length, dtype=np.uint64)
    out[: len(bits)][np.array(bits, dtype=bool)] = _ONES
    return out


def metropolis_thresholds(K: float) -> tuple[np.ndarray, np.ndarray]:
    """(p4, p8): :func:`threshold_masks` of e^{-4K} and e^{-8K} padded to one length, as the
    kernels read bit j of both up to ``p4.shape[0]``."""
    p4, p8 = threshold_masks(np.exp(-4.0 * K)), threshold_masks(np.exp(-8.0 * K))
    n = max(p4.size, p8.size)
    return np.pad(p4, (0, n - p4.size)), np.pad(p8, (0, n - p8.size))


@numba.njit(inline="always")
def _anti_aligned_count(s, n0, n1, n2, n3):
    """Bit-sliced count of neighbours anti-aligned with s, lane by lane: (b0, b1, b2) with
    n_anti = b0 + 2 b1 + 4 b2 in 0..4 (a carry-save adder over four one-bit inputs)."""
    a0, a1, a2, a3 = s ^ n0, s ^ n1, s ^ n2, s ^ n3
    s01 = a0 ^ a1
    c01 = a0 & a1
    s23 = a2 ^ a3
    c23 = a2 & a3
    b0 = s01 ^ s23
    k0 = s01 & s23
    b1 = c01 ^ c23 ^ k0
    b2 = (c01 & c23) | (k0 & (c01 ^ c23))
    return b0, b1, b2


_N_FIXED = 7  # comparison words drawn on every site update: a fixed-trip, unrolled loop


@numba.njit(inline="always")
def _compare_word(j, x, eq1, eq0, p4, p8, flip, undecided):
    """Bit j of the thresholds against the random word x in every undecided lane: U < p is
    decided where the bits differ (``newly``), and there the lane flips iff p has the 1."""
    pj = (eq1 & p4[j]) | (eq0 & p8[j])
    newly = undecided & (pj ^ x)
    return flip | (newly & pj), undecided ^ newly


@numba.njit(inline="always")
def _flip_bits(eq2, eq1, eq0, p4, p8, s0, s1, s2, s3):
    """Lanes that flip among those with dE = 0 (``eq2``: probability 1/2), dE = 4K (``eq1``:
    e^{-4K}) and dE = 8K (``eq0``: e^{-8K}); returns (bits, new xoshiro256++ state).

    Each dE > 0 lane compares its own uniform U = 0.u_1 u_2 ... (bit j of the j-th word) with
    the threshold's binary expansion, most significant bit first, until every lane is decided
    (or until p's expansion ends: U >= p there). The dE = 0 lanes take their coin from the
    first of those words: the lane sets are disjoint, so no lane sees a bit twice and one word
    per site update is saved.

    The first ``_N_FIXED`` = 7 words are always drawn and compared in straight-line code (a
    lane already decided ignores the bits it is given, so this changes no probability); the
    loop after them runs only while some lane is still undecided (at K_c, with about 55 of the
    64 lanes at dE > 0, the exact early-exit loop drew 7.2 words on average, so the fixed
    words are rarely wasted). A loop with a data-dependent exit from the first word cost a
    mispredicted branch on most site updates."""
    undecided = eq1 | eq0
    x, s0, s1, s2, s3 = xoshiropp_next(s0, s1, s2, s3)
    flip, undecided = _compare_word(0, x, eq1, eq0, p4, p8, eq2 & x, undecided)
    for j in range(1, _N_FIXED):  # constant trip count: unrolled by LLVM, no branch on data
        x, s0, s1, s2, s3 = xoshiropp_next(s0, s1, s2, s3)
        flip, undecided = _compare_word(j, x, eq1, eq0, p4, p8, flip, undecided)
    n_bits = p4.shape[0]
    j = _N_FIXED
    while undecided != _ZERO and j < n_bits:
        x, s0, s1, s2, s3 = xoshiropp_next(s0, s1, s2, s3)
        flip, undecided = _compare_word(j, x, eq1, eq0, p4, p8, flip, undecided)
        j += 1
    return flip, s0, s1, s2, s3


@numba.njit(parallel=True, cache=True)
def msc_metropolis_run(words, nbr, order, p4, p8, rng, n_samples, thin, store, out_cfg, out_bond, out_mag):
    """Sweeps of packed replicas. ``words``: uint64 (G, N); ``nbr``: int64 (N, 4);
    ``p4``, ``p8``: threshold masks of e^{-4K} and e^{-8K}, one length
    (:func:`metropolis_thresholds`); ``rng``: uint64 (G, 4).
    Records per replica (G*64, n_samples) bond sums and magnetizations, and configurations
    int8 (G*64, n_samples, N) when ``store``."""
    n_groups, n = words.shape
    for g in numba.prange(n_groups):
        s0, s1, s2, s3 = rng[g, 0], rng[g, 1], rng[g, 2], rng[g, 3]
        for t in range(n_samples):
            for _ in range(thin):
                for idx in range(n):
                    i = order[idx]
                    w = words[g, i]
                    b0, b1, b2 = _anti_aligned_count(
                        w, words[g, nbr[i, 0]], words[g, nbr[i, 1]], words[g, nbr[i, 2]], words[g, nbr[i, 3]]
                    )
                    low = ~(b2 | b1)  # n_anti in {0, 1}
                    bits, s0, s1, s2, s3 = _flip_bits(
                        b1 & ~b0 & ~b2, low & b0, low & ~b0, p4, p8, s0, s1, s2, s3
                    )
                    words[g, i] = w ^ (b2 | (b1 & b0) | bits)  # n_anti >= 3 always flips
            # measure every replica: unpack its bit lane
            for b in range(64):
                rep = g * 64 + b
                mag = 0
                bond2 = 0
                for i in range(n):
                    s = 1 - 2 * np.int64((words[g, i] >> np.uint64(b)) & np.uint64(1))
                    mag += s
                    nbsum = 0
                    for k in range(4):
                        nbsum += 1 - 2 * np.int64((words[g, nbr[i, k]] >> np.uint64(b)) & np.uint64(1))
                    bond2 += s * nbsum
                    if store:
                        out_cfg[rep, t, i] = s
                out_bond[rep, t] = 0.5 * bond2
                out_mag[rep, t] = mag
        rng[g, 0], rng[g, 1], rng[g, 2], rng[g, 3] = s0, s1, s2, s3


@numba.njit(parallel=True, cache=True)
def pack(spins, words):
    """int8 spins (64 G, >= N) -> uint64 words (G, N), bit b of group g = replica 64 g + b.

    Only the first N columns are read (the samplers' spin arrays carry a ghost column)."""
    n_groups, n = words.shape
    for g in numba.prange(n_groups):
        for i in range(n):
            words[g, i] = np.uint64(0)
        for b in range(64):  # row by row: contiguous, branch-free, vectorizable
            sh = np.uint64(b)
            for i in range(n):
                words[g, i] |= np.uint64((1 - np.int64(spins[g * 64 + b, i])) >> 1) << sh


@numba.njit(parallel=True, cache=True)
def unpack(words, spins):
    """uint64 words (G, N) -> int8 spins (64 G, >= N): the first N columns are written."""
    n_groups, n = words.shape
    for g in numba.prange(n_groups):
        for b in range(64):
            for i in range(n):
                spins[g * 64 + b, i] = 1 - 2 * np.int8((words[g, i] >> np.uint64(b)) & np.uint64(1))


N_LANES = 8  # generator streams held side by side: one AVX-512 register of uint64 per state word
_N_FIXED_LANES = 11  # comparison words every site of an 8-site block draws in the vector loop
_NV = N_LANES


@numba.njit(inline="always")
def _leading_bits(p):
    """The first ``_N_FIXED_LANES`` threshold bits of masks ``p`` as one uint64: bit j = p[j]."""
    out = _ZERO
    for j in range(_N_FIXED_LANES):
        out |= (p[j] & np.uint64(1)) << np.uint64(j)
    return out


@numba.njit(inline="always")
def _compare_bits(j, x, eq1, eq0, P4, P8, flip, undecided):
    """:func:`_compare_word` with the thresholds' bit j taken from the scalars of
    :func:`_leading_bits` (registers, not memory: the vector loop then touches one array)."""
    sh = np.uint64(j)
    pj = (eq1 & (_ZERO - ((P4 >> sh) & np.uint64(1)))) | (eq0 & (_ZERO - ((P8 >> sh) & np.uint64(1))))
    newly = undecided & (pj ^ x)
    return flip | (newly & pj), undecided ^ newly


@numba.njit(inline="always")
def _block_site(T, v, P4, P8):
    """One site update of 64 replicas in lane v of an 8-site block, the whole update in
    straight-line code so that the loop over v vectorises (one zmm register per quantity).

    ``T`` (uint64 (12 N_LANES,), rows of N_LANES): 0 the site's word (in: old, out: new),
    1-4 its left, right, up and down neighbours, 5-8 the xoshiro256++ state of lane v, and out:
    9 the lanes still undecided after ``_N_FIXED_LANES`` comparison words, 10-11 the dE = 4K and
    dE = 8K lanes (for the exact tail in :func:`_block_tail`)."""
    s = T[v]
    b0, b1, b2 = _anti_aligned_count(s, T[_NV + v], T[2 * _NV + v], T[3 * _NV + v], T[4 * _NV + v])
    low = ~(b2 | b1)
    eq2 = b1 & ~b0 & ~b2
    eq1 = low & b0
    eq0 = low & ~b0
    a0, a1, a2, a3 = T[5 * _NV + v], T[6 * _NV + v], T[7 * _NV + v], T[8 * _NV + v]
    x, a0, a1, a2, a3 = xoshiropp_next(a0, a1, a2, a3)
    flip, und = _compare_bits(0, x, eq1, eq0, P4, P8, eq2 & x, eq1 | eq0)
    for j in range(1, _N_FIXED_LANES):  # constant trip count: unrolled, no branch on data
        x, a0, a1, a2, a3 = xoshiropp_next(a0, a1, a2, a3)
        flip, und = _compare_bits(j, x, eq1, eq0, P4, P8, flip, und)
    T[5 * _NV + v], T[6 * _NV + v], T[7 * _NV + v], T[8 * _NV + v] = a0, a1, a2, a3
    T[9 * _NV + v] = und
    T[10 * _NV + v] = eq1
    T[11 * _NV + v] = eq0
    T[v] = s ^ (b2 | (b1 & b0) | flip)


@numba.njit(inline="always")
def _block_tail(T, v, p4, p8):
    """Lane v's replicas still undecided after the fixed words: more words from lane v's own
    stream until every replica is decided (or the threshold's expansion ends: U >= p)."""
    und = T[9 * _NV + v]
    if und != _ZERO:
        a0, a1, a2, a3 = T[5 * _NV + v], T[6 * _NV + v], T[7 * _NV + v], T[8 * _NV + v]
        eq1, eq0 = T[10 * _NV + v], T[11 * _NV + v]
        flip = _ZERO
        j = _N_FIXED_LANES
        n_bits = p4.shape[0]
        while und != _ZERO and j < n_bits:
            x, a0, a1, a2, a3 = xoshiropp_next(a0, a1, a2, a3)
            flip, und = _compare_word(j, x, eq1, eq0, p4, p8, flip, und)
            j += 1
        T[5 * _NV + v], T[6 * _NV + v], T[7 * _NV + v], T[8 * _NV + v] = a0, a1, a2, a3
        T[v] ^= flip


@numba.njit(inline="always")
def _split_rows(w, X, L, M):
    """Natural layout (L*M,) -> colour-split rows with halos: row r of X holds its even
    columns then its odd columns, each half as [last, c_0 .. c_{H-1}, first] (H = M / 2)."""
    H = M // 2
    R = M + 4
    for r in range(L):
        e = r * R + 1
        o = e + H + 2
        for k in range(H):
            X[e + k] = w[r * M + 2 * k]
            X[o + k] = w[r * M + 2 * k + 1]
        X[e - 1] = X[e + H - 1]
        X[e + H] = X[e]
        X[o - 1] = X[o + H - 1]
        X[o + H] = X[o]


@numba.njit(inline="always")
def _join_rows(X, w, L, M):
    """Inverse of :func:`_split_rows`."""
    H = M // 2
    R = M + 4
    for r in range(L):
        e = r * R + 1
        o = e + H + 2
        for k in range(H):
            w[r * M + 2 * k] = X[e + k]
            w[r * M + 2 * k + 1] = X[o + k]


@numba.njit(inline="always")
def split_sweeps(X, T, L, M, p4, p8, n_sweeps):
    """``n_sweeps`` checkerboard sweeps of one word's lattices held in the colour-split layout
    ``X`` (:func:`_split_rows`), in blocks of N_LANES sites whose streams live in ``T``
    (rows 5-8, see :func:`_block_site`). The body of :func:`msc_square_run`."""
    H = M // 2
    R = M + 4
    P4, P8 = _leading_bits(p4), _leading_bits(p8)
    for _ in range(n_sweeps):
        for colour in range(2):
            for r in range(L):
                p = (r + colour) & 1
                half = r * R + p * (H + 2)  # the updated half-row's left halo
                # unsigned offsets: no negative-index wraparound, so loads stay contiguous
                ub = np.uint64(half + 1)
                # left neighbour of column k: p = 0: odd half's k - 1 (halo at k = 0); p = 1: even half's k
                uo = np.uint64(r * R + (1 - p) * (H + 2) + p)
                uu = np.uint64(((r + L - 1) % L) * R + p * (H + 2) + 1)
                ud = np.uint64(((r + 1) % L) * R + p * (H + 2) + 1)
                for k0 in range(0, H, _NV):
                    nv = min(_NV, H - k0)
                    u = np.uint64(k0)
                    for v in range(nv):  # staging copies: the vector loop then reads and
                        uv = u + np.uint64(v)  # writes T only, at constant distances
                        T[v] = X[ub + uv]
                        T[_NV + v] = X[uo + uv]
                        T[2 * _NV + v] = X[uo + uv + np.uint64(1)]
                        T[3 * _NV + v] = X[uu + uv]
                        T[4 * _NV + v] = X[ud + uv]
                    for v in range(nv):
                        _block_site(T, v, P4, P8)
                    for v in range(nv):
                        _block_tail(T, v, p4, p8)
                    for v in range(nv):
                        X[ub + u + np.uint64(v)] = T[v]
                X[half] = X[half + H]  # refresh the halos of the half-row just updated
                X[half + H + 1] = X[half + 1]


@numba.njit(parallel=True, cache=True)
def msc_square_run(words, L, M, p4, p8, rng, n_samples, thin, store, out_cfg, out_bond, out_mag):
    """Multi-spin-coded Metropolis on periodic L x M lattices with even sides: neighbours by
    index arithmetic (only the three rows around a site are touched, so the working set stays
    in cache at any L), bit-sliced energies, checkerboard colours row by row, xoshiro256++
    random bits (all 64 output bits are used as random bits).

    Sites of one colour do not interact, so each row's sites of the colour being updated go
    in blocks of ``N_LANES`` = 8 updated side by side: site k0 + v of a block takes its
    random words from stream v of its word's 8 xoshiro256++ streams. The 8 streams are
    advanced together in the 8 lanes of a vector register (AVX-512 on x86: one instruction
    per xoshiro step for 8 words, rotates as ``vprolq``), and the neighbour count and the
    first ``_N_FIXED_LANES`` comparison steps run in the same vector lanes; replicas still
    undecided then draw further words from their site's stream (:func:`_block_tail`). Each
    replica still compares its own uniform with the exact threshold (Isakov et al.,
    Comput. Phys. Commun. 192, 265 (2015); Blackman & Vigna 2018 for the generator): the
    chain of every replica is the checkerboard Metropolis chain of :func:`msc_metropolis_run`.

    Rows are kept colour-split with one halo word per half (the layout of
    :func:`_split_rows`), so the left and right neighbours of a block are contiguous loads.

    ``words``: uint64 (G, L*M); ``rng``: uint64 (G, N_LANES, 4), the streams of each word
    (the result depends on them and on nothing else: not on the number of threads). Other
    arguments as :func:`msc_metropolis_run`.
    """
    n_groups = words.shape[0]
    R = M + 4  # two halves of M / 2 + 2 words
    for g in numba.prange(n_groups):
        w = words[g]
        X = np.empty(L * R, dtype=np.uint64)
        _split_rows(w, X, L, M)
        T = np.zeros(12 * _NV, dtype=np.uint64)
        for v in range(_NV):
            for c in range(4):
                T[(5 + c) * _NV + v] = rng[g, v, c]
        for t in range(n_samples):
            split_sweeps(X, T, L, M, p4, p8, thin)
            _join_rows(X, w, L, M)
            _measure_square(w, L, M, g, t, store, out_cfg, out_bond, out_mag)
        for v in range(_NV):
            for c in range(4):
                rng[g, v, c] = T[(5 + c) * _NV + v]


_BYTE_ONES = np.uint64(0x0101010101010101)
_BYTE = np.uint64(0xFF)
_CHUNK = 127  # sites per byte-counter chunk: at most 2 anti-aligned bonds per site, 2 * 127 < 256


@numba.njit(inline="always")
def _site_bytes(s, right, down, sk):
    """Bits k, k + 8, ..., k + 56 of the down-spin mask and of the anti-aligned right + down
    bond count of one site, as 8 byte counters (lanes k + 8 j in byte j)."""
    x = s ^ right
    y = s ^ down
    return (s >> sk) & _BYTE_ONES, ((x >> sk) & _BYTE_ONES) + ((y >> sk) & _BYTE_ONES)


@numba.njit(inline="always")
def _flush_bytes(acc, k, out):
    for j in range(8):
        out[8 * j + k] += np.int64((acc >> np.uint64(8 * j)) & _BYTE)


@numba.njit(inline="always")
def _lane_counts_square(w, L, M, down_cnt, anti):
    """Per lane b of the words ``w`` (L*M,): down spins and anti-aligned right and down bonds,
    added to int64 (64,) ``down_cnt`` and ``anti``. Eight passes over the lattice, pass k
    counting lanes k, k + 8, ..., k + 56 in the bytes of one uint64 (SIMD within a register,
    flushed every ``_CHUNK`` sites): a branch-free, vectorisable reduction per pass."""
    for k in range(8):
        sk = np.uint64(k)
        for r in range(L):
            row = np.uint64(r * M)
            dn = np.uint64(((r + 1) % L) * M)
            for q0 in range(0, M - 1, _CHUNK):  # columns 0 .. M - 2: the right neighbour is q + 1
                ad = _ZERO
                aa = _ZERO
                for q in range(q0, min(q0 + _CHUNK, M - 1)):
                    uq = np.uint64(q)
                    d, a = _site_bytes(w[row + uq], w[row + uq + np.uint64(1)], w[dn + uq], sk)
                    ad += d
                    aa += a
                _flush_bytes(ad, k, down_cnt)
                _flush_bytes(aa, k, anti)
            last = np.uint64(M - 1)  # the last column wraps to column 0
            d, a = _site_bytes(w[row + last], w[row], w[dn + last], sk)
            _flush_bytes(d, k, down_cnt)
            _flush_bytes(a, k, anti)


@numba.njit(inline="always")
def _measure_square(w, L, M, g, t, store, out_cfg, out_bond, out_mag):
    """Per-replica magnetization and bond sum of word g from per-lane counts of down spins and
    of anti-aligned right and down bonds (:func:`_lane_counts_square`)."""
    n = L * M
    down_cnt = np.zeros(64, dtype=np.int64)
    anti = np.zeros(64, dtype=np.int64)
    _lane_counts_square(w, L, M, down_cnt, anti)
    for b in range(64):
        rep = g * 64 + b
        out_mag[rep, t] = n - 2 * down_cnt[b]
        out_bond[rep, t] = 2 * n - 2 * anti[b]
        if store:
            sh = np.uint64(b)
            for i in range(n):
                out_cfg[rep, t, i] = 1 - 2 * np.int8((w[i] >> sh) & np.uint64(1))


# ------------------------------------------------------------------------------------------
# Spatial multi-spin coding: 64 sites of ONE lattice per word (Isakov et al. 2015, sec. 3.2).
# Word (r, c) of a chain, c < W = M / B, holds in bit b the spin of site (r, c + b W): B
# vertical strips of width W side by side. With W even every bit of a word has the checkerboard
# colour (r + c) mod 2, so a word is one parallel update of B same-colour sites, exactly the
# checkerboard Metropolis chain of the scalar kernel.


def strip_width(M: int) -> int:
    """The smallest even W dividing M with M / W <= 64 strips, or 0 when there is none."""
    for w in range(2, M + 1, 2):
        if M % w == 0 and M // w <= 64:
            return w
    return 0


@numba.njit(inline="always")
def _rot_down(x, B, mask):
    """Bit b <- bit (b + 1) mod B (the strip to the right), within the low B bits."""
    return ((x >> np.uint64(1)) | (x << np.uint64(B - 1))) & mask


@numba.njit(inline="always")
def _rot_up(x, B, mask):
    """Bit b <- bit (b - 1) mod B (the strip to the left), within the low B bits."""
    return ((x << np.uint64(1)) | (x >> np.uint64(B - 1))) & mask


@numba.njit(inline="always")
def _popcount(x):
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.int64((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@numba.njit(inline="always")
def _spatial_neighbours(w, r, c, L, W, B, mask):
    row = r * W
    up = w[((r + L - 1) % L) * W + c]
    down = w[((r + 1) % L) * W + c]
    left = w[row + c - 1] if c > 0 else _rot_up(w[row + W - 1], B, mask)
    right = w[row + c + 1] if c < W - 1 else _rot_down(w[row], B, mask)
    return left, right, up, down


@numba.njit(parallel=True, cache=True)
def spatial_metropolis_run(spins, L, M, W, p4, p8, rng, n_samples, thin, store, out_cfg, out_bond, out_mag):
    """Checkerboard Metropolis at h = 0, K > 0 on periodic L x M lattices, B = M / W sites per
    word of one chain; bit-sliced energies, xoshiro256++ random bits (as
    :func:`msc_square_run`), one chain per thread.

    ``spins``: int8 (C, >= L*M) in {-1, +1}, updated in place; other arguments as
    :func:`msc_metropolis_run` with per-chain outputs (C, n_samples).
    """
    n_chains = spins.shape[0]
    B = M // W
    n = L * M
    mask = _ONES if B == 64 else (np.uint64(1) << np.uint64(B)) - np.uint64(1)
    for ch in numba.prange(n_chains):
        w = np.zeros(L * W, dtype=np.uint64)
        for r in range(L):
            for c in range(W):
                x = np.uint64(0)
                for b in range(B):
                    if spins[ch, r * M + c + b * W] < 0:
                        x |= np.uint64(1) << np.uint64(b)
                w[r * W + c] = x
        s0, s1, s2, s3 = rng[ch, 0], rng[ch, 1], rng[ch, 2], rng[ch, 3]
        for t in range(n_samples):
            for _ in range(thin):
                for colour in range(2):
                    for r in range(L):
                        for c in range((r + colour) & 1, W, 2):
                            s = w[r * W + c]
                            left, right, up, down = _spatial_neighbours(w, r, c, L, W, B, mask)
                            b0, b1, b2 = _anti_aligned_count(s, left, right, up, down)
                            low = ~(b2 | b1)
                            bits, s0, s1, s2, s3 = _flip_bits(
                                b1 & ~b0 & ~b2 & mask,
                                low & b0 & mask,
                                low & ~b0 & mask,
                                p4,
                                p8,
                                s0,
                                s1,
                                s2,
                                s3,
                            )
                            w[r * W + c] = s ^ ((b2 | (b1 & b0) | bits) & mask)
            down_spins = 0
            anti = 0
            for r in range(L):
                for c in range(W):
                    s = w[r * W + c]
                    _, right, _, down = _spatial_neighbours(w, r, c, L, W, B, mask)
                    down_spins += _popcount(s)
                    anti += _popcount(s ^ right) + _popcount(s ^ down)
            out_mag[ch, t] = n - 2 * down_spins
            out_bond[ch, t] = 2 * n - 2 * anti
            if store:
                for r in range(L):
                    for c in range(W):
                        x = w[r * W + c]
                        for b in range(B):
                            out_cfg[ch, t, r * M + c + b * W] = 1 - 2 * np.int8(
                                (x >> np.uint64(b)) & np.uint64(1)
                            )
        for r in range(L):
            for c in range(W):
                x = w[r * W + c]
                for b in range(B):
                    spins[ch, r * M + c + b * W] = 1 - 2 * np.int8((x >> np.uint64(b)) & np.uint64(1))
        rng[ch, 0], rng[ch, 1], rng[ch, 2], rng[ch, 3] = s0, s1, s2, s3
