"""Model evaluation: what ``deeprg eval`` reports."""

from __future__ import annotations

import numpy as np
import torch

from deeprg.nn._dbn import DBN
from deeprg.nn._partition import MAX_EXACT_UNITS, ais_log_z, exact_log_z, reverse_ais_log_z
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
    ais_runs: int = 100,
    ais_betas: int = 10000,
    seed: int = 0,
    progress=None,
) -> dict:
    """Evaluate an RBM (log-likelihood exact or by AIS with a reverse-AIS bracket, pseudo-LL,
    reconstruction error, free-energy gap) or a DBN (reconstruction error, per-layer free
    energies, and the first layer's RBM log-likelihood). ``progress(done, total)``, if given,
    follows the AIS and reverse-AIS annealing steps."""
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
        fwd_p = rev_p = None
        if progress is not None:
            fwd_p = lambda done, total: progress(done, 2 * total)  # noqa: E731
            rev_p = lambda done, total: progress(total + done, 2 * total)  # noqa: E731
        fwd = ais_log_z(rbm, x, n_runs=ais_runs, n_betas=ais_betas, seed=seed, progress=fwd_p)
        samples = rbm.gibbs(x[torch.randint(0, x.shape[0], (ais_runs,), generator=gen)], 1000, gen)
        rev = reverse_ais_log_z(rbm, x, samples, n_betas=ais_betas, seed=seed + 1, progress=rev_p)
        ll = -f - fwd.log_z
        out["log_likelihood"] = {
            "value": float(ll.mean()),
            "error": float(ll.std() / np.sqrt(ll.numel())),
            "method": "ais",
            "log_z": fwd.log_z,
            "log_z_ais_bracket": [fwd.log_z_low, fwd.log_z_high],
            "log_z_reverse_ais": rev.log_z,
            "log_likelihood_pessimistic": float((-f).mean() - max(rev.log_z, fwd.log_z)),
            "note": "AIS is optimistic on average; reverse AIS from Gibbs samples is pessimistic; together they bracket ln Z",
        }
    out["pseudo_log_likelihood"] = pseudo_log_likelihood(rbm, x, gen)
    out["reconstruction_error"] = reconstruction_error(rbm, x)
    out["mean_free_energy"] = float(f.mean())
    train_f = _train_free_energy(config)
    out["free_energy_gap"] = None if train_f is None else float(f.mean()) - train_f
    return out
