"""MkDocs hooks: the command-line reference is generated from the click commands themselves.

``docs/cli.md`` holds the marker ``<!-- deeprg-cli -->``; it is replaced by the ``--help`` text
of every command, so the page can never drift from the code.
"""

from __future__ import annotations

import click

MARKER = "<!-- deeprg-cli -->"


def _walk(command: click.Command, path: list[str]):
    yield path, command
    if isinstance(command, click.Group):
        for name in sorted(command.list_commands(None)):
            yield from _walk(command.get_command(None, name), [*path, name])


def cli_reference() -> str:
    """Markdown for every deeprg command: a heading and its help text in a code block."""
    from deeprg.cli._app import cli

    parts = []
    for path, command in _walk(cli, ["deeprg"]):
        name = " ".join(path)
        ctx = click.Context(command, info_name=name, terminal_width=100, max_content_width=100)
        level = "#" * min(len(path) + 1, 4)
        parts.append(f"{level} `{name}`\n\n```text\n{command.get_help(ctx)}\n```\n")
    return "\n".join(parts)


def on_page_markdown(markdown: str, page, config, files) -> str:
    if MARKER in markdown:
        return markdown.replace(MARKER, cli_reference())
    return markdown
