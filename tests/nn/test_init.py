"""numpyflow/nn/init.py: PyTorch's gains, fans, bounds and distributions."""

import math

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf
from numpyflow.nn import init


@needs_torch
@pytest.mark.parametrize(
    "nonlinearity,param",
    [
        ("linear", None),
        ("conv2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("selu", None),
    ],
)
def test_calculate_gain_matches_pytorch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(torch.nn.init.calculate_gain(nonlinearity, param))


@needs_torch
@pytest.mark.parametrize("shape", [(30, 20), (16, 8, 3, 3), (4, 2, 5)])
def test_fans_match_pytorch(shape):
    ours = init._calculate_fan_in_and_fan_out(nf.empty(*shape))
    theirs = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    assert ours == theirs


def _std(fn, shape=(256, 128, 3, 3), **kw):
    t = nf.empty(*shape)
    fn(t, **kw)
    return t.numpy()


def test_distributions_have_the_documented_bounds_and_spread():
    nf.manual_seed(0)
    fan_in, fan_out = 128 * 9, 256 * 9
    w = _std(init.xavier_uniform_)
    bound = math.sqrt(6 / (fan_in + fan_out))
    assert np.abs(w).max() <= bound and w.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)
    assert _std(init.xavier_normal_, gain=2.0).std() == pytest.approx(2 * math.sqrt(2 / (fan_in + fan_out)), rel=0.01)
    w = _std(init.kaiming_uniform_, a=math.sqrt(5))
    assert np.abs(w).max() <= 1 / math.sqrt(fan_in)
    assert _std(init.kaiming_normal_, mode="fan_out", nonlinearity="relu").std() == pytest.approx(
        math.sqrt(2 / fan_out), rel=0.01
    )
    w = _std(init.trunc_normal_, shape=(200_000,), mean=1.0, std=2.0, a=-1.0, b=2.0)
    assert w.min() >= -1.0 and w.max() <= 2.0
    # the mean of N(1, 4) truncated to [-1, 2]: mu + sigma * (phi(a') - phi(b')) / (Phi(b') - Phi(a'))
    a_, b_ = -1.0, 0.5
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    Phi = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2  # noqa: E731
    assert w.mean() == pytest.approx(1.0 + 2.0 * (phi(a_) - phi(b_)) / (Phi(b_) - Phi(a_)), abs=0.01)


def test_constant_zeros_ones_eye_and_no_graph():
    w = nf.empty(3, 3, requires_grad=True)
    init.constant_(w, 0.5)
    assert w.tolist() == [[0.5] * 3] * 3 and w.is_leaf and w.requires_grad
    init.zeros_(w)
    assert not w.detach().numpy().any()
    init.ones_(w)
    assert w.detach().numpy().all()
    init.eye_(w)
    assert w.tolist() == np.eye(3).tolist()


def test_seeded_initialisation_repeats():
    nf.manual_seed(5)
    a = nf.nn.Linear(10, 10).weight.detach().numpy().copy()
    nf.manual_seed(5)
    b = nf.nn.Linear(10, 10).weight.detach().numpy()
    np.testing.assert_array_equal(a, b)


# -- dirac_, orthogonal_, sparse_ ---------------------------------------------------------------


@needs_torch
@pytest.mark.parametrize(
    "shape,groups", [((4, 4, 3), 1), ((6, 4, 3, 3), 1), ((3, 5, 5, 5), 1), ((6, 2, 3, 3), 3), ((4, 2, 3, 5, 5), 2)]
)
def test_dirac_equals_pytorchs(shape, groups):
    ours = init.dirac_(nf.empty(*shape), groups).numpy()
    theirs = torch.nn.init.dirac_(torch.empty(*shape), groups).numpy()
    np.testing.assert_array_equal(ours, theirs)


def test_dirac_weights_make_a_convolution_the_identity():
    conv = nf.nn.Conv2d(3, 3, 3, padding=1, bias=False)
    init.dirac_(conv.weight)
    x = nf.randn(2, 3, 5, 5)
    np.testing.assert_allclose(conv(x).detach().numpy(), x.numpy(), atol=1e-6)
    assert conv.weight.is_leaf and conv.weight.requires_grad


@needs_torch
@pytest.mark.parametrize("shape", [(5, 8), (8, 5), (6, 6), (4, 2, 3, 3), (10, 3, 2)])
def test_orthogonal_gives_orthonormal_rows_or_columns_times_gain_like_pytorch(shape):
    for lib, fn in ((nf, init.orthogonal_), (torch, torch.nn.init.orthogonal_)):
        w = fn(lib.empty(*shape), gain=2.0).numpy().astype(np.float64).reshape(shape[0], -1) / 2.0
        rows, cols = w.shape
        gram = w @ w.T if rows <= cols else w.T @ w
        np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-5)
        assert w.shape == (shape[0], int(np.prod(shape[1:])))


def test_orthogonal_is_haar_distributed_so_its_entries_have_no_sign_bias():
    nf.manual_seed(0)
    diag = np.array([np.diag(init.orthogonal_(nf.empty(4, 4)).numpy()) for _ in range(400)])
    assert abs(diag.mean()) < 0.05  # without the sign fix, QR's Q has a positive-leaning diagonal
    assert diag.std() == pytest.approx(0.5, rel=0.1)  # entries of a Haar 4x4 have variance 1/4


def test_orthogonal_is_seeded_and_takes_a_generator():
    g = nf.Generator().manual_seed(1)
    a = init.orthogonal_(nf.empty(3, 7), generator=g).numpy().copy()
    b = init.orthogonal_(nf.empty(3, 7), generator=nf.Generator().manual_seed(1)).numpy()
    np.testing.assert_array_equal(a, b)
    nf.manual_seed(2)
    c = init.orthogonal_(nf.empty(3, 7)).numpy().copy()
    nf.manual_seed(2)
    np.testing.assert_array_equal(init.orthogonal_(nf.empty(3, 7)).numpy(), c)


@needs_torch
@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.5, 0.95])
def test_sparse_zeros_ceil_sparsity_rows_in_each_column_like_pytorch(sparsity):
    nf.manual_seed(0)
    torch.manual_seed(0)
    shape = (40, 300)
    for w in (init.sparse_(nf.empty(*shape), sparsity).numpy(), torch.nn.init.sparse_(torch.empty(*shape), sparsity)):
        w = np.asarray(w)
        assert ((w == 0).sum(axis=0) == math.ceil(sparsity * shape[0])).all()
        if sparsity < 0.9:
            assert w[w != 0].std() == pytest.approx(0.01, rel=0.05)
    w = init.sparse_(nf.empty(50, 400), 0.2, std=0.5).numpy()
    assert w[w != 0].std() == pytest.approx(0.5, rel=0.05)


@needs_torch
@pytest.mark.parametrize(
    "name,args",
    [
        ("dirac_", ((3, 3),)),
        ("dirac_", ((3, 3, 3, 3, 3, 3),)),
        ("orthogonal_", ((5,),)),
        ("sparse_", ((3, 4, 5), 0.1)),
        ("sparse_", ((5,), 0.1)),
        ("eye_", ((2, 2, 2),)),
    ],
)
def test_wrong_dimensions_raise_pytorchs_error(name, args):
    shape, rest = args[0], args[1:]
    with pytest.raises(ValueError) as theirs:
        getattr(torch.nn.init, name)(torch.empty(*shape), *rest)
    with pytest.raises(ValueError) as ours:
        getattr(init, name)(nf.empty(*shape), *rest)
    assert str(ours.value) == str(theirs.value)


@needs_torch
def test_dirac_groups_must_divide_the_output_channels_as_in_pytorch():
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        torch.nn.init.dirac_(torch.empty(5, 2, 3, 3), groups=2)
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        init.dirac_(nf.empty(5, 2, 3, 3), groups=2)


@needs_torch
def test_the_new_initialisers_record_no_graph_and_keep_dtype():
    for fn, args in ((init.orthogonal_, ()), (init.sparse_, (0.3,)), (init.eye_, ())):
        w = nf.nn.Parameter(nf.empty(4, 6, dtype=nf.float64))
        assert fn(w, *args) is w
        assert w.is_leaf and w.grad_fn is None and w.dtype == nf.float64
    assert init.orthogonal_(nf.empty(0, 3)).shape == (0, 3)


# -- the deprecated names without the trailing underscore -----------------------------------------

DEPRECATED = [
    ("uniform", (), {"a": -1.0, "b": 1.0}),
    ("normal", (), {"std": 0.5}),
    ("constant", (0.25,), {}),
    ("eye", (), {}),
    ("dirac", (), {}),
    ("xavier_uniform", (), {"gain": 2.0}),
    ("xavier_normal", (), {}),
    ("kaiming_uniform", (), {"mode": "fan_out"}),
    ("kaiming_normal", (), {"nonlinearity": "relu"}),
    ("orthogonal", (), {"gain": 1.5}),
    ("sparse", (0.5,), {}),
]


def _shape_for(name):
    return (6, 4, 3) if name == "dirac" else (6, 4)


@needs_torch
@pytest.mark.parametrize("name,args,kwargs", DEPRECATED, ids=[d[0] for d in DEPRECATED])
def test_deprecated_names_warn_as_pytorch_and_do_what_the_new_names_do(name, args, kwargs):
    shape = _shape_for(name)
    with pytest.warns(FutureWarning) as theirs:
        getattr(torch.nn.init, name)(torch.empty(*shape), *args, **kwargs)
    with pytest.warns(FutureWarning) as ours:
        nf.manual_seed(3)
        old = getattr(init, name)(nf.empty(*shape), *args, **kwargs).numpy().copy()
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert str(ours[0].message) == f"`nn.init.{name}` is now deprecated in favor of `nn.init.{name}_`."
    assert ours[0].filename == __file__  # the warning points at the caller
    nf.manual_seed(3)
    new = getattr(init, name + "_")(nf.empty(*shape), *args, **kwargs).numpy()
    np.testing.assert_array_equal(old, new)
    assert getattr(init, name).__name__ == name


@needs_torch
def test_the_set_of_deprecated_names_is_pytorchs():
    ours = {n for n in dir(init) if not n.startswith("_") and hasattr(init, n + "_")}
    theirs = {n for n in dir(torch.nn.init) if not n.startswith("_") and hasattr(torch.nn.init, n + "_")}
    assert ours == theirs == {d[0] for d in DEPRECATED}
