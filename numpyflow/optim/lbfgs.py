"""L-BFGS, with an optional strong-Wolfe line search."""

from __future__ import annotations

import numpy as np

from ..autograd.grad_mode import enable_grad, no_grad
from ..creation import as_tensor
from ..tensor import Tensor
from ._common import check_common, check_number
from .optimizer import Optimizer

# The algorithm works on flat arrays (every parameter's values, complex ones as real
# pairs, one after another). Where PyTorch's LBFGS holds a 0-d tensor (a dot product,
# ``H_diag``, ``ro``, the step length after a line search) this one holds a numpy scalar
# of the parameters' dtype, which mixes with Python numbers as a 0-d tensor does (the
# number takes the scalar's dtype), so every comparison and every rounding is PyTorch's.


def _dot(a, b):
    return np.dot(a, b)[()]


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimizer of the cubic through two points with their values and derivatives,
    clamped to ``bounds`` (PyTorch's ``_cubic_interpolate``, from minFunc's polyinterp)."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """A line search along ``d`` for a step ``t`` that meets the strong Wolfe conditions
    (PyTorch's ``_strong_wolfe``, from minFunc's lswolfe): returns the loss, the flat
    gradient and the step there, and the number of evaluations."""
    d_norm = np.abs(d).max()
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = _dot(g_new, d)

    # bracket an interval containing a point satisfying the Wolfe criteria
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break

        # interpolate
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))

        # next step
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1

    # reached the maximum number of iterations?
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # zoom phase: refine the bracket until a point satisfies the criteria
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:  # the bracket is too small
            break

        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])

        # A trial too close to an end of the bracket, twice in a row or outside it, moves
        # to 0.1 of the bracket's length from the nearest end.
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False

        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1

        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            # Armijo condition not satisfied or not lower than lowest point
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:  # Wolfe conditions satisfied
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:  # old high becomes new low
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos], bracket_gtd[high_pos] = bracket_g[low_pos], bracket_gtd[low_pos]
            # new point becomes new low
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new

    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


def _to_state(value):
    """A value of the algorithm as PyTorch keeps it in the state: arrays and numpy scalars
    as Tensors (lists element by element), Python numbers and None as they are."""
    if isinstance(value, list):
        return [_to_state(v) for v in value]
    if isinstance(value, (np.ndarray, np.generic)):
        return as_tensor(np.asarray(value))
    return value


def _from_state(value):
    """The inverse of :func:`_to_state`: Tensors as arrays (0-d ones as numpy scalars),
    without sharing memory with the state."""
    if isinstance(value, list):
        return [_from_state(v) for v in value]
    if isinstance(value, Tensor):
        a = value._data
        return a[()] if a.ndim == 0 else a.copy()
    return value


class LBFGS(Optimizer):
    r"""L-BFGS (limited-memory BFGS), as ``torch.optim.LBFGS``, after minFunc.

    One ``step(closure)`` runs up to ``max_iter`` iterations, each calling ``closure``
    (which re-evaluates the model, calls ``backward()`` and returns the loss) at least
    once: the search direction comes from the last ``history_size`` steps and gradient
    changes; the step length is ``lr`` (the first iteration ever scales it by
    ``min(1, 1 / sum |g|)``), or with ``line_search_fn="strong_wolfe"`` whatever a line
    search meeting the strong Wolfe conditions finds. The step stops early when the
    largest gradient entry is at most ``tolerance_grad``, or when the step, the
    directional derivative or the loss change by less than ``tolerance_change``.

    Args:
        params: tensors to optimize; one parameter group only, as in PyTorch (complex
            parameters are optimized as pairs of reals).
        lr: learning rate (default 1).
        max_iter: the most iterations per step (default 20).
        max_eval: the most closure evaluations per step (default ``max_iter * 5 // 4``).
        tolerance_grad: first-order optimality tolerance (default 1e-7).
        tolerance_change: tolerance on changes of the loss and the parameters
            (default 1e-9).
        history_size: how many updates are remembered (default 100).
        line_search_fn: None or ``"strong_wolfe"``.

    ``step(closure)`` returns the loss of the first closure call, as PyTorch's does. The
    state is PyTorch's, kept with the first parameter: ``func_evals``, ``n_iter``, ``d``,
    ``t``, ``old_dirs``, ``old_stps``, ``ro``, ``H_diag``, ``prev_flat_grad``,
    ``prev_loss`` and ``al``.

    A step that fails (a closure that raises, a gradient of the wrong shape) leaves the
    state as it was and puts the parameters' values back; their version counters have
    moved when the failure came after the first evaluation, since L-BFGS has to move
    them to evaluate the closure elsewhere.
    """

    def __init__(
        self,
        params,
        lr=1,
        max_iter=20,
        max_eval=None,
        tolerance_grad=1e-7,
        tolerance_change=1e-9,
        history_size=100,
        line_search_fn=None,
    ):
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        self._check_options(defaults)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    @classmethod
    def _check_options(cls, o):
        check_common(cls.__name__, o)
        for key in ("max_iter", "max_eval", "tolerance_grad", "tolerance_change", "history_size"):
            check_number(cls.__name__, key, o[key])

    def __setstate__(self, state):
        super().__setstate__(state)
        self.__dict__["_params"] = self.param_groups[0]["params"]

    def step(self, closure):
        """Do one optimization step (up to ``max_iter`` iterations); ``closure`` re-evaluates
        the model, calls ``backward()`` and returns the loss. Returns the first loss."""
        return self._step(closure)

    # -- flat views of the parameters ------------------------------------------------------

    def _numel(self):
        """The length of the flat vectors: every parameter's size, complex ones twice."""
        return sum(p._data.size * (2 if p._data.dtype.kind == "c" else 1) for p in self._params)

    def _gather_flat_grad(self):
        group = self.param_groups[0]
        views = []
        for pi, p in enumerate(self._params):
            if p.grad is None:
                view = np.zeros(p.numel(), p._data.dtype)
            else:
                view = self._checked_grad(group, 0, pi, p).reshape(-1)
            if view.dtype.kind == "c":
                view = np.ascontiguousarray(view).view(view.real.dtype)
            views.append(view)
        return np.concatenate(views)

    def _add_grad(self, step_size, update):
        """``p += step_size * update`` for every parameter's slice of the flat ``update``."""
        offset = 0
        for p in self._params:
            a = p._data
            complex_ = a.dtype.kind == "c"
            real = a.real.dtype if complex_ else a.dtype
            n = a.size * (2 if complex_ else 1)
            delta = np.multiply(update[offset : offset + n], real.type(step_size))
            if complex_:
                delta = delta.view(a.dtype)
            p.add_(delta.reshape(a.shape))
            offset += n
        self._moved = True

    def _set_param(self, values):
        for p, v in zip(self._params, values):
            p.copy_(v)

    def _directional_evaluate(self, closure, x, t, d):
        self._add_grad(t, d)
        with enable_grad():
            loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # -- the step ----------------------------------------------------------------------------

    def _apply_step(self, closure):
        if closure is None:
            raise TypeError("LBFGS.step() missing 1 required positional argument: 'closure'")
        if len(self.param_groups) != 1:  # a group added after construction; PyTorch's error type
            raise AssertionError(
                f"LBFGS: expected exactly one param_group, but got {len(self.param_groups)}; "
                "LBFGS doesn't support per-parameter options (parameter groups)"
            )
        group = self.param_groups[0]
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise RuntimeError(
                f"LBFGS: only 'strong_wolfe' is supported, but line_search_fn is {group['line_search_fn']!r}"
            )
        first = self._params[0]
        x0 = [p._data.copy() for p in self._params]
        self._moved = False
        try:
            with no_grad():
                orig_loss, new_state = self._run(closure, group, self.state.get(first) or {})
        except BaseException:
            if self._moved:  # put the parameters back where the step started
                with no_grad():
                    self._set_param(x0)
            raise
        state = self.state[first]
        state.clear()
        state.update(new_state)
        return orig_loss

    def _run(self, closure, group, old_state):
        """The iterations of one step on arrays: returns the first loss and the new state
        (the optimizer's state is not touched)."""
        lr = group["lr"]
        if isinstance(lr, Tensor):  # a tensor learning rate acts as a 0-d tensor, as in PyTorch
            lr = lr._data.reshape(())[()]
        max_iter = group["max_iter"]
        max_eval = group["max_eval"]
        tolerance_grad = group["tolerance_grad"]
        tolerance_change = group["tolerance_change"]
        line_search_fn = group["line_search_fn"]
        history_size = group["history_size"]

        state = {k: _from_state(v) for k, v in old_state.items()}
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        self._check_history(state)

        # evaluate the initial f(x) and df/dx
        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1

        flat_grad = self._gather_flat_grad()
        opt_cond = np.abs(flat_grad).max() <= tolerance_grad
        if opt_cond:  # already optimal
            return orig_loss, {k: _to_state(v) for k, v in state.items()}

        d = state.get("d")
        t = state.get("t")
        old_dirs = state.get("old_dirs")
        old_stps = state.get("old_stps")
        ro = state.get("ro")
        H_diag = state.get("H_diag")
        prev_flat_grad = state.get("prev_flat_grad")
        prev_loss = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # the descent direction
            if state["n_iter"] == 1:
                d = np.negative(flat_grad)
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                # update the memory
                y = np.subtract(flat_grad, prev_flat_grad)
                s = np.multiply(d, flat_grad.dtype.type(t))
                ys = _dot(y, s)
                if ys > 1e-10:
                    if len(old_dirs) == history_size:  # forget the oldest update
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / _dot(y, y)  # the scale of the initial inverse Hessian

                # the L-BFGS two-loop recursion: the inverse Hessian times the gradient
                num_old = len(old_dirs)
                if "al" not in state:
                    state["al"] = [None] * history_size
                al = state["al"]
                q = np.negative(flat_grad)
                for i in range(num_old - 1, -1, -1):
                    al[i] = _dot(old_stps[i], q) * ro[i]
                    q += old_dirs[i] * q.dtype.type(-al[i])
                d = r = np.multiply(q, q.dtype.type(H_diag))
                for i in range(num_old):
                    be_i = _dot(old_dirs[i], r) * ro[i]
                    r += old_stps[i] * r.dtype.type(al[i] - be_i)

            prev_flat_grad = flat_grad.copy()
            prev_loss = loss

            # the step length
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr
            else:
                t = lr

            gtd = _dot(flat_grad, d)  # the directional derivative
            if gtd > -tolerance_change:
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                x_init = [p._data.copy() for p in self._params]

                def obj_func(x, t, d):
                    return self._directional_evaluate(closure, x, t, d)

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals
                )
                self._add_grad(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                # a fixed step; the loss is evaluated again unless this is the last iteration
                self._add_grad(t, d)
                if n_iter != max_iter:
                    with enable_grad():
                        loss = float(closure())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1

            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            # the stopping conditions
            if n_iter == max_iter:
                break
            if current_evals >= max_eval:
                break
            if opt_cond:
                break
            if np.abs(np.multiply(d, d.dtype.type(t))).max() <= tolerance_change:  # no progress
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state["d"] = d
        state["t"] = t
        state["old_dirs"] = old_dirs
        state["old_stps"] = old_stps
        state["ro"] = ro
        state["H_diag"] = H_diag
        state["prev_flat_grad"] = prev_flat_grad
        state["prev_loss"] = prev_loss
        return orig_loss, {k: _to_state(v) for k, v in state.items()}

    def _check_history(self, state):
        """The flat state vectors must fit the parameters (a state dict of another model)."""
        n = self._numel()
        vectors = [
            state.get("d"),
            state.get("prev_flat_grad"),
            *(state.get("old_dirs") or ()),
            *(state.get("old_stps") or ()),
        ]
        for v in vectors:
            if isinstance(v, np.ndarray) and v.shape != (n,):
                raise RuntimeError(
                    f"LBFGS.step: the state holds flat vectors of shape {v.shape}, but the parameters have {n} "
                    "values in all; load a state dict saved for these parameters"
                )


__all__ = ["LBFGS"]
