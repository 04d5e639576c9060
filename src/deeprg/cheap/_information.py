"""Markov generative hierarchies and sufficient statistics, with exact mutual informations.

A hierarchy x0 -> x1 -> ... -> xn is given by a prior over x0 and stochastic matrices
P_k[a, b] = p(x_{k+1} = b | x_k = a). Mutual informations come from the exact joints
p(x0, xk) = diag(p0) P_1 ... P_k, in nats. The data processing inequality says
I(x0; xk) >= I(x0; x_{k+1}) and I(x0; xn) >= I(x0; T(xn)), with equality iff T is sufficient.
"""

from __future__ import annotations

import itertools

import numpy as np

from deeprg.errors import InputError


def mutual_information(joint) -> float:
    """I(A; B) in nats from a joint probability table (|A|, |B|)."""
    p = np.asarray(joint, dtype=np.float64)
    if np.any(p < 0) or abs(p.sum() - 1) > 1e-12:
        raise InputError("a joint distribution must be non-negative and sum to 1")
    pa, pb = p.sum(1, keepdims=True), p.sum(0, keepdims=True)
    mask = p > 0
    return float(np.sum(p[mask] * (np.log(p[mask]) - np.log((pa @ pb)[mask]))))


def hierarchy_informations(prior, matrices) -> list[float]:
    """[I(x0; x1), I(x0; x2), ...] for the hierarchy with the given transition matrices."""
    joint = np.diag(np.asarray(prior, dtype=np.float64))
    out = []
    for P in matrices:
        P = np.asarray(P, dtype=np.float64)
        if P.shape[0] != joint.shape[1] or np.any(P < 0) or np.any(np.abs(P.sum(1) - 1) > 1e-12):
            raise InputError("each matrix must be row-stochastic and chain with the previous level")
        joint = joint @ P
        out.append(mutual_information(joint))
    return out


def statistic_information(prior, channel, statistic) -> tuple[float, float]:
    """(I(x0; y), I(x0; T(y))) for p(y | x0) = channel[x0, y] and T given as an integer label
    per y (a deterministic function, i.e. a 0/1 matrix)."""
    joint = np.diag(np.asarray(prior, dtype=np.float64)) @ np.asarray(channel, dtype=np.float64)
    labels = np.asarray(statistic)
    T = np.zeros((joint.shape[1], labels.max() + 1))
    T[np.arange(joint.shape[1]), labels] = 1.0
    return mutual_information(joint), mutual_information(joint @ T)


def repetition_channel(n_copies: int, flip: float) -> tuple[np.ndarray, list]:
    """x0 in {0,1} sent as n noisy copies (each flipped with probability ``flip``).

    Returns (channel (2, 2^n), outputs as bit tuples). The number of ones is a sufficient
    statistic of x0; a single bit is not.
    """
    outputs = list(itertools.product((0, 1), repeat=n_copies))
    ch = np.zeros((2, len(outputs)))
    for j, y in enumerate(outputs):
        ones = sum(y)
        ch[1, j] = (1 - flip) ** ones * flip ** (n_copies - ones)
        ch[0, j] = flip**ones * (1 - flip) ** (n_copies - ones)
    return ch, outputs
