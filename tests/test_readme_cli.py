"""Every command of the README's command-line block runs, in order, at reduced sizes."""

import re
import shlex
from pathlib import Path

import pytest

from deeprg.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"

#: (pattern, replacement): the README's sizes scaled down to test size. Every rule must match
#: at least once, so a README change that escapes the table fails here instead of running big.
SHRINK = [
    (r"--L 40 ", "--L 8 "),
    (r"--n 20000 ", "--n 200 "),
    (r"rg mcrg --L 64", "rg mcrg --L 16"),
    (r"--samples 20000", "--samples 300"),
    (r"--levels 3", "--levels 1"),
    (r"--hidden 400", "--hidden 8"),
    (r"--epochs 20", "--epochs 1"),
    (r"--layers 1600,400,100,25", "--layers 64,16,4"),
    (r"--K 0.40:0.48:17 --L 16,32,64 --seeds 4 --n 2000", "--K 0.40:0.48:2 --L 4 --seeds 1 --n 32"),
    (r"(sweep sample .*)$", r"\1 --scheduler serial"),
    (
        r"reproduce mcrg-2d --preset paper",
        "reproduce mcrg-2d --set L=16 --set samples=400 --set levels=1 --set flow_L=16 "
        "--set flow_samples=200 --set flow_levels=1",
    ),
]


def readme_commands() -> list[str]:
    text = README.read_text()
    block = text[text.index("## The command line") :]
    block = block[block.index("```bash\n") + 8 :]
    block = block[: block.index("```")]
    return [
        line.split("deeprg ", 1)[1] for line in block.splitlines() if line.startswith(".venv/bin/deeprg ")
    ]


def test_readme_commands_run_in_order(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    used = [0] * len(SHRINK)
    commands = readme_commands()
    assert len(commands) >= 20
    for command in commands:
        for i, (pattern, replacement) in enumerate(SHRINK):
            command, n = re.subn(pattern, replacement, command)
            used[i] += n
        with pytest.raises(SystemExit) as info:
            main(shlex.split(command, comments=True))
        out = capsys.readouterr()
        assert info.value.code == 0, f"deeprg {command}\n{out.err[-2000:]}"
    assert all(used), [SHRINK[i][0] for i, n in enumerate(used) if not n]
