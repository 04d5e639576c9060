"""Provenance recorded in every output: version, git hash, host, time, dependency versions."""

from __future__ import annotations

import datetime as _dt
import platform
import subprocess
from pathlib import Path


def git_hash() -> str | None:
    """The git commit of the deeprg source tree, or None when not in a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def source_fingerprint() -> str:
    """sha256 over deeprg's own source files: changes whenever the code does, committed or not."""
    import hashlib

    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def provenance() -> dict:
    """A JSON-ready dictionary: deeprg version, git hash, host, python, UTC time."""
    from deeprg import __version__

    return {
        "deeprg_version": __version__,
        "git_hash": git_hash(),
        "source_fingerprint": source_fingerprint(),
        "host": platform.node(),
        "python": platform.python_version(),
        "created_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }
