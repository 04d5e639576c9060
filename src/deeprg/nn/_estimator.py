"""A scikit-learn compatible RBM estimator over the torch module.

Follows sklearn's estimator contract (STYLE.md): ``__init__`` only stores keyword-only
hyperparameters; ``fit`` validates them, seeds from ``random_state`` and returns self; learned
attributes end in ``_``; using an unfitted estimator raises NotFittedError. scikit-learn is not
a runtime dependency: when it is installed the estimator also derives from its BaseEstimator
and TransformerMixin (so clone, Pipeline and GridSearchCV work); otherwise a minimal
get_params/set_params is provided.
"""

from __future__ import annotations

import inspect

import numpy as np
import torch

from deeprg.errors import InputError, NotFittedError
from deeprg.nn._partition import MAX_EXACT_UNITS, exact_log_z
from deeprg.nn._rbm import RBM
from deeprg.nn._train import TrainConfig, Trainer

try:  # optional integration
    from sklearn.base import BaseEstimator as _Base
    from sklearn.base import TransformerMixin as _Mixin
except ImportError:  # pragma: no cover - exercised only without scikit-learn

    class _Base:
        @classmethod
        def _get_param_names(cls):
            sig = inspect.signature(cls.__init__)
            return sorted(
                p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD
            )

        def get_params(self, deep=True):
            return {k: getattr(self, k) for k in self._get_param_names()}

        def set_params(self, **params):
            for k, v in params.items():
                if k not in self._get_param_names():
                    raise InputError(f"invalid parameter {k!r} for {type(self).__name__}")
                setattr(self, k, v)
            return self

    class _Mixin:
        def fit_transform(self, X, y=None, **kw):
            return self.fit(X, y, **kw).transform(X)


class RBMEstimator(_Mixin, _Base):
    """Bernoulli RBM as an sklearn transformer (binary {0,1} or spin {-1,+1} visible units).

    Args (keyword-only): n_components (hidden units), method ('cd', 'pcd', 'pt', 'tap'),
    learning_rate, n_iter (epochs), batch_size, k, n_chains, momentum, l1, l2, centering,
    visible ('binary' or 'spin'), dtype ('float32' or 'float64'), device, random_state.

    Fitted attributes: ``rbm_`` (the torch :class:`RBM`), ``components_`` (n_components,
    n_features), ``intercept_visible_``, ``intercept_hidden_``, ``history_``, ``n_features_in_``.
    """

    def __init__(
        self,
        *,
        n_components: int = 16,
        method: str = "pcd",
        learning_rate: float = 0.05,
        n_iter: int = 10,
        batch_size: int = 100,
        k: int = 1,
        n_chains: int = 256,
        momentum: float = 0.5,
        l1: float = 0.0,
        l2: float = 0.0,
        centering: bool = False,
        visible: str = "binary",
        dtype: str = "float32",
        device: str = "cpu",
        random_state: int | None = None,
    ):
        self.n_components = n_components
        self.method = method
        self.learning_rate = learning_rate
        self.n_iter = n_iter
        self.batch_size = batch_size
        self.k = k
        self.n_chains = n_chains
        self.momentum = momentum
        self.l1 = l1
        self.l2 = l2
        self.centering = centering
        self.visible = visible
        self.dtype = dtype
        self.device = device
        self.random_state = random_state

    def _config(self) -> TrainConfig:
        seed = (
            0 if self.random_state is None else int(np.random.default_rng(self.random_state).integers(2**31))
        )
        return TrainConfig(
            method=self.method,
            k=self.k,
            epochs=self.n_iter,
            batch_size=self.batch_size,
            lr=self.learning_rate,
            momentum=self.momentum,
            l1=self.l1,
            l2=self.l2,
            n_chains=self.n_chains,
            centering=self.centering,
            seed=seed,
        )

    def _check_X(self, X, *, reset: bool) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise InputError(f"X must be 2D (n_samples, n_features), got shape {X.shape}")
        if not reset and X.shape[1] != self.n_features_in_:
            raise InputError(
                f"X has {X.shape[1]} features, the estimator was fitted with {self.n_features_in_}"
            )
        return X

    def _new_rbm(self, n_features: int, seed: int) -> RBM:
        if self.dtype not in ("float32", "float64"):
            raise InputError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")
        if not isinstance(self.n_components, int | np.integer) or self.n_components < 1:
            raise InputError(f"n_components must be a positive integer, got {self.n_components!r}")
        return RBM(
            n_features,
            int(self.n_components),
            visible=self.visible,
            dtype=getattr(torch, self.dtype),
            device=self.device,
            seed=seed,
        )

    def fit(self, X, y=None):
        """Train a fresh RBM on X (n_samples, n_features) of unit values; returns self."""
        X = self._check_X(X, reset=True)
        config = self._config()
        config.validate()
        self.n_features_in_ = X.shape[1]
        self.rbm_ = self._new_rbm(X.shape[1], config.seed)
        self._trainer = Trainer(self.rbm_, config)
        self.history_ = self._trainer.fit(X)
        self._sync()
        return self

    def partial_fit(self, X, y=None):
        """One more epoch on X (creating the model on the first call)."""
        X = self._check_X(X, reset=not hasattr(self, "rbm_"))
        if not hasattr(self, "rbm_"):
            base = self._config()
            self.n_features_in_ = X.shape[1]
            self.rbm_ = self._new_rbm(X.shape[1], base.seed)
            self._trainer = Trainer(self.rbm_, TrainConfig(**{**base.__dict__, "epochs": 1}))
            self.history_ = []
        trainer = self._trainer
        trainer.config = TrainConfig(**{**trainer.config.__dict__, "epochs": trainer.state.epoch + 1})
        self.history_ = trainer.fit(X)
        self._sync()
        return self

    def _sync(self):
        W = self.rbm_.W.detach().cpu().double().numpy()
        self.components_ = W.T.copy()
        self.intercept_visible_ = self.rbm_.vbias.detach().cpu().double().numpy()
        self.intercept_hidden_ = self.rbm_.hbias.detach().cpu().double().numpy()

    def _check_fitted(self):
        if not hasattr(self, "rbm_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call fit first")

    def transform(self, X) -> np.ndarray:
        """Hidden-unit means E[h | v], shape (n_samples, n_components)."""
        self._check_fitted()
        X = self._check_X(X, reset=False)
        return self.rbm_.hidden_mean(X).detach().cpu().double().numpy()

    def score_samples(self, X) -> np.ndarray:
        """Exact log-likelihood ln p(v) per sample when ln Z is tractable (smaller layer <= 24
        units). Otherwise scikit-learn's proxy: n_features * ln sigmoid(F(v~) - F(v)) with one
        random unit of each sample flipped (a pseudo-likelihood estimate, not normalised)."""
        self._check_fitted()
        X = self._check_X(X, reset=False)
        with torch.no_grad():
            v = self.rbm_._as_tensor(X)
            if min(self.rbm_.n_visible, self.rbm_.n_hidden) <= MAX_EXACT_UNITS:
                return (-self.rbm_.free_energy(v).double() - exact_log_z(self.rbm_)).cpu().numpy()
            gen = torch.Generator(device=v.device).manual_seed(0)
            idx = torch.randint(0, v.shape[1], (v.shape[0],), generator=gen, device=v.device)
            flipped = v.clone()
            rows = torch.arange(v.shape[0], device=v.device)
            lo, hi = self.rbm_.unit_values("visible")
            flipped[rows, idx] = lo + hi - flipped[rows, idx]
            diff = self.rbm_.free_energy(flipped) - self.rbm_.free_energy(v)
            return (v.shape[1] * torch.nn.functional.logsigmoid(diff)).double().cpu().numpy()

    def score(self, X, y=None) -> float:
        return float(np.mean(self.score_samples(X)))

    def sample(self, n_samples: int = 1, *, gibbs_steps: int = 1000, random_state=None) -> np.ndarray:
        """Samples from the model by block Gibbs from random starts, (n_samples, n_features)."""
        self._check_fitted()
        gen = torch.Generator(device=self.rbm_.W.device).manual_seed(
            0 if random_state is None else int(random_state)
        )
        lo, hi = self.rbm_.unit_values("visible")
        v = lo + (hi - lo) * (
            torch.rand((n_samples, self.rbm_.n_visible), generator=gen, device=self.rbm_.W.device) < 0.5
        ).to(self.rbm_.W.dtype)
        return self.rbm_.gibbs(v, gibbs_steps, gen).cpu().double().numpy()

    def gibbs(self, v) -> np.ndarray:
        """One Gibbs step from v (sklearn BernoulliRBM's method name)."""
        self._check_fitted()
        return self.rbm_.gibbs(self._check_X(v, reset=False), 1).cpu().double().numpy()


__all__ = ["RBMEstimator"]
