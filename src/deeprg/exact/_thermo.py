"""The container every exact solver returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Thermo:
    """Exact thermodynamics of a finite or infinite Ising system.

    Conventions: the Boltzmann weight is exp(K sum s_i s_j + h sum s_i) with K = beta J and
    h = beta H. Energies are in units of J (so beta = K): ``energy_per_site`` is
    <H>/N = -(<sum s_i s_j> + (h/K) <sum s_i>)/N, and ``specific_heat_per_site`` is
    beta^2 Var(H)/N. ``susceptibility_per_site`` is Var(M)/N = d<M>/dh / N (reduced units).

    Attributes:
        n_sites: number of sites N, or None for the infinite system.
        log_z: ln Z (None for the infinite system).
        log_z_per_site: ln Z / N (for the infinite system, the limit -beta f).
        energy_per_site, specific_heat_per_site: as above.
        magnetization: <M>/N where defined (the spontaneous value for Onsager), else None.
        susceptibility_per_site: Var(M)/N where computed, else None.
    """

    n_sites: int | None
    log_z: float | None
    log_z_per_site: float
    energy_per_site: float
    specific_heat_per_site: float
    magnetization: float | None = None
    susceptibility_per_site: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)
