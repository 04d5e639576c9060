"""The convolutional RBM (tied weights on the torus) and the translation-structure measure."""

import numpy as np
import pytest
import torch

from deeprg.errors import InputError
from deeprg.nn import ConvRBM, TrainConfig, dense_parameter_count, exact_log_z, train_conv_rbm
from deeprg.vrg import (
    center_on_torus,
    circular_centroid,
    phase_randomized,
    translation_null,
    translation_score,
)


@pytest.mark.parametrize(
    "shape,filters,patch,visible,hidden",
    [
        ((4, 4), 2, None, "binary", "binary"),
        ((5, 3), 3, (2, 3), "spin", "binary"),
        ((4, 6), 1, (3, 3), "binary", "spin"),
    ],
)
def test_conv_free_energy_equals_dense_rbm_with_tied_weights(shape, filters, patch, visible, hidden):
    m = ConvRBM(shape, filters, patch, visible=visible, hidden=hidden, seed=1, weight_std=0.5)
    with torch.no_grad():
        m.hbias.normal_(generator=torch.Generator().manual_seed(2))
        m.vbias.fill_(0.3)
    d = m.to_dense()
    g = torch.Generator().manual_seed(3)
    v = torch.randint(0, 2, (9, m.n_visible), generator=g).double()
    h = torch.randint(0, 2, (9, m.n_hidden), generator=g).double()
    v = 2 * v - 1 if visible == "spin" else v
    h = 2 * h - 1 if hidden == "spin" else h
    torch.testing.assert_close(m.free_energy(v), d.free_energy(v), atol=1e-12, rtol=0)
    torch.testing.assert_close(m.energy(v, h), d.energy(v, h), atol=1e-12, rtol=0)
    torch.testing.assert_close(m.visible_input(h), d.visible_input(h), atol=1e-12, rtol=0)
    # weight sharing: every hidden unit's field is a translate of its filter
    W = d.W.detach().numpy()
    L, M = shape
    f0 = W[:, 0].reshape(L, M)
    for x in range(m.n_visible):
        np.testing.assert_array_equal(W[:, x].reshape(L, M), np.roll(f0, divmod(x, M), axis=(0, 1)))
    assert m.n_parameters < dense_parameter_count(m.n_visible, m.n_hidden)


def test_conv_rbm_is_translation_invariant_and_trains():
    m = ConvRBM((4, 4), 1, seed=0, weight_std=0.3)
    v = torch.randint(0, 2, (5, 16), generator=torch.Generator().manual_seed(0)).double()
    shifted = v.reshape(5, 4, 4).roll((1, 2), dims=(1, 2)).reshape(5, 16)
    torch.testing.assert_close(m.free_energy(v), m.free_energy(shifted), atol=1e-12, rtol=0)
    # stripes data: training raises the exact log-likelihood
    rng = np.random.default_rng(0)
    rows = rng.integers(0, 2, size=(400, 4, 1))
    data = np.broadcast_to(rows, (400, 4, 4)).reshape(400, 16).astype(np.float64)
    data = np.roll(data.reshape(400, 4, 4), 0, axis=1).reshape(400, 16)

    def ll(model):
        return float(-model.free_energy(torch.tensor(data)).mean() - exact_log_z(model.to_dense()))

    before = ll(m)
    train_conv_rbm(m, data, TrainConfig(method="pcd", epochs=15, lr=0.1, batch_size=50, n_chains=50, seed=1))
    assert ll(m) > before + 1.0
    with pytest.raises(InputError):
        train_conv_rbm(m, data, TrainConfig(method="tap"))
    with pytest.raises(InputError):
        ConvRBM((4, 4), 1, (5, 1))


def _blob(L, center, width=1.0):
    x = np.arange(L)
    d0 = np.minimum(np.abs(x - center[0]), L - np.abs(x - center[0]))
    d1 = np.minimum(np.abs(x - center[1]), L - np.abs(x - center[1]))
    return np.exp(-(d0[:, None] ** 2 + d1[None, :] ** 2) / (2 * width**2))


def test_centroid_on_the_torus():
    assert circular_centroid(_blob(10, (9, 0))) == pytest.approx((9.0, 0.0), abs=1e-9)
    c = center_on_torus(_blob(10, (3, 7)))
    assert np.unravel_index(np.argmax(c), c.shape) == (0, 0)


def test_translation_score_high_for_translates_low_for_random_fields():
    L = 12
    rng = np.random.default_rng(0)
    shape = _blob(L, (0, 0), 1.2) - 0.5 * _blob(L, (0, 2), 1.0)  # an asymmetric filter
    translates = np.stack([np.roll(shape, (rng.integers(L), rng.integers(L)), axis=(0, 1)) for _ in range(8)])
    noisy = translates + 0.05 * rng.standard_normal(translates.shape)
    s = translation_score(noisy)
    assert s["score"] > 0.9 and s["centered_score"] > 0.8 and s["n_live"] == 8
    assert translation_score(-noisy)["score"] == pytest.approx(s["score"])  # sign-blind
    random = translation_score(rng.standard_normal((8, L, L)))
    assert random["score"] < 0.4
    # the phase-randomised null keeps spectra, destroys common shape: translates beat it
    null = translation_null(noisy, draws=5, seed=1)
    assert s["score"] > null["score"] + 0.2
    # and random fields do not beat their own null
    f = rng.standard_normal((8, L, L))
    assert abs(translation_score(f)["score"] - translation_null(f, draws=5)["score"]) < 0.05
    # surrogates keep each field's power spectrum
    p = phase_randomized(noisy, seed=3)
    np.testing.assert_allclose(np.abs(np.fft.fft2(p)), np.abs(np.fft.fft2(noisy)), atol=1e-10)
    # the same field many times at one position is duplicates, not translates
    dup = translation_score(np.repeat(shape[None], 6, axis=0) + 0.01 * rng.standard_normal((6, L, L)))
    assert np.isnan(dup["score"]) and dup["duplicate_fraction"] == 1.0
    # a weight matrix (n_visible, n_hidden) is read as fields; dead units are set aside
    W = np.concatenate([noisy.reshape(8, -1).T, 1e-6 * rng.standard_normal((L * L, 2))], axis=1)
    s2 = translation_score(W, (L, L))
    assert s2["n_dead"] == 2 and s2["score"] == pytest.approx(s["score"])
