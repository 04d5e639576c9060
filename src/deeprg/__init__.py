"""deeprg: test, with numbers, whether deep learning works like the renormalization group.

Subpackages, lowest layer first (a lower layer never imports a higher one):

``errors, utils, lattice, models`` -> ``exact`` -> ``sampling, stats, data`` -> ``rg, nn``
-> ``vrg, cheap`` -> ``experiments`` -> ``report`` -> ``cli``.
"""

import os

# numba's parallel kernels run on the system's GNU OpenMP, torch on the libgomp its wheel
# bundles: two OpenMP runtimes in one process. By default an idle worker of either spins before
# it sleeps, taking the CPU that the other runtime's next parallel region waits for; on 2 cores
# a 10 us torch product then took milliseconds after numba's kernels had run. Idle workers that
# sleep at once cost a few microseconds per region instead (benchmarks/bench_threads.py). Read
# by each runtime when it loads, so set here, before numba or torch is imported; a value the
# user set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("deeprg")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from deeprg._cite import cite

__all__ = ["__version__", "cite"]
