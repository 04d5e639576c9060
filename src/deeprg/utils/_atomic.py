"""Atomic, durable writes: a temporary file (or folder) beside the target, fsynced, then renamed.

A reader never sees a half-written file, and an interrupted write leaves the old file intact:

1. the writer fills a temporary ``.<name>.<pid>-<random>.deeprg-tmp<suffix>`` in the target's
   folder;
2. the temporary file gets the permissions an ordinary ``open()`` would give (``0666 & ~umask``,
   so usually 0644, not mkstemp's 0600), and is fsynced;
3. ``os.replace`` renames it onto the target (atomic on POSIX), and the folder is fsynced so
   that the rename itself survives a power cut.

Folders (model folders) are written the same way and swapped in by one ``renameat2(...,
RENAME_EXCHANGE)`` where the kernel offers it. Temporary files left by writers that were killed
(their process no longer exists) are removed the next time anything is written into the folder.

Operating-system errors while writing (permission denied, read-only file system, disk full,
file too large) are raised as :class:`~deeprg.errors.OutputError`, which the CLI maps to exit
code 2 with one line.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno as _errno
import json
import os
import re
import secrets
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from deeprg.errors import OutputError

TMP_TAG = ".deeprg-tmp"
_TMP_RE = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-(?P<rand>[0-9a-f]+)(?P<old>-old)?\.deeprg-tmp")
#: OS errors that mean "this output cannot be written here" (bad input, exit code 2).
OUTPUT_ERRNOS = frozenset(
    getattr(_errno, name)
    for name in (
        "EACCES",
        "EPERM",
        "EROFS",
        "ENOSPC",
        "EDQUOT",
        "EFBIG",
        "ENOTDIR",
        "EISDIR",
        "ENAMETOOLONG",
        "ENOENT",
        "EEXIST",
        "ENOTEMPTY",
        "EXDEV",
        "ELOOP",
        "ETXTBSY",
    )
    if hasattr(_errno, name)
)


# -- a test hook: simulate kill -9 at every write boundary ------------------------------------
_boundaries = 0


def _boundary(where: str, target: Path) -> None:
    """Count write boundaries; exit hard (as kill -9 would) at the one a test asks for.

    ``DEEPRG_TEST_KILL_AT=N`` makes the N-th boundary of the process (1-based) call
    ``os._exit(137)``: no cleanup, no ``finally``, no flush. ``DEEPRG_TEST_BOUNDARY_LOG=FILE``
    appends one line per boundary (used by tests to count them).
    """
    global _boundaries
    _boundaries += 1
    log = os.environ.get("DEEPRG_TEST_BOUNDARY_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{_boundaries} {where} {target.name}\n")
    kill_at = os.environ.get("DEEPRG_TEST_KILL_AT")
    if kill_at and int(kill_at) == _boundaries:
        os._exit(137)


# -- permissions, fsync ------------------------------------------------------------------------
def _umask() -> int:
    try:  # thread-safe on Linux
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_path(path: Path, *, directory: bool = False) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:  # some platforms cannot open folders; the rename is still atomic
            return
        raise
    try:
        os.fsync(fd)
    except OSError as exc:
        if not directory or exc.errno not in (_errno.EINVAL, _errno.EBADF):
            raise
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    """fsync every file and folder under ``folder`` (deepest first), then ``folder`` itself."""
    for root, dirs, files in os.walk(folder, topdown=False):
        for name in files:
            _fsync_path(Path(root) / name)
        for name in dirs:
            _fsync_path(Path(root) / name, directory=True)
    _fsync_path(folder, directory=True)


def output_error(exc: OSError, target, action: str = "write") -> OutputError:
    """An :class:`OutputError` for an OS error: one line naming the path and the cause."""
    reason = exc.strerror or str(exc)
    hint = {
        _errno.EACCES: " (no write permission)",
        _errno.EROFS: " (read-only file system)",
        _errno.ENOSPC: " (the disk is full)",
        _errno.EFBIG: " (file size limit reached)",
    }.get(exc.errno, "")
    return OutputError(f"cannot {action} {target}: {reason}{hint}", path=target, errno=exc.errno)


# -- stale temporaries -----------------------------------------------------------------------
def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return True
    return True


def clean_stale_temporaries(folder, name: str | None = None) -> list[Path]:
    """Remove temporaries of killed writers in ``folder`` (only those of ``name`` if given).

    A temporary belongs to a killed writer when the process id in its name no longer exists.
    A folder parked during a swap (``-old``) whose target is missing is moved back instead.
    Returns the paths removed or restored. Never raises for a folder it cannot read.
    """
    folder = Path(folder)
    done: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return done
    for entry in entries:
        m = _TMP_RE.match(entry.name)
        if not m or (name is not None and m.group("name") != name):
            continue
        if _pid_alive(int(m.group("pid"))):
            continue
        path = Path(entry.path)
        target = folder / m.group("name")
        try:
            if m.group("old") and not target.exists():
                os.rename(path, target)  # a swap was cut between its two renames: undo it
            elif entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path)
            else:
                path.unlink()
            done.append(path)
        except OSError:
            continue
    return done


def _tmp_name(target: Path, suffix: str = "", old: bool = False) -> Path:
    tag = "-old" if old else ""
    return target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}{tag}{TMP_TAG}{suffix}")


def _make_parent(target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise OutputError(
            f"cannot write {target}: a path component of {target.parent} is a file, not a folder",
            path=target,
            errno=exc.errno,
        ) from None
    except OSError as exc:
        raise output_error(exc, target, "create the folder of") from None


# -- files -------------------------------------------------------------------------------------
@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path in the target's folder; fsync and rename it onto ``target`` on success.

    The caller (or a library such as safetensors) writes the temporary file. On any exception
    the temporary file is removed and ``target`` is left untouched. OS errors raised by the
    writer or by the rename become :class:`~deeprg.errors.OutputError`.
    """
    target = Path(target)
    _make_parent(target)
    clean_stale_temporaries(target.parent, target.name)
    if target.is_dir():
        raise OutputError(f"cannot write {target}: it is a folder, a file was expected", path=target)
    tmp_path = _tmp_name(target, suffix or ".tmp")
    try:
        fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    except OSError as exc:
        raise output_error(exc, target) from None
    try:
        _boundary("created", target)
        try:
            yield tmp_path
            _boundary("written", target)
            os.chmod(tmp_path, 0o666 & ~_umask())
            _fsync_path(tmp_path)
            _boundary("synced", target)
            os.replace(tmp_path, target)
        except OSError as exc:
            raise output_error(exc, target) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise
    _boundary("renamed", target)
    with contextlib.suppress(OSError):
        _fsync_path(target.parent, directory=True)


def atomic_write_bytes(target: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically and durably."""
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)


def atomic_write_text(target: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``target`` atomically."""
    atomic_write_bytes(target, text.encode("utf-8"))


def _json_default(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"object of type {type(obj).__name__} is not JSON serialisable")


def atomic_write_json(target: str | os.PathLike, data: Any) -> None:
    """Write ``data`` as indented JSON to ``target`` atomically (numpy scalars/arrays allowed)."""
    atomic_write_text(target, json.dumps(data, indent=2, default=_json_default) + "\n")


# -- folders -----------------------------------------------------------------------------------
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (_errno.ENOSYS, _errno.EINVAL, getattr(_errno, "ENOTSUP", -1)):
        return False
    raise OSError(err, os.strerror(err), str(b))


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; swap it in as ``target`` by one rename.

    Every file in it is fsynced first. An existing ``target`` folder is exchanged atomically
    (``renameat2``) and then removed; where the kernel cannot exchange, the old folder is parked
    under a temporary name for the instant between two renames, and a later run restores it if
    the writer was killed in between. On any exception the temporary folder is removed.
    """
    target = Path(target)
    _make_parent(target)
    clean_stale_temporaries(target.parent, target.name)
    if target.exists() and not target.is_dir():
        raise OutputError(f"cannot write {target}: it is a file, a folder was expected", path=target)
    tmp = _tmp_name(target)
    try:
        tmp.mkdir(mode=0o700)
    except OSError as exc:
        raise output_error(exc, target) from None
    try:
        _boundary("created", target)
        try:
            yield tmp
            _boundary("written", target)
            os.chmod(tmp, 0o777 & ~_umask())
            fsync_tree(tmp)
            _boundary("synced", target)
            if target.exists():
                if _exchange(tmp, target):
                    _boundary("renamed", target)
                    shutil.rmtree(tmp, ignore_errors=True)
                else:
                    parked = _tmp_name(target, old=True)
                    os.rename(target, parked)
                    os.rename(tmp, target)
                    _boundary("renamed", target)
                    shutil.rmtree(parked, ignore_errors=True)
            else:
                os.rename(tmp, target)
                _boundary("renamed", target)
        except OSError as exc:
            raise output_error(exc, target) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    with contextlib.suppress(OSError):
        _fsync_path(target.parent, directory=True)


# -- validating outputs before any work ------------------------------------------------------
def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device node"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _writable_ancestor(path: Path, what: str) -> None:
    """The nearest existing ancestor must be a folder we may create entries in."""
    parent = path.parent
    while True:
        try:
            st = os.stat(parent)
        except FileNotFoundError:
            if parent == parent.parent:
                break
            parent = parent.parent
            continue
        except OSError as exc:
            raise output_error(exc, path, f"write {what}") from None
        if not stat.S_ISDIR(st.st_mode):
            raise OutputError(
                f"cannot write {path}: {parent} is {_kind(st.st_mode)}, not a folder", path=path
            )
        if not os.access(parent, os.W_OK | os.X_OK):
            reason = "read-only file system" if _read_only(parent) else "no write permission"
            raise OutputError(
                f"cannot write {path}: the folder {parent} is not writable ({reason})", path=path
            )
        return


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & getattr(os, "ST_RDONLY", 1))
    except (OSError, AttributeError):
        return False


def _check_name(path, option: str) -> Path:
    if path is None or not str(path).strip():
        raise OutputError(f"{option} needs a path, got an empty name", path=path)
    if "\x00" in str(path):
        raise OutputError(f"{option} must not contain a NUL byte", path=path)
    p = Path(path)
    try:
        name_max = os.pathconf(p.parent if p.parent.exists() else ".", "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    if len(os.fsencode(p.name)) + 40 > name_max:
        raise OutputError(
            f"{option}: the name {p.name[:40]!r}... is too long for this file system", path=path
        )
    return p


def check_output_file(path, option: str = "--out") -> Path:
    """Validate an output file before any work: a regular file, or a new path in a writable folder.

    Refused: an empty name, a folder, a device node, a pipe or socket, a folder that cannot be
    written (permissions or a read-only file system), a path through a file.

    Returns:
        The path as a :class:`~pathlib.Path`.

    Raises:
        OutputError: naming the path and the reason.
    """
    p = _check_name(path, option)
    if str(path).endswith(os.sep):
        raise OutputError(f"{option} {path}: names a folder, a file was expected", path=path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise OutputError(f"{option} {path}: a path component is a file, not a folder", path=path) from None
    except OSError as exc:
        raise output_error(exc, p, "write") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise OutputError(f"{option} {path} is a folder, a file was expected", path=path)
        if not stat.S_ISREG(st.st_mode):
            raise OutputError(f"{option} {path} is {_kind(st.st_mode)}; refusing to replace it", path=path)
    _writable_ancestor(p, "file")
    return p


def check_output_dir(path, option: str = "--out", *, whole: bool = False) -> Path:
    """Validate an output folder before any work: an existing writable folder, or a new path
    in a writable folder. Refused: an empty name, a file, a device node, an unwritable place.

    Args:
        whole: the folder is written as one unit (:func:`atomic_dir`), so its parent folder
            must be writable rather than the folder itself.
    """
    p = _check_name(path, option)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise OutputError(f"{option} {path}: a path component is a file, not a folder", path=path) from None
    except OSError as exc:
        raise output_error(exc, p, "write") from None
    if st is not None:
        if not stat.S_ISDIR(st.st_mode):
            what = "a file" if stat.S_ISREG(st.st_mode) else _kind(st.st_mode)
            raise OutputError(f"{option} {path} is {what}, a folder was expected", path=path)
    if st is None or whole:
        _writable_ancestor(p, "folder")
    if st is not None and not whole and not os.access(p, os.W_OK | os.X_OK):
        reason = "read-only file system" if _read_only(p) else "no write permission"
        raise OutputError(f"{option} {path}: the folder is not writable ({reason})", path=path)
    return p
