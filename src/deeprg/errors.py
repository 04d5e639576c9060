"""The deeprg exception hierarchy.

Every error raised on purpose by deeprg derives from :class:`DeepRGError`. Messages say what
was received, what was expected and, where it helps, the likely cause. The CLI maps
:class:`InputError` (and its subclasses) to exit code 2 and anything else to exit code 1.
"""

from __future__ import annotations

__all__ = [
    "CheckpointError",
    "ConfigError",
    "DatasetError",
    "DeepRGError",
    "InputError",
    "ModelFileError",
    "NotFittedError",
    "OutputError",
    "SweepError",
    "TooLargeError",
    "TrainingDivergedError",
]


class DeepRGError(Exception):
    """Base class of every error deeprg raises deliberately."""


class InputError(DeepRGError, ValueError):
    """A parameter or argument is outside its domain (bad user input)."""


class TooLargeError(InputError):
    """A request exceeds a hard size limit (for example exact enumeration beyond ~24 spins).

    Attributes:
        size: the size that was asked for.
        limit: the largest size allowed.
    """

    def __init__(self, message: str, *, size: int, limit: int):
        super().__init__(message)
        self.size = size
        self.limit = limit


class ConfigError(InputError):
    """An experiment or CLI configuration is invalid (unknown key, wrong type, bad value).

    Attributes:
        key: the offending key, when there is one.
    """

    def __init__(self, message: str, *, key: str | None = None):
        super().__init__(message)
        self.key = key


class DatasetError(InputError):
    """A file is not a valid deeprg dataset (not HDF5, wrong dtype/shape/values, truncated)."""


class ModelFileError(InputError):
    """A model directory is missing, corrupted, or was not written by deeprg."""


class OutputError(InputError):
    """An output path cannot be written: an empty name, a folder where a file is expected (or
    the reverse), a device node, a folder without write permission, a read-only file system, a
    full disk.

    Attributes:
        path: the path that was refused.
        errno: the operating-system error number, when the OS refused the write.
    """

    def __init__(self, message: str, *, path=None, errno: int | None = None):
        super().__init__(message)
        self.path = path
        self.errno = errno


class CheckpointError(InputError):
    """A checkpoint belongs to another run (other data, config or model) or cannot be read."""


class TrainingDivergedError(InputError):
    """Training produced non-finite parameters and no finite earlier state was monitored:
    nothing trustworthy is left to return, and the hyperparameters (usually lr) are the cause."""


class NotFittedError(DeepRGError, AttributeError):
    """An estimator was used before ``fit`` was called."""


class SweepError(DeepRGError):
    """A parameter sweep could not finish: points failed, or the sweep folder is inconsistent.

    Attributes:
        failed: names of the points that failed (empty when the folder itself is the problem).
    """

    def __init__(self, message: str, *, failed: tuple[str, ...] = ()):
        super().__init__(message)
        self.failed = tuple(failed)
