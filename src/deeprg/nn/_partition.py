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
    """ln Z by enumerating the smaller layer (<= 24 units), in float64.

    With s the enumerated layer and o the other one, ln Z = logsumexp_s [lin(s) +
    sum_i phi(x_i + sum_j W_ij (s_j - off_j))]. The layer's units are split into a low and a
    high half, so the inputs of all 2^n states are sums of 2^(n/2) + 2^(n/2) precomputed rows
    instead of 2^n matrix-vector products.
    """
    layer = "hidden" if rbm.n_hidden <= rbm.n_visible else "visible"
    n = min(rbm.n_hidden, rbm.n_visible)
    if n > MAX_EXACT_UNITS:
        raise TooLargeError(
            f"exact ln Z needs a layer of at most {MAX_EXACT_UNITS} units, the smaller layer has {n}; use AIS",
            size=n,
            limit=MAX_EXACT_UNITS,
        )
    dev = rbm.W.device
    W = rbm.W.detach().double()
    if layer == "hidden":  # s = h: lin = b.h - (h - lam).(W^T mu), inputs c + W (h - lam) on v
        W_s, bias_s, off_s = W.T, rbm.hbias.detach().double(), rbm.h_offset.double()
        bias_o, off_o, unit_s, unit_o = (
            rbm.vbias.detach().double(),
            rbm.v_offset.double(),
            rbm.hidden,
            rbm.visible,
        )
    else:  # s = v: lin = c.v - (v - mu).(W lam), inputs b + (v - mu) W on h
        W_s, bias_s, off_s = W, rbm.vbias.detach().double(), rbm.v_offset.double()
        bias_o, off_o, unit_s, unit_o = (
            rbm.hbias.detach().double(),
            rbm.h_offset.double(),
            rbm.visible,
            rbm.hidden,
        )
    # W_s: (n_s, n_o); off_o enters the linear term through W_s @ off_o
    lin_w = bias_s - W_s @ off_o
    n_lo = n // 2
    n_hi = n - n_lo
    lo = _states(n_lo, 0, 1 << n_lo, unit_s, torch.float64, dev)
    hi = _states(n_hi, 0, 1 << n_hi, unit_s, torch.float64, dev)
    in_lo = (lo - off_s[:n_lo]) @ W_s[:n_lo]  # (2^n_lo, n_o)
    in_hi = bias_o + (hi - off_s[n_lo:]) @ W_s[n_lo:]  # (2^n_hi, n_o)
    lin_lo = lo @ lin_w[:n_lo] + off_s[:n_lo] @ (W_s[:n_lo] @ off_o)
    lin_hi = hi @ lin_w[n_lo:] + off_s[n_lo:] @ (W_s[n_lo:] @ off_o)
    chunk = max(1, batch // (1 << n_lo))
    parts = []
    for start in range(0, 1 << n_hi, chunk):
        stop = min(1 << n_hi, start + chunk)
        x = in_hi[start:stop, None, :] + in_lo[None, :, :]  # (chunk, 2^n_lo, n_o)
        neg_f = phi(x, unit_o).sum(-1) + lin_hi[start:stop, None] + lin_lo[None, :]
        parts.append(torch.logsumexp(neg_f.reshape(-1), dim=0))
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


def _run_path(rbm: RBM, c_a: torch.Tensor, v: torch.Tensor, betas: torch.Tensor, gen, progress=None):
    """Accumulate ln w = sum_k [-F_{beta_k}(v_{k-1}) + F_{beta_{k-1}}(v_{k-1})] along the path
    p_k ~ p_A^{1-beta_k} p_B^{beta_k}, with one Gibbs transition at each beta_k.

    -F_beta(v) = (1 - beta) c_A.v + beta (c.v - (v - mu).W lam) + sum_j phi(beta a_j(v)); the
    hidden input a(v) is computed once per step and serves both terms and the transition.
    """
    offset_field = rbm.W @ rbm.h_offset
    log_w = torch.zeros(v.shape[0], dtype=torch.float64, device=v.device)
    n = len(betas)
    report = max(1, (n - 1) // 100)
    b = betas.tolist()
    for k in range(1, n):
        a = rbm.hidden_input(v)
        lin_base = v @ c_a
        lin_target = v @ rbm.vbias - (v - rbm.v_offset) @ offset_field
        log_w += (b[k - 1] - b[k]) * lin_base + (b[k] - b[k - 1]) * lin_target
        log_w += (phi(b[k] * a, rbm.hidden) - phi(b[k - 1] * a, rbm.hidden)).sum(-1)
        h = unit_sample(b[k] * a, rbm.hidden, gen)
        v = unit_sample((1.0 - b[k]) * c_a + b[k] * rbm.visible_input(h), rbm.visible, gen)
        if progress is not None and (k % report == 0 or k == n - 1):
            progress(k, n - 1)
    return log_w


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


def _check_ais_args(n_runs: int, n_betas: int):
    if isinstance(n_runs, bool) or not isinstance(n_runs, int | np.integer) or n_runs < 2:
        raise InputError(f"AIS needs at least 2 runs, got {n_runs!r}")
    if isinstance(n_betas, bool) or not isinstance(n_betas, int | np.integer):
        raise InputError(f"n_betas must be an integer, got {n_betas!r}")


#: Default AIS schedule: 100 runs of 2,000 intermediate distributions (see ais_bracket).
DEFAULT_AIS_RUNS, DEFAULT_AIS_BETAS = 100, 2000


@torch.no_grad()
def ais_log_z(
    rbm: RBM,
    data,
    *,
    n_runs: int = DEFAULT_AIS_RUNS,
    n_betas: int = DEFAULT_AIS_BETAS,
    seed: int = 0,
    progress=None,
) -> AISResult:
    """Forward AIS estimate of ln Z: a stochastic lower bound (E[ln Z_hat] <= ln Z), so the
    log-likelihood it gives is optimistic. ``progress(step, n_steps)`` is called about 100
    times. ``log_z_low``/``log_z_high`` are ln(mean -+ 3 SE) of the weights, which reflect
    only the weights' spread: use :func:`ais_bracket` for an interval that holds ln Z."""
    _check_ais_args(n_runs, n_betas)
    model = copy.deepcopy(rbm).double()
    c_a = base_rate_bias(data, rbm.visible).to(model.W.device)
    gen = torch.Generator(device=model.W.device).manual_seed(seed)
    betas = _betas(n_betas).to(model.W.device)
    p = torch.sigmoid(c_a if rbm.visible == "binary" else 2 * c_a).expand(n_runs, -1)
    v = (torch.rand(p.shape, generator=gen, dtype=torch.float64, device=p.device) < p).double()
    if rbm.visible == "spin":
        v = 2 * v - 1
    log_w = _run_path(model, c_a, v, betas, gen, progress)
    return _summarise(log_w, _log_z_base(model, c_a), len(betas), False)


@torch.no_grad()
def reverse_ais_log_z(
    rbm: RBM, data, model_samples, *, n_betas: int = DEFAULT_AIS_BETAS, seed: int = 0, progress=None
) -> AISResult:
    """Reverse AIS from model samples (Burda, Grosse & Salakhutdinov 2015): a stochastic
    upper bound on ln Z when the samples are exact; from Gibbs chains it is approximate."""
    samples = torch.as_tensor(np.asarray(model_samples), dtype=torch.float64)
    _check_ais_args(int(samples.shape[0]) if samples.ndim == 2 else 0, n_betas)
    if samples.ndim != 2 or samples.shape[1] != rbm.n_visible:
        raise InputError(f"model_samples must have shape (n, {rbm.n_visible}), got {tuple(samples.shape)}")
    model = copy.deepcopy(rbm).double()
    c_a = base_rate_bias(data, rbm.visible).to(model.W.device)
    gen = torch.Generator(device=model.W.device).manual_seed(seed)
    betas = _betas(n_betas).to(model.W.device).flip(0)
    log_w = _run_path(model, c_a, samples.to(model.W.device), betas, gen, progress)
    return _summarise(log_w, _log_z_base(model, c_a), len(betas), True)


@dataclass(frozen=True)
class AISBracket:
    """ln Z between a forward AIS (lower) and a reverse AIS (upper) estimate.

    Attributes:
        log_z: the midpoint of the bracket (the forward estimate if the pair crossed).
        low, high: forward and reverse AIS ln Z; their gap measures how far the annealing
            is from equilibrium and shrinks as n_betas grows. crossed: forward > reverse
            (sampling noise, or reverse chains not from the model).
        forward, reverse: the two :class:`AISResult`. seconds: wall time.
    """

    log_z: float
    low: float
    high: float
    crossed: bool
    forward: AISResult
    reverse: AISResult
    seconds: float

    def to_dict(self) -> dict:
        return {
            "log_z": self.log_z,
            "bracket": [self.low, self.high],
            "crossed": self.crossed,
            "forward": self.forward.to_dict(),
            "reverse": self.reverse.to_dict(),
            "seconds": self.seconds,
        }


@torch.no_grad()
def ais_bracket(
    rbm: RBM,
    data,
    *,
    n_runs: int = DEFAULT_AIS_RUNS,
    n_betas: int = DEFAULT_AIS_BETAS,
    gibbs_steps: int = 1000,
    seed: int = 0,
    progress=None,
) -> AISBracket:
    """Bracket ln Z by forward AIS (stochastic lower bound; Salakhutdinov & Murray 2008) and
    reverse AIS (stochastic upper bound; Burda, Grosse & Salakhutdinov 2015) on one path.

    The reverse runs start from ``gibbs_steps`` of block Gibbs sampling from random data
    rows (approximate model samples). ``progress(stage, step, n_steps)`` reports
    'forward', 'gibbs' and 'reverse'. The defaults (100 runs, 2,000 betas) bracket ln Z of
    a 784 x 20 digits RBM within a few nats in seconds (benchmarks/bench_nn.py --ais).
    """
    import time

    t0 = time.perf_counter()
    x = torch.as_tensor(np.asarray(data), dtype=rbm.W.dtype, device=rbm.W.device)
    if x.ndim != 2 or x.shape[1] != rbm.n_visible or x.shape[0] == 0:
        raise InputError(f"data must have shape (n >= 1, {rbm.n_visible}), got {tuple(x.shape)}")
    stage = (lambda name: lambda k, n: progress(name, k, n)) if progress is not None else (lambda name: None)
    fwd = ais_log_z(rbm, x, n_runs=n_runs, n_betas=n_betas, seed=seed, progress=stage("forward"))
    gen = torch.Generator(device=rbm.W.device).manual_seed(seed + 2)
    v = x[torch.randint(0, x.shape[0], (n_runs,), generator=gen, device=x.device)]
    chunk = max(1, gibbs_steps // 10)
    for done in range(0, gibbs_steps, chunk):
        v = rbm.gibbs(v, min(chunk, gibbs_steps - done), gen)
        if progress is not None:
            progress("gibbs", min(done + chunk, gibbs_steps), gibbs_steps)
    rev = reverse_ais_log_z(rbm, x, v, n_betas=n_betas, seed=seed + 1, progress=stage("reverse"))
    crossed = fwd.log_z > rev.log_z
    low, high = min(fwd.log_z, rev.log_z), max(fwd.log_z, rev.log_z)
    mid = fwd.log_z if crossed else 0.5 * (low + high)
    return AISBracket(float(mid), float(low), float(high), bool(crossed), fwd, rev, time.perf_counter() - t0)
