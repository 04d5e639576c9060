"""``deeprg info``: versions and devices, for bug reports and provenance."""

from __future__ import annotations

import importlib.metadata
import platform


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:  # optional dependency not installed
        return None


def system_info() -> dict:
    """A JSON-ready summary: deeprg and dependency versions, numba threads, torch devices."""
    from deeprg import __version__

    deps = {
        name: _version(name)
        for name in ("numpy", "scipy", "numba", "torch", "h5py", "matplotlib", "click", "safetensors")
    }
    info = {
        "deeprg": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "dependencies": deps,
    }
    try:
        import numba

        info["numba"] = {
            "available": True,
            "threads": numba.config.NUMBA_NUM_THREADS,
            "jit_disabled": bool(numba.config.DISABLE_JIT),
        }
    except Exception:
        info["numba"] = {"available": False}
    try:
        import torch

        cuda = torch.cuda.is_available()
        info["torch"] = {
            "threads": torch.get_num_threads(),
            "cuda_available": cuda,
            "cuda_devices": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
            if cuda
            else [],
        }
    except Exception:
        info["torch"] = {"cuda_available": False}
    return info
