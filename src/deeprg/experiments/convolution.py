"""convolution: does translation symmetry make a learned layer convolution-like, and what does
weight sharing cost?

Pai ("Convolutional neural networks arise from Ising models and restricted Boltzmann
machines") and Lin, Tegmark & Rolnick (2017, arXiv:1608.08225) argue that translation symmetry
of the data makes weight sharing natural: a convolution instead of a dense layer, O(n) free
parameters (O(n log n) work by FFT) instead of O(n^2). Martin (2015, "Why Deep Learning Works
II: the Renormalization Group") asks the same of RBMs trained on Ising configurations. Two
measurements on critical Ising data (K = K_c, periodic L x L):

- translation structure of a dense RBM's fields (the first layer of a DBN): the mean maximum
  circular cross-correlation between fields, against surrogate fields with the same power
  spectra (phase-randomised) and against fields learned from column-shuffled data; error bars
  over independent training seeds;
- a convolutional RBM (one or a few full-size filters shared across translations) against a
  dense RBM with the same number of hidden units, by exact test log-likelihood (enumeration of
  2^(L^2) visible states), with parameter counts; the same pair trained on site-permuted data
  (translation symmetry destroyed, correlations kept) is the control that must show a loss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy.special import logsumexp

from deeprg.exact import K_CRITICAL, kaufman_thermo
from deeprg.experiments._base import Claim, ExperimentConfig, FigureSpec, Result, RunContext, Series, track
from deeprg.lattice import SquareLattice
from deeprg.models import nn_bond_sum_2d
from deeprg.nn import RBM, ConvRBM, TrainConfig, Trainer, dense_parameter_count, exact_log_z, train_conv_rbm
from deeprg.sampling import generate_samples
from deeprg.vrg import torch_threads, translation_null, translation_score

NAME = "convolution"
TITLE = "Convolution from symmetry: translation structure of learned fields, and weight sharing"

SOURCES = (
    'Pai, "Convolutional neural networks arise from Ising models and restricted Boltzmann machines"; '
    "Lin, Tegmark & Rolnick (2017), arXiv:1608.08225"
)


@dataclass(frozen=True)
class Config(ExperimentConfig):
    K: float = K_CRITICAL
    # translation structure of a dense layer
    field_L: int = 10
    field_hidden: int = 25
    field_samples: int = 1500
    field_epochs: int = 20
    field_lr: float = 0.05
    field_l1: tuple[float, ...] = (0.0, 3e-3)
    seeds: int = 3
    null_draws: int = 10
    # weight sharing
    ll_L: int = 4
    ll_filters: tuple[int, ...] = (1, 2)
    ll_train: int = 2000
    ll_test: int = 2000
    ll_epochs: int = 15
    ll_lr: float = 0.05
    ll_batch: int = 100

    def validate(self):
        super().validate()
        self._require("K", self.K > 0, "> 0")
        self._require("field_L", 4 <= self.field_L <= 32, "in 4..32")
        self._require("field_hidden", 2 <= self.field_hidden <= 4096, "in 2..4096")
        self._require("field_samples", self.field_samples >= 100, ">= 100")
        self._require("seeds", self.seeds >= 2, ">= 2 (errors over training seeds)")
        self._require("ll_L", 2 <= self.ll_L <= 4, "in 2..4 (exact enumeration of 2^(L^2) states)")
        self._require(
            "ll_filters", len(self.ll_filters) >= 1 and all(f >= 1 for f in self.ll_filters), "filters >= 1"
        )
        self._require("field_l1", len(self.field_l1) >= 1 and all(x >= 0 for x in self.field_l1), ">= 0")


PRESETS = {
    "quick": Config(),
    "paper": Config(
        preset="paper",
        field_L=16,
        field_hidden=64,
        field_samples=10000,
        field_epochs=60,
        field_l1=(0.0, 1e-3, 3e-3, 1e-2),
        seeds=5,
        null_draws=30,
        ll_filters=(1, 2, 4),
        ll_train=20000,
        ll_test=10000,
        ll_epochs=60,
    ),
}


# -- verdicts -------------------------------------------------------------------------------------
def verdict_translation(
    excess: float,
    excess_error: float,
    control_excess: float,
    control_error: float,
    n_live: int,
    *,
    margin: float = 0.05,
) -> tuple[str, str]:
    """Dense fields are translates beyond what their spectra imply, and beyond the shuffled control.

    excess = score - null score (phase-randomised surrogates), mean over seeds with its error;
    control_excess the same for fields trained on column-shuffled data.
    """
    if n_live < 3 or not all(np.isfinite(x) for x in (excess, excess_error, control_excess, control_error)):
        return "inconclusive", f"only {n_live} live fields, or the score is undefined"
    if control_excess - 2 * control_error > margin:
        return (
            "inconclusive",
            f"the shuffled-data control also scores above its null ({control_excess:.3f}): the measure is confounded",
        )
    beats_control = excess - control_excess > 2 * math.hypot(excess_error, control_error)
    if excess - 2 * excess_error > margin and beats_control:
        return (
            "supported",
            f"excess over the spectral null {excess:.3f} ± {excess_error:.3f} > {margin}, and above the shuffled control",
        )
    if excess + 2 * excess_error < margin:
        return (
            "not supported",
            f"excess over the spectral null {excess:.3f} ± {excess_error:.3f} < {margin}: no common shape beyond the fields' spectra",
        )
    return (
        "inconclusive",
        f"excess {excess:.3f} ± {excess_error:.3f} is within errors of the margin {margin} or of the control",
    )


def verdict_weight_sharing(
    delta: float,
    delta_error: float,
    control_delta: float,
    control_error: float,
    max_control_loss: float = float("inf"),
    *,
    tol: float = 0.005,
) -> tuple[str, str]:
    """Does weight sharing lose likelihood? delta = LL_conv - LL_dense per spin (same hidden size).

    The control (site-permuted data) must show a significant loss, otherwise the comparison could
    not have detected one and the verdict is 'inconclusive'. ``max_control_loss`` is the exact
    largest loss any translation-invariant model can have there, KL(q || q_sym) per spin.

    'supported' needs the 2-sigma interval to exclude a loss larger than ``tol``
    (delta - 2 sigma >= -tol), 'not supported' a loss larger than ``tol`` beyond 2 sigma
    (delta + 2 sigma < -tol); an interval that straddles -tol is 'inconclusive' (the seeds do
    not resolve the difference: no detected loss is not evidence of no loss).
    """
    if not all(np.isfinite(x) for x in (delta, delta_error, control_delta, control_error)):
        return "inconclusive", "log-likelihoods not available"
    if max_control_loss < 2 * tol:
        return (
            "inconclusive",
            f"on site-permuted data a translation-invariant model can lose at most {max_control_loss:.4f} nats/spin: the control cannot say no",
        )
    if control_delta + 2 * control_error > -tol:
        return (
            "inconclusive",
            f"on site-permuted data the convolutional RBM does not lose ({control_delta:+.4f} ± {control_error:.4f}): the comparison cannot detect a loss",
        )
    if delta - 2 * delta_error >= -tol:
        return (
            "supported",
            f"LL_conv - LL_dense = {delta:+.4f} ± {delta_error:.4f} nats/spin: 2 sigma below it is >= -{tol}",
        )
    if delta + 2 * delta_error < -tol:
        return (
            "not supported",
            f"LL_conv - LL_dense = {delta:+.4f} ± {delta_error:.4f} nats/spin: weight sharing loses likelihood",
        )
    return (
        "inconclusive",
        f"LL_conv - LL_dense = {delta:+.4f} ± {delta_error:.4f} nats/spin: the seeds do not resolve a loss of {tol}",
    )


# -- measurements ---------------------------------------------------------------------------------
def _ising(L: int, K: float, n: int, seed: int) -> np.ndarray:
    return generate_samples(SquareLattice(L), K, n, algorithm="wolff", seed=seed).configs


def _fields_run(config: Config, data01: np.ndarray, l1: float, seed: int) -> dict:
    L = config.field_L
    rbm = RBM(L * L, config.field_hidden, seed=seed)
    cfg = TrainConfig.plain_sgd(
        method="pcd",
        k=1,
        epochs=config.field_epochs,
        lr=config.field_lr,
        l1=l1,
        momentum=0.5,
        batch_size=50,
        n_chains=200,
        monitor_exact=False,
        monitor_samples=200,
        seed=seed,
    )
    Trainer(rbm, cfg).fit(data01)
    W = rbm.W.detach().double().numpy()
    s = translation_score(W, (L, L))
    null = translation_null(W, (L, L), draws=config.null_draws, seed=seed)
    return {
        "score": s["score"],
        "centered_score": s["centered_score"],
        "n_live": s["n_live"],
        "null": null["score"],
        "null_spread": null["spread"],
        "excess": s["score"] - null["score"],
        "duplicate_fraction": s["duplicate_fraction"],
        "fields": W[:, :6].T.reshape(-1, L, L).tolist(),
    }


def _translation(config: Config) -> dict:
    L = config.field_L
    spins = _ising(L, config.K, config.field_samples, config.seed)
    x = ((spins.reshape(len(spins), -1) + 1) // 2).astype(np.float32)
    rng = np.random.default_rng([config.seed, 21])
    shuffled = np.stack([rng.permutation(col) for col in x.T], axis=1)
    out = {"runs": []}
    for l1 in track(config.field_l1, unit="l1 values"):
        for s in track(range(config.seeds)):
            out["runs"].append(
                {"data": "ising", "l1": l1, "seed": s, **_fields_run(config, x, l1, config.seed + s)}
            )
    l1c = max(config.field_l1)
    for s in track(range(config.seeds), unit="control seeds"):
        out["runs"].append(
            {"data": "shuffled", "l1": l1c, "seed": s, **_fields_run(config, shuffled, l1c, config.seed + s)}
        )
    return out


def symmetrization_gap(L: int, K: float, perm: np.ndarray) -> float:
    """KL(q || q_sym) per spin, exactly: q is the L x L Ising distribution at coupling K with
    its sites permuted (data x[:, perm]), q_sym its average over the L^2 torus translations.

    The best translation-invariant model of q is q_sym, so this is the largest log-likelihood a
    convolutional model can lose on site-permuted data (0 without the permutation). L <= 4.
    """
    n = L * L
    idx = np.arange(1 << n)
    s = (1 - 2 * ((idx[:, None] >> np.arange(n)) & 1)).astype(np.int8)
    lw = K * nn_bond_sum_2d(s.reshape(-1, L, L)).astype(np.float64)
    lp = lw - logsumexp(lw)
    weights = 1 << np.arange(n)

    def index(states):
        return ((states < 0).astype(np.int64) * weights).sum(1)

    lq = lp[index(s[:, np.argsort(perm)])]  # q(v) = p(s) with v_j = s_perm[j]
    grid = s.reshape(-1, L, L)
    shifted = [
        lq[index(np.roll(grid, (a, b), axis=(1, 2)).reshape(-1, n))] for a in range(L) for b in range(L)
    ]
    lq_sym = logsumexp(np.stack(shifted), axis=0) - np.log(n)
    return float(np.sum(np.exp(lq) * (lq - lq_sym))) / n


def _ll(model_dense: RBM, x: np.ndarray) -> float:
    with torch.no_grad():
        f = model_dense.free_energy(torch.tensor(x, dtype=torch.float64))
    return float(-(f.mean()) - exact_log_z(model_dense)) / x.shape[1]


def _weight_sharing(config: Config) -> dict:
    L = config.ll_L
    n = L * L
    spins = _ising(L, config.K, config.ll_train + config.ll_test, config.seed + 100)
    s = spins.reshape(len(spins), -1)
    # the exact Ising log-likelihood of the test set: ln p = K sum s_i s_j - ln Z (Kaufman)
    log_z = kaufman_thermo(L, config.K).log_z
    test_spins = spins[config.ll_train :]
    ising_ll = float(np.mean(config.K * nn_bond_sum_2d(test_spins)) - log_z) / n
    x = ((s + 1) // 2).astype(np.float64)
    train, test = x[: config.ll_train], x[config.ll_train :]
    p1 = train.mean(0).clip(1e-3, 1 - 1e-3)
    independent_ll = float(np.mean(test @ np.log(p1) + (1 - test) @ np.log1p(-p1))) / n
    perm = np.random.default_rng([config.seed, 22]).permutation(n)
    rows = []
    for data_name, tr, te in track(
        (("ising", train, test), ("site-permuted", train[:, perm], test[:, perm])), unit="data sets"
    ):
        filters = config.ll_filters if data_name == "ising" else config.ll_filters[-1:]
        for F in track(filters):
            for seed in track(range(config.seeds)):
                cfg = TrainConfig.plain_sgd(
                    method="pcd",
                    k=1,
                    epochs=config.ll_epochs,
                    lr=config.ll_lr,
                    momentum=0.5,
                    batch_size=config.ll_batch,
                    n_chains=200,
                    monitor_exact=False,
                    monitor_samples=200,
                    seed=config.seed + seed,
                )
                conv = ConvRBM((L, L), F, seed=config.seed + seed)
                train_conv_rbm(conv, tr, cfg)
                dense = RBM(n, F * n, seed=config.seed + seed, dtype=torch.float64)
                Trainer(dense, cfg).fit(tr)
                rows.append(
                    {
                        "data": data_name,
                        "filters": F,
                        "hidden": F * n,
                        "seed": seed,
                        "conv_ll": _ll(conv.to_dense(), te),
                        "dense_ll": _ll(dense, te),
                        "conv_parameters": conv.n_parameters,
                        "dense_parameters": dense_parameter_count(n, F * n),
                    }
                )
    gap = symmetrization_gap(L, config.K, perm)
    return {
        "L": L,
        "rows": rows,
        "ising_ll": ising_ll,
        "independent_ll": independent_ll,
        "max_control_loss": gap,
    }


def _mean_se(values) -> tuple[float, float]:
    v = np.asarray(values, dtype=np.float64)
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else float("nan")


def run(config: Config, ctx: RunContext) -> Result:
    with torch_threads(1):  # small RBMs: one torch thread is fastest, and the caller's is kept
        return _run(config, ctx)


def _run(config: Config, ctx: RunContext) -> Result:
    res = Result()
    tr = ctx.step("translation", lambda: _translation(config))
    ws = ctx.step("weight_sharing", lambda: _weight_sharing(config))

    # translation structure
    runs = tr["runs"]
    l1c = max(config.field_l1)
    ctrl = [r for r in runs if r["data"] == "shuffled"]
    # a control whose fields all sit at one position has no translates at distinct positions:
    # its excess is 0 (the measure says no)
    c_ex, c_err = _mean_se([r["excess"] if np.isfinite(r["excess"]) else 0.0 for r in ctrl])
    table = []
    per_l1 = {}
    for l1 in config.field_l1:
        rs = [r for r in runs if r["data"] == "ising" and r["l1"] == l1]
        ex, ex_err = _mean_se([r["excess"] for r in rs])
        sc, sc_err = _mean_se([r["score"] for r in rs])
        nl, _ = _mean_se([r["null"] for r in rs])
        per_l1[l1] = (ex, ex_err, min(r["n_live"] for r in rs))
        res.metric(f"translation_score_l1_{l1:g}", sc, sc_err, note=f"phase-randomised null {nl:.3f}")
        table.append(
            {
                "data": "Ising (K_c)",
                "l1": l1,
                "score": f"{sc:.3f} ± {sc_err:.3f}",
                "null": round(nl, 3),
                "excess": f"{ex:.3f} ± {ex_err:.3f}",
                "centered score": round(float(np.mean([r["centered_score"] for r in rs])), 3),
                "live fields": min(r["n_live"] for r in rs),
                "duplicate pairs": round(float(np.nanmean([r["duplicate_fraction"] for r in rs])), 3),
            }
        )
    sc, sc_err = _mean_se([r["score"] if np.isfinite(r["score"]) else 0.0 for r in ctrl])
    table.append(
        {
            "data": "column-shuffled",
            "l1": l1c,
            "score": f"{sc:.3f} ± {sc_err:.3f}",
            "null": round(float(np.mean([r["null"] for r in ctrl])), 3),
            "excess": f"{c_ex:.3f} ± {c_err:.3f}",
            "centered score": round(float(np.mean([r["centered_score"] for r in ctrl])), 3),
            "live fields": min(r["n_live"] for r in ctrl),
            "duplicate pairs": round(float(np.nanmean([r["duplicate_fraction"] for r in ctrl])), 3),
        }
    )
    res.tables["translation structure of dense RBM fields (mean max circular cross-correlation)"] = table
    ex, ex_err, n_live = per_l1[l1c]
    v, why = verdict_translation(ex, ex_err, c_ex, c_err, n_live)
    res.claims.append(
        Claim(
            claim="Trained on critical Ising configurations, a dense RBM layer's fields become approximately translates of one another (convolution-like).",
            source=f'{SOURCES}; Martin (2015), "Why Deep Learning Works II: the Renormalization Group"',
            measurement=f"L = {config.field_L}, {config.field_hidden} hidden units, l1 = {l1c:g}, {config.seeds} seeds: excess of the mean max cross-correlation over the phase-randomised null {ex:.3f} ± {ex_err:.3f}; "
            + "; ".join(f"l1 = {k:g}: {a:.3f} ± {b:.3f}" for k, (a, b, _) in per_l1.items()),
            comparison=f"surrogate fields with the same power spectra (null), and fields from column-shuffled data (excess {c_ex:.3f} ± {c_err:.3f})",
            verdict=v,
            reason=why,
            id="convolution.translation-structure",
        )
    )

    # weight sharing
    rows = ws["rows"]
    n = ws["L"] ** 2

    def pair(data, F):
        rs = [r for r in rows if r["data"] == data and r["filters"] == F]
        return _mean_se([r["conv_ll"] - r["dense_ll"] for r in rs]), rs

    F0 = config.ll_filters[-1]  # the largest hidden layer, where the control is run too
    (d, d_err), main_rows = pair("ising", F0)
    (cd, cd_err), _ = pair("site-permuted", F0)
    v, why = verdict_weight_sharing(d, d_err, cd, cd_err, ws["max_control_loss"])
    res.metric(
        "max_loss_site_permuted",
        ws["max_control_loss"],
        unit="nats/spin",
        note="exact KL(q || q_sym): the most a translation-invariant model can lose on site-permuted data",
    )
    cp, dp = main_rows[0]["conv_parameters"], main_rows[0]["dense_parameters"]
    res.metric(
        "ll_conv_minus_dense", d, d_err, unit="nats/spin", note=f"{F0} filter(s), {F0 * n} hidden units"
    )
    res.metric("ll_conv_minus_dense_site_permuted", cd, cd_err, unit="nats/spin")
    res.metric(
        "ising_test_ll", ws["ising_ll"], unit="nats/spin", note="exact Ising distribution (Kaufman ln Z)"
    )
    res.claims.append(
        Claim(
            claim="Weight sharing (a convolutional RBM) costs no likelihood on translation-invariant data while using far fewer parameters (measured against a dense RBM of the same hidden size; whether a dense layer becomes convolution-like is the convolution.translation-structure claim).",
            source=SOURCES,
            measurement=f"L = {ws['L']}, K = {config.K:.4f}, {F0 * n} hidden units: exact test LL conv {np.mean([r['conv_ll'] for r in main_rows]):.4f} vs dense {np.mean([r['dense_ll'] for r in main_rows]):.4f} nats/spin (difference {d:+.4f} ± {d_err:.4f}) with {cp} vs {dp} parameters; site-permuted data: difference {cd:+.4f} ± {cd_err:.4f} (largest possible loss, exact: {ws['max_control_loss']:.4f})",
            comparison=f"dense RBM with the same hidden size and training; the exact Ising LL {ws['ising_ll']:.4f} and independent spins {ws['independent_ll']:.4f}",
            verdict=v,
            reason=why,
            id="convolution.weight-sharing",
        )
    )
    res.tables["exact test log-likelihood per spin (mean over seeds)"] = [
        {
            "data": data,
            "hidden": F * n,
            "conv LL": round(
                float(np.mean([r["conv_ll"] for r in rows if r["data"] == data and r["filters"] == F])), 4
            ),
            "dense LL": round(
                float(np.mean([r["dense_ll"] for r in rows if r["data"] == data and r["filters"] == F])), 4
            ),
            "conv parameters": F * n + F + 1,
            "dense parameters": dense_parameter_count(n, F * n),
        }
        for data in ("ising", "site-permuted")
        for F in sorted({r["filters"] for r in rows if r["data"] == data})
    ]

    # figures
    res.figures.append(
        FigureSpec(
            name="translation_measure",
            title="Translation structure of dense RBM fields (critical Ising) against controls",
            xlabel="l1 penalty",
            ylabel="mean max circular cross-correlation",
            series=(
                Series(
                    list(config.field_l1),
                    [
                        float(np.mean([r["score"] for r in runs if r["data"] == "ising" and r["l1"] == l1]))
                        for l1 in config.field_l1
                    ],
                    label="Ising data",
                    yerr=[
                        _mean_se([r["score"] for r in runs if r["data"] == "ising" and r["l1"] == l1])[1]
                        for l1 in config.field_l1
                    ],
                    style="points",
                ),
                Series(
                    list(config.field_l1),
                    [
                        float(np.mean([r["null"] for r in runs if r["data"] == "ising" and r["l1"] == l1]))
                        for l1 in config.field_l1
                    ],
                    label="same spectra, random phases",
                    style="dashed",
                ),
                Series([l1c], [sc], label="column-shuffled data", yerr=[sc_err], style="points"),
            ),
        )
    )
    imgs = [
        f
        for r in runs
        if r["seed"] == 0 and (r["data"] == "shuffled" or r["l1"] == l1c)
        for f in r["fields"][:4]
    ]
    titles = [
        f"{r['data']} l1={r['l1']:g} unit {j}"
        for r in runs
        if r["seed"] == 0 and (r["data"] == "shuffled" or r["l1"] == l1c)
        for j in range(min(4, len(r["fields"])))
    ]
    res.figures.append(
        FigureSpec(
            name="fields",
            title="Dense RBM fields (seed 0)",
            kind="images",
            images=tuple(imgs),
            image_titles=tuple(titles),
            ylabel="weight",
        )
    )
    series = []
    for data in ("ising", "site-permuted"):
        Fs = sorted({r["filters"] for r in rows if r["data"] == data})
        for kind in ("conv", "dense"):
            xs, ys, es = [], [], []
            for F in Fs:
                rs = [r for r in rows if r["data"] == data and r["filters"] == F]
                m, e = _mean_se([r[f"{kind}_ll"] for r in rs])
                xs.append(rs[0][f"{kind}_parameters"])
                ys.append(m)
                es.append(e)
            series.append(Series(xs, ys, label=f"{kind}, {data}", yerr=es, style="points"))
    res.figures.append(
        FigureSpec(
            name="ll_vs_parameters",
            title=f"Exact test log-likelihood against parameter count (L = {ws['L']}, K = {config.K:.4f})",
            xlabel="free parameters",
            ylabel="test LL per spin (nats)",
            xscale="log",
            series=tuple(series),
            hlines=((ws["ising_ll"], "exact Ising"), (ws["independent_ll"], "independent spins")),
        )
    )
    res.summary = f"translation excess over the null {ex:.3f} ± {ex_err:.3f} (shuffled control {c_ex:.3f}); LL conv - dense {d:+.4f} ± {d_err:.4f} nats/spin with {cp} vs {dp} parameters (site-permuted {cd:+.4f})."
    return res
