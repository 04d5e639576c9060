"""The buffered torch loop, bfloat16 products and progress inside epochs (training at defaults)."""

import numpy as np
import pytest
import torch

from deeprg.nn import RBM, TrainConfig, Trainer, exact_log_z


def _data(n=300, nv=40, seed=0):
    rng = np.random.default_rng(seed)
    proto = rng.random((3, nv)) < 0.5
    x = proto[rng.integers(0, 3, n)] ^ (rng.random((n, nv)) < 0.1)
    return x.astype(np.float32)


def _fit(config, *, buffered, fast=False, dtype=torch.float64, data=None, torch_stream=False, **fit_kwargs):
    rbm = RBM(40, 12, seed=0, dtype=dtype)
    trainer = Trainer(rbm, config)
    trainer._fast_path_applies = lambda: fast
    if not buffered:
        trainer._buffered_path_applies = lambda: False
    trainer._buffered_torch_stream = torch_stream
    history = trainer.fit(_data() if data is None else data, **fit_kwargs)
    return rbm, trainer, history


@pytest.mark.parametrize(
    "extra",
    [
        {"method": "pcd"},
        {"method": "cd", "k": 2, "momentum": 0.0},
        {"method": "pcd", "k": 2, "l1": 1e-3, "l2": 1e-3, "batch_size": 32},
        {"method": "cd", "train_biases": False, "l2": 1e-2},
    ],
)
def test_buffered_loop_matches_the_general_sampling_loop(extra):
    """Same updates, same random stream: the preallocated loop with one fused gradient
    product gives the general loop's parameters and persistent chains to rounding."""
    cfg = TrainConfig(epochs=2, monitor_exact=False, **{"batch_size": 25, **extra})
    a, ta, _ = _fit(cfg, buffered=True, torch_stream=True)
    b, tb, _ = _fit(cfg, buffered=False)
    for name in ("W", "vbias", "hbias"):
        assert torch.allclose(getattr(a, name), getattr(b, name), atol=1e-12, rtol=0), name
    assert torch.equal(ta.chains, tb.chains)


def test_compiled_bernoulli_stream_is_exact_and_reproducible():
    """The buffered loop's own Bernoulli draws: frequencies match p (binomial z-test), in-place
    use equals out-of-place use, and the same state gives the same draws."""
    from deeprg.nn._fast import bernoulli_fill
    from deeprg.sampling._rng import seed_streams

    p = np.tile(np.array([0.0, 0.1, 0.5, 0.9, 1.0], dtype=np.float32), (40000, 1))
    out = np.empty_like(p)
    rng = seed_streams(7, 1)[0].copy()
    bernoulli_fill(p, out, rng)
    freq = out.mean(0)
    z = (freq - p[0]) / np.sqrt(np.maximum(p[0] * (1 - p[0]), 1e-12) / len(p))
    assert freq[0] == 0.0 and freq[-1] == 1.0 and np.all(np.abs(z[1:-1]) < 4)
    inplace, rng2 = p.copy(), seed_streams(7, 1)[0].copy()
    bernoulli_fill(inplace, inplace, rng2)
    assert np.array_equal(inplace, out) and np.array_equal(rng, rng2)


def test_buffered_loop_with_its_own_stream_is_reproducible_and_learns():
    cfg = TrainConfig(epochs=3, monitor_exact=False, batch_size=25, method="pcd")
    a, _, _ = _fit(cfg, buffered=True)
    b, _, _ = _fit(cfg, buffered=True)
    assert torch.equal(a.W, b.W)
    c, _, _ = _fit(cfg, buffered=False)
    data = _data()
    assert abs(_test_ll(a, data) - _test_ll(c, data)) < 0.5  # same model up to sampling noise


def _test_ll(rbm, data):
    r64 = RBM(rbm.n_visible, rbm.n_hidden, dtype=torch.float64)
    with torch.no_grad():
        for name in ("W", "vbias", "hbias"):
            getattr(r64, name).copy_(getattr(rbm, name).double())
        return float(-r64.free_energy(torch.as_tensor(data, dtype=torch.float64)).mean()) - exact_log_z(r64)


def test_float32_and_bf16_products_learn_the_float64_model():
    """Rounding changes the chains' trajectories, so the runs differ by sampling noise only:
    on this task three seeds at float64 spread by ~0.05 nats; float32 and bf16 products must
    land within 0.15 nats of float64's exact test log-likelihood (measured: < 0.03)."""
    data = _data(900, seed=1)
    train, test = data[:600], data[600:]
    cfg = dict(epochs=10, monitor_exact=False, patience=0)
    ref, _, _ = _fit(TrainConfig(**cfg), buffered=True, data=train)
    ll64 = _test_ll(ref, test)
    for dtype, precision in ((torch.float32, "full"), (torch.float32, "bf16"), (torch.float64, "bf16")):
        rbm, _, _ = _fit(
            TrainConfig(matmul_precision=precision, **cfg), buffered=True, dtype=dtype, data=train
        )
        assert abs(_test_ll(rbm, test) - ll64) < 0.15, (dtype, precision)
    assert ll64 > -40 * np.log(2) + 5  # it learned


def test_matmul_precision_is_validated():
    from deeprg.errors import InputError

    with pytest.raises(InputError, match="matmul_precision"):
        TrainConfig(matmul_precision="half").validate()


@pytest.mark.parametrize("buffered, fast", [(False, True), (True, False), (False, False)])
def test_progress_inside_epochs_leaves_the_result_unchanged(buffered, fast):
    """The compiled loop runs its epoch in chunks of whole minibatches when a callback is
    given: bit-identical to the one-call epoch; the torch loops report between updates."""
    cfg = TrainConfig(epochs=2, batch_size=5, monitor_exact=False)
    calls = []
    a, _, _ = _fit(cfg, buffered=buffered, fast=fast, batch_progress=lambda d, t: calls.append((d, t)))
    b, _, _ = _fit(cfg, buffered=buffered, fast=fast)
    for name in ("W", "vbias", "hbias"):
        assert torch.equal(getattr(a, name), getattr(b, name)), name
    total = 2 * 60  # 300 rows / batch 5, two epochs
    assert len(calls) >= 2 * 50 and all(t == total for _, t in calls)
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[0] == 0 and done[-1] < total


def test_train_rbm_reports_updates_inside_epochs_and_is_silent_when_quiet(tmp_path, monkeypatch):
    """Plain lines (not a terminal) with updates done, rate and epoch; nothing with --quiet."""
    from click.testing import CliRunner

    from deeprg.cli import _progress as progress_module
    from deeprg.cli._app import cli

    real = progress_module._PlainReporter.__init__

    def every_call(self, label, unit, every=5.0):  # print every call, not every 5 s
        real(self, label, unit, 0.0)

    monkeypatch.setattr(progress_module._PlainReporter, "__init__", every_call)
    np.save(tmp_path / "x.npy", _data(200))
    args = ["train", "rbm", str(tmp_path / "x.npy"), "--hidden", "8", "--epochs", "2", "--batch", "4"]
    result = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("training:")]
    inside = [ln for ln in lines if "epoch 1/2" in ln and "updates/s" in ln]
    assert len(inside) >= 10 and "/90 (" in inside[-1], lines[:5]  # 180 training rows / batch 4, 2 epochs
    assert any("after epoch 1:" in ln for ln in lines) and "90/90 (100%)" in lines[-1]
    quiet = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "q"), "--quiet"])
    assert quiet.exit_code == 0 and "training:" not in quiet.stderr


def test_auto_method_trains_the_readme_spin_example_at_defaults():
    """The README's library example with no method given (auto: PT for spin visible units),
    at a reduced size: the exact log-likelihood rises and ends well above the uniform model."""
    import math

    from deeprg.lattice import SquareLattice
    from deeprg.nn._train import resolve_method
    from deeprg.sampling import TorchIsingSampler

    # torch's checkerboard sampler: numba's parallel pool left running slows small torch ops
    sampler = TorchIsingSampler(SquareLattice(8), K=0.44, rule="heatbath", n_chains=50)
    state = sampler.burn_in(sampler.init_state(seed=1), 300)
    configs, _ = sampler.sample(state, 20, thin=5)
    configs = np.asarray(configs)
    rbm = RBM(64, 16, visible="spin", hidden="binary")
    trainer = Trainer(rbm, TrainConfig(epochs=5, monitor_every=1))
    assert trainer.config.method == "pt" and resolve_method(RBM(4, 2)) == "pcd"
    history = trainer.fit(configs.reshape(-1, 64))
    lls = [r["train_log_likelihood"] for r in history]
    assert history[-1].get("stop_reason") is None
    assert lls[-1] > lls[0] and lls[-1] > -64 * math.log(2) + 10, lls


def test_buffered_loop_resumes_from_a_checkpoint_bit_identically(tmp_path):
    """Momentum buffers, persistent chains and the stream survive an interrupted run."""
    rng = np.random.default_rng(0)
    x = (rng.random((200, 300)) < 0.3).astype(np.float32)
    cfg = TrainConfig(epochs=3, batch_size=25, monitor_exact=False)
    whole = RBM(300, 250, seed=0)
    trainer = Trainer(whole, cfg)
    assert not trainer._fast_path_applies() and trainer._buffered_path_applies()
    trainer.fit(x)

    class Stop(Exception):
        pass

    def stop_after_one(epoch, total, record):
        if epoch == 1:
            raise Stop

    with pytest.raises(Stop):
        Trainer(RBM(300, 250, seed=0), cfg).fit(x, checkpoint_dir=tmp_path, progress=stop_after_one)
    resumed = RBM(300, 250, seed=0)
    history = Trainer(resumed, cfg).fit(x, checkpoint_dir=tmp_path)
    assert len(history) == 3
    for name in ("W", "vbias", "hbias"):
        assert torch.equal(getattr(whole, name), getattr(resumed, name)), name
