"""The ``deeprg`` command line. Thin: it parses, calls the library and prints."""

from deeprg.cli._app import cli, main

__all__ = ["cli", "main"]
