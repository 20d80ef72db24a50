"""A table of mistakes, each made with NumpyFlow and with PyTorch: a wrong shape, dtype,
device, dim, argument or out-of-range value given to a public function or layer.  NumpyFlow
must raise PyTorch's exception type, with a message that names the op or layer (``who``),
says what it got (``got``) and what it expected (``expected``)."""

from __future__ import annotations

import warnings

import pytest
from reference import needs_torch, torch

import numpyflow as nf


def _f(lib, *shape):
    return lib.ones(*shape)


def _i(lib, *shape):
    return lib.zeros(*shape, dtype=lib.int64)


# (case, who, got, expected, mistake(lib))
CASES = [
    # elementwise and broadcasting
    ("add shapes", "add", "(2, 3)", "equal sizes or 1", lambda L: _f(L, 2, 3) + _f(L, 4)),
    ("mul shapes", "mul", "(2, 3)", "equal sizes or 1", lambda L: _f(L, 2, 3) * _f(L, 2, 4)),
    ("where shapes", "where", "(3,)", "equal sizes or 1", lambda L: L.where(_f(L, 3) > 0, _f(L, 3), _f(L, 2))),
    ("maximum shapes", "maximum", "(5,)", "equal sizes or 1", lambda L: L.maximum(_f(L, 5), _f(L, 4))),
    # reductions and dims
    ("sum dim", "sum", "3", "[-2, 1]", lambda L: _f(L, 2, 3).sum(3)),
    ("mean dim", "mean", "-4", "[-2, 1]", lambda L: _f(L, 2, 3).mean(-4)),
    ("amax dim", "amax", "2", "[-2, 1]", lambda L: _f(L, 2, 3).amax(2)),
    ("softmax dim", "softmax", "2", "[-2, 1]", lambda L: _f(L, 2, 3).softmax(2)),
    ("cumsum dim", "cumsum", "5", "[-2, 1]", lambda L: _f(L, 2, 3).cumsum(5)),
    ("mean of ints", "mean", "int64", "floating point", lambda L: _i(L, 3).mean()),
    ("argmax dim", "argmax", "4", "[-2, 1]", lambda L: _f(L, 2, 3).argmax(4)),
    ("div rounding_mode", "div", "'typo'", "'trunc', or 'floor'", lambda L: L.div(_f(L, 3), 2, rounding_mode="typo")),
    ("pow int to negative int", "pow", "-1", "non-negative exponent", lambda L: _i(L, 3) ** -1),
    ("pow bool to negative int", "pow", "bool", "non-negative exponent", lambda L: L.pow(L.ones(2, dtype=L.bool), -2)),
    # shape ops
    ("reshape size", "reshape", "7", "input of size 6", lambda L: _f(L, 2, 3).reshape(7)),
    ("view size", "view", "5", "input of size 6", lambda L: _f(L, 2, 3).view(5, -1)),
    ("transpose dim", "transpose", "3", "[-2, 1]", lambda L: _f(L, 2, 3).transpose(0, 3)),
    ("permute dims", "permute", "2", "input has 2 dims", lambda L: _f(L, 2, 3).permute(0)),
    ("squeeze dim", "squeeze", "2", "[-2, 1]", lambda L: _f(L, 2, 3).squeeze(2)),
    ("unsqueeze dim", "unsqueeze", "4", "[-3, 2]", lambda L: _f(L, 2, 3).unsqueeze(4)),
    ("expand size", "expand", "[2, 3]", "existing size (2)", lambda L: _f(L, 2, 3).expand(4, 3)),
    ("cat shapes", "cat", "(2, 4)", "must match except in dimension 0", lambda L: L.cat([_f(L, 2, 3), _f(L, 2, 4)], 0)),
    ("cat dim", "cat", "2", "[-2, 1]", lambda L: L.cat([_f(L, 2, 3), _f(L, 2, 3)], 2)),
    ("stack shapes", "stack", "(3,)", "equal size", lambda L: L.stack([_f(L, 2), _f(L, 3)])),
    ("flatten dims", "flatten", "3", "[-2, 1]", lambda L: _f(L, 2, 3).flatten(0, 3)),
    ("chunk zero", "chunk", "0", "greater than 0", lambda L: _f(L, 4).chunk(0)),
    ("diagonal same dims", "diagonal", "dim1=0, dim2=0", "two different dims", lambda L: _f(L, 3, 3).diagonal(0, 0, 0)),
    (
        "diagonal same dims negative",
        "diagonal",
        "dim2=-1",
        "two different dims",
        lambda L: _f(L, 3, 3).diagonal(0, 1, -1),
    ),
    ("roll shifts without dims", "roll", "(1, 2)", "one dim per shift", lambda L: _f(L, 2, 3).roll(shifts=(1, 2))),
    ("roll shifts and dims", "roll", "dims=(0, 1)", "one shift per dim", lambda L: _f(L, 2, 3).roll(1, (0, 1))),
    ("roll no shifts", "roll", "empty", "shifts", lambda L: _f(L, 2, 3).roll(shifts=[], dims=0)),
    ("fliplr 1-d", "fliplr", "1-d", ">= 2-d", lambda L: L.fliplr(_f(L, 3))),
    ("flipud 0-d", "flipud", "0-d", ">= 1-d", lambda L: L.flipud(L.tensor(1.0))),
    # indexing
    ("index out of range", "index", "5", "with size 3", lambda L: _f(L, 3)[5]),
    ("too many indices", "index", "3", "1-dimensional", lambda L: _f(L, 3)[0, 0]),
    ("index tensor out of range", "index", "7", "with size 3", lambda L: _f(L, 3)[L.tensor([0, 7])]),
    ("mask shape", "boolean index", "2", "size of axis is 3", lambda L: _f(L, 3)[L.tensor([True, False])]),
    ("float index tensor", "indices", "float32", "long, int, byte or bool", lambda L: _f(L, 3)[L.tensor([0.0, 1.0])]),
    ("gather index dims", "gather", "2", "same number of dimensions", lambda L: _f(L, 2, 3).gather(1, _i(L, 2))),
    ("gather index out of range", "gather", "9", "with size 3", lambda L: _f(L, 2, 3).gather(1, L.full((2, 1), 9))),
    ("index_select dim", "index_select", "2", "[-2, 1]", lambda L: _f(L, 2, 3).index_select(2, _i(L, 1))),
    ("masked_fill mask dtype", "masked_fill", "int64", "boolean masks", lambda L: _f(L, 3).masked_fill(_i(L, 3), 0.0)),
    (
        "scatter reduce",
        "scatter",
        "'mean'",
        "add or multiply",
        lambda L: _f(L, 3).scatter(0, _i(L, 2), 1.0, reduce="mean"),
    ),
    # linear algebra
    ("matmul inner dims", "matmul", "(2, 3)", "must match", lambda L: L.matmul(_f(L, 2, 3), _f(L, 4, 5))),
    ("matmul scalar", "matmul", "0", "at least 1 dimension", lambda L: L.matmul(L.tensor(1.0), _f(L, 3))),
    ("mm dims", "mm", "3", "2-D matrices", lambda L: L.mm(_f(L, 2, 3), _f(L, 3))),
    ("matmul dtypes", "matmul", "float64", "same dtype", lambda L: L.matmul(_f(L, 2, 2), _f(L, 2, 2).double())),
    # functional
    (
        "linear in_features",
        "linear",
        "(2, 3)",
        "weight expects 5",
        lambda L: L.nn.functional.linear(_f(L, 2, 3), _f(L, 4, 5)),
    ),
    (
        "conv2d channels",
        "conv2d",
        "3",
        "weight expects 4",
        lambda L: L.nn.functional.conv2d(_f(L, 1, 3, 5, 5), _f(L, 2, 4, 3, 3)),
    ),
    (
        "conv2d input dims",
        "conv2d",
        "(3, 5)",
        "3-D (unbatched) or 4-D (batched)",
        lambda L: L.nn.functional.conv2d(_f(L, 3, 5), _f(L, 2, 3, 3, 3)),
    ),
    (
        "conv2d kernel too large",
        "conv2d",
        "5",
        "padded input (2x2)",
        lambda L: L.nn.functional.conv2d(_f(L, 1, 1, 2, 2), _f(L, 1, 1, 5, 5)),
    ),
    (
        "conv2d stride zero",
        "conv2d",
        "stride",
        "must be positive",
        lambda L: L.nn.functional.conv2d(_f(L, 1, 1, 5, 5), _f(L, 1, 1, 3, 3), stride=0),
    ),
    (
        "max_pool2d kernel too large",
        "max_pool2d",
        "5",
        "must fit within the padded input",
        lambda L: L.nn.functional.max_pool2d(_f(L, 1, 1, 2, 2), 5),
    ),
    (
        "max_pool2d padding",
        "max_pool2d",
        "pad",
        "at most half of the effective kernel size",
        lambda L: L.nn.functional.max_pool2d(_f(L, 1, 1, 4, 4), 2, padding=2),
    ),
    (
        "cross_entropy target range",
        "cross_entropy",
        "5",
        "[0, 3)",
        lambda L: L.nn.functional.cross_entropy(_f(L, 2, 3), L.tensor([0, 5])),
    ),
    (
        "cross_entropy batch",
        "cross_entropy",
        "3",
        "input batch_size (2)",
        lambda L: L.nn.functional.cross_entropy(_f(L, 2, 3), L.tensor([0, 1, 2])),
    ),
    (
        "cross_entropy float target shape",
        "cross_entropy",
        "[2, 4]",
        "input's shape [2, 3]",
        lambda L: L.nn.functional.cross_entropy(_f(L, 2, 3), _f(L, 2, 4)),
    ),
    (
        "nll_loss target dtype",
        "nll_loss",
        "Float",
        "integer type",
        lambda L: L.nn.functional.nll_loss(_f(L, 2, 3), _f(L, 2)),
    ),
    (
        "mse_loss shapes",
        "mse_loss",
        "(3, 3)",
        "equal sizes or 1",
        lambda L: L.nn.functional.mse_loss(_f(L, 2, 3), _f(L, 3, 3)),
    ),
    (
        "batch_norm channels",
        "batch_norm",
        "3",
        "should contain 3 elements",
        lambda L: L.nn.functional.batch_norm(_f(L, 2, 3, 4), _f(L, 4), _f(L, 4)),
    ),
    ("layer_norm shape", "layer_norm", "[5]", "[*, 5]", lambda L: L.nn.functional.layer_norm(_f(L, 2, 4), [5])),
    (
        "group_norm groups",
        "group_norm",
        "3",
        "divisible by num_groups",
        lambda L: L.nn.functional.group_norm(_f(L, 2, 4, 5), 3),
    ),
    ("embedding index", "embedding", "10", "4 rows", lambda L: L.nn.functional.embedding(L.tensor([10]), _f(L, 4, 2))),
    ("one_hot range", "one_hot", "3", "smaller than num_classes", lambda L: L.nn.functional.one_hot(L.tensor([3]), 3)),
    ("pad length", "pad", "3", "must be even", lambda L: L.nn.functional.pad(_f(L, 2, 2), (1, 1, 1))),
    (
        "pad reflect to empty",
        "pad",
        "(-2, -2)",
        "at least one of them > 0",
        lambda L: L.nn.functional.pad(_f(L, 1, 1, 4), (-2, -2), mode="reflect"),
    ),
    (
        "pad replicate to a negative size",
        "pad",
        "calculated output size -1",
        "at least 0",
        lambda L: L.nn.functional.pad(_f(L, 1, 1, 4, 4), (-2, -3, 1, 1), mode="replicate"),
    ),
    (
        "max_pool2d bool",
        "max_pool2d",
        "bool",
        "floating point or integer",
        lambda L: L.nn.functional.max_pool2d(L.ones(1, 1, 4, 4, dtype=L.bool), 2),
    ),
    (
        "avg_pool2d uint8",
        "avg_pool2d",
        "uint8",
        "floating point or int64",
        lambda L: L.nn.functional.avg_pool2d(L.ones(1, 1, 4, 4, dtype=L.uint8), 2),
    ),
    (
        "interpolate int64 bilinear",
        "interpolate",
        "int64",
        "floating-point input, or uint8",
        lambda L: L.nn.functional.interpolate(_i(L, 1, 1, 4, 4), scale_factor=2, mode="bilinear"),
    ),
    ("dropout p", "dropout", "1.5", "between 0 and 1", lambda L: L.nn.functional.dropout(_f(L, 3), 1.5)),
    # layers
    ("Linear input", "Linear", "(2, 3)", "weight expects 4", lambda L: L.nn.Linear(4, 2)(_f(L, 2, 3))),
    ("Conv2d channels", "Conv2d", "3", "weight expects 1", lambda L: L.nn.Conv2d(1, 2, 3)(_f(L, 1, 3, 5, 5))),
    ("Conv2d groups", "Conv2d", "in_channels=3", "divisible by groups", lambda L: L.nn.Conv2d(3, 4, 3, groups=2)),
    ("BatchNorm2d channels", "BatchNorm2d", "3", "layer expects 4", lambda L: L.nn.BatchNorm2d(4)(_f(L, 2, 3, 4, 4))),
    ("BatchNorm2d dims", "BatchNorm2d", "3D", "expected 4D", lambda L: L.nn.BatchNorm2d(4)(_f(L, 2, 4, 4))),
    ("BatchNorm1d dims", "BatchNorm1d", "4D", "expected 2D or 3D", lambda L: L.nn.BatchNorm1d(4)(_f(L, 2, 4, 4, 4))),
    ("LayerNorm shape", "layer_norm", "[3]", "[*, 3]", lambda L: L.nn.LayerNorm(3)(_f(L, 2, 4))),
    ("Embedding index", "Embedding", "7", "5 rows", lambda L: L.nn.Embedding(5, 2)(L.tensor([7]))),
    ("Embedding float index", "Embedding", "Float", "integer dtype", lambda L: L.nn.Embedding(5, 2)(_f(L, 2))),
    (
        "MaxPool2d input",
        "max_pool2d",
        "2x2",
        "must fit within the padded input",
        lambda L: L.nn.MaxPool2d(3)(_f(L, 1, 1, 2, 2)),
    ),
    ("Dropout p", "Dropout", "-0.1", "between 0 and 1", lambda L: L.nn.Dropout(-0.1)),
    (
        "CrossEntropyLoss target",
        "cross_entropy",
        "10",
        "[0, 3)",
        lambda L: L.nn.CrossEntropyLoss()(_f(L, 2, 3), L.tensor([10, 0])),
    ),
    ("Sequential index", "Sequential", "5", "-1 <= index < 1", lambda L: L.nn.Sequential(L.nn.ReLU())[5]),
    ("Flatten dims", "Flatten", "4", "[-2, 1]", lambda L: L.nn.Flatten(1, 4)(_f(L, 2, 3))),
    (
        "load_state_dict keys",
        "Linear",
        '"w"',
        "Missing key(s)",
        lambda L: L.nn.Linear(2, 2).load_state_dict({"w": _f(L, 2)}),
    ),
    (
        "load_state_dict shape",
        "weight",
        "(3, 2)",
        "(2, 2)",
        lambda L: L.nn.Linear(2, 2).load_state_dict({"weight": _f(L, 3, 2), "bias": _f(L, 2)}),
    ),
    # optimizers and schedulers
    ("SGD lr", "SGD", "-1", "lr >= 0", lambda L: L.optim.SGD([L.zeros(2, requires_grad=True)], lr=-1)),
    (
        "Adam betas",
        "Adam",
        "1.5",
        "0 <= beta < 1",
        lambda L: L.optim.Adam([L.zeros(2, requires_grad=True)], betas=(1.5, 0.9)),
    ),
    ("SGD empty", "SGD", "empty parameter list", "at least one tensor", lambda L: L.optim.SGD([], lr=0.1)),
    ("StepLR optimizer", "StepLR", "int", "expected the Optimizer", lambda L: L.optim.lr_scheduler.StepLR(3, 1)),
    # creation and tensors
    ("randint range", "randint", "5", "low < high", lambda L: L.randint(5, 3, (2,))),
    ("arange step", "arange", "step=0", "nonzero", lambda L: L.arange(0, 5, 0)),
    (
        "linspace bool",
        "linspace",
        "bool",
        "floating-point or integer dtype",
        lambda L: L.linspace(0, 1, 5, dtype=L.bool),
    ),
    (
        "logspace bool",
        "logspace",
        "bool",
        "floating-point or integer dtype",
        lambda L: L.logspace(0, 1, 5, dtype=L.bool),
    ),
    ("arange bool", "arange", "bool", "floating-point or integer dtype", lambda L: L.arange(3, dtype=L.bool)),
    ("linspace steps", "linspace", "steps=-1", "non-negative", lambda L: L.linspace(0, 1, -1)),
    ("zeros negative", "zeros", "-1", "sizes >= 0", lambda L: L.zeros(-1)),
    ("item of many", "item", "3 elements", "exactly one element", lambda L: _f(L, 3).item()),
    (
        "backward of non-scalar",
        "backward",
        "(3,)",
        "scalar outputs",
        lambda L: _f(L, 3).requires_grad_().mul(2).backward(),
    ),
    (
        "backward without grad",
        "backward",
        "does not require grad",
        "requires_grad=True",
        lambda L: _f(L, 3).sum().backward(),
    ),
    ("requires_grad on ints", "requires_grad", "int64", "floating point", lambda L: _i(L, 3).requires_grad_()),
    # devices
    ("device type", "device", "tpu0", "cpu, cuda", lambda L: L.ones(2, device="tpu0")),
    ("device string", "device", "cuda:x", "cuda:<index>", lambda L: L.ones(2, device="cuda:x")),
    ("device negative index", "device", "-1", "must not be negative", lambda L: L.device("cuda", -1)),
    ("device index type", "device", "str", "must be an int", lambda L: L.device("cpu", "a")),
    ("device of a float", "device", "float", "device string", lambda L: L.ones(2, device=3.5)),
    ("device index twice", "device", "index=1", "must not include an index", lambda L: L.device("cuda:0", 1)),
    ("to unknown device", "device", "gpu", "cpu, cuda", lambda L: L.ones(2).to("gpu")),
    ("numpy with grad", "numpy()", "requires grad", "detach()", lambda L: _f(L, 3).requires_grad_().numpy()),
]


def _outcome(lib, mistake):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # some mistakes warn before they fail
        try:
            mistake(lib)
        except Exception as e:  # noqa: BLE001 - the point is which one
            return e
    return None


@needs_torch
@pytest.mark.parametrize("case,who,got,expected,mistake", CASES, ids=[c[0] for c in CASES])
def test_the_mistake_raises_pytorchs_exception_type_naming_the_op_and_what_it_got(case, who, got, expected, mistake):
    theirs = _outcome(torch, mistake)
    assert theirs is not None, f"{case}: PyTorch accepts this, so it is not a mistake"
    ours = _outcome(nf, mistake)
    assert ours is not None, f"{case}: NumpyFlow accepted it; PyTorch raised {type(theirs).__name__}: {theirs}"
    assert type(ours) is type(theirs) or isinstance(ours, type(theirs)), (
        f"{case}: NumpyFlow raised {type(ours).__name__}: {ours}; PyTorch raised {type(theirs).__name__}: {theirs}"
    )
    message = str(ours)
    assert who.lower() in message.lower(), f"{case}: the message doesn't name {who!r}: {message}"
    assert got.lower() in message.lower(), f"{case}: the message doesn't say what it got ({got!r}): {message}"
    assert expected.lower() in message.lower(), (
        f"{case}: the message doesn't say what was expected ({expected!r}): {message}"
    )


def test_the_table_has_at_least_sixty_cases():
    assert len(CASES) >= 60


# A device that doesn't exist here.  PyTorch's CPU-only build raises AssertionError ("Torch not
# compiled with CUDA enabled"); its CUDA build on a machine without a GPU raises RuntimeError,
# which is the type NumpyFlow raises wherever CUDA is missing.  (who, mistake)
MISSING_DEVICE_CASES = [
    ("ones", lambda: nf.ones(2, device="cuda")),
    ("zeros_like", lambda: nf.zeros_like(nf.ones(2), device="cuda")),
    ("tensor", lambda: nf.tensor([1.0], device="cuda:1")),
    ("randn", lambda: nf.randn(2, device="cuda")),
    ("to", lambda: nf.ones(2).cuda()),
    ("to", lambda: nf.ones(2).to("cuda:0")),
    ("Linear.to", lambda: nf.nn.Linear(2, 2).to("cuda")),
    ("Conv2d.to", lambda: nf.nn.Conv2d(1, 2, 3).cuda()),
]


@pytest.mark.skipif(nf.cuda.is_available(), reason="CUDA is available here")
@pytest.mark.parametrize(
    "who,mistake", MISSING_DEVICE_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(MISSING_DEVICE_CASES)]
)
def test_a_missing_cuda_device_is_a_runtime_error_naming_the_caller_the_device_and_the_way_out(who, mistake):
    with pytest.raises(RuntimeError) as info:
        mistake()
    message = str(info.value)
    assert message.startswith(f"{who}: device cuda:"), message
    assert "is not available" in message and "device='cpu'" in message, message


@pytest.mark.skipif(nf.cuda.is_available(), reason="CUDA is available here")
@pytest.mark.parametrize(
    "sampler",
    [
        lambda: nf.rand(3, device="cuda"),
        lambda: nf.randint(5, (3,), device="cuda"),
        lambda: nf.randperm(4, device="cuda"),
        lambda: nf.normal(0.0, 1.0, (3,), device="cuda"),
        lambda: nf.normal(nf.zeros(3), 1.0, device="cuda"),
    ],
)
def test_a_sampler_asked_for_a_missing_device_draws_no_random_numbers(sampler):
    state = nf.random.get_rng_state()
    with pytest.raises(RuntimeError, match="is not available"):
        sampler()
    assert nf.random.get_rng_state() == state


@pytest.mark.skipif(not nf.cuda.is_available(), reason="needs a GPU (CuPy)")
def test_mixing_devices_names_the_op_and_both_devices():
    with pytest.raises(RuntimeError) as info:
        nf.ones(2, device="cuda") + nf.ones(2)
    message = str(info.value)
    assert message.startswith("add:") and "cpu and cuda:0" in message and "same device" in message, message
