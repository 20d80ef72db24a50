"""numpyflow/ops/lp_pool.py: lp_pool1d/2d/3d against PyTorch, finite differences, float32."""

from cases import Case
from runner import op_tests


def F(L):
    return L.nn.functional


CASES = [
    Case(
        "lp_pool1d_p2", lambda L, x: F(L).lp_pool1d(x, 2, 3), [((2, 2, 7),)], values="pos", grad_shapes=[((1, 2, 6),)]
    ),
    Case(
        "lp_pool1d_p3_stride_ceil",
        lambda L, x: F(L).lp_pool1d(x, 3.0, 2, stride=1, ceil_mode=True),
        [((2, 5),)],
        values="pos",
    ),
    Case("lp_pool2d_p2", lambda L, x: F(L).lp_pool2d(x, 2, 2), [((1, 2, 4, 4),)], values="pos"),
    Case(
        "lp_pool2d_p1_5_rect",
        lambda L, x: F(L).lp_pool2d(x, 1.5, (2, 3), stride=(1, 2)),
        [((1, 2, 3, 5),)],
        values="pos",
    ),
    Case("lp_pool3d_p2", lambda L, x: F(L).lp_pool3d(x, 2, 2), [((1, 1, 2, 4, 4),)], values="pos"),
    Case("lp_pool2d_p2_signed", lambda L, x: F(L).lp_pool2d(x, 2, 2), [((1, 1, 4, 4),)], values="away"),
]

test_matches_pytorch, test_gradcheck, test_gradgradcheck, test_float32_stays_float32 = op_tests(CASES)
