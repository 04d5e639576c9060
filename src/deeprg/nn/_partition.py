"""Partition functions: exact enumeration, annealed importance sampling (AIS), reverse AIS.

- Exact: ln Z = logsumexp over every state of the smaller layer of -F(layer), in float64,
  in batches (up to ~24 units).
- AIS (Neal 2001; Salakhutdinov & Murray 2008): from a base-rate model p_A(v) ~ e^{c_A . v}
  built from the data's visible marginals, through p_k ~ p_A^{1-beta_k} p_B^{beta_k}, with a
  Gibbs transition at each beta_k. E[ln Z_hat] <= ln Z: it is optimistic on average.
- Reverse AIS (Burda, Grosse & Salakhutdinov 2015): the same path run backwards from samples
  of the model gives a stochastic upper bound; together they bracket ln Z.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np
import torch

from deeprg.errors import InputError, TooLargeError
from deeprg.nn._rbm import RBM, phi, unit_sample

MAX_EXACT_UNITS = 24


def _states(n: int, start: int, stop: int, unit: str, dtype, device) -> torch.Tensor:
    idx = torch.arange(start, stop, device=device, dtype=torch.int64)
    bits = ((idx[:, None] >> torch.arange(n, device=device)) & 1).to(dtype)
    return bits if unit == "binary" else 2.0 * bits - 1.0


@torch.no_grad()
def exact_log_z(rbm: RBM, *, batch: int = 1 << 16) -> float:
    """ln Z by enumerating the smaller layer (<= 24 units), in float64."""
    layer = "hidden" if rbm.n_hidden <= rbm.n_visible else "visible"
    n = min(rbm.n_hidden, rbm.n_visible)
    if n > MAX_EXACT_UNITS:
        raise TooLargeError(
            f"exact ln Z needs a layer of at most {MAX_EXACT_UNITS} units, the smaller layer has {n}; use AIS",
            size=n,
            limit=MAX_EXACT_UNITS,
        )
    model = copy.deepcopy(rbm).double()
    unit = model.hidden if layer == "hidden" else model.visible
    parts = []
    for start in range(0, 1 << n, batch):
        s = _states(n, start, min(1 << n, start + batch), unit, torch.float64, model.W.device)
        f = model.free_energy_hidden(s) if layer == "hidden" else model.free_energy(s)
        parts.append(torch.logsumexp(-f, dim=0))
    return float(torch.logsumexp(torch.stack(parts), dim=0))


@dataclass(frozen=True)
class AISResult:
    """ln Z estimate with its spread over runs.

    Attributes:
        log_z: ln of the mean importance weight (plus ln Z_A).
        log_z_low, log_z_high: ln(mean -+ 3 standard errors of the weights) (nan if negative).
        log_weights: float64 (runs,). n_betas: intermediate distributions.
    """

    log_z: float
    log_z_low: float
    log_z_high: float
    log_weights: np.ndarray
    n_betas: int
    reverse: bool = False

    def to_dict(self) -> dict:
        return {
            "log_z": self.log_z,
            "log_z_low": self.log_z_low,
            "log_z_high": self.log_z_high,
            "runs": int(self.log_weights.size),
            "n_betas": self.n_betas,
            "method": "reverse-ais" if self.reverse else "ais",
        }


def base_rate_bias(data, unit: str, eps: float = 1e-3) -> torch.Tensor:
    """Visible biases of the base-rate model from data marginals (clipped away from 0 and 1)."""
    x = torch.as_tensor(data, dtype=torch.float64)
    if unit == "binary":
        p = x.mean(0).clamp(eps, 1 - eps)
        return torch.log(p) - torch.log1p(-p)
    m = x.mean(0).clamp(-1 + 2 * eps, 1 - 2 * eps)
    return torch.atanh(m)


def _path(rbm: RBM, c_a: torch.Tensor):
    """-F_beta(v) along the AIS path and the Gibbs transition at beta (hidden units via beta)."""

    def neg_free(v, beta):
        base = (1.0 - beta) * (v @ c_a)
        target = v @ rbm.vbias - (v - rbm.v_offset) @ (rbm.W @ rbm.h_offset)
        return base + beta * target + phi(beta * rbm.hidden_input(v), rbm.hidden).sum(-1)

    def transition(v, beta, gen):
        h = unit_sample(beta * rbm.hidden_input(v), rbm.hidden, gen)
        vis_in = (1.0 - beta) * c_a + beta * rbm.visible_input(h)
        return unit_sample(vis_in, rbm.visible, gen)

    return neg_free, transition


def _log_z_base(rbm: RBM, c_a: torch.Tensor) -> float:
    return float(phi(c_a, rbm.visible).sum()) + rbm.n_hidden * math.log(2.0)


def _summarise(log_w: torch.Tensor, log_z_a: float, n_betas: int, reverse: bool) -> AISResult:
    lw = log_w.double().cpu().numpy()
    m = lw.max()
    w = np.exp(lw - m)
    mean, sem = w.mean(), w.std(ddof=1) / np.sqrt(w.size) if w.size > 1 else 0.0
    if not reverse:
        est = log_z_a + m + np.log(mean)
        low = log_z_a + m + np.log(mean - 3 * sem) if mean - 3 * sem > 0 else float("nan")
        high = log_z_a + m + np.log(mean + 3 * sem)
    else:  # weights estimate Z_A / Z_B
        est = log_z_a - (m + np.log(mean))
        high = log_z_a - (m + np.log(mean - 3 * sem)) if mean - 3 * sem > 0 else float("nan")
        low = log_z_a - (m + np.log(mean + 3 * sem))
    return AISResult(float(est), float(low), float(high), lw, n_betas, reverse)


def _betas(n_betas: int) -> torch.Tensor:
    if n_betas < 10:
        raise InputError(f"AIS needs at least 10 intermediate distributions, got {n_betas}")
    # denser near beta = 1, as in Salakhutdinov & Murray (2008)
    a = np.linspace(0, 0.5, n_betas // 6, endpoint=False)
    b = np.linspace(0.5, 0.9, n_betas // 3, endpoint=False)
    c = np.linspace(0.9, 1.0, n_betas - len(a) - len(b))
    return torch.tensor(np.concatenate([a, b, c]), dtype=torch.float64)


@torch.no_grad()
def ais_log_z(
    rbm: RBM, data, *, n_runs: int = 100, n_betas: int = 10000, seed: int = 0, progress=None
) -> AISResult:
    """Forward AIS estimate of ln Z (optimistic on average).

    ``progress``, if given, is called as ``progress(done, total)`` in annealing steps.
    """
    model = copy.deepcopy(rbm).double()
    c_a = base_rate_bias(data, rbm.visible).to(model.W.device)
    gen = torch.Generator(device=model.W.device).manual_seed(seed)
    betas = _betas(n_betas).to(model.W.device)
    neg_free, transition = _path(model, c_a)
    p = torch.sigmoid(c_a if rbm.visible == "binary" else 2 * c_a).expand(n_runs, -1)
    v = (torch.rand(p.shape, generator=gen, dtype=torch.float64, device=p.device) < p).double()
    if rbm.visible == "spin":
        v = 2 * v - 1
    log_w = torch.zeros(n_runs, dtype=torch.float64, device=p.device)
    for k in range(1, len(betas)):
        log_w += neg_free(v, float(betas[k])) - neg_free(v, float(betas[k - 1]))
        v = transition(v, float(betas[k]), gen)
        if progress is not None and (k % 100 == 0 or k == len(betas) - 1):
            progress(k, len(betas) - 1)
    return _summarise(log_w, _log_z_base(model, c_a), len(betas), False)


@torch.no_grad()
def reverse_ais_log_z(
    rbm: RBM, data, model_samples, *, n_betas: int = 10000, seed: int = 0, progress=None
) -> AISResult:
    """Reverse AIS from (approximate) model samples: a stochastic upper bound on ln Z.

    ``progress``, if given, is called as ``progress(done, total)`` in annealing steps.
    """
    model = copy.deepcopy(rbm).double()
    c_a = base_rate_bias(data, rbm.visible).to(model.W.device)
    gen = torch.Generator(device=model.W.device).manual_seed(seed)
    betas = _betas(n_betas).to(model.W.device).flip(0)
    neg_free, transition = _path(model, c_a)
    v = torch.as_tensor(model_samples, dtype=torch.float64, device=model.W.device)
    log_w = torch.zeros(v.shape[0], dtype=torch.float64, device=v.device)
    for k in range(1, len(betas)):
        log_w += neg_free(v, float(betas[k])) - neg_free(v, float(betas[k - 1]))
        v = transition(v, float(betas[k]), gen)
        if progress is not None and (k % 100 == 0 or k == len(betas) - 1):
            progress(k, len(betas) - 1)
    return _summarise(log_w, _log_z_base(model, c_a), len(betas), True)
