"""numpyflow/ops/linalg.py: each op against PyTorch, finite differences (first and second
derivatives) and float32 (cases in cases.py)."""

import numpy as np
import pytest
from cases import LINALG
from reference import needs_torch, torch
from runner import op_tests

import numpyflow as nf

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(LINALG)


@needs_torch
@pytest.mark.parametrize("dtype", ["int32", "uint8", "bool", "int64"])
@pytest.mark.parametrize(
    "equation, shapes",
    [
        ("ij->i", [(2, 3)]),
        ("ij->", [(2, 3)]),
        ("ij->ij", [(2, 3)]),
        ("ii->i", [(3, 3)]),
        ("ii->", [(3, 3)]),
        ("...j->...", [(2, 3)]),
        ("ij,jk->ik", [(2, 3), (3, 4)]),
    ],
)
def test_einsum_summing_out_an_index_of_one_operand_gives_sums_dtype_as_pytorch(dtype, equation, shapes):
    def run(L):
        ops = [L.arange(int(np.prod(s))).reshape(s).to(getattr(L, dtype)) for s in shapes]
        out = L.einsum(equation, *ops)
        return out.tolist(), str(out.dtype).split(".")[-1]

    if dtype == "bool" and len(shapes) > 1:
        pytest.skip("PyTorch has no bool matmul")
    assert run(nf) == run(torch)
