"""Block-spin transforms of configurations (Kadanoff 1966, Physics 2:263).

- ``majority``: the sign of the block sum; ties (even b) are broken at random, seeded, with
  an independent fair coin per tied block;
- ``decimation``: keep one spin per block (the top-left one);
- chains block b consecutive spins the same way.
"""

from __future__ import annotations

import numpy as np

from deeprg.errors import InputError
from deeprg.utils import check_int

RULES = ("majority", "decimation")


def block_configs(configs, b: int, rule: str = "majority", *, seed=None) -> np.ndarray:
    """Coarse-grain spin configurations by b x b blocks (b consecutive spins in 1D).

    Args:
        configs: int array (n, L, M) or (n, N) of +-1 (a single configuration may omit n only
            if you add the axis yourself; the first axis is always samples).
        b: block size, dividing every lattice side.
        rule: 'majority' or 'decimation'.
        seed: seed of the tie-breaking coins (majority with even b).

    Returns:
        int8 array (n, L/b, M/b) or (n, N/b).
    """
    s = np.asarray(configs)
    if s.ndim not in (2, 3):
        raise InputError(f"configs must have shape (n, N) or (n, L, M), got {s.shape}")
    b = check_int(b, "b (block size)", minimum=1)
    if rule not in RULES:
        raise InputError(f"unknown block rule {rule!r}; expected one of {list(RULES)}")
    sides = s.shape[1:]
    if any(side % b for side in sides):
        raise InputError(f"block size b={b} must divide the lattice sides {sides}")
    if rule == "decimation":
        out = s[:, ::b] if s.ndim == 2 else s[:, ::b, ::b]
        return np.ascontiguousarray(out, dtype=np.int8)
    if s.ndim == 2:
        sums = s.reshape(s.shape[0], -1, b).sum(axis=2, dtype=np.int32)
    else:
        n, L, M = s.shape
        sums = s.reshape(n, L // b, b, M // b, b).sum(axis=(2, 4), dtype=np.int32)
    out = np.sign(sums).astype(np.int8)
    ties = out == 0
    if ties.any():
        rng = np.random.default_rng(seed)
        out[ties] = (2 * rng.integers(0, 2, size=int(ties.sum())) - 1).astype(np.int8)
    return out
