"""Start-up of the numba kernels: what a ``deeprg sample`` process pays before its kernel runs.

The first cached numba kernel of a process initialises numba's CPU target, which imports
``numba.np.arraymath``; that module checks for BLAS by importing
``scipy.linalg.cython_blas``, and importing a submodule executes its package first: all of
``scipy.linalg`` (0.12-0.18 s here, more than a third of the target's initialisation),
although no deeprg kernel calls BLAS. :func:`preload_blas` loads that one extension module
under its own name, so numba finds it and ``scipy.linalg`` is imported only if something
uses it (it then imports normally and reuses the loaded module).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys

_NAME = "scipy.linalg.cython_blas"


def preload_blas() -> bool:
    """Load ``scipy.linalg.cython_blas`` without executing ``scipy.linalg/__init__``.

    Returns True when the module was loaded here, False when it was already loaded or could
    not be found (then numba imports it the usual way; nothing else changes).
    """
    if _NAME in sys.modules or "scipy.linalg" in sys.modules or "numba.np.arraymath" in sys.modules:
        return False
    try:
        import scipy

        spec = importlib.machinery.PathFinder.find_spec(_NAME, [f"{scipy.__path__[0]}/linalg"])
        if spec is None or spec.loader is None:
            return False
        module = importlib.util.module_from_spec(spec)
        sys.modules[_NAME] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[_NAME]
            raise
    except Exception:  # a changed scipy layout: numba imports scipy.linalg itself
        return False
    sys.meta_path.insert(0, _LinkWhenImported())
    return True


class _LinkWhenImported:
    """When ``scipy.linalg`` is imported later, bind ``scipy.linalg.cython_blas`` to the loaded
    module, as a normal import of the submodule would have (then step aside)."""

    def find_spec(self, name, path=None, target=None):
        if name != "scipy.linalg":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(package):
            execute(package)
            if _NAME in sys.modules:
                package.cython_blas = sys.modules[_NAME]

        spec.loader.exec_module = exec_module
        return spec
