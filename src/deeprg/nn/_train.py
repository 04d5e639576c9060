"""Training RBMs: CD-k, PCD-k, parallel tempering and TAP/EMF, with monitors and checkpoints.

The gradient of the mean log-likelihood is d<-F(v)>_data - d<-F(v)>_model. For sampling-based
methods the model term is estimated on Gibbs samples (held fixed), for TAP by the EMF free
energy; torch's autograd differentiates the surrogate loss

    loss = <F(v)>_data - <F(v)>_samples   (CD, PCD, PT)   or   <F(v)>_data + ln Z_TAP   (TAP)

plus l1 |W|_1 + l2/2 |W|^2. SGD with momentum and a learning-rate schedule updates the
parameters. Reconstruction error is monitored but is a poor guide (Hinton's guide, Fischer &
Igel 2010); the free-energy gap between training and held-out data measures overfitting.

Learning rates are in units of binary {0,1} units. A unit of range r (1 for binary, 2 for
spins) is a binary unit rescaled by r, so with the same lr plain SGD on a spin layer takes
steps r^2 times larger (W: (r_v r_h)^2, c: r_v^2, b: r_h^2). The likelihood gradient is
divided by those factors (``unit_scaled_lr``), which makes a learning rate mean the same for
spin and binary units. Without it spin-visible RBMs on critical Ising data diverge under PCD:
the model's magnetisation modes separate faster than the persistent chains can cross between
them, the chains' share of each mode freezes, and the biases run away (docs/training.md).

A divergence guard watches the monitored log-likelihood: when it falls at ``patience``
successive evaluations, or a parameter is not finite, training stops, the best parameters
are restored, a warning is issued and the history's last record says why (``stop_reason``).
"""

from __future__ import annotations

import itertools
import math
import time
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from deeprg.errors import InputError, TrainingDivergedError
from deeprg.nn._partition import MAX_EXACT_UNITS, exact_log_z
from deeprg.nn._rbm import RBM, unit_mean, unit_sample
from deeprg.nn._tap import tap_log_z_at, tap_magnetizations

METHODS = ("auto", "cd", "pcd", "pt", "tap")
SCHEDULES = ("constant", "linear", "exponential")
MATMUL_PRECISIONS = ("full", "bf16")


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of RBM training (all seeded, all recorded with the model).

    Attributes:
        method: 'cd', 'pcd', 'pt' (parallel tempering), 'tap' (second-order EMF) or 'auto':
            'pt' for spin visible units, 'pcd' otherwise (:func:`resolve_method`).
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
            exact log-likelihood (None: when the smaller layer has <= 20 units), every
            ``monitor_every`` epochs and after the last one (0: about 5 times per run).
        patience: stop (restoring the best parameters) when the monitored log-likelihood
            fell at this many successive evaluations; 0 turns the guard off (a non-finite
            parameter always stops training).
        unit_scaled_lr: divide the likelihood gradient of spin layers by their squared range
            (see the module docstring), so lr means the same for spin and binary units.
        train_biases: False keeps
            the biases at their initial values (bias-free RBMs, as in Iso et al. 2018).
        matmul_precision: 'full' (the model's dtype) or 'bf16': CD/PCD of binary RBMs on the
            torch path run their matrix products on bfloat16 copies of W and of the unit
            values (float32 accumulation; W, biases and momentum stay in the model's dtype).
            About 2x faster on CPUs with AVX512-BF16 or AMX; the rounding (2^-9 relative) is
            far below the sampling noise of a PCD gradient (docs/training.md compares the
            learned likelihoods). Other methods, spin units and the compiled loop for small
            layers ignore it.
        seed: everything random.

    Defaults were chosen on binarised 8x8 digits and 2D Ising configurations at K_c
    (8x8 to 32x32, spin and binary visible units); docs/training.md has the table.
    """

    method: str = "auto"
    k: int = 1
    epochs: int = 100
    batch_size: int = 20
    lr: float = 0.05
    momentum: float = 0.5
    schedule: str = "linear"
    l1: float = 0.0
    l2: float = 0.0
    n_chains: int = 64
    n_temperatures: int = 10
    pt_min_beta: float = 0.3
    centering: bool = False
    tap_order: int = 2
    tap_iterations: int = 20
    monitor_samples: int = 1000
    monitor_exact: bool | None = None
    monitor_every: int = 0
    patience: int = 3
    unit_scaled_lr: bool = True
    train_biases: bool = True
    matmul_precision: str = "full"
    seed: int = 0

    @classmethod
    def plain_sgd(cls, **overrides) -> TrainConfig:
        """The settings the experiments were tuned with: a constant learning rate, SGD steps
        not rescaled for spin units, and no divergence guard (``schedule="constant",
        unit_scaled_lr=False, patience=0``); ``overrides`` set the rest."""
        return cls(**{"schedule": "constant", "unit_scaled_lr": False, "patience": 0, **overrides})

    def validate(self) -> None:
        """Raise :class:`~deeprg.errors.InputError` naming the first invalid hyperparameter."""
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
            ("monitor_samples", 1),
            ("monitor_every", 0),
            ("patience", 0),
            ("seed", 0),
        ):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | np.integer):
                raise InputError(f"{name} must be an integer, got {v!r}")
            if v < low:
                raise InputError(f"{name} must be >= {low}, got {v}")
        for name in ("lr", "l1", "l2", "momentum", "pt_min_beta"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
                raise InputError(f"{name} must be a number, got {v!r}")
            if not math.isfinite(v) or v < 0:
                raise InputError(f"{name} must be a finite number >= 0, got {v}")
        if self.lr == 0:
            raise InputError("lr must be > 0")
        if not self.momentum < 1:
            raise InputError(f"momentum must lie in [0, 1), got {self.momentum}")
        for name in ("centering", "train_biases", "unit_scaled_lr"):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise InputError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if self.monitor_exact is not None and not isinstance(self.monitor_exact, bool | np.bool_):
            raise InputError(f"monitor_exact must be None, True or False, got {self.monitor_exact!r}")
        if not 0 < self.pt_min_beta < 1:
            raise InputError(f"pt_min_beta must lie in (0, 1), got {self.pt_min_beta}")
        if self.tap_order not in (2, 3):
            raise InputError(f"tap_order must be 2 or 3, got {self.tap_order}")
        if self.matmul_precision not in MATMUL_PRECISIONS:
            raise InputError(
                f"matmul_precision must be one of {MATMUL_PRECISIONS}, got {self.matmul_precision!r}"
            )


@dataclass
class TrainState:
    """Everything needed to resume: epoch, chains, optimizer, RNG and history."""

    epoch: int = 0
    history: list = field(default_factory=list)
    swap_acceptance: list = field(default_factory=list)
    stop_reason: str | None = None


def as_training_tensor(data, rbm: RBM, *, allow_means: bool = False) -> torch.Tensor:
    """Validate a (n, n_visible) array of unit values and convert it for ``rbm``.

    With ``allow_means`` any finite reals are accepted: values in the units' range ([0, 1]
    binary, [-1, 1] spin) are read as unit means E[v_i] and enter the data term as they are
    (as scikit-learn's BernoulliRBM does). Otherwise only the two unit values are allowed.
    """
    try:
        arr = np.asarray(data)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"dtype {arr.dtype}")
        x = torch.as_tensor(arr.astype(np.float64, copy=False), dtype=rbm.W.dtype, device=rbm.W.device)
    except (TypeError, ValueError) as exc:
        raise InputError(f"data must be a numeric array of unit values ({exc})") from None
    if x.ndim != 2 or x.shape[1] != rbm.n_visible or x.shape[0] == 0:
        raise InputError(f"data must have shape (n >= 1, {rbm.n_visible}), got {tuple(x.shape)}")
    if not bool(torch.isfinite(x).all()):
        raise InputError("data contain NaN or infinite values")
    allowed = (0.0, 1.0) if rbm.visible == "binary" else (-1.0, 1.0)
    if not allow_means and not bool(((x == allowed[0]) | (x == allowed[1])).all()):
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
    exact log-likelihood (ln Z by enumerating the smaller layer) when ``exact`` is True or, for
    None, when the smaller layer has <= 20 units. The cost of ln Z is returned as
    ``log_z_seconds``."""
    out = {"train_free_energy": float(rbm.free_energy(train).mean())}
    out["reconstruction_error"] = reconstruction_error(rbm, train)
    out["pseudo_log_likelihood"] = pseudo_log_likelihood(rbm, train, generator)
    if valid is not None:
        out["valid_free_energy"] = float(rbm.free_energy(valid).mean())
        out["free_energy_gap"] = out["valid_free_energy"] - out["train_free_energy"]
    if exact is None:
        exact = min(rbm.n_visible, rbm.n_hidden) <= 20
    if exact:
        t0 = time.perf_counter()
        lz = exact_log_z(rbm)
        out["log_z_seconds"] = time.perf_counter() - t0
        out["log_z"] = lz
        out["train_log_likelihood"] = -out["train_free_energy"] - lz
        if valid is not None:
            out["valid_log_likelihood"] = -out["valid_free_energy"] - lz
    return out


def resolve_method(rbm: RBM) -> str:
    """The training method ``method='auto'`` runs: parallel tempering for spin visible units,
    PCD otherwise.

    On ordered or critical data (2D Ising at K_c) a spin-visible RBM develops two
    magnetisation modes within the first epoch; PCD's persistent chains stop crossing between
    them and training diverges, while replicas at lower beta cross and swap (Desjardins et
    al. 2010, "Tempered Markov chain Monte Carlo for training of RBMs", AISTATS). Binary units
    learn the same data more slowly and PCD stays stable over the benchmarked runs; on
    binarised digits PCD is 10x cheaper than PT at the same likelihood (docs/training.md).
    """
    return "pt" if rbm.visible == "spin" else "pcd"


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
        if config.method == "auto":  # the trainer's config names the method it runs
            config = replace(config, method=resolve_method(rbm))
        if config.method == "tap" and (rbm.visible != "binary" or rbm.hidden != "binary"):
            raise InputError("TAP training needs binary {0,1} visible and hidden units")
        self.rbm, self.config = rbm, config
        r_v = 1.0 if rbm.visible == "binary" else 2.0
        r_h = 1.0 if rbm.hidden == "binary" else 2.0
        # likelihood-gradient factors of W, c, b: lr in units of binary units (module docstring)
        self._unit_scales = (
            (1.0 / (r_v * r_h) ** 2, 1.0 / r_v**2, 1.0 / r_h**2) if config.unit_scaled_lr else (1.0, 1.0, 1.0)
        )
        self._best: tuple[float, dict] | None = None
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
        """k Gibbs sweeps of every replica at once (x: (T, C, n_v), betas (T,)), then
        neighbour swaps accepted with min(1, e^{(b_t - b_t+1)(E_t - E_t+1)})."""
        rbm = self.rbm
        beta = self.betas[:, None, None]
        x = self.chains
        for _ in range(self.config.k):
            h = unit_sample(beta * rbm.hidden_input(x), rbm.hidden, self.generator)
            x = unit_sample(beta * rbm.visible_input(h), rbm.visible, self.generator)
        h = unit_sample(beta * rbm.hidden_input(x), rbm.hidden, self.generator)
        energy = rbm.energy(x, h)  # (T, C)
        betas = self.betas
        u = torch.rand(energy[:-1].shape, generator=self.generator, device=energy.device, dtype=energy.dtype)
        log_u = torch.log(u)
        x = x.clone()
        for t in range(len(betas) - 1):
            log_a = (betas[t] - betas[t + 1]) * (energy[t] - energy[t + 1])
            swap = log_u[t] < log_a
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
        sw, sv, sh = self._unit_scales
        if sw != 1.0:
            gW *= sw
        if cfg.l1:
            gW += cfg.l1 * torch.sign(rbm.W)
        if cfg.l2:
            gW += cfg.l2 * rbm.W
        rbm.W.grad = gW
        rbm.vbias.grad = (negative.mean(0) - batch.mean(0)) * sv
        rbm.hbias.grad = (h_neg.mean(0) - h_pos.mean(0)) * sh

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
    def fit(
        self,
        train,
        valid=None,
        *,
        checkpoint_dir=None,
        progress=None,
        batch_progress=None,
        allow_means=False,
    ) -> list[dict]:
        """Train for the configured epochs (resuming from ``checkpoint_dir`` if it holds a
        checkpoint of the same config) and return the per-epoch history.

        Each record has the epoch, its training ``seconds``, ``lr``, the monitors (see
        :func:`monitors`) and their cost ``monitor_seconds``; the divergence guard's last
        record has ``stop_reason``. ``progress(epoch, epochs, record)`` is called after each
        epoch; ``batch_progress(done, total)`` inside epochs, about 50 times per epoch, with
        the minibatch updates done and due in the whole run (for rates and time left).
        ``allow_means`` accepts real values (unit means) as data.
        """
        rbm, cfg = self.rbm, self.config
        train = as_training_tensor(train, rbm, allow_means=allow_means)
        valid = as_training_tensor(valid, rbm, allow_means=allow_means) if valid is not None else None
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
        buffered = not fast and self._buffered_path_applies()
        n_batches = -(-n // cfg.batch_size)
        self._batch_report = _BatchReport(batch_progress, n_batches, cfg.epochs)
        while self.state.epoch < cfg.epochs and self.state.stop_reason is None:
            if fast:
                self._fast_epoch(train, cfg)
                self._finish_epoch(mon_train, mon_valid, mon_gen, checkpoint_dir, progress)
                continue
            if buffered:
                self._buffered_epoch(train)
                self._finish_epoch(mon_train, mon_valid, mon_gen, checkpoint_dir, progress)
                continue
            epoch = self.state.epoch
            t0 = time.perf_counter()
            factor = _lr_factor(cfg.schedule, epoch, cfg.epochs)
            for group in self.optimizer.param_groups:
                group["lr"] = cfg.lr * factor
            perm = torch.randperm(n, generator=self.generator, device=train.device)
            report = self._batch_report
            for b, start in enumerate(range(0, n, cfg.batch_size)):
                report(epoch, b)
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

    def _exact_due(self, epoch: int) -> bool:
        """Whether the exact log-likelihood is computed after ``epoch`` (0-based)."""
        cfg, rbm = self.config, self.rbm
        exact = cfg.monitor_exact
        if exact is None:
            exact = min(rbm.n_visible, rbm.n_hidden) <= 20
        if not exact:
            return False
        every = cfg.monitor_every or max(1, cfg.epochs // 5)
        return (epoch + 1) % every == 0 or epoch + 1 == cfg.epochs

    def _finish_epoch(self, mon_train, mon_valid, mon_gen, checkpoint_dir, progress):
        cfg, rbm = self.config, self.rbm
        epoch = self.state.epoch
        factor = _lr_factor(cfg.schedule, epoch, cfg.epochs)
        record = {"epoch": epoch + 1, "seconds": self._epoch_seconds, "lr": cfg.lr * factor}
        t0 = time.perf_counter()
        finite = all(bool(torch.isfinite(p).all()) for p in (rbm.W, rbm.vbias, rbm.hbias))
        if finite:
            record.update(monitors(rbm, mon_train, mon_valid, mon_gen, exact=self._exact_due(epoch)))
        record["monitor_seconds"] = time.perf_counter() - t0
        if cfg.method == "pt":
            acc = self._swap_counts[:, 0] / np.maximum(self._swap_counts[:, 1], 1)
            record["swap_acceptance"] = acc.tolist()
            self.state.swap_acceptance = acc.tolist()
        self._guard(record, finite)
        self.state.history.append(record)
        self.state.epoch += 1
        if checkpoint_dir is not None:
            self._checkpoint(Path(checkpoint_dir))
        if progress is not None:
            progress(self.state.epoch, cfg.epochs, record)

    # -- the divergence guard -------------------------------------------------------------------
    def _guard(self, record: dict, finite: bool):
        """Stop on non-finite parameters or a log-likelihood that fell at ``patience``
        successive evaluations; restore the best parameters and say why in ``record``."""
        cfg, rbm = self.config, self.rbm
        key = "valid_log_likelihood" if "valid_log_likelihood" in record else "train_log_likelihood"
        ll = record.get(key)
        reason = None
        if not finite or (ll is not None and not math.isfinite(ll)):
            reason = f"non-finite parameters or log-likelihood after epoch {record['epoch']} (learning rate too large?)"
        elif ll is not None:
            self._ll_trace = [*getattr(self, "_ll_trace", []), ll]
            if self._best is None or ll > self._best[0]:
                self._best = (
                    ll,
                    {k: v.detach().clone() for k, v in rbm.state_dict().items()},
                    record["epoch"],
                )
            tail = self._ll_trace[-(cfg.patience + 1) :]
            if (
                cfg.patience
                and len(tail) == cfg.patience + 1
                and all(b < a for a, b in itertools.pairwise(tail))
                and ll < self._best[0]
            ):
                reason = (
                    f"the {key.replace('_', ' ')} fell at {cfg.patience} successive evaluations "
                    f"({tail[0]:.4g} -> {ll:.4g}; best {self._best[0]:.4g} after epoch {self._best[2]})"
                )
        if reason is None:
            return
        if self._best is None and (not finite or (ll is not None and not math.isfinite(ll))):
            raise TrainingDivergedError(
                f"training diverged: {reason.replace(' (learning rate too large?)', '')}, and no finite "
                f"earlier state was monitored to restore; lower the learning rate (lr = {cfg.lr:g})"
            )
        if self._best is not None:
            rbm.load_state_dict(self._best[1])
            reason += f"; parameters restored from epoch {self._best[2]}"
            record["restored_log_likelihood"] = self._best[0]
        reason = "stopped: " + reason
        record["stop_reason"] = reason
        self.state.stop_reason = reason
        if hasattr(self, "_fast"):
            del self._fast
        warnings.warn(f"RBM training {reason}", RuntimeWarning, stacklevel=4)

    # -- the buffered torch loop for binary CD/PCD ----------------------------------------------
    def _binary_sampling_method(self) -> bool:
        """CD or PCD on binary units without centering: what both special loops implement."""
        rbm, cfg = self.rbm, self.config
        return (
            cfg.method in ("cd", "pcd")
            and not cfg.centering
            and rbm.visible == "binary"
            and rbm.hidden == "binary"
        )

    def _buffered_path_applies(self) -> bool:
        return self._binary_sampling_method()

    def _momentum_buffer(self, param: torch.Tensor) -> torch.Tensor | None:
        """torch SGD's momentum buffer of ``param`` (created as zeros: m 0 + g = g, as SGD's
        first step), or None without momentum."""
        if self.config.momentum == 0:
            return None
        state = self.optimizer.state[param]
        if state.get("momentum_buffer") is None:
            state["momentum_buffer"] = torch.zeros_like(param)
        return state["momentum_buffer"]

    @torch.no_grad()
    def _buffered_epoch(self, train: torch.Tensor):
        """One epoch of CD-k / PCD-k on a binary RBM: the updates of
        :meth:`_sampling_gradient` followed by torch's SGD step, with preallocated buffers,
        in-place operations and one fused gradient product per update,

            buf_W <- m buf_W + V^T H,  V = [v_neg; v_pos] (C + B, n_v),
            H = [E[h | v_neg] / C; -E[h | v_pos] / B] (C + B, n_h),  W <- W - lr buf_W,

        and the bias gradients as s^T V (s = [1/C ...; -1/B ...]) and the column sums of H.
        With ``matmul_precision='bf16'`` the products read bfloat16 copies of W, V and H.
        """
        rbm, cfg = self.rbm, self.config
        t0 = time.perf_counter()
        epoch = self.state.epoch
        lr = cfg.lr * _lr_factor(cfg.schedule, epoch, cfg.epochs)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        gen, m = self.generator, cfg.momentum
        n, nv, nh = train.shape[0], rbm.n_visible, rbm.n_hidden
        perm = torch.randperm(n, generator=gen, device=train.device)
        pcd = cfg.method == "pcd"
        if pcd and self.chains.shape[1] != nh:
            self.chains = rbm.sample_hidden(self.chains, gen)
        if pcd:
            self.chains = self.chains.to(rbm.W.dtype).contiguous()
        W, vb, hb = rbm.W, rbm.vbias, rbm.hbias
        dt, dev = W.dtype, W.device
        low = cfg.matmul_precision == "bf16"
        lp = torch.bfloat16 if low else dt
        n_neg = self.chains.shape[0] if pcd else cfg.batch_size
        rows = n_neg + cfg.batch_size

        def empty(*shape, dtype=dt):
            return torch.empty(shape, dtype=dtype, device=dev)

        V, H = empty(rows, nv), empty(rows, nh)
        Vl, Hl = (empty(rows, nv, dtype=lp), empty(rows, nh, dtype=lp)) if low else (V, H)
        Wl = W.to(lp) if low else W
        tmp_v, tmp_h = (empty(rows, nv, dtype=lp), empty(rows, nh, dtype=lp)) if low else (None, None)
        u_v, u_h = empty(rows, nv), empty(rows, nh)
        state = empty(rows, nh)  # hidden states of the negative chains
        buf_W, buf_v, buf_h = (self._momentum_buffer(p) for p in (W, vb, hb))

        def product(x, xl, mat_l, bias, out, tmp):
            """out = bias + x @ mat (x: (r, a), mat: (a, b)), in the product precision."""
            if low:
                xl.copy_(x)
                torch.mm(xl, mat_l, out=tmp[: x.shape[0]])
                torch.add(tmp[: x.shape[0]], bias, out=out)
            else:
                torch.addmm(bias, x, mat_l, out=out)

        # Bernoulli draws on CPU come from a compiled xoshiro256+ stream of the trainer's own
        # (torch's CPU uniform_ cost 3.4 ns a number, 15% of a 1600 -> 400 epoch); with
        # _buffered_torch_stream they use the general loop's torch stream, draw for draw,
        # which is how the tests check this loop's algebra against the general loop.
        compiled = dev.type == "cpu" and not getattr(self, "_buffered_torch_stream", False)
        if compiled:
            from deeprg.nn._fast import bernoulli_fill

            if getattr(self, "_buffered_rng", None) is None:
                from deeprg.sampling._rng import seed_streams

                self._buffered_rng = seed_streams(cfg.seed, 2)[1].copy()
            rng = self._buffered_rng

        def sample(p, u, out):
            """out = 1[u < p], u uniform (p, out contiguous row blocks; out may be p)."""
            if compiled:
                bernoulli_fill(p.numpy(), out.numpy(), rng)
            else:
                u.uniform_(generator=gen)
                torch.lt(u, p, out=out)

        report = self._batch_report
        signs = empty(0)
        for b, start in enumerate(range(0, n, cfg.batch_size)):
            report(epoch, b)
            idx = perm[start : start + cfg.batch_size]
            bs = idx.shape[0]
            nn_ = n_neg if pcd else bs
            Vb, Hb = V[: nn_ + bs], H[: nn_ + bs]
            v_neg, v_pos, h_neg, h_pos = Vb[:nn_], Vb[nn_:], Hb[:nn_], Hb[nn_:]
            vl = Vl[: nn_ + bs]
            torch.index_select(train, 0, idx, out=v_pos)
            if pcd:  # the persistent hidden states are updated in place
                h = self.chains
                for step in range(cfg.k):
                    product(h, Hl[:nn_], Wl.T, vb, v_neg, tmp_v)
                    torch.sigmoid(v_neg, out=v_neg)
                    sample(v_neg, u_v[:nn_], v_neg)
                    # the last step's hidden input and the data's: one product of both
                    r = nn_ + bs if step + 1 == cfg.k else nn_
                    product(Vb[:r], vl[:r], Wl, hb, Hb[:r], tmp_h)
                    torch.sigmoid(Hb[:r], out=Hb[:r])
                    sample(h_neg, u_h[:nn_], h)
            else:
                product(v_pos, vl[nn_:], Wl, hb, h_pos, tmp_h)
                torch.sigmoid(h_pos, out=h_pos)
                h = state[:nn_]
                sample(h_pos, u_h[:bs], h)
                for step in range(cfg.k):
                    product(h, Hl[:nn_], Wl.T, vb, v_neg, tmp_v)
                    torch.sigmoid(v_neg, out=v_neg)
                    sample(v_neg, u_v[:nn_], v_neg)
                    product(v_neg, vl[:nn_], Wl, hb, h_neg, tmp_h)
                    torch.sigmoid(h_neg, out=h_neg)
                    if step + 1 < cfg.k:
                        sample(h_neg, u_h[:nn_], h)
            h_neg.mul_(1.0 / nn_)
            h_pos.mul_(-1.0 / bs)
            if signs.shape[0] != nn_ + bs:
                signs = torch.full((nn_ + bs,), 1.0 / nn_, dtype=dt, device=dev)
                signs[nn_:] = -1.0 / bs
            penalty = None
            if cfg.l1:
                penalty = torch.sign(W).mul_(cfg.l1)
            if cfg.l2:
                penalty = W * cfg.l2 if penalty is None else penalty.add_(W, alpha=cfg.l2)
            if low:
                Hl[: nn_ + bs].copy_(Hb)
                grad = torch.mm(vl.T, Hl[: nn_ + bs])
                if buf_W is None:
                    W.sub_(grad, alpha=lr)
                else:
                    buf_W.mul_(m).add_(grad)
            elif buf_W is None:
                W.addmm_(Vb.T, Hb, alpha=-lr)
            else:
                buf_W.addmm_(Vb.T, Hb, beta=m)
            if buf_W is not None:
                if penalty is not None:
                    buf_W.add_(penalty)
                W.sub_(buf_W, alpha=lr)
            elif penalty is not None:
                W.sub_(penalty, alpha=lr)
            if cfg.train_biases:
                for param, grad, buf in ((vb, torch.mv(Vb.T, signs), buf_v), (hb, Hb.sum(0), buf_h)):
                    if buf is None:
                        param.sub_(grad, alpha=lr)
                    else:
                        buf.mul_(m).add_(grad)
                        param.sub_(buf, alpha=lr)
            if low:
                Wl.copy_(W)
        self._epoch_seconds = time.perf_counter() - t0

    # -- the compiled loop for small binary RBMs ---------------------------------------------
    def _fast_path_applies(self) -> bool:
        from deeprg.nn._fast import FAST_PATH_MAX_WEIGHTS

        rbm = self.rbm
        return (
            self._binary_sampling_method()
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
        # with a progress callback the permutation runs in chunks of whole minibatches: the
        # kernel carries its stream and momentum in f, so the result is the one-call epoch's
        report = self._batch_report
        step = report.stride * cfg.batch_size if report.callback is not None else len(perm)
        for start in range(0, len(perm), step):
            report(self.state.epoch, start // cfg.batch_size)
            f["first"] = pcd_epoch(
                data,
                perm[start : start + step],
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
            history = self.state.history
            self.state.stop_reason = history[-1].get("stop_reason") if history else None


class _BatchReport:
    """Calls ``callback(done, total)`` (minibatch updates of the whole run) about 50 times per
    epoch; a no-op without a callback."""

    def __init__(self, callback, n_batches: int, epochs: int):
        self.callback, self.n_batches, self.epochs = callback, n_batches, epochs
        self.stride = max(1, n_batches // 50)

    def __call__(self, epoch: int, batch: int):
        if self.callback is not None and batch % self.stride == 0:
            self.callback(epoch * self.n_batches + batch, self.epochs * self.n_batches)


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
    "resolve_method",
    "train_rbm",
]
