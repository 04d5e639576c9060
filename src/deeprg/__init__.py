"""deeprg: test, with numbers, whether deep learning works like the renormalization group.

Subpackages, lowest layer first (a lower layer never imports a higher one):

``errors, utils, lattice, models`` -> ``exact`` -> ``sampling, stats, data`` -> ``rg, nn``
-> ``vrg, cheap`` -> ``experiments`` -> ``report`` -> ``cli``.
"""

import os

# numba's parallel kernels (threading layer "omp") and torch share one GNU OpenMP runtime (the
# libgomp loaded first serves both): one thread pool, one thread count, which every numba launch
# sets to numba's. By default libgomp's threads spin while they wait; on 2 cores that other work
# also uses, a 2-thread region waits for a descheduled partner while the spinning thread holds
# the other CPU, and a 10 us torch product took milliseconds after numba's kernels had run.
# Waiting threads that sleep cost a few microseconds per region instead
# (benchmarks/bench_threads.py). libgomp reads this when it loads, so it is set here, before
# numba or torch is imported; a value the user set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# The version is written here and in pyproject.toml (a test keeps them equal): asking
# importlib.metadata costs 30-100 ms of every command's start-up.
__version__ = "0.1.0"

from deeprg._cite import cite

__all__ = ["__version__", "cite"]
