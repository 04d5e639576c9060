import json

import numpy as np
import pytest

from deeprg.cli import main
from deeprg.errors import ConfigError
from deeprg.experiments import METRICS_SCHEMA, REGISTRY, RunContext, resolve_config, run_experiment
from deeprg.report import render_run, write_index


def _validate(doc, schema, path="$"):
    """A small JSON-schema subset validator (type, required, properties, items, enum)."""
    types = schema.get("type")
    if types:
        types = [types] if isinstance(types, str) else types
        pytypes = {"object": dict, "array": list, "string": str, "number": (int, float), "null": type(None)}
        assert any(isinstance(doc, pytypes[t]) and not isinstance(doc, bool) for t in types), (
            f"{path}: {doc!r} is not {types}"
        )
    if "enum" in schema:
        assert doc in schema["enum"], f"{path}: {doc!r} not in {schema['enum']}"
    for key in schema.get("required", []):
        assert key in doc, f"{path}: missing {key}"
    for key, sub in schema.get("properties", {}).items():
        if isinstance(doc, dict) and key in doc:
            _validate(doc[key], sub, f"{path}.{key}")
    if "additionalProperties" in schema and isinstance(doc, dict):
        for key, value in doc.items():
            if key not in schema.get("properties", {}):
                _validate(value, schema["additionalProperties"], f"{path}.{key}")
    if "items" in schema and isinstance(doc, list):
        for i, item in enumerate(doc):
            _validate(item, schema["items"], f"{path}[{i}]")


SMALL = {
    "decimation-1d": {"mc_length": 32, "mc_samples": 300, "mc_couplings": [0.5]},
    "mcrg-2d": {"L": 16, "samples": 400, "levels": 1, "flow_L": 16, "flow_samples": 200, "flow_levels": 1},
    "ising-exact": {"sizes": [4, 8], "couplings": [0.3, 0.44, 0.6], "steps": 300, "burn_in": 50, "chains": 2},
    "vrg-1d": {
        "n": 6,
        "couplings": [0.5],
        "learn_couplings": [0.5],
        "learn_samples": 2000,
        "learn_epochs": 3,
    },
    "mehta-schwab": {
        "L": 6,
        "samples": 200,
        "layers": [36, 9, 4],
        "epochs": 2,
        "n_seeds": 2,
        "temperatures": [0.3],
        "l1s": [3e-3],
        "chain_steps": 40,
        "n_chains": 4,
        "ais_betas": 50,
        "ais_runs": 4,
        "kl_samples": 100,
    },
    "rbm-flow": {
        "L": 4,
        "distributions": ["0.5-4", "0+inf"],
        "temperatures_per_range": 2,
        "samples_per_T": 60,
        "hidden_sizes": [4],
        "epochs": 2,
        "start_temperatures": [2.0],
        "flow_steps": 3,
        "flow_chains": 50,
        "reference_temperatures": [1.0, 2.5, 4.0],
        "reference_samples": 50,
    },
    "lin-tegmark": {"max_n": 4, "train_max_n": 2, "train_widths": [4, 16], "train_steps": 60, "rg_steps": 2},
    "learned-rg": {
        "L": 8,
        "levels": 1,
        "samples": 400,
        "rbm_seeds": 1,
        "rbm_epochs": 2,
        "rsmi_iterations": 30,
        "rsmi_pairs": 2000,
        "exact_samples": 400,
        "exact_epochs": 2,
    },
    "finite-size-scaling": {
        "sizes": [4, 6, 8],
        "couplings": [0.40, 0.42, 0.44, 0.46, 0.48],
        "seeds": 2,
        "samples": 64,
        "chains": 2,
        "burn_in": 10,
    },
    "hopfield": {
        "sizes": [40, 80],
        "alphas": [0.08, 0.14, 0.2],
        "pattern_sets": 2,
        "starts_per_set": 2,
        "storkey_n": 40,
        "spurious_n": 60,
        "spurious_alphas": [0.05, 0.15],
        "spurious_starts": 20,
        "rbm_n": 40,
        "rbm_alphas": [0.1],
        "rbm_sets": 2,
        "rbm_starts": 20,
        "rbm_copies": 5,
        "rbm_updates": 50,
        "equivalence_n": 8,
        "equivalence_p": 2,
    },
    "convolution": {
        "field_L": 6,
        "field_hidden": 6,
        "field_samples": 200,
        "field_epochs": 2,
        "field_l1": [3e-3],
        "seeds": 2,
        "null_draws": 2,
        "ll_L": 3,
        "ll_filters": [1],
        "ll_train": 300,
        "ll_test": 300,
        "ll_epochs": 2,
    },
}


def test_every_experiment_has_a_test_size_config():
    """Experiments run in the suite at test size; their quick presets are the main job (make demo)."""
    assert set(SMALL) == set(REGISTRY)
    for name in REGISTRY:
        resolve_config(name, "quick")
        resolve_config(name, "paper")


@pytest.mark.parametrize("name", list(REGISTRY))
def test_each_experiment_writes_every_output(name, tmp_path):
    """Every experiment end to end at test size: every output, every claim with a verdict."""
    import torch

    threads = torch.get_num_threads()
    config = resolve_config(name, "quick", overrides=SMALL[name])
    result, doc = run_experiment(name, tmp_path / name, config)
    assert torch.get_num_threads() == threads, "an experiment changed the caller's torch threads"
    render_run(tmp_path / name, doc["title"], doc, result)
    out = tmp_path / name
    for f in ("config.json", "metrics.json", "report.html"):
        assert (out / f).exists(), f
    metrics = json.loads((out / "metrics.json").read_text())
    _validate(metrics, METRICS_SCHEMA)
    assert metrics["claims"], "every experiment states at least one claim with a verdict"
    ids = [c["id"] for c in metrics["claims"]]
    assert all(i.startswith(f"{name}.") for i in ids) and len(set(ids)) == len(ids), ids
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["status"] == "finished" and cfg["config"]["seed"] == 0
    assert cfg["provenance"]["deeprg_version"] and "total" in cfg["timings_seconds"]
    pngs = sorted(p.name for p in (out / "figures").glob("*.png"))
    svgs = sorted(p.name for p in (out / "figures").glob("*.svg"))
    assert pngs and len(pngs) == len(svgs) == len(result.figures)
    html = (out / "report.html").read_text()
    for png in pngs:
        assert f"figures/{png}" in html
    # no text cut off by the canvas, in the figure and in the PNG as served
    from deeprg.report._figures import clipped_text, ink_at_edges, make_figure

    for spec in result.figures:
        assert clipped_text(make_figure(spec)) == [], spec.name
        assert ink_at_edges(out / "figures" / f"{spec.name}.png") == [], spec.name
    index = write_index(tmp_path)
    assert f"{name}/report.html" in index.read_text()


def test_rerun_after_deleting_one_step_recomputes_only_that_step(tmp_path):
    config = resolve_config("decimation-1d", "quick", overrides=SMALL["decimation-1d"])
    run_experiment("decimation-1d", tmp_path, config)
    (tmp_path / "steps" / "flows.json").unlink()
    _, doc = run_experiment("decimation-1d", tmp_path, config)
    assert set(doc["timings_seconds"]) == {"flows", "total"}
    assert doc["reused_steps"] == ["mc_decimation"]
    # a different config starts over
    other = resolve_config("decimation-1d", "quick", overrides={**SMALL["decimation-1d"], "steps": 30})
    _, doc = run_experiment("decimation-1d", tmp_path, other)
    assert doc["reused_steps"] == []


def test_array_steps_round_trip_without_pickle(tmp_path):
    ctx = RunContext(tmp_path)
    a = ctx.array_step("x", lambda: {"w": np.arange(6.0).reshape(2, 3)})
    b = RunContext(tmp_path).array_step("x", lambda: pytest.fail("must be reused"))
    np.testing.assert_array_equal(a["w"], b["w"])


@pytest.mark.parametrize(
    "overrides,key",
    [
        ({"bogus": 1}, "bogus"),
        ({"steps": "many"}, "steps"),
        ({"steps": 0}, "steps"),
        ({"couplings": [-1.0]}, "couplings"),
        ({"b_values": [1]}, "b_values"),
    ],
)
def test_bad_configs_name_the_key(overrides, key):
    with pytest.raises(ConfigError) as info:
        resolve_config("decimation-1d", "quick", overrides=overrides)
    assert info.value.key == key and key in str(info.value)


def test_toml_config(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("steps = 25\nmc_couplings = [0.3, 0.6]\n")
    config = resolve_config("decimation-1d", "quick", config_file=path)
    assert config.steps == 25 and config.mc_couplings == (0.3, 0.6)
    path.write_text("steps = [\n")
    with pytest.raises(ConfigError, match="TOML"):
        resolve_config("decimation-1d", "quick", config_file=path)


@pytest.mark.parametrize(
    "args,needle",
    [
        (["reproduce", "nothing"], "unknown experiment"),
        (["reproduce", "decimation-1d", "--set", "bogus=1"], "bogus"),
        (["reproduce", "decimation-1d", "--set", "steps=-4"], "steps"),
        (["reproduce", "decimation-1d", "--set", "steps"], "key=value"),
        (["reproduce", "all", "--set", "steps=3"], "all"),
    ],
)
def test_reproduce_bad_config_exits_2(args, needle, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main([*args, "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert info.value.code == 2 and needle in err and err.count("\n") == 1
