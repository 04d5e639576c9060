"""A convolutional RBM on the torus: weights shared across translations, periodic boundaries.

The visible units sit on an L x M torus (row-major site order, like :mod:`deeprg.lattice`).
Each of F filters w_f (a k1 x k2 patch, k <= L) has one hidden unit at every site x, so there
are n_hidden = F L M hidden units, ordered (f, x). The dense weight matrix it stands for is

.. math::  W_{y,(f,x)} = w_f[(y - x) \\bmod (L, M)]  \\text{ if that offset lies in the patch, else } 0,

with a shared visible bias c (one number) and a hidden bias b_f per filter, so the model is
exactly translation invariant. Hidden inputs are circular cross-correlations and visible inputs
circular convolutions, computed with ``conv2d`` on circularly padded inputs (never with the
dense matrix), so :meth:`ConvRBM.free_energy` and ``to_dense().free_energy`` are independent
computations of the same number.

Parameters: F k1 k2 + F + 1 against n_v n_h + n_v + n_h for a dense RBM of the same size: the
saving by symmetry that Lin, Tegmark & Rolnick (2017, arXiv:1608.08225) point to (translation
symmetry turns a dense layer into a convolution, O(n log n) by FFT instead of O(n^2)); Pai
("Convolutional neural networks arise from Ising models and restricted Boltzmann machines")
derives the same structure from the Ising model. Lee, Grosse, Ranganath & Ng (2009, ICML)
introduced convolutional RBMs for images.

Training (:func:`train_conv_rbm`) is CD-k or PCD-k as in :class:`~deeprg.nn.Trainer` (PCD chains
kept in the hidden layer, SGD with momentum, L1/L2 on the filters), with the gradient of each
shared parameter averaged over its tied copies, so a learning rate means the same per weight
as for a dense RBM.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import torch
from torch import nn
from torch.nn import functional as torch_f

from deeprg.errors import InputError
from deeprg.nn._rbm import RBM, UNIT_TYPES, phi, unit_mean, unit_sample
from deeprg.nn._train import TrainConfig, _lr_factor, as_training_tensor


class ConvRBM(nn.Module):
    """A translation-invariant RBM on an L x M torus.

    Args:
        shape: (L, M) of the visible torus. n_filters: F. filter_shape: (k1, k2), default the
            whole torus (every translate of a full-size filter: the most general
            translation-invariant RBM with F L M hidden units).
        visible, hidden: 'binary' ({0,1}) or 'spin' ({-1,+1}) units.
        dtype, device, seed, weight_std: as :class:`~deeprg.nn.RBM`.

    Attributes (parameters): filters (F, k1, k2), hbias (F,), vbias (1,).
    """

    def __init__(
        self,
        shape: tuple[int, int],
        n_filters: int = 1,
        filter_shape: tuple[int, int] | None = None,
        *,
        visible: str = "binary",
        hidden: str = "binary",
        dtype: torch.dtype = torch.float64,
        device: str | torch.device = "cpu",
        seed: int | None = 0,
        weight_std: float = 0.01,
    ):
        super().__init__()
        L, M = (int(shape[0]), int(shape[1]))
        if L < 1 or M < 1:
            raise InputError(f"shape must be two positive sizes, got {shape}")
        if n_filters < 1:
            raise InputError(f"n_filters must be >= 1, got {n_filters}")
        k1, k2 = (L, M) if filter_shape is None else (int(filter_shape[0]), int(filter_shape[1]))
        if not (1 <= k1 <= L and 1 <= k2 <= M):
            raise InputError(f"filter_shape must fit the torus {L}x{M}, got {(k1, k2)}")
        for name, unit in (("visible", visible), ("hidden", hidden)):
            if unit not in UNIT_TYPES:
                raise InputError(f"{name} units must be one of {UNIT_TYPES}, got {unit!r}")
        self.shape, self.filter_shape = (L, M), (k1, k2)
        self.visible, self.hidden = visible, hidden
        gen = torch.Generator().manual_seed(0 if seed is None else int(seed))
        w = torch.randn(n_filters, k1, k2, generator=gen, dtype=torch.float64) * weight_std
        self.filters = nn.Parameter(w.to(dtype=dtype, device=device))
        self.hbias = nn.Parameter(torch.zeros(n_filters, dtype=dtype, device=device))
        self.vbias = nn.Parameter(torch.zeros(1, dtype=dtype, device=device))

    # -- shapes ---------------------------------------------------------------------------------
    @property
    def n_filters(self) -> int:
        return self.filters.shape[0]

    @property
    def n_visible(self) -> int:
        return self.shape[0] * self.shape[1]

    @property
    def n_hidden(self) -> int:
        return self.n_filters * self.n_visible

    @property
    def n_parameters(self) -> int:
        """F k1 k2 + F + 1 free parameters."""
        return self.filters.numel() + self.n_filters + 1

    def config(self) -> dict:
        return {
            "shape": list(self.shape),
            "n_filters": self.n_filters,
            "filter_shape": list(self.filter_shape),
            "visible": self.visible,
            "hidden": self.hidden,
        }

    def _as_tensor(self, x) -> torch.Tensor:
        return torch.as_tensor(x).to(dtype=self.filters.dtype, device=self.filters.device)

    # -- inputs by circular correlation / convolution -------------------------------------------
    def hidden_input(self, v: torch.Tensor) -> torch.Tensor:
        """a_{f,x}(v) = b_f + sum_d w_f[d] v[x + d] (indices mod L, M). Shape (n, F L M)."""
        L, M = self.shape
        k1, k2 = self.filter_shape
        x = v.reshape(-1, 1, L, M)
        x = torch_f.pad(x, (0, k2 - 1, 0, k1 - 1), mode="circular") if k1 > 1 or k2 > 1 else x
        a = torch_f.conv2d(x, self.filters.unsqueeze(1)) + self.hbias.view(1, -1, 1, 1)
        return a.reshape(v.shape[0], -1)

    def visible_input(self, h: torch.Tensor) -> torch.Tensor:
        """c + sum_{f,d} w_f[d] h_f[y - d] (indices mod L, M). Shape (n, L M)."""
        L, M = self.shape
        k1, k2 = self.filter_shape
        x = h.reshape(-1, self.n_filters, L, M)
        x = torch_f.pad(x, (k2 - 1, 0, k1 - 1, 0), mode="circular") if k1 > 1 or k2 > 1 else x
        out = torch_f.conv2d(x, self.filters.flip(1, 2).unsqueeze(0)) + self.vbias
        return out.reshape(h.shape[0], -1)

    # -- energies -------------------------------------------------------------------------------
    def energy(self, v, h) -> torch.Tensor:
        """E(v, h) = -c sum v - sum_f b_f sum_x h_fx - sum_{f,x,d} w_f[d] v[x+d] h_fx. Shape (n,)."""
        v, h = self._as_tensor(v), self._as_tensor(h)
        a = self.hidden_input(v) - self.hbias.repeat_interleave(self.n_visible)
        return -(a * h).sum(-1) - self.vbias * v.sum(-1) - h @ self.hbias.repeat_interleave(self.n_visible)

    def free_energy(self, v) -> torch.Tensor:
        """F(v) = -c sum_i v_i - sum_{f,x} phi(a_{f,x}(v)), shape (n,)."""
        v = self._as_tensor(v)
        return -self.vbias * v.sum(-1) - phi(self.hidden_input(v), self.hidden).sum(-1)

    # -- sampling -------------------------------------------------------------------------------
    def hidden_mean(self, v) -> torch.Tensor:
        return unit_mean(self.hidden_input(self._as_tensor(v)), self.hidden)

    def sample_hidden(self, v, generator=None, beta: float = 1.0) -> torch.Tensor:
        return unit_sample(beta * self.hidden_input(self._as_tensor(v)), self.hidden, generator)

    def sample_visible(self, h, generator=None, beta: float = 1.0) -> torch.Tensor:
        return unit_sample(beta * self.visible_input(self._as_tensor(h)), self.visible, generator)

    @torch.no_grad()
    def gibbs(self, v, steps: int = 1, generator=None) -> torch.Tensor:
        v = self._as_tensor(v)
        for _ in range(steps):
            v = self.sample_visible(self.sample_hidden(v, generator), generator)
        return v

    # -- the dense RBM it stands for ----------------------------------------------------------------
    def tied_index(self) -> np.ndarray:
        """int64 (n_v, n_h): index into filters.flatten() of each dense weight, -1 where zero."""
        L, M = self.shape
        k1, k2 = self.filter_shape
        idx = -np.ones((self.n_visible, self.n_hidden), dtype=np.int64)
        xr, xc = np.divmod(np.arange(self.n_visible), M)
        for f in range(self.n_filters):
            for d1 in range(k1):
                for d2 in range(k2):
                    y = ((xr + d1) % L) * M + (xc + d2) % M
                    idx[y, f * self.n_visible + np.arange(self.n_visible)] = (f * k1 + d1) * k2 + d2
        return idx

    @torch.no_grad()
    def dense_weights(self) -> torch.Tensor:
        """The tied dense weight matrix W (n_v, n_h) (zeros outside the filter patches)."""
        idx = torch.as_tensor(self.tied_index(), device=self.filters.device)
        flat = torch.cat([self.filters.detach().flatten(), self.filters.new_zeros(1)])
        return flat[torch.where(idx < 0, flat.numel() - 1, idx)]

    @torch.no_grad()
    def to_dense(self) -> RBM:
        """An :class:`~deeprg.nn.RBM` with the same distribution (tied weights written out)."""
        rbm = RBM(
            self.n_visible,
            self.n_hidden,
            visible=self.visible,
            hidden=self.hidden,
            dtype=self.filters.dtype,
            device=self.filters.device,
        )
        rbm.W.copy_(self.dense_weights())
        rbm.vbias.fill_(float(self.vbias))
        rbm.hbias.copy_(self.hbias.repeat_interleave(self.n_visible))
        return rbm


def dense_parameter_count(n_visible: int, n_hidden: int) -> int:
    """n_v n_h + n_v + n_h: the free parameters of a dense RBM."""
    return n_visible * n_hidden + n_visible + n_hidden


def train_conv_rbm(model: ConvRBM, train, config: TrainConfig | None = None) -> list[dict]:
    """CD-k / PCD-k training of a :class:`ConvRBM` (methods 'cd' and 'pcd' of TrainConfig).

    The update is the log-likelihood gradient estimate d<F>_data - d<F>_samples (samples held
    fixed), taken by autograd of that surrogate divided by the number of tied copies (L M), plus
    l1 |w|_1 + l2/2 |w|^2 on the filters; SGD with momentum and the config's schedule. Returns a
    per-epoch history (mean free energy of the data, seconds).
    """
    import time

    cfg = config or TrainConfig()
    cfg.validate()
    if cfg.method == "auto":
        cfg = replace(cfg, method="pcd")
    if cfg.method not in ("cd", "pcd"):
        raise InputError(f"ConvRBM training supports methods 'cd' and 'pcd', got {cfg.method!r}")
    data = as_training_tensor(train, _Shape(model))
    gen = torch.Generator(device=data.device).manual_seed(cfg.seed)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum)
    copies = float(model.n_visible)
    idx = torch.randint(0, data.shape[0], (cfg.n_chains,), generator=gen, device=data.device)
    with torch.no_grad():
        chains = model.sample_hidden(data[idx], gen)
    history = []
    n = data.shape[0]
    for epoch in range(cfg.epochs):
        t0 = time.perf_counter()
        for group in opt.param_groups:
            group["lr"] = cfg.lr * _lr_factor(cfg.schedule, epoch, cfg.epochs)
        perm = torch.randperm(n, generator=gen, device=data.device)
        for start in range(0, n, cfg.batch_size):
            batch = data[perm[start : start + cfg.batch_size]]
            with torch.no_grad():
                if cfg.method == "pcd":
                    for _ in range(cfg.k):
                        neg = model.sample_visible(chains, gen)
                        chains = model.sample_hidden(neg, gen)
                else:
                    neg = batch
                    for _ in range(cfg.k):
                        neg = model.sample_visible(model.sample_hidden(neg, gen), gen)
            opt.zero_grad(set_to_none=True)
            loss = (model.free_energy(batch).mean() - model.free_energy(neg).mean()) / copies
            if cfg.l1:
                loss = loss + cfg.l1 * model.filters.abs().sum()
            if cfg.l2:
                loss = loss + 0.5 * cfg.l2 * (model.filters**2).sum()
            loss.backward()
            if not cfg.train_biases:
                model.vbias.grad = torch.zeros_like(model.vbias)
                model.hbias.grad = torch.zeros_like(model.hbias)
            opt.step()
        with torch.no_grad():
            f = float(model.free_energy(data[: cfg.monitor_samples]).mean())
        history.append({"epoch": epoch + 1, "train_free_energy": f, "seconds": time.perf_counter() - t0})
        if not math.isfinite(f):
            raise InputError(f"training diverged at epoch {epoch + 1} (free energy {f}); lower lr")
    return history


class _Shape:
    """The attributes :func:`as_training_tensor` reads, for a ConvRBM."""

    def __init__(self, model: ConvRBM):
        self.W = model.filters
        self.n_visible = model.n_visible
        self.visible = model.visible
