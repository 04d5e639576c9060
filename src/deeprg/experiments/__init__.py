"""Experiments: one module per reproduction, each a frozen config and ``run(config, ctx)``."""

from deeprg.experiments._base import (
    VERDICTS,
    Claim,
    ExperimentConfig,
    FigureSpec,
    Result,
    RunContext,
    Series,
)
from deeprg.experiments._runner import (
    METRICS_SCHEMA,
    REGISTRY,
    experiment_module,
    metrics_document,
    resolve_config,
    run_experiment,
)

__all__ = [
    "METRICS_SCHEMA",
    "REGISTRY",
    "VERDICTS",
    "Claim",
    "ExperimentConfig",
    "FigureSpec",
    "Result",
    "RunContext",
    "Series",
    "experiment_module",
    "metrics_document",
    "resolve_config",
    "run_experiment",
]
