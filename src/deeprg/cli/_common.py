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
    except Exception as exc:
        if os.environ.get("DEEPRG_DEBUG"):
            traceback.print_exc()
        click.echo(
            f"deeprg: internal error: {type(exc).__name__}: {_one_line(str(exc))} "
            "(set DEEPRG_DEBUG=1 for a traceback, and please report it)",
            err=True,
        )
        return EXIT_INTERNAL
    return EXIT_OK


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
    required: bool = True, default_K: float | None = None, help_K: str = "Coupling K = J/(k_B T) (> 0)."
):
    """``--K`` and ``--T`` (temperature in units of J/k_B, K = 1/T): give exactly one.

    The decorated command receives ``K`` only. With ``required=False`` and neither given,
    ``K = default_K``.
    """

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
            "--T", "T", type=FINITE, default=None, help="Temperature in units of J/k_B (instead of --K)."
        )(wrapper)
        wrapper = click.option("--K", "K", type=FINITE, default=None, help=help_K)(wrapper)
        return wrapper

    return decorator


def examples(*lines: str) -> str:
    """A click epilog: 'Examples:' and one command per line, kept as written."""
    body = "\n".join(f"  {line}" for line in lines)
    return f"\b\nExamples:\n{body}"


def bad_input(message: str) -> InputError:
    """An :class:`InputError` for CLI-level checks (exit code 2)."""
    return InputError(message)
