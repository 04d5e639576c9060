"""mcrg-2d: Monte Carlo RG of the 2D Ising model against the exact exponents.

- Swendsen MCRG at K_c: y_T and y_h per blocking level and per number of operators.
- Migdal-Kadanoff: the analytic approximation (y_T = 0.747) beside the exact y_T = 1.
- Coupling flow: majority-rule blocking of equilibrium samples above, at and below K_c, with
  the effective couplings (nn, nnn, plaquette) fitted by pseudo-likelihood at every level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from deeprg.exact import K_CRITICAL
from deeprg.experiments._base import Claim, ExperimentConfig, FigureSpec, Result, RunContext, Series
from deeprg.lattice import SquareLattice
from deeprg.rg import EVEN_2D, ODD_2D, block_configs, fit_couplings, mcrg_exponents, mk_fixed_point, mk_flow
from deeprg.sampling import generate_samples

NAME = "mcrg-2d"
TITLE = "Monte Carlo renormalization group of the 2D Ising model"


@dataclass(frozen=True)
class Config(ExperimentConfig):
    L: int = 32
    samples: int = 8000
    levels: int = 2
    n_even: int = 6
    flow_L: int = 32
    flow_samples: int = 1500
    flow_couplings: tuple[float, ...] = (0.40, K_CRITICAL, 0.47)
    flow_levels: int = 2

    def validate(self):
        super().validate()
        self._require(
            "L",
            self.L >= 8 and self.L % 2**self.levels == 0 and self.L // 2**self.levels >= 4,
            "divisible by 2^levels, >= 4 after blocking",
        )
        self._require("samples", self.samples >= 200, ">= 200")
        self._require("n_even", 1 <= self.n_even <= len(EVEN_2D), f"1..{len(EVEN_2D)}")
        self._require(
            "flow_L",
            self.flow_L % 2**self.flow_levels == 0 and self.flow_L // 2**self.flow_levels >= 4,
            "divisible by 2^flow_levels, >= 4 after",
        )
        self._require("flow_couplings", all(k > 0 for k in self.flow_couplings), "positive couplings")


PRESETS = {
    "quick": Config(),
    "paper": Config(
        preset="paper", L=64, samples=40000, levels=3, flow_L=64, flow_samples=5000, flow_levels=4
    ),
}


def run(config: Config, ctx: RunContext) -> Result:
    res = Result()

    def mcrg():
        gen = generate_samples(
            SquareLattice(config.L),
            K_CRITICAL,
            config.samples,
            algorithm="wolff",
            seed=config.seed,
            progress=ctx.reporter("samples"),
        )
        r = mcrg_exponents(
            gen.configs, levels=config.levels, even=EVEN_2D[: config.n_even], odd=ODD_2D, seed=config.seed
        )
        d = r.to_dict()
        d["arrays"] = {
            "y_T": r.y_T.tolist(),
            "y_T_err": r.y_T_err.tolist(),
            "y_h": r.y_h.tolist(),
            "y_h_err": r.y_h_err.tolist(),
        }
        d["thinning"] = gen.attrs["thinning"]
        return d

    m = ctx.step("mcrg", mcrg)
    yT, yTe = np.array(m["arrays"]["y_T"]), np.array(m["arrays"]["y_T_err"])
    yh, yhe = np.array(m["arrays"]["y_h"]), np.array(m["arrays"]["y_h_err"])
    best_T = yT[-1, -1]
    res.metric("y_T_level1_all_even", yT[0, -1], yTe[0, -1], exact=1.0)
    res.metric("y_T_last_level_all_even", best_T, yTe[-1, -1], exact=1.0)
    res.metric("y_h_level1_all_odd", yh[0, -1], yhe[0, -1], exact=15 / 8)
    res.metric("y_h_last_level_all_odd", yh[-1, -1], yhe[-1, -1], exact=15 / 8)
    res.tables["y_T (rows: level, columns: number of even operators)"] = m["y_T"]
    res.tables["y_h (rows: level, columns: number of odd operators)"] = m["y_h"]

    mk = mk_fixed_point(2, 2)
    res.metric("mk_K_star", mk.K_star, exact=K_CRITICAL)
    res.metric("mk_y_T", mk.y_T, exact=1.0)

    def flow():
        out = []
        for i, K in enumerate(ctx.track(config.flow_couplings, unit="couplings")):
            gen = generate_samples(
                SquareLattice(config.flow_L),
                K,
                config.flow_samples,
                algorithm="wolff",
                seed=config.seed + 100 + i,
            )
            configs = gen.configs
            levels = []
            for lev in range(config.flow_levels + 1):
                fit = fit_couplings(configs, "nn,nnn,plaquette")
                x = configs.astype(np.float64)
                g1 = float(np.mean(x * np.roll(x, 1, axis=1) + x * np.roll(x, 1, axis=2)) / 2)
                levels.append(
                    {
                        "level": lev,
                        "L": int(configs.shape[1]),
                        "K": fit.couplings.tolist(),
                        "err": fit.errors.tolist(),
                        "G1": g1,
                    }
                )
                if lev < config.flow_levels:
                    configs = block_configs(configs, 2, "majority", seed=config.seed + lev)
            out.append({"K0": K, "levels": levels})
        return out

    fl = ctx.step("coupling_flow", flow)
    res.tables["coupling_flow"] = [
        {
            "K0": round(f["K0"], 6),
            "level": lv["level"],
            "L": lv["L"],
            "G1": lv["G1"],
            "K_nn": lv["K"][0],
            "K_nnn": lv["K"][1],
            "K_plaq": lv["K"][2],
        }
        for f in fl
        for lv in f["levels"]
    ]

    lo, crit, hi = fl[0], min(fl, key=lambda f: abs(f["K0"] - K_CRITICAL)), fl[-1]
    knn = lambda f: [lv["K"][0] for lv in f["levels"]]  # noqa: E731
    g1 = lambda f: np.array([lv["G1"] for lv in f["levels"]])  # noqa: E731
    # Relative to the run at K_c, blocked data above T_c lose correlation and below T_c gain
    # it, more at every level: the critical point is unstable (a relevant direction).
    gap_lo, gap_hi = g1(crit) - g1(lo), g1(hi) - g1(crit)
    flows_apart = bool(np.all(np.diff(gap_lo) > 0) and np.all(np.diff(gap_hi) > 0))
    crit_spread = float(np.ptp(g1(crit)))

    ok_T = abs(yT[0, -1] - 1.0) < 0.06 and abs(best_T - 1.0) <= abs(yT[0, -1] - 1.0) + 2 * yTe[-1, -1]
    ok_h = abs(yh[0, -1] - 15 / 8) < 0.02
    res.claims.append(
        Claim(
            id="mcrg-2d.exponents",
            claim="Monte Carlo RG on block spins gives the critical exponents: y_T = 1/nu = 1 and y_h = 15/8 for the 2D Ising model.",
            source="Swendsen (1979), Phys. Rev. Lett. 42:859",
            measurement=f"L={config.L}, {config.samples} Wolff samples at K_c: level 1 y_T = {yT[0, -1]:.3f}+-{yTe[0, -1]:.3f}, level {config.levels} y_T = {best_T:.3f}+-{yTe[-1, -1]:.3f}; y_h = {yh[0, -1]:.4f}+-{yhe[0, -1]:.4f} (level 1)",
            comparison="exact y_T = 1, y_h = 1.875 (Onsager, Yang)",
            verdict="supported" if ok_T and ok_h else "inconclusive",
            reason="within MCRG's known truncation bias (y_T low by a few percent at level 1, closer at higher levels)"
            if ok_T and ok_h
            else "outside the documented truncation accuracy; more samples or a larger L are needed",
        )
    )
    res.claims.append(
        Claim(
            id="mcrg-2d.migdal-kadanoff",
            claim="The Migdal-Kadanoff bond-moving approximation captures the transition but not its exponent.",
            source="Migdal (1975); Kadanoff (1976), Ann. Phys. 100:359 (MK: K* = 0.304689, y_T = 0.7472)",
            measurement=f"K* = {mk.K_star:.6f}, y_T = {mk.y_T:.4f} (nu = {mk.nu:.3f})",
            comparison=f"exact K_c = {K_CRITICAL:.6f}, y_T = 1 (nu = 1)",
            verdict="supported",
            reason="MK finds an unstable fixed point (a transition) with a 25% error in y_T and 31% in K_c",
        )
    )
    res.claims.append(
        Claim(
            id="mcrg-2d.coupling-flow",
            claim="Under block-spin RG couplings flow away from the critical point: to zero above T_c, to strong coupling below it, and stay put near K_c.",
            source="Kadanoff (1966), Physics 2:263 (block spins)",
            measurement="nn correlation of blocked data per level: "
            + "; ".join(f"K0={f['K0']:.4f}: " + " -> ".join(f"{v:.3f}" for v in g1(f)) for f in fl)
            + ". Fitted K_nn: "
            + "; ".join(f"K0={f['K0']:.4f}: " + " -> ".join(f"{k:.3f}" for k in knn(f)) for f in fl),
            comparison="an unstable fixed point at K_c; the majority rule's fixed point has K_nn ~ 0.36 with nnn and plaquette terms generated, so K_nn alone is not the measure",
            verdict="supported" if flows_apart else "not supported",
            reason=(
                f"the gaps to the critical run grow at every level ({', '.join(f'{x:.3f}' for x in gap_lo)} below T_c, "
                f"{', '.join(f'{x:.3f}' for x in gap_hi)} above); the critical run's correlation moves by {crit_spread:.3f}"
                if flows_apart
                else f"the gaps to the critical run do not grow at every level ({gap_lo.round(3).tolist()}, {gap_hi.round(3).tolist()})"
            ),
        )
    )

    ops = m["even_operators"]
    res.figures.append(
        FigureSpec(
            name="y_T_truncation",
            title="MCRG thermal exponent y_T",
            xlabel="number of even operators",
            ylabel="y_T",
            series=tuple(
                Series(
                    list(range(1, len(ops) + 1)),
                    yT[lev].tolist(),
                    label=f"level {lev + 1} (L={config.L // 2 ** (lev + 1)})",
                    yerr=yTe[lev].tolist(),
                    style="points",
                )
                for lev in range(config.levels)
            ),
            hlines=((1.0, "exact y_T = 1"), (mk.y_T, "Migdal-Kadanoff 0.747")),
            caption="Operators added in the order " + ", ".join(ops) + ".",
        )
    )
    odd = m["odd_operators"]
    res.figures.append(
        FigureSpec(
            name="y_h_truncation",
            title="MCRG magnetic exponent y_h",
            xlabel="number of odd operators",
            ylabel="y_h",
            series=tuple(
                Series(
                    list(range(1, len(odd) + 1)),
                    yh[lev].tolist(),
                    label=f"level {lev + 1}",
                    yerr=yhe[lev].tolist(),
                    style="points",
                )
                for lev in range(config.levels)
            ),
            hlines=((15 / 8, "exact y_h = 15/8"),),
            caption="Operators added in the order " + ", ".join(odd) + ".",
        )
    )
    res.figures.append(
        FigureSpec(
            name="coupling_flow",
            title="Flow of the fitted nearest-neighbour coupling under majority blocking",
            xlabel="blocking level",
            ylabel="K_nn (pseudo-likelihood)",
            series=tuple(
                Series(
                    [lv["level"] for lv in f["levels"]],
                    knn(f),
                    label=f"K0 = {f['K0']:.4f}",
                    yerr=[lv["err"][0] for lv in f["levels"]],
                    style="points",
                )
                for f in fl
            ),
            hlines=((K_CRITICAL, "K_c"),),
        )
    )
    res.figures.append(
        FigureSpec(
            name="correlation_flow",
            title="Nearest-neighbour correlation of blocked configurations",
            xlabel="blocking level",
            ylabel="<s_i s_j> (nearest neighbours)",
            series=tuple(
                Series(
                    [lv["level"] for lv in f["levels"]],
                    g1(f).tolist(),
                    label=f"K0 = {f['K0']:.4f}",
                    style="points",
                )
                for f in fl
            ),
            caption="Above T_c (small K0) correlations die out under blocking, below T_c they grow toward order; at K_c they stay.",
        )
    )
    Ks = np.linspace(0.2, 0.45, 6)
    res.figures.append(
        FigureSpec(
            name="mk_flow",
            title="Migdal-Kadanoff flow, K' = 1/2 ln cosh 4K",
            xlabel="RG step",
            ylabel="K",
            series=tuple(Series(list(range(7)), mk_flow(float(k), 6)[:7], label=f"K0 = {k:.3f}") for k in Ks),
            hlines=((mk.K_star, "MK fixed point 0.3047"), (K_CRITICAL, "exact K_c 0.4407")),
        )
    )
    res.summary = f"MCRG: y_T = {yT[0, -1]:.3f} (level 1) to {best_T:.3f} (level {config.levels}), y_h = {yh[0, -1]:.4f}; exact 1 and 1.875. MK: y_T = {mk.y_T:.4f}."
    return res
