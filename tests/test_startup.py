"""Start-up of CPU sampling: what a ``deeprg sample`` process imports before its kernel runs
(times are measured in benchmarks/bench_sampling.py, not here)."""

import subprocess
import sys
import tomllib
from pathlib import Path

import deeprg


def test_version_is_the_one_in_pyproject():
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    assert tomllib.loads(pyproject.read_text())["project"]["version"] == deeprg.__version__


def test_sampling_kernels_do_not_import_scipy_linalg_or_psutil():
    """numba's BLAS check would import all of scipy.linalg on the first kernel; deeprg loads
    only the extension module numba looks for, and scipy.linalg still imports normally after."""
    code = (
        "import sys\n"
        "from deeprg.lattice import SquareLattice\n"
        "from deeprg.sampling import generate_samples\n"
        "from deeprg.utils._limits import available_memory\n"
        "assert available_memory() > 0\n"
        "g = generate_samples(SquareLattice(4), 0.3, 4, algorithm='wolff', seed=1)\n"
        "before = sorted(m for m in ('scipy.linalg', 'psutil') if m in sys.modules)\n"
        "import numpy as np, scipy.linalg\n"
        "assert np.allclose(scipy.linalg.inv(2 * np.eye(2)), 0.5 * np.eye(2))\n"
        "print(before, 'numba.np.arraymath' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] True", out.stdout + out.stderr
