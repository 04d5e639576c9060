import os

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
