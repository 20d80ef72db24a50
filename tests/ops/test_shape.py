"""numpyflow/ops/shape.py: each op against PyTorch, finite differences (first and second
derivatives) and float32 (cases in cases.py)."""

from cases import SHAPE_OPS
from runner import op_tests

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(SHAPE_OPS)
