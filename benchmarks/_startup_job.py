"""One whole ``deeprg`` command, run in this process, with its start-up split into phases
(for bench_sampling.py; not a timed test):

- import: ``deeprg.cli`` with every command group, and the modules ``deeprg sample`` needs
  before its kernel runs (``deeprg.sampling``, ``deeprg.stats``; h5py comes after the run);
- kernel load: seconds inside numba's ``Dispatcher.compile`` (initialising numba's CPU target
  on the first kernel, then loading each cached kernel; a compile would show here too);
- first kernel call: from this script's first line to the moment the first kernel has loaded
  and starts running;
- total: to the end of the command (the parent adds the interpreter's own start-up).

    python benchmarks/_startup_job.py sample ising2d --L 8 --K 0.3 --n 1 --out s.h5 --quiet
"""

import time

T0 = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402

import deeprg.cli  # noqa: E402
import deeprg.sampling  # noqa: E402
import deeprg.stats  # noqa: E402

T_IMPORT = time.perf_counter()

from numba.core import dispatcher  # noqa: E402

loads = []
depth = [0]
_compile = dispatcher.Dispatcher.compile


def _timed_compile(self, sig):
    start = time.perf_counter()
    depth[0] += 1
    try:
        return _compile(self, sig)
    finally:
        depth[0] -= 1
        if depth[0] == 0:  # outermost only: a compile from scratch compiles its callees inside
            loads.append((self.py_func.__qualname__, start - T0, time.perf_counter() - start))


dispatcher.Dispatcher.compile = _timed_compile
code = 0
try:
    deeprg.cli.main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code or 0
T_END = time.perf_counter()
first = loads[0][1] + loads[0][2] if loads else None
print(
    json.dumps(
        {
            "exit": code,
            "import_s": T_IMPORT - T0,
            "kernel_load_s": sum(x[2] for x in loads),
            "kernels": [x[0] for x in loads],
            "first_kernel_call_s": first,
            "total_s": T_END - T0,
        }
    ),
    file=sys.stderr,
)
from deeprg.cli._app import _exit_without_teardown  # noqa: E402

_exit_without_teardown(code)  # as the console entry point ends
