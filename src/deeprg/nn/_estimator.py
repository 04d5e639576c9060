"""A scikit-learn compatible RBM estimator over the torch module.

Follows sklearn's estimator contract: ``__init__`` only stores keyword-only
hyperparameters; ``fit`` validates them, seeds from ``random_state`` and returns self; learned
attributes end in ``_``. Inputs go through scikit-learn's own validation when it is installed
(``validate_data``: 2D, finite, numeric, not empty, n_features checked) and every rejection is
raised as :class:`~deeprg.errors.InputError` (a ValueError, so scikit-learn code catching
ValueError still works). Using an unfitted estimator raises an error that is both deeprg's
and scikit-learn's NotFittedError. scikit-learn is not a runtime dependency: without it a
minimal get_params/set_params and numpy validation are used.
"""

from __future__ import annotations

import inspect

import numpy as np
import torch

from deeprg.errors import InputError
from deeprg.errors import NotFittedError as _DeepRGNotFitted
from deeprg.nn._partition import MAX_EXACT_UNITS, exact_log_z
from deeprg.nn._rbm import RBM
from deeprg.nn._train import TrainConfig, Trainer

try:  # optional integration
    from sklearn.base import BaseEstimator as _Base
    from sklearn.base import ClassNamePrefixFeaturesOutMixin as _Names
    from sklearn.base import TransformerMixin as _Mixin
    from sklearn.exceptions import NotFittedError as _SkNotFitted
    from sklearn.utils.validation import validate_data as _validate_data

    _HAVE_SKLEARN = True
except ImportError:  # pragma: no cover - exercised only without scikit-learn
    _HAVE_SKLEARN = False

    class _SkNotFitted(AttributeError):
        pass

    class _Names:
        pass

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


class InputTypeError(InputError, TypeError):
    """X of a type that cannot be read as numbers (deeprg's InputError and a TypeError)."""


class EstimatorNotFittedError(_DeepRGNotFitted, _SkNotFitted):
    """Raised when an unfitted :class:`RBMEstimator` is used (deeprg's and sklearn's class)."""


class RBMEstimator(_Names, _Mixin, _Base):
    """Bernoulli RBM as an sklearn transformer (binary {0,1} or spin {-1,+1} visible units).

    Args (keyword-only): n_components (hidden units), method ('auto', 'cd', 'pcd', 'pt', 'tap'),
    learning_rate, n_iter (epochs), batch_size, k, n_chains, momentum, schedule, l1, l2,
    centering, visible ('binary' or 'spin'), dtype ('float32' or 'float64'), device,
    random_state. Defaults are :class:`~deeprg.nn.TrainConfig`'s.

    X: (n_samples, n_features) dense or scipy sparse, finite. Like scikit-learn's
    BernoulliRBM the estimator accepts real values: a value in the units' range ([0, 1] for
    binary, [-1, 1] for spin units) is read as the unit's mean E[v_i] (a grey pixel as the
    probability of ink) and enters the data term of the gradient, the free energy and
    E[h | v] as it is (values outside the range are used the same way but have no
    probabilistic meaning). Sparse input is densified (RBM inputs are small).

    Fitted attributes: ``rbm_`` (the torch :class:`RBM`), ``components_`` (n_components,
    n_features), ``intercept_visible_``, ``intercept_hidden_``, ``history_``, ``n_features_in_``
    (and ``feature_names_in_`` for DataFrames).
    """

    def __init__(
        self,
        *,
        n_components: int = 16,
        method: str = "auto",
        learning_rate: float = 0.05,
        n_iter: int = 100,
        batch_size: int = 20,
        k: int = 1,
        n_chains: int = 64,
        momentum: float = 0.5,
        schedule: str = "linear",
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
        self.schedule = schedule
        self.l1 = l1
        self.l2 = l2
        self.centering = centering
        self.visible = visible
        self.dtype = dtype
        self.device = device
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _config(self) -> TrainConfig:
        rs = self.random_state
        if rs is None:
            seed = 0
        elif isinstance(rs, np.random.RandomState):
            seed = int(rs.randint(2**31 - 1))
        else:
            try:
                seed = int(np.random.default_rng(rs).integers(2**31))
            except (TypeError, ValueError) as exc:
                raise InputError(
                    f"random_state must be None, an integer or a RandomState, got {rs!r}"
                ) from exc
        try:
            config = TrainConfig(
                method=self.method,
                k=self.k,
                epochs=self.n_iter,
                batch_size=self.batch_size,
                lr=self.learning_rate,
                momentum=self.momentum,
                schedule=self.schedule,
                l1=self.l1,
                l2=self.l2,
                n_chains=self.n_chains,
                centering=self.centering,
                monitor_exact=False,
                seed=seed,
            )
            config.validate()
        except TypeError as exc:
            raise InputError(f"invalid hyperparameter: {exc}") from None
        return config

    def _check_X(self, X, *, reset: bool) -> np.ndarray:
        """Validate X with scikit-learn's checks and the units' range; float64 dense array."""
        try:
            if _HAVE_SKLEARN:
                X = _validate_data(
                    self, X, reset=reset, accept_sparse=("csr", "csc", "coo"), dtype=(np.float64, np.float32)
                )
            else:  # pragma: no cover
                X = np.asarray(X, dtype=np.float64)
                if X.ndim != 2 or X.size == 0 or not np.isfinite(X).all():
                    raise ValueError(f"X must be a finite, non-empty 2D array, got shape {X.shape}")
                if reset:
                    self.n_features_in_ = X.shape[1]
                elif X.shape[1] != self.n_features_in_:
                    raise ValueError(f"X has {X.shape[1]} features, expected {self.n_features_in_}")
        except InputError:
            raise
        except TypeError as exc:
            raise InputTypeError(str(exc)) from None
        except ValueError as exc:
            raise InputError(str(exc)) from None
        if hasattr(X, "toarray"):
            X = X.toarray()
        X = np.asarray(X, dtype=np.float64)
        if self.visible not in ("binary", "spin"):
            raise InputError(f"visible must be 'binary' or 'spin', got {self.visible!r}")
        return X

    def _new_rbm(self, n_features: int, seed: int) -> RBM:
        if self.dtype not in ("float32", "float64"):
            raise InputError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")
        if (
            isinstance(self.n_components, bool)
            or not isinstance(self.n_components, int | np.integer)
            or self.n_components < 1
        ):
            raise InputError(f"n_components must be a positive integer, got {self.n_components!r}")
        if self.visible not in ("binary", "spin"):
            raise InputError(f"visible must be 'binary' or 'spin', got {self.visible!r}")
        if self.device != "cpu" and not (str(self.device).startswith("cuda") and torch.cuda.is_available()):
            raise InputError(f"device must be 'cpu' or an available 'cuda' device, got {self.device!r}")
        return RBM(
            n_features,
            int(self.n_components),
            visible=self.visible,
            dtype=getattr(torch, self.dtype),
            device=self.device,
            seed=seed,
        )

    def fit(self, X, y=None):
        """Train a fresh RBM on X (n_samples, n_features) of unit values or means; returns self."""
        config = self._config()
        self._new_rbm(1, config.seed)  # validate the model's hyperparameters before the data
        X = self._check_X(X, reset=True)
        self.rbm_ = self._new_rbm(X.shape[1], config.seed)
        self._trainer = Trainer(self.rbm_, config)
        self.history_ = self._trainer.fit(X, allow_means=True)
        self._sync()
        return self

    def partial_fit(self, X, y=None):
        """One more epoch on X (creating the model on the first call)."""
        first = not hasattr(self, "rbm_")
        X = self._check_X(X, reset=first)
        if first:
            base = self._config()
            self.rbm_ = self._new_rbm(X.shape[1], base.seed)
            self._trainer = Trainer(self.rbm_, TrainConfig(**{**base.__dict__, "epochs": 1, "patience": 0}))
            self.history_ = []
        trainer = self._trainer
        trainer.config = TrainConfig(**{**trainer.config.__dict__, "epochs": trainer.state.epoch + 1})
        self.history_ = trainer.fit(X, allow_means=True)
        self._sync()
        return self

    @property
    def _n_features_out(self) -> int:
        return self.components_.shape[0]

    def _sync(self):
        W = self.rbm_.W.detach().cpu().double().numpy()
        self.components_ = W.T.copy()
        self.intercept_visible_ = self.rbm_.vbias.detach().cpu().double().numpy()
        self.intercept_hidden_ = self.rbm_.hbias.detach().cpu().double().numpy()

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "rbm_")

    def _check_fitted(self):
        if not hasattr(self, "rbm_"):
            raise EstimatorNotFittedError(f"this {type(self).__name__} is not fitted yet; call fit first")

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
        gen = torch.Generator(device=self.rbm_.W.device).manual_seed(0)
        return self.rbm_.gibbs(self._check_X(v, reset=False), 1, gen).cpu().double().numpy()


__all__ = ["EstimatorNotFittedError", "RBMEstimator"]
