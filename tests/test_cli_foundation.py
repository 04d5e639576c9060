import json
import subprocess
import sys

import pytest

from deeprg.cli import main
from deeprg.exact import K_CRITICAL, chain_thermo, kaufman_thermo, onsager_thermo


def run(args, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def test_info_json(capsys):
    code, out, _ = run(["info", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and "torch" in data and data["dependencies"]["numpy"]


def test_exact_ising2d_json_equals_library(capsys):
    code, out, _ = run(["exact", "ising2d", "--L", "8", "--M", "6", "--K", "0.41", "--json"], capsys)
    data = json.loads(out)
    ref = kaufman_thermo(8, 0.41, 6)
    assert code == 0
    for key in ("log_z", "log_z_per_site", "energy_per_site", "specific_heat_per_site"):
        assert data[key] == ref.to_dict()[key]


def test_exact_ising2d_onsager(capsys):
    code, out, _ = run(["exact", "ising2d", "--L", "inf", "--K", "0.5", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["magnetization"] == onsager_thermo(0.5).magnetization
    assert data["K_c"] == K_CRITICAL


def test_exact_ising1d_json_equals_library(capsys):
    code, out, _ = run(
        ["exact", "ising1d", "--n", "11", "--K", "0.5", "--h", "0.2", "--open", "--json"], capsys
    )
    data = json.loads(out)
    assert code == 0 and data["log_z"] == chain_thermo(11, 0.5, 0.2, periodic=False).log_z


@pytest.mark.parametrize(
    "args,needle",
    [
        (["exact", "ising2d", "--L", "1", "--K", "0.3"], "at least 2"),
        (["exact", "ising2d", "--L", "x", "--K", "0.3"], "--L"),
        (["exact", "ising2d", "--L", "4", "--K", "abc"], "--K"),
        (["exact", "ising2d", "--L", "4", "--K", "nan"], "finite"),
        (["exact", "ising2d", "--L", "4", "--K", "inf"], "finite"),
        (["exact", "ising2d", "--L", "4", "--K", "0"], "> 0"),
        (["exact", "ising2d", "--L", "inf", "--M", "3", "--K", "0.3"], "--M"),
        (["exact", "ising1d", "--n", "1", "--K", "0.3"], "--n"),
        (["exact", "ising1d", "--n", "5", "--K", "-0.3"], "--K"),
        (["exact", "ising1d", "--n", "5"], "--K"),
        (["exact", "ising1d", "--n", "5", "--K", "1", "--bogus"], "bogus"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, needle, capsys):
    code, _out, err = run(args, capsys)
    assert code == 2
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err


def test_console_script_runs_as_a_process():
    proc = subprocess.run(
        [sys.executable, "-m", "deeprg", "exact", "ising2d", "--L", "0", "--K", "1"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
