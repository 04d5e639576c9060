"""A numba training loop for small binary RBMs on CPU (CD-k and PCD-k).

For small layers torch's per-operation dispatch (~10 us) dominates an update; this kernel
runs a whole epoch of minibatch updates in compiled code with the same algorithm as
:class:`~deeprg.nn.Trainer` (gradients d<F>_data - d<F>_samples, L1/L2, SGD with momentum in
torch's convention buf = m buf + g, p -= lr buf) and its own xoshiro256+ stream.
"""

from __future__ import annotations

import numba
import numpy as np

from deeprg.sampling._rng import to_unit, xoshiro_next

#: Largest n_visible * n_hidden routed to the compiled loop.
FAST_PATH_MAX_WEIGHTS = 1 << 16


@numba.njit(inline="always")
def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@numba.njit(cache=True)
def pcd_epoch(
    data,
    perm,
    W,
    vb,
    hb,
    bW,
    bv,
    bh,
    chains,
    rng,
    lr,
    momentum,
    l1,
    l2,
    k,
    batch,
    persistent,
    train_biases,
    first_step,
):
    """One epoch of CD-k (persistent=False) or PCD-k (hidden-state chains) updates in place.

    Shapes: data (N, nv) in {0,1}; perm (n,) int64, the rows of data in update order (a run
    of whole minibatches: splitting an epoch's permutation at multiples of ``batch`` and
    calling in turn gives the same result as one call); W (nv, nh); vb (nv,); hb (nh,); momentum buffers bW, bv, bh
    alike; chains (C, nh) hidden states; rng uint64 (4,). Returns the updated first_step flag.
    """
    n, nv = perm.shape[0], data.shape[1]
    nh = W.shape[1]
    s0, s1, s2, s3 = rng[0], rng[1], rng[2], rng[3]
    for start in range(0, n, batch):
        stop = min(start + batch, n)
        B = stop - start
        v = np.empty((B, nv))
        for r in range(B):
            v[r] = data[perm[start + r]]
        h_pos = v @ W
        for r in range(B):
            for j in range(nh):
                h_pos[r, j] = _sigmoid(h_pos[r, j] + hb[j])
        if persistent:
            h = chains
        else:
            h = np.empty((B, nh))
            for r in range(B):
                for j in range(nh):
                    x, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
                    h[r, j] = 1.0 if to_unit(x) < h_pos[r, j] else 0.0
        C = h.shape[0]
        v_neg = np.empty((C, nv))
        h_neg = np.empty((C, nh))
        for _ in range(k):
            pv = h @ W.T
            for r in range(C):
                for i in range(nv):
                    x, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
                    v_neg[r, i] = 1.0 if to_unit(x) < _sigmoid(pv[r, i] + vb[i]) else 0.0
            a = v_neg @ W
            for r in range(C):
                for j in range(nh):
                    h_neg[r, j] = _sigmoid(a[r, j] + hb[j])
            h = np.empty((C, nh))
            for r in range(C):
                for j in range(nh):
                    x, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
                    h[r, j] = 1.0 if to_unit(x) < h_neg[r, j] else 0.0
        if persistent:
            chains[:, :] = h
        gW = v_neg.T @ h_neg / C - v.T @ h_pos / B
        if l1 > 0:
            gW += l1 * np.sign(W)
        if l2 > 0:
            gW += l2 * W
        if first_step:
            bW[:, :] = gW
        else:
            bW[:, :] = momentum * bW + gW
        W -= lr * bW
        if train_biases:
            gv = np.zeros(nv)
            for r in range(C):
                gv += v_neg[r]
            gv /= C
            for r in range(B):
                gv -= v[r] / B
            gh = np.zeros(nh)
            for r in range(C):
                gh += h_neg[r]
            gh /= C
            for r in range(B):
                gh -= h_pos[r] / B
            if first_step:
                bv[:] = gv
                bh[:] = gh
            else:
                bv[:] = momentum * bv + gv
                bh[:] = momentum * bh + gh
            vb -= lr * bv
            hb -= lr * bh
        first_step = False
    rng[0], rng[1], rng[2], rng[3] = s0, s1, s2, s3
    return first_step


@numba.njit(cache=True)
def bernoulli_fill(p, out, rng):
    """out[i, j] = 1 if u_ij < p[i, j] else 0, u_ij uniform in [0, 1) from the xoshiro256+
    stream ``rng`` (uint64 (4,), advanced in place), in row-major order.

    Shapes: p, out (r, c), float32 or float64, C-contiguous; ``out`` may be ``p`` (each entry
    is read before it is written). One 53-bit uniform per entry, as ``unit_sample`` draws them.
    """
    s0, s1, s2, s3 = rng[0], rng[1], rng[2], rng[3]
    for i in range(p.shape[0]):
        for j in range(p.shape[1]):
            x, s0, s1, s2, s3 = xoshiro_next(s0, s1, s2, s3)
            out[i, j] = 1.0 if to_unit(x) < p[i, j] else 0.0
    rng[0], rng[1], rng[2], rng[3] = s0, s1, s2, s3
