"""hopfield: Hopfield networks as Ising models (Martin 2015, "Why Deep Learning Works II: the
Renormalization Group"): capacity, spurious states, and whether an RBM avoids them.

- Capacity: zero-temperature asynchronous retrieval started at stored patterns, for several N,
  against the replica-symmetric theory of Amit, Gutfreund & Sompolinsky (1985, PRL 55:1530):
  alpha_c = 0.138 and retrieval overlap 0.967 at the transition. The finite-size capacity
  alpha_50(N) (where half the trials retrieve) is extrapolated in N^(-1/2).
- Spurious states: retrieval from random starts ends in stored patterns, symmetric odd mixtures
  (3-mixtures: overlap 1/2 with each pattern, energy -3/8 per unit) or spin-glass states, as a
  function of alpha (Amit, Gutfreund & Sompolinsky 1985, PRA 32:1007).
- The Hopfield network is exactly an RBM with Gaussian hidden units, one per pattern (Barra,
  Bernacchia, Santucci & Contucci 2012, arXiv:1105.2790): checked by enumeration.
- Martin's claim that an RBM trained on the same patterns does not produce the spurious memories:
  an RBM with binary hidden units, as many as patterns, trained (CD-k) on noisy copies of the
  patterns, and zero-temperature descent on its free energy F(v) from the same random starts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from deeprg.experiments._base import Claim, ExperimentConfig, FigureSpec, Result, RunContext, Series, track
from deeprg.hopfield import (
    ALPHA_C,
    ALPHA_C_QUOTED,
    M_AT_ALPHA_C,
    M_AT_ALPHA_C_QUOTED,
    Hopfield,
    capacity_trials,
    classify_states,
    crossing_with_error,
    descend,
    equivalence_defect,
    finite_size_alpha_c,
    mixture_energy,
    overlaps,
    random_patterns,
    rbm_as_spin_form,
    retrieval_overlap,
    retrieve,
)
from deeprg.nn import RBM, TrainConfig, Trainer
from deeprg.vrg import torch_threads

NAME = "hopfield"
TITLE = "Hopfield networks as Ising models: capacity, spurious states, and RBMs"

SOURCE_MARTIN = 'Martin (2015), blog post "Why Deep Learning Works II: the Renormalization Group"'
SOURCE_AGS = "Amit, Gutfreund & Sompolinsky (1985), PRL 55:1530 and PRA 32:1007"
#: systematic allowance on alpha_c: replica-symmetry breaking moves it from 0.138 to ~0.144
#: (Steffan & Kuehn 1994, Z. Phys. B 95:249)
ALPHA_C_SYSTEMATIC = 0.007
SUCCESS = 0.8


@dataclass(frozen=True)
class Config(ExperimentConfig):
    sizes: tuple[int, ...] = (250, 500, 1000, 2000)
    alphas: tuple[float, ...] = tuple(float(a) for a in np.round(np.arange(0.10, 0.2001, 0.01), 3))
    pattern_sets: int = 4
    starts_per_set: int = 6
    storkey_n: int = 500
    spurious_n: int = 400
    spurious_alphas: tuple[float, ...] = (0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.16, 0.2)
    spurious_sets: int = 2
    spurious_starts: int = 150
    rbm_n: int = 100
    rbm_alphas: tuple[float, ...] = (0.05, 0.08, 0.11)
    rbm_sets: int = 3
    rbm_starts: int = 150
    rbm_copies: int = 50
    rbm_noise: float = 0.05
    rbm_updates: int = 1500
    rbm_k: int = 5
    rbm_lr: float = 0.1
    equivalence_n: int = 12
    equivalence_p: int = 3
    equivalence_betas: tuple[float, ...] = (0.5, 1.0, 2.0)

    def validate(self):
        super().validate()
        self._require("sizes", len(self.sizes) >= 1 and all(n >= 20 for n in self.sizes), "sizes >= 20")
        self._require(
            "alphas", len(self.alphas) >= 3 and all(0 < a < 1 for a in self.alphas), ">= 3 in (0, 1)"
        )
        self._require("pattern_sets", self.pattern_sets >= 2, ">= 2 (errors over pattern sets)")
        self._require("starts_per_set", self.starts_per_set >= 1, ">= 1")
        self._require("storkey_n", self.storkey_n >= 20, ">= 20")
        self._require("spurious_n", self.spurious_n >= 20, ">= 20")
        self._require("spurious_starts", self.spurious_starts >= 10, ">= 10")
        self._require("rbm_n", 10 <= self.rbm_n <= 1000, "in 10..1000")
        self._require(
            "rbm_alphas",
            all(3 <= round(a * self.rbm_n) <= 64 for a in self.rbm_alphas),
            "alphas giving 3..64 patterns at rbm_n",
        )
        self._require("rbm_sets", self.rbm_sets >= 2, ">= 2")
        self._require("rbm_noise", 0 <= self.rbm_noise < 0.5, "in [0, 0.5)")
        self._require("equivalence_n", 2 <= self.equivalence_n <= 16, "in 2..16 (enumeration)")
        self._require("equivalence_p", 1 <= self.equivalence_p <= 3, "in 1..3 (quadrature)")


PRESETS = {
    "quick": Config(),
    "paper": Config(
        preset="paper",
        sizes=(100, 250, 500, 1000, 2000, 4000),
        alphas=tuple(float(a) for a in np.round(np.arange(0.08, 0.2201, 0.005), 4)),
        pattern_sets=16,
        starts_per_set=16,
        spurious_n=1000,
        spurious_sets=5,
        spurious_starts=400,
        rbm_n=200,
        rbm_alphas=(0.03, 0.05, 0.08, 0.11, 0.14),
        rbm_sets=5,
        rbm_starts=400,
        rbm_updates=6000,
    ),
}


# -- verdicts (pure functions of the measurements) ----------------------------------------------
def verdict_capacity(
    alpha_c: float, error: float, n_points: int, control_separates: bool = True
) -> tuple[str, str]:
    """alpha_c extrapolated from >= 3 sizes against 0.138 (+- 2 sigma + the RSB allowance).

    ``control_separates``: the same measurement on a Storkey network (a larger capacity) gave
    a larger alpha_50; if not, the measurement cannot tell capacities apart: 'inconclusive'.
    """
    if not control_separates:
        return (
            "inconclusive",
            "the Storkey-rule control does not show a larger capacity: the measurement cannot separate rules",
        )
    if n_points < 3 or not np.isfinite(alpha_c) or not np.isfinite(error):
        return "inconclusive", f"only {n_points} sizes have a retrieval crossing on the grid; need 3"
    if error > 0.02:
        return "inconclusive", f"the extrapolation error {error:.3f} is too large to test 0.138"
    tol = 2 * error + ALPHA_C_SYSTEMATIC
    if abs(alpha_c - ALPHA_C_QUOTED) <= tol:
        return (
            "supported",
            f"|{alpha_c:.4f} - 0.138| <= 2 sigma + {ALPHA_C_SYSTEMATIC} (replica-symmetry breaking)",
        )
    return "not supported", f"|{alpha_c:.4f} - 0.138| = {abs(alpha_c - ALPHA_C_QUOTED):.4f} > {tol:.4f}"


def verdict_overlap(m: float, error: float, n_trials: int, *, max_error: float = 0.02) -> tuple[str, str]:
    """Retrieval overlap of the largest network at alpha ~ alpha_c against 0.967 (within
    2 sigma + 0.01). Inconclusive with fewer than 5 retrieving trials, a missing value, or an
    error above ``max_error`` (the tolerance would then admit overlaps far from 0.967)."""
    if n_trials < 5 or not np.isfinite(m) or not np.isfinite(error):
        return "inconclusive", f"only {n_trials} retrieving trials near alpha_c, or no finite overlap"
    if error > max_error:
        return (
            "inconclusive",
            f"the overlap error {error:.3f} exceeds {max_error}: the trials do not resolve it",
        )
    tol = 2 * error + 0.01
    if abs(m - M_AT_ALPHA_C_QUOTED) <= tol:
        return "supported", f"|{m:.4f} - 0.967| <= {tol:.4f}"
    return "not supported", f"|{m:.4f} - 0.967| = {abs(m - M_AT_ALPHA_C_QUOTED):.4f} > {tol:.4f}"


def verdict_spurious(
    mixture_fraction: float,
    mixture_energy_measured: float,
    mixture_energy_theory: float,
    glass_fraction_high: float,
    n_trials: int,
) -> tuple[str, str]:
    """Spurious states exist as predicted: 3-mixtures at small alpha with energy -3/8,
    and spin-glass end points dominating above alpha_c."""
    if n_trials < 50:
        return "inconclusive", f"only {n_trials} random starts per alpha"
    found = mixture_fraction >= 0.05
    energy_ok = (
        np.isfinite(mixture_energy_measured) and abs(mixture_energy_measured - mixture_energy_theory) <= 0.02
    )
    glass = glass_fraction_high >= 0.5
    if found and energy_ok and glass:
        return (
            "supported",
            "3-mixtures are common at small alpha with the predicted energy, spin-glass states dominate at large alpha",
        )
    missing = [
        text
        for ok, text in (
            (found, f"3-mixture fraction {mixture_fraction:.2f} < 0.05"),
            (energy_ok, f"3-mixture energy {mixture_energy_measured:.3f} vs {mixture_energy_theory:.3f}"),
            (glass, f"spin-glass fraction at the largest alpha {glass_fraction_high:.2f} < 0.5"),
        )
        if not ok
    ]
    return "not supported", "; ".join(missing)


def verdict_rbm(
    hopfield_spurious, rbm_spurious, errors, stored, *, min_stored: float = 0.9
) -> tuple[str, str]:
    """Is the RBM's spurious-state rate lower than the Hopfield network's at equal alpha?

    Only alphas where the RBM stores its patterns (a fraction >= ``min_stored`` of them are
    fixed points of its descent) count; fewer than 2 such alphas is 'inconclusive' (training
    did not store the memories, so the comparison would not test the claim). It is also
    'inconclusive' when the Hopfield network's spurious rate is not significantly above zero
    (rate > 2 sigma) at any counted alpha: there are no spurious memories for the RBM to avoid,
    or the errors are too large to see them.
    """
    h, r, e, st = (np.asarray(x, dtype=np.float64) for x in (hopfield_spurious, rbm_spurious, errors, stored))
    valid = st >= min_stored
    if valid.sum() < 2:
        return "inconclusive", f"the trained RBM stores its patterns at only {int(valid.sum())} alpha(s)"
    if not np.any(h[valid] > 2 * e[valid]):
        return (
            "inconclusive",
            "the Hopfield network's spurious rate is not significantly above 0 at any alpha where the RBM stores its patterns",
        )
    diff = (h - r)[valid]
    sig = 2 * e[valid]
    lower = int(np.sum(diff > sig))
    higher = int(np.sum(diff < -sig))
    n = int(valid.sum())
    if lower >= math.ceil(2 * n / 3) and higher == 0:
        return "supported", f"the RBM has significantly fewer spurious end points at {lower}/{n} alphas"
    if lower == 0:
        return (
            "not supported",
            f"the RBM is never significantly better ({higher}/{n} alphas significantly worse)",
        )
    return "inconclusive", f"mixed: fewer spurious end points at {lower}/{n} alphas, more at {higher}/{n}"


def verdict_equivalence(max_defect: float, tol: float = 1e-10) -> tuple[str, str]:
    """Barra et al.'s identity holds to ``tol`` on every checked model."""
    if not np.isfinite(max_defect):
        return "inconclusive", "not computed"
    if max_defect <= tol:
        return "supported", f"max defect {max_defect:.1e} <= {tol:.0e}"
    return "not supported", f"max defect {max_defect:.1e} > {tol:.0e}"


# -- measurements -------------------------------------------------------------------------------
def _overlap_at(curve: dict, alpha: float) -> tuple[float, float, int, float]:
    """Mean overlap of retrieving trials linearly interpolated to ``alpha`` on the grid.

    Returns (overlap, error, trials on the two grid points used, alpha); nan when alpha is not
    inside the grid or a neighbouring point has no retrieving trial."""
    a = np.asarray(curve["alphas"], dtype=np.float64)
    if not np.isfinite(alpha) or alpha < a.min() or alpha > a.max():
        return float("nan"), float("nan"), 0, float(alpha)
    i = int(np.clip(np.searchsorted(a, alpha) - 1, 0, len(a) - 2))
    m0, m1 = curve["retrieved_overlap"][i], curve["retrieved_overlap"][i + 1]
    e0, e1 = curve["retrieved_overlap_error"][i], curve["retrieved_overlap_error"][i + 1]
    n = curve["retrieved_count"][i] + curve["retrieved_count"][i + 1]
    if None in (m0, m1, e0, e1):
        return float("nan"), float("nan"), n, float(alpha)
    t = (alpha - a[i]) / (a[i + 1] - a[i])
    return float((1 - t) * m0 + t * m1), float(math.hypot((1 - t) * e0, t * e1)), n, float(alpha)


def _capacity(config: Config) -> dict:
    out = {}
    for n in track(config.sizes, unit="sizes"):
        t = capacity_trials(
            n, config.alphas, n_sets=config.pattern_sets, n_starts=config.starts_per_set, seed=config.seed
        )
        ov = t["overlap"]
        a50, a50_err = crossing_with_error(t["alphas"], ov, success=SUCCESS, seed=config.seed)
        set_means = np.nanmean(ov, axis=2)  # (A, sets)
        ok = np.where(np.isnan(ov), np.nan, (ov >= SUCCESS).astype(float))
        retr = np.where(ov >= SUCCESS, ov, np.nan)
        out[str(n)] = {
            "alphas": t["alphas"],
            "mean_overlap": np.nanmean(set_means, axis=1).tolist(),
            "overlap_error": (np.nanstd(set_means, axis=1, ddof=1) / np.sqrt(config.pattern_sets)).tolist(),
            "retrieval_fraction": np.nanmean(ok, axis=(1, 2)).tolist(),
            "retrieved_overlap": [float(np.nanmean(r)) if np.isfinite(r).any() else None for r in retr],
            "retrieved_overlap_error": [_cluster_error(r) for r in retr],
            "retrieved_count": [int(np.isfinite(r).sum()) for r in retr],
            "alpha50": a50,
            "alpha50_error": a50_err,
            "converged": t["converged"],
        }
    return out


def _cluster_error(r: np.ndarray) -> float | None:
    """Standard error of the pooled mean of the finite entries of r (n_sets, n_starts), with the
    pattern sets as independent clusters: trials of one network share its couplings, so they
    are not independent. Cluster-robust (sandwich) variance of a ratio estimator,
    G/(G-1) sum_s (S_s - m n_s)^2 / n^2 over the G sets with trials. None below 2 such sets."""
    fin = np.isfinite(r)
    n_s = fin.sum(axis=1).astype(np.float64)
    S_s = np.where(fin, r, 0.0).sum(axis=1)
    G = int(np.sum(n_s > 0))
    if G < 2:
        return None
    n = n_s.sum()
    m = S_s.sum() / n
    return float(math.sqrt(G / (G - 1) * np.sum((S_s - m * n_s) ** 2)) / n)


def _storkey_control(config: Config) -> dict:
    t = capacity_trials(
        config.storkey_n,
        config.alphas,
        n_sets=config.pattern_sets,
        n_starts=config.starts_per_set,
        seed=config.seed,
        rule="storkey",
    )
    ov = t["overlap"]
    a50, a50_err = crossing_with_error(t["alphas"], ov, success=SUCCESS, seed=config.seed)
    ok = np.where(np.isnan(ov), np.nan, (ov >= SUCCESS).astype(float))
    return {
        "n": config.storkey_n,
        "alphas": t["alphas"],
        "retrieval_fraction": np.nanmean(ok, axis=(1, 2)).tolist(),
        "alpha50": a50,
        "alpha50_error": a50_err,
    }


def _capacity_at(cap: dict, n: int, config: Config) -> tuple[float, float]:
    """The Hebbian alpha_50 and its error at size n, computing it if n is not among the sizes."""
    if str(n) in cap:
        return cap[str(n)]["alpha50"], cap[str(n)]["alpha50_error"]
    t = capacity_trials(
        n, config.alphas, n_sets=config.pattern_sets, n_starts=config.starts_per_set, seed=config.seed
    )
    return crossing_with_error(t["alphas"], t["overlap"], success=SUCCESS, seed=config.seed)


def _spurious(config: Config) -> dict:
    rows = []
    n = config.spurious_n
    for a in track(config.spurious_alphas, unit="alphas"):
        p = max(1, round(a * n))
        fr, energies = [], {"pattern": [], "mixture3": []}
        for k in track(range(config.spurious_sets)):
            xi = random_patterns(p, n, np.random.default_rng([config.seed, 7, n, p, k]))
            net = Hopfield(xi)
            starts = random_patterns(config.spurious_starts, n, np.random.default_rng([config.seed, 8, p, k]))
            r = retrieve(net, starts, seed=[config.seed, 9, p, k])
            c = classify_states(xi, r.states, threshold=SUCCESS)
            fr.append(c["fractions"])
            e = net.energy(r.states) / n
            labels = np.array(c["labels"])
            for key in energies:
                energies[key].extend(e[labels == key].tolist())
        rows.append(
            {
                "alpha": p / n,
                "P": p,
                "fractions": {k: float(np.mean([f[k] for f in fr])) for k in fr[0]},
                "energy_pattern": float(np.mean(energies["pattern"])) if energies["pattern"] else None,
                "energy_mixture3": float(np.mean(energies["mixture3"])) if energies["mixture3"] else None,
                "n_mixture3": len(energies["mixture3"]),
                "trials": config.spurious_sets * config.spurious_starts,
            }
        )
    return {"n": n, "rows": rows}


def _train_rbm(xi: np.ndarray, config: Config, seed: int) -> RBM:
    """Binary RBM (P hidden units) trained by CD-k on noisy copies of the patterns."""
    p, n = xi.shape
    rng = np.random.default_rng([config.seed, 11, seed])
    reps = np.repeat(xi, config.rbm_copies, axis=0)
    noisy = reps * np.where(rng.random(reps.shape) < config.rbm_noise, -1, 1)
    data = ((noisy + 1) // 2).astype(np.float32)
    batch = 20
    epochs = max(1, math.ceil(config.rbm_updates * batch / len(data)))
    rbm = RBM(n, p, seed=seed)
    cfg = TrainConfig.plain_sgd(
        method="cd",
        k=config.rbm_k,
        epochs=epochs,
        lr=config.rbm_lr,
        momentum=0.5,
        batch_size=batch,
        n_chains=100,
        monitor_exact=False,
        monitor_samples=20,
        seed=seed,
    )
    Trainer(rbm, cfg).fit(data)
    return rbm


def _rbm_comparison(config: Config) -> dict:
    n = config.rbm_n
    rows = []
    for a in track(config.rbm_alphas, unit="alphas"):
        p = round(a * n)
        hop, rb, stored = [], [], []
        hop_fr, rbm_fr = [], []
        for k in track(range(config.rbm_sets)):
            xi = random_patterns(p, n, np.random.default_rng([config.seed, 12, n, p, k]))
            starts = random_patterns(config.rbm_starts, n, np.random.default_rng([config.seed, 13, p, k]))
            rh = retrieve(Hopfield(xi), starts, seed=[config.seed, 14, p, k])
            ch = classify_states(xi, rh.states, threshold=SUCCESS)
            rbm = _train_rbm(xi, config, seed=config.seed * 1000 + 100 * p + k)
            W, c, b = rbm_as_spin_form(
                rbm.W.detach().double().numpy(),
                rbm.vbias.detach().double().numpy(),
                rbm.hbias.detach().double().numpy(),
            )
            rr = descend(
                W, starts, visible_bias=c, hidden_bias=b, hidden="binary", seed=[config.seed, 15, p, k]
            )
            cr = classify_states(xi, rr.states, threshold=SUCCESS)
            st = descend(W, xi, visible_bias=c, hidden_bias=b, hidden="binary", seed=[config.seed, 16, p, k])
            stored.append(float(np.mean(np.diagonal(overlaps(xi, st.states)) >= 0.95)))
            hop.append(1.0 - ch["fractions"]["pattern"])
            rb.append(1.0 - cr["fractions"]["pattern"])
            hop_fr.append(ch["fractions"])
            rbm_fr.append(cr["fractions"])
        hop, rb = np.array(hop), np.array(rb)
        n_tot = config.rbm_sets * config.rbm_starts

        def err(x, n_tot=n_tot):
            """Standard error over pattern sets, at least the binomial error of all trials."""
            binom = math.sqrt(max(x.mean() * (1 - x.mean()), 1.0 / n_tot) / n_tot)
            return max(float(x.std(ddof=1) / math.sqrt(len(x))), binom)

        rows.append(
            {
                "alpha": p / n,
                "P": p,
                "hopfield_spurious": float(hop.mean()),
                "hopfield_error": err(hop),
                "rbm_spurious": float(rb.mean()),
                "rbm_error": err(rb),
                "rbm_stored": float(np.mean(stored)),
                "hopfield_fractions": {key: float(np.mean([f[key] for f in hop_fr])) for key in hop_fr[0]},
                "rbm_fractions": {key: float(np.mean([f[key] for f in rbm_fr])) for key in rbm_fr[0]},
            }
        )
    return {"n": n, "rows": rows}


def _equivalence(config: Config) -> dict:
    xi = random_patterns(config.equivalence_p, config.equivalence_n, np.random.default_rng([config.seed, 17]))
    rows = [equivalence_defect(xi, float(b)) for b in config.equivalence_betas]
    return {
        "rows": rows,
        "max_defect": max(max(abs(r["defect"]), r.get("max_marginal_defect", 0.0)) for r in rows),
    }


def run(config: Config, ctx: RunContext) -> Result:
    with torch_threads(1):  # small RBMs: one torch thread is fastest, and the caller's is kept
        return _run(config, ctx)


def _run(config: Config, ctx: RunContext) -> Result:
    res = Result()
    cap = ctx.step("capacity", lambda: _capacity(config))
    storkey = ctx.step("storkey_control", lambda: _storkey_control(config))
    spur = ctx.step("spurious", lambda: _spurious(config))
    rbmc = ctx.step("rbm_comparison", lambda: _rbm_comparison(config))
    equiv = ctx.step("equivalence", lambda: _equivalence(config))

    # capacity and finite-size extrapolation
    sizes = [int(n) for n in cap]
    a50 = [cap[str(n)]["alpha50"] for n in sizes]
    a50e = [cap[str(n)]["alpha50_error"] for n in sizes]
    fit = finite_size_alpha_c(sizes, a50, a50e)
    n_points = int(np.sum(np.isfinite(a50) & np.isfinite(a50e)))
    for n, a, e in zip(sizes, a50, a50e, strict=True):
        res.metric(f"alpha50_N{n}", a, e, note="alpha where half the trials retrieve (final overlap >= 0.8)")
    res.metric(
        "alpha_c_extrapolated",
        fit["alpha_c"],
        fit["alpha_c_error"],
        exact=ALPHA_C,
        note="alpha_50(N) = alpha_c + a N^-1/2",
    )
    hebb_same = _capacity_at(cap, storkey["n"], config)
    s50, s50e = storkey["alpha50"], storkey["alpha50_error"]
    if np.isfinite(hebb_same[0]):
        # a Storkey curve that never falls through 1/2 on the grid lies beyond its largest alpha
        separates = (not np.isfinite(s50) and storkey["retrieval_fraction"][-1] >= 0.5) or (
            np.isfinite(s50)
            and s50 - hebb_same[0] > 2 * math.hypot(s50e if np.isfinite(s50e) else 0.0, hebb_same[1])
        )
    else:
        separates = True  # no Hebbian reference at that size: the control is not applicable
    res.metric(
        f"storkey_alpha50_N{storkey['n']}",
        s50,
        s50e,
        note="control: Storkey's rule stores more; nan = retrieval above 1/2 on the whole grid",
    )
    v, why = verdict_capacity(fit["alpha_c"], fit["alpha_c_error"], n_points, separates)
    res.claims.append(
        Claim(
            claim="A Hebbian Hopfield network retrieves its patterns up to alpha_c = P/N ~ 0.138, where retrieval breaks down.",
            source=f"{SOURCE_AGS}; Hopfield (1982), PNAS 79:2554; {SOURCE_MARTIN}",
            measurement="alpha_50(N) = "
            + ", ".join(
                f"{a:.4f} ± {e:.4f} (N={n})"
                for n, a, e in zip(sizes, a50, a50e, strict=True)
                if np.isfinite(a)
            )
            + f"; extrapolated alpha_c = {fit['alpha_c']:.4f} ± {fit['alpha_c_error']:.4f} (chi2 {fit['chi2']:.1f}/{fit['dof']})",
            comparison=f"replica-symmetric alpha_c = {ALPHA_C:.4f} (0.144 with replica-symmetry breaking); control: the Storkey rule at N = {storkey['n']} (alpha_50 = {s50:.3f}, retrieval fraction {storkey['retrieval_fraction'][-1]:.2f} at alpha = {storkey['alphas'][-1]:.2f})",
            verdict=v,
            reason=why,
            id="hopfield.capacity",
        )
    )
    biggest = cap[str(max(sizes))]
    m_c, m_ce, m_n, a_at = _overlap_at(biggest, biggest["alpha50"])
    j = int(np.argmin(np.abs(np.array(biggest["alphas"]) - ALPHA_C)))
    m_rs = biggest["retrieved_overlap"][j]
    res.metric(
        "retrieval_overlap_at_alpha50",
        m_c,
        m_ce,
        exact=M_AT_ALPHA_C,
        note=f"N = {max(sizes)}, at its finite-size transition alpha_50 = {a_at:.3f}",
    )
    res.metric(
        "retrieval_overlap_at_alpha_0.138",
        m_rs,
        biggest["retrieved_overlap_error"][j],
        note=f"N = {max(sizes)}, alpha = {biggest['alphas'][j]:.3f} (inside this N's retrieval phase)",
    )
    v, why = verdict_overlap(m_c, m_ce, m_n)
    res.claims.append(
        Claim(
            claim="At the transition the retrieval state still has overlap ~0.967 with the pattern (the jump is discontinuous).",
            source=SOURCE_AGS,
            measurement=f"N = {max(sizes)}: mean overlap of the retrieving trials (final m >= {SUCCESS}) interpolated to this size's transition alpha_50 = {a_at:.3f}: {m_c:.4f} ± {m_ce:.4f} ({m_n} trials on the two grid points); at alpha = {biggest['alphas'][j]:.3f} it is {m_rs if m_rs is not None else float('nan'):.4f}",
            comparison=f"replica-symmetric m(alpha_c) = {M_AT_ALPHA_C:.4f}",
            verdict=v,
            reason=why
            + "; the fixed points reached from a pattern by T = 0 dynamics need not be the equilibrium retrieval state that the replica theory describes",
            id="hopfield.overlap-at-transition",
        )
    )

    # spurious states
    rows = spur["rows"]
    low = next((r for r in rows if r["P"] >= 3), rows[0])
    high = rows[-1]
    e_mix = low["energy_mixture3"] if low["energy_mixture3"] is not None else float("nan")
    e_theory = mixture_energy(3)
    res.metric(
        "mixture3_fraction_low_alpha", low["fractions"]["mixture3"], note=f"alpha = {low['alpha']:.3f}"
    )
    res.metric(
        "mixture3_energy_low_alpha", e_mix, exact=e_theory, note="energy per unit of 3-mixture end points"
    )
    res.metric(
        "spin_glass_fraction_high_alpha", high["fractions"]["spin glass"], note=f"alpha = {high['alpha']:.3f}"
    )
    v, why = verdict_spurious(
        low["fractions"]["mixture3"], e_mix, e_theory, high["fractions"]["spin glass"], low["trials"]
    )
    res.claims.append(
        Claim(
            claim="Hopfield networks have spurious memories: symmetric mixtures of an odd number of patterns (3-mixtures with energy -3/8 per unit) and, at large alpha, spin-glass states.",
            source=f"{SOURCE_AGS}; {SOURCE_MARTIN}",
            measurement=f"N = {spur['n']}: from random starts at alpha = {low['alpha']:.3f}, {low['fractions']['mixture3']:.2f} end in 3-mixtures (energy {e_mix:.4f}); at alpha = {high['alpha']:.3f}, {high['fractions']['spin glass']:.2f} in spin-glass states",
            comparison=f"3-mixture energy -3/8 = {e_theory:.4f} (the zero diagonal cancels the random cross-talk)",
            verdict=v,
            reason=why,
            id="hopfield.spurious-states",
        )
    )
    res.tables["end points of retrieval from random starts (Hopfield, fractions)"] = [
        {
            "alpha": round(r["alpha"], 4),
            "P": r["P"],
            **{k: round(x, 3) for k, x in r["fractions"].items()},
            "E/N pattern": None if r["energy_pattern"] is None else round(r["energy_pattern"], 4),
            "E/N pattern (theory, small alpha)": round(mixture_energy(1), 4),
            "E/N 3-mixture": None if r["energy_mixture3"] is None else round(r["energy_mixture3"], 4),
            "E/N 3-mixture (theory)": round(mixture_energy(3), 4),
        }
        for r in rows
    ]

    # RBM comparison
    rr = rbmc["rows"]
    v, why = verdict_rbm(
        [r["hopfield_spurious"] for r in rr],
        [r["rbm_spurious"] for r in rr],
        [math.hypot(r["hopfield_error"], r["rbm_error"]) for r in rr],
        [r["rbm_stored"] for r in rr],
    )
    res.claims.append(
        Claim(
            claim="An RBM trained on the same patterns does not produce the Hopfield network's spurious memories.",
            source=SOURCE_MARTIN,
            measurement=f"N = {rbmc['n']}, spurious end points (not a stored pattern) from the same random starts, Hopfield vs RBM: "
            + "; ".join(
                f"alpha {r['alpha']:.2f}: {r['hopfield_spurious']:.2f} vs {r['rbm_spurious']:.2f} (RBM stores {r['rbm_stored']:.2f})"
                for r in rr
            ),
            comparison="the Hebbian Hopfield network on the same patterns (equal alpha); an RBM with as many binary hidden units as patterns, trained by CD-k on noisy copies",
            verdict=v,
            reason=why,
            id="hopfield.rbm-fewer-spurious",
        )
    )
    res.tables["spurious end points: Hopfield vs trained RBM"] = [
        {
            "alpha": round(r["alpha"], 3),
            "P": r["P"],
            "Hopfield spurious": f"{r['hopfield_spurious']:.3f} ± {r['hopfield_error']:.3f}",
            "RBM spurious": f"{r['rbm_spurious']:.3f} ± {r['rbm_error']:.3f}",
            "RBM patterns stored": round(r["rbm_stored"], 3),
            "Hopfield 3-mix": round(r["hopfield_fractions"]["mixture3"], 3),
            "RBM 3-mix": round(r["rbm_fractions"]["mixture3"], 3),
            "Hopfield spin glass": round(r["hopfield_fractions"]["spin glass"], 3),
            "RBM spin glass": round(r["rbm_fractions"]["spin glass"], 3),
        }
        for r in rr
    ]

    # Gaussian-RBM equivalence
    res.metric(
        "gaussian_rbm_equivalence_defect",
        equiv["max_defect"],
        exact=0.0,
        note="max |ln Z / ln p defect| by enumeration",
    )
    v, why = verdict_equivalence(equiv["max_defect"])
    res.claims.append(
        Claim(
            claim="A Hopfield network is exactly an RBM with Gaussian hidden units, one per pattern: integrating the hidden units out gives the Hopfield Boltzmann distribution.",
            source="Barra, Bernacchia, Santucci & Contucci (2012), Neural Networks 34:1, arXiv:1105.2790",
            measurement=f"N = {config.equivalence_n}, P = {config.equivalence_p}, beta in {list(config.equivalence_betas)}: ln Z by enumeration vs Gauss-Hermite quadrature over the hidden units, and ln p(s) for all 2^N states; max defect {equiv['max_defect']:.1e}",
            comparison="ln Z_RBM = ln Z_H + (P/2) ln(2 pi/beta) + beta P/2",
            verdict=v,
            reason=why,
            id="hopfield.gaussian-rbm-equivalence",
        )
    )

    # figures
    th_a = np.linspace(0.0, ALPHA_C, 60)
    theory = Series(
        th_a.tolist(),
        [retrieval_overlap(float(a)) for a in th_a],
        label="replica-symmetric theory",
        style="dashed",
    )
    res.figures.append(
        FigureSpec(
            name="overlap_vs_alpha",
            title="Final overlap with the starting pattern (zero-temperature asynchronous retrieval)",
            xlabel="alpha = P/N",
            ylabel="overlap m",
            series=(
                theory,
                *(
                    Series(
                        c["alphas"],
                        c["mean_overlap"],
                        label=f"N = {n}",
                        yerr=c["overlap_error"],
                        style="points",
                    )
                    for n, c in cap.items()
                ),
            ),
            vlines=((ALPHA_C, "alpha_c (RS)"),),
            hlines=((M_AT_ALPHA_C, "m(alpha_c) = 0.967"),),
        )
    )
    res.figures.append(
        FigureSpec(
            name="retrieval_fraction",
            title="Fraction of trials that retrieve (final overlap >= 0.8)",
            xlabel="alpha = P/N",
            ylabel="retrieval fraction",
            series=(
                *(
                    Series(c["alphas"], c["retrieval_fraction"], label=f"N = {n}", style="points")
                    for n, c in cap.items()
                ),
                Series(
                    storkey["alphas"],
                    storkey["retrieval_fraction"],
                    label=f"Storkey rule, N = {storkey['n']} (control)",
                    style="dashed",
                ),
            ),
            vlines=((ALPHA_C, "alpha_c (RS)"),),
            hlines=((0.5, ""),),
        )
    )
    ok = [i for i in range(len(sizes)) if np.isfinite(a50[i]) and np.isfinite(a50e[i])]
    xs = [sizes[i] ** -0.5 for i in ok]
    fit_series = ()
    if np.isfinite(fit["alpha_c"]):
        grid = np.linspace(0, max(xs) * 1.05, 20)
        fit_series = (
            Series(
                grid.tolist(),
                (fit["alpha_c"] + fit["slope"] * grid).tolist(),
                label="fit alpha_c + a N^-1/2",
                style="dashed",
            ),
        )
    res.figures.append(
        FigureSpec(
            name="finite_size_alpha_c",
            title="Finite-size capacity and its extrapolation",
            xlabel="N^-1/2",
            ylabel="alpha_50(N)",
            series=(
                Series(
                    xs, [a50[i] for i in ok], label="alpha_50(N)", yerr=[a50e[i] for i in ok], style="points"
                ),
                *fit_series,
            ),
            hlines=((ALPHA_C, "0.138 (RS)"), (0.144, "0.144 (RSB)")),
        )
    )
    res.figures.append(
        FigureSpec(
            name="spurious_fractions",
            title=f"End points of retrieval from random starts (Hopfield, N = {spur['n']})",
            xlabel="alpha = P/N",
            ylabel="fraction of end points",
            series=tuple(
                Series([r["alpha"] for r in rows], [r["fractions"][k] for r in rows], label=k, style="points")
                for k in ("pattern", "mixture3", "mixture5", "spin glass")
            ),
            vlines=((ALPHA_C, "alpha_c"),),
        )
    )
    res.figures.append(
        FigureSpec(
            name="rbm_vs_hopfield",
            title=f"Spurious end points at equal alpha (N = {rbmc['n']})",
            xlabel="alpha = P/N",
            ylabel="fraction not ending at a stored pattern",
            series=(
                Series(
                    [r["alpha"] for r in rr],
                    [r["hopfield_spurious"] for r in rr],
                    label="Hopfield (Hebbian)",
                    yerr=[r["hopfield_error"] for r in rr],
                    style="points",
                ),
                Series(
                    [r["alpha"] for r in rr],
                    [r["rbm_spurious"] for r in rr],
                    label="RBM, binary hidden units (CD-k)",
                    yerr=[r["rbm_error"] for r in rr],
                    style="points",
                ),
            ),
        )
    )
    res.summary = (
        f"alpha_c (extrapolated) = {fit['alpha_c']:.4f} ± {fit['alpha_c_error']:.4f} vs 0.138; "
        f"m near alpha_c = {m_c:.3f}; 3-mixtures at alpha {low['alpha']:.3f}: {low['fractions']['mixture3']:.2f}; "
        f"Gaussian-RBM equivalence defect {equiv['max_defect']:.0e}."
    )
    return res
