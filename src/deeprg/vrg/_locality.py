"""Locality of receptive fields, measured against nulls that can say no.

Mehta & Schwab (2014, arXiv:1410.3831) show receptive fields of a deep belief network
trained on 2D Ising samples and read them as local block spins that grow with depth. Whether a
field is "local" needs a number and a null. For one hidden unit with field w (one value per
visible site of an L x M torus), with mass m_i = w_i^2 / sum_k w_k^2:

- effective radius R_eff = sqrt(sum_i m_i d(i, c)^2), d the minimum-image distance and c the
  circular centroid of m (the angle of sum_i m_i e^{2 pi i x_i / L} along each axis);
- participation ratio PR/N = (sum w^2)^2 / (N sum w^4): 1 for a flat field, 1/N for one site,
  1/3 for i.i.d. Gaussian weights. It measures sparsity, not geometry, and is unchanged when
  the sites are shuffled;
- the share of w^2 in the best b x b window (periodic).

Each is compared with a *per-field null*: the same field's values shuffled across sites
(``n_null`` shuffles, averaged). Shuffling keeps the value distribution (sparsity, sign, scale)
and destroys only the arrangement in space, so the locality index

    ell = 1 - R_eff / R_null

is 0 in expectation for any field whose values do not care where they sit, and approaches 1
for a compact blob. A one-site field (all of w^2 on one site) has R_eff = 0 and a shuffled null
that is itself a one-site field (R_null = 0): the ratio is 0/0, and the index takes the limit
of fields whose residual weight sits next to the site, ell = 1 (maximally local). Whenever
R_null < NULL_FLOOR the field is such a delta (R_eff <= R_null up to rounding) and ell = 1.

R_eff mixes a field's size with its non-locality (a compact blob plus weak far weight has a
large R_eff). The *core radius* measures the size of the part holding most of the weight:
with rho_50 the radius of the smallest disk (centred on a site, minimum-image distance) that
holds half of w^2,

    R_core = sqrt(2) rho_50,

the radius of the uniform disk with the same half-mass radius (a uniform disk of radius r has
rho_50 = r / sqrt(2)). Weight outside the disk, as long as it carries less than half of w^2,
does not move R_core. rho_50 is interpolated linearly in rho^2 between the lattice radii
where the best disk's share crosses 1/2. Units whose field norm is below ``dead_fraction`` of the layer's largest
are dead: excluded, and counted.

Deeper layers: fields of layer l are either the products W1 W2 ... Wl (rows visible sites)
or covariance fields Cov(v_i, h_j) of the data with the layer's hidden activations (Koch-Janusz
& Ringel 2018 measure what a coarse variable depends on in the data, not in the weights).
On a general graph, the graph-distance radius uses the medoid (the node minimising the second
moment) as centre.

Error bars are over independent training seeds (:func:`seed_interval`, :func:`seed_difference`),
never over units of one network: units of one network are not independent. With the 3 to 5
seeds an experiment can afford, a percentile bootstrap (:func:`bootstrap_mean`) covers the
mean only about 74% (n = 3) or 84% (n = 5) of the time at a nominal 95%; the Student-t
interval (Student 1908; Welch 1947 for a difference) is exact for normal per-seed values.
"""

from __future__ import annotations

import numpy as np

from deeprg.errors import InputError
from deeprg.lattice import torus_centroids

DEAD_FRACTION = 0.1
NULL_FLOOR = 1e-6  # lattice spacings: a shuffled-null radius below this is a one-site field


def _as_fields(fields, n_sites: int) -> np.ndarray:
    F = np.asarray(fields, dtype=np.float64)
    if F.ndim == 1:
        F = F[:, None]
    if F.ndim != 2 or F.shape[0] != n_sites:
        raise InputError(f"fields must be (n_sites={n_sites}, n_units), got shape {F.shape}")
    if not np.all(np.isfinite(F)):
        raise InputError("fields contain NaN or inf")
    return F


def _torus_axis_distance(x: np.ndarray, c: np.ndarray, period: int) -> np.ndarray:
    d = np.abs(x - c)
    return np.minimum(d, period - d)


def effective_radius(fields, shape) -> tuple[np.ndarray, np.ndarray]:
    """R_eff of every unit and its centroid.

    Args:
        fields: float (L*M, n_units), rows in row-major site order. shape: (L, M).

    Returns:
        (R_eff float64 (n_units,), centroids float64 (n_units, 2)); NaN for an all-zero field.
    """
    L, M = shape
    F = _as_fields(fields, L * M)
    mass = (F * F).T.reshape(-1, L, M)
    total = mass.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        pr = mass.sum(2) / total[:, None]  # (u, L)
        pc = mass.sum(1) / total[:, None]  # (u, M)
    cr, cc = torus_centroids(np.moveaxis(mass, 0, -1)).T
    cr, cc = np.where(total > 0, cr, np.nan), np.where(total > 0, cc, np.nan)
    dr = _torus_axis_distance(np.arange(L)[None, :], cr[:, None], L)  # (u, L)
    dc = _torus_axis_distance(np.arange(M)[None, :], cc[:, None], M)  # (u, M)
    with np.errstate(invalid="ignore", divide="ignore"):
        r2 = (np.sum(pr * dr**2, axis=1)) + (np.sum(pc * dc**2, axis=1))
    r = np.sqrt(r2)
    r[total == 0] = np.nan
    return r, np.stack([cr, cc], axis=1)


def _torus_d2(L: int, M: int) -> np.ndarray:
    """Squared minimum-image distance of every site from the origin: int64 (L, M)."""
    r = np.arange(L)
    c = np.arange(M)
    dr = np.minimum(r, L - r)
    dc = np.minimum(c, M - c)
    return dr[:, None] ** 2 + dc[None, :] ** 2


def core_radius(fields, shape) -> np.ndarray:
    """Core radius R_core = sqrt(2) rho_50 of every unit: float64 (n_units,), NaN for a zero field.

    rho_50 is the smallest radius rho such that some disk {i : d(i, c) <= rho} centred on a site
    c of the L x M torus holds at least half of w^2 (d the minimum-image distance), linearly
    interpolated in rho^2 between the two lattice radii bracketing the crossing of 1/2; the
    factor sqrt(2) makes a uniform disk of radius r report r. Disk sums for all centres at
    once are circular convolutions (FFT); the radius is found by bisection over the distinct
    lattice distances, so the cost is O(log N) FFTs of the layer.

    Args:
        fields: float (L*M, n_units), rows in row-major site order. shape: (L, M).
    """
    L, M = shape
    F = _as_fields(fields, L * M)
    mass = (F * F).T.reshape(-1, L, M)
    total = mass.sum(axis=(1, 2))
    n = mass.shape[0]
    d2 = _torus_d2(L, M)
    radii2 = np.unique(d2)  # sorted distinct squared distances, radii2[0] = 0
    fm = np.fft.fft2(mass)

    def best_share(idx: np.ndarray) -> np.ndarray:
        kern = (d2[None, :, :] <= radii2[idx][:, None, None]).astype(np.float64)
        sums = np.real(np.fft.ifft2(fm * np.fft.fft2(kern)))
        with np.errstate(invalid="ignore", divide="ignore"):
            return sums.reshape(n, -1).max(1) / total

    # bisection: smallest index k with best_share(k) >= 1/2 (the whole torus holds all of it)
    lo = np.full(n, -1)
    hi = np.full(n, radii2.size - 1)
    while np.any(hi - lo > 1):
        mid = (lo + hi) // 2
        active = hi - lo > 1
        ok = best_share(np.maximum(mid, 0)) >= 0.5 - 1e-12
        hi = np.where(active & ok, mid, hi)
        lo = np.where(active & ~ok, mid, lo)
    s_hi = best_share(hi)
    s_lo = np.where(lo >= 0, best_share(np.maximum(lo, 0)), 0.0)
    r2_hi = radii2[hi].astype(np.float64)
    r2_lo = np.where(lo >= 0, radii2[np.maximum(lo, 0)], 0).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.clip((0.5 - s_lo) / (s_hi - s_lo), 0.0, 1.0)
    rho2 = np.where(hi == 0, 0.0, r2_lo + frac * (r2_hi - r2_lo))
    out = np.sqrt(2.0 * rho2)
    out[~(total > 0)] = np.nan
    return out


def locality_index(r_eff, r_null) -> np.ndarray:
    """ell = 1 - R_eff / R_null elementwise, with ell = 1 where R_null < NULL_FLOOR (a one-site
    field, whose shuffled null is again a one-site field: maximally local, not 0/0)."""
    r = np.asarray(r_eff, dtype=np.float64)
    rn = np.asarray(r_null, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        ell = 1.0 - r / rn
    return np.where(rn < NULL_FLOOR, 1.0, ell)


def participation_ratio(fields) -> np.ndarray:
    """PR/N = (sum w^2)^2 / (N sum w^4) per unit: float64 (n_units,)."""
    F = np.asarray(fields, dtype=np.float64)
    F = F[:, None] if F.ndim == 1 else F
    w2 = F * F
    with np.errstate(invalid="ignore", divide="ignore"):
        return w2.sum(0) ** 2 / (F.shape[0] * (w2 * w2).sum(0))


def window_share(fields, shape, b: int) -> np.ndarray:
    """Largest share of w^2 inside any b x b window of the torus, per unit: float64 (n_units,)."""
    L, M = shape
    if not 1 <= b <= min(L, M):
        raise InputError(f"window side b must be in 1..{min(L, M)}, got {b}")
    F = _as_fields(fields, L * M)
    mass = (F * F).T.reshape(-1, L, M)
    total = mass.sum(axis=(1, 2))
    box = np.zeros((L, M))
    box[:b, :b] = 1.0
    # circular cross-correlation: window sums for every top-left corner
    sums = np.real(np.fft.ifft2(np.fft.fft2(mass) * np.conj(np.fft.fft2(box))))
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums.reshape(sums.shape[0], -1).max(1) / total


def graph_radius(fields, distances: np.ndarray) -> np.ndarray:
    """Second-moment radius about the medoid in graph distance, per unit.

    R_g = min_c sqrt(sum_i m_i d(c, i)^2) with m = w^2 / sum w^2 and d the shortest-path
    distance matrix (n_sites, n_sites). Returns float64 (n_units,).
    """
    D = np.asarray(distances, dtype=np.float64)
    F = _as_fields(fields, D.shape[0])
    mass = F * F
    total = mass.sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = mass / total
    second = (D * D) @ m  # (centre, unit)
    return np.sqrt(second.min(0))


def dead_units(fields, fraction: float = DEAD_FRACTION) -> np.ndarray:
    """Boolean (n_units,): field norm below ``fraction`` of the layer's largest norm."""
    F = np.asarray(fields, dtype=np.float64)
    norms = np.linalg.norm(F, axis=0)
    top = norms.max() if norms.size else 0.0
    return norms <= fraction * top if top > 0 else np.ones(norms.shape, dtype=bool)


def _shuffled(F: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each column's values permuted across sites independently."""
    idx = np.argsort(rng.random(F.shape), axis=0)
    return np.take_along_axis(F, idx, axis=0)


def layer_locality_metrics(
    fields,
    shape=None,
    *,
    window: int | None = None,
    distances: np.ndarray | None = None,
    n_null: int = 8,
    dead_fraction: float = DEAD_FRACTION,
    seed: int = 0,
) -> dict:
    """Locality of every live unit of a layer, each against its own shuffled null.

    Args:
        fields: float (n_sites, n_units). shape: (L, M) of the torus for the lattice metrics
            (None: graph metrics only). window: side b of the window share (default
            max(2, round(L / sqrt(n_units)))). distances: (n_sites, n_sites) graph distances
            for the graph radius (optional). n_null: shuffles per unit.

    Returns:
        dict with per-unit lists over live units (``r_eff``, ``r_null``, ``ell``, ``r_core``, ``pr``,
        ``window``, ``window_null``, ``r_graph``, ``r_graph_null``, ``ell_graph``) and layer
        means (``mean_ell``, ``mean_r_eff``, ...), ``n_units``, ``n_dead``, ``window_b``.
    """
    F = np.asarray(fields, dtype=np.float64)
    F = F[:, None] if F.ndim == 1 else F
    if F.ndim != 2 or F.shape[1] == 0:
        raise InputError(f"fields must be (n_sites, n_units), got shape {F.shape}")
    if n_null < 1:
        raise InputError(f"n_null must be >= 1, got {n_null}")
    dead = dead_units(F, dead_fraction)
    live = F[:, ~dead]
    out: dict = {"n_units": int(F.shape[1]), "n_dead": int(dead.sum()), "n_live": int(live.shape[1])}
    rng = np.random.default_rng(seed)
    nulls = [_shuffled(live, rng) for _ in range(n_null)] if live.shape[1] else []
    per: dict[str, np.ndarray] = {}
    if live.shape[1]:
        per["pr"] = participation_ratio(live)
        if shape is not None:
            L, M = shape
            b = window if window is not None else max(2, round(L / np.sqrt(F.shape[1])))
            b = int(min(b, L, M))
            out["window_b"] = b
            per["r_eff"] = effective_radius(live, shape)[0]
            per["r_null"] = np.mean([effective_radius(N, shape)[0] for N in nulls], axis=0)
            per["ell"] = locality_index(per["r_eff"], per["r_null"])
            per["r_core"] = core_radius(live, shape)
            per["window"] = window_share(live, shape, b)
            per["window_null"] = np.mean([window_share(N, shape, b) for N in nulls], axis=0)
        if distances is not None:
            per["r_graph"] = graph_radius(live, distances)
            per["r_graph_null"] = np.mean([graph_radius(N, distances) for N in nulls], axis=0)
            per["ell_graph"] = locality_index(per["r_graph"], per["r_graph_null"])
    for key, values in per.items():
        out[key] = values.tolist()
        out[f"mean_{key}"] = float(np.mean(values))
    return out


def covariance_fields(visible, hidden) -> np.ndarray:
    """Cov(v_i, h_j) over samples: visible (n, n_sites), hidden (n, n_units) -> (n_sites, n_units)."""
    v = np.asarray(visible, dtype=np.float64)
    h = np.asarray(hidden, dtype=np.float64)
    if v.ndim != 2 or h.ndim != 2 or v.shape[0] != h.shape[0] or v.shape[0] < 2:
        raise InputError(f"need (n, n_sites) and (n, n_units) with the same n >= 2, got {v.shape}, {h.shape}")
    return (v - v.mean(0)).T @ (h - h.mean(0)) / (v.shape[0] - 1)


def bootstrap_mean(values, *, n_boot: int = 4000, level: float = 0.95, seed: int = 0) -> dict:
    """Mean of per-seed values with a percentile bootstrap interval over seeds.

    Returns {"mean", "low", "high", "n"} (NaN interval for fewer than two finite values).
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return {"mean": float("nan"), "low": float("nan"), "high": float("nan"), "n": 0}
    if x.size < 2:
        return {"mean": float(x[0]), "low": float("nan"), "high": float("nan"), "n": 1}
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(n_boot, x.size))].mean(1)
    a = (1.0 - level) / 2
    return {
        "mean": float(x.mean()),
        "low": float(np.quantile(means, a)),
        "high": float(np.quantile(means, 1 - a)),
        "n": int(x.size),
    }


def seed_interval(values, *, level: float = 0.95) -> dict:
    """Mean of per-seed values with the Student-t interval mean +- t_{n-1} s / sqrt(n).

    Exact coverage for normal per-seed values at any n >= 2 (a percentile bootstrap over
    3 seeds covers about 74% at a nominal 95%). Non-finite values are dropped.

    Returns {"mean", "low", "high", "n"} (NaN interval for fewer than two finite values).
    """
    from scipy.stats import t as student_t

    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return {"mean": float("nan"), "low": float("nan"), "high": float("nan"), "n": 0}
    if x.size < 2:
        return {"mean": float(x[0]), "low": float("nan"), "high": float("nan"), "n": 1}
    m = float(x.mean())
    half = float(student_t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return {"mean": m, "low": m - half, "high": m + half, "n": int(x.size)}


def seed_difference(a, b, *, level: float = 0.95) -> dict:
    """mean(a) - mean(b) of two sets of per-seed values with Welch's t interval
    (Welch 1947: variances s_a^2/n_a + s_b^2/n_b, Welch-Satterthwaite degrees of freedom)."""
    from scipy.stats import t as student_t

    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    if x.size < 2 or y.size < 2:
        d = float(x.mean() - y.mean()) if x.size and y.size else float("nan")
        return {"mean": d, "low": float("nan"), "high": float("nan"), "n": int(min(x.size, y.size))}
    vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    d = float(x.mean() - y.mean())
    se2 = vx + vy
    if se2 == 0:
        return {"mean": d, "low": d, "high": d, "n": int(min(x.size, y.size))}
    dof = se2**2 / (vx**2 / (x.size - 1) + vy**2 / (y.size - 1))
    half = float(student_t.ppf(0.5 + level / 2, dof) * np.sqrt(se2))
    return {"mean": d, "low": d - half, "high": d + half, "n": int(min(x.size, y.size))}
