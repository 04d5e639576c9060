"""What a trained network learned, measured on the lattice.

- receptive fields: W1, W1 W2, W1 W2 W3, ... as images on the L x L lattice (rows of the
  products are visible sites, columns hidden units);
- the older locality summary of a field w (L x L): centroid by circular means of |w|, spread
  and the fraction of |w| within distance r of the centroid. Its printed baseline pi r^2/L^2
  is not its null (random dense fields score higher); :mod:`deeprg.vrg._locality` measures
  each field against its own shuffled null and is what the experiments use;
- placing hidden units on a coarse lattice (one unit per coarse site, by an optimal
  assignment of receptive-field centroids to coarse sites), so their samples can be fitted
  with effective couplings and compared with block-spin RG at the same scale.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from deeprg.errors import InputError
from deeprg.lattice import torus_centroids


def receptive_fields(weights: list[np.ndarray]) -> list[np.ndarray]:
    """Products W1, W1 W2, ...: list of (n_visible, n_hidden_l) arrays."""
    out, acc = [], None
    for W in weights:
        W = np.asarray(W, dtype=np.float64)
        acc = W if acc is None else acc @ W
        out.append(acc)
    return out


def _torus_centroid(mass: np.ndarray) -> tuple[float, float]:
    r, c = torus_centroids(mass)
    return float(r), float(c)


def _torus_distances(shape, center) -> np.ndarray:
    L, M = shape
    rr, cc = np.indices(shape, dtype=np.float64)
    dr = np.abs(rr - center[0])
    dc = np.abs(cc - center[1])
    dr = np.minimum(dr, L - dr)
    dc = np.minimum(dc, M - dc)
    return np.hypot(dr, dc)


def locality(field: np.ndarray, radius: float) -> dict:
    """Locality of one receptive field (L, M): centroid, spread, and mass within ``radius``."""
    w = np.abs(np.asarray(field, dtype=np.float64))
    if w.ndim != 2:
        raise InputError(f"a receptive field must be 2D (L, M), got shape {w.shape}")
    center = _torus_centroid(w)
    d = _torus_distances(w.shape, center)
    total = w.sum()
    if total == 0:
        return {"centroid": center, "spread": float("nan"), "mass_within": float("nan")}
    return {
        "centroid": center,
        "spread": float(np.sqrt(np.sum(w * d * d) / total)),
        "mass_within": float(w[d <= radius].sum() / total),
    }


def layer_locality(field_matrix: np.ndarray, shape, radius: float) -> dict:
    """Locality summary of every hidden unit of a layer: mean/median mass within radius and
    spread, with the random-field baseline pi r^2 / (L M)."""
    F = np.asarray(field_matrix)
    per = [locality(F[:, j].reshape(shape), radius) for j in range(F.shape[1])]
    mass = np.array([p["mass_within"] for p in per])
    spread = np.array([p["spread"] for p in per])
    sites_within = np.sum(_torus_distances(shape, (shape[0] // 2, shape[1] // 2)) <= radius)
    return {
        "mean_mass_within": float(np.nanmean(mass)),
        "median_mass_within": float(np.nanmedian(mass)),
        "mass_within_error": float(np.nanstd(mass) / np.sqrt(max(1, np.sum(np.isfinite(mass))))),
        "mean_spread": float(np.nanmean(spread)),
        "uniform_baseline": float(sites_within / (shape[0] * shape[1])),
        "centroids": [p["centroid"] for p in per],
    }


def assign_to_coarse_lattice(centroids, shape, coarse_shape) -> np.ndarray:
    """Hidden unit for each coarse site (row-major), by an optimal one-to-one assignment of
    receptive-field centroids to coarse-site centres on the torus. Needs as many hidden units
    as coarse sites (or more: extra units are left out)."""
    cents = np.asarray(centroids, dtype=np.float64)
    L, M = shape
    cl, cm = coarse_shape
    if cents.shape[0] < cl * cm:
        raise InputError(f"{cents.shape[0]} hidden units cannot fill a {cl}x{cm} coarse lattice")
    br, bc = L / cl, M / cm
    sites = np.array([((i + 0.5) * br - 0.5, (j + 0.5) * bc - 0.5) for i in range(cl) for j in range(cm)])
    dr = np.abs(sites[:, None, 0] - cents[None, :, 0])
    dc = np.abs(sites[:, None, 1] - cents[None, :, 1])
    dr = np.minimum(dr, L - dr)
    dc = np.minimum(dc, M - dc)
    rows, cols = linear_sum_assignment(np.hypot(dr, dc))
    order = np.empty(cl * cm, dtype=np.int64)
    order[rows] = cols
    return order


def analyze_network(
    layers,
    configs,
    *,
    radius: float | None = None,
    seed: int = 0,
    n_null: int = 8,
    max_ce_samples: int = 2000,
    progress=None,
) -> dict:
    """What ``deeprg vrg analyze`` reports for a stack of RBMs and +-1 data (n, L, L).

    Per layer:
    - ``locality``: receptive fields W1..Wl and covariance fields Cov(v, h_l) on the data,
      each unit against its own shuffled null (:func:`~deeprg.vrg.layer_locality_metrics`:
      R_eff, R_null, locality index ell = 1 - R_eff/R_null, PR/N, window share, dead units),
      plus the older "mass within ``radius``" summary;
    - ``cross_entropy_per_unit``: -<ln p_l(x_l)>/n_visible of the layer's inputs (exact ln Z
      for small layers, forward AIS otherwise): gauge-invariant, unlike the free energy per
      unit, which shifts by k ln 2 when k zero-weight hidden units are added;
    - where the layer has (L/b)^2 units: effective nn/nnn couplings of its hidden samples placed
      on the coarse lattice against majority-rule block spins at the same scale.

    ``progress(done, total)``, if given, is called as each layer starts and at the end.
    """
    import torch

    from deeprg.rg import block_configs, try_fit_couplings
    from deeprg.vrg._chains import cross_entropy_per_unit
    from deeprg.vrg._locality import covariance_fields, layer_locality_metrics

    s = np.asarray(configs)
    n, L, M = s.shape
    if L != M:
        raise InputError(f"square lattices only, got {L}x{M}")
    radius = L / 4 if radius is None else float(radius)
    first = layers[0]
    x = ((s.reshape(n, -1) + 1) / 2) if first.visible == "binary" else s.reshape(n, -1).astype(np.float64)
    weights = [layer.W.detach().double().cpu().numpy() for layer in layers]
    fields = receptive_fields(weights)
    out = {"L": L, "radius": radius, "layers": []}
    with torch.no_grad():
        h = first._as_tensor(x)
        reps = [h]
        for layer in layers:
            h = layer.hidden_mean(h)
            reps.append(h)
    rng = np.random.default_rng(seed)
    spins = s.reshape(n, -1).astype(np.float64)
    for i, (layer, F) in enumerate(zip(layers, fields, strict=True), start=1):
        if progress is not None:
            progress(i - 1, len(layers))
        loc = layer_locality(F, (L, L), radius)
        cov = covariance_fields(spins, reps[i].double().cpu().numpy())
        metrics = {
            kind: {
                k: v
                for k, v in layer_locality_metrics(f, (L, L), n_null=n_null, seed=seed + i).items()
                if not isinstance(v, list)
            }
            for kind, f in (("product", F), ("covariance", cov))
        }
        inputs = reps[i - 1][:max_ce_samples]
        if i > 1:  # the layer was trained on unit values: sample the propagated means
            gen = torch.Generator().manual_seed(seed + i)
            inputs = (torch.rand(inputs.shape, generator=gen, dtype=inputs.dtype) < inputs).to(inputs.dtype)
        entry = {
            "layer": i,
            "n_hidden": layer.n_hidden,
            "locality": {**metrics, "mass_within_radius": {k: v for k, v in loc.items() if k != "centroids"}},
            "cross_entropy_per_unit": cross_entropy_per_unit(layer, inputs.cpu().numpy(), seed=seed + i),
        }
        side = round(np.sqrt(layer.n_hidden))
        if (
            side * side == layer.n_hidden
            and side >= 4
            and L % side == 0
            and (L // side) & (L // side - 1) == 0
        ):
            b = L // side
            order = assign_to_coarse_lattice(loc["centroids"], (L, L), (side, side))
            probs = reps[i].cpu().numpy()[:, order]
            hs = np.where(rng.random(probs.shape) < probs, 1, -1).astype(np.int8).reshape(-1, side, side)
            blocked = s.astype(np.int8)
            for k in range(int(np.log2(b))):
                blocked = block_configs(blocked, 2, "majority", seed=seed + k)
            hf, bf = try_fit_couplings(hs, "nn,nnn"), try_fit_couplings(blocked, "nn,nnn")
            if hf is None or bf is None:
                entry["coupling_flow"] = {"b": b, "note": "couplings not identifiable: frozen samples"}
                out["layers"].append(entry)
                continue
            entry["coupling_flow"] = {
                "b": b,
                "hidden": {
                    "nn": [float(hf.couplings[0]), float(hf.errors[0])],
                    "nnn": [float(hf.couplings[1]), float(hf.errors[1])],
                },
                "block_spin": {
                    "nn": [float(bf.couplings[0]), float(bf.errors[0])],
                    "nnn": [float(bf.couplings[1]), float(bf.errors[1])],
                },
            }
        out["layers"].append(entry)
    if progress is not None:
        progress(len(layers), len(layers))
    return out
