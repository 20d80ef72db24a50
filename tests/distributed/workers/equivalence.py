"""DDP with SyncBatchNorm on k ranks x batch b against one process on batch k*b (float64,
1e-10); SyncBatchNorm's gradient against finite differences of the loss summed over
all ranks; unused parameters with and without ``find_unused_parameters``; different
models on different ranks."""

import numpy as np

import numpyflow as nf
import numpyflow.distributed as dist
from numpyflow.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
F = nf.nn.functional


def build():
    nf.manual_seed(0)
    nn = nf.nn
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 5 * 5, 3)
    ).double()


# -- k ranks x b == one process x k*b ----------------------------------------------------------
rng = np.random.default_rng(1)
b, steps = 3, 4
X = rng.standard_normal((steps, size * b, 2, 5, 5)) * 3 + 1
Y = rng.integers(0, 3, (steps, size * b))
model = DDP(nf.nn.SyncBatchNorm.convert_sync_batchnorm(build()))
opt = nf.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)
for s in range(steps):
    opt.zero_grad()
    mine = slice(rank * b, (rank + 1) * b)
    F.cross_entropy(model(nf.tensor(X[s, mine])), nf.tensor(Y[s, mine])).backward()
    opt.step()
alone = build()
opt = nf.optim.SGD(alone.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)
for s in range(steps):
    opt.zero_grad()
    F.cross_entropy(alone(nf.tensor(X[s])), nf.tensor(Y[s])).backward()
    opt.step()
ours, reference = model.module.state_dict(), alone.state_dict()
worst = max(float(np.abs(ours[k].numpy() - reference[k].numpy()).max()) for k in reference)
assert worst < 1e-10, worst
print(f"rank {rank}: {size} ranks x {b} = 1 x {size * b}, largest difference {worst:.1e}")

# -- SyncBatchNorm's gradient: finite differences of the loss of all ranks ---------------------
bn = nf.nn.SyncBatchNorm(3).double()
with nf.no_grad():
    bn.weight.copy_(nf.tensor([1.5, -0.5, 2.0], dtype=nf.float64))
    bn.bias.copy_(nf.tensor([0.1, 0.2, -0.3], dtype=nf.float64))
x = nf.tensor(np.random.default_rng(10 + rank).standard_normal((2, 3, 2)), requires_grad=True)
target = nf.tensor(np.random.default_rng(20 + rank).standard_normal((2, 3, 2)))


def global_loss():
    with nf.no_grad():
        local = ((bn(x) * target) ** 2).sum()
    total = nf.tensor([local.item()], dtype=nf.float64)
    dist.all_reduce(total)
    return total.item()


((bn(x) * target) ** 2).sum().backward()
analytic = {"x": x.grad.numpy().copy(), "weight": bn.weight.grad.numpy().copy(), "bias": bn.bias.grad.numpy().copy()}
for name in ("weight", "bias"):  # local sums; the data-parallel gradient is their sum over ranks
    total = nf.tensor(analytic[name])
    dist.all_reduce(total)
    analytic[name] = total.numpy()
eps = 1e-6
for owner in range(size):  # every rank perturbs, one element at a time, in turn
    for i in range(x.numel()):
        numeric = []
        for sign in (1, -1):
            with nf.no_grad():
                if rank == owner:
                    x.view(-1)[i] += sign * eps
                numeric.append(global_loss())
                if rank == owner:
                    x.view(-1)[i] -= sign * eps
        if rank == owner:
            derivative = (numeric[0] - numeric[1]) / (2 * eps)
            assert abs(derivative - analytic["x"].reshape(-1)[i]) < 1e-6, (i, derivative, analytic["x"].reshape(-1)[i])
for name in ("weight", "bias"):
    p = getattr(bn, name)
    for i in range(3):
        numeric = []
        for sign in (1, -1):
            with nf.no_grad():
                p[i] += sign * eps
                numeric.append(global_loss())
                p[i] -= sign * eps
        assert abs((numeric[0] - numeric[1]) / (2 * eps) - analytic[name][i]) < 1e-6, name
bn.eval()
running = bn.running_mean.numpy().copy()
dist.broadcast(nf.from_numpy(running), src=0)
assert np.array_equal(running, bn.running_mean.numpy()), "running statistics differ across ranks"
print(f"rank {rank}: SyncBatchNorm gradients match finite differences across ranks")


# -- unused parameters --------------------------------------------------------------------------
class Branches(nf.nn.Module):
    def __init__(self):
        super().__init__()
        nf.manual_seed(3)
        self.a = nf.nn.Linear(4, 2).double()
        self.b = nf.nn.Linear(4, 2).double()  # used on rank 0 only
        self.never = nf.nn.Linear(4, 2).double()

    def forward(self, x, use_b):
        return self.a(x) + (self.b(x) if use_b else 0)


data = nf.tensor(np.random.default_rng(30 + rank).standard_normal((5, 4)))
net = DDP(Branches(), find_unused_parameters=True)
net(data, rank == 0).sum().backward()
assert net.module.never.weight.grad is None, "a parameter no rank used got a gradient"
expected_b = np.random.default_rng(30).standard_normal((5, 4)).sum(0) / size  # rank 0 alone used b
assert np.allclose(net.module.b.weight.grad.numpy(), np.broadcast_to(expected_b, (2, 4))), "b's gradient"
try:
    strict = DDP(Branches())
    strict(data, True).sum().backward()
except RuntimeError as e:
    assert "find_unused_parameters=True" in str(e) and "never.weight" in str(e), e
else:
    raise AssertionError("an unused parameter without find_unused_parameters was not reported")

# -- every rank must build the same model ---------------------------------------------------------
try:
    DDP(nf.nn.Linear(3 + rank, 2))
except RuntimeError as e:
    assert "every process must build the same model" in str(e), e
else:
    raise AssertionError("different models on different ranks were not reported")
print(f"rank {rank}: ok")
