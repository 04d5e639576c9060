"""Where tasks run: an embedded Dask LocalCluster, an existing cluster, or this process.

``open_client`` resolves the choice once, in this order: an explicit
:class:`distributed.Client`; an address (``tcp://HOST:PORT``, or ``DASK_SCHEDULER_ADDRESS`` in
the environment when no address is given); ``"local"``, a LocalCluster sized to the machine;
``"serial"``, no Dask at all (tasks run one after another in this process).

A LocalCluster has one worker *process* per core with one thread each, and every worker sets
NUMBA_NUM_THREADS, OMP_NUM_THREADS, MKL_NUM_THREADS and OPENBLAS_NUM_THREADS to 1 before it
imports numba or torch: parallelism comes from the processes, and two levels of threads would
oversubscribe the cores. Tasks are Python functions shipped to the workers by Dask's own
serialisation (cloudpickle over the wire); nothing deeprg writes to disk is a pickle.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from deeprg.errors import InputError

#: Environment of every embedded worker process (set before numba or torch is imported).
WORKER_ENV = {
    "NUMBA_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}
SERIAL = "serial"
LOCAL = "local"


def machine_cores() -> int:
    """Cores this process may use (the affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def resolve_scheduler(scheduler: str | None, *, default: str = LOCAL) -> str:
    """The scheduler actually used: an address, ``"local"`` or ``"serial"``.

    None means DASK_SCHEDULER_ADDRESS when it is set, otherwise ``default``.
    """
    if scheduler is None:
        scheduler = os.environ.get("DASK_SCHEDULER_ADDRESS") or default
    scheduler = str(scheduler).strip()
    if scheduler in (LOCAL, SERIAL):
        return scheduler
    if "://" not in scheduler and ":" not in scheduler:
        raise InputError(
            f"scheduler {scheduler!r} is not an address; expected tcp://HOST:PORT, 'local' or 'serial'"
        )
    return scheduler


@contextlib.contextmanager
def open_client(
    scheduler: Any = None, *, n_workers: int | None = None, default: str = LOCAL
) -> Iterator[Any]:
    """A Dask client for the chosen scheduler, or None for ``"serial"``.

    Args:
        scheduler: a ``distributed.Client`` (used as is and left open), an address, ``"local"``,
            ``"serial"`` or None (DASK_SCHEDULER_ADDRESS, else ``default``).
        n_workers: size of an embedded LocalCluster (default: the cores of this machine).

    Yields:
        The client (None when serial). An embedded cluster is shut down on exit.

    Raises:
        InputError: a malformed address, or no scheduler answers at the address in 20 s.
    """
    if scheduler is not None and not isinstance(scheduler, str):
        yield scheduler  # a Client the caller owns
        return
    choice = resolve_scheduler(scheduler, default=default)
    if choice == SERIAL:
        yield None
        return
    from distributed import Client, LocalCluster

    if choice == LOCAL:
        workers = int(n_workers) if n_workers is not None else machine_cores()
        if workers < 1:
            raise InputError(f"a local cluster needs at least 1 worker, got {workers}")
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # a free port: machines are shared, 8787 may be taken
            env=dict(WORKER_ENV),
            silence_logs=40,
        )
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()
        return
    try:
        client = Client(choice, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise InputError(f"no Dask scheduler answers at {choice} ({exc})") from None
    try:
        yield client
    finally:
        client.close()


def map_tasks(
    fn: Callable,
    items: Iterable,
    client: Any = None,
    *,
    retries: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list:
    """``[fn(item) for item in items]``, one Dask task per item, results in input order.

    This is the engine's generic entry for experiments: seed replicates and conditions fan out
    as independent tasks. ``fn`` must be a module-level function (workers import it) and should
    derive all randomness from its item (pass seeds in the items), so that the results do not
    depend on where or in which order the tasks run.

    Args:
        fn: the task; its results must be small (they travel back to this process).
        items: the task arguments, one per task.
        client: a ``distributed.Client``, an address, ``"local"``, ``"serial"`` or None.
            None uses DASK_SCHEDULER_ADDRESS when set and otherwise runs serially in this
            process, so an experiment costs no cluster start-up unless asked to.
        retries: extra attempts for a task that raised (a worker that dies is handled by the
            scheduler itself: its tasks are rerun elsewhere).
        progress: optional callback(done, total).

    Returns:
        list of results, ``result[i] = fn(items[i])``.

    Raises:
        The first task's exception, after the other tasks were cancelled.
    """
    items = list(items)
    total = len(items)
    with open_client(client, default=SERIAL) as dask_client:
        if dask_client is None:
            out = []
            for i, item in enumerate(items):
                out.append(fn(item))
                if progress is not None:
                    progress(i + 1, total)
            return out
        from distributed import as_completed

        futures = dask_client.map(fn, items, pure=False, retries=retries)
        position = {f.key: i for i, f in enumerate(futures)}
        results: list = [None] * total
        done = 0
        try:
            for future in as_completed(futures):
                results[position[future.key]] = future.result()
                done += 1
                if progress is not None:
                    progress(done, total)
        except BaseException:
            dask_client.cancel(futures)
            raise
        return results


class Rate:
    """Points done, rate and estimated time left for a sweep (the progress line)."""

    def __init__(self, total: int, skipped: int = 0, clock=time.perf_counter):
        self.total, self.skipped = int(total), int(skipped)
        self.done = int(skipped)
        self._clock = clock  # injectable, so that tests need no real time
        self.t0 = clock()

    def update(self, done: int) -> None:
        self.done = int(done)

    @property
    def elapsed(self) -> float:
        return self._clock() - self.t0

    @property
    def rate(self) -> float:
        """Points computed per second in this run (skipped points do not count)."""
        computed = self.done - self.skipped
        return computed / self.elapsed if computed > 0 and self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate (None before the first point)."""
        if self.done >= self.total:
            return 0.0
        return (self.total - self.done) / self.rate if self.rate > 0 else None

    def line(self) -> str:
        eta = self.eta
        left = "?" if eta is None else _duration(eta)
        return (
            f"{self.done}/{self.total} points, {self.rate:.2f} points/s, "
            f"{_duration(self.elapsed)} elapsed, {left} left"
        )


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else (f"{m}m{s:02d}s" if m else f"{s}s")
