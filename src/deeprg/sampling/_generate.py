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
from deeprg.sampling._rules import get_rule
from deeprg.sampling._sampler import IsingSampler
from deeprg.stats import integrated_time
from deeprg.utils import check_int


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


@dataclass(frozen=True)
class AlgorithmChoice:
    """What :func:`choose_algorithm` picked: the rule, the number of chains, and why."""

    algorithm: str
    n_chains: int
    reason: str


#: Relative distance |K/K_c - 1| within which cluster updates are chosen on square lattices.
CRITICAL_WINDOW = 0.05


def _threads() -> int:
    import numba

    return max(1, int(numba.get_num_threads()))


def _local_chains(n_samples: int, threads: int) -> int:
    return max(1, min(n_samples, max(4, threads)))


def _cluster_chains(n_samples: int, threads: int) -> int:
    """Cluster rules decorrelate in a few steps: one chain per thread (at least 2, for the
    pooled tau and the between-chain check), since every chain pays its own burn-in."""
    return max(1, min(n_samples, max(2, threads)))


def _msc_chains(n_samples: int, threads: int) -> int:
    return 64 * max(1, min(-(-n_samples // 64), threads))


def choose_algorithm(lattice, K: float, h: float, n_samples: int, *, device: str = "cpu") -> AlgorithmChoice:
    """The fastest correct update rule for ``n_samples`` decorrelated samples, and why.

    - a field (h != 0), a coupling K <= 0, or a CUDA device: single-spin Metropolis (cluster
      rules need h = 0 and K > 0; the torch backend runs local rules);
    - square lattices within 5% of K_c = ln(1 + sqrt 2)/2, or in the ordered phase: Wolff
      (Wolff 1989). Near K_c its autocorrelation time grows as L^0.25 against L^2.17 for local
      updates (Nightingale & Bloete 1996); below T_c it equilibrates domains that local
      updates leave as metastable stripes on a torus;
    - other periodic square lattices with even sides (the disordered phase): multi-spin-coded
      Metropolis, 64 replicas per machine word, 13-45x a scalar Metropolis per core;
    - chains (1D): Wolff when the correlation length -1/ln tanh K exceeds 2 sites, else
      Metropolis; odd or open square lattices away from K_c: Metropolis.
    Local rules run max(4, threads) chains and cluster rules max(2, threads) (numba threads
    across chains; each chain pays its own burn-in); the multi-spin-coded rule runs 64
    replicas per thread as long as there are samples for them.
    Every rule is chi-square-tested against exact enumeration (``deeprg.sampling._validate``).
    """
    threads = _threads()
    local = _local_chains(n_samples, threads)
    cluster = _cluster_chains(n_samples, threads)
    if device != "cpu":
        return AlgorithmChoice("metropolis", max(1, min(n_samples, 256)), f"local updates on {device}")
    if h != 0.0 or K <= 0.0:
        why = "a field h != 0" if h != 0.0 else "an antiferromagnetic or zero coupling"
        return AlgorithmChoice(
            "metropolis", local, f"{why} rules out cluster updates; {local} chains on {threads} threads"
        )
    if isinstance(lattice, SquareLattice):
        from deeprg.exact import K_CRITICAL

        rel = K / K_CRITICAL - 1.0
        if rel >= -CRITICAL_WINDOW:
            where = "within 5% of K_c" if abs(rel) <= CRITICAL_WINDOW else "in the ordered phase (K > K_c)"
            return AlgorithmChoice(
                "wolff",
                cluster,
                f"K is {where}, where cluster updates decorrelate in a few steps; "
                f"{cluster} chains on {threads} threads",
            )
        if lattice.periodic and lattice.L % 2 == 0 and lattice.M % 2 == 0:
            chains = _msc_chains(n_samples, threads)
            return AlgorithmChoice(
                "msc-metropolis",
                chains,
                f"K < 0.95 K_c on a periodic lattice with even sides: multi-spin coding, {chains} "
                f"replicas in {chains // 64} word(s) on {threads} threads",
            )
        return AlgorithmChoice(
            "metropolis", local, f"K < 0.95 K_c (odd or open lattice): {local} chains on {threads} threads"
        )
    xi = -1.0 / math.log(math.tanh(K)) if K < 20 else math.inf
    if xi > 2.0:
        return AlgorithmChoice(
            "wolff", cluster, f"correlation length {xi:.3g} > 2 sites; {cluster} chains on {threads} threads"
        )
    return AlgorithmChoice(
        "metropolis", local, f"correlation length {xi:.3g} <= 2 sites; {local} chains on {threads} threads"
    )


def _tau_of(sampler, bond, mag):
    """(tau, error, reliable) of the slower of the energy and |M| series (n_chains, n)."""
    e = -(bond + (sampler.h / sampler.K) * mag) / sampler.n_sites if sampler.K > 0 else bond
    res_e = integrated_time(e)
    res_m = integrated_time(np.abs(mag))
    worst = res_e if res_e.tau >= res_m.tau else res_m
    return worst.tau, worst.error, res_e.reliable and res_m.reliable


#: The pilot's tau must be known to this relative error before thinning by it.
PILOT_RELATIVE_ERROR = 0.2


#: Memory for the configurations a cluster-rule pilot keeps for reuse (bytes).
PILOT_STORE_BYTES = 1 << 27


@dataclass
class _Pilot:
    tau: float
    err: float
    reliable: bool
    length: int
    configs: list[np.ndarray] | None  # int8 (C, k, *shape) blocks, after every update, or None
    bond: np.ndarray  # float64 (C, length)
    mag: np.ndarray


def _pilot(sampler, state, per_chain: int, store: bool = False):
    """Extend one pilot run (doubling, from 500 updates) until tau is reliable and known to
    20% or to one update (Sokal's error estimate), or until the pilot would cost more than
    max(4000 updates, the production run it serves) per chain.

    Sokal's "n >= 50 tau" alone leaves tau uncertain by ~60% (error^2 / tau^2 = 2(2W + 1)/N
    with W = 5 tau); for Metropolis at L = 32, K_c such a pilot gave tau = 130 against 265.

    With ``store``, the configuration after every update is kept while it fits in
    :data:`PILOT_STORE_BYTES` (dropped, and the pilot goes on without it, when it does not),
    so that a pilot run in equilibrium can serve as the start of production.
    """
    bonds, mags, cfgs = [], [], []
    length, done = 500, 0
    while True:
        if store and sampler.n_chains * length * sampler.n_sites > PILOT_STORE_BYTES:
            store, cfgs = False, []
        if store:
            cfg, trace, state = sampler.sample_with_trace(state, length - done)
            cfgs.append(cfg)
        else:
            trace, state = sampler.trace(state, length - done)
        bonds.append(trace.bond_sum)
        mags.append(trace.magnetization)
        done = length
        bond, mag = np.concatenate(bonds, axis=1), np.concatenate(mags, axis=1)
        tau, err, reliable = _tau_of(sampler, bond, mag)
        budget = min(max(4000, per_chain * math.ceil(tau)), 1 << 20)
        reliable = reliable and err <= max(PILOT_RELATIVE_ERROR * tau, 1.0)  # thinning is an integer
        # Doubling, not growing to the length predicted to just reach 20%: stopping as soon
        # as err <= 20% tau favours low estimates of tau (a low tau gives a narrower window
        # and a smaller err). With that rule the slow suite's Metropolis errors at L = 32,
        # K_c over 32 seeds came out 1.10x (E) and 1.22x (|m|) too small; doubling: 0.96x
        # and 0.84x in the same test.
        if reliable or 2 * length > budget:
            return _Pilot(tau, err, reliable, length, cfgs if store else None, bond, mag), state
        length *= 2


def generate_samples(
    lattice: Chain | SquareLattice,
    K: float,
    n_samples: int,
    *,
    h: float = 0.0,
    algorithm: str = "auto",
    seed: int | None = None,
    n_chains: int | None = None,
    burn_in: int | str = "auto",
    decorrelate: int | str = "auto",
    progress: Callable[[int, int], None] | None = None,
    device: str = "cpu",
) -> Generated:
    """Generate ``n_samples`` configurations with honest thinning.

    Args:
        lattice: the lattice. K, h: couplings.
        n_samples: number of configurations returned (>= 1).
        algorithm: update rule name, or 'auto' (:func:`choose_algorithm`: the fastest correct
            rule for the request; the choice and its reason are recorded in ``attrs``).
        seed: integer seed (None draws one and records it).
        n_chains: independent chains (default: chosen with the algorithm; max(4, threads)
            for local rules, max(2, threads) for cluster rules, 64 per thread for multi-spin
            coding).
        burn_in: updates per chain before sampling, or 'auto' (1000 local sweeps or 200 cluster
            steps, then the pilot run, then 20 tau more). For cluster rules the pilot keeps its
            configurations, and those from 20 tau of burn-in on (counting the first burn-in)
            are the first samples, every ``thin``-th one
            (``attrs['pilot_samples_reused_per_chain']``), with no further burn-in.
        decorrelate: updates between stored samples, or 'auto': ceil(tau) from a pilot run
            that is extended until its tau is reliable (pooled over chains, see
            :func:`deeprg.stats.integrated_time`) or until it would cost more than the
            production run. tau is the larger of the energy's and |M|'s (2x Sokal's tau_int).
            When the pilot stays unreliable the samples are not called independent:
            ``attrs['independent']`` is False and ``attrs['warning']`` says why.
        progress: optional callback(done, total) in samples.
        device: 'cpu' (numba kernels) or 'cuda' (torch checkerboard kernels).
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, int | np.integer) or n_samples < 1:
        raise InputError(f"number of samples must be a positive integer, got {n_samples!r}")
    n_samples = int(n_samples)
    seed = _resolve_seed(seed)
    choice = None
    if str(algorithm).lower() == "auto":
        choice = choose_algorithm(lattice, K, h, n_samples, device=device)
        algorithm = choice.algorithm
    if n_chains is None:
        if choice is not None:
            n_chains = choice.n_chains
        elif get_rule(algorithm).name == "msc-metropolis":
            n_chains = _msc_chains(n_samples, _threads())
        elif get_rule(algorithm).name in ("wolff", "sw"):
            n_chains = _cluster_chains(n_samples, _threads())
        else:
            n_chains = _local_chains(n_samples, _threads())
    n_chains = check_int(n_chains, "n_chains", minimum=1)
    if device == "cpu":
        sampler = IsingSampler(lattice, K, h, rule=algorithm, n_chains=n_chains)
    else:
        from deeprg.sampling._torch_backend import TorchIsingSampler

        sampler = TorchIsingSampler(lattice, K, h, rule=algorithm, n_chains=n_chains, device=device)
    cluster = sampler.rule.name in ("wolff", "sw")
    state = sampler.init_state(seed)
    per_chain = -(-n_samples // n_chains)
    warnings = []

    pilot_tau, pilot_err, pilot_reliable, pilot_length, pilot, skip = None, 0.0, None, 0, None, 0
    first_burn_in = 200 if cluster else 1000
    if burn_in == "auto" or decorrelate == "auto":
        state = sampler.burn_in(state, first_burn_in)
        # Cluster rules decorrelate in a few updates: keep the pilot's configurations, so that
        # a pilot run in equilibrium is the start of production rather than thrown away.
        store = cluster and burn_in == "auto" and decorrelate == "auto"
        pilot, state = _pilot(sampler, state, per_chain, store=store)
        pilot_tau, pilot_err, pilot_reliable, pilot_length = (
            pilot.tau,
            pilot.err,
            pilot.reliable,
            pilot.length,
        )
        if not pilot_reliable:
            warnings.append(
                f"the pilot run ({pilot_length} updates x {n_chains} chains) is too short for a "
                f"reliable autocorrelation time (tau >= {pilot_tau:.3g} updates, likely more): "
                "thinning by it does not make samples independent"
            )
        # The pilot's configurations count as samples from 20 (reliable) tau of burn-in on,
        # counting the first burn-in and the start of the pilot; otherwise they are discarded
        # and burn-in goes on for 20 tau.
        skip = max(0, math.ceil(20 * pilot_tau) - first_burn_in)
        if pilot.configs is None or not pilot_reliable or skip >= pilot_length:
            pilot = None
            if burn_in == "auto":
                state = sampler.burn_in(state, math.ceil(20 * pilot_tau))
    if burn_in != "auto":
        if isinstance(burn_in, bool) or not isinstance(burn_in, int | np.integer) or burn_in < 0:
            raise InputError(f"burn-in must be a non-negative integer or 'auto', got {burn_in!r}")
        state = sampler.burn_in(state, int(burn_in))
    if decorrelate == "auto":
        # ceil(tau), unless tau is within its error (at most 5%) of the integer below
        # (tau = 1.003 +- 0.03 thins by 1, not 2)
        thin = max(1, math.ceil(pilot_tau - min(pilot_err, 0.05 * pilot_tau)))
    elif isinstance(decorrelate, int | np.integer) and not isinstance(decorrelate, bool) and decorrelate >= 1:
        thin = int(decorrelate)
    else:
        raise InputError(f"decorrelate must be a positive integer or 'auto', got {decorrelate!r}")

    chunk = max(1, min(per_chain, 256))
    # Filled in place: one copy of each configuration, and none at the end when every chain
    # gives per_chain samples (the chain-major result is then a view of this array).
    cfg = np.empty((n_chains, per_chain, *sampler.shape), dtype=np.int8)
    bond = np.empty((n_chains, per_chain))
    mag = np.empty((n_chains, per_chain))
    done = 0
    reused = 0
    if pilot is not None:  # samples skip + thin, skip + 2 thin, ... updates into the pilot
        reused = min(per_chain, (pilot_length - skip) // thin)
        pick = skip + np.arange(1, reused + 1) * thin - 1
        start = 0
        for block in pilot.configs:  # not concatenated: the pilot can hold 10^8 bytes
            inside = (pick >= start) & (pick < start + block.shape[1])
            cfg[:, np.flatnonzero(inside)] = block[:, pick[inside] - start]
            start += block.shape[1]
        bond[:, :reused] = pilot.bond[:, pick]
        mag[:, :reused] = pilot.mag[:, pick]
        done = reused
        pilot = None
        if progress is not None:
            progress(min(done * n_chains, n_samples), n_samples)
    while done < per_chain:
        k = min(chunk, per_chain - done)
        cfg[:, done : done + k], trace, state = sampler.sample_with_trace(state, k, thin=thin)
        bond[:, done : done + k] = trace.bond_sum
        mag[:, done : done + k] = trace.magnetization
        done += k
        if progress is not None:
            progress(min(done * n_chains, n_samples), n_samples)

    # Thermalization check: first against second half of every chain's energy (Geweke z).
    e = -(bond + (h / K if K else 0.0) * mag) / sampler.n_sites
    half = per_chain // 2
    z_score = None
    if half >= 4:
        a, b = e[:, :half], e[:, half : 2 * half]
        tau_prod = integrated_time(e).tau
        err = math.sqrt((a.var() + b.var()) * tau_prod / a.size)
        z_score = float((a.mean() - b.mean()) / err) if err > 0 else 0.0
    production = {"energy": None, "abs_magnetization": None}
    production_reliable = None
    if per_chain >= 2:  # tau in stored samples, pooled over chains
        res_e, res_m = integrated_time(e), integrated_time(np.abs(mag))
        production = {"energy": res_e.tau, "abs_magnetization": res_m.tau}
        production_reliable = res_e.reliable and res_m.reliable
        worst = max(res_e.tau, res_m.tau)
        if worst > 2.0:
            warnings.append(
                f"stored samples are correlated: tau = {worst:.3g} samples "
                f"({'reliable' if production_reliable else 'unreliable'} estimate); "
                "error bars must use it (deeprg observe does)"
            )
    if production_reliable:  # measured on the samples themselves
        independent = max(production.values()) <= 2.0
    else:  # too few stored samples per chain to tell: trust a reliable pilot
        independent = decorrelate == "auto" and bool(pilot_reliable)
    if z_score is not None and abs(z_score) >= 4.0:
        warnings.append(f"not thermalized: first and second halves differ by z = {z_score:.2f}")

    # Chain-major order, trimmed to n_samples: the last chains give up one sample each.
    surplus = per_chain * n_chains - n_samples
    take = np.where(np.arange(n_chains) >= n_chains - surplus, per_chain - 1, per_chain)
    ci = np.repeat(np.arange(n_chains), take)

    def chain_major(a):
        if surplus == 0:
            return a.reshape(n_samples, *a.shape[2:])
        return np.concatenate([a[c, : take[c]] for c in range(n_chains)])

    attrs = {
        "model": "ising2d" if isinstance(lattice, SquareLattice) else "ising1d",
        "L": lattice.L if isinstance(lattice, SquareLattice) else lattice.n,
        "M": lattice.M if isinstance(lattice, SquareLattice) else 1,
        "periodic": bool(lattice.periodic),
        "K": float(K),
        "h": float(h),
        "algorithm": sampler.rule.name,
        "algorithm_requested": "auto" if choice is not None else sampler.rule.name,
        "algorithm_reason": choice.reason if choice is not None else "requested",
        "update_unit": sampler.rule.unit,
        "seed": seed,
        "n_chains": n_chains,
        "thinning": thin,
        "burn_in": burn_in,
        "total_updates_per_chain": int(state.sweeps),
        "pilot_tau": pilot_tau,
        "pilot_reliable": pilot_reliable,
        "pilot_updates_per_chain": pilot_length,
        "pilot_samples_reused_per_chain": reused,
        "tau_int_energy": production["energy"],
        "tau_int_abs_magnetization": production["abs_magnetization"],
        "tau_reliable": production_reliable,
        "independent": bool(independent),
        "warning": "; ".join(warnings),
        "tau_convention": "1 + 2 sum rho(t), in stored samples (Sokal's tau_int is half)",
        "thermalization_z": z_score,
        "thermalized": None if z_score is None else bool(abs(z_score) < 4.0),
        "rule_params": dict(state.rule_params),
    }
    return Generated(
        configs=chain_major(cfg),
        chain=ci.astype(np.int32),
        bond_sum=chain_major(bond),
        magnetization=chain_major(mag),
        attrs=attrs,
    )
