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
# # Train an RBM and measure its log-likelihood, exactly and by AIS
#
# A restricted Boltzmann machine over visible units \(v\) and hidden units \(h\) has
# \(E(v,h) = -c\cdot v - b\cdot h - v^\top W h\) and \(p(v) = e^{-F(v)}/Z\), with the free energy
# \(F(v) = -c\cdot v - \sum_j \mathrm{softplus}(b_j + (v^\top W)_j)\) for \(\{0,1\}\) hidden units.
# The average log-likelihood \(\langle \ln p(v)\rangle_{\rm data} = -\langle F\rangle - \ln Z\) needs
# \(\ln Z\). With few hidden units it is exact: a log-sum-exp over the \(2^{n_h}\) hidden states.
# For large machines deeprg estimates it with annealed importance sampling (AIS, Neal 2001;
# Salakhutdinov & Murray 2008), which is optimistic on average, and brackets it with reverse AIS,
# which is pessimistic (Burda, Grosse & Salakhutdinov 2015).
#
# The data: 4x4 Ising configurations at \(K = 0.35\), whose exact distribution we also know, so
# we can say how far the RBM is from the best possible model.

# %%
import numpy as np
import torch

from deeprg.exact import kaufman_thermo
from deeprg.lattice import SquareLattice
from deeprg.nn import RBM, TrainConfig, Trainer, ais_log_z, exact_log_z, reverse_ais_log_z
from deeprg.sampling import generate_samples

K, L = 0.35, 4
gen = generate_samples(SquareLattice(L), K, 3000, algorithm="wolff", seed=7)
# Spins s in {-1, +1} become bits (s + 1) / 2: a bijection, so likelihoods are unchanged.
x = ((gen.configs.reshape(len(gen.configs), -1) + 1) // 2).astype(np.float32)
train, valid = x[:2500], x[2500:]

rbm = RBM(L * L, 8, visible="binary", hidden="binary", seed=0)
config = TrainConfig(method="cd", k=1, epochs=30, lr=0.1, batch_size=50, monitor_every=1, seed=0)
history = Trainer(rbm, config).fit(train, valid)
# With few hidden units the exact log-likelihood is affordable: monitor it every epoch.
for record in [*history[::6], history[-1]]:
    print(f"epoch {record['epoch']:>2}: held-out LL {record['valid_log_likelihood']:.3f}")

# %% [markdown]
# ## Exact, AIS and reverse AIS

# %%
log_z = exact_log_z(rbm)
ais = ais_log_z(rbm, train, n_runs=100, n_betas=2000, seed=1)

# Reverse AIS starts from samples of the model: run Gibbs chains long enough to forget the data.
gen_t = torch.Generator().manual_seed(2)
v = torch.as_tensor(train[:100])
model_samples = rbm.gibbs(v, steps=500, generator=gen_t)
rev = reverse_ais_log_z(rbm, train, model_samples, n_betas=2000, seed=3)

print(f"ln Z exact      : {log_z:.4f}")
print(f"ln Z AIS        : {ais.log_z:.4f}  [{ais.log_z_low:.4f}, {ais.log_z_high:.4f}]")
print(f"ln Z reverse AIS: {rev.log_z:.4f}  [{rev.log_z_low:.4f}, {rev.log_z_high:.4f}]")

# %% [markdown]
# ## Log-likelihood per configuration, against the true model
#
# The true distribution is the Ising model itself: \(\ln p(v) = K\sum_{\langle ij\rangle} s_i s_j - \ln Z_{\rm Ising}\),
# with \(\ln Z_{\rm Ising}\) from Kaufman's formula. Its average over the data is (up to
# sampling noise) minus the entropy, the best any model can reach; the gap is
# \(\mathrm{KL}(p_{\rm data}\,\|\,p_{\rm RBM})\), a quantity that does not depend on how the RBM
# is parametrised.

# %%
with torch.no_grad():
    free = rbm.free_energy(torch.as_tensor(valid, dtype=rbm.W.dtype)).double().numpy()
ll_rbm = float(-free.mean() - log_z)
ising_ln_z = kaufman_thermo(L, K).log_z
bonds = gen.bond_sum[2500:]
ll_true = float(np.mean(K * bonds) - ising_ln_z)
print(f"held-out LL, RBM (exact ln Z): {ll_rbm:.4f} nats per configuration")
print(f"held-out LL, true Ising model: {ll_true:.4f}")
print(f"gap (an estimate of KL)      : {ll_true - ll_rbm:.4f} nats, {(ll_true - ll_rbm) / L**2:.4f} per spin")
