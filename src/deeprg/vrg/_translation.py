"""Translation structure of a layer's learned fields: are the fields translates of each other?

A convolutional layer's fields are exact translates of a few filters (Lin, Tegmark & Rolnick
2017, arXiv:1608.08225: translation symmetry leads to convolution; Pai, "Convolutional neural
networks arise from Ising models and restricted Boltzmann machines"). For a dense layer
trained on translation-invariant data (the critical Ising model on a torus) we ask how close it
comes, with a measure that a control can push either way:

- each field w_j (an L x M image, its mean removed) is centred on the torus: shifted so that
  its circular centroid of |w| sits at the origin;
- fields j, k match by the maximum over all circular shifts tau of the normalised
  cross-correlation |sum_x w_j(x) w_k(x + tau)| / (|w_j| |w_k|) (by FFT). The absolute value
  makes a field and its negative equivalent: flipping a binary hidden unit (h -> 1 - h) negates
  its weights and leaves p(v) unchanged.
- the layer's score is the mean over pairs of live fields (norm >= 10% of the largest) whose
  centroids are at least one lattice spacing apart: identical fields at one position are
  duplicates, not translates (a layer that learned one field many times is not a
  convolution), and are counted separately; the centred score is the same correlation at
  zero shift after centring.

Controls: surrogate fields with each field's own power spectrum and random phases (what the
score is for fields with the same spatial scales but no common shape), and fields learned from
column-shuffled data (no correlations to learn). Identical translates score 1; random fields
score ~ sqrt(2 ln(L M) / (L M)).
"""

from __future__ import annotations

import numpy as np

from deeprg.errors import InputError
from deeprg.lattice import torus_centroids


def circular_centroid(field) -> tuple[float, float]:
    """Centroid of |w| on the torus by circular means along each axis, in lattice units."""
    w = np.abs(np.asarray(field, dtype=np.float64))
    if w.ndim != 2:
        raise InputError(f"a field must be 2D (L, M), got shape {w.shape}")
    r, c = torus_centroids(w)
    return float(r), float(c)


def center_on_torus(field) -> np.ndarray:
    """Roll the field so its circular centroid (rounded) sits at site (0, 0)."""
    f = np.asarray(field, dtype=np.float64)
    r, c = circular_centroid(f)
    return np.roll(f, (-round(r) % f.shape[0], -round(c) % f.shape[1]), axis=(0, 1))


def _as_fields(fields, shape) -> np.ndarray:
    f = np.asarray(fields, dtype=np.float64)
    if f.ndim == 2 and shape is not None:  # (n_visible, n_hidden) weight matrix
        if f.shape[0] != shape[0] * shape[1]:
            raise InputError(
                f"a weight matrix needs {shape[0] * shape[1]} rows for shape {shape}, got {f.shape[0]}"
            )
        f = f.T.reshape(-1, *shape)
    if f.ndim != 3:
        raise InputError(f"fields must be (n, L, M), or (n_visible, n_hidden) with shape=, got {f.shape}")
    return f


def max_cross_correlation(fields) -> np.ndarray:
    """Matrix C[j, k] = max_tau |corr(w_j, w_k shifted by tau)|, fields (n, L, M) mean-removed
    and normalised (float64 (n, n), diagonal 1)."""
    f = np.asarray(fields, dtype=np.float64)
    f = f - f.mean(axis=(1, 2), keepdims=True)
    norm = np.sqrt((f * f).sum(axis=(1, 2)))
    f = f / np.where(norm > 0, norm, 1.0)[:, None, None]
    F = np.fft.fft2(f)
    cc = np.fft.ifft2(np.conj(F)[:, None] * F[None, :]).real  # (n, n, L, M)
    return np.abs(cc).max(axis=(2, 3))


def _torus_distance(a, b, shape) -> float:
    d = [min(abs(x - y), n - abs(x - y)) for x, y, n in zip(a, b, shape, strict=True)]
    return float(np.hypot(*d))


def translation_score(fields, shape=None, *, dead: float = 0.1, min_distance: float = 1.0) -> dict:
    """The translation structure of one layer.

    Args:
        fields: (n, L, M) images, or a weight matrix (n_visible, n_hidden) with ``shape``.
        dead: fields with norm below this fraction of the largest are set aside.

        min_distance: pairs whose centroids are closer than this (lattice units) are
            duplicates and left out of the scores.

    Returns 'score' (mean max cross-correlation over pairs of live fields at distinct
    positions), 'centered_score' (mean |correlation| at zero shift after centring each
    field), 'n_live', 'n_dead', 'n_pairs', 'duplicate_fraction' (of all live pairs); scores are
    nan when no pair qualifies.
    """
    f = _as_fields(fields, shape)
    norm = np.sqrt(((f - f.mean(axis=(1, 2), keepdims=True)) ** 2).sum(axis=(1, 2)))
    live = norm >= dead * norm.max() if norm.max() > 0 else np.zeros(len(f), dtype=bool)
    f = f[live]
    out = {"n_live": int(live.sum()), "n_dead": int((~live).sum())}
    nan = {"score": float("nan"), "centered_score": float("nan")}
    if len(f) < 2:
        return {**out, **nan, "n_pairs": 0, "duplicate_fraction": float("nan")}
    iu, ju = np.triu_indices(len(f), 1)
    cents = [circular_centroid(x) for x in f]
    apart = np.array(
        [
            _torus_distance(cents[i], cents[j], f.shape[1:]) >= min_distance
            for i, j in zip(iu, ju, strict=True)
        ]
    )
    out["n_pairs"] = int(apart.sum())
    out["duplicate_fraction"] = float(1.0 - apart.mean())
    if not apart.any():
        return {**out, **nan}
    iu, ju = iu[apart], ju[apart]
    out["score"] = float(max_cross_correlation(f)[iu, ju].mean())
    c = np.stack([center_on_torus(x) for x in f])
    c = c - c.mean(axis=(1, 2), keepdims=True)
    c /= np.sqrt((c * c).sum(axis=(1, 2)))[:, None, None]
    out["centered_score"] = float(np.abs(np.einsum("ixy,jxy->ij", c, c))[iu, ju].mean())
    return out


def phase_randomized(fields, seed: int | np.random.Generator = 0) -> np.ndarray:
    """Surrogates with each field's power spectrum and random phases (real, same norm).

    The phases are those of the FFT of real white noise, so the result stays real and its
    Fourier amplitudes |F(k)| equal the field's. fields: (n, L, M); returns (n, L, M).
    """
    f = np.asarray(fields, dtype=np.float64)
    rng = np.random.default_rng(seed)
    noise = np.fft.fft2(rng.standard_normal(f.shape))
    phase = noise / np.where(np.abs(noise) > 0, np.abs(noise), 1.0)
    phase[:, 0, 0] = 1.0  # keep the mean
    return np.fft.ifft2(np.fft.fft2(f) * phase).real


def translation_null(fields, shape=None, *, draws: int = 10, seed: int = 0, dead: float = 0.1) -> dict:
    """The score of phase-randomised surrogates of the same live fields: mean and spread over draws."""
    f = _as_fields(fields, shape)
    norm = np.sqrt(((f - f.mean(axis=(1, 2), keepdims=True)) ** 2).sum(axis=(1, 2)))
    f = f[norm >= dead * norm.max()] if norm.max() > 0 else f[:0]
    rng = np.random.default_rng(seed)
    scores = [translation_score(phase_randomized(f, rng), dead=0.0)["score"] for _ in range(draws)]
    scores = np.asarray(scores)
    scores = scores[np.isfinite(scores)]
    if scores.size == 0:
        return {"score": float("nan"), "spread": float("nan")}
    return {
        "score": float(np.mean(scores)),
        "spread": float(np.std(scores, ddof=1)) if scores.size > 1 else 0.0,
    }
