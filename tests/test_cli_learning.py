import json

import numpy as np
import pytest

from deeprg.cli import main
from deeprg.data import write_dataset


def run(args, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


@pytest.fixture
def dataset(tmp_path):
    configs = np.random.default_rng(0).choice(np.array([-1, 1], dtype=np.int8), size=(300, 6, 6))
    return write_dataset(
        tmp_path / "d.h5", configs, {"model": "ising2d", "K": 0.3, "h": 0.0, "algorithm": "x", "seed": 0}
    )


def test_train_eval_round_trip(dataset, tmp_path, capsys):
    code, out, _ = run(
        [
            "train",
            "rbm",
            str(dataset),
            "--hidden",
            "6",
            "--epochs",
            "2",
            "--out",
            str(tmp_path / "m"),
            "--quiet",
            "--json",
        ],
        capsys,
    )
    assert code == 0 and json.loads(out)["n_hidden"] == 6
    code, out, _ = run(["eval", str(tmp_path / "m"), str(dataset), "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["log_likelihood"]["method"] == "exact" and data["free_energy_gap"] is not None
    code, out, _ = run(
        [
            "train",
            "dbn",
            str(dataset),
            "--layers",
            "36,16,4",
            "--epochs",
            "1",
            "--out",
            str(tmp_path / "d"),
            "--quiet",
            "--json",
        ],
        capsys,
    )
    assert code == 0
    code, out, _ = run(["eval", str(tmp_path / "d"), str(dataset), "--json"], capsys)
    assert code == 0 and json.loads(out)["type"] == "dbn"


def test_training_resumes_from_a_checkpoint(dataset, tmp_path, capsys):
    other = np.where(np.random.default_rng(5).random((300, 36)) < 0.5, 1, -1).astype(np.int8)
    np.save(tmp_path / "other.npy", other)
    args = [
        "train",
        "rbm",
        str(dataset),
        "--hidden",
        "4",
        "--epochs",
        "2",
        "--checkpoint",
        str(tmp_path / "ck"),
        "--quiet",
    ]
    assert run([*args, "--out", str(tmp_path / "a")], capsys)[0] == 0
    assert [p.name for p in (tmp_path / "ck").iterdir()] == ["checkpoint.safetensors"]
    # the same run resumes and writes the same model; other data in the same folder is refused
    assert run([*args, "--out", str(tmp_path / "b")], capsys)[0] == 0
    weights = [(tmp_path / m / "weights.safetensors").read_bytes() for m in ("a", "b")]
    assert weights[0] == weights[1]
    code, _, err = run(
        [*args[:2], str(tmp_path / "other.npy"), *args[3:], "--out", str(tmp_path / "c")], capsys
    )
    assert code == 2 and "other data" in err and not (tmp_path / "c").exists()


@pytest.mark.parametrize(
    "make_args,needle",
    [
        (
            lambda d, t: ["train", "rbm", str(t / "nope.h5"), "--hidden", "4", "--out", str(t / "m")],
            "no such file",
        ),
        (lambda d, t: ["train", "rbm", str(d), "--hidden", "0", "--out", str(t / "m")], "--hidden"),
        (lambda d, t: ["train", "rbm", str(d), "--hidden", "4", "--lr", "-1", "--out", str(t / "m")], "lr"),
        (
            lambda d, t: [
                "train",
                "rbm",
                str(d),
                "--hidden",
                "4",
                "--method",
                "tap",
                "--visible",
                "spin",
                "--out",
                str(t / "m"),
            ],
            "tap",
        ),
        (lambda d, t: ["train", "dbn", str(d), "--layers", "10,4", "--out", str(t / "m")], "--layers"),
        (lambda d, t: ["train", "dbn", str(d), "--layers", "36,x", "--out", str(t / "m")], "--layers"),
        (lambda d, t: ["eval", str(t), str(d)], "config.json"),
        (
            lambda d, t: ["train", "rbm", str(d), "--hidden", "4", "--device", "cuda", "--out", str(t / "m")],
            "cuda",
        ),
    ],
)
def test_learning_cli_bad_input(make_args, needle, dataset, tmp_path, capsys):
    import torch

    if "cuda" in needle and torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    code, _, err = run(make_args(dataset, tmp_path), capsys)
    assert code == 2 and needle in err and err.count("\n") == 1
