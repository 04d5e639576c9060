import json

import numpy as np
import pytest

from deeprg.cli import main
from deeprg.data import read_dataset
from deeprg.exact import kaufman_thermo


def run(args, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def test_sample_then_observe(tmp_path, capsys):
    out = tmp_path / "w.h5"
    args = ["sample", "ising2d", "--L", "8", "--K", "0.35", "--n", "1200", "--algo", "sw", "--seed", "5"]
    code, stdout, _ = run([*args, "--out", str(out), "--json"], capsys)
    assert code == 0 and json.loads(stdout)["n_samples"] == 1200
    ds = read_dataset(out)
    assert ds.configs.shape == (1200, 8, 8) and ds.attrs["algorithm"] == "sw" and ds.attrs["seed"] == 5
    assert "tau_int_abs_magnetization" in ds.attrs
    code, stdout, _ = run(["observe", str(out), "--json"], capsys)
    obs = json.loads(stdout)
    ref = kaufman_thermo(8, 0.35).energy_per_site
    assert code == 0 and abs(obs["energy_per_site"]["value"] - ref) < 4 * obs["energy_per_site"]["error"]
    for key in (
        "energy_per_site",
        "abs_magnetization",
        "susceptibility",
        "specific_heat",
        "binder",
        "tau_int",
    ):
        assert key in obs
    # the same seed gives the same configurations
    out2 = tmp_path / "w2.h5"
    assert run([*args, "--out", str(out2), "--json"], capsys)[0] == 0
    np.testing.assert_array_equal(read_dataset(out2).configs, ds.configs)


def test_sample_ising1d(tmp_path, capsys):
    out = tmp_path / "c.h5"
    code, _, _ = run(
        ["sample", "ising1d", "--L", "20", "--K", "0.5", "--h", "0.2", "--n", "100", "--out", str(out)],
        capsys,
    )
    assert code == 0 and read_dataset(out).configs.shape == (100, 20)


@pytest.mark.parametrize(
    "args,needle",
    [
        (["sample", "ising2d", "--L", "1", "--K", "0.4", "--n", "10"], "--L"),
        (["sample", "ising2d", "--L", "4", "--K", "0", "--n", "10"], "--K"),
        (["sample", "ising2d", "--L", "4", "--K", "0.4", "--n", "0"], "--n"),
        (["sample", "ising2d", "--L", "4", "--K", "0.4", "--n", "10", "--algo", "magic"], "--algo"),
        (
            ["sample", "ising2d", "--L", "4", "--K", "0.4", "--n", "10", "--algo", "wolff", "--h", "0.1"],
            "field",
        ),
        (
            ["sample", "ising2d", "--L", "4", "--K", "0.4", "--n", "10", "--decorrelate", "often"],
            "--decorrelate",
        ),
        (["sample", "ising2d", "--L", "4", "--K", "0.4", "--n", "10", "--burn-in", "-3"], "--burn-in"),
    ],
)
def test_sample_bad_input(args, needle, tmp_path, capsys):
    code, _, err = run([*args, "--out", str(tmp_path / "x.h5")], capsys)
    assert code == 2 and needle in err and err.count("\n") == 1
    assert not (tmp_path / "x.h5").exists()


def test_observe_bad_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.h5"
    bad.write_text("not hdf5")
    code, _, err = run(["observe", str(bad), "--json"], capsys)
    assert code == 2 and "not an HDF5 file" in err
    code, _, err = run(["observe", str(tmp_path / "none.h5")], capsys)
    assert code == 2 and "no such file" in err
