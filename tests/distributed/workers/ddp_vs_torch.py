"""The same model, weights, data order and optimizer under PyTorch's DDP (gloo) and
NumpyFlow's (MPI) in every process of one job; each rank compares losses and weights.

    mpiexec -n K python ddp_vs_torch.py PORT DTYPE MODE

MODE: ``plain`` (BatchNorm, buffers broadcast from rank 0), ``no_sync`` (two
micro-batches accumulated under ``no_sync``, then one synchronized), ``syncbn``
(``SyncBatchNorm``; PyTorch's refuses CPU tensors, so its reference is PyTorch in one
process on the whole batch of all ranks, which SyncBatchNorm must equal)."""

import sys

import numpy as np
import torch
import torch.distributed as tdist

import numpyflow as nf
import numpyflow.distributed as dist
from numpyflow.utils.data import DistributedSampler

port, dtype_name, mode = sys.argv[1], sys.argv[2], sys.argv[3]
dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
tdist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=size)
torch.set_num_threads(1)
TOL = 1e-10 if dtype_name == "float64" else 2e-5
STEPS, BATCH = 4, 3


def build(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(4 * 4 * 4, 5),
    )


torch.manual_seed(0)
theirs = build(torch).to(getattr(torch, dtype_name))
ours = build(nf).to(getattr(nf, dtype_name))
ours.load_state_dict({k: nf.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
if mode == "syncbn":
    ours = nf.nn.SyncBatchNorm.convert_sync_batchnorm(ours)
else:
    theirs = torch.nn.parallel.DistributedDataParallel(theirs)
ours = nf.nn.parallel.DistributedDataParallel(ours, bucket_cap_mb=0.0005)

rng = np.random.default_rng(0)
images = rng.standard_normal((48, 1, 8, 8)).astype(dtype_name) * 2 + 0.5
labels = rng.integers(0, 5, 48)
ours_sampler = DistributedSampler(range(48), size, rank, shuffle=False)
theirs_sampler = torch.utils.data.distributed.DistributedSampler(range(48), size, rank, shuffle=False)
assert list(ours_sampler) == list(theirs_sampler)
shard = list(ours_sampler)
everyone = [list(DistributedSampler(range(48), size, r, shuffle=False)) for r in range(size)]

opt_t = torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
opt_o = nf.optim.SGD(ours.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
losses = []
for step in range(STEPS):
    k = 2 if mode == "no_sync" else 1
    micro = [shard[(k * step + m) * BATCH : (k * step + m + 1) * BATCH] for m in range(k)]
    step_losses = []
    for lib, model, opt in ((torch, theirs, opt_t), (nf, ours, opt_o)):
        opt.zero_grad()
        if mode == "syncbn" and lib is torch:  # one process, everyone's batch
            idx = sum((r[step * BATCH : (step + 1) * BATCH] for r in everyone), [])
            loss = lib.nn.functional.cross_entropy(model(lib.tensor(images[idx])), lib.tensor(labels[idx]))
            loss.backward()
            step_losses.append(loss.item())
            opt.step()
            continue
        for m, idx in enumerate(micro):
            x, y = lib.tensor(images[idx]), lib.tensor(labels[idx])
            if m < len(micro) - 1:
                with model.no_sync():
                    loss = lib.nn.functional.cross_entropy(model(x), y)
                    loss.backward()
            else:
                loss = lib.nn.functional.cross_entropy(model(x), y)
                loss.backward()
        if mode == "syncbn":  # the mean over all ranks of the local losses is the full batch's
            everyone_loss = nf.tensor([loss.item()], dtype=nf.float64)
            dist.all_reduce(everyone_loss, op=dist.ReduceOp.AVG)
            step_losses.append(everyone_loss.item())
        else:
            step_losses.append(loss.item())
        opt.step()
    losses.append(step_losses)

diff_loss = max(abs(a - b) for a, b in losses)
module_t = theirs.module if hasattr(theirs, "module") else theirs
state_t = module_t.state_dict()
state_o = ours.module.state_dict()
assert list(state_t) == list(state_o), (list(state_t), list(state_o))
diff_weights = max(
    float(np.abs(state_t[k].numpy().astype(np.float64) - state_o[k].numpy().astype(np.float64)).max())
    for k in state_t
    if state_t[k].dtype.is_floating_point
)
print(f"rank {rank} {mode} {dtype_name}: losses differ by {diff_loss:.2e}, weights by {diff_weights:.2e}")
assert diff_loss < TOL * 10 and diff_weights < TOL * 10, (diff_loss, diff_weights)
assert list(ours.state_dict())[0].startswith("module.")
