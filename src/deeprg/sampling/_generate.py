"""Dataset generation: burn-in, thermalization check, automatic thinning, many chains.

This is what ``deeprg sample`` runs. It returns arrays and metadata; writing the file is the
caller's job (:func:`deeprg.data.write_dataset`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from deeprg.errors import InputError
from deeprg.lattice import Chain, SquareLattice
from deeprg.sampling._sampler import IsingSampler, SamplerState
from deeprg.stats import integrated_time


@dataclass(frozen=True)
class Generated:
    """Samples with what is needed to trust them.

    Attributes:
        configs: int8 (n, *shape), chain-major (all of chain 0 in time order, then chain 1...).
        chain: int32 (n,) chain id of each sample.
        bond_sum, magnetization: float64 (n,) per sample, same order.
        attrs: metadata (algorithm, seed, thinning, burn-in, tau, thermalization check...).
    """

    configs: np.ndarray
    chain: np.ndarray
    bond_sum: np.ndarray
    magnetization: np.ndarray
    attrs: dict


def _resolve_seed(seed) -> int:
    if seed is None:
        return int(np.random.SeedSequence().entropy % (1 << 63))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def _pilot_tau(sampler, state, length: int) -> tuple[float, float, SamplerState, bool]:
    trace, state = sampler.trace(state, length)
    e = trace.energy_per_site(sampler.K, sampler.h) if sampler.K > 0 else trace.bond_sum
    res_e = integrated_time(e)
    res_m = integrated_time(np.abs(trace.magnetization))
    worst = res_e if res_e.tau >= res_m.tau else res_m
    return worst.tau, worst.error, state, res_e.reliable and res_m.reliable


def generate_samples(
    lattice: Chain | SquareLattice,
    K: float,
    n_samples: int,
    *,
    h: float = 0.0,
    algorithm: str = "metropolis",
    seed: int | None = None,
    n_chains: int | None = None,
    burn_in: int | str = "auto",
    decorrelate: int | str = "auto",
    progress: Callable[[int, int], None] | None = None,
    device: str = "cpu",
) -> Generated:
    """Generate ``n_samples`` configurations with honest thinning.

    Args:
        lattice: the lattice. K, h: couplings. algorithm: update rule name.
        n_samples: number of configurations returned.
        seed: integer seed (None draws one and records it).
        n_chains: independent chains (default: min(n_samples, 32)).
        burn_in: updates per chain before sampling, or 'auto' (1000 local sweeps or 200 cluster
            steps, then 20 tau more, with tau from a pilot run).
        decorrelate: updates between stored samples, or 'auto' (ceil(tau) from the pilot, the
            larger of the energy's and |M|'s; tau is 2x Sokal's tau_int). The samples stored
            are then about independent: 2 tau_int(Sokal) apart.
        progress: optional callback(done, total) in samples.
        device: 'cpu' (numba kernels) or 'cuda' (torch checkerboard kernels).
    """
    if not isinstance(n_samples, int | np.integer) or n_samples < 1:
        raise InputError(f"number of samples must be a positive integer, got {n_samples!r}")
    seed = _resolve_seed(seed)
    if n_chains is None:  # the most chains <= 32 that divide n_samples evenly
        n_chains = max(c for c in range(1, min(n_samples, 32) + 1) if n_samples % c == 0)
        if n_chains < 8 and n_samples >= 64:
            n_chains = min(n_samples, 32)
    n_chains = int(n_chains)
    if device == "cpu":
        sampler = IsingSampler(lattice, K, h, rule=algorithm, n_chains=n_chains)
    else:
        from deeprg.sampling._torch_backend import TorchIsingSampler

        sampler = TorchIsingSampler(lattice, K, h, rule=algorithm, n_chains=n_chains, device=device)
    cluster = sampler.rule.name in ("wolff", "sw")
    state = sampler.init_state(seed)

    pilot_tau, pilot_err, pilot_reliable = None, 0.0, None
    if burn_in == "auto" or decorrelate == "auto":
        state = sampler.burn_in(state, 200 if cluster else 1000)
        length = 500
        for _ in range(4):  # extend the pilot until it is >= 50 tau long
            pilot_tau, pilot_err, state, pilot_reliable = _pilot_tau(sampler, state, length)
            if pilot_reliable:
                break
            length *= 2
        if burn_in == "auto":
            state = sampler.burn_in(state, math.ceil(20 * pilot_tau))
    if burn_in != "auto":
        if not isinstance(burn_in, int | np.integer) or burn_in < 0:
            raise InputError(f"burn-in must be a non-negative integer or 'auto', got {burn_in!r}")
        state = sampler.burn_in(state, int(burn_in))
    if decorrelate == "auto":
        # ceil(tau), unless tau is within one error of the integer below (tau = 1.003 +- 0.03)
        thin = max(1, math.ceil(pilot_tau - pilot_err))
    elif isinstance(decorrelate, int | np.integer) and decorrelate >= 1:
        thin = int(decorrelate)
    else:
        raise InputError(f"decorrelate must be a positive integer or 'auto', got {decorrelate!r}")

    per_chain = -(-n_samples // n_chains)
    chunk = max(1, min(per_chain, 256))
    cfgs, bonds, mags = [], [], []
    done = 0
    while done < per_chain:
        k = min(chunk, per_chain - done)
        cfg, trace, state = sampler.sample_with_trace(state, k, thin=thin)
        cfgs.append(cfg)
        bonds.append(trace.bond_sum)
        mags.append(trace.magnetization)
        done += k
        if progress is not None:
            progress(min(done * n_chains, n_samples), n_samples)
    cfg = np.concatenate(cfgs, axis=1)  # (C, per_chain, *shape)
    bond = np.concatenate(bonds, axis=1)
    mag = np.concatenate(mags, axis=1)

    # Thermalization check: first against second half of every chain's energy (Geweke z).
    e = -(bond + (h / K if K else 0.0) * mag) / sampler.n_sites
    half = per_chain // 2
    z_score = None
    if half >= 4:
        a, b = e[:, :half], e[:, half : 2 * half]
        tau_prod = integrated_time(e).tau
        err = math.sqrt((a.var() + b.var()) * tau_prod / a.size)
        z_score = float((a.mean() - b.mean()) / err) if err > 0 else 0.0
    production_tau = {
        "energy": integrated_time(e).tau,
        "abs_magnetization": integrated_time(np.abs(mag)).tau,
    }

    # Chain-major order, trimmed to n_samples: the last chains give up one sample each.
    surplus = per_chain * n_chains - n_samples
    take = np.where(np.arange(n_chains) >= n_chains - surplus, per_chain - 1, per_chain)
    keep = [(c, t) for c in range(n_chains) for t in range(take[c])]
    ci = np.array([k[0] for k in keep])
    ti = np.array([k[1] for k in keep])
    attrs = {
        "model": "ising2d" if isinstance(lattice, SquareLattice) else "ising1d",
        "L": lattice.L if isinstance(lattice, SquareLattice) else lattice.n,
        "M": lattice.M if isinstance(lattice, SquareLattice) else 1,
        "periodic": bool(lattice.periodic),
        "K": float(K),
        "h": float(h),
        "algorithm": sampler.rule.name,
        "update_unit": sampler.rule.unit,
        "seed": seed,
        "n_chains": n_chains,
        "thinning": thin,
        "burn_in": burn_in,
        "total_updates_per_chain": int(state.sweeps),
        "pilot_tau": pilot_tau,
        "pilot_reliable": pilot_reliable,
        "tau_int_energy": production_tau["energy"],
        "tau_int_abs_magnetization": production_tau["abs_magnetization"],
        "tau_convention": "1 + 2 sum rho(t), in stored samples (Sokal's tau_int is half)",
        "thermalization_z": z_score,
        "thermalized": None if z_score is None else bool(abs(z_score) < 4.0),
        "rule_params": dict(state.rule_params),
    }
    return Generated(
        configs=cfg[ci, ti],
        chain=ci.astype(np.int32),
        bond_sum=bond[ci, ti],
        magnetization=mag[ci, ti],
        attrs=attrs,
    )
