"""rbm-flow: where does iterating v -> h -> v with an RBM trained across temperatures go?

Iso, Shiba & Yokoo (2018, J. Phys. Soc. Jpn. 87, 044002, arXiv:1801.07172) trained an RBM on
L = 10 Ising configurations at 25 temperatures in (0, 6] (2000 each) and found that iterating
v -> h -> v drives configurations toward T_c. Iterating v -> h -> v is block Gibbs sampling, so
its end point is the trained RBM's stationary distribution, set by the training mixture and the
model (Veiga & Vicente 2020, arXiv:2006.12998, who also train on T = 0 and T = infinity data
only). Funai & Giataganas (2018, arXiv:1810.08179) found that the flow goes to the temperature
of maximal specific heat.

This experiment varies the training distribution ([0.5, 4], [0.5, 6], [0.5, 9], T = 0 plus
T = infinity, and Iso et al.'s (0, 6] in the paper preset) and the hidden size, and reads the
temperature of the flow's end point four ways: from the energy (inverting Kaufman's exact
u_L(T)), from <|M|> and from the Binder cumulant (inverting Monte Carlo reference curves at the
same L), and from the fitted nearest-neighbour coupling (T = 1/K_nn, pseudo-likelihood).

Choices the paper leaves open, stated: visible and hidden units are +-1 spins and the RBM has
no biases (Z2-symmetric, like the data); CD-1, batches of 50; T = 0 data are the two ground
states in equal numbers, T = infinity data independent fair coins.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import torch

from deeprg.exact import T_CRITICAL, kaufman_thermo
from deeprg.experiments._base import Claim, ExperimentConfig, FigureSpec, Result, RunContext, Series
from deeprg.lattice import SquareLattice
from deeprg.models import nn_bond_sum_2d
from deeprg.nn import RBM, TrainConfig, Trainer
from deeprg.rg import try_fit_couplings
from deeprg.sampling import generate_samples
from deeprg.vrg import torch_threads

NAME = "rbm-flow"
TITLE = "RBM flow: where does v -> h -> v take the temperature?"
ESTIMATORS = ("energy", "abs_m", "binder", "coupling")


@dataclass(frozen=True)
class Config(ExperimentConfig):
    L: int = 8
    distributions: tuple[str, ...] = ("0.5-4", "0.5-6", "0.5-9", "0+inf")
    temperatures_per_range: int = 5
    samples_per_T: int = 150
    hidden_sizes: tuple[int, ...] = (16, 64)
    training_seeds: int = 2
    epochs: int = 20
    lr: float = 0.01
    start_temperatures: tuple[float, ...] = (1.0, 4.0)
    flow_steps: int = 30
    flow_chains: int = 200
    reference_temperatures: tuple[float, ...] = tuple(float(t) for t in np.round(np.linspace(1.0, 5.0, 9), 3))
    reference_samples: int = 200
    tolerance: float = 0.1

    def validate(self):
        super().validate()
        self._require("L", 4 <= self.L <= 32 and self.L % 2 == 0, "an even size in 4..32")
        self._require("distributions", len(self.distributions) >= 2, "at least two training distributions")
        for d in self.distributions:
            try:
                _parse_distribution(d)
            except ValueError:
                self._require("distributions", False, "items 'lo-hi' with 0 < lo < hi, or '0+inf'")
        self._require("temperatures_per_range", self.temperatures_per_range >= 2, ">= 2")
        self._require(
            "hidden_sizes", len(self.hidden_sizes) >= 1 and min(self.hidden_sizes) >= 1, "positive sizes"
        )
        self._require("flow_steps", self.flow_steps >= 2, ">= 2")
        self._require("training_seeds", self.training_seeds >= 1, ">= 1")
        self._require(
            "reference_temperatures", len(self.reference_temperatures) >= 3, "at least 3 temperatures"
        )


PRESETS = {
    "quick": Config(),
    "paper": Config(
        preset="paper",
        L=10,
        distributions=("0.24-6", "0.5-4", "0.5-6", "0.5-9", "0+inf"),
        temperatures_per_range=25,
        samples_per_T=2000,
        hidden_sizes=(16, 64, 100),
        training_seeds=3,
        epochs=200,
        start_temperatures=(0.5, 1.5, 3.0, 4.5, 6.0),
        flow_steps=200,
        flow_chains=1000,
        reference_temperatures=tuple(float(t) for t in np.round(np.linspace(0.5, 9.0, 35), 3)),
        reference_samples=2000,
    ),
}


def _parse_distribution(d: str):
    """'lo-hi' -> (lo, hi); '0+inf' -> None."""
    if d == "0+inf":
        return None
    lo, hi = (float(x) for x in d.split("-"))
    if not 0 < lo < hi:
        raise ValueError(d)
    return lo, hi


# --- pure verdict functions ---------------------------------------------------------------------
def flows_to_tc_verdict(
    endpoints: dict,
    t_c: float,
    *,
    tol: float = 0.1,
    converged: bool | dict = True,
    out_of_range: dict | None = None,
    errors: dict | None = None,
) -> tuple[str, str]:
    """Claim "The flow goes to T_c" (for every training distribution, by every estimator).

    A reading *misses* when its flow converged, it lies inside its thermometer's reference
    curve, and it is farther than tol + 2 sigma from T_c (sigma: its standard error over
    training seeds); one miss refutes the claim, whatever the unconverged flows or the
    saturated thermometers say: not supported, saying where the flows end and whether the
    estimators agree. Otherwise inconclusive when a flow has not converged, a value is missing,
    a thermometer read beyond its reference curve (only a bound: the observable is not that of
    an equilibrium state in the calibrated range), or a reading is within tol + 2 sigma only
    thanks to an error above tol; otherwise supported.

    Args:
        endpoints: {distribution: {estimator: T}}.
        out_of_range: {distribution: {estimator: bound text such as '> 5'}} for readings beyond
            the reference curve (missing or empty: none).
        converged: one flag for all, or {distribution: flag}.
        errors: {distribution: {estimator: standard error}} (missing: 0).
    """
    vals = [t for est in endpoints.values() for t in est.values()]
    conv = converged if isinstance(converged, dict) else dict.fromkeys(endpoints, bool(converged))
    oor = out_of_range or {}

    def err(d, e):
        return float((errors or {}).get(d, {}).get(e, 0.0))

    off = [
        f"{d} {e} {t:.2f}" + (f" +- {err(d, e):.2f}" if err(d, e) else "")
        for d, est in endpoints.items()
        if conv.get(d, False)
        for e, t in est.items()
        if e not in oor.get(d, {}) and math.isfinite(t) and abs(t - t_c) > tol + 2 * err(d, e)
    ]
    beyond = [f"{d} {e} {b}" for d, ests in oor.items() for e, b in ests.items()]
    if off:
        parts = []
        for dist, est in endpoints.items():
            ts = [t for t in est.values() if math.isfinite(t)]
            if not ts:
                continue
            spread = max(ts) - min(ts)
            agree = "estimators agree" if spread <= 2 * tol else f"estimators disagree by {spread:.2f}"
            unconverged = "" if conv.get(dist, False) else ", not converged"
            parts.append(f"{dist}: T = {min(ts):.2f}..{max(ts):.2f} ({agree}{unconverged})")
        if beyond:
            parts.append("beyond their reference curves (bounds only): " + "; ".join(beyond))
        return (
            "not supported",
            f"converged end points off T_c +- {tol} (+ 2 sigma): " + "; ".join(off) + ". " + "; ".join(parts),
        )
    if not all(conv.get(d, False) for d in endpoints) or not vals or not all(math.isfinite(t) for t in vals):
        return "inconclusive", "the flow did not converge or an estimator gave no temperature"
    if beyond:
        return (
            "inconclusive",
            "thermometer(s) read beyond their reference curves, so they give only bounds: "
            + "; ".join(beyond),
        )
    loose = [
        f"{d} {e} +- {err(d, e):.2f}" for d, est in endpoints.items() for e in est if not err(d, e) <= tol
    ]
    if loose:
        return "inconclusive", f"within T_c +- {tol} + 2 sigma only on errors above {tol}: " + "; ".join(
            loose
        )
    return "supported", f"every end point within T_c +- {tol} (+ 2 sigma) by every estimator"


def distribution_dependence_verdict(
    endpoints: dict, *, tol: float = 0.1, error: float = 0.0, converged: bool = True
) -> tuple[str, str]:
    """The claim "the end point is set by the training distribution" (Veiga & Vicente 2020):
    supported when the energy temperatures of different distributions (one hidden size) differ
    by more than 3 tol + 2 sqrt(2) error (error: the largest standard error over training seeds;
    the spread is a difference of two seed means, whose standard error is up to sqrt 2 error); not
    supported when they all agree within tol and the seed error is at most tol; inconclusive in between, when values are
    missing, or when the flows had not converged (an unfinished flow's position is not its
    end point).

    Args:
        endpoints: {distribution: {estimator: T}} for one hidden size.
    """
    ts = [est.get("energy", float("nan")) for est in endpoints.values()]
    if not converged:
        return "inconclusive", "the flows had not converged: their end points are not yet set"
    if len(ts) < 2 or not all(math.isfinite(t) for t in ts) or not math.isfinite(error):
        return "inconclusive", "fewer than two finite end points"
    spread = max(ts) - min(ts)
    if spread > 3 * tol + 2 * math.sqrt(2.0) * error:
        return (
            "supported",
            f"the end points move by {spread:.2f} with the training distribution (seed error {error:.2f})",
        )
    if spread <= tol and error <= tol:
        return "not supported", f"the end points agree within {spread:.2f} (seed error {error:.2f})"
    return "inconclusive", f"a spread of {spread:.2f} lies between {tol:g} and {3 * tol:g}"


def max_specific_heat_verdict(
    t_end: float, t_cmax: float, *, tol: float = 0.15, error: float = 0.0, converged: bool = True
) -> tuple[str, str]:
    """Funai & Giataganas: the flow ends at the temperature of maximal specific heat (within
    tol + 2 error, error the standard error over training seeds). Inconclusive when the flow
    had not converged or a temperature is missing."""
    if not converged:
        return "inconclusive", "the flow had not converged: its end point is not yet set"
    if not (math.isfinite(t_end) and math.isfinite(t_cmax) and math.isfinite(error)):
        return "inconclusive", "a temperature is missing"
    d = abs(t_end - t_cmax)
    if d <= tol + 2 * error:
        return "supported", f"the energy end point lies {d:.2f} from T(C_max)"
    return "not supported", f"the energy end point lies {d:.2f} from T(C_max) (tolerance {tol})"


# --- measurements -------------------------------------------------------------------------------
def _observables(s: np.ndarray) -> dict:
    N = s.shape[1] * s.shape[2]
    e = -nn_bond_sum_2d(s) / N
    m = np.abs(s.reshape(len(s), -1).mean(axis=1))
    m2 = float(np.mean(m**2))
    return {
        "energy": float(np.mean(e)),
        "abs_m": float(np.mean(m)),
        "binder": float(1 - np.mean(m**4) / (3 * m2 * m2)) if m2 > 0 else float("nan"),
    }


def _invert(curve_T, curve_y, y) -> tuple[float, str]:
    """(T, bound): T where the reference curve reaches y, and bound ''. Only the curve's monotone
    run from its coldest point is used. When y lies beyond that run's range, T is the temperature of the curve's end that y lies beyond
    and bound is '>' or '<': the reading only says T > (or <) that temperature."""
    T, Y = np.asarray(curve_T, float), np.asarray(curve_y, float)
    by_T = np.argsort(T)
    T, Y = T[by_T], Y[by_T]
    # Monte Carlo curves flatten into noise (the Binder cumulant near 0 above T_c at small L) and
    # stop being monotone; a reading there would be read off a non-function. Keep the monotone
    # run from the coldest point: beyond it the reading is a bound.
    step = np.sign(Y[1] - Y[0]) * np.diff(Y)
    n = len(Y) if np.all(step >= 0) else int(np.argmax(step < 0)) + 1
    T, Y = T[: max(n, 2)], Y[: max(n, 2)]
    order = np.argsort(Y)
    Ys, Ts = Y[order], T[order]
    if not math.isfinite(y):
        return float("nan"), ""
    if y < Ys[0] or y > Ys[-1]:
        t_end = float(Ts[0] if y < Ys[0] else Ts[-1])
        return t_end, (">" if t_end >= T[-1] else "<")
    return float(np.interp(y, Ys, Ts)), ""


def _training_temperatures(d: str, n: int) -> list[float]:
    rng = _parse_distribution(d)
    if rng is None:
        return []
    return [float(t) for t in np.round(np.linspace(rng[0], rng[1], n), 4)]


def run(config: Config, ctx: RunContext) -> Result:
    res = Result()
    L, N = config.L, config.L * config.L
    temps = sorted(
        {t for d in config.distributions for t in _training_temperatures(d, config.temperatures_per_range)}
    )

    def data():
        out = {}
        for i, T in enumerate(ctx.track(temps, unit="temperatures")):
            algo = "wolff" if T < 3.5 else "metropolis"
            out[f"T{T}"] = generate_samples(
                SquareLattice(L), 1.0 / T, config.samples_per_T, algorithm=algo, seed=config.seed + i
            ).configs
        for i, T in enumerate(config.reference_temperatures):
            algo = "wolff" if T < 3.5 else "metropolis"
            out[f"ref{T}"] = generate_samples(
                SquareLattice(L),
                1.0 / T,
                config.reference_samples,
                algorithm=algo,
                seed=config.seed + 500 + i,
            ).configs
        for i, T in enumerate(config.start_temperatures):
            out[f"start{T}"] = generate_samples(
                SquareLattice(L), 1.0 / T, config.flow_chains, algorithm="wolff", seed=config.seed + 1000 + i
            ).configs
        return out

    arrays = ctx.array_step("data", data)

    # reference curves: exact energy (Kaufman), Monte Carlo |M| and Binder at the same L
    Ks = np.linspace(0.02, 3.0, 400)
    u_exact = np.array([kaufman_thermo(L, float(k)).energy_per_site for k in Ks])
    c_exact = np.array([kaufman_thermo(L, float(k)).specific_heat_per_site for k in Ks])
    t_cmax = float(1.0 / Ks[np.argmax(c_exact)])
    ref = [_observables(arrays[f"ref{T}"]) for T in config.reference_temperatures]
    ref_T = list(config.reference_temperatures)

    def read_temperatures(s: np.ndarray) -> dict:
        o = _observables(s)
        fit = try_fit_couplings(s.astype(np.int8), "nn")
        # frozen samples have no finite coupling: T = 0; a vanishing coupling is T = 1000
        k = math.inf if fit is None else float(fit.couplings[0])
        T_e, b_e = _invert(1.0 / Ks, u_exact, o["energy"])
        T_m, b_m = _invert(ref_T, [r["abs_m"] for r in ref], o["abs_m"])
        T_b, b_b = _invert(ref_T, [r["binder"] for r in ref], o["binder"])
        return {
            "energy": float(1.0 / np.interp(-o["energy"], -u_exact, Ks)) if not b_e else T_e,
            "abs_m": T_m,
            "binder": T_b,
            "coupling": float(1.0 / max(k, 1e-3)),
            # readings beyond the reference curve: only bounds ('>' or '<' the value above)
            "bounds": {
                e: b
                for e, b in (
                    ("energy", b_e),
                    ("abs_m", b_m),
                    ("binder", b_b),
                    ("coupling", ">" if k <= 1e-3 else ""),
                )
                if b
            },
            "observables": o,
        }

    def train_data(d: str) -> np.ndarray:
        ts = _training_temperatures(d, config.temperatures_per_range)
        if ts:
            return np.concatenate([arrays[f"T{T}"] for T in ts]).reshape(-1, N)
        n = config.samples_per_T * config.temperatures_per_range
        rng = np.random.default_rng(config.seed + 77)
        ground = np.where(np.arange(n // 2) % 2 == 0, 1, -1)[:, None] * np.ones((1, N))
        hot = rng.choice([-1, 1], size=(n - n // 2, N))
        return np.concatenate([ground, hot]).astype(np.int8)

    def flows():
        out = []
        for d in ctx.track(config.distributions, unit="distributions"):
            x = train_data(d).astype(np.float32)
            for nh, seed in ctx.track(itertools.product(config.hidden_sizes, range(config.training_seeds))):
                rbm = RBM(N, nh, visible="spin", hidden="spin", seed=config.seed + 31 * seed)
                cfg = TrainConfig.plain_sgd(
                    method="cd",
                    k=1,
                    epochs=config.epochs,
                    lr=config.lr,
                    batch_size=50,
                    train_biases=False,
                    monitor_samples=10,  # the monitors are not used here
                    monitor_exact=False,
                    seed=config.seed + 31 * seed,
                )
                Trainer(rbm, cfg).fit(x)
                gen = torch.Generator().manual_seed(config.seed + 7 + 31 * seed)
                for T0 in config.start_temperatures:
                    v = torch.tensor(arrays[f"start{T0}"].reshape(-1, N).astype(np.float32))
                    T_energy = []
                    mid = None
                    for step in range(config.flow_steps + 1):
                        s = v.numpy().reshape(-1, L, L)
                        o = _observables(s)
                        T_energy.append(float(1.0 / np.interp(-o["energy"], -u_exact, Ks)))
                        if step == config.flow_steps // 2:
                            mid = read_temperatures(s.astype(np.int8))
                        if step < config.flow_steps:
                            v = rbm.gibbs(v, 1, gen)
                    end = read_temperatures(v.numpy().reshape(-1, L, L).astype(np.int8))
                    out.append(
                        {
                            "distribution": d,
                            "n_hidden": nh,
                            "seed": seed,
                            "T0": T0,
                            "T_energy": T_energy,
                            "end": end,
                            "mid": mid,
                        }
                    )
        return out

    with torch_threads(1):  # small RBMs: one thread (see torch_threads)
        fl = ctx.step("flows", flows)

    def fin(x):
        return float("nan") if x is None else float(x)

    # endpoint per (distribution, hidden size): the mean over starting temperatures and training
    # seeds, with the standard error over seeds
    endpoints: dict[str, dict[str, float]] = {}
    out_of_range: dict[str, dict[str, str]] = {}
    seed_errors: dict[str, float] = {}
    est_errors: dict[str, dict[str, float]] = {}
    drifts: dict[str, float] = {}
    rows = []
    drift = 0.0
    for d in config.distributions:
        for nh in config.hidden_sizes:
            runs = [f for f in fl if f["distribution"] == d and f["n_hidden"] == nh]
            est = {e: float(np.mean([fin(f["end"][e]) for f in runs])) for e in ESTIMATORS}
            endpoints[f"{d} / {nh} hidden"] = est
            shown = {e: f"{v:.3f}" for e, v in est.items()}
            for e in ESTIMATORS:
                bs = [f["end"].get("bounds", {}).get(e, "") for f in runs]
                if not any(bs):
                    continue
                if all(b == bs[0] for b in bs):  # every run beyond the same end of the curve
                    shown[e] = f"{bs[0]} {est[e]:.2f}"
                else:
                    shown[e] = f"{est[e]:.2f} ({sum(map(bool, bs))} of {len(bs)} readings beyond the curve)"
                out_of_range.setdefault(f"{d} / {nh} hidden", {})[e] = shown[e]
            per_seed = [
                np.mean([fin(f["end"]["energy"]) for f in runs if f["seed"] == sd])
                for sd in range(config.training_seeds)
            ]
            err = float(np.std(per_seed, ddof=1) / np.sqrt(len(per_seed))) if len(per_seed) > 1 else 0.0
            seed_errors[f"{d} / {nh} hidden"] = err
            est_errors[f"{d} / {nh} hidden"] = {
                e: (
                    float(
                        np.std(
                            [
                                np.mean([fin(f["end"][e]) for f in runs if f["seed"] == sd])
                                for sd in range(config.training_seeds)
                            ],
                            ddof=1,
                        )
                        / np.sqrt(config.training_seeds)
                    )
                    if config.training_seeds > 1
                    else 0.0
                )
                for e in ESTIMATORS
            }
            drifts[f"{d} / {nh} hidden"] = max(
                abs(fin(f["end"]["energy"]) - fin(f["mid"]["energy"])) for f in runs
            )
            drift = max(drift, drifts[f"{d} / {nh} hidden"])
            spread_starts = float(np.ptp([fin(f["end"]["energy"]) for f in runs]))
            rows.append(
                {
                    "training": d,
                    "n_hidden": nh,
                    **{f"T_{e}": shown[e] for e in ESTIMATORS},
                    "T_energy seed error": round(err, 3),
                    "spread over starts (energy)": round(spread_starts, 3),
                    "E/N": round(float(np.mean([f["end"]["observables"]["energy"] for f in runs])), 4),
                    "|M|": round(float(np.mean([f["end"]["observables"]["abs_m"] for f in runs])), 4),
                    "U4": round(float(np.mean([fin(f["end"]["observables"]["binder"]) for f in runs])), 4),
                }
            )
            for e, v in est.items():
                bound = out_of_range.get(f"{d} / {nh} hidden", {}).get(e)
                res.metric(
                    f"T_end_{e}_{d}_h{nh}",
                    v,
                    err if e == "energy" else None,
                    exact=T_CRITICAL,
                    note=f"beyond the reference curve: {bound}" if bound else None,
                )
    res.tables[
        "flow end points (temperature read four ways; mean over starting temperatures; '> T' or '< T': "
        "the reading lies beyond the reference curve, which ends at T)"
    ] = rows
    res.metric("T_max_specific_heat", t_cmax, note=f"Kaufman, L = {L}")
    res.metric("max_energy_drift_second_half", drift, note="T by energy, between mid-flow and the end")

    v, why = flows_to_tc_verdict(
        endpoints,
        T_CRITICAL,
        tol=config.tolerance,
        converged={k: dr <= config.tolerance for k, dr in drifts.items()},
        out_of_range=out_of_range,
        errors=est_errors,
    )
    res.claims.append(
        Claim(
            id="rbm-flow.flows-to-tc",
            claim="Iterating v -> h -> v with an RBM trained on configurations at many temperatures drives the temperature to T_c.",
            source="Iso, Shiba & Yokoo 2018, J. Phys. Soc. Jpn. 87, 044002 (arXiv:1801.07172)",
            measurement="; ".join(
                f"{k}: "
                + ", ".join(f"{e} {out_of_range.get(k, {}).get(e, f'{t:.2f}')}" for e, t in est.items())
                for k, est in endpoints.items()
            ),
            comparison=f"T_c = {T_CRITICAL:.3f} +- {config.tolerance}, for every training distribution, hidden size and estimator",
            verdict=v,
            reason=why,
        )
    )
    per_size = [
        distribution_dependence_verdict(
            {d: endpoints[f"{d} / {nh} hidden"] for d in config.distributions},
            tol=config.tolerance,
            error=max(seed_errors[f"{d} / {nh} hidden"] for d in config.distributions),
            converged=all(drifts[f"{d} / {nh} hidden"] <= config.tolerance for d in config.distributions),
        )
        for nh in config.hidden_sizes
    ]
    order = {"supported": 0, "inconclusive": 1, "not supported": 2}
    v = max((p[0] for p in per_size), key=order.get)  # the weakest verdict over hidden sizes
    why = "; ".join(f"{nh} hidden: {p[1]}" for nh, p in zip(config.hidden_sizes, per_size, strict=True))
    res.claims.append(
        Claim(
            id="rbm-flow.set-by-training-data",
            claim="The flow's end point is the trained RBM's stationary distribution, set by the training data (including T = 0 plus T = infinity data only).",
            source="Veiga & Vicente 2020 (arXiv:2006.12998)",
            measurement=", ".join(f"{k}: {est['energy']:.2f}" for k, est in endpoints.items())
            + " (T by energy)",
            comparison="the same flow for different training distributions",
            verdict=v,
            reason=why,
        )
    )
    main = next(
        (k for k in endpoints if k.startswith("0.5-6") or k.startswith("0.24-6")), next(iter(endpoints))
    )
    v, why = max_specific_heat_verdict(
        endpoints[main]["energy"],
        t_cmax,
        error=seed_errors[main],
        converged=drifts[main] <= config.tolerance,
    )
    res.claims.append(
        Claim(
            id="rbm-flow.max-specific-heat",
            claim="The flow ends at the temperature of maximal specific heat.",
            source="Funai & Giataganas 2018 (arXiv:1810.08179)",
            measurement=f"{main}: T by energy {endpoints[main]['energy']:.2f} +- {seed_errors[main]:.2f} (training seeds); all: "
            + ", ".join(f"{k} {est['energy']:.2f}" for k, est in endpoints.items()),
            comparison=f"T(C_max) = {t_cmax:.3f} at L = {L} (Kaufman)",
            verdict=v,
            reason=why,
        )
    )

    for d in config.distributions:
        nh = config.hidden_sizes[-1]
        res.figures.append(
            FigureSpec(
                name=f"flow_{d.replace('+', 'p').replace('.', '_')}",
                title=f"T by energy along the flow (trained on {d}, {nh} hidden)",
                xlabel="flow step n (v -> h -> v)",
                ylabel="T_eff from the energy",
                series=tuple(
                    Series(list(range(len(f["T_energy"]))), f["T_energy"], label=f"T0 = {f['T0']}")
                    for f in fl
                    if f["distribution"] == d and f["n_hidden"] == nh and f["seed"] == 0
                ),
                hlines=((T_CRITICAL, "T_c"), (t_cmax, "T(C_max)")),
            )
        )
    res.figures.append(
        FigureSpec(
            name="estimators",
            title="End-point temperature by estimator and training distribution",
            xlabel="training distribution (index)",
            ylabel="T",
            series=tuple(
                Series(
                    list(range(len(endpoints))),
                    [est[e] for est in endpoints.values()],
                    label=e,
                    style="points",
                )
                for e in ESTIMATORS
            ),
            hlines=((T_CRITICAL, "T_c"),),
            caption="Index order: " + "; ".join(endpoints),
        )
    )
    res.summary = "End points (T by energy): " + ", ".join(
        f"{k} {est['energy']:.2f}" for k, est in endpoints.items()
    )
    return res
