"""``nf.backends``: the switches PyTorch scripts set for their back ends
(``nf.backends.cudnn.benchmark = True``, ``nf.backends.cuda.matmul.allow_tf32 = True``) and
the questions they ask (``nf.backends.mps.is_available()``), answered for NumpyFlow.

NumpyFlow computes with numpy on the CPU and CuPy on a GPU; it uses neither cuDNN nor
Metal, and its float32 matmuls are always full float32.  The switches keep what is
assigned to them (checked as PyTorch checks them) so scripts run unchanged, and they
change nothing in how NumpyFlow computes.
"""

from . import cuda, cudnn, mps  # noqa: F401
