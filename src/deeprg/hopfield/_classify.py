"""Classifying end points of retrieval: stored patterns, symmetric odd mixtures, spin-glass states.

An end point s is compared with the patterns through its overlaps m_mu(s):

- 'pattern': max_mu |m_mu| >= ``threshold`` (xi^mu or its mirror image -xi^mu, which the
  Hebbian energy stores equally);
- 'mixture3' ('mixture5'): not a pattern, and s agrees with the symmetric mixture
  sign(sum_a eps_a xi^a) built from the 3 (5) patterns of largest |m| (signs eps_a = sign m_a)
  on at least a fraction (1 + threshold)/2 of the units, i.e. its overlap with that mixture is
  >= ``threshold`` (Amit, Gutfreund & Sompolinsky 1985);
- 'spin glass': none of these (no macroscopic overlap with any pattern or mixture).
"""

from __future__ import annotations

import numpy as np

from deeprg.errors import InputError
from deeprg.hopfield._network import as_patterns, as_states, overlaps

CLASSES = ("pattern", "mixture3", "mixture5", "spin glass")


def classify_states(patterns, states, *, threshold: float = 0.8) -> dict:
    """Classify states (n, N) against patterns (P, N).

    Returns a dict with 'labels' (list of class names, one per state), 'best' (int (n,), the
    pattern of largest |m|), 'max_overlap' (float (n,)), 'mixture_overlap' (float (n,) the
    overlap with the best 3-mixture, nan when P < 3) and 'fractions' (class -> fraction).
    """
    if not 0 < threshold < 1:
        raise InputError(f"threshold must lie in (0, 1), got {threshold}")
    xi = as_patterns(patterns)
    s = as_states(states, xi.shape[1])
    m = overlaps(xi, s)
    am = np.abs(m)
    order = np.argsort(-am, axis=1, kind="stable")
    best = order[:, 0]
    max_m = am[np.arange(len(s)), best]
    labels = np.full(len(s), "spin glass", dtype=object)
    labels[max_m >= threshold] = "pattern"
    mix_q = {}
    for n_mix, name in ((3, "mixture3"), (5, "mixture5")):
        if xi.shape[0] < n_mix:
            mix_q[n_mix] = np.full(len(s), np.nan)
            continue
        top = order[:, :n_mix]  # (n, n_mix)
        signs = np.sign(np.take_along_axis(m, top, axis=1))
        signs[signs == 0] = 1
        mix = np.einsum("na,nai->ni", signs, xi[top].astype(np.float64))
        sigma = np.sign(mix)  # n_mix odd: never zero
        q = np.mean(sigma * s, axis=1)
        mix_q[n_mix] = q
        labels[(labels == "spin glass") & (q >= threshold)] = name
    fractions = {c: float(np.mean(labels == c)) for c in CLASSES}
    return {
        "labels": labels.tolist(),
        "best": best,
        "max_overlap": max_m,
        "mixture_overlap": mix_q[3],
        "fractions": fractions,
    }
