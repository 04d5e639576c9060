"""Effective lattice couplings of an RBM block map's own hidden layer.

The hidden marginal p(h) = sum_v e^{-E(v,h)} / Z of a trained RBM is a multi-body Ising model
on the hidden units (Decelle et al. 2023, arXiv:2309.02292). Placed and sign-aligned on the
coarse lattice (:class:`deeprg.vrg.RBMBlockMap`), it is fitted with translation-invariant
lattice operators (nn, nnn, plaquette, ...; H = -sum_alpha K_alpha S_alpha) by maximum
pseudo-likelihood (Besag 1975) on samples of p(h) drawn by block Gibbs chains v -> h -> v:
this works for any layer size.

For <= 20 hidden units the same numbers follow without sampling: the exact hidden Hamiltonian
(visible layer summed, :func:`deeprg.rg.rbm_hidden_energies`) gives p(s) of every coarse
state, and the pseudo-likelihood maximised under the exact p (what the sampled fit converges
to) and the Walsh-Hadamard couplings averaged over each operator's translation orbit are both
computed exactly (:func:`exact_hidden_lattice_couplings`).
"""

from __future__ import annotations

import itertools

import numpy as np
import torch

from deeprg.errors import InputError
from deeprg.exact import spin_product_expansion, state_spins
from deeprg.rg import rbm_hidden_energies
from deeprg.rg._couplings import _log2cosh, _u_vectors
from deeprg.rg._operators import get_operators
from deeprg.vrg._learned_map import RBMBlockMap


@torch.no_grad()
def hidden_marginal_samples(
    fmap: RBMBlockMap,
    configs,
    *,
    burn_in: int = 200,
    samples_per_chain: int = 40,
    every: int = 4,
    seed: int = 0,
) -> np.ndarray:
    """Samples of the RBM's own hidden marginal p(h), placed and sign-aligned.

    One block Gibbs chain v -> h -> v starts from each configuration of ``configs`` (n, L, L);
    after ``burn_in`` steps every ``every``-th hidden state is kept. Returns int8
    (n * samples_per_chain, L/b, L/b) in chain-major order (all of one chain's samples
    together), so that blocks of consecutive samples are independent sets of chains.
    """
    s = np.asarray(configs)
    if s.ndim != 3 or s.shape[1:] != (fmap.L, fmap.L):
        raise InputError(f"configs must be (n, {fmap.L}, {fmap.L}), got {s.shape}")
    rbm = fmap.rbm
    x = s.reshape(len(s), -1).astype(np.float64)
    if rbm.visible == "binary":
        x = (x + 1.0) / 2.0
    gen = torch.Generator().manual_seed(seed)
    v = torch.as_tensor(x, dtype=rbm.W.dtype)
    out = []
    for step in range(burn_in + samples_per_chain * every):
        h = rbm.sample_hidden(v, gen)
        if step >= burn_in and (step - burn_in) % every == every - 1:
            u = h.double().numpy()
            out.append(2.0 * u - 1.0 if rbm.hidden == "binary" else u)
        v = rbm.sample_visible(h, gen)
    side = fmap.L // fmap.b
    hs = np.stack(out, axis=1).reshape(-1, rbm.n_hidden)  # chain-major
    return (hs[:, fmap.order] * fmap.signs).astype(np.int8).reshape(-1, side, side)


def _orbit(op, side: int) -> list[list[frozenset]]:
    """Per shape of operator ``op``, the coarse-site sets of its translates on a side x side torus."""
    orbits = []
    for shape in op.shapes:
        sets = []
        for r, c in itertools.product(range(side), range(side)):
            sets.append(frozenset(((r + d[0]) % side) * side + (c + d[1]) % side for d in shape))
        orbits.append(sets)
    return orbits


def exact_hidden_lattice_couplings(
    fmap: RBMBlockMap, operators="nn,nnn,plaquette", *, samples: int = 0, seed: int = 0
) -> dict:
    """Exact lattice couplings of a small RBM block map's hidden marginal (<= 20 hidden units).

    Returns:
        dict with ``operators``; ``pl_limit``: the pseudo-likelihood couplings under the exact
        hidden distribution (the limit of the sampled fit); ``orbit_mean``: each operator's
        Walsh-Hadamard couplings K_A averaged over its translates A on the coarse torus (in the
        placed, sign-aligned gauge); ``largest_other``: the largest |K_A| of a term outside the
        operators' orbits (the truncation the fit leaves out); ``n_hidden``; with ``samples`` > 0
        also ``samples``: int8 (samples, L/b, L/b) independent draws from the exact hidden
        distribution (placed, sign-aligned), seeded by ``seed``.
    """
    rbm = fmap.rbm
    n_h, side = rbm.n_hidden, fmap.L // fmap.b

    def arr(t):
        return t.detach().double().cpu().numpy()

    energies = rbm_hidden_energies(
        arr(rbm.W),
        arr(rbm.vbias),
        arr(rbm.hbias),
        visible=rbm.visible,
        hidden=rbm.hidden,
        v_offset=arr(rbm.v_offset),
        h_offset=arr(rbm.h_offset),
    )
    p = np.exp(-(energies - energies.min()))
    p /= p.sum()
    units = state_spins(np.arange(1 << n_h), n_h)  # (2^n_h, n_h), unit order
    coarse = (units[:, fmap.order] * fmap.signs).astype(np.int8).reshape(-1, side, side)
    ops = get_operators(operators, ndim=2)

    # pseudo-likelihood maximised under the exact distribution (Newton on a concave objective)
    U = _u_vectors(coarse, ops).reshape(-1, len(ops)).astype(np.float64)
    w = np.repeat(p, side * side)
    K = np.zeros(len(ops))
    for _ in range(100):
        t = np.tanh(U @ K)
        grad = U.T @ (w * (1.0 - t))
        hess = -(U.T * (w * (1.0 - t * t))) @ U
        step = -np.linalg.solve(hess, grad)
        f0, lam = float(w @ (U @ K - _log2cosh(U @ K))), 1.0
        while float(w @ (U @ (K + lam * step) - _log2cosh(U @ (K + lam * step)))) < f0 - 1e-15 and lam > 1e-8:
            lam *= 0.5
        K = K + lam * step
        if np.max(np.abs(lam * step)) < 1e-12:
            break

    # Walsh-Hadamard couplings in the coarse gauge: unit j sits on site k with sign signs[k]
    terms = {a: -v for a, v in spin_product_expansion(energies).items() if a}
    site_of = np.empty(n_h, dtype=np.int64)
    site_of[fmap.order] = np.arange(n_h)
    coarse_terms = {}
    for a, v in terms.items():
        sites = frozenset(int(site_of[j]) for j in a)
        coarse_terms[sites] = v * float(np.prod([fmap.signs[site_of[j]] for j in a]))
    orbit_mean, covered = [], set()
    for op in ops:
        vals = []
        for sets in _orbit(op, side):
            for st in sets:
                vals.append(coarse_terms.get(st, 0.0))
                covered.add(st)
        orbit_mean.append(float(np.mean(vals)))
    other = [abs(v) for st, v in coarse_terms.items() if st not in covered]
    out = {}
    if samples > 0:
        idx = np.random.default_rng(seed).choice(len(p), size=samples, p=p)
        out["samples"] = coarse[idx]
    return {
        **out,
        "operators": [op.name for op in ops],
        "pl_limit": K.tolist(),
        "orbit_mean": orbit_mean,
        "largest_other": float(max(other, default=0.0)),
        "n_hidden": n_h,
    }
