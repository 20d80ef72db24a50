"""numpyflow/ops/__init__.py: each op module's declarations (``__all__``, ``TENSOR_METHODS``)
become ``numpyflow.ops``/``numpyflow`` names, ``nn.functional`` names and Tensor methods,
each the op function itself, with no name claimed twice."""

import types

import pytest

import numpyflow as nf
import numpyflow.nn.functional as F
from numpyflow import ops

ALL_OP_MODULES = ops.TENSOR_OP_MODULES + ops.NN_OP_MODULES


@pytest.mark.parametrize("module", ALL_OP_MODULES, ids=lambda m: m.__name__)
def test_every_declared_name_is_a_function_of_its_module(module):
    exported = ops.declared(module, "__all__")
    assert exported, f"{module.__name__} declares no functions"
    for name in exported:
        assert callable(getattr(module, name)), name
    assert set(ops.declared(module, "TENSOR_METHODS")) <= set(exported)


def test_tensor_methods_are_the_op_functions():
    assert "exp" in ops.TENSOR_METHODS and "softmax" in ops.TENSOR_METHODS
    for name, op in ops.TENSOR_METHODS.items():
        assert getattr(nf.Tensor, name) is op, name
    x = nf.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.softmax(1).allclose(ops.softmax(x, 1)) and x.sum(0).tolist() == [4.0, 6.0]


def test_numpyflow_has_every_ops_name_and_no_submodule():
    for name in ops.__all__:
        assert getattr(nf, name) is getattr(ops, name), name
    for module in ALL_OP_MODULES:  # star-importing numpyflow.ops brings functions, not files
        assert getattr(nf, module.__name__.rsplit(".", 1)[1], None) is not module


def test_nn_functional_offers_each_nn_op_as_it_is():
    for module in ops.NN_OP_MODULES:
        for name in ops.declared(module, "__all__"):
            assert getattr(F, name) is getattr(module, name), f"nn.functional.{name} is not {module.__name__}'s"
    assert F.pad is ops.padding.pad and nf.pad is ops.shape.pad  # one name, two homes, as PyTorch
    assert set(F.__all__) >= {"relu", "linear", "interpolate", "normalize"}


def test_a_name_declared_by_two_modules_is_an_error():
    a, b = types.ModuleType("first"), types.ModuleType("second")
    for m in (a, b):
        m.__all__ = ["twice"]
        m.twice = lambda: None
    with pytest.raises(ImportError, match="'twice' is declared by both first and second"):
        ops.op_namespace(((a, b), "__all__"))
