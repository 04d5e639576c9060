"""deeprg: test, with numbers, whether deep learning works like the renormalization group.

Subpackages, lowest layer first (a lower layer never imports a higher one):

``errors, utils, lattice, models`` -> ``exact`` -> ``sampling, stats, data`` -> ``rg, nn``
-> ``vrg, cheap`` -> ``experiments`` -> ``report`` -> ``cli``.
"""

# The version is written here and in pyproject.toml (a test keeps them equal): asking
# importlib.metadata costs 30-100 ms of every command's start-up.
__version__ = "0.1.0"

from deeprg._cite import cite

__all__ = ["__version__", "cite"]
