import itertools
import json

import numpy as np
import pytest
import torch
from scipy import stats

from deeprg.errors import DatasetError, InputError, ModelFileError, NotFittedError, TooLargeError
from deeprg.nn import (
    DBN,
    RBM,
    RBMEstimator,
    TrainConfig,
    Trainer,
    ais_log_z,
    exact_log_z,
    load_model,
    reverse_ais_log_z,
    save_model,
    tap_gibbs_free_energy,
    tap_magnetizations,
    train_rbm,
)
from deeprg.nn._data import load_training_data


def digits(n_train=1200):
    from sklearn.datasets import load_digits

    X = (load_digits().data >= 8).astype(np.float32)
    p = np.random.default_rng(0).permutation(len(X))
    return X[p[:n_train]], X[p[n_train:]]


def all_states(n, unit="binary"):
    idx = np.arange(2**n)
    bits = ((idx[:, None] >> np.arange(n)) & 1).astype(np.float64)
    return bits if unit == "binary" else 2 * bits - 1


def random_rbm(nv, nh, scale=1.0, seed=0, **kw):
    rbm = RBM(nv, nh, dtype=torch.float64, seed=seed, **kw)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        rbm.W.copy_(scale * torch.randn(nv, nh, generator=g, dtype=torch.float64))
        rbm.vbias.copy_(0.3 * torch.randn(nv, generator=g, dtype=torch.float64))
        rbm.hbias.copy_(0.3 * torch.randn(nh, generator=g, dtype=torch.float64))
    return rbm


@pytest.mark.parametrize(
    "visible,hidden", [("binary", "binary"), ("spin", "spin"), ("binary", "spin"), ("spin", "binary")]
)
def test_free_energy_and_log_z_against_brute_force(visible, hidden):
    rbm = random_rbm(5, 4, visible=visible, hidden=hidden)
    with torch.no_grad():
        rbm.v_offset.fill_(0.2)
        rbm.h_offset.fill_(-0.1)
    V, H = torch.tensor(all_states(5, visible)), torch.tensor(all_states(4, hidden))
    E = torch.stack([rbm.energy(V, h.expand(len(V), -1)) for h in H], dim=1)  # (2^5, 2^4)
    F = -torch.logsumexp(-E, dim=1)
    torch.testing.assert_close(rbm.free_energy(V), F, rtol=1e-12, atol=1e-12)
    Fh = -torch.logsumexp(-E, dim=0)
    torch.testing.assert_close(rbm.free_energy_hidden(H), Fh, rtol=1e-12, atol=1e-12)
    assert exact_log_z(rbm) == pytest.approx(float(torch.logsumexp(-E.reshape(-1), 0)), rel=1e-12)


def test_free_energy_is_stable_for_large_inputs():
    rbm = RBM(3, 2, dtype=torch.float64)
    with torch.no_grad():
        rbm.W.fill_(500.0)
    f = rbm.free_energy(torch.ones(1, 3, dtype=torch.float64))
    assert torch.isfinite(f).all() and float(f) == pytest.approx(-3000.0)


def test_exact_gradient_equals_autograd_and_long_cd_approaches_it():
    rbm = random_rbm(6, 4, scale=0.5)
    data = torch.tensor(all_states(6)[np.random.default_rng(1).integers(0, 64, 200)])
    # exact gradient of the mean log-likelihood: -<dF>_data + <dF>_model, with p(v) from enumeration
    V = torch.tensor(all_states(6))
    with torch.no_grad():
        p = torch.softmax(-rbm.free_energy(V), 0)
    loss_exact = rbm.free_energy(data).mean() - (p * rbm.free_energy(V)).sum()
    g_exact = torch.autograd.grad(loss_exact, rbm.W)[0]
    # autograd of ln Z through the enumeration
    ll = -rbm.free_energy(data).mean() - torch.logsumexp(-rbm.free_energy(V), 0)
    g_auto = -torch.autograd.grad(ll, rbm.W)[0]
    torch.testing.assert_close(g_exact, g_auto, rtol=1e-10, atol=1e-12)
    # CD with a long chain from the data approaches it
    gen = torch.Generator().manual_seed(0)
    neg = rbm.gibbs(data.repeat(50, 1), 200, gen)
    g_cd = torch.autograd.grad(rbm.free_energy(data).mean() - rbm.free_energy(neg).mean(), rbm.W)[0]
    assert float((g_cd - g_exact).abs().max()) < 0.03 * float(g_exact.abs().max()) + 0.01


def test_ais_within_0_1_nats_and_reverse_ais_brackets():
    train, _ = digits()
    rbm = RBM(64, 16, seed=1)
    train_rbm(
        rbm,
        train,
        config=TrainConfig(
            method="pcd", epochs=15, lr=0.05, batch_size=20, n_chains=200, monitor_samples=200
        ),
    )
    exact = exact_log_z(rbm)
    fwd = ais_log_z(rbm, train, n_runs=100, n_betas=2000, seed=3)
    assert abs(fwd.log_z - exact) < 0.1
    gen = torch.Generator().manual_seed(5)
    samples = rbm.gibbs(torch.tensor(train[:100]), 1000, gen)
    rev = reverse_ais_log_z(rbm, train, samples, n_betas=2000, seed=4)
    assert abs(rev.log_z - exact) < 0.1
    assert min(fwd.log_z_low, rev.log_z_low) <= exact <= max(fwd.log_z_high, rev.log_z_high)


def test_tap_free_energy_tends_to_exact_as_weights_vanish():
    errors = []
    for scale in (0.4, 0.2, 0.1, 0.05):
        rbm = random_rbm(8, 5, scale=scale, seed=2)
        mv, mh = tap_magnetizations(
            rbm, torch.full((1, 8), 0.5, dtype=torch.float64), iterations=500, tol=1e-12
        )
        tap = -float(tap_gibbs_free_energy(rbm, mv, mh))
        errors.append(abs(tap - exact_log_z(rbm)))
    assert errors[-1] < 1e-4 and all(b < a for a, b in itertools.pairwise(errors))
    # the second-order term helps: naive mean field (drop the Onsager term) is worse
    rbm = random_rbm(8, 5, scale=0.2, seed=2)
    mv, mh = tap_magnetizations(rbm, torch.full((1, 8), 0.5, dtype=torch.float64), iterations=500, tol=1e-12)
    onsager = 0.5 * float((((mv - mv**2) @ (rbm.W**2)) * (mh - mh**2)).sum())
    exact = exact_log_z(rbm)
    assert abs(-float(tap_gibbs_free_energy(rbm, mv, mh)) - exact) < abs(
        -float(tap_gibbs_free_energy(rbm, mv, mh)) - onsager - exact
    )


def test_parallel_tempering_swap_acceptance_in_range():
    train, _ = digits(600)
    rbm = RBM(64, 16, seed=0)
    history = Trainer(
        rbm,
        TrainConfig(
            method="pt", epochs=3, lr=0.05, batch_size=50, n_chains=50, n_temperatures=6, monitor_samples=100
        ),
    ).fit(train)
    acc = np.array(history[-1]["swap_acceptance"])
    assert acc.shape == (5,) and np.all(acc > 0.2) and np.all(acc < 1.0)


def test_pcd_chains_sample_the_model():
    rbm = random_rbm(4, 3, scale=1.0, seed=4)
    trainer = Trainer(
        rbm, TrainConfig(method="pcd", lr=1e-12, epochs=1, n_chains=4000, k=1, monitor_samples=10)
    )
    data = torch.tensor(all_states(4)[np.random.default_rng(0).integers(0, 16, 200)])
    trainer._init_chains(data)
    for _ in range(30):  # the persistent chains evolve by Gibbs steps of the (fixed) model
        negative, _ = trainer._negative_samples(data)
    idx = (negative.numpy() @ (2 ** np.arange(4))).astype(int)
    counts = np.bincount(idx, minlength=16)
    with torch.no_grad():
        p = torch.softmax(-rbm.free_energy(torch.tensor(all_states(4))), 0).numpy()
    assert stats.chisquare(counts, p * counts.sum()).pvalue > 1e-4


@pytest.mark.parametrize("method", ["cd", "pcd", "pt", "tap"])
def test_every_method_improves_the_exact_likelihood(method):
    train, test = digits(800)
    rbm = RBM(64, 12, seed=0)
    before = float((-rbm.free_energy(torch.tensor(test))).mean()) - exact_log_z(rbm)
    history = train_rbm(
        rbm,
        train,
        test,
        TrainConfig(
            method=method,
            epochs=4,
            lr=0.05,
            batch_size=20,
            n_chains=100,
            n_temperatures=4,
            monitor_samples=200,
        ),
    )
    assert history[-1]["valid_log_likelihood"] > before + 5
    assert {"free_energy_gap", "reconstruction_error", "pseudo_log_likelihood"} <= set(history[-1])


def test_training_is_reproducible_and_resumes_from_checkpoints(tmp_path):
    train, _ = digits(400)
    cfg = TrainConfig(method="pcd", epochs=4, lr=0.05, batch_size=50, n_chains=50, monitor_samples=50)
    a = RBM(64, 8, seed=3)
    Trainer(a, cfg).fit(train)
    b = RBM(64, 8, seed=3)
    Trainer(b, cfg).fit(train)
    torch.testing.assert_close(a.W, b.W, rtol=0, atol=0)
    # interrupted after 2 epochs, resumed: same final weights
    c = RBM(64, 8, seed=3)
    Trainer(c, TrainConfig(**{**cfg.__dict__, "epochs": 2})).fit(train, checkpoint_dir=tmp_path / "ck")
    d = RBM(64, 8, seed=3)  # the same run (constant schedule), asked for more epochs
    history = Trainer(d, cfg).fit(train, checkpoint_dir=tmp_path / "ck")
    assert len(history) == 4
    torch.testing.assert_close(d.W, a.W, rtol=0, atol=0)


def test_centering_keeps_the_distribution_when_offsets_move():
    rbm = random_rbm(5, 3, scale=0.7)
    V = torch.tensor(all_states(5))
    with torch.no_grad():
        before = torch.softmax(-rbm.free_energy(V), 0)
    trainer = Trainer(rbm, TrainConfig(centering=True))
    trainer._set_visible_offset(V[:7])
    trainer._update_hidden_offset(V[:9], rate=0.5)
    with torch.no_grad():
        after = torch.softmax(-rbm.free_energy(V), 0)
    torch.testing.assert_close(before, after, rtol=1e-10, atol=1e-12)


def test_sklearn_contract():
    from sklearn.base import clone
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    d = load_digits()
    X, y = (d.data >= 8).astype(float), d.target
    est = RBMEstimator(n_components=16, n_iter=2, random_state=0)
    with pytest.raises(NotFittedError):
        est.transform(X)
    params = est.get_params()
    assert params["n_components"] == 16 and clone(est).get_params() == params
    pipe = Pipeline(
        [
            ("rbm", RBMEstimator(n_components=64, n_iter=10, learning_rate=0.05, random_state=0)),
            ("clf", LogisticRegression(max_iter=1000)),
        ]
    )
    pipe.fit(X[:1200], y[:1200])
    assert pipe.score(X[1200:], y[1200:]) > 0.6  # chance is 0.1: the learned features carry the digit
    fitted = pipe.named_steps["rbm"]
    assert fitted.components_.shape == (64, 64) and len(fitted.history_) == 10
    scores = fitted.score_samples(X[:5])
    assert scores.shape == (5,) and np.all(scores < 0)
    assert fitted.sample(3, gibbs_steps=5, random_state=1).shape == (3, 64)
    est.set_params(n_components=8).partial_fit(X[:100]).partial_fit(X[:100])
    assert len(est.history_) == 2 and est.components_.shape == (8, 64)


def test_dbn_shapes_and_free_energies():
    train, _ = digits(400)
    dbn = DBN.from_sizes([64, 32, 8])
    histories = dbn.fit(train, TrainConfig(epochs=2, lr=0.05, batch_size=50, n_chains=50, monitor_samples=50))
    assert len(histories) == 2
    ups = dbn.up(train[:10])
    assert [u.shape[1] for u in ups] == [64, 32, 8]
    assert dbn.reconstruct(train[:10]).shape == (10, 64)
    assert dbn.generate(7, gibbs_steps=10).shape == (7, 64)
    fe = dbn.layer_free_energies(train)
    assert len(fe) == 2 and all(np.isfinite(f["mean"]) and f["error"] > 0 for f in fe)
    with pytest.raises(InputError, match="chain"):
        DBN([RBM(4, 3), RBM(2, 2)])


@pytest.mark.parametrize("kind", ["rbm", "dbn"])
def test_save_load_round_trip(kind, tmp_path):
    model = random_rbm(6, 4, visible="spin") if kind == "rbm" else DBN.from_sizes([6, 4, 3], seed=2)
    save_model(model, tmp_path / "m", extra={"note": "x"})
    loaded, config = load_model(tmp_path / "m")
    assert config["type"] == kind and config["note"] == "x"
    for a, b in zip(model.state_dict().values(), loaded.state_dict().values(), strict=True):
        torch.testing.assert_close(a.double(), b.double(), rtol=0, atol=0)


def test_loading_something_else_fails_cleanly(tmp_path):
    with pytest.raises(ModelFileError, match="no such"):
        load_model(tmp_path / "nope")
    (tmp_path / "a").mkdir()
    with pytest.raises(ModelFileError, match=r"config\.json is missing"):
        load_model(tmp_path / "a")
    save_model(RBM(4, 2), tmp_path / "b")
    (tmp_path / "b" / "weights.safetensors").write_bytes(b"\x80\x04garbage pickle-like bytes")
    with pytest.raises(ModelFileError, match="corrupted"):
        load_model(tmp_path / "b")
    save_model(RBM(4, 2), tmp_path / "c")
    cfg = json.loads((tmp_path / "c" / "config.json").read_text())
    cfg["rbm"]["n_hidden"] = 3
    (tmp_path / "c" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match="shape"):
        load_model(tmp_path / "c")
    (tmp_path / "c" / "config.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="JSON"):
        load_model(tmp_path / "c")


def test_training_data_loading(tmp_path):
    np.save(tmp_path / "x.npy", np.array([[0, 1, 1], [1, 0, 0]]))
    x, _ = load_training_data(tmp_path / "x.npy")
    assert x.dtype == np.float32 and x.shape == (2, 3)
    np.save(tmp_path / "bad.npy", np.array([[0, 2, 1]]))
    with pytest.raises(DatasetError, match="binary"):
        load_training_data(tmp_path / "bad.npy")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DatasetError, match="pickled"):
        load_training_data(tmp_path / "obj.npy")
    (tmp_path / "t.txt").write_text("1 0")
    with pytest.raises(DatasetError, match="unsupported"):
        load_training_data(tmp_path / "t.txt")


def test_exact_log_z_refuses_large_layers():
    with pytest.raises(TooLargeError):
        exact_log_z(RBM(30, 30))
