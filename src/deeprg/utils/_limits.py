"""Cost estimates checked before allocation or long loops.

Two budgets, both with an explicit override:

- memory: a request whose arrays would need more than the limit is refused. The limit is 80% of
  the memory available on this machine, or ``DEEPRG_MAX_MEMORY`` (bytes, or with a K/M/G/T
  suffix), which the CLI sets from ``deeprg --max-memory SIZE``.
- time: a request whose estimated run time exceeds the limit is refused. The estimate uses
  optimistic throughputs (it refuses only what no machine finishes in time); the limit is
  24 hours, or ``DEEPRG_MAX_HOURS`` (``deeprg --max-hours H``).

Both raise :class:`~deeprg.errors.TooLargeError` (CLI exit code 2) naming the estimate, the limit
and the override.
"""

from __future__ import annotations

import math
import os

from deeprg.errors import InputError, TooLargeError

#: Optimistic throughputs used by the time estimate.
SPIN_UPDATES_PER_SECOND = 5e8
FLOPS_PER_SECOND = 1e11
PYTHON_STEPS_PER_SECOND = 1e6
DEFAULT_MAX_HOURS = 24.0
MEMORY_FRACTION = 0.8

_SUFFIX = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text: str) -> int:
    """'512M', '16G', '1.5T' or a plain number of bytes -> bytes (int)."""
    s = str(text).strip().upper().removesuffix("IB").removesuffix("B")
    unit = s[-1:] if s[-1:] in _SUFFIX and s[-1:] else ""
    number = s[: len(s) - len(unit)] if unit else s
    try:
        value = float(number) * _SUFFIX[unit]
    except ValueError:
        raise InputError(f"a memory size must look like 512M, 16G or 2T, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"a memory size must be positive and finite, got {text!r}")
    return int(value)


def format_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.3g} EiB"  # pragma: no cover


def available_memory() -> int:
    """Bytes of memory available to new allocations (/proc/meminfo, psutil or sysconf).

    /proc/meminfo's MemAvailable is what psutil reports on Linux, without importing psutil
    (~15-35 ms of every command's start-up)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except (ImportError, OSError, AttributeError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError, AttributeError):
        return 1 << 34


def memory_limit() -> tuple[int, str]:
    """(bytes, where the limit comes from)."""
    env = os.environ.get("DEEPRG_MAX_MEMORY")
    if env:
        return parse_size(env), "set by --max-memory / DEEPRG_MAX_MEMORY"
    return int(MEMORY_FRACTION * available_memory()), "80% of this machine's available memory"


def check_memory(nbytes: float, what: str) -> None:
    """Refuse a request whose arrays need more than the memory limit.

    Args:
        nbytes: estimated bytes the request allocates.
        what: the request, as the user wrote it (``"--n 10^12 samples of 16 spins"``).
    """
    limit, source = memory_limit()
    if not math.isfinite(nbytes) or nbytes > limit:
        size = format_bytes(nbytes) if math.isfinite(nbytes) else "an unbounded amount"
        raise TooLargeError(
            f"{what} needs about {size} of memory, more than the limit of {format_bytes(limit)} "
            f"({source}); use smaller sizes, or raise the limit with `deeprg --max-memory SIZE ...`",
            size=int(min(nbytes, 2**63 - 1)) if math.isfinite(nbytes) else 2**63 - 1,
            limit=limit,
        )


def time_limit_hours() -> tuple[float, str]:
    env = os.environ.get("DEEPRG_MAX_HOURS")
    if env:
        try:
            hours = float(env)
        except ValueError:
            raise InputError(f"DEEPRG_MAX_HOURS must be a number of hours, got {env!r}") from None
        if not math.isfinite(hours) or hours <= 0:
            raise InputError(f"DEEPRG_MAX_HOURS must be positive and finite, got {env!r}")
        return hours, "set by --max-hours / DEEPRG_MAX_HOURS"
    return DEFAULT_MAX_HOURS, "the default"


def estimate_seconds(*, spin_updates: float = 0.0, flops: float = 0.0, python_steps: float = 0.0) -> float:
    """An optimistic run time: work divided by throughputs no machine of today beats by much."""
    return (
        spin_updates / SPIN_UPDATES_PER_SECOND
        + flops / FLOPS_PER_SECOND
        + python_steps / PYTHON_STEPS_PER_SECOND
    )


def check_time(seconds: float, what: str) -> None:
    """Refuse a request whose (optimistic) run-time estimate exceeds the time limit."""
    hours, source = time_limit_hours()
    if not math.isfinite(seconds) or seconds > hours * 3600:
        est = f"{seconds / 3600:.3g} hours" if math.isfinite(seconds) else "forever"
        raise TooLargeError(
            f"{what} would run for at least {est}, beyond the limit of {hours:g} hours ({source}); "
            "use smaller run lengths, or raise the limit with `deeprg --max-hours H ...`",
            size=int(min(seconds, 2**63 - 1)) if math.isfinite(seconds) else 2**63 - 1,
            limit=int(hours * 3600),
        )


def check_cost(
    what: str,
    *,
    nbytes: float = 0.0,
    spin_updates: float = 0.0,
    flops: float = 0.0,
    python_steps: float = 0.0,
) -> None:
    """Memory and time checks in one call (see :func:`check_memory`, :func:`check_time`)."""
    check_memory(nbytes, what)
    check_time(estimate_seconds(spin_updates=spin_updates, flops=flops, python_steps=python_steps), what)


__all__ = [
    "available_memory",
    "check_cost",
    "check_memory",
    "check_time",
    "estimate_seconds",
    "format_bytes",
    "memory_limit",
    "parse_size",
]
