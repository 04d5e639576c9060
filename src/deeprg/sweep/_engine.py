"""The sweep engine: every point a Dask task, one file per point, an index kept by the client.

Store layout (``OUT/``)::

    index.json                 the sweep parameters and a record of every finished point
    points/L0016_K0.44_r000.h5 one dataset per point (or .json with observables only)

Why one file per point and an index written by the client only:

- HDF5 has no safe concurrent writers (short of MPI-IO builds), and a Zarr or xarray store
  shared by many writers needs one coordinator for its metadata. A file per point has exactly
  one writer, the worker that computed it, which writes a temporary file beside the target
  and renames it (:func:`deeprg.data.write_dataset`, :func:`deeprg.utils.atomic_write_json`):
  a reader sees the whole file or none, also when the worker is killed mid-write.
- A task that runs twice (the scheduler reruns the tasks of a worker it believes lost) writes
  the same bytes under the same name: writes are idempotent.
- ``index.json`` is written only by the client, atomically, so it needs no lock. It is a
  cache: on resume every point file is verified (it reads as a valid dataset, its sweep
  parameters and point match, and the SHA-256 of its configurations equals the digest the
  worker recorded), and points whose file is missing or fails verification are recomputed.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import hashlib
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from deeprg.errors import DatasetError, InputError, SweepError
from deeprg.sweep._cluster import LOCAL, Rate, open_client
from deeprg.sweep._grid import Point, SweepSpec, grid, point_seed
from deeprg.utils import atomic_write_json, provenance

INDEX = "index.json"
POINTS = "points"
INDEX_FORMAT = "deeprg-sweep-index-v1"
POINT_FORMAT = "deeprg-sweep-point-v1"


def _point_path(out: Path, spec: SweepSpec, point: Point) -> Path:
    return out / POINTS / (point.name + (".h5" if spec.store_configs else ".json"))


def configs_digest(configs: np.ndarray, chain: np.ndarray | None) -> str:
    """SHA-256 of the configurations' bytes (int8, C order) followed by the chain ids' (int32)."""
    h = hashlib.sha256(np.ascontiguousarray(configs, dtype=np.int8).tobytes())
    if chain is not None:
        h.update(np.ascontiguousarray(chain, dtype=np.int32).tobytes())
    return h.hexdigest()


def _observables(bond, mag, chain, n_sites: int, K: float, h: float) -> dict:
    from deeprg.stats import ising_observables

    groups = [np.flatnonzero(chain == c) for c in np.unique(chain)]
    length = min(len(g) for g in groups)
    if length < 2:
        groups, length = [np.arange(len(chain))], len(chain)
    idx = np.stack([g[:length] for g in groups])
    return ising_observables(bond[idx], mag[idx], n_sites, K, h)


@functools.cache
def _process_provenance() -> dict:
    """Provenance of this worker process (version, git hash, source fingerprint, host), computed
    once per process: hashing the source and asking git for every point costs ~50 ms."""
    return {k: v for k, v in provenance().items() if k != "created_utc"}


def run_point(spec: SweepSpec, point: Point, out: str) -> dict:
    """Compute one point and write its file atomically; return its index record.

    This is the task a worker runs. The point's seed is :func:`point_seed` of the sweep seed
    and the point, so the configurations do not depend on the worker or the order of tasks.
    """
    from deeprg.data import write_dataset
    from deeprg.lattice import Chain, SquareLattice
    from deeprg.sampling import generate_samples

    t0 = time.perf_counter()
    seed = point_seed(spec.seed, point, spec.model)
    lattice = SquareLattice(point.L) if spec.model == "ising2d" else Chain(point.L)
    gen = generate_samples(
        lattice,
        point.K,
        spec.n_samples,
        h=spec.h,
        algorithm=spec.algorithm,
        seed=seed,
        n_chains=spec.chains,
        burn_in=spec.burn_in,
        decorrelate=spec.decorrelate,
    )
    obs = _observables(gen.bond_sum, gen.magnetization, gen.chain, lattice.n_sites, point.K, spec.h)
    digest = configs_digest(gen.configs, gen.chain)
    path = _point_path(Path(out), spec, point)
    sweep_attrs = {
        "sweep_digest": spec.digest,
        "sweep_L": point.L,
        "sweep_K": point.K,
        "sweep_replica": point.replica,
        "sweep_seed": spec.seed,
        "sweep_spec": spec.to_dict(),
        "configs_sha256": digest,
        "seed_derivation": "SeedSequence(sweep_seed, spawn_key=(model, L, float64 bits of K, replica))",
    }
    if spec.store_configs:
        write_dataset(path, gen.configs, {**gen.attrs, **sweep_attrs, "observables": obs}, chain=gen.chain)
    else:
        atomic_write_json(
            path,
            {
                "format": POINT_FORMAT,
                **_process_provenance(),
                "created_utc": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
                "attrs": {**gen.attrs, **sweep_attrs},
                "observables": obs,
            },
        )
    return {
        "name": point.name,
        **point.to_dict(),
        "seed": seed,
        "file": f"{POINTS}/{path.name}",
        "configs_sha256": digest,
        "observables": obs,
        "seconds": time.perf_counter() - t0,
        "worker": f"{platform.node()}:{os.getpid()}",
    }


def verify_point(out: Path, spec: SweepSpec, point: Point) -> dict | None:
    """The record of a finished point if its file exists and passes verification, else None.

    Checks: the file reads as a valid dataset (or point record), it belongs to a sweep with the
    same parameters and to this point, and (datasets) the SHA-256 of its configurations and
    chain ids equals the digest the worker stored.
    """
    path = _point_path(out, spec, point)
    if not path.exists():
        return None
    try:
        if spec.store_configs:
            from deeprg.data import read_dataset

            ds = read_dataset(path)
            attrs = {**json.loads(ds.attrs.get("config_json", "{}")), **ds.attrs}
            digest = configs_digest(ds.configs, ds.chain)
            if digest != attrs.get("configs_sha256"):
                return None
            obs = attrs.get("observables")
        else:
            doc = json.loads(path.read_text())
            if doc.get("format") != POINT_FORMAT:
                return None
            attrs, obs = doc["attrs"], doc["observables"]
            digest = attrs.get("configs_sha256")
    except (DatasetError, OSError, ValueError, KeyError, TypeError):
        return None
    same = (
        attrs.get("sweep_digest") == spec.digest
        and int(attrs.get("sweep_L", -1)) == point.L
        and float(attrs.get("sweep_K", -1.0)) == point.K
        and int(attrs.get("sweep_replica", -1)) == point.replica
        and isinstance(obs, dict)
    )
    if not same:
        return None
    return {
        "name": point.name,
        **point.to_dict(),
        "seed": int(attrs["seed"]),
        "file": f"{POINTS}/{path.name}",
        "configs_sha256": digest,
        "observables": obs,
        "seconds": None,
        "worker": None,
    }


def read_index(out) -> dict | None:
    """The sweep's index (None when the folder holds none).

    Raises:
        SweepError: the index exists but is not a deeprg sweep index.
    """
    path = Path(out) / INDEX
    if not path.exists():
        return None
    try:
        doc = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise SweepError(f"{path}: not a readable sweep index ({exc})") from None
    if not isinstance(doc, dict) or doc.get("format") != INDEX_FORMAT:
        raise SweepError(f"{path}: not a deeprg sweep index (format {INDEX_FORMAT} expected)")
    return doc


def stored_spec(out) -> SweepSpec | None:
    """The parameters of the sweep stored in ``out`` (None when there is none)."""
    doc = read_index(out)
    return None if doc is None else SweepSpec.from_dict(doc["spec"])


class _Index:
    """The client's view of index.json; written atomically, at most once a second."""

    def __init__(self, out: Path, spec: SweepSpec, previous: dict | None):
        self.out, self.spec = out, spec
        self.doc = previous or {
            "format": INDEX_FORMAT,
            "spec": spec.to_dict(),
            "spec_digest": spec.digest,
            "created": provenance(),
            "points": {},
        }
        self._last = 0.0

    def add(self, record: dict) -> None:
        self.doc["points"][record["name"]] = record

    def drop(self, name: str) -> None:
        self.doc["points"].pop(name, None)

    def write(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < 1.0:
            return
        self.doc["updated_utc"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        self.doc["points"] = dict(sorted(self.doc["points"].items()))
        atomic_write_json(self.out / INDEX, self.doc)
        self._last = now


def _remove_stale_temporaries(folder: Path) -> int:
    """Remove temporary files left by writers that died (``.NAME.h5.XXXX.h5`` and the like)."""
    removed = 0
    if folder.is_dir():
        for path in folder.iterdir():
            if path.name.startswith(".") and path.is_file():
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed += 1
    return removed


def run_sweep(
    spec: SweepSpec,
    Ks,
    Ls,
    n_replicas: int,
    out,
    *,
    scheduler=None,
    n_workers: int | None = None,
    retries: int = 2,
    progress: Callable[[Rate], None] | None = None,
    raise_on_failure: bool = True,
) -> dict:
    """Run (or resume) a sweep over K x L x replica into the folder ``out``.

    Args:
        spec: the parameters every point shares.
        Ks, Ls: couplings and sizes; n_replicas: seed replicas per (K, L).
        out: the sweep folder (must be on a file system the workers share).
        scheduler: a ``distributed.Client``, an address, ``"local"`` (default when
            DASK_SCHEDULER_ADDRESS is unset: a LocalCluster sized to the machine) or
            ``"serial"`` (in this process, no Dask).
        n_workers: size of an embedded LocalCluster.
        retries: extra attempts for a point whose task raised; a point whose worker died is
            rerun by the scheduler (up to distributed.scheduler.allowed-failures times).
        progress: optional callback with a :class:`Rate` (points done, rate, time left),
            called once at the start and after each point.
        raise_on_failure: raise :class:`SweepError` when points failed (else only list them).

    Returns:
        A summary: out, points, skipped (verified on disk), computed, failed (names), seconds,
        points_per_second, scheduler, spec.

    Raises:
        InputError: the folder holds a sweep with other parameters.
        SweepError: some points failed (after the others finished and were indexed).
    """
    out = Path(out)
    points = grid(Ks, Ls, n_replicas)
    previous = read_index(out)
    if previous is not None and previous.get("spec_digest") != spec.digest:
        old = previous.get("spec", {})
        diff = {k: (old.get(k), v) for k, v in spec.to_dict().items() if old.get(k) != v}
        raise InputError(
            f"{out} holds a sweep with other parameters (stored vs asked: {diff}); "
            "use another --out folder, or the same parameters to extend or resume it"
        )
    (out / POINTS).mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(out / POINTS)
    index = _Index(out, spec, previous)
    todo = []
    for point in points:
        record = verify_point(out, spec, point)
        if record is None:
            index.drop(point.name)
            with contextlib.suppress(FileNotFoundError):
                _point_path(out, spec, point).unlink()
            todo.append(point)
        else:
            old = index.doc["points"].get(point.name, {})
            index.add({**record, "seconds": old.get("seconds"), "worker": old.get("worker")})
    index.write(force=True)
    rate = Rate(len(points), skipped=len(points) - len(todo))
    if progress is not None:
        progress(rate)
    failed: dict[str, str] = {}
    used = "serial"

    def finished(record: dict | None, point: Point, error: BaseException | None) -> None:
        if error is not None:
            failed[point.name] = f"{type(error).__name__}: {error}"
        else:
            if not (out / record["file"]).exists():
                raise SweepError(
                    f"a worker wrote {record['file']} but this machine cannot see it under {out}: "
                    "the sweep folder must be on a file system shared by the client and the workers"
                )
            index.add(record)
            index.write()
        rate.update(rate.done + 1)
        if progress is not None:
            progress(rate)

    t0 = time.perf_counter()
    try:
        with open_client(scheduler, n_workers=n_workers, default=LOCAL) as client:
            if client is None:
                for point in todo:
                    try:
                        record = run_point(spec, point, str(out))
                    except (KeyboardInterrupt, SweepError):
                        raise
                    except Exception as exc:
                        finished(None, point, exc)
                    else:
                        finished(record, point, None)
            else:
                from distributed import as_completed

                used = str(client.scheduler.address)
                futures = {
                    client.submit(
                        run_point,
                        spec,
                        point,
                        str(out.resolve()),
                        pure=False,
                        retries=retries,
                        key=f"deeprg-point-{point.name}-{os.urandom(4).hex()}",
                    ): point
                    for point in todo
                }
                try:
                    for future in as_completed(futures):
                        point = futures[future]
                        try:
                            record = future.result()
                        except Exception as exc:  # the task raised, or its workers kept dying
                            finished(None, point, exc)
                        else:
                            finished(record, point, None)
                except BaseException:
                    client.cancel(list(futures))
                    raise
    finally:
        index.write(force=True)
    _remove_stale_temporaries(out / POINTS)  # of workers killed mid-write during this run
    seconds = time.perf_counter() - t0
    summary = {
        "out": str(out),
        "points": len(points),
        "skipped": rate.skipped,
        "computed": len(todo) - len(failed),
        "failed": sorted(failed),
        "seconds": seconds,
        "points_per_second": (len(todo) - len(failed)) / seconds if seconds > 0 else None,
        "scheduler": used,
        "spec": spec.to_dict(),
    }
    if failed and raise_on_failure:
        first = next(iter(sorted(failed.items())))
        raise SweepError(
            f"{len(failed)} of {len(points)} points failed (first: {first[0]}: {first[1]}); "
            "the others are stored, and running the same command again retries the failed ones",
            failed=tuple(sorted(failed)),
        )
    return summary
