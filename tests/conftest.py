import os
import sys

# Under pytest-xdist each worker gets one thread: two workers x two threads on two cores
# oversubscribe the machine and slow torch and numba by large factors.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if "numba" in sys.modules:
        # Imported already (pytest resolves the numba warning class in filterwarnings first):
        # changing NUMBA_NUM_THREADS now would make numba's next compile refuse the new value.
        import numba

        numba.set_num_threads(1)
    else:
        os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np
import pytest


def pytest_collection_modifyitems(config, items):
    """Skip gpu-marked tests when no CUDA device is present (they are deselected by default)."""
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except Exception:
        has_cuda = False
    if has_cuda:
        return
    skip = pytest.mark.skip(reason="no CUDA device on this machine")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


os.environ.setdefault("DEEPRG_TEST", "1")


def pytest_configure(config):
    if os.environ.get("PYTEST_XDIST_WORKER"):
        import torch

        torch.set_num_threads(1)
