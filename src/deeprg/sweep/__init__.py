"""Sweeps: grids of couplings x sizes x seed replicas run as Dask tasks, and a generic task map.

- :func:`run_sweep` runs (or resumes) a grid K x L x replica, one task per point, on an
  embedded LocalCluster, an existing Dask cluster (an address or DASK_SCHEDULER_ADDRESS), or
  serially; each point is one file written atomically by its worker, and an index is kept by
  the client. :func:`load_sweep` returns the observables as an ``xarray.Dataset`` with
  dimensions (K, L, seed).
- :func:`map_tasks` is the engine's generic entry: ``[fn(x) for x in items]`` as Dask tasks,
  results in order, serial when no cluster is asked for. Experiments fan out seed replicates
  and conditions with it.
- :func:`point_seed` derives a point's seed from the sweep seed and the point (numpy
  ``SeedSequence`` spawn keys): a point's samples are the same bytes whichever worker runs it.
"""

from deeprg.sweep._cluster import Rate, machine_cores, map_tasks, open_client, resolve_scheduler
from deeprg.sweep._engine import (
    configs_digest,
    read_index,
    run_point,
    run_sweep,
    stored_spec,
    verify_point,
)
from deeprg.sweep._grid import Point, SweepSpec, grid, parse_values, point_seed
from deeprg.sweep._load import OBSERVABLES, load_sweep, sweep_table

__all__ = [
    "OBSERVABLES",
    "Point",
    "Rate",
    "SweepSpec",
    "configs_digest",
    "grid",
    "load_sweep",
    "machine_cores",
    "map_tasks",
    "open_client",
    "parse_values",
    "point_seed",
    "read_index",
    "resolve_scheduler",
    "run_point",
    "run_sweep",
    "stored_spec",
    "sweep_table",
    "verify_point",
]
