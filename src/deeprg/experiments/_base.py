"""The experiment framework: frozen configs, resumable steps, results with claims and figures.

An experiment is a module with a frozen config dataclass (presets ``quick`` and ``paper``) and
``run(config, ctx) -> Result``. Work is split into named steps run through
:meth:`RunContext.step`: a finished step's output is stored atomically under ``steps/`` and
reused on the next run, so an interrupted run resumes and a partial output is never mistaken
for a finished one. Experiments return numbers and *figure specifications*; only
:mod:`deeprg.report` draws (the narrow-core rule).
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import json
import time
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from deeprg.errors import ConfigError
from deeprg.utils import atomic_path, atomic_write_json

VERDICTS = ("supported", "not supported", "inconclusive")
#: preset names a config may carry ('paper-l1': mehta-schwab's L1 sweep at the published scale)
PRESET_NAMES = ("quick", "paper", "paper-l1", "custom")


@dataclass(frozen=True)
class ExperimentConfig:
    """Base of every experiment config: a seed and the preset it came from."""

    seed: int = 0
    preset: str = "quick"

    @classmethod
    def field_types(cls) -> dict[str, Any]:
        hints = typing.get_type_hints(cls)
        return {f.name: hints[f.name] for f in dataclasses.fields(cls)}

    @classmethod
    def from_dict(cls, data: dict, *, base: ExperimentConfig | None = None) -> ExperimentConfig:
        """Build from a dict (e.g. TOML), validating keys and types; unknown keys are errors."""
        types = cls.field_types()
        values = dataclasses.asdict(base) if base is not None else {}
        for key, raw in data.items():
            if key not in types:
                raise ConfigError(f"unknown config key {key!r}; expected some of {sorted(types)}", key=key)
            values[key] = _coerce(key, raw, types[key])
        try:
            config = cls(**values)
        except TypeError as exc:
            raise ConfigError(f"incomplete config: {exc}") from None
        config.validate()
        return config

    @classmethod
    def from_toml(cls, path, *, base: ExperimentConfig | None = None) -> ExperimentConfig:
        try:
            data = tomllib.loads(Path(path).read_text())
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
        return cls.from_dict(data, base=base)

    def validate(self) -> None:
        """Check values; subclasses extend it. Raise ConfigError naming the key."""
        if self.seed < 0:
            raise ConfigError(f"seed must be >= 0, got {self.seed}", key="seed")
        if self.preset not in PRESET_NAMES:
            raise ConfigError(f"preset must be one of {PRESET_NAMES}, got {self.preset!r}", key="preset")

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(self).items()}

    def _require(self, key: str, ok: bool, expected: str) -> None:
        if not ok:
            raise ConfigError(
                f"config key {key!r} = {getattr(self, key)!r} is invalid: expected {expected}", key=key
            )


def _coerce(key: str, raw, typ):
    origin = typing.get_origin(typ)
    try:
        if typ is bool:
            if not isinstance(raw, bool):
                raise TypeError
            return raw
        if typ is int:
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise TypeError
            return raw
        if typ is float:
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                raise TypeError
            return float(raw)
        if typ is str:
            if not isinstance(raw, str):
                raise TypeError
            return raw
        if origin is tuple:
            args = typing.get_args(typ)
            if not isinstance(raw, list | tuple):
                raise TypeError
            inner = args[0]
            return tuple(_coerce(key, v, inner) for v in raw)
    except TypeError:
        raise ConfigError(
            f"config key {key!r} must be of type {_type_name(typ)}, got {raw!r}", key=key
        ) from None
    return raw


def _type_name(typ) -> str:
    if typing.get_origin(typ) is tuple:
        return f"list of {_type_name(typing.get_args(typ)[0])}"
    return getattr(typ, "__name__", str(typ))


@dataclass(frozen=True)
class Claim:
    """A claim from the literature, what was measured, and the verdict.

    Attributes:
        claim: the statement tested. source: where it comes from (quoted seed or paper).
        measurement: what was measured, with numbers. comparison: against what (exact/RG).
        verdict: 'supported', 'not supported' or 'inconclusive'. reason: why.
        id: a stable identifier of the claim (written to metrics.json as claims[].id).
    """

    claim: str
    source: str
    measurement: str
    comparison: str
    verdict: str
    reason: str
    id: str = ""

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")


@dataclass(frozen=True)
class Series:
    """One plotted series. style: 'line', 'points' (with error bars when yerr), 'dashed'."""

    x: list
    y: list
    label: str = ""
    yerr: list | None = None
    style: str = "line"


@dataclass(frozen=True)
class FigureSpec:
    """A figure described as data; :mod:`deeprg.report` renders it to PNG and SVG.

    kind 'xy' uses series; kind 'images' shows ``images`` (list of 2D lists) in a grid with
    ``image_titles``, ``image_columns`` panels per row (0: up to six).
    """

    name: str
    title: str
    xlabel: str = ""
    ylabel: str = ""
    series: tuple[Series, ...] = ()
    kind: str = "xy"
    xscale: str = "linear"
    yscale: str = "linear"
    hlines: tuple[tuple[float, str], ...] = ()
    vlines: tuple[tuple[float, str], ...] = ()
    images: tuple = ()
    image_titles: tuple[str, ...] = ()
    caption: str = ""
    image_columns: int = 0


@dataclass
class Result:
    """What an experiment returns: metrics (value/error/exact), claims and figures."""

    metrics: dict[str, dict] = field(default_factory=dict)
    claims: list[Claim] = field(default_factory=list)
    figures: list[FigureSpec] = field(default_factory=list)
    tables: dict[str, list[dict]] = field(default_factory=dict)
    summary: str = ""

    def metric(
        self, key: str, value, error=None, *, exact=None, unit: str | None = None, note: str | None = None
    ):
        entry = {"value": _num(value), "error": _num(error), "exact": _num(exact)}
        if unit:
            entry["unit"] = unit
        if note:
            entry["note"] = note
        self.metrics[key] = entry


def _num(x):
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


class RunContext:
    """Resumable steps inside one run folder.

    ``ctx.step(name, fn)`` returns fn()'s JSON-able result, computing it only if
    ``steps/<name>.json`` does not exist; arrays go to ``steps/<name>.npz`` with
    :meth:`save_arrays`. ``timings`` records seconds per step computed in this run.

    Progress: ``progress(name)`` is called when a step starts computing; long loops report how
    far they are with :meth:`track` (``for T in ctx.track(temperatures, unit="T"):``) or
    :meth:`advance`, which call ``advance(done, total, unit)``. Nested tracked loops refine the
    outer one: the second of four inner items of the third of six outer items reports
    done = 2.5 of 6. Without an ``advance`` callback both cost nothing.
    """

    def __init__(self, out_dir, *, progress=None, advance=None):
        self.out_dir = Path(out_dir)
        self.steps_dir = self.out_dir / "steps"
        self.steps_dir.mkdir(parents=True, exist_ok=True)
        self.timings: dict[str, float] = {}
        self.reused: list[str] = []
        self.progress = progress
        self.advance_callback = advance
        self._frames: list[list] = []  # [items done, total, unit] of the tracked loops, outermost first

    def advance(self, done: float, total: float | None, unit: str = "it") -> None:
        """Report that ``done`` of ``total`` units of the running work are finished."""
        if self.advance_callback is not None:
            self.advance_callback(done, total, unit)

    def track(self, iterable, total: int | None = None, unit: str = "it"):
        """Iterate over ``iterable``, reporting progress after each item (see the class doc).

        ``total`` defaults to ``len(iterable)``; an iterable without a length is read into a
        list first. Returns ``iterable`` itself when nobody listens.
        """
        if self.advance_callback is None:
            return iterable
        if total is None:
            if not hasattr(iterable, "__len__"):
                iterable = list(iterable)
            total = len(iterable)
        return self._tracked(iterable, int(total), unit)

    def _tracked(self, iterable, total: int, unit: str):
        frame = [0, total, unit]
        self._frames.append(frame)
        try:
            self._report()
            for item in iterable:
                yield item
                frame[0] += 1
                self._report()
        finally:
            self._frames[:] = [f for f in self._frames if f is not frame]

    def reporter(self, unit: str = "it"):
        """A ``callback(done, total)`` for library functions that report progress themselves
        (``generate_samples(..., progress=ctx.reporter("samples"))``), or None when nobody
        listens. Inside tracked loops it refines the innermost one."""
        if self.advance_callback is None:
            return None

        def report(done, total=None):
            if total:
                self._report((float(done), float(total), unit))

        return report

    def _report(self, leaf=None) -> None:
        # in units of the outermost loop: done = i0 + (i1 + (i2 + ...) / n2) / n1
        frames = [*self._frames, list(leaf)] if leaf is not None else self._frames
        done, scale = 0.0, 1.0
        for k, (count, total, _) in enumerate(frames):
            if k > 0:
                if total <= 0:
                    break
                scale /= total
            done += scale * min(count, total)
        _, outer_total, unit = frames[0]
        self.advance(min(done, outer_total), outer_total, unit)

    @contextlib.contextmanager
    def active(self):
        """Make this the context that the module-level :func:`track` reports to."""
        token = _ACTIVE.set(self)
        try:
            yield self
        finally:
            _ACTIVE.reset(token)

    def step(self, name: str, fn):
        path = self.steps_dir / f"{name}.json"
        if path.exists():
            self.reused.append(name)
            return json.loads(path.read_text())
        if self.progress:
            self.progress(name)
        t0 = time.perf_counter()
        value = fn()
        self.timings[name] = time.perf_counter() - t0
        atomic_write_json(path, value)
        return json.loads(path.read_text())

    def array_step(self, name: str, fn) -> dict[str, np.ndarray]:
        """Like :meth:`step` for a dict of numpy arrays (stored as .npz, loaded without pickle)."""
        path = self.steps_dir / f"{name}.npz"
        if path.exists():
            self.reused.append(name)
            with np.load(path, allow_pickle=False) as data:
                return {k: data[k] for k in data.files}
        if self.progress:
            self.progress(name)
        t0 = time.perf_counter()
        arrays = fn()
        self.timings[name] = time.perf_counter() - t0
        with atomic_path(path, suffix=".npz") as tmp:
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, **arrays)
        return {k: np.asarray(v) for k, v in arrays.items()}


_ACTIVE: contextvars.ContextVar[RunContext | None] = contextvars.ContextVar("deeprg_run", default=None)


def track(iterable, total: int | None = None, unit: str = "it"):
    """:meth:`RunContext.track` of the running experiment, for helpers that get no context:
    ``for n in track(config.sizes, unit="N"):``. Returns ``iterable`` when none is running."""
    ctx = _ACTIVE.get()
    return iterable if ctx is None else ctx.track(iterable, total, unit)
