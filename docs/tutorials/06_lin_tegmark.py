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
# # Lin-Tegmark: cheap gates and why depth helps
#
# Lin, Tegmark & Rolnick (2017, arXiv:1608.08225) argue that the functions physics cares about
# are cheap for neural networks: low-order polynomials, local, symmetric. Two constructions
# carry the argument, and both are checked here with numbers.
#
# ## Multiplication with four neurons
#
# For a smooth activation \(\sigma\) with \(\sigma''(0) \ne 0\),
#
# \[ m(u, v) = \frac{\sigma(u+v) + \sigma(-u-v) - \sigma(u-v) - \sigma(-u+v)}{4\sigma''(0)}
#    = uv\,[1 + O(u^2 + v^2)]. \]
#
# Scaling the inputs by \(\lambda\) and the output by \(\lambda^{-2}\) makes the error vanish as
# \(O(\lambda^2)\): on a log-log plot, a slope of 2. (The sigmoid has \(\sigma''(0) = 0\), so
# deeprg shifts it by a bias.)

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from deeprg.cheap import (
    MultiplicationGate,
    ShallowProduct,
    binary_gate_error,
    count_monomials,
    deep_product,
    error_slope,
    flattening_costs,
)

slope, lambdas, errors = error_slope("sigmoid")
print(f"log-log slope of the error against lambda: {slope:.3f} (expected 2)")

gate = MultiplicationGate(lam=0.01)
uv = torch.tensor([[0.3, -0.7], [0.9, 0.5]], dtype=torch.float64)
print("gate:", gate(uv).numpy(), " exact:", (uv[:, 0] * uv[:, 1]).numpy())

fig, ax = plt.subplots(figsize=(4.5, 3.2))
ax.loglog(lambdas, errors, "o-", label="measured")
ax.loglog(lambdas, errors[0] * (np.array(lambdas) / lambdas[0]) ** 2, "k--", lw=1, label="slope 2")
ax.set_xlabel(r"input scale $\lambda$")
ax.set_ylabel("max |m(u,v) - uv|")
ax.legend()
fig.tight_layout()

# %% [markdown]
# ## Products of bits with one neuron
#
# For bits \(y_i \in \{0,1\}\), \(\prod_{i\in K} y_i = \lim_{\beta\to\infty}\sigma(-\beta(k - \tfrac12 - \sum_{i\in K} y_i))\):
# one neuron per monomial, so any polynomial in binary variables is three layers. The error
# falls like \(e^{-\beta/2}\).

# %%
for beta in (10.0, 20.0, 40.0):
    print(
        f"k = 3 bits, beta = {beta:>4}: max error {binary_gate_error(3, beta):.2e}  (bound 1/(1+e^(beta/2)) = {1 / (1 + np.exp(beta / 2)):.2e})"
    )
print("a degree-2 polynomial in 3 variables has", count_monomials(3, 2), "terms, (n+d)!/(n!d!)")

# %% [markdown]
# ## No flattening: depth is exponentially cheaper
#
# The product of \(n\) inputs needs \(2^n\) neurons in a single hidden layer, but only
# \(4(n-1)\) in a binary tree of multiplication gates of depth \(\lceil\log_2 n\rceil\)
# (Lin, Tegmark & Rolnick 2017; Rolnick & Tegmark 2018 for general polynomials). The flattening
# costs \(C_n\), \(C_s\) are the ratios of neuron and synapse counts, shallow over deep.

# %%
rows = [flattening_costs(n) for n in range(2, 11)]
for r in rows:
    print(
        f"n={r['n']:>2}: deep {r['deep_neurons']:>3} neurons (depth {r['deep_depth']}), shallow {r['shallow_neurons']:>5}, C_n = {r['C_n']:.1f}"
    )

x = torch.rand(1000, 4, dtype=torch.float64) * 2 - 1
for name, net in (("deep tree", deep_product(4)), ("shallow 2^n", ShallowProduct(4))):
    err = float((net(x) - x.prod(dim=1)).abs().max())
    print(f"{name:>12}: max error on 1000 random inputs in [-1, 1]^4: {err:.1e}")

fig, ax = plt.subplots(figsize=(4.5, 3.2))
ns = [r["n"] for r in rows]
ax.semilogy(ns, [r["shallow_neurons"] for r in rows], "o-", label="one hidden layer: $2^n$")
ax.semilogy(ns, [r["deep_neurons"] for r in rows], "s-", label="binary tree: $4(n-1)$")
ax.set_xticks(ns)  # n is an integer: no ticks between
ax.set_xlabel("inputs n")
ax.set_ylabel("neurons")
ax.legend()
fig.tight_layout()
