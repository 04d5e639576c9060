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
        "assert scipy.linalg.cython_blas is sys.modules['scipy.linalg.cython_blas']\n"
        "print(before, 'numba.np.arraymath' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] True", out.stdout + out.stderr


def test_the_command_line_exits_without_teardown_but_keeps_its_contract(tmp_path):
    """`deeprg` ends with os._exit after atexit handlers and a flush (interpreter teardown of
    numba's objects took 0.4-0.6 s): output, exit codes and files stay as before."""
    import json

    out = tmp_path / "a.h5"
    cmd = [sys.executable, "-m", "deeprg", "sample", "ising2d", "--L", "4", "--K", "0.3", "--n", "3"]
    done = subprocess.run([*cmd, "--seed", "1", "--out", str(out), "--json"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["n_samples"] == 3
    from deeprg.data import read_dataset

    assert read_dataset(out).configs.shape == (3, 4, 4)
    bad = subprocess.run([*cmd, "--seed", "-1", "--out", str(out)], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1, bad.stderr


def test_a_profiler_still_gets_its_results(tmp_path):
    """Profilers, tracers and coverage write after the program returns: no os._exit then."""
    prof = tmp_path / "p.prof"
    cmd = [sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "deeprg", "--version"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0 and deeprg.__version__ in done.stdout, done.stderr
    assert prof.stat().st_size > 0
