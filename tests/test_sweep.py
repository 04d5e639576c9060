"""The sweep engine: grids, per-point seeds, Dask = serial byte for byte, resume, worker death."""

import functools
import json
import operator
import os
import re
import signal
import threading
import time

import numpy as np
import pytest

from deeprg.cli import main
from deeprg.data import read_dataset
from deeprg.errors import InputError, SweepError
from deeprg.sweep import (
    Point,
    SweepSpec,
    configs_digest,
    grid,
    load_sweep,
    map_tasks,
    parse_values,
    point_seed,
    read_index,
    resolve_scheduler,
    run_sweep,
    sweep_table,
)

# Tiny points: no pilot run (fixed burn-in and thinning), a few milliseconds each.
SPEC = SweepSpec(n_samples=64, algorithm="metropolis", seed=11, chains=2, burn_in=20, decorrelate=2)
KS, LS, REPLICAS = (0.3, 0.44), (4, 6), 2


@pytest.fixture(scope="module")
def client():
    """One LocalCluster of 2 worker processes (1 thread each) shared by the module's tests."""
    from distributed import Client, LocalCluster

    from deeprg.sweep._cluster import WORKER_ENV

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        env=dict(WORKER_ENV),
        silence_logs=50,
    )
    dask_client = Client(cluster)
    yield dask_client
    dask_client.close()
    cluster.close()


@pytest.fixture(scope="module")
def serial_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    summary = run_sweep(SPEC, KS, LS, REPLICAS, out, scheduler="serial")
    return out, summary


def _configs(out):
    return {p.name: read_dataset(p) for p in sorted((out / "points").glob("*.h5"))}


def test_parse_values_forms_and_errors():
    assert parse_values("0.40:0.48:5") == (0.4, 0.42, 0.44, 0.46, 0.48)
    assert parse_values("0.44,0.3,0.44") == (0.3, 0.44)
    assert parse_values("16,32", integer=True) == (16, 32)
    assert parse_values("0.1:0.2:1") == (0.1,)
    for bad in ("", "a,b", "0.1:0.2", "0.1:0.2:0", "1:2:x"):
        with pytest.raises(InputError):
            parse_values(bad)
    with pytest.raises(InputError):
        parse_values("1:4:2", integer=True)


def test_point_seeds_depend_only_on_the_point():
    p = Point(16, 0.44, 1)
    assert point_seed(5, p) == point_seed(5, Point(16, 0.44, 1)) and point_seed(5, p) < 2**63
    others = {point_seed(5, q) for q in (Point(16, 0.44, 2), Point(32, 0.44, 1), Point(16, 0.45, 1))}
    assert point_seed(5, p) not in others and len(others) == 3
    assert point_seed(6, p) != point_seed(5, p) and point_seed(5, p, "ising1d") != point_seed(5, p)
    # a linspace value and the typed value are the same point
    assert parse_values("0.40:0.48:17")[8] == 0.44
    pts = grid((0.3, 0.44), (4, 8), 2)
    assert len(pts) == 8 and pts[0].L == 8 and len({q.name for q in pts}) == 8


def test_spec_validation():
    with pytest.raises(InputError):
        SweepSpec(algorithm="wolff", h=0.1)
    with pytest.raises(InputError):
        SweepSpec(n_samples=0)
    with pytest.raises(InputError):
        SweepSpec.from_dict({"n_samples": 10, "colour": "red"})
    assert SweepSpec.from_dict(SPEC.to_dict()) == SPEC and SPEC.digest != SweepSpec().digest


def test_scheduler_resolution(monkeypatch):
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    assert resolve_scheduler(None) == "local" and resolve_scheduler(None, default="serial") == "serial"
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://10.0.0.1:8786")
    assert resolve_scheduler(None) == "tcp://10.0.0.1:8786"
    with pytest.raises(InputError):
        resolve_scheduler("nowhere")


def test_serial_sweep_store_and_xarray(serial_sweep):
    out, summary = serial_sweep
    assert summary["points"] == summary["computed"] == 8 and summary["failed"] == []
    index = read_index(out)
    assert len(index["points"]) == 8 and index["spec"] == SPEC.to_dict()
    for name, ds in _configs(out).items():
        rec = index["points"][name.removesuffix(".h5")]
        assert (
            ds.attrs["seed"]
            == rec["seed"]
            == point_seed(SPEC.seed, Point(rec["L"], rec["K"], rec["replica"]))
        )
        assert configs_digest(ds.configs, ds.chain) == rec["configs_sha256"] == ds.attrs["configs_sha256"]
        prov = json.loads(ds.attrs["config_json"])
        assert prov["sweep_spec"] == SPEC.to_dict() and prov["deeprg_version"] and "git_hash" in prov
    data = load_sweep(out)
    assert data["binder"].dims == ("K", "L", "seed") and data["binder"].shape == (2, 2, 2)
    assert np.all(np.isfinite(data["energy_per_site"].values))
    assert data["K"].values.tolist() == list(KS) and data["L"].values.tolist() == list(LS)
    rows = sweep_table(out, average=True)
    assert len(rows) == 4 and all(r["replicas"] == 2 for r in rows)


def test_dask_equals_serial_point_for_point(client, serial_sweep, tmp_path):
    out, _ = serial_sweep
    summary = run_sweep(SPEC, KS, LS, REPLICAS, tmp_path, scheduler=client)
    assert summary["computed"] == 8 and summary["scheduler"].startswith("tcp://")
    ref, got = _configs(out), _configs(tmp_path)
    assert ref.keys() == got.keys()
    for name in ref:
        assert ref[name].configs.tobytes() == got[name].configs.tobytes(), name
        assert ref[name].chain.tobytes() == got[name].chain.tobytes(), name
    a, b = load_sweep(out), load_sweep(tmp_path)
    for var in ("binder", "susceptibility", "energy_per_site_error", "point_seed"):
        np.testing.assert_array_equal(a[var].values, b[var].values)


def test_resume_skips_verified_points_and_redoes_damaged_ones(serial_sweep, tmp_path):
    import shutil

    src, _ = serial_sweep
    shutil.copytree(src, tmp_path, dirs_exist_ok=True)
    files = sorted((tmp_path / "points").glob("*.h5"))
    reference = {p.name: p.read_bytes() for p in files}
    files[0].write_bytes(files[0].read_bytes()[:500])  # truncated
    files[1].unlink()  # missing
    # present and a valid dataset, but not this point's configurations
    shutil.copy(files[3], files[2])
    (tmp_path / "points" / ".L0004_K0.3_r000.h5.abc.h5").write_bytes(b"half")  # a dead writer's temp
    summary = run_sweep(SPEC, KS, LS, REPLICAS, tmp_path, scheduler="serial")
    assert summary["skipped"] == 5 and summary["computed"] == 3
    for p in files:
        ds = read_dataset(p)
        assert configs_digest(ds.configs, ds.chain) == json.loads(ds.attrs["config_json"])["configs_sha256"]
        np.testing.assert_array_equal(ds.configs, read_dataset(src / "points" / p.name).configs)
    assert not [p for p in (tmp_path / "points").iterdir() if p.name.startswith(".")]
    assert {p.name for p in files} == set(reference)
    # extending the grid computes only the new points; other parameters are refused
    more = run_sweep(SPEC, (*KS, 0.5), LS, REPLICAS, tmp_path, scheduler="serial")
    assert more["skipped"] == 8 and more["computed"] == 4 and len(read_index(tmp_path)["points"]) == 12
    with pytest.raises(InputError, match="other parameters"):
        run_sweep(SweepSpec(**{**SPEC.to_dict(), "n_samples": 65}), KS, LS, 1, tmp_path, scheduler="serial")


def test_killing_a_worker_mid_sweep_loses_nothing(client, tmp_path):
    """A worker process is killed (SIGKILL) while it holds points of the sweep (running or
    queued): the scheduler reruns them elsewhere, no half-written file remains, and every point
    equals the serial run byte for byte."""
    spec = SweepSpec(**{**SPEC.to_dict(), "n_samples": 4000})  # slower points: a window to kill in
    result, errors = {}, []

    def background():
        try:
            result["summary"] = run_sweep(spec, KS, LS, REPLICAS, tmp_path, scheduler=client)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    pids = client.run(os.getpid)
    thread = threading.Thread(target=background)
    thread.start()
    victim, deadline = None, time.monotonic() + 60
    while victim is None and time.monotonic() < deadline and thread.is_alive():
        busy = [w for w, keys in client.processing().items() if keys and w in pids]
        if busy:
            victim = pids[busy[0]]
            os.kill(victim, signal.SIGKILL)
        else:
            time.sleep(0.01)
    thread.join(timeout=240)
    assert not thread.is_alive() and not errors, errors
    assert victim is not None, "no worker was busy: the sweep finished before it could be killed"
    summary = result["summary"]
    assert summary["computed"] == 8 and summary["failed"] == []
    assert not [p for p in (tmp_path / "points").iterdir() if p.name.startswith(".")]
    serial = tmp_path / "serial"
    run_sweep(spec, KS, LS, REPLICAS, serial, scheduler="serial")
    ref, got = _configs(serial), _configs(tmp_path)
    assert ref.keys() == got.keys() and len(got) == 8
    for name in ref:
        assert ref[name].configs.tobytes() == got[name].configs.tobytes(), name


def test_map_tasks_keeps_order_on_dask_and_serially(client, monkeypatch):
    fn = functools.partial(point_seed, 3)
    items = [Point(4, 0.1 * k, k % 3) for k in range(1, 9)]
    ticks = []
    serial = map_tasks(fn, items, progress=lambda d, t: ticks.append((d, t)))
    assert serial == [fn(p) for p in items] and ticks[-1] == (8, 8)
    assert map_tasks(fn, items, client) == serial
    with pytest.raises(ZeroDivisionError):
        map_tasks(functools.partial(divmod, 1), [1, 0, 2], client, retries=0)
    # no client: serial in this process, unless DASK_SCHEDULER_ADDRESS names a cluster
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    assert set(map_tasks(operator.call, [os.getpid] * 3)) == {os.getpid()}
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", client.scheduler.address)
    assert os.getpid() not in map_tasks(operator.call, [os.getpid] * 3)


def test_local_cluster_workers_run_one_thread_each(client):
    for variable in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS"):
        assert set(client.run(os.getenv, variable).values()) == {"1"}
    assert {w["nthreads"] for w in client.scheduler_info()["workers"].values()} == {1}


def run(args, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def test_cli_sweep_sample_observe_and_scheduler_from_env(client, tmp_path, capsys, monkeypatch):
    args = ["sweep", "sample", "ising2d", "--T", "2.0,2.5", "--L", "4", "--seeds", "2", "--n", "32"]
    args += ["--algo", "metropolis", "--burn-in", "10", "--decorrelate", "1", "--chains", "2", "--seed", "4"]
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", client.scheduler.address)
    code, stdout, stderr = run([*args, "--out", str(tmp_path), "--json"], capsys)
    assert code == 0, stderr
    summary = json.loads(stdout)
    assert summary["computed"] == 4 and summary["scheduler"] == client.scheduler.address
    assert stderr == ""  # --json is silent on stderr
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS")
    code, stdout, stderr = run([*args, "--out", str(tmp_path), "--scheduler", "serial"], capsys)
    assert code == 0 and re.search(r"skipped\s+4\b", stdout) and "4/4 points" in stderr
    code, stdout, _ = run(["sweep", "observe", str(tmp_path), "--json"], capsys)
    rows = json.loads(stdout)["points"]
    assert code == 0 and sorted({r["K"] for r in rows}) == [0.4, 0.5] and len(rows) == 4
    code, stdout, _ = run(["sweep", "observe", str(tmp_path)], capsys)
    assert code == 0 and "U4" in stdout and len(stdout.strip().splitlines()) == 5


@pytest.mark.parametrize(
    "extra,needle",
    [
        (["--K", "0.4", "--T", "2.0"], "exactly one of --K and --T"),
        (["--K", "0.4:0.5"], "malformed"),
        (["--K", "-0.1,0.4"], "must be > 0"),
        (["--T", "0,2"], "must be > 0"),
        (["--K", "0.4", "--seeds", "0"], "--seeds"),
        (["--K", "0.4", "--scheduler", "nowhere"], "not an address"),
        (["--K", "0.4", "--scheduler", "serial", "--workers", "2"], "--workers"),
    ],
)
def test_cli_bad_input_exits_2(extra, needle, tmp_path, capsys):
    code, _, stderr = run(
        ["sweep", "sample", "ising2d", "--L", "4", "--n", "8", *extra, "--out", str(tmp_path)], capsys
    )
    assert code == 2 and needle in stderr and "Traceback" not in stderr


def test_cli_observe_without_a_sweep_fails_cleanly(tmp_path, capsys):
    code, _, stderr = run(["sweep", "observe", str(tmp_path)], capsys)
    assert code == 1 and "no sweep here" in stderr
    with pytest.raises(SweepError):
        sweep_table(tmp_path)


def test_observables_only_store_resumes_and_matches_the_datasets(serial_sweep, tmp_path):
    out, _ = serial_sweep
    spec = SweepSpec(**{**SPEC.to_dict(), "store_configs": False})
    first = run_sweep(spec, KS, LS, REPLICAS, tmp_path, scheduler="serial")
    assert first["computed"] == 8 and not list((tmp_path / "points").glob("*.h5"))
    records = sorted((tmp_path / "points").glob("*.json"))
    records[0].write_text(records[0].read_text()[:100])  # damaged: recomputed
    again = run_sweep(spec, KS, LS, REPLICAS, tmp_path, scheduler="serial")
    assert again["skipped"] == 7 and again["computed"] == 1
    # the same points as the HDF5 sweep: same seeds, same configuration digests
    a, b = read_index(out)["points"], read_index(tmp_path)["points"]
    assert {k: v["configs_sha256"] for k, v in a.items()} == {k: v["configs_sha256"] for k, v in b.items()}
    np.testing.assert_array_equal(load_sweep(out)["binder"].values, load_sweep(tmp_path)["binder"].values)


def test_rate_line_reports_done_rate_and_time_left():
    from deeprg.sweep import Rate

    now = [100.0]
    rate = Rate(10, skipped=4, clock=lambda: now[0])
    assert rate.eta is None and "4/10 points" in rate.line() and "? left" in rate.line()
    now[0] += 2.0  # two seconds later
    rate.update(6)
    assert rate.rate == pytest.approx(1.0) and rate.eta == pytest.approx(4.0)
    rate.update(10)
    assert rate.eta == 0.0 and "0s left" in rate.line()
