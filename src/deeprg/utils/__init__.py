"""Small shared helpers: atomic file writes, output and argument validation, provenance."""

from deeprg.utils._atomic import (
    atomic_dir,
    atomic_path,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
    check_output_dir,
    check_output_file,
    clean_stale_temporaries,
    output_error,
)
from deeprg.utils._limits import check_cost, check_memory, check_time, parse_size
from deeprg.utils._provenance import git_hash, provenance, source_fingerprint
from deeprg.utils._validate import (
    check_finite,
    check_int,
    check_positive,
    check_probability,
)

__all__ = [
    "atomic_dir",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "check_cost",
    "check_finite",
    "check_int",
    "check_memory",
    "check_output_dir",
    "check_output_file",
    "check_positive",
    "check_probability",
    "check_time",
    "clean_stale_temporaries",
    "git_hash",
    "output_error",
    "parse_size",
    "provenance",
    "source_fingerprint",
]
