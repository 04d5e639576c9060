"""Nothing lost, nothing wrong, nothing let in: atomic durable writes, checkpoints that survive a
kill at every write boundary, run identities, OS errors as exit code 2, escaped reports and
reruns that leave no stale outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from deeprg.errors import CheckpointError, OutputError
from deeprg.utils import (
    atomic_dir,
    atomic_write_json,
    atomic_write_text,
    check_output_dir,
    check_output_file,
    clean_stale_temporaries,
)

ROOT = os.geteuid() == 0
SRC = str(Path(__file__).resolve().parents[1] / "src")


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_atomic_writes_follow_the_umask_and_leave_no_temporaries(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_json(tmp_path / "a.json", {"x": 1})
        (tmp_path / "m").mkdir()
        with atomic_dir(tmp_path / "model") as tmp:
            (tmp / "w.bin").write_bytes(b"1")
    finally:
        os.umask(old)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "model").stat().st_mode & 0o777 == 0o755
    assert not [p for p in tmp_path.iterdir() if ".deeprg-tmp" in p.name]


def test_temporaries_of_killed_writers_are_cleaned_on_the_next_write(tmp_path):
    pid = _dead_pid()
    stale = tmp_path / f".a.json.{pid}-deadbeef.deeprg-tmp.tmp"
    stale.write_text("half a file")
    alive = tmp_path / f".a.json.{os.getpid()}-0badcafe.deeprg-tmp.tmp"  # a live writer's: kept
    alive.write_text("in progress")
    parked = tmp_path / f".model.{pid}-0123abcd-old.deeprg-tmp"  # a swap cut between its renames
    parked.mkdir()
    (parked / "config.json").write_text("{}")
    atomic_write_text(tmp_path / "a.json", "new")
    assert not stale.exists() and alive.exists()
    clean_stale_temporaries(tmp_path)  # what every run-folder write does
    assert (tmp_path / "model" / "config.json").exists() and not parked.exists()


def test_a_folder_is_swapped_in_whole(tmp_path):
    target = tmp_path / "model"
    with atomic_dir(target) as tmp:
        (tmp / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_dir(target) as tmp:
            (tmp / "new.txt").write_text("new")
            raise RuntimeError("writer failed")
    assert sorted(p.name for p in target.iterdir()) == ["old.txt"]
    with atomic_dir(target) as tmp:
        (tmp / "new.txt").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


@pytest.mark.parametrize(
    "path,kind,needle",
    [
        ("", "file", "empty"),
        ("{d}", "file", "folder"),
        ("{d}/f.txt/x", "file", "not a folder"),
        ("/dev/null", "file", "device"),
        ("{d}/f.txt", "dir", "a file"),
        ("/dev/null", "dir", "device"),
        ("{d}/" + "x" * 300, "file", "too long"),
    ],
)
def test_outputs_are_refused_before_any_work(tmp_path, path, kind, needle):
    (tmp_path / "f.txt").write_text("x")
    check = check_output_file if kind == "file" else check_output_dir
    with pytest.raises(OutputError, match=needle):
        check(path.replace("{d}", str(tmp_path)))


@pytest.mark.skipif(ROOT, reason="permissions do not bind root")
def test_permission_errors_are_output_errors(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="not writable"):
            check_output_file(ro / "x.h5")
        with pytest.raises(OutputError, match="Permission denied"):
            atomic_write_text(ro / "x.txt", "x")
    finally:
        ro.chmod(0o755)


_KILL_DRIVER = """
import json, os, sys
os.environ["OMP_NUM_THREADS"] = "1"
import numpy as np
import torch
torch.set_num_threads(1)
import deeprg.utils._atomic as atomic
from deeprg.cli import main

work = sys.argv[1]
data = (np.random.default_rng(0).random((200, 16)) < 0.3).astype(np.int8)
np.save(os.path.join(work, "data.npy"), data)
from deeprg.data import write_dataset
spins = np.where(np.random.default_rng(1).random((400, 32, 32)) < 0.5, 1, -1).astype(np.int8)
write_dataset(os.path.join(work, "spins.h5"), spins, {"model": "ising2d", "K": 0.3, "h": 0.0, "algorithm": "x", "seed": 0})

def argv(tag):
    return ["train", "rbm", os.path.join(work, "data.npy"), "--hidden", "4", "--epochs", "2",
            "--batch", "50", "--chains", "20", "--quiet", "--checkpoint", os.path.join(work, tag, "ck"),
            "--out", os.path.join(work, tag, "model")]

def in_child(tag, kill_at):
    pid = os.fork()
    if pid == 0:
        atomic._boundaries = 0
        if kill_at is not None:
            os.environ["DEEPRG_TEST_KILL_AT"] = str(kill_at)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        try:
            main(argv(tag))
        except SystemExit as exc:
            os._exit(exc.code or 0)
        os._exit(0)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])

# the uninterrupted run, in this process (later children inherit its warm imports)
log = os.path.join(work, "boundaries.log")
os.environ["DEEPRG_TEST_BOUNDARY_LOG"] = log
try:
    main(argv("ref"))
except SystemExit as exc:
    assert not exc.code
del os.environ["DEEPRG_TEST_BOUNDARY_LOG"]
boundaries = open(log).read().splitlines()
ref = open(os.path.join(work, "ref", "model", "weights.safetensors"), "rb").read()
results = []
for k in range(1, len(boundaries) + 1):
    tag = f"k{k}"
    killed, resumed = in_child(tag, k), in_child(tag, None)
    got = open(os.path.join(work, tag, "model", "weights.safetensors"), "rb").read()
    left = [f for d in (tag, tag + "/ck") for f in os.listdir(os.path.join(work, d)) if ".deeprg-tmp" in f]
    results.append({"k": k, "killed": killed, "resumed": resumed, "same": got == ref, "left": left})

# a full disk, simulated without root: RLIMIT_FSIZE makes every write past 512 bytes fail (EFBIG)
def full_disk(args):
    err = os.path.join(work, "full.err")
    pid = os.fork()
    if pid == 0:
        import resource, signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (512, 512))
        fd = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 2)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        try:
            main(args)
        except SystemExit as exc:
            os._exit(exc.code or 0)
        os._exit(0)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    return {"code": code, "stderr": open(err).read()}

full = os.path.join(work, "full")
os.mkdir(full)
full_results = [
    full_disk(["train", "rbm", os.path.join(work, "data.npy"), "--hidden", "4", "--epochs", "1", "--quiet",
               "--out", os.path.join(full, "model")]),
    full_disk(["rg", "block", os.path.join(work, "spins.h5"), "--out", os.path.join(full, "b.h5")]),
]
json.dump({"boundaries": boundaries, "results": results, "full_disk": full_results, "full_left": os.listdir(full)},
          open(os.path.join(work, "result.json"), "w"))
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_kill_at_every_write_boundary_then_resume_gives_the_same_bytes(tmp_path):
    """os._exit (as kill -9) at each write boundary of checkpoints and of the model folder;
    the resumed run must write the very bytes of an uninterrupted run, and leave no temporaries.
    The same process also checks that a full disk (every write past 512 bytes fails with EFBIG, set
    by RLIMIT_FSIZE, no root needed) gives exit code 2 and one line for a model folder and for
    an HDF5 dataset: HDF5 never writes to the disk itself, so it cannot crash there."""
    driver = tmp_path / "driver.py"
    driver.write_text(_KILL_DRIVER)
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": SRC, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, str(driver), str(work)], capture_output=True, text=True, env=env, timeout=600
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads((work / "result.json").read_text())
    kinds = {line.split()[1] for line in result["boundaries"]}
    assert kinds == {"created", "written", "synced", "renamed"}
    assert any("checkpoint" in line for line in result["boundaries"])
    assert any(line.endswith(" model") for line in result["boundaries"])
    for r in result["results"]:
        assert r["killed"] == 137 and r["resumed"] == 0, r
        assert r["same"], f"kill at boundary {r['k']} ({result['boundaries'][r['k'] - 1]}) changed the model"
        assert not r["left"], r
    # a full disk (simulated with RLIMIT_FSIZE): exit 2, one line, nothing left, no crash
    for r in result["full_disk"]:
        lines = [line for line in r["stderr"].splitlines() if line.strip()]
        assert r["code"] == 2 and len(lines) == 1 and "File too large" in lines[0], r
    assert result["full_left"] == []


def test_a_checkpoint_of_other_data_or_config_is_refused(tmp_path):
    from deeprg.nn import RBM, TrainConfig, Trainer

    rng = np.random.default_rng(1)
    a = (rng.random((60, 8)) < 0.5).astype(np.float32)
    b = (rng.random((60, 8)) < 0.2).astype(np.float32)
    cfg = TrainConfig(epochs=1, batch_size=20, n_chains=10, monitor_samples=20)
    Trainer(RBM(8, 3, seed=0), cfg).fit(a, checkpoint_dir=tmp_path / "ck")
    with pytest.raises(CheckpointError, match="other data"):
        Trainer(RBM(8, 3, seed=0), cfg).fit(b, checkpoint_dir=tmp_path / "ck")
    with pytest.raises(CheckpointError, match="lr"):
        Trainer(RBM(8, 3, seed=0), TrainConfig(**{**cfg.__dict__, "lr": 0.5})).fit(
            a, checkpoint_dir=tmp_path / "ck"
        )
    with pytest.raises(CheckpointError, match="another model"):
        Trainer(RBM(8, 4, seed=0), cfg).fit(a, checkpoint_dir=tmp_path / "ck")
    # the same run resumes (and asking for more epochs under a constant rate continues it)
    history = Trainer(RBM(8, 3, seed=0), TrainConfig(**{**cfg.__dict__, "epochs": 2})).fit(
        a, checkpoint_dir=tmp_path / "ck"
    )
    assert len(history) == 2
    assert [p.name for p in (tmp_path / "ck").iterdir()] == ["checkpoint.safetensors"]


def test_reports_escape_injected_markup_and_quote_links(tmp_path):
    from deeprg.report import write_index

    evil = '"><img src=x onerror=alert(1)>'
    run = tmp_path / "javascript:alert(1)"
    run.mkdir()
    atomic_write_json(
        run / "config.json",
        {"title": "<script>alert(2)</script>", "status": "finished", "timings_seconds": {"total": 1.0}},
    )
    atomic_write_json(
        run / "metrics.json",
        {
            "preset": "<b>quick</b>",
            "summary": "<iframe src=//x>",
            "claims": [{"verdict": evil}, {"verdict": "supported"}, {"verdict": ["not", "a", "string"]}],
        },
    )
    page = write_index(tmp_path).read_text()
    for markup in ("<img", "<script", "<iframe", "<b>quick", 'class="v "'):
        assert markup not in page
    assert "href='javascript%3Aalert%281%29/report.html'" in page
    assert page.count("not a known verdict") == 2 and 'class="v supported"' in page


def test_index_shows_status_and_a_changed_config_removes_stale_outputs(tmp_path, monkeypatch):
    import types

    import deeprg.experiments._runner as runner
    from deeprg.experiments import resolve_config
    from deeprg.report import write_index

    config = resolve_config("ising-exact", "quick")
    out = tmp_path / "ising-exact"
    out.mkdir()
    atomic_write_json(out / "config.json", {"config": {"other": 1}, "status": "finished", "title": "t"})
    for name in ("metrics.json", "report.html"):
        (out / name).write_text("{}")
    (out / "figures").mkdir()
    (out / "figures" / "f.png").write_bytes(b"")

    def boom(cfg, ctx):
        raise RuntimeError("numerics failed")

    fake = types.SimpleNamespace(TITLE="Fake", run=boom)
    monkeypatch.setattr(runner, "experiment_module", lambda name: fake)
    with pytest.raises(RuntimeError):
        runner.run_experiment("ising-exact", out, config)
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "steps"]
    doc = json.loads((out / "config.json").read_text())
    assert doc["status"] == "failed" and "numerics failed" in doc["error"]
    page = write_index(tmp_path).read_text()
    assert "failed" in page and "report.html" not in page
