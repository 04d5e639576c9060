"""Training data for networks: deeprg HDF5 spin datasets, or .npy/.npz arrays of unit values."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from deeprg.data import read_dataset
from deeprg.errors import DatasetError, InputError
from deeprg.utils import check_memory


def _check_header(fh, size: int, where: str) -> None:
    """Read a .npy header and refuse what cannot be training data, before anything is allocated:
    dtypes other than bool/int/float, and shapes the bytes that follow cannot hold."""
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except (ValueError, OSError, SyntaxError) as exc:
        raise DatasetError(f"{where}: not a readable .npy array ({exc})") from None
    if dtype.hasobject:
        raise DatasetError(
            f"{where}: holds pickled Python objects (dtype {dtype}); refused, deeprg never unpickles"
        )
    if dtype.fields is not None or dtype.kind not in "biuf":
        raise DatasetError(
            f"{where}: arrays of dtype {dtype} cannot be training data; expected bool, integer or "
            "float values in {0,1} or {-1,+1}"
        )
    nbytes = float(np.prod(shape, dtype=float)) * dtype.itemsize
    available = size - fh.tell()
    if nbytes > available:
        raise DatasetError(
            f"{where}: the header declares shape {shape} ({int(nbytes)} bytes of {dtype}) but the file "
            f"holds {available} bytes after it; truncated or forged"
        )
    check_memory(4.0 * nbytes / dtype.itemsize + nbytes, f"{where}: an array of shape {shape}")


def _check_numpy_headers(path: Path) -> None:
    if path.suffix.lower() == ".npy":
        with open(path, "rb") as fh:
            _check_header(fh, path.stat().st_size, str(path))
        return
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                with zf.open(info) as fh:
                    _check_header(fh, info.file_size, f"{path}:{info.filename}")
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise DatasetError(f"{path}: not a readable .npz archive ({exc})") from None


def load_training_data(path, *, visible: str = "binary") -> tuple[np.ndarray, dict]:
    """Load (n, n_features) unit values for ``visible`` units ('binary' {0,1} or 'spin' {-1,1}).

    HDF5 spin datasets (+-1) are flattened per sample and mapped to {0,1} for binary units.
    .npy/.npz arrays (the .npz's 'data' or 'X' array, or its only array) must hold {0,1} or
    {-1,+1}; arrays of more than 2 axes are flattened per sample. Pickled arrays are refused.

    Returns:
        (float32 array (n, n_features), metadata dict).
    """
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".h5", ".hdf5"):
        ds = read_dataset(path)
        x = ds.configs.reshape(ds.n_samples, -1).astype(np.float32)
        meta = {
            "source": str(path),
            "lattice_shape": list(ds.lattice_shape),
            "K": ds.attrs.get("K"),
            "model": ds.attrs.get("model"),
        }
    elif suffix in (".npy", ".npz"):
        _check_numpy_headers(path)
        try:
            loaded = np.load(path, allow_pickle=False)
        except (ValueError, OSError, zipfile.BadZipFile) as exc:
            raise DatasetError(f"{path}: not a readable numpy file without pickled objects ({exc})") from None
        if isinstance(loaded, np.lib.npyio.NpzFile):
            keys = loaded.files
            key = "data" if "data" in keys else "X" if "X" in keys else keys[0] if len(keys) == 1 else None
            if key is None:
                raise DatasetError(f"{path}: .npz holds {keys}; name the training array 'data' or 'X'")
            arr = loaded[key]
        else:
            arr = loaded
        if arr.ndim < 2 or arr.shape[0] == 0:
            raise DatasetError(f"{path}: need an array of shape (n, features...), got {arr.shape}")
        x = arr.reshape(arr.shape[0], -1).astype(np.float32)
        values = np.unique(x)
        if not (set(values.tolist()) <= {0.0, 1.0} or set(values.tolist()) <= {-1.0, 1.0}):
            raise DatasetError(
                f"{path}: values must be binary {{0,1}} or spins {{-1,+1}}, found {values[:6].tolist()}..."
            )
        if set(values.tolist()) <= {0.0, 1.0} and -1.0 not in values and (x == 0).any():
            x = 2 * x - 1 if visible == "spin" else x
            meta = {"source": str(path), "lattice_shape": list(arr.shape[1:])}
            return x, meta
        meta = {"source": str(path), "lattice_shape": list(arr.shape[1:])}
    else:
        raise DatasetError(
            f"{path}: unsupported file type {suffix!r}; expected .h5 (deeprg dataset), .npy or .npz"
        )
    # x holds spins (+-1) here
    if visible == "binary":
        x = (x + 1) / 2
    elif visible != "spin":
        raise InputError(f"visible must be 'binary' or 'spin', got {visible!r}")
    return x.astype(np.float32), meta
