"""The estimator's scikit-learn contract, the training guard, validation and the RBM's API."""

import math
import warnings

import numpy as np
import pytest
import torch

from deeprg.errors import DeepRGError, InputError
from deeprg.nn import RBM, RBMEstimator, TrainConfig, Trainer

sk_checks = pytest.importorskip("sklearn.utils.estimator_checks")

# the checks scikit-learn itself marks as expected failures for BernoulliRBM
BERNOULLI_RBM_XFAIL = {
    "check_methods_subset_invariance": "fails for the decision_function method",
    "check_methods_sample_order_invariance": "fails for the score_samples method",
}


@sk_checks.parametrize_with_checks(
    [RBMEstimator(n_iter=5, batch_size=10, n_chains=20)],
    expected_failed_checks=lambda est: BERNOULLI_RBM_XFAIL,
)
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check(estimator)


def test_estimator_accepts_real_values_and_sparse_input_and_names_features():
    import scipy.sparse as sp
    from sklearn.exceptions import NotFittedError as SkNotFitted

    from deeprg.errors import NotFittedError

    rng = np.random.default_rng(0)
    X = rng.uniform(size=(60, 10))
    est = RBMEstimator(n_components=3, n_iter=3, random_state=0)
    for exc in (NotFittedError, SkNotFitted):
        with pytest.raises(exc):
            est.transform(X)
    dense = est.fit(X).transform(X)
    sparse = RBMEstimator(n_components=3, n_iter=3, random_state=0).fit(sp.csr_matrix(X)).transform(X)
    np.testing.assert_allclose(dense, sparse)
    assert list(est.get_feature_names_out()) == [f"rbmestimator{i}" for i in range(3)]
    for bad in (X[:, :4], np.full((3, 10), np.nan), np.zeros((0, 10)), X[0]):
        with pytest.raises(InputError):
            est.transform(bad)
    with pytest.raises(InputError):
        RBMEstimator(momentum=1.0).fit(X)
    with pytest.raises(InputError):
        RBMEstimator(n_components=0).fit(X)


@pytest.mark.parametrize(
    "field,value",
    [
        ("lr", 0.0),
        ("lr", float("nan")),
        ("lr", -1.0),
        ("momentum", 1.0),
        ("momentum", -0.1),
        ("l2", float("inf")),
        ("epochs", 0),
        ("batch_size", 2.5),
        ("monitor_every", -1),
        ("patience", -1),
        ("centering", "yes"),
    ],
)
def test_train_config_rejects_bad_hyperparameters(field, value):
    with pytest.raises(InputError, match=field):
        TrainConfig(**{field: value}).validate()


def ising_like(n=600, nv=16, seed=0):
    """Two magnetisation modes with noise: spins, Z2-symmetric."""
    rng = np.random.default_rng(seed)
    sign = rng.choice([-1.0, 1.0], size=(n, 1))
    flip = rng.uniform(size=(n, nv)) < 0.1
    return np.where(flip, -sign, sign).astype(np.float32)


def test_divergence_guard_stops_restores_and_says_why():
    x = ising_like()
    rbm = RBM(16, 4, visible="spin", seed=0)
    cfg = TrainConfig(method="pcd", epochs=40, lr=5.0, momentum=0.9, monitor_every=1, patience=2, seed=1)
    with pytest.warns(RuntimeWarning, match="stopped"):
        history = Trainer(rbm, cfg).fit(x)
    last = history[-1]
    assert "stop_reason" in last and len(history) < 40
    assert all(math.isfinite(float(p.detach().abs().max())) for p in rbm.parameters())
    best = max(r["train_log_likelihood"] for r in history if "train_log_likelihood" in r)
    with torch.no_grad():
        from deeprg.nn import exact_log_z

        restored = float(-rbm.free_energy(torch.tensor(x)).mean()) - exact_log_z(rbm)
    assert restored == pytest.approx(best, abs=1e-3) and last["restored_log_likelihood"] == pytest.approx(
        best
    )


def test_monitors_record_their_cost_and_run_at_an_interval():
    x = ising_like()
    rbm = RBM(16, 4, visible="spin", seed=0)
    history = Trainer(rbm, TrainConfig(method="cd", epochs=6, lr=0.05, monitor_every=4)).fit(x)
    exact_epochs = [r["epoch"] for r in history if "train_log_likelihood" in r]
    assert exact_epochs == [4, 6]
    assert all(r["monitor_seconds"] >= 0 for r in history) and "log_z_seconds" in history[-1]
    assert history[-1]["train_log_likelihood"] > -16 * math.log(2)


def test_spin_gradients_are_in_binary_units():
    """With unit_scaled_lr a spin-visible RBM's first W step is 1/4 of the plain one."""
    x = ising_like(100)
    steps = []
    for scaled in (True, False):
        rbm = RBM(16, 4, visible="spin", seed=0)
        w0 = rbm.W.detach().clone()
        cfg = TrainConfig(method="cd", epochs=1, batch_size=100, lr=0.01, unit_scaled_lr=scaled, seed=0)
        Trainer(rbm, cfg).fit(x)
        steps.append((rbm.W.detach() - w0).abs().sum().item())
    assert steps[0] == pytest.approx(steps[1] / 4, rel=1e-4)


def test_rbm_forward_is_the_free_energy_and_repr_is_readable():
    rbm = RBM(5, 3, visible="spin", hidden="binary", dtype=torch.float64)
    v = torch.tensor([[1.0, -1.0, 1.0, 1.0, -1.0]])
    torch.testing.assert_close(rbm(v), rbm.free_energy(v))
    text = repr(rbm)
    assert "n_visible=5" in text and "n_hidden=3" in text and "'spin'" in text


def test_training_data_errors_are_deeprg_errors():
    rbm = RBM(4, 2)
    for bad in (np.zeros((0, 4)), np.full((3, 4), np.nan), np.zeros((3, 5)), np.array([["a"] * 4])):
        with pytest.raises(DeepRGError):
            Trainer(rbm, TrainConfig(epochs=1)).fit(bad)


def test_non_finite_training_without_a_finite_state_is_an_error_and_saves_nothing(tmp_path):
    from deeprg.cli import main
    from deeprg.errors import TrainingDivergedError

    x = (np.random.default_rng(0).random((200, 16)) < 0.3).astype(np.float32)
    with pytest.raises(TrainingDivergedError, match="lower the learning rate"):
        Trainer(RBM(16, 4, seed=0), TrainConfig(method="pcd", epochs=3, lr=1e308, seed=0)).fit(x)
    np.save(tmp_path / "x.npy", x.astype(np.int8))
    with pytest.raises(SystemExit) as info:
        main(
            [
                "train",
                "rbm",
                str(tmp_path / "x.npy"),
                "--hidden",
                "4",
                "--lr",
                "1e308",
                "--out",
                str(tmp_path / "m"),
            ]
        )
    assert info.value.code == 2 and not (tmp_path / "m").exists()


def test_plain_sgd_pins_only_the_tuned_settings():
    cfg = TrainConfig.plain_sgd(method="cd", lr=0.02)
    assert (cfg.schedule, cfg.unit_scaled_lr, cfg.patience) == ("constant", False, 0)
    assert cfg == TrainConfig(method="cd", lr=0.02, schedule="constant", unit_scaled_lr=False, patience=0)
