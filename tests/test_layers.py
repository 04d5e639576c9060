"""The architecture rule: a lower layer never imports a higher one (DESIGN.md)."""

import ast
from pathlib import Path

import deeprg

# Rank of each top-level subpackage; an import is allowed only from equal or lower rank.
RANK = {
    "errors": 0,
    "utils": 0,
    "_cite": 0,
    "_info": 0,
    "lattice": 1,
    "models": 2,
    "exact": 3,
    "sampling": 4,
    "stats": 4,
    "data": 4,
    "rg": 5,
    "nn": 5,
    "sweep": 5,
    "vrg": 6,
    "cheap": 6,
    "hopfield": 6,
    "experiments": 7,
    "report": 8,
    "cli": 9,
    "__main__": 9,
}
ROOT = Path(deeprg.__file__).parent


def _package_of(path: Path) -> str:
    rel = path.relative_to(ROOT)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name


def test_every_subpackage_has_a_rank():
    for path in ROOT.iterdir():
        if path.name in {"__init__.py", "__pycache__"} or path.name == "py.typed":
            continue
        name = path.name.removesuffix(".py")
        assert name in RANK, f"add {name} to RANK in tests/test_layers.py"


def test_lower_layers_never_import_higher_ones():
    violations = []
    for path in ROOT.rglob("*.py"):
        if path.name == "__init__.py" and path.parent == ROOT:
            continue
        own = _package_of(path)
        for module in _imports(path):
            parts = module.split(".")
            if parts[0] != "deeprg" or len(parts) < 2:
                continue
            target = parts[1]
            if target in RANK and RANK[target] > RANK[own]:
                violations.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not violations, "\n".join(violations)


def test_core_does_not_import_matplotlib():
    """Only deeprg.report plots (STYLE.md: narrow core, plotting at the edge)."""
    offenders = [
        str(p.relative_to(ROOT))
        for p in ROOT.rglob("*.py")
        if _package_of(p) not in {"report"} and any(m.startswith("matplotlib") for m in _imports(p))
    ]
    assert not offenders
