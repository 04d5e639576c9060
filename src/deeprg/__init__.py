"""deeprg: test, with numbers, whether deep learning works like the renormalization group.

Subpackages, lowest layer first (a lower layer never imports a higher one):

``errors, utils, lattice, models`` -> ``exact`` -> ``sampling, stats, data`` -> ``rg, nn``
-> ``vrg, cheap`` -> ``experiments`` -> ``report`` -> ``cli``.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("deeprg")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

from deeprg._cite import cite

__all__ = ["__version__", "cite"]
