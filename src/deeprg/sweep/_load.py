"""Reading a sweep back: an xarray Dataset with dimensions (K, L, seed), or table rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from deeprg.errors import SweepError
from deeprg.sweep._engine import read_index

#: Observables of every point, each stored with its error (value, error).
OBSERVABLES = (
    "energy_per_site",
    "abs_magnetization",
    "m2",
    "susceptibility",
    "specific_heat",
    "binder",
)


def _records(out) -> tuple[dict, list[dict]]:
    doc = read_index(out)
    if doc is None:
        raise SweepError(f"{out}: no sweep here (no index.json); run `deeprg sweep sample ... --out {out}`")
    return doc, list(doc["points"].values())


def load_sweep(out):
    """The observables of every finished point as an ``xarray.Dataset``.

    Dimensions: ``K`` (float64 couplings), ``L`` (int64 sizes), ``seed`` (int64 replica index
    0..S-1). Variables (float64, NaN where a point is missing): each of ``energy_per_site``
    (<H>/N in units of J), ``abs_magnetization`` (<|m|>), ``m2`` (<m^2>), ``susceptibility``
    (N(<m^2> - <|m|>^2)), ``specific_heat`` (K^2 N Var(e)), ``binder``
    (U4 = 1 - <m^4>/(3<m^2>^2), Binder 1981) with ``NAME_error`` (autocorrelation-aware
    errors); ``tau_int_energy``, ``tau_int_abs_magnetization`` (in stored samples);
    ``n_samples`` and ``point_seed`` (int64, -1 where missing). ``attrs`` hold the sweep
    parameters as JSON (``spec``) and their digest.

    Raises:
        SweepError: ``out`` holds no sweep.
    """
    import xarray as xr

    doc, records = _records(out)
    Ks = sorted({float(r["K"]) for r in records})
    Ls = sorted({int(r["L"]) for r in records})
    seeds = sorted({int(r["replica"]) for r in records})
    shape = (len(Ks), len(Ls), len(seeds))
    ki = {k: i for i, k in enumerate(Ks)}
    li = {v: i for i, v in enumerate(Ls)}
    si = {v: i for i, v in enumerate(seeds)}
    data = {}
    for name in OBSERVABLES:
        data[name] = np.full(shape, np.nan)
        data[f"{name}_error"] = np.full(shape, np.nan)
    for name in ("tau_int_energy", "tau_int_abs_magnetization", "n_samples"):
        data[name] = np.full(shape, np.nan)
    point_seed = np.full(shape, -1, dtype=np.int64)
    for r in records:
        at = (ki[float(r["K"])], li[int(r["L"])], si[int(r["replica"])])
        obs = r["observables"]
        for name in OBSERVABLES:
            data[name][at] = _num(obs[name]["value"])
            data[f"{name}_error"][at] = _num(obs[name]["error"])
        data["tau_int_energy"][at] = _num(obs["tau_int"]["energy"]["value"])
        data["tau_int_abs_magnetization"][at] = _num(obs["tau_int"]["abs_magnetization"]["value"])
        data["n_samples"][at] = obs["n_samples"]
        point_seed[at] = int(r["seed"])
    dims = ("K", "L", "seed")
    variables = {name: (dims, values) for name, values in data.items()}
    variables["point_seed"] = (dims, point_seed)
    return xr.Dataset(
        variables,
        coords={
            "K": np.array(Ks, dtype=np.float64),
            "L": np.array(Ls, dtype=np.int64),
            "seed": np.array(seeds, dtype=np.int64),
        },
        attrs={"spec": json.dumps(doc["spec"], sort_keys=True), "spec_digest": doc["spec_digest"]},
    )


def _num(x) -> float:
    return float("nan") if x is None else float(x)


def sweep_table(out, *, average: bool = False) -> list[dict]:
    """One row per point (L, K, replica, seed and each observable with its error), sorted by
    L, K, replica. With ``average``, one row per (L, K): the mean over seed replicas and its
    standard error (spread over replicas / sqrt(S); None with a single replica)."""
    _, records = _records(out)
    rows = []
    for r in sorted(records, key=lambda r: (int(r["L"]), float(r["K"]), int(r["replica"]))):
        obs = r["observables"]
        row = {"L": int(r["L"]), "K": float(r["K"]), "replica": int(r["replica"]), "seed": int(r["seed"])}
        for name in OBSERVABLES:
            row[name] = obs[name]["value"]
            row[f"{name}_error"] = obs[name]["error"]
        row["tau_int_energy"] = obs["tau_int"]["energy"]["value"]
        row["n_samples"] = obs["n_samples"]
        rows.append(row)
    if not average:
        return rows
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault((row["L"], row["K"]), []).append(row)
    out_rows = []
    for (L, K), members in groups.items():
        row = {"L": L, "K": K, "replicas": len(members)}
        for name in OBSERVABLES:
            values = np.array([_num(m[name]) for m in members])
            row[name] = float(np.mean(values))
            row[f"{name}_error"] = (
                float(np.std(values, ddof=1) / np.sqrt(len(values))) if len(values) > 1 else None
            )
        out_rows.append(row)
    return out_rows


def point_file(out, record: dict) -> Path:
    """The path of a point's file from its index record."""
    return Path(out) / record["file"]
