"""HDF5 datasets of spin configurations.

Layout (DESIGN.md):
- ``/configs``: int8 values in {-1, +1}, shape (n, L, M) for square lattices or (n, N) for chains,
  chunked and gzip-compressed;
- ``/chain``: optional int32 (n,), the Markov chain each sample came from (samples of one
  chain are stored in time order), used for autocorrelation-aware statistics;
- attributes: model, L, M (or N), K, h, algorithm, seed, thinning, burn_in, tau_int, n_chains,
  deeprg_version, created_utc, and ``config_json`` with everything else.

Writes are atomic (temporary file, then rename). Reading validates every assumption and names
the problem in a :class:`~deeprg.errors.DatasetError`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from deeprg.errors import DatasetError
from deeprg.utils import atomic_path, provenance

#: Attributes every dataset must carry.
REQUIRED_ATTRS = ("model", "K", "h", "algorithm", "seed", "deeprg_version")
MODELS = ("ising1d", "ising2d")


@dataclass(frozen=True)
class SpinDataset:
    """Configurations and their metadata.

    Attributes:
        configs: int8 array (n, L, M) or (n, N) in {-1, +1}.
        attrs: dict of metadata (see module docstring).
        chain: int32 array (n,) of chain ids, or None when samples are independent.
    """

    configs: np.ndarray
    attrs: dict = field(default_factory=dict)
    chain: np.ndarray | None = None

    @property
    def n_samples(self) -> int:
        return int(self.configs.shape[0])

    @property
    def lattice_shape(self) -> tuple[int, ...]:
        return tuple(self.configs.shape[1:])

    @property
    def n_sites(self) -> int:
        return int(np.prod(self.lattice_shape))

    def by_chain(self) -> list[np.ndarray]:
        """Sample indices grouped by chain (one group when no chain ids are stored)."""
        if self.chain is None:
            return [np.arange(self.n_samples)]
        return [np.flatnonzero(self.chain == c) for c in np.unique(self.chain)]


def _validate_configs(configs: np.ndarray, where: str) -> None:
    if configs.dtype != np.int8:
        raise DatasetError(f"{where}: /configs has dtype {configs.dtype}, expected int8 values in {{-1, +1}}")
    if configs.ndim not in (2, 3):
        raise DatasetError(f"{where}: /configs has shape {configs.shape}, expected (n, N) or (n, L, M)")
    if configs.shape[0] == 0:
        raise DatasetError(f"{where}: /configs holds no samples")
    bad = np.abs(configs) != 1
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise DatasetError(
            f"{where}: /configs holds values outside {{-1, +1}} (e.g. {int(configs[first])} at index {first}); "
            "0/1 data must be mapped to -1/+1 first"
        )


def _name_dimensions(f: h5py.File, shape: tuple) -> None:
    """Attach HDF5 dimension scales (netCDF-4 conventions): /configs is (sample, row, col) or
    (sample, site), /chain is (sample,). xarray (engine h5netcdf) then shows named dimensions."""
    names = ("sample", "row", "col") if len(shape) == 3 else ("sample", "site")
    for axis, name in enumerate(names):
        scale = f.create_dataset(name, data=np.arange(shape[axis], dtype=np.int32))
        scale.make_scale(name)
        f["configs"].dims[axis].attach_scale(scale)
        f["configs"].dims[axis].label = name
    if "chain" in f:
        f["chain"].dims[0].attach_scale(f["sample"])
        f["chain"].dims[0].label = "sample"


def write_dataset(
    path: str | os.PathLike, configs, attrs: dict, *, chain=None, compression_level: int = 4
) -> Path:
    """Write configurations atomically, with provenance added to ``attrs``.

    Args:
        path: target .h5 file (parent folders are created).
        configs: int8 array (n, L, M) or (n, N) in {-1, +1}.
        attrs: metadata; must contain model, K, h, algorithm and seed. Values that are not
            HDF5 scalars (dicts, lists, None) go into the ``config_json`` attribute.
        chain: optional int array (n,) of chain ids.

    Returns:
        The path written.
    """
    configs = np.ascontiguousarray(configs)
    _validate_configs(configs, "write_dataset")
    full = {**provenance(), **attrs}
    full.setdefault("n_samples", int(configs.shape[0]))
    missing = [k for k in REQUIRED_ATTRS if k not in full]
    if missing:
        raise DatasetError(f"write_dataset: attributes {missing} are required")
    path = Path(path)
    with atomic_path(path, suffix=".h5") as tmp:
        with h5py.File(tmp, "w") as f:
            chunk = (min(configs.shape[0], max(1, (1 << 20) // max(1, configs[0].size))), *configs.shape[1:])
            f.create_dataset(
                "configs",
                data=configs,
                chunks=chunk,
                compression="gzip",
                compression_opts=compression_level,
                shuffle=True,
            )
            if chain is not None:
                chain = np.asarray(chain, dtype=np.int32)
                if chain.shape != (configs.shape[0],):
                    raise DatasetError(f"chain ids must have shape ({configs.shape[0]},), got {chain.shape}")
                f.create_dataset("chain", data=chain, compression="gzip")
            _name_dimensions(f, configs.shape)
            for key, value in full.items():  # scalars as attributes; everything in config_json
                if isinstance(value, bool | int | float | str | np.integer | np.floating):
                    f.attrs[key] = value
            f.attrs["config_json"] = json.dumps(full, default=str, sort_keys=True)
            f.attrs["format"] = "deeprg-spin-dataset-v1"
    return path


def read_dataset(path: str | os.PathLike) -> SpinDataset:
    """Read and validate a dataset written by :func:`write_dataset`.

    Raises:
        DatasetError: missing file, not HDF5, truncated or corrupted, no /configs, wrong dtype
            or shape, values outside {-1, +1}, missing attributes, inconsistent chain ids.
    """
    path = Path(path)
    where = str(path)
    if not path.exists():
        raise DatasetError(f"{where}: no such file")
    if path.is_dir():
        raise DatasetError(f"{where}: is a folder, expected an HDF5 dataset file")
    if not h5py.is_hdf5(path):
        raise DatasetError(
            f"{where}: not an HDF5 file (expected a deeprg dataset written by `deeprg sample`)"
        )
    try:
        with h5py.File(path, "r") as f:
            if "configs" not in f:
                raise DatasetError(f"{where}: no /configs dataset; this is not a deeprg spin dataset")
            node = f["configs"]
            if not isinstance(node, h5py.Dataset):
                raise DatasetError(f"{where}: /configs is a group, expected a dataset")
            configs = node[()]
            chain = f["chain"][()] if "chain" in f else None
            attrs = {k: (v.item() if hasattr(v, "item") else v) for k, v in f.attrs.items()}
    except DatasetError:
        raise
    except (OSError, KeyError, ValueError, RuntimeError) as exc:
        raise DatasetError(f"{where}: truncated or corrupted HDF5 file ({exc})") from None
    attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in attrs.items()}
    _validate_configs(configs, where)
    missing = [k for k in REQUIRED_ATTRS if k not in attrs]
    if missing:
        raise DatasetError(f"{where}: missing attributes {missing}; expected {list(REQUIRED_ATTRS)}")
    if attrs["model"] not in MODELS:
        raise DatasetError(f"{where}: model {attrs['model']!r} is not one of {list(MODELS)}")
    expected_ndim = 3 if attrs["model"] == "ising2d" else 2
    if configs.ndim != expected_ndim:
        raise DatasetError(
            f"{where}: model {attrs['model']} needs /configs of {expected_ndim} axes, got {configs.shape}"
        )
    if chain is not None and chain.shape != (configs.shape[0],):
        raise DatasetError(f"{where}: /chain has shape {chain.shape}, expected ({configs.shape[0]},)")
    return SpinDataset(configs, attrs, None if chain is None else chain.astype(np.int32))
