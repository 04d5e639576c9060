"""Energy-based learning: RBMs and DBNs in torch, training (CD, PCD, PT, TAP), partition
functions (exact, AIS, reverse AIS), model files, and a scikit-learn estimator."""

from deeprg.nn._conv import ConvRBM, dense_parameter_count, train_conv_rbm
from deeprg.nn._dbn import DBN
from deeprg.nn._estimator import RBMEstimator
from deeprg.nn._evaluate import evaluate_model
from deeprg.nn._io import load_model, save_model
from deeprg.nn._partition import AISResult, ais_log_z, base_rate_bias, exact_log_z, reverse_ais_log_z
from deeprg.nn._rbm import RBM, log_2cosh
from deeprg.nn._tap import tap_gibbs_free_energy, tap_log_z, tap_magnetizations
from deeprg.nn._train import (
    METHODS,
    TrainConfig,
    Trainer,
    monitors,
    pseudo_log_likelihood,
    reconstruction_error,
    train_rbm,
)

__all__ = [
    "DBN",
    "METHODS",
    "RBM",
    "AISResult",
    "ConvRBM",
    "RBMEstimator",
    "TrainConfig",
    "Trainer",
    "ais_log_z",
    "base_rate_bias",
    "dense_parameter_count",
    "evaluate_model",
    "exact_log_z",
    "load_model",
    "log_2cosh",
    "monitors",
    "pseudo_log_likelihood",
    "reconstruction_error",
    "reverse_ais_log_z",
    "save_model",
    "tap_gibbs_free_energy",
    "tap_log_z",
    "tap_magnetizations",
    "train_conv_rbm",
    "train_rbm",
]
