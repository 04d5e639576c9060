"""Per-chain random streams for numba kernels: xoshiro256+ (Blackman & Vigna 2018).

Each chain owns a 4-word uint64 state, seeded from ``numpy.random.SeedSequence(seed).spawn``,
so streams are independent, no random number is shared between chains, and results do not
depend on how chains are scheduled over threads.
"""

from __future__ import annotations

import numba
import numpy as np

_U17 = np.uint64(17)
_U45 = np.uint64(45)
_U19 = np.uint64(19)
_U11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2^-53


@numba.njit(inline="always")
def _xoshiro_advance(s0, s1, s2, s3):
    """The state transition shared by xoshiro256+ and xoshiro256++ (Blackman & Vigna 2018)."""
    t = s1 << _U17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << _U45) | (s3 >> _U19)
    return s0, s1, s2, s3


@numba.njit(inline="always")
def xoshiro_next(s0, s1, s2, s3):
    """One xoshiro256+ step: returns (output uint64, new s0, s1, s2, s3)."""
    s0n, s1n, s2n, s3n = _xoshiro_advance(s0, s1, s2, s3)
    return s0 + s3, s0n, s1n, s2n, s3n


@numba.njit(inline="always")
def to_unit(x):
    """Map a uint64 to a float64 uniform in [0, 1) from its top 53 bits."""
    return (x >> _U11) * _INV53


def seed_streams(seed, n_streams: int) -> np.ndarray:
    """uint64 array (n_streams, 4) of independent xoshiro256+ states derived from ``seed``."""
    children = np.random.SeedSequence(seed).spawn(n_streams)
    state = np.stack([c.generate_state(4, dtype=np.uint64) for c in children])
    state[np.all(state == 0, axis=1), 0] = 1  # the all-zero state is a fixed point
    return state


_U23 = np.uint64(23)
_U41 = np.uint64(41)


@numba.njit(inline="always")
def xoshiropp_next(s0, s1, s2, s3):
    """One xoshiro256++ step (Blackman & Vigna 2018): every output bit is usable as a random
    bit (xoshiro256+'s lowest bits are weak), for kernels that use single bits."""
    result = ((s0 + s3) << _U23 | (s0 + s3) >> _U41) + s0
    s0, s1, s2, s3 = _xoshiro_advance(s0, s1, s2, s3)
    return result, s0, s1, s2, s3
