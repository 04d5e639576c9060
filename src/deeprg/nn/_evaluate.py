"""Model evaluation: what ``deeprg eval`` reports."""

from __future__ import annotations

import numpy as np
import torch

from deeprg.nn._dbn import DBN
from deeprg.nn._partition import (
    DEFAULT_AIS_BETAS,
    DEFAULT_AIS_RUNS,
    MAX_EXACT_UNITS,
    ais_bracket,
    exact_log_z,
)
from deeprg.nn._rbm import RBM
from deeprg.nn._train import pseudo_log_likelihood, reconstruction_error


def _train_free_energy(config: dict) -> float | None:
    history = config.get("history")
    if isinstance(history, list) and history and isinstance(history[-1], dict):
        return history[-1].get("train_free_energy")
    return None


@torch.no_grad()
def evaluate_model(
    model,
    data,
    config: dict | None = None,
    *,
    ais_runs: int = DEFAULT_AIS_RUNS,
    ais_betas: int = DEFAULT_AIS_BETAS,
    seed: int = 0,
    progress=None,
) -> dict:
    """Evaluate an RBM (log-likelihood exact, or bracketed by forward and reverse AIS,
    pseudo-LL, reconstruction error, free-energy gap) or a DBN (reconstruction error,
    per-layer free energies, and the first layer's RBM log-likelihood). ``progress(stage,
    step, n_steps)`` reports the AIS stages."""
    config = config or {}
    x = torch.as_tensor(np.asarray(data))
    if isinstance(model, DBN):
        rbm0 = model.layers[0]
        x = x.to(rbm0.W.dtype)
        out = {
            "type": "dbn",
            "layers": model.sizes,
            "reconstruction_error": float(((model.reconstruct(x) - x) ** 2).mean()),
            "layer_free_energies": model.layer_free_energies(x),
        }
        out["first_layer"] = evaluate_model(
            rbm0, x, {}, ais_runs=ais_runs, ais_betas=ais_betas, seed=seed, progress=progress
        )
        return out
    rbm: RBM = model
    x = x.to(rbm.W.dtype)
    f = rbm.free_energy(x).double()
    gen = torch.Generator(device=rbm.W.device).manual_seed(seed)
    out = {"type": "rbm", "n_visible": rbm.n_visible, "n_hidden": rbm.n_hidden, "n_samples": int(x.shape[0])}
    if min(rbm.n_visible, rbm.n_hidden) <= MAX_EXACT_UNITS:
        lz = exact_log_z(rbm)
        ll = -f - lz
        out["log_likelihood"] = {
            "value": float(ll.mean()),
            "error": float(ll.std() / np.sqrt(ll.numel())),
            "method": "exact",
            "log_z": lz,
        }
    else:
        br = ais_bracket(rbm, x, n_runs=ais_runs, n_betas=ais_betas, seed=seed, progress=progress)
        mean_neg_f = float((-f).mean())
        out["log_likelihood"] = {
            "value": mean_neg_f - br.log_z,
            "error": float(f.std() / np.sqrt(f.numel())),
            "bracket": [mean_neg_f - br.high, mean_neg_f - br.low],
            "method": "ais",
            "log_z": br.log_z,
            "log_z_bracket": [br.low, br.high],
            "log_z_forward_ais": br.forward.log_z,
            "log_z_reverse_ais": br.reverse.log_z,
            "ais_crossed": br.crossed,
            "ais_runs": ais_runs,
            "ais_betas": ais_betas,
            "ais_seconds": br.seconds,
            "note": "forward AIS is a stochastic lower bound on ln Z, reverse AIS (from Gibbs samples) "
            "an upper one; the value uses the midpoint, the bracket holds ln Z when both are unbiased",
        }
    out["pseudo_log_likelihood"] = pseudo_log_likelihood(rbm, x, gen)
    out["reconstruction_error"] = reconstruction_error(rbm, x)
    out["mean_free_energy"] = float(f.mean())
    train_f = _train_free_energy(config)
    out["free_energy_gap"] = None if train_f is None else float(f.mean()) - train_f
    return out
