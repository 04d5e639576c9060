"""The README's library example, run verbatim at a reduced size: it must train."""

import math
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def library_block() -> str:
    text = README.read_text()
    section = text.split("## The library", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README's library section has no python block"
    return match.group(1)


def test_readme_library_example_trains_at_a_reduced_size(capsys):
    block = library_block()
    # the sizes this test reduces must be in the block as written
    for literal in ("SquareLattice(32)", "1024", "sample(state, 1000)", "kaufman_thermo(32"):
        assert literal in block
    small = (
        block.replace("SquareLattice(32)", "SquareLattice(8)")
        .replace("1024", "64")
        .replace("sample(state, 1000)", "sample(state, 125)")
        .replace("kaufman_thermo(32", "kaufman_thermo(8")
        .replace("lr=0.003", "lr=0.05")  # lr ~ 3 / n_visible (docs/training.md)
    )
    namespace: dict = {}
    exec(compile(small, "README.md (library, reduced)", "exec"), namespace)
    history = namespace["history"]
    lls = [r["train_log_likelihood"] for r in history if "train_log_likelihood" in r]
    uniform = -64 * math.log(2)
    assert len(lls) >= 2 and lls[-1] > lls[0], lls
    assert lls[-1] > uniform + 10, (lls, uniform)
    assert history[-1].get("stop_reason") is None
    assert capsys.readouterr().out.strip()


@pytest.mark.slow
def test_readme_library_example_trains_verbatim():
    namespace: dict = {}
    exec(compile(library_block(), "README.md (library)", "exec"), namespace)
    lls = [r["train_log_likelihood"] for r in namespace["history"] if "train_log_likelihood" in r]
    assert lls[-1] > lls[0] and lls[-1] > -1024 * math.log(2)
