# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # MCRG: critical exponents from Monte Carlo renormalization group
#
# Swendsen (1979) turned real-space RG into a measurement. Write the Hamiltonian as
# \(H = \sum_\alpha K_\alpha S_\alpha\) over operators \(S_\alpha\) (nearest neighbours, next
# nearest, plaquette, ...; odd ones such as the magnetization for the field). Block the
# configurations \(n\) times with the majority rule (\(b = 2\)). The linearised RG matrix
# \(T_{\alpha\beta} = \partial K^{(n)}_\alpha / \partial K^{(n-1)}_\beta\) solves
#
# \[ F = G\,T,\quad F_{\gamma\beta} = \langle S^{(n)}_\gamma S^{(n-1)}_\beta\rangle
#    - \langle S^{(n)}_\gamma\rangle\langle S^{(n-1)}_\beta\rangle,\quad
#    G_{\gamma\alpha} = \langle S^{(n)}_\gamma S^{(n)}_\alpha\rangle
#    - \langle S^{(n)}_\gamma\rangle\langle S^{(n)}_\alpha\rangle, \]
#
# and the RG eigenvalue is \(y = \ln\lambda_{\max} / \ln b\). For the 2D Ising model the exact
# values are \(y_T = 1/\nu = 1\) and \(y_h = 15/8 = 1.875\).
#
# We sample a \(32\times32\) torus at \(K_c\) with Wolff updates, then block twice.

# %%
from deeprg.exact import K_CRITICAL
from deeprg.lattice import SquareLattice
from deeprg.rg import mcrg_exponents, mk_fixed_point
from deeprg.sampling import generate_samples

gen = generate_samples(SquareLattice(32), K_CRITICAL, 800, algorithm="wolff", seed=3)
result = mcrg_exponents(gen.configs, levels=2, seed=0).to_dict()

for sector, exact in (("y_T", 1.0), ("y_h", 15 / 8)):
    print(f"{sector} (exact {exact}):")
    for level in result[sector]:
        cells = {k: v for k, v in level.items() if isinstance(v, dict)}
        last = list(cells)[-1]  # keys read "n (newest operator)": the largest truncation
        n_ops = last.split()[0]
        print(
            f"  level {level['level']} ({level['lattice']}x{level['lattice']}), {n_ops} operators: "
            f"{cells[last]['value']:.3f} ± {cells[last]['error']:.3f}"
        )

# %% [markdown]
# Errors come from a jackknife over 20 blocks of samples. Two systematic effects are visible:
# truncating the operator set and blocking a small lattice bias \(y_T\) low at the first level
# (Swendsen's own tables show values near 0.95 to 0.97); more levels and more operators move
# it toward 1. \(y_h\) converges quickly and lands near 1.88.
#
# ## An approximation beside it: Migdal-Kadanoff
#
# Bond moving plus decimation (Migdal 1975, Kadanoff 1976) gives the closed recursion
# \(K' = \tfrac12\ln\cosh 4K\) in 2D with \(b = 2\). Its fixed point \(K^* = 0.3047\) and
# \(y_T = \log_2(2\tanh 4K^*) = 0.747\) are reported next to the exact \(K_c = 0.4407\) and
# \(y_T = 1\): a cheap approximation, not a measurement.

# %%
mk = mk_fixed_point(2, 2).to_dict()
print(f"MK: K* = {mk['K_star']:.6f} (exact K_c {mk['exact_K_c']:.6f}), y_T = {mk['y_T']:.4f} (exact 1)")
