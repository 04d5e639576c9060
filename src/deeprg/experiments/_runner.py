"""Running experiments: config resolution, the run folder, config.json and metrics.json."""

from __future__ import annotations

import dataclasses
import importlib
import json
import platform
import shutil
import sys
import time
from pathlib import Path

from deeprg.errors import ConfigError
from deeprg.experiments._base import ExperimentConfig, Result, RunContext
from deeprg.utils import atomic_write_json, clean_stale_temporaries, provenance

#: What a run folder holds besides config.json; removed before a changed config starts.
STALE_OUTPUTS = ("steps", "metrics.json", "report.html", "figures")

#: name -> module path, in the order `reproduce all` runs them.
REGISTRY = {
    "ising-exact": "deeprg.experiments.ising_exact",
    "decimation-1d": "deeprg.experiments.decimation_1d",
    "mcrg-2d": "deeprg.experiments.mcrg_2d",
    "mehta-schwab": "deeprg.experiments.mehta_schwab",
    "rbm-flow": "deeprg.experiments.rbm_flow",
    "vrg-1d": "deeprg.experiments.vrg_1d",
    "learned-rg": "deeprg.experiments.learned_rg",
    "lin-tegmark": "deeprg.experiments.lin_tegmark",
    "finite-size-scaling": "deeprg.experiments.finite_size_scaling",
    "hopfield": "deeprg.experiments.hopfield",
    "convolution": "deeprg.experiments.convolution",
}


def experiment_module(name: str):
    if name not in REGISTRY:
        raise ConfigError(
            f"unknown experiment {name!r}; expected one of {list(REGISTRY)} or 'all'", key="name"
        )
    return importlib.import_module(REGISTRY[name])


def resolve_config(
    name: str, preset: str = "quick", *, config_file=None, overrides: dict | None = None
) -> ExperimentConfig:
    """The preset's config, then a TOML file's keys, then explicit overrides; all validated."""
    module = experiment_module(name)
    if preset not in module.PRESETS:
        raise ConfigError(
            f"unknown preset {preset!r} for {name}; expected one of {list(module.PRESETS)}", key="preset"
        )
    config = module.PRESETS[preset]
    if config_file is not None:
        config = module.Config.from_toml(config_file, base=config)
    if overrides:
        config = module.Config.from_dict(overrides, base=config)
    return config


def metrics_document(name: str, config: ExperimentConfig, result: Result) -> dict:
    return {
        "experiment": name,
        "preset": config.preset,
        "metrics": result.metrics,
        "claims": [dataclasses.asdict(c) for c in result.claims],
        "tables": result.tables,
        "summary": result.summary,
    }


#: The JSON schema metrics.json follows (checked by the tests).
METRICS_SCHEMA = {
    "type": "object",
    "required": ["experiment", "preset", "metrics", "claims", "tables", "summary"],
    "properties": {
        "experiment": {"type": "string"},
        "preset": {"type": "string"},
        "metrics": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["value", "error", "exact"],
                "properties": {
                    "value": {"type": ["number", "null"]},
                    "error": {"type": ["number", "null"]},
                    "exact": {"type": ["number", "null"]},
                },
            },
        },
        "claims": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["claim", "source", "measurement", "comparison", "verdict", "reason"],
                "properties": {"verdict": {"enum": ["supported", "not supported", "inconclusive"]}},
            },
        },
        "tables": {"type": "object"},
        "summary": {"type": "string"},
    },
}


def run_experiment(
    name: str, out_dir, config: ExperimentConfig, *, progress=None, advance=None, fresh: bool = False
) -> tuple[Result, dict]:
    """Run one experiment into ``out_dir`` (resuming finished steps unless ``fresh``).

    ``progress(step_name)`` is called when a step starts computing and ``advance(done, total,
    unit)`` as the step's long loops move on (see :class:`RunContext`); both are optional.

    Writes ``config.json`` (every parameter, seed, version, git hash, host, device, timings)
    and ``metrics.json``. Returns (result, config document). A changed config starts over:
    cached steps are only reused when the stored config equals the requested one.
    """
    module = experiment_module(name)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stored = out / "config.json"
    if stored.exists() and not fresh:
        try:
            previous = json.loads(stored.read_text())
        except (OSError, json.JSONDecodeError):
            previous = {}
        same_code = previous.get("provenance", {}).get("source_fingerprint") == provenance().get(
            "source_fingerprint"
        )
        if previous.get("config") != config.to_dict() or not same_code:
            fresh = True  # cached steps belong to another config or another version of the code
    clean_stale_temporaries(out)
    clean_stale_temporaries(out / "steps")
    if fresh:  # nothing of another config (or code) may survive beside the new config.json
        for name in STALE_OUTPUTS:
            path = out / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.exists() or path.is_symlink():
                path.unlink()
    ctx = RunContext(out, progress=progress, advance=advance)
    t0 = time.perf_counter()
    doc = {
        "experiment": name,
        "title": module.TITLE,
        "config": config.to_dict(),
        "provenance": {**provenance(), "machine": platform.machine(), "device": "cpu"},
        "status": "running",
    }
    atomic_write_json(stored, doc)
    # numba and torch share one OpenMP runtime and every numba launch sets its thread count, so
    # a run can leave torch on more threads than its caller chose: restore it.
    torch = sys.modules.get("torch")
    torch_threads = torch.get_num_threads() if torch is not None else None
    try:
        with ctx.active():
            result = module.run(config, ctx)
    except BaseException as exc:
        doc["status"] = "failed"
        doc["error"] = f"{type(exc).__name__}: {exc}"
        atomic_write_json(stored, doc)
        raise
    finally:
        if torch_threads is not None and torch.get_num_threads() != torch_threads:
            torch.set_num_threads(torch_threads)
    doc["timings_seconds"] = {**ctx.timings, "total": time.perf_counter() - t0}
    doc["reused_steps"] = ctx.reused
    doc["status"] = "finished"
    atomic_write_json(out / "metrics.json", metrics_document(name, config, result))
    atomic_write_json(stored, doc)
    return result, doc
