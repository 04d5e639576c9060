"""Shared CLI plumbing: the exit-code contract, output and argument types."""

from __future__ import annotations

import functools
import json
import math
import os
import sys
import traceback

import click

from deeprg.errors import DeepRGError, InputError

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2
# click >= 8.2 raises this when a group is called without a subcommand.
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


def run_cli(group: click.Group, argv: list[str] | None = None) -> int:
    """Run ``group`` and map failures to the contract: bad input -> 2, internal -> 1.

    Bad input prints one line on stderr and never a traceback. An internal error prints one
    line too; set DEEPRG_DEBUG=1 to see its traceback.
    """
    try:
        group.main(args=argv, prog_name="deeprg", standalone_mode=False)
    except _NO_ARGS_IS_HELP as exc:  # `deeprg` or `deeprg exact` alone: show the help
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        return EXIT_OK
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("deeprg: aborted", err=True)
        return 130
    except click.ClickException as exc:  # usage errors: unknown option, bad type, missing value
        click.echo(f"deeprg: error: {_one_line(exc.format_message())}", err=True)
        return EXIT_BAD_INPUT
    except InputError as exc:
        click.echo(f"deeprg: error: {_one_line(str(exc))}", err=True)
        return EXIT_BAD_INPUT
    except DeepRGError as exc:
        click.echo(f"deeprg: error: {_one_line(str(exc))}", err=True)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        click.echo("deeprg: interrupted", err=True)
        return 130
    except OSError as exc:
        code = _os_error_exit(exc)
        if code is None:
            return _internal_error(exc)
        return code
    except MemoryError:
        click.echo(
            "deeprg: error: out of memory; use smaller sizes "
            "(sizes are checked against `deeprg --max-memory SIZE` before work starts)",
            err=True,
        )
        return EXIT_BAD_INPUT
    except Exception as exc:
        return _internal_error(exc)
    return EXIT_OK


def _internal_error(exc: BaseException) -> int:
    if os.environ.get("DEEPRG_DEBUG"):
        traceback.print_exception(exc)
    click.echo(
        f"deeprg: internal error: {type(exc).__name__}: {_one_line(str(exc))} "
        "(set DEEPRG_DEBUG=1 for a traceback, and please report it)",
        err=True,
    )
    return EXIT_INTERNAL


def _os_error_exit(exc: OSError) -> int | None:
    """Operating-system refusals (permission, read-only, disk full...) are exit 2, one line."""
    from deeprg.utils._atomic import OUTPUT_ERRNOS

    if exc.errno not in OUTPUT_ERRNOS:
        return None
    where = f" {exc.filename}" if exc.filename else ""
    click.echo(f"deeprg: error:{where} {_one_line(exc.strerror or str(exc))}", err=True)
    return EXIT_BAD_INPUT


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _clean(obj):
    """Make floats JSON-safe: nan/inf become null (JSON has no such numbers)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "ndim", 1) == 0:
        return _clean(obj.item())
    if hasattr(obj, "tolist"):
        return _clean(obj.tolist())
    return obj


def emit(data: dict, as_json: bool) -> None:
    """Print a result: JSON with ``--json`` (unchanged, for programs), otherwise a table.

    The table shows ``{"value": v, "error": e}`` entries as ``v ± e`` rounded to the error's
    precision, nested dicts as dotted keys, and lists of records as tables of their own.
    """
    if as_json:
        sys.stdout.write(json.dumps(_clean(data), indent=2) + "\n")
        return
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=False)
    rows, tables = [], []
    _flatten("", _clean(data), rows, tables)
    console.print(_table(["quantity", "value"], rows))
    for title, records in tables:
        columns = list(dict.fromkeys(k for r in records for k in r))
        body = [[format_value(r.get(c, "")) for c in columns] for r in records]
        console.print(_table(columns, body, title=title))


def _is_value_error(obj) -> bool:
    return isinstance(obj, dict) and "value" in obj and "error" in obj


def format_value(value) -> str:
    """One value for people: ``v ± e`` for value/error dicts, floats to 10 significant digits."""
    if _is_value_error(value):
        return value_pm_error(value["value"], value["error"])
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "-"}[value]
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, list):
        text = ", ".join(format_value(v) for v in value[:8])
        return (
            f"[{text}{', ...' if len(value) > 8 else ''}] ({len(value)})" if len(value) > 8 else f"[{text}]"
        )
    if isinstance(value, dict):
        return ", ".join(f"{k}: {format_value(v)}" for k, v in value.items())
    return str(value)


def value_pm_error(value, error) -> str:
    """``value ± error`` with the error to 2 significant digits and the value to match."""
    if value is None:
        return "-"
    if error is None or not isinstance(error, int | float) or error <= 0 or not math.isfinite(error):
        return f"{value:.6g}" if isinstance(value, float) else str(value)
    digits = max(0, 1 - math.floor(math.log10(error)))
    if digits > 12 or abs(value) >= 1e6 or (value != 0 and abs(value) < 1e-4):
        return f"{value:.6g} ± {error:.2g}"
    return f"{value:.{digits}f} ± {error:.{digits}f}"


def _flatten(prefix: str, obj, rows: list, tables: list) -> None:
    if _is_value_error(obj):  # "v ± e", then any other keys (method, log_z, ...) as rows
        rows.append([prefix, value_pm_error(obj["value"], obj["error"])])
        for key, value in obj.items():
            if key not in ("value", "error"):
                _flatten(f"{prefix}.{key}", value, rows, tables)
    elif isinstance(obj, dict):
        for key, value in obj.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, rows, tables)
    elif isinstance(obj, list) and obj and all(isinstance(r, dict) for r in obj) and len(obj) <= 200:
        tables.append((prefix, [{k: v for k, v in r.items()} for r in obj]))
    else:
        rows.append([prefix, format_value(obj)])


def _table(columns, rows, title: str | None = None):
    from rich import box
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", show_edge=False)
    for i, column in enumerate(columns):
        table.add_column(str(column), no_wrap=i == 0)  # keys stay whole; values wrap
    for row in rows:
        table.add_row(*[str(c) for c in row])
    return table


json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


class FiniteFloat(click.ParamType):
    """A float that must be finite (rejects nan and inf with a clear message)."""

    name = "float"

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            out = value
        else:
            try:
                out = float(value)
            except (TypeError, ValueError):
                self.fail(f"expected a number, got {value!r}", param, ctx)
        if not math.isfinite(out):
            self.fail(f"expected a finite number, got {value!r}", param, ctx)
        return out


FINITE = FiniteFloat()


def temperature_option(
    required: bool = True,
    default_K: float | None = None,
    help_K: str = "Coupling K = J/(k_B T) (> 0).",
    kind: click.ParamType | None = None,
):
    """``--K`` and ``--T`` (temperature in units of J/k_B, K = 1/T): give exactly one.

    The decorated command receives ``K`` only. With ``required=False`` and neither given,
    ``K = default_K``. ``kind`` is the click type of both options (default: a finite float).
    """
    kind = FINITE if kind is None else kind

    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            K, T = kwargs.pop("K"), kwargs.pop("T")
            if K is not None and T is not None:
                raise bad_input("give exactly one of --K and --T (K = 1/T), not both")
            if T is not None:
                if T <= 0:
                    raise bad_input(f"--T must be > 0 (temperature in units of J/k_B), got {T}")
                K = 1.0 / T
            elif K is None:
                if required:
                    raise bad_input("give the coupling --K or the temperature --T (K = 1/T)")
                K = default_K
            return func(*args, K=K, **kwargs)

        wrapper = click.option(
            "--T", "T", type=kind, default=None, help="Temperature in units of J/k_B (instead of --K)."
        )(wrapper)
        wrapper = click.option("--K", "K", type=kind, default=None, help=help_K)(wrapper)
        return wrapper

    return decorator


def examples(*lines: str) -> str:
    """A click epilog: 'Examples:' and one command per line, kept as written."""
    body = "\n".join(f"  {line}" for line in lines)
    return f"\b\nExamples:\n{body}"


def bad_input(message: str) -> InputError:
    """An :class:`InputError` for CLI-level checks (exit code 2)."""
    return InputError(message)


# -- validators applied at the top of a command, before any work (issue: nothing let in) -----
#: Seeds are stored as int64 (HDF5 attributes, torch generators).
MAX_SEED = 2**63 - 1


def output_file(path, option: str = "--out"):
    """Check an output file before any work (see :func:`deeprg.utils.check_output_file`)."""
    from deeprg.utils import check_output_file

    return check_output_file(path, option)


def output_dir(path, option: str = "--out", *, whole: bool = False):
    """Check an output folder before any work; ``whole``: it is replaced as one unit."""
    from deeprg.utils import check_output_dir

    return check_output_dir(path, option, whole=whole)


def check_seed(seed, option: str = "--seed") -> None:
    """Seeds are None (drawn) or integers in [0, 2^63 - 1]."""
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise bad_input(f"{option} must be an integer in [0, 2^63 - 1], got {seed}")


def check_count(value, option: str, minimum: int = 1, maximum: int | None = None) -> None:
    """An integer option within [minimum, maximum] (None: no upper bound)."""
    if value is None:
        return
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and <= {maximum}" if maximum is not None else ""
        raise bad_input(f"{option} must be >= {minimum}{upper}, got {value}")


def check_range(value, option: str, low: float, high: float, *, closed_high: bool = False) -> None:
    """A float option in [low, high) (or [low, high] with ``closed_high``)."""
    if value is None:
        return
    ok = low <= value <= high if closed_high else low <= value < high
    if not ok:
        bracket = "]" if closed_high else ")"
        raise bad_input(f"{option} must lie in [{low:g}, {high:g}{bracket}, got {value}")


def check_cost(what: str, **work) -> None:
    """Refuse requests beyond the memory or time limit (see :mod:`deeprg.utils._limits`)."""
    from deeprg.utils import check_cost as _check

    _check(what, **work)


def limits_options(func):
    """``--max-memory`` and ``--max-hours`` on the root group: the overrides named by every
    cost refusal. They are passed to the library through DEEPRG_MAX_MEMORY / DEEPRG_MAX_HOURS."""

    def set_env(ctx, param, value):
        if value is None:
            return value
        name = {"max_memory": "DEEPRG_MAX_MEMORY", "max_hours": "DEEPRG_MAX_HOURS"}[param.name]
        if param.name == "max_memory":
            from deeprg.utils import parse_size

            parse_size(value)
        elif not (math.isfinite(value) and value > 0):
            raise click.BadParameter(f"must be a positive number of hours, got {value}")
        old = os.environ.get(name)
        os.environ[name] = str(value)

        def restore():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old

        ctx.call_on_close(restore)
        return value

    func = click.option(
        "--max-hours",
        type=float,
        default=None,
        expose_value=False,
        callback=set_env,
        help="Refuse requests estimated to run longer (default 24).",
    )(func)
    return click.option(
        "--max-memory",
        default=None,
        expose_value=False,
        callback=set_env,
        metavar="SIZE",
        help="Refuse requests needing more memory, e.g. 16G (default: 80% of available).",
    )(func)


#: |K|, |h| above this freeze every spin and overflow e^{2K}-type terms; K_c = 0.44 in 2D.
MAX_COUPLING = 100.0


class CouplingFloat(FiniteFloat):
    """A finite coupling (K, h, J) with |value| <= MAX_COUPLING."""

    name = "float"

    def convert(self, value, param, ctx):
        out = super().convert(value, param, ctx)
        if abs(out) > MAX_COUPLING:
            self.fail(
                f"|{out:g}| is beyond {MAX_COUPLING:g}: every spin is frozen long before (K_c = 0.44), "
                "and e^(2K) overflows",
                param,
                ctx,
            )
        return out


COUPLING = CouplingFloat()


def check_finite_result(data: dict, what: str) -> None:
    """Refuse to print a result with nan/inf numbers: the input was outside the numerics' range."""
    bad = [k for k, v in data.items() if isinstance(v, float) and not math.isfinite(v)]
    if bad:
        raise bad_input(f"{what}: {', '.join(bad)} overflow in float64 for these inputs; use smaller values")


def check_sampling_cost(n_sites: int, n: int, chains, burn_in, decorrelate) -> None:
    """Memory and time of a sampling request, before any chain starts."""
    n_chains = min(n, 32) if chains is None else chains
    burn = 0 if burn_in == "auto" else burn_in
    thin = 1 if decorrelate == "auto" else decorrelate
    sweeps = burn + -(-n // max(n_chains, 1)) * thin
    check_cost(
        f"sampling {n} configurations of {n_sites} spins ({n_chains} chains, {sweeps} sweeps each)",
        nbytes=3.0 * n * n_sites + 16.0 * n_chains * n_sites,
        spin_updates=float(n_chains) * n_sites * sweeps,
    )


#: AIS schedules beyond this are past any published one (Salakhutdinov & Murray 2008 used 14,500).
MAX_AIS_BETAS = 1_000_000


def check_training_cost(
    n_samples: int, sizes: list[int], *, epochs: int, k: int, chains: int, batch: int = 100
) -> None:
    """Memory and time of training RBM layers ``sizes[i] x sizes[i+1]``, before allocation.

    Every Gibbs step samples (batch + chains) x units random unit values; those draws are
    counted like spin updates, the matrix products as flops."""
    from itertools import pairwise

    weights = sum(a * b for a, b in pairwise(sizes))
    units = sum(sizes)
    rows = n_samples + chains
    check_cost(
        f"training {'x'.join(str(s) for s in sizes)} units on {n_samples} samples for {epochs} epochs (k={k})",
        nbytes=8.0 * (6 * weights + 3 * rows * units),
        flops=4.0 * epochs * (k + 2) * rows * weights,
        spin_updates=float(epochs) * -(-n_samples // max(batch, 1)) * (k + 1) * (batch + chains) * units,
        python_steps=float(epochs) * (n_samples / 10 + 1) * (k + 2),
    )


def check_ais_cost(n_visible: int, n_hidden: int, runs: int, betas: int) -> None:
    """--ais-runs/--ais-betas ranges and the cost of forward and reverse AIS."""
    check_count(runs, "--ais-runs", 1)
    check_count(betas, "--ais-betas", 10, MAX_AIS_BETAS)
    check_cost(
        f"AIS with {runs} runs x {betas} temperatures on a {n_visible}x{n_hidden} RBM",
        nbytes=8.0 * (4 * betas + 4 * runs * (n_visible + n_hidden) + 2 * n_visible * n_hidden),
        flops=16.0 * runs * betas * n_visible * n_hidden,
        python_steps=8.0 * betas,
    )


def int_or_auto(value, option: str, minimum: int):
    """An integer >= minimum or the string 'auto' (--burn-in, --decorrelate); else exit 2."""
    if str(value).strip().lower() == "auto":
        return "auto"
    try:
        out = int(value)
    except ValueError:
        raise bad_input(f"{option} must be an integer >= {minimum} or 'auto', got {value!r}") from None
    if out < minimum:
        raise bad_input(f"{option} must be an integer >= {minimum} or 'auto', got {out}")
    return out
