import itertools
import math

import numpy as np
import pytest
import torch

from deeprg.cheap import (
    ACTIVATIONS,
    BinaryProductGate,
    GaussianSoftmaxClassifier,
    MultiplicationGate,
    ShallowProduct,
    binary_gate_error,
    block_average_kernel,
    compile_polynomial,
    count_monomials,
    deep_product,
    error_slope,
    evaluate_polynomial,
    flattening_costs,
    fourier_rg_flow,
    hierarchy_informations,
    mutual_information,
    parse_polynomial,
    repetition_channel,
    statistic_information,
)
from deeprg.cli import main
from deeprg.errors import InputError


@pytest.mark.parametrize("act", ACTIVATIONS)
def test_gate_error_slope_is_two(act):
    slope, _, errors = error_slope(act)
    assert abs(slope - 2.0) <= 0.1 and errors[-1] < 1e-3


def test_gate_is_an_ordinary_module_with_four_neurons():
    gate = MultiplicationGate(0.01)
    assert gate.hidden.weight.shape == (4, 2) and gate.output.weight.shape == (1, 4)
    uv = torch.tensor([[0.3, -0.7], [1.0, 1.0]], dtype=torch.float64)
    torch.testing.assert_close(gate(uv), uv.prod(1), atol=1e-4, rtol=0)
    with pytest.raises(InputError, match="second derivative"):
        MultiplicationGate(0.01, "sigmoid", beta=0.0)  # sigma''(0) = 0 for the logistic


@pytest.mark.parametrize("k", [1, 3, 6, 10])
def test_binary_gate_exact_for_large_beta(k):
    assert binary_gate_error(k, 40.0) < 1e-6
    assert binary_gate_error(k, 40.0) <= BinaryProductGate(k, 40.0).worst_error_bound() + 1e-15
    assert binary_gate_error(k, 4.0) > binary_gate_error(k, 20.0)


def test_parse_polynomial_and_errors():
    assert parse_polynomial("3*x0*x1 - 0.5*x2^2 + 1.5 + 1e-3*x1") == {
        (0, 1): 3.0,
        (2, 2): -0.5,
        (): 1.5,
        (1,): 0.001,
    }
    assert parse_polynomial("x1*x0 + x0*x1") == {(0, 1): 2.0}
    for bad in ("", "3*y0", "x0 +", "2**", "x0*nan*x1"):
        with pytest.raises(InputError):
            parse_polynomial(bad)


def test_compiled_polynomials_match_direct_evaluation():
    gen = torch.Generator().manual_seed(0)
    for text in ("3*x0*x1 - 0.5*x2^2 + 1.5", "x0*x1*x2*x3*x4 - x1^3", "2"):
        net = compile_polynomial(text, lam=1e-3)
        x = torch.rand((500, max(net.n_vars, 1)), generator=gen, dtype=torch.float64) * 2 - 1
        assert float((net(x) - evaluate_polynomial(net.poly, x)).abs().max()) < 1e-4
    net = compile_polynomial("x0*x1*x2*x3*x4", lam=1e-3)
    assert net.cost.depth == 3 and net.cost.neurons == 4 * 4 + 1
    binary = compile_polynomial("3*x0*x1 - x2 + x0*x1*x2*x3 + 1", binary=True)
    bits = torch.tensor(list(itertools.product((0.0, 1.0), repeat=4)), dtype=torch.float64)
    assert float((binary(bits) - evaluate_polynomial(binary.poly, bits)).abs().max()) < 1e-9
    assert binary.cost.depth == 1


def test_softmax_network_equals_bayes_rule():
    from scipy.stats import multivariate_normal

    means = [[0.0, 0.0], [1.0, -1.0]]
    covs = [[[1.0, 0.2], [0.2, 1.0]], [[0.6, 0.0], [0.0, 1.5]]]
    priors = [0.7, 0.3]
    clf = GaussianSoftmaxClassifier(means, covs, priors, lam=1e-3)
    y = np.random.default_rng(1).normal(size=(300, 2))
    post = np.stack([priors[c] * multivariate_normal(means[c], covs[c]).pdf(y) for c in range(2)], 1)
    post /= post.sum(1, keepdims=True)
    assert np.abs(clf(torch.tensor(y)).numpy() - post).max() < 1e-4


@pytest.mark.parametrize("n", [2, 3, 5, 7])
def test_deep_and_shallow_products(n):
    x = torch.rand((300, n), dtype=torch.float64, generator=torch.Generator().manual_seed(n)) * 2 - 1
    deep, shallow = deep_product(n), ShallowProduct(n, lam=0.02)
    assert float((deep(x) - x.prod(1)).abs().max()) < 1e-5
    assert float((shallow(x) - x.prod(1)).abs().max()) < 5e-3
    costs = flattening_costs(n)
    assert costs["deep_neurons"] == 4 * (n - 1) and costs["shallow_neurons"] == 2**n == shallow.n_neurons
    assert costs["C_n"] == pytest.approx(2**n / (4 * (n - 1)))


def test_monomial_count():
    for n, d in ((2, 2), (3, 3), (4, 2)):
        brute = sum(1 for e in itertools.product(range(d + 1), repeat=n) if sum(e) <= d)
        assert (
            count_monomials(n, d) == brute == math.factorial(n + d) // (math.factorial(n) * math.factorial(d))
        )


def test_data_processing_inequality_and_sufficiency():
    rng = np.random.default_rng(0)
    mats = []
    for _ in range(6):
        P = rng.random((4, 4))
        mats.append(P / P.sum(1, keepdims=True))
    info = hierarchy_informations([0.1, 0.2, 0.3, 0.4], mats)
    assert all(a >= b - 1e-12 for a, b in itertools.pairwise(info))
    ch, outs = repetition_channel(4, 0.15)
    full, suff = statistic_information([0.4, 0.6], ch, [sum(o) for o in outs])
    _, lossy = statistic_information([0.4, 0.6], ch, [o[0] + o[1] for o in outs])
    assert abs(full - suff) < 1e-12 and lossy < full - 1e-3
    assert mutual_information(np.diag([0.5, 0.5])) == pytest.approx(math.log(2), abs=1e-15)


def test_gaussian_field_flow_matches_scaling_dimensions():
    flow = fourier_rg_flow(0.01, 1.0, 0.5, steps=3)
    np.testing.assert_allclose(flow[:, 0], 0.01 * 4.0 ** np.arange(4), rtol=1e-14)
    np.testing.assert_allclose(flow[:, 1], 1.0)
    np.testing.assert_allclose(flow[:, 2], 0.5 * 0.25 ** np.arange(4), rtol=1e-14)
    a1, b1, _ = block_average_kernel(8192, 0.01, 1.0, 0.5)
    assert b1 == 1.0 and a1 / 0.01 == pytest.approx(4.0, rel=0.02)
    # c flows to the block-averaging fixed point; deviations shrink by about 1/4 per step
    cs = [0.5]
    a = 0.01
    for _ in range(3):
        a, _, c = block_average_kernel(8192, a, 1.0, cs[-1])
        cs.append(c)
    d = np.diff(cs)
    assert abs(d[1] / d[0]) < 0.35 and abs(d[2] / d[1]) < 0.35


def test_cheap_cli(capsys):
    import json

    with pytest.raises(SystemExit) as info:
        main(["cheap", "gate", "--kind", "mult", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert info.value.code == 0 and abs(out["slope"] - 2) < 0.1
    with pytest.raises(SystemExit) as info:
        main(["cheap", "compile", "x0*x1*x2 - 2*x3 + 1", "--binary", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert info.value.code == 0 and out["max_error"] < 1e-9 and out["neurons"] == 3
    with pytest.raises(SystemExit) as info:
        main(["cheap", "compile", "x0*y1"])
    assert info.value.code == 2 and "bad factor" in capsys.readouterr().err


def test_locality_bound_holds_for_the_ising_energy():
    from deeprg.cheap import markov_network_neuron_bound
    from deeprg.lattice import SquareLattice

    L = 6
    net = compile_polynomial({tuple(sorted(b)): 1.0 for b in SquareLattice(L).bonds.tolist()}, binary=True)
    assert net.cost.neurons - 1 <= markov_network_neuron_bound(2 * L * L, 2) < count_monomials(L * L, 2)
