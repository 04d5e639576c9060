"""HDF5 datasets of spin configurations.

Layout:
- ``/configs``: int8 values in {-1, +1}, shape (n, L, M) for square lattices or (n, N) for chains,
  chunked and gzip-compressed;
- ``/chain``: optional int32 (n,), the Markov chain each sample came from (samples of one
  chain are stored in time order), used for autocorrelation-aware statistics;
- attributes: model, L, M (or N), K, h, algorithm, seed, thinning, burn_in, tau_int, n_chains,
  deeprg_version, created_utc, and ``config_json`` with everything else.

Writes are atomic and durable: the HDF5 image is built in memory and written to a temporary
file by plain OS writes, fsynced and renamed, so that the HDF5 library never writes to a disk that
can fill up under it (a full disk is an :class:`~deeprg.errors.OutputError`, never a crash).
Reading validates every assumption, before anything is allocated, and names the problem in a
:class:`~deeprg.errors.DatasetError`: external links, virtual and externally stored datasets are
refused (a dataset file must not make deeprg read other files), and a declared shape must be
backed by stored data and fit in memory.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from deeprg.errors import DatasetError
from deeprg.utils import atomic_write_bytes, check_memory, provenance

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


def _first_non_spin(configs: np.ndarray, block: int = 1 << 20) -> int | None:
    """Flat index of the first value of an int8 array outside {-1, +1}, or None.

    Works in cache-sized blocks without temporaries of the array's size (10^8-byte datasets):
    as uint8, v + 1 is 0 for -1 and 2 for +1, the only values with (v + 1) & 0xFD == 0.
    """
    flat = np.ascontiguousarray(configs).reshape(-1).view(np.uint8)
    buf = np.empty(min(block, flat.size), dtype=np.uint8)
    for start in range(0, flat.size, block):
        part = flat[start : start + block]
        tmp = np.add(part, np.uint8(1), out=buf[: part.size])
        np.bitwise_and(tmp, np.uint8(0xFD), out=tmp)
        if tmp.any():
            return start + int(np.flatnonzero(tmp)[0])
    return None


def _validate_configs(configs: np.ndarray, where: str) -> None:
    if configs.dtype != np.int8:
        raise DatasetError(f"{where}: /configs has dtype {configs.dtype}, expected int8 values in {{-1, +1}}")
    if configs.ndim not in (2, 3):
        raise DatasetError(f"{where}: /configs has shape {configs.shape}, expected (n, N) or (n, L, M)")
    if configs.shape[0] == 0:
        raise DatasetError(f"{where}: /configs holds no samples")
    bad_at = _first_non_spin(configs)
    if bad_at is not None:
        first = tuple(int(i) for i in np.unravel_index(bad_at, configs.shape))
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


def _write_compressed_chunks(dset: h5py.Dataset, configs: np.ndarray, rows: int, level: int) -> None:
    """Fill ``dset`` (chunks of ``rows`` samples, filters shuffle + gzip) chunk by chunk, with
    the chunks deflated on several threads (zlib releases the GIL; h5py would deflate them
    one after another on one core).

    Each chunk is what HDF5's pipeline stores: shuffle is the identity for 1-byte elements,
    the deflate filter stores a zlib stream of the chunk's bytes (zlib's compress2 at the same
    level; with the same zlib build the bytes are identical, e.g. at levels 1-9 with h5py's
    wheels here; at level 0 zlib versions split stored blocks differently), and the last chunk
    is padded to full size with the fill value 0.
    """
    import zlib
    from concurrent.futures import ThreadPoolExecutor

    n = configs.shape[0]

    def deflate(start: int) -> bytes:
        block = configs[start : start + rows]
        if block.shape[0] < rows:
            block = np.concatenate([block, np.zeros((rows - block.shape[0], *block.shape[1:]), np.int8)])
        return zlib.compress(np.ascontiguousarray(block).data, level)

    starts = range(0, n, rows)
    zeros = (0,) * (configs.ndim - 1)
    with ThreadPoolExecutor(max_workers=max(1, min(len(starts), os.cpu_count() or 1, 8))) as pool:
        for start, payload in zip(starts, pool.map(deflate, starts), strict=True):
            dset.id.write_direct_chunk((start, *zeros), payload)


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
    image = io.BytesIO()
    with h5py.File(image, "w") as f:
        chunk = (min(configs.shape[0], max(1, (1 << 20) // max(1, configs[0].size))), *configs.shape[1:])
        dset = f.create_dataset(
            "configs",
            shape=configs.shape,
            dtype=np.int8,
            chunks=chunk,
            compression="gzip",
            compression_opts=compression_level,
            shuffle=True,
        )
        _write_compressed_chunks(dset, configs, chunk[0], compression_level)
        if chain is not None:
            chain = np.asarray(chain, dtype=np.int32)
            if chain.shape != (configs.shape[0],):
                raise DatasetError(f"chain ids must have shape ({configs.shape[0]},), got {chain.shape}")
            f.create_dataset("chain", data=chain, compression="gzip")
        _name_dimensions(f, configs.shape)
        for key, value in full.items():  # scalars as attributes; everything in config_json
            if isinstance(value, bool | float | str | np.floating) or (
                isinstance(value, int | np.integer) and -(2**63) <= int(value) < 2**63
            ):
                f.attrs[key] = value
        f.attrs["config_json"] = json.dumps(full, default=str, sort_keys=True)
        f.attrs["format"] = "deeprg-spin-dataset-v1"
    atomic_write_bytes(path, image.getbuffer())
    return path


def _checked_dataset(f: h5py.File, name: str, where: str) -> h5py.Dataset | None:
    """The dataset ``name`` after the checks that need no allocation; None when absent."""
    link = f.get(name, getlink=True)
    if link is None:
        return None
    if isinstance(link, h5py.ExternalLink):
        raise DatasetError(
            f"{where}: /{name} is an external link to {link.filename}:{link.path}; refused "
            "(a dataset must hold its own data)"
        )
    node = f.get(name)
    if node is None:
        raise DatasetError(f"{where}: /{name} is a dangling link")
    if not isinstance(node, h5py.Dataset):
        raise DatasetError(f"{where}: /{name} is a group, expected a dataset")
    if node.is_virtual or node.external:
        raise DatasetError(f"{where}: /{name} takes its data from other files; refused")
    return node


def _check_stored(node: h5py.Dataset, where: str) -> None:
    """A declared shape must be backed by stored chunks and fit in memory."""
    nbytes = float(np.prod(node.shape, dtype=float)) * node.dtype.itemsize
    check_memory(nbytes, f"{where}: /{node.name.lstrip('/')} of shape {node.shape}")
    if node.size == 0:
        return
    if node.chunks is None:
        stored = node.id.get_storage_size()
        if stored < nbytes:
            raise DatasetError(
                f"{where}: {node.name} declares shape {node.shape} ({int(nbytes)} bytes) but stores "
                f"{stored} bytes; the file is truncated or forged"
            )
        return
    expected = 1
    for n, c in zip(node.shape, node.chunks, strict=True):
        expected *= -(-n // c)
    got = node.id.get_num_chunks()
    if got < expected:
        raise DatasetError(
            f"{where}: {node.name} declares shape {node.shape} but stores {got} of its {expected} "
            "chunks; the file is truncated or forged"
        )


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
            node = _checked_dataset(f, "configs", where)
            if node is None:
                raise DatasetError(f"{where}: no /configs dataset; this is not a deeprg spin dataset")
            if node.dtype != np.int8 or node.ndim not in (2, 3):
                raise DatasetError(
                    f"{where}: /configs has dtype {node.dtype} and shape {node.shape}; expected int8 "
                    "values in {-1, +1} of shape (n, N) or (n, L, M)"
                )
            chain_node = _checked_dataset(f, "chain", where)
            if chain_node is not None and (
                chain_node.shape != (node.shape[0],) or chain_node.dtype.kind not in "iu"
            ):
                raise DatasetError(
                    f"{where}: /chain has dtype {chain_node.dtype} and shape {chain_node.shape}, "
                    f"expected integers of shape ({node.shape[0]},)"
                )
            _check_stored(node, where)
            if chain_node is not None:
                _check_stored(chain_node, where)
            configs = node[()]
            chain = chain_node[()] if chain_node is not None else None
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
