"""``python -m numpyflow train`` whose rank 1 raises at its ``FAIL_AT``-th step."""

import os
import sys

from numpyflow.cli import train

real_step, steps = train.train_step, [0]


def failing_step(training, x, y):
    steps[0] += 1
    if training.world.rank == 1 and steps[0] == int(os.environ["FAIL_AT"]):
        raise RuntimeError("an error in rank 1's training step")
    return real_step(training, x, y)


train.train_step = failing_step
sys.exit(train.main(sys.argv[1:]))
