"""Training RBMs: CD-k, PCD-k, parallel tempering and TAP/EMF, with monitors and checkpoints.

The gradient of the mean log-likelihood is d<-F(v)>_data - d<-F(v)>_model. For sampling-based
methods the model term is estimated on Gibbs samples (held fixed), for TAP by the EMF free
energy; torch's autograd differentiates the surrogate loss

    loss = <F(v)>_data - <F(v)>_samples   (CD, PCD, PT)   or   <F(v)>_data + ln Z_TAP   (TAP)

plus l1 |W|_1 + l2/2 |W|^2. SGD with momentum and a learning-rate schedule updates the
parameters. Reconstruction error is monitored but is a poor guide (Hinton's guide, Fischer &
Igel 2010); the free-energy gap between training and held-out data measures overfitting.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from deeprg.errors import InputError
from deeprg.nn._partition import MAX_EXACT_UNITS, exact_log_z
from deeprg.nn._rbm import RBM, unit_mean, unit_sample
from deeprg.nn._tap import tap_log_z_at, tap_magnetizations

METHODS = ("cd", "pcd", "pt", "tap")
SCHEDULES = ("constant", "linear", "exponential")


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of RBM training (all seeded, all recorded with the model).

    Attributes:
        method: 'cd', 'pcd', 'pt' (parallel tempering) or 'tap' (second-order EMF).
        k: Gibbs steps per update. epochs, batch_size, lr, momentum: SGD settings.
        schedule: 'constant', 'linear' (to 0 at the end) or 'exponential' (x0.01 at the end).
        l1, l2: weight penalties: the loss gains l1 sum|W| + (l2/2) sum W^2 while the data
            term is averaged over the minibatch, so one SGD step moves W by
            lr (l1 sign W + l2 W) besides the data gradient. Hinton & Salakhutdinov's rbm.m
            (Science 313:504, 2006) averages the data term over the batch and adds
            "- weightcost * vishid" unscaled, so their (epsilonw, weightcost) is (lr, l2) here
            (and (lr, l1) for an L1 cost); a code that sums the data gradient over a batch of
            B samples corresponds to lr = lr_sum B and l1 = lambda / B.
        n_chains: persistent chains (PCD, PT per temperature).
        n_temperatures: PT replicas, betas spaced linearly from 1 to ``pt_min_beta``.
        centering: centre visible units on the data mean and hidden units on a running mean.
        tap_order, tap_iterations: EMF expansion order and fixed-point iterations.
        monitor_samples: samples used by the per-epoch monitors. monitor_exact: compute the
            exact log-likelihood every epoch (None: when the smaller layer has <= 20 units).
        train_biases: False keeps
            the biases at their initial values (bias-free RBMs, as in Iso et al. 2018).
        seed: everything random.
    """

    method: str = "pcd"
    k: int = 1
    epochs: int = 10
    batch_size: int = 100
    lr: float = 0.01
    momentum: float = 0.5
    schedule: str = "constant"
    l1: float = 0.0
    l2: float = 0.0
    n_chains: int = 256
    n_temperatures: int = 10
    pt_min_beta: float = 0.3
    centering: bool = False
    tap_order: int = 2
    tap_iterations: int = 20
    monitor_samples: int = 1000
    monitor_exact: bool | None = None
    train_biases: bool = True
    seed: int = 0

    def validate(self) -> None:
        if self.method not in METHODS:
            raise InputError(f"method must be one of {METHODS}, got {self.method!r}")
        if self.schedule not in SCHEDULES:
            raise InputError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        for name, low in (
            ("k", 1),
            ("epochs", 1),
            ("batch_size", 1),
            ("n_chains", 1),
            ("n_temperatures", 2),
            ("tap_iterations", 1),
        ):
            if getattr(self, name) < low:
                raise InputError(f"{name} must be >= {low}, got {getattr(self, name)}")
        for name in ("lr", "l1", "l2", "momentum"):
            v = getattr(self, name)
            if not math.isfinite(v) or v < 0:
                raise InputError(f"{name} must be a finite number >= 0, got {v}")
        if self.lr == 0:
            raise InputError("lr must be > 0")
        if not 0 < self.pt_min_beta < 1:
            raise InputError(f"pt_min_beta must lie in (0, 1), got {self.pt_min_beta}")
        if self.tap_order not in (2, 3):
            raise InputError(f"tap_order must be 2 or 3, got {self.tap_order}")


@dataclass
class TrainState:
    """Everything needed to resume: epoch, chains, optimizer, RNG and history."""

    epoch: int = 0
    history: list = field(default_factory=list)
    swap_acceptance: list = field(default_factory=list)


def as_training_tensor(data, rbm: RBM) -> torch.Tensor:
    """Validate a (n, n_visible) array of unit values and convert it for ``rbm``."""
    x = torch.as_tensor(np.asarray(data), dtype=rbm.W.dtype, device=rbm.W.device)
    if x.ndim != 2 or x.shape[1] != rbm.n_visible:
        raise InputError(f"data must have shape (n, {rbm.n_visible}), got {tuple(x.shape)}")
    allowed = (0.0, 1.0) if rbm.visible == "binary" else (-1.0, 1.0)
    if not bool(((x == allowed[0]) | (x == allowed[1])).all()):
        raise InputError(f"data for {rbm.visible} visible units must contain only {allowed}")
    return x


@torch.no_grad()
def pseudo_log_likelihood(rbm: RBM, v: torch.Tensor, generator: torch.Generator | None = None) -> float:
    """Mean per-site log pseudo-likelihood, estimated with one random site per sample:
    ln p(v_i | v_-i) = ln sigmoid(F(v with v_i flipped) - F(v))."""
    idx = torch.randint(0, v.shape[1], (v.shape[0],), generator=generator, device=v.device)
    flipped = v.clone()
    rows = torch.arange(v.shape[0], device=v.device)
    lo, hi = rbm.unit_values("visible")
    flipped[rows, idx] = lo + hi - flipped[rows, idx]
    return float(torch.nn.functional.logsigmoid(rbm.free_energy(flipped) - rbm.free_energy(v)).mean())


@torch.no_grad()
def reconstruction_error(rbm: RBM, v: torch.Tensor) -> float:
    """Mean squared error of the mean-field reconstruction, per unit."""
    return float(((rbm.reconstruct(v) - v) ** 2).mean())


@torch.no_grad()
def monitors(
    rbm: RBM, train: torch.Tensor, valid: torch.Tensor | None, generator=None, exact: bool | None = None
) -> dict:
    """Per-epoch monitors: free energies and their gap, reconstruction error, pseudo-LL, and the
    exact log-likelihood when the smaller layer has <= 20 units."""
    out = {"train_free_energy": float(rbm.free_energy(train).mean())}
    out["reconstruction_error"] = reconstruction_error(rbm, train)
    out["pseudo_log_likelihood"] = pseudo_log_likelihood(rbm, train, generator)
    if valid is not None:
        out["valid_free_energy"] = float(rbm.free_energy(valid).mean())
        out["free_energy_gap"] = out["valid_free_energy"] - out["train_free_energy"]
    if exact is None:
        exact = min(rbm.n_visible, rbm.n_hidden) <= 20
    if exact:
        lz = exact_log_z(rbm)
        out["log_z"] = lz
        out["train_log_likelihood"] = -out["train_free_energy"] - lz
        if valid is not None:
            out["valid_log_likelihood"] = -out["valid_free_energy"] - lz
    return out


def _lr_factor(schedule: str, epoch: int, epochs: int) -> float:
    if schedule == "linear":
        return max(1.0 - epoch / epochs, 1.0 / epochs)
    if schedule == "exponential":
        return 0.01 ** (epoch / max(1, epochs - 1))
    return 1.0


class Trainer:
    """Fits an :class:`RBM`; holds the persistent chains and the optimizer between epochs.

    Example:
        >>> rbm = RBM(64, 16)
        >>> history = Trainer(rbm, TrainConfig(method="pcd", epochs=5)).fit(train, valid)
    """

    def __init__(self, rbm: RBM, config: TrainConfig):
        config.validate()
        if config.method == "tap" and (rbm.visible != "binary" or rbm.hidden != "binary"):
            raise InputError("TAP training needs binary {0,1} visible and hidden units")
        self.rbm, self.config = rbm, config
        self.generator = torch.Generator(device=rbm.W.device).manual_seed(config.seed)
        self.optimizer = torch.optim.SGD(rbm.parameters(), lr=config.lr, momentum=config.momentum)
        self.state = TrainState()
        self.chains: torch.Tensor | None = None
        self.betas = torch.linspace(
            1.0, config.pt_min_beta, config.n_temperatures, dtype=rbm.W.dtype, device=rbm.W.device
        )

    # -- model samples ------------------------------------------------------------------------
    def _init_chains(self, data: torch.Tensor):
        idx = torch.randint(
            0, data.shape[0], (self.config.n_chains,), generator=self.generator, device=data.device
        )
        if self.config.method == "pt":
            self.chains = data[idx].unsqueeze(0).repeat(self.config.n_temperatures, 1, 1).clone()
            self.state.swap_acceptance = [0.0] * (self.config.n_temperatures - 1)
            self._swap_counts = np.zeros((self.config.n_temperatures - 1, 2))
        else:  # PCD starts from data (converted to hidden states on first use); TAP magnetizations too
            self.chains = data[idx].clone()

    @torch.no_grad()
    def _pt_step(self):
        rbm, betas = self.rbm, self.betas
        x = self.chains  # (T, C, n_v)
        for _ in range(self.config.k):
            h = torch.stack(
                [rbm.sample_hidden(x[t], self.generator, float(betas[t])) for t in range(len(betas))]
            )
            x = torch.stack(
                [rbm.sample_visible(h[t], self.generator, float(betas[t])) for t in range(len(betas))]
            )
        h = torch.stack([rbm.sample_hidden(x[t], self.generator, float(betas[t])) for t in range(len(betas))])
        energy = torch.stack([rbm.energy(x[t], h[t]) for t in range(len(betas))])  # (T, C)
        for t in range(len(betas) - 1):  # swap neighbours: accept min(1, e^{(b_t - b_t+1)(E_t - E_t+1)})
            log_a = (betas[t] - betas[t + 1]) * (energy[t] - energy[t + 1])
            u = torch.rand(log_a.shape, generator=self.generator, device=log_a.device, dtype=log_a.dtype)
            swap = torch.log(u) < log_a
            self._swap_counts[t] += (float(swap.sum()), swap.numel())
            xt, xs = x[t].clone(), x[t + 1].clone()
            x[t] = torch.where(swap[:, None], xs, xt)
            x[t + 1] = torch.where(swap[:, None], xt, xs)
            et, es = energy[t].clone(), energy[t + 1].clone()
            energy[t] = torch.where(swap, es, et)
            energy[t + 1] = torch.where(swap, et, es)
        self.chains = x
        return x[0]

    def _negative_samples(self, batch: torch.Tensor):
        """Model samples for the update: (visible samples, E[h | v] of them)."""
        rbm, m = self.rbm, self.config.method
        if m == "pcd":
            # The persistent state is the hidden layer (as in scikit-learn): v ~ p(v|h), and
            # the hidden input of v serves both the gradient and the next chain state.
            if self.chains.shape[1] != rbm.n_hidden:
                self.chains = rbm.sample_hidden(self.chains, self.generator)
            for _ in range(self.config.k):
                v = rbm.sample_visible(self.chains, self.generator)
                a = rbm.hidden_input(v)
                self.chains = unit_sample(a, rbm.hidden, self.generator)
            return v, unit_mean(a, rbm.hidden)
        v = self._pt_step()
        return v, rbm.hidden_mean(v)

    @torch.no_grad()
    def _sampling_gradient(self, batch: torch.Tensor):
        """Set .grad of W, c, b to d<F>_data - d<F>_samples (+ penalties) without autograd.

        With a = b + (v - mu) W and E[h|v] = phi'(a): dF/dW = -(v - mu)^T (E[h|v] - lam),
        dF/dc = -v, dF/db = -E[h|v]. Five or six matrix products per update; CD reuses the
        data's hidden input for its first Gibbs step.
        """
        rbm, cfg = self.rbm, self.config
        a_pos = rbm.hidden_input(batch)
        h_pos = unit_mean(a_pos, rbm.hidden)
        if cfg.method == "cd":
            v, a = batch, a_pos
            for _ in range(cfg.k):
                h = unit_sample(a, rbm.hidden, self.generator)
                v = rbm.sample_visible(h, self.generator)
                a = rbm.hidden_input(v)
            negative, h_neg = v, unit_mean(a, rbm.hidden)
        else:
            negative, h_neg = self._negative_samples(batch)
        # one product for both phases: [v_neg; v_pos]^T [h_neg / n_neg; -h_pos / n_pos]
        dv = torch.cat([negative, batch]) - rbm.v_offset
        dh = torch.cat([(h_neg - rbm.h_offset) / negative.shape[0], (rbm.h_offset - h_pos) / batch.shape[0]])
        gW = dv.T @ dh
        if cfg.l1:
            gW += cfg.l1 * torch.sign(rbm.W)
        if cfg.l2:
            gW += cfg.l2 * rbm.W
        rbm.W.grad = gW
        rbm.vbias.grad = negative.mean(0) - batch.mean(0)
        rbm.hbias.grad = h_neg.mean(0) - h_pos.mean(0)

    # -- centering ------------------------------------------------------------------------------
    @torch.no_grad()
    def _set_visible_offset(self, data: torch.Tensor):
        new = data.mean(0)
        delta = new - self.rbm.v_offset
        self.rbm.hbias += delta @ self.rbm.W  # keeps the model distribution unchanged
        self.rbm.v_offset.copy_(new)

    @torch.no_grad()
    def _update_hidden_offset(self, batch: torch.Tensor, rate: float = 0.01):
        new = (1 - rate) * self.rbm.h_offset + rate * self.rbm.hidden_mean(batch).mean(0)
        delta = new - self.rbm.h_offset
        self.rbm.vbias += self.rbm.W @ delta
        self.rbm.h_offset.copy_(new)

    # -- the loop -------------------------------------------------------------------------------
    def fit(self, train, valid=None, *, checkpoint_dir=None, progress=None) -> list[dict]:
        """Train for the configured epochs (resuming from ``checkpoint_dir`` if it holds a
        checkpoint of the same config) and return the per-epoch history."""
        rbm, cfg = self.rbm, self.config
        train = as_training_tensor(train, rbm)
        valid = as_training_tensor(valid, rbm) if valid is not None else None
        if self.chains is None:
            self._init_chains(train)
            if cfg.centering:
                self._set_visible_offset(train)
        mon_gen = self._monitor_generator = torch.Generator(device=rbm.W.device).manual_seed(cfg.seed + 1)
        if checkpoint_dir is not None:
            from deeprg.nn._checkpoint import data_fingerprint, run_identity

            self._identity = run_identity(asdict(cfg), rbm.config(), data_fingerprint(train, valid))
            self._maybe_resume(Path(checkpoint_dir))
        n = train.shape[0]
        mon_train = train[: cfg.monitor_samples]
        mon_valid = valid[: cfg.monitor_samples] if valid is not None else None
        fast = self._fast_path_applies()
        while self.state.epoch < cfg.epochs:
            if fast:
                self._fast_epoch(train, cfg)
                self._finish_epoch(mon_train, mon_valid, mon_gen, checkpoint_dir, progress)
                continue
            epoch = self.state.epoch
            t0 = time.perf_counter()
            factor = _lr_factor(cfg.schedule, epoch, cfg.epochs)
            for group in self.optimizer.param_groups:
                group["lr"] = cfg.lr * factor
            perm = torch.randperm(n, generator=self.generator, device=train.device)
            for start in range(0, n, cfg.batch_size):
                batch = train[perm[start : start + cfg.batch_size]]
                self.optimizer.zero_grad(set_to_none=True)
                if cfg.method == "tap":
                    mv, mh = tap_magnetizations(rbm, self.chains, iterations=cfg.tap_iterations)
                    self.chains = mv
                    loss = rbm.free_energy(batch).mean() + tap_log_z_at(rbm, mv, mh, order=cfg.tap_order)
                    if cfg.l1:
                        loss = loss + cfg.l1 * rbm.W.abs().sum()
                    if cfg.l2:
                        loss = loss + 0.5 * cfg.l2 * (rbm.W * rbm.W).sum()
                    loss.backward()
                else:
                    self._sampling_gradient(batch)
                if not cfg.train_biases:
                    rbm.vbias.grad = torch.zeros_like(rbm.vbias)
                    rbm.hbias.grad = torch.zeros_like(rbm.hbias)
                self.optimizer.step()
                if cfg.centering:
                    self._update_hidden_offset(batch)
            self._epoch_seconds = time.perf_counter() - t0
            self._finish_epoch(mon_train, mon_valid, mon_gen, checkpoint_dir, progress)
        return self.state.history

    def _finish_epoch(self, mon_train, mon_valid, mon_gen, checkpoint_dir, progress):
        cfg, rbm = self.config, self.rbm
        epoch = self.state.epoch
        factor = _lr_factor(cfg.schedule, epoch, cfg.epochs)
        record = {"epoch": epoch + 1, "seconds": self._epoch_seconds, "lr": cfg.lr * factor}
        record.update(monitors(rbm, mon_train, mon_valid, mon_gen, exact=cfg.monitor_exact))
        if cfg.method == "pt":
            acc = self._swap_counts[:, 0] / np.maximum(self._swap_counts[:, 1], 1)
            record["swap_acceptance"] = acc.tolist()
            self.state.swap_acceptance = acc.tolist()
        self.state.history.append(record)
        self.state.epoch += 1
        if checkpoint_dir is not None:
            self._checkpoint(Path(checkpoint_dir))
        if progress is not None:
            progress(self.state.epoch, cfg.epochs, record)

    # -- the compiled loop for small binary RBMs ---------------------------------------------
    def _fast_path_applies(self) -> bool:
        from deeprg.nn._fast import FAST_PATH_MAX_WEIGHTS

        rbm, cfg = self.rbm, self.config
        return (
            cfg.method in ("cd", "pcd")
            and not cfg.centering
            and rbm.visible == "binary"
            and rbm.hidden == "binary"
            and rbm.W.device.type == "cpu"
            and rbm.n_visible * rbm.n_hidden <= FAST_PATH_MAX_WEIGHTS
        )

    def _fast_epoch(self, train: torch.Tensor, cfg: TrainConfig):
        from deeprg.nn._fast import pcd_epoch
        from deeprg.sampling._rng import seed_streams

        rbm = self.rbm
        if not hasattr(self, "_fast"):
            chains = self.chains
            if chains.shape[1] != rbm.n_hidden:  # start the hidden-state chains from data
                chains = rbm.sample_hidden(chains, self.generator)
            self._fast = {
                "W": rbm.W.detach().double().numpy().copy(),
                "vb": rbm.vbias.detach().double().numpy().copy(),
                "hb": rbm.hbias.detach().double().numpy().copy(),
                "chains": chains.detach().double().numpy().copy(),
                "rng": seed_streams(cfg.seed, 1)[0].copy(),
                "first": True,
            }
            f = self._fast
            f["bW"], f["bv"], f["bh"] = np.zeros_like(f["W"]), np.zeros_like(f["vb"]), np.zeros_like(f["hb"])
        f = self._fast
        t0 = time.perf_counter()
        lr = cfg.lr * _lr_factor(cfg.schedule, self.state.epoch, cfg.epochs)
        perm = torch.randperm(train.shape[0], generator=self.generator).numpy().astype(np.int64)
        data = train.detach().double().numpy()
        f["first"] = pcd_epoch(
            data,
            perm,
            f["W"],
            f["vb"],
            f["hb"],
            f["bW"],
            f["bv"],
            f["bh"],
            f["chains"],
            f["rng"],
            lr,
            cfg.momentum,
            cfg.l1,
            cfg.l2,
            cfg.k,
            cfg.batch_size,
            cfg.method == "pcd",
            cfg.train_biases,
            f["first"],
        )
        with torch.no_grad():
            rbm.W.copy_(torch.from_numpy(f["W"]))
            rbm.vbias.copy_(torch.from_numpy(f["vb"]))
            rbm.hbias.copy_(torch.from_numpy(f["hb"]))
        self.chains = torch.from_numpy(f["chains"]).to(rbm.W.dtype)
        self._epoch_seconds = time.perf_counter() - t0

    # -- checkpoints ---------------------------------------------------------------------------
    def _checkpoint(self, folder: Path):
        """One file, written atomically, with the run's identity (see nn/_checkpoint.py)."""
        from deeprg.nn._checkpoint import save_checkpoint, trainer_state

        tensors, meta = trainer_state(self)
        save_checkpoint(folder, tensors, {**meta, "identity": self._identity})

    def _maybe_resume(self, folder: Path):
        from deeprg.nn._checkpoint import load_checkpoint, restore_trainer

        found = load_checkpoint(folder, self._identity, device=self.rbm.W.device)
        if found is not None:
            restore_trainer(self, *found)


def train_rbm(rbm: RBM, train, valid=None, config: TrainConfig | None = None, **kwargs) -> list[dict]:
    """Convenience wrapper: ``Trainer(rbm, config).fit(train, valid, **kwargs)``."""
    return Trainer(rbm, config or TrainConfig()).fit(train, valid, **kwargs)


__all__ = [
    "MAX_EXACT_UNITS",
    "METHODS",
    "TrainConfig",
    "Trainer",
    "monitors",
    "pseudo_log_likelihood",
    "reconstruction_error",
    "train_rbm",
]
