"""Every command, driven with bad inputs: exit code 2, one line on stderr, no traceback, and
nothing written. The table holds the cases measured in the robustness audit (sizes and run
lengths that would exhaust memory or run for days, outputs that cannot be written, forged input
files, out-of-range hyperparameters and seeds)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import h5py
import numpy as np
import pytest

from deeprg.cli._app import cli
from deeprg.cli._common import run_cli

ROOT = os.geteuid() == 0


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    """A folder of good and bad inputs (tiny)."""
    import torch

    from deeprg.data import write_dataset
    from deeprg.nn import RBM, save_model

    d = tmp_path_factory.mktemp("fuzz")
    rng = np.random.default_rng(0)
    spins = np.where(rng.random((60, 4, 4)) < 0.5, 1, -1).astype(np.int8)
    write_dataset(d / "good.h5", spins, {"model": "ising2d", "K": 0.4, "h": 0.0, "algorithm": "x", "seed": 0})
    np.save(d / "good.npy", (rng.random((60, 16)) < 0.4).astype(np.int8))
    save_model(RBM(16, 4, seed=0), d / "model")
    # an 8 KB HDF5 file that declares 4e6 x 40 x 40 spins and stores none of them
    with h5py.File(d / "forged.h5", "w") as f:
        f.create_dataset("configs", shape=(4_000_000, 40, 40), dtype=np.int8, chunks=(1000, 40, 40))
        for k, v in {"model": "ising2d", "K": 0.4, "h": 0.0, "algorithm": "x", "seed": 0}.items():
            f.attrs[k] = v
        f.attrs["deeprg_version"] = "0"
    # /configs is an external link into another file
    with h5py.File(d / "extlink.h5", "w") as f:
        f["configs"] = h5py.ExternalLink(str(d / "good.h5"), "/configs")
        for k, v in {"model": "ising2d", "K": 0.4, "h": 0.0, "algorithm": "x", "seed": 0}.items():
            f.attrs[k] = v
        f.attrs["deeprg_version"] = "0"
    # a .npy header that claims far more data than the file holds
    good = (d / "good.npy").read_bytes()
    header = good[: good.index(b"\n") + 1].replace(b"(60, 16)", b"(60000000, 16)")
    (d / "lying.npy").write_bytes(header + good[len(header) :])
    np.save(d / "complex.npy", np.ones((10, 4), dtype=complex))
    np.save(d / "strings.npy", np.array([["0", "1"], ["1", "0"]]))
    # a model whose config.json declares 200000 visible units beside 16x4 weights
    big = d / "model_big"
    big.mkdir()
    for name in ("weights.safetensors", "config.json"):
        (big / name).write_bytes((d / "model" / name).read_bytes())
    cfg = json.loads((big / "config.json").read_text())
    cfg["rbm"]["n_visible"] = 200000
    (big / "config.json").write_text(json.dumps(cfg))
    (d / "plainfile.txt").write_text("not a folder\n")
    (d / "a_folder").mkdir()
    ro = d / "readonly"
    ro.mkdir()
    ro.chmod(0o555)
    del torch
    return d


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


T = "{d}"
CASES = [
    # exact: values the numerics cannot represent, sizes past the Kaufman limit
    ["exact", "ising1d", "--n", "5", "--K", "1e308"],
    ["exact", "ising1d", "--n", "5", "--K", "0.5", "--h", "1e308"],
    ["exact", "ising2d", "--L", "4", "--K", "1e308"],
    ["exact", "ising2d", "--L", "inf", "--K", "1e308"],
    ["exact", "ising2d", "--L", "1000", "--M", "100000000", "--K", "0.4"],
    # sample: sizes, run lengths, seeds, outputs
    ["sample", "ising2d", "--L", "100000", "--K", "0.4", "--n", "10", "--out", f"{T}/o.h5"],
    ["sample", "ising2d", "--L", "4", "--K", "0.4", "--n", str(10**12), "--out", f"{T}/o.h5"],
    [
        "sample",
        "ising2d",
        "--L",
        "4",
        "--K",
        "0.4",
        "--n",
        "10",
        "--burn-in",
        str(10**12),
        "--out",
        f"{T}/o.h5",
    ],
    ["sample", "ising1d", "--L", "8", "--K", "0.4", "--n", "10", "--seed", str(2**70), "--out", f"{T}/o.h5"],
    ["sample", "ising1d", "--L", "8", "--K", "0.4", "--n", "10", "--seed", "-1", "--out", f"{T}/o.h5"],
    ["sample", "ising1d", "--L", "8", "--K", "0.4", "--n", "10", "--out", ""],
    ["sample", "ising1d", "--L", "8", "--K", "0.4", "--n", "10", "--out", f"{T}/a_folder"],
    ["sample", "ising1d", "--L", "8", "--K", "0.4", "--n", "10", "--out", "/dev/null"],
    ["sample", "ising1d", "--L", "8", "--K", "0.4", "--n", "10", "--out", f"{T}/plainfile.txt/o.h5"],
    ["sample", "ising1d", "--L", "8", "--K", "0.4", "--n", "0", "--out", f"{T}/o.h5"],
    ["sample", "ising1d", "--L", "8", "--K", "0.4", "--n", "10", "--chains", "0", "--out", f"{T}/o.h5"],
    # observe: forged and foreign files
    ["observe", f"{T}/forged.h5"],
    ["observe", f"{T}/extlink.h5"],
    ["observe", f"{T}/plainfile.txt"],
    ["observe", f"{T}/missing.h5"],
    # rg
    ["rg", "mk", "--b", "1000000000"],
    ["rg", "decimate1d", "--K", "1e308"],
    ["rg", "block", f"{T}/good.h5", "--out", f"{T}/a_folder"],
    ["rg", "block", f"{T}/good.h5", "--seed", "-1", "--out", f"{T}/b.h5"],
    ["rg", "block", f"{T}/forged.h5", "--out", f"{T}/b.h5"],
    ["rg", "couplings", f"{T}/extlink.h5"],
    ["rg", "mcrg", "--L", "65536", "--K", "0.4", "--samples", "100"],
    # train: outputs first, then sizes, ranges, forged data
    ["train", "rbm", f"{T}/good.npy", "--hidden", "4", "--out", f"{T}/plainfile.txt"],
    ["train", "rbm", f"{T}/good.npy", "--hidden", "4", "--out", ""],
    ["train", "rbm", f"{T}/good.npy", "--hidden", "4", "--out", "/dev/null"],
    [
        "train",
        "rbm",
        f"{T}/good.npy",
        "--hidden",
        "4",
        "--checkpoint",
        f"{T}/plainfile.txt",
        "--out",
        f"{T}/m",
    ],
    ["train", "rbm", f"{T}/good.npy", "--hidden", "1000000000", "--out", f"{T}/m"],
    ["train", "rbm", f"{T}/good.npy", "--hidden", "4", "--k", "1000000000", "--out", f"{T}/m"],
    ["train", "rbm", f"{T}/good.npy", "--hidden", "4", "--momentum", "5", "--out", f"{T}/m"],
    ["train", "rbm", f"{T}/good.npy", "--hidden", "4", "--seed", "-1", "--out", f"{T}/m"],
    ["train", "rbm", f"{T}/good.npy", "--hidden", "4", "--seed", str(2**70), "--out", f"{T}/m"],
    ["train", "rbm", f"{T}/lying.npy", "--hidden", "4", "--out", f"{T}/m"],
    ["train", "rbm", f"{T}/complex.npy", "--hidden", "4", "--out", f"{T}/m"],
    ["train", "rbm", f"{T}/strings.npy", "--hidden", "4", "--out", f"{T}/m"],
    ["train", "rbm", f"{T}/forged.h5", "--hidden", "4", "--out", f"{T}/m"],
    ["train", "dbn", f"{T}/good.npy", "--layers", "16,1000000000", "--out", f"{T}/m"],
    # eval
    ["eval", f"{T}/model", f"{T}/good.npy", "--ais-runs", "0"],
    ["eval", f"{T}/model", f"{T}/good.npy", "--ais-betas", "100000000"],
    ["eval", f"{T}/model", f"{T}/good.npy", "--seed", "-1"],
    ["eval", f"{T}/model_big", f"{T}/good.npy"],
    # vrg
    ["vrg", "decimation1d", "--K", "1e308"],
    ["vrg", "analyze", f"{T}/model", f"{T}/good.h5", "--radius", "-1"],
    ["vrg", "analyze", f"{T}/model", f"{T}/good.h5", "--max-samples", "-1"],
    # cheap
    ["cheap", "compile", "x0^1000000"],
    ["cheap", "compile", "x100000000*x1"],
    ["cheap", "compile", "x0*x1", "--seed", "-1"],
    # reproduce
    ["reproduce", "ising-exact", "--out", f"{T}/plainfile.txt"],
    ["reproduce", "ising-exact", "--out", ""],
    ["reproduce", "no-such-experiment", "--out", f"{T}/r"],
    # sweep
    ["sweep", "sample", "ising2d", "--K", "0.4", "--L", "100000", "--n", "10", "--out", f"{T}/s"],
    [
        "sweep",
        "sample",
        "ising2d",
        "--K",
        "0.4",
        "--L",
        "4",
        "--n",
        "10",
        "--seed",
        str(2**70),
        "--out",
        f"{T}/s",
    ],
    ["sweep", "sample", "ising2d", "--K", "0.4", "--L", "4", "--n", "10", "--out", f"{T}/plainfile.txt"],
    ["sweep", "observe", f"{T}/plainfile.txt"],
    # the root group's overrides
    ["--max-memory", "lots", "info"],
    ["--max-hours", "-1", "info"],
]
if not ROOT:  # permissions do not bind root
    CASES += [
        ["sample", "ising1d", "--L", "8", "--K", "0.4", "--n", "10", "--out", f"{T}/readonly/o.h5"],
        ["train", "rbm", f"{T}/good.npy", "--hidden", "4", "--out", f"{T}/readonly/m"],
        ["reproduce", "ising-exact", "--out", f"{T}/readonly/r"],
    ]


@pytest.mark.parametrize("args", CASES, ids=[" ".join(c)[:60] for c in CASES])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(files, args, capsys):
    argv = [a.replace(T, str(files)) for a in args]
    before = _tree(files)
    code = run_cli(cli, argv)
    out = capsys.readouterr()
    lines = [line for line in out.err.splitlines() if line.strip()]
    assert code == 2, (code, out.err)
    assert len(lines) == 1 and lines[0].startswith("deeprg: error:"), out.err
    assert "Traceback" not in out.err + out.out
    assert _tree(files) == before


def test_memory_override_is_named_and_honoured(files, capsys):
    argv = ["sample", "ising1d", "--L", "8", "--K", "0.4", "--n", str(10**11), "--out", str(files / "o.h5")]
    assert run_cli(cli, argv) == 2
    assert "--max-memory" in capsys.readouterr().err
    # a small enough request passes the check even under a tight explicit limit
    argv = ["--max-memory", "1M", *argv[:7], "64", "--chains", "2", "--out", str(files / "ok.h5"), "--json"]
    assert run_cli(cli, argv) == 0, capsys.readouterr().err
    (files / "ok.h5").unlink()
    assert "DEEPRG_MAX_MEMORY" not in os.environ
