"""TAP / extended mean-field (EMF) free energy of a binary RBM (Gabrie, Tramel & Krzakala 2015).

Second-order Gibbs free energy at magnetizations (m_v, m_h):

    Gamma = sum_i S(m_i) + sum_j S(m_j) - c.m_v - b.m_h - m_v^T W m_h
            - 1/2 sum_ij W_ij^2 (m_i - m_i^2)(m_j - m_j^2),

with S(m) = m ln m + (1 - m) ln(1 - m). Its stationary points solve

    m_h = sigmoid(b + W^T m_v - (W^2)^T (m_v - m_v^2) (m_h - 1/2))
    m_v = sigmoid(c + W m_h - W^2 (m_h - m_h^2) (m_v - 1/2)),

found by damped fixed-point iteration (damping 0.5, magnetizations clipped at 1e-8), and
-ln Z ~ Gamma at a minimum. With m fixed (detached) the gradient of -Gamma with respect to the
parameters is the EMF estimate of d ln Z; training minimises mean F(data) + ln Z_TAP.
The third-order term can be added to Gamma (order=3); the magnetizations are always the
second-order fixed point.
"""

from __future__ import annotations

import math

import torch

from deeprg.errors import InputError
from deeprg.nn._rbm import RBM

CLIP = 1e-8


def _entropy_term(m):
    return m * torch.log(m) + (1 - m) * torch.log1p(-m)


def tap_gibbs_free_energy(rbm: RBM, mv: torch.Tensor, mh: torch.Tensor, order: int = 2) -> torch.Tensor:
    """Gamma(m_v, m_h) per magnetization pair, shape (n,)."""
    W, c, b = rbm.W, rbm.vbias, rbm.hbias
    mu, lam = rbm.v_offset, rbm.h_offset
    # centred energy: -(m_v - mu)^T W (m_h - lam) - c.m_v - b.m_h (mean field of a bilinear form)
    g = _entropy_term(mv).sum(-1) + _entropy_term(mh).sum(-1)
    g = g - mv @ c - mh @ b - (((mv - mu) @ W) * (mh - lam)).sum(-1)
    vv, vh = mv - mv * mv, mh - mh * mh
    W2 = W * W
    g = g - 0.5 * ((vv @ W2) * vh).sum(-1)
    if order >= 3:
        W3 = W2 * W
        g = g - (2.0 / 3.0) * (((vv * (0.5 - mv)) @ W3) * (vh * (0.5 - mh))).sum(-1)
    return g


@torch.no_grad()
def tap_magnetizations(
    rbm: RBM, mv0: torch.Tensor, *, iterations: int = 50, damping: float = 0.5, tol: float = 1e-7
):
    """Damped fixed-point iteration from initial visible magnetizations (n, n_visible)."""
    if rbm.visible != "binary" or rbm.hidden != "binary":
        raise InputError("TAP/EMF is implemented for binary {0,1} units")
    W, c, b = rbm.W, rbm.vbias, rbm.hbias
    mu, lam = rbm.v_offset, rbm.h_offset
    W2 = W * W
    mv = mv0.to(W.dtype).clamp(CLIP, 1 - CLIP)
    mh = torch.sigmoid(b + (mv - mu) @ W).clamp(CLIP, 1 - CLIP)
    for _ in range(iterations):
        fh = b + (mv - mu) @ W - ((mv - mv * mv) @ W2) * (mh - 0.5)
        mh_new = (damping * mh + (1 - damping) * torch.sigmoid(fh)).clamp(CLIP, 1 - CLIP)
        fv = c + (mh_new - lam) @ W.T - ((mh_new - mh_new * mh_new) @ W2.T) * (mv - 0.5)
        mv_new = (damping * mv + (1 - damping) * torch.sigmoid(fv)).clamp(CLIP, 1 - CLIP)
        delta = max(float((mv_new - mv).abs().max()), float((mh_new - mh).abs().max()))
        mv, mh = mv_new, mh_new
        if delta < tol:
            break
    return mv, mh


def tap_log_z_at(rbm: RBM, mv: torch.Tensor, mh: torch.Tensor, *, order: int = 2) -> torch.Tensor:
    """ln Z_TAP from fixed points (m_v, m_h) (n, .): ln sum_i e^{-Gamma_i} - ln n, i.e. each
    fixed point (a TAP "state") weighted by its own free energy; differentiable in the
    parameters with the magnetizations held fixed."""
    g = tap_gibbs_free_energy(rbm, mv.detach(), mh.detach(), order=order)
    return torch.logsumexp(-g, dim=0) - math.log(g.shape[0])


def tap_log_z(rbm: RBM, mv0: torch.Tensor, *, order: int = 2, iterations: int = 50) -> torch.Tensor:
    """ln Z_TAP from the fixed points reached from initial magnetizations ``mv0``."""
    mv, mh = tap_magnetizations(rbm, mv0, iterations=iterations)
    return tap_log_z_at(rbm, mv, mh, order=order)
