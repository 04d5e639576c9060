"""Human-facing behaviour: tables, --T, help examples, progress, verdicts, index page, named
HDF5 dimensions, the generated CLI reference."""

import json

import click
import numpy as np
import pytest

from deeprg.cli import main
from deeprg.cli._app import cli
from deeprg.cli._common import _clean, format_value, value_pm_error
from deeprg.cli._progress import _duration, _PlainReporter, _progress


def run(args, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def _commands(command, path):
    yield path, command
    if isinstance(command, click.Group):
        for name in command.list_commands(None):
            yield from _commands(command.get_command(None, name), [*path, name])


def test_value_pm_error_rounds_to_the_error():
    assert value_pm_error(-1.151378, 0.00048) == "-1.15138 ± 0.00048"
    assert value_pm_error(3.0912, 0.33) == "3.09 ± 0.33"
    assert value_pm_error(2.5, None) == "2.5"
    assert format_value({"value": 0.5966, "error": 0.0088}) == "0.5966 ± 0.0088"
    assert format_value(True) == "yes" and format_value(None) == "-"


def test_human_output_is_a_table_and_json_is_unchanged(capsys):
    args = ["exact", "ising2d", "--L", "8", "--K", "0.41"]
    code, out, _ = run(args, capsys)
    assert code == 0 and "energy_per_site" in out and "{" not in out
    code, out, _ = run([*args, "--json"], capsys)
    data = json.loads(out)
    assert out == json.dumps(_clean(data), indent=2) + "\n"


def test_T_is_K_inverse_and_exactly_one_is_required(capsys):
    _, out_k, _ = run(["exact", "ising1d", "--n", "12", "--K", "0.5", "--json"], capsys)
    _, out_t, _ = run(["exact", "ising1d", "--n", "12", "--T", "2", "--json"], capsys)
    assert json.loads(out_k) == json.loads(out_t)
    for extra in (["--K", "0.5", "--T", "2"], [], ["--T", "0"]):
        code, out, err = run(["exact", "ising1d", "--n", "12", *extra], capsys)
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1


def test_every_command_accepting_K_accepts_T_and_shows_an_example():
    for path, command in _commands(cli, ["deeprg"]):
        names = {opt for p in command.params for opt in getattr(p, "opts", [])}
        if "--K" in names:
            assert "--T" in names, path
        if path != ["deeprg"]:
            assert command.epilog and "deeprg " in command.epilog, f"{' '.join(path)} has no example"


def test_plain_progress_reports_rate_and_time_left(capsys):
    report = _PlainReporter("AIS", "steps", every=0.0)
    report(10, 100)
    report(100, 100, "done")
    err = capsys.readouterr().err.splitlines()
    assert "10/100 (10%)" in err[0] and "steps/s" in err[0] and "left" in err[0]
    assert "100/100 (100%)" in err[1] and err[1].endswith("; done")
    with _progress(True, "quiet") as q:
        assert q is None
    assert _duration(5) == "5 s" and _duration(125) == "2 min 05 s"


def test_progress_is_silent_with_json(tmp_path, capsys):
    code, out, err = run(
        [
            "sample",
            "ising1d",
            "--L",
            "16",
            "--T",
            "1.25",
            "--n",
            "40",
            "--seed",
            "1",
            "--out",
            str(tmp_path / "c.h5"),
            "--json",
        ],
        capsys,
    )
    assert code == 0 and json.loads(out)["n_samples"] == 40 and err == ""


def test_decimation_free_energy_verdict_reaches_every_outcome():
    from deeprg.experiments.decimation_1d import free_energy_verdict

    assert free_energy_verdict(1e-15, 1e-9)[0] == "supported"
    assert free_energy_verdict(5e-2, 0.8)[0] == "inconclusive"  # truncated flow
    assert free_energy_verdict(5e-2, 1e-9)[0] == "not supported"  # converged and wrong


def test_truncated_decimation_is_inconclusive(tmp_path):
    from deeprg.experiments import resolve_config, run_experiment

    overrides = {"steps": 5, "mc_length": 32, "mc_samples": 300, "mc_couplings": [0.5]}
    result, _ = run_experiment(
        "decimation-1d", tmp_path, resolve_config("decimation-1d", "quick", overrides=overrides)
    )
    verdicts = {c.claim.split(":")[0]: c.verdict for c in result.claims}
    assert verdicts["The free energy is preserved along the flow"] == "inconclusive"
    assert "not supported" not in verdicts.values()


def test_index_names_claims_and_rounds_times(tmp_path):
    from deeprg.report import write_index

    run_dir = tmp_path / "demo"
    run_dir.mkdir()
    claim = {"id": "flow-to-zero", "claim": "The flow goes to K* = 0.", "verdict": "supported"}
    (run_dir / "metrics.json").write_text(json.dumps({"preset": "quick", "claims": [claim], "summary": "ok"}))
    (run_dir / "config.json").write_text(
        json.dumps({"title": "Demo", "status": "finished", "timings_seconds": {"total": 0.932426}})
    )
    page = write_index(tmp_path).read_text()
    assert "The flow goes to K* = 0." in page and "flow-to-zero" in page
    assert "0.9 s" in page and "0.932426" not in page


def test_datasets_have_named_dimensions(tmp_path):
    xr = pytest.importorskip("xarray")
    pytest.importorskip("h5netcdf")
    from deeprg.data import read_dataset, write_dataset

    configs = np.where(np.random.default_rng(0).random((6, 4, 5)) < 0.5, 1, -1).astype(np.int8)
    attrs = {"model": "ising2d", "K": 0.4, "h": 0.0, "algorithm": "wolff", "seed": 1, "L": 4, "M": 5}
    path = write_dataset(tmp_path / "d.h5", configs, attrs, chain=np.zeros(6, dtype=np.int32))
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        assert ds["configs"].dims == ("sample", "row", "col") and ds["chain"].dims == ("sample",)
        np.testing.assert_array_equal(ds["configs"].values, configs)
    assert read_dataset(path).configs.shape == (6, 4, 5)


def test_docs_cli_reference_lists_every_command():
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("hooks", Path(__file__).parents[1] / "docs" / "_hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    text = hooks.cli_reference()
    for path, _ in _commands(cli, ["deeprg"]):
        assert f"`{' '.join(path)}`" in text


def test_make_figure_returns_a_figure_without_known_defects():
    from matplotlib.figure import Figure

    from deeprg.experiments import FigureSpec, Series
    from deeprg.report import make_figure

    spec = FigureSpec(
        name="u",
        title="u against K",
        series=(
            Series([0.3, 0.4], [-1.0, -1.2], label="Kaufman L=8"),
            Series([0.3, 0.4], [-1.01, -1.19], yerr=[0.01, 0.01], label="MC L=8", style="points"),
            Series([], [], label="empty"),
        ),
        vlines=((0.4407, "exact K_c"),),
    )
    fig = make_figure(spec)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert lines["Kaufman L=8"].get_color() == ax.containers[0].lines[0].get_color()  # same L, same colour
    labels = ax.get_legend_handles_labels()[1]
    assert "exact K_c" in labels and "empty" not in labels  # reference line named in the legend
    steps = make_figure(FigureSpec(name="s", title="flow", series=(Series([0, 1, 2], [1.0, 0.5, 0.1]),)))
    ticks = steps.axes[0].get_xticks()
    assert np.allclose(ticks, np.round(ticks))  # no 1.25 on a discrete axis
    grid = make_figure(FigureSpec(name="g", title="fields", kind="images", images=(np.eye(3), -np.eye(3))))
    assert len(grid.axes) >= 4  # each panel has its colourbar
    rows = make_figure(
        FigureSpec(name="r", title="rows", kind="images", images=(np.eye(3),) * 4, image_columns=2)
    )
    two = make_figure(
        FigureSpec(name="h", title="refs", series=(Series([0, 1], [0, 1]),), hlines=((1, "a"), (0, "b")))
    )
    styles = [line.get_linestyle() for line in two.axes[0].lines[1:]]
    assert len(set(styles)) == 2  # two reference lines stay apart in the legend
    panels = [ax for ax in rows.axes if ax.images]
    assert len({round(ax.get_position().y0, 3) for ax in panels}) == 2  # one row per two panels


def test_no_text_is_clipped_in_a_narrow_image_grid():
    from deeprg.experiments import FigureSpec
    from deeprg.report._figures import clipped_text, make_figure

    title = "|W| of the learned RBMs (visible sites x hidden units), one panel per coupling"
    spec = FigureSpec(
        name="w", title=title, kind="images", images=(np.ones((6, 3)),), image_titles=("K = 0.5",)
    )
    assert clipped_text(make_figure(spec)) == []
    # The check itself can fail: a title far wider than its figure is reported.
    from matplotlib.figure import Figure

    bad = Figure(figsize=(2, 2))
    bad.suptitle("a title that is much too long for a two-inch wide figure to hold")
    assert clipped_text(bad)


def test_tracked_loops_report_nested_fractions_and_cost_nothing_unheard(tmp_path):
    from deeprg.experiments import RunContext
    from deeprg.experiments._base import track

    silent = RunContext(tmp_path / "a")
    items = [1, 2, 3]
    assert silent.track(items) is items and silent.reporter() is None
    assert track(items) is items  # no experiment running

    calls = []
    ctx = RunContext(tmp_path / "b", advance=lambda d, t, u: calls.append((d, t, u)))
    with ctx.active():
        for _ in ctx.track(range(2), unit="T"):
            for _ in track(iter("abcd")):  # no len: read into a list
                pass
        report = ctx.reporter("samples")
        report(50, 100)
    assert calls[0] == (0.0, 2, "T")
    # the second of four inner items of the first outer item: 0.5 of 2
    assert (0.5, 2, "T") in calls and (1.0, 2, "T") in calls and calls[-2] == (2.0, 2, "T")
    assert calls[-1] == (50.0, 100.0, "samples")  # outside loops it is its own count
    assert [d for d, _, _ in calls[:-1]] == sorted(d for d, _, _ in calls[:-1])
    assert ctx._frames == []


def test_reproduce_reports_progress_inside_steps_as_plain_lines(tmp_path, capsys):
    from deeprg.cli._progress import _StepStatus

    now = [0.0]
    status = _StepStatus("demo", False, index=1, total=2, every=0.0, clock=lambda: now[0])
    status.step("train")
    status.advance(0, 4, "seeds")
    now[0] = 10.0
    status.advance(1, 4, "seeds")
    now[0] = 40.0
    status.advance(4, 4, "seeds")
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("[1/2 demo] train")
    assert "1/4 seeds (25%), 0.1 seeds/s, about 30 s left" in err[2]
    assert "4/4 seeds (100%)" in err[3]
    quiet = _StepStatus("demo", True, index=1, total=1)
    assert quiet.callbacks == {"progress": None, "advance": None}
    small = ["--set", "mc_length=32", "--set", "mc_samples=300", "--set", "mc_couplings=[0.5]"]
    code, _, err = run(["reproduce", "decimation-1d", "--out", str(tmp_path), *small, "--quiet"], capsys)
    assert code == 0 and err == ""


def test_import_sets_a_passive_openmp_wait_policy_unless_the_user_chose_one():
    """OpenMP threads spin-waiting on busy cores (numba and torch share one runtime) made small
    torch products take milliseconds after numba's kernels (benchmarks/bench_threads.py)."""
    import os
    import subprocess
    import sys

    code = "import os, deeprg; print(os.environ['OMP_WAIT_POLICY'])"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "PASSIVE"
    env["OMP_WAIT_POLICY"] = "ACTIVE"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ACTIVE"


def test_reproduce_shows_progress_inside_an_experiment_step(tmp_path, capsys):
    """End to end, not on a terminal: the tracked loops of a real experiment report counts."""
    config = tmp_path / "small.toml"
    config.write_text(
        "sizes = [40, 60]\nalphas = [0.08, 0.14, 0.2]\npattern_sets = 2\nstarts_per_set = 2\n"
        "storkey_n = 40\nspurious_n = 60\nspurious_alphas = [0.05, 0.15]\nspurious_starts = 10\n"
        "rbm_n = 40\nrbm_alphas = [0.1]\nrbm_sets = 2\nrbm_starts = 10\nrbm_copies = 3\n"
        "rbm_updates = 20\nequivalence_n = 8\nequivalence_p = 2\n"
    )
    code, _, err = run(
        ["reproduce", "hopfield", "--out", str(tmp_path / "r"), "--config", str(config)], capsys
    )
    assert code == 0
    assert "[1/1 hopfield] capacity: 2/2 sizes (100%)" in err
    assert "[1/1 hopfield] rbm_comparison: 1/1 alphas (100%)" in err
