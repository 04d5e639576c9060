"""Shared CLI plumbing: the exit-code contract, output and argument types."""

from __future__ import annotations

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
    """Print a result: JSON (``--json``) or aligned ``key: value`` lines."""
    if as_json:
        sys.stdout.write(json.dumps(_clean(data), indent=2) + "\n")
        return
    width = max((len(k) for k in data), default=0)
    for key, value in data.items():
        if isinstance(value, float):
            value = f"{value:.12g}"
        elif isinstance(value, list | dict):
            value = json.dumps(_clean(value))
        click.echo(f"{key:<{width}}  {value}")


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


def bad_input(message: str) -> InputError:
    """An :class:`InputError` for CLI-level checks (exit code 2)."""
    return InputError(message)
