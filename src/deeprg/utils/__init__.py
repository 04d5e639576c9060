"""Small shared helpers: atomic file writes, argument validation, provenance."""

from deeprg.utils._atomic import atomic_path, atomic_write_json, atomic_write_text
from deeprg.utils._provenance import git_hash, provenance, source_fingerprint
from deeprg.utils._validate import (
    check_finite,
    check_int,
    check_positive,
    check_probability,
)

__all__ = [
    "atomic_path",
    "atomic_write_json",
    "atomic_write_text",
    "check_finite",
    "check_int",
    "check_positive",
    "check_probability",
    "git_hash",
    "provenance",
    "source_fingerprint",
]
