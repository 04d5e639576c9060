"""One whole-process mcising run for bench_sampling.py: burn-in, then N stored configurations
``interval`` sweeps apart, saved to an .npy file (as a user of mcising would), and the |M|
series printed as JSON.

    python benchmarks/_mcising_job.py ALGO L T N INTERVAL BURN_IN OUT.npy
"""

import json
import sys

import numpy as np
from mcising import IsingSimulation

algo, L, T, n, interval, burn, out = sys.argv[1:8]
L, T, n, interval, burn = int(L), float(T), int(n), int(interval), int(burn)
sim = IsingSimulation(L, 1.0, 0.0, 0.0, 0.0, 1, algo)
if burn:
    sim.sweep(burn, temperature=T)
res = sim.production_sweeps(n, interval, temperature=T, store_configs=True)
configs = np.asarray(res["configurations"], dtype=np.int8)
np.save(out, configs)
print(json.dumps({"magnetizations": np.asarray(res["magnetizations"], dtype=float).tolist()}))
