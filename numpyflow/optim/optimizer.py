"""``Optimizer``: the base class of the optimizers, with PyTorch's API.

It keeps the parameter groups (``param_groups``: dicts of parameters and options, where a
group's options override the defaults), the per-parameter ``state``, ``zero_grad``,
``add_param_group`` and ``state_dict`` / ``load_state_dict`` in PyTorch's format.

A step never half-applies. The built-in optimizers first compute, for every parameter, its
change and its new state into fresh arrays, and only then apply them all (:class:`_Commit`:
parameters are updated in place, state tensors take their new arrays), so an error anywhere
in a step (a gradient of the wrong shape, a floating-point error raised under
``np.errstate``, a failing closure) leaves parameters and state as they were.

The update rules are PyTorch's single-tensor ones, operation for operation, vectorised
over each parameter's raw array (``p._data``: the library layer's one reach below the
public Tensor API, for speed) without recording a graph, in the parameter's dtype: a
float32 parameter is updated in float32, with Python-float hyperparameters cast to
float32 as PyTorch casts them.
"""

from __future__ import annotations

from collections import defaultdict
from copy import deepcopy
from itertools import chain

import numpy as np

from .. import dtypes
from .._handles import RemovableHandle
from ..autograd.grad_mode import enable_grad, no_grad
from ..creation import as_tensor
from ..tensor import Tensor
from ._common import required, scalar_dtype  # noqa: F401  (required: PyTorch's torch.optim.optimizer.required)


def _typename(obj) -> str:
    t = type(obj)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


class _Commit:
    """The writes of one optimizer step, applied together after all are computed.

    ``add(p, delta, scale=None)`` updates a parameter in place, ``p = p * scale + delta``
    (the multiplication only with a scale): the parameter keeps its memory, so modules
    and views that share it see the new values. ``set(p, key, tensor, array)`` gives the
    state entry ``key`` of ``p`` its new array: an existing state tensor takes the values
    in place (the Tensor object stays the same, so references to it, e.g. from
    ``state_dict()``, see the new values), a missing entry becomes a new state tensor.
    Both are written with the public in-place ops, so version counters move as for any
    in-place change.

    Nothing is touched before :meth:`apply`, and ``apply`` does nothing that can fail on
    checked inputs (shapes, dtypes and writeability are checked before): the final
    ``p * scale + delta`` runs with numpy's floating-point errors ignored, so a step is
    applied whole or not at all.
    """

    __slots__ = ("optimizer", "adds", "swaps", "creates")

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.adds = []
        self.swaps = []
        self.creates = []

    def add(self, p: Tensor, delta, scale=None):
        self.adds.append((p, delta, scale))

    def set(self, p: Tensor, key, tensor, array):
        if isinstance(tensor, Tensor) and tensor._data.shape == array.shape:
            self.swaps.append((tensor, array))
        else:
            self.creates.append((p, key, array))

    def apply(self):
        with np.errstate(all="ignore"), no_grad():
            for p, delta, scale in self.adds:
                if scale is not None:
                    p.mul_(scale)
                p.add_(delta)
            for tensor, array in self.swaps:
                tensor.copy_(array)
        state = self.optimizer.state
        for p, key, array in self.creates:
            state[p][key] = as_tensor(array)


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of tensors, or of dicts (parameter groups) each with a
            ``"params"`` entry and options that override ``defaults`` for that group.
            ``(name, tensor)`` pairs record parameter names as in PyTorch.
        defaults: the default value of each option.

    Subclasses implement ``step(closure=None)``. The built-in ones implement
    :meth:`_update` instead and let :meth:`_step` run it for every parameter that has a
    gradient, applying the results only once all are computed.
    """

    #: State entries that have the parameter's shape (checked on load and on step).
    _param_shaped_state: tuple = ()

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self._step_pre_hooks: dict = {}
        self._step_post_hooks: dict = {}
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors "
                "or dicts, but got " + _typename(params)
            )
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError(
                f"{type(self).__name__}: optimizer got an empty parameter list; expected at least "
                "one tensor to optimize"
            )
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    # -- options -------------------------------------------------------------------------

    @classmethod
    def _check_options(cls, options: dict) -> None:
        """Raise for invalid option values; run on the defaults and on every group (subclasses
        check theirs, with PyTorch's messages)."""

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__dict__.setdefault("_step_pre_hooks", {})  # hooks are not part of the state
        self.__dict__.setdefault("_step_post_hooks", {})

    def __repr__(self):
        out = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            out += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    out += f"    {key}: {group[key]}\n"
        return out + ")"

    # -- parameter groups ----------------------------------------------------------------

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters (with its own options) to ``param_groups``."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but "
                "the ordering of tensors in sets will change between runs. Please use a "
                "list instead."
            )
        else:
            params = list(params)

        tensors, names = [], []
        for param in params:
            if isinstance(param, tuple) and len(param) == 2:
                names.append(param[0])
                param = param[1]
            tensors.append(param)
        if names and len(names) != len(tensors):
            raise ValueError("all optimizer params should be with/without names. Some param names are missing")

        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(param))
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        group = dict(param_group)
        group["params"] = tensors
        if names:
            group["param_names"] = names
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            group.setdefault(name, default)
        self._check_options(group)

        seen = {}
        for i, p in enumerate(tensors):
            if id(p) in seen:
                raise ValueError(
                    f"optimizer got a parameter group with a duplicate parameter (at "
                    f"positions {seen[id(p)]} and {i}); a parameter can be optimized "
                    "only once"
                )
            seen[id(p)] = i
        for gi, other in enumerate(self.param_groups):
            if ("param_names" in group) != ("param_names" in other):
                which = "with names" if "param_names" in group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {which} to the optimizer"
                )
            if any(id(p) in seen for p in other["params"]):
                raise ValueError(
                    f"some parameters appear in more than one parameter group (the new group and param group {gi})"
                )

        # Write back into the caller's dict as PyTorch does (it keeps a reference to it).
        param_group.clear()
        param_group.update(group)
        self.param_groups.append(param_group)

    # -- gradients -----------------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters: to None (default) or to zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    g = p.grad
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g.zero_()

    # -- the step ------------------------------------------------------------------------

    def step(self, closure=None):
        """Do one optimization step; ``closure`` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    def _update(self, group: dict, p: Tensor, grad, state: dict | None, commit: _Commit) -> None:
        """Compute the change of ``p`` and the new values of its state into fresh arrays
        and register them with ``commit`` (subclasses). ``grad`` is the gradient's array; ``state`` is
        the parameter's state dict, or None before its first step."""
        raise NotImplementedError

    def register_step_pre_hook(self, hook) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` before each ``step``; it may return new
        ``(args, kwargs)`` for the step.  A hook that raises leaves everything unchanged."""
        return RemovableHandle(self._step_pre_hooks, hook)

    def register_step_post_hook(self, hook) -> RemovableHandle:
        """Call ``hook(optimizer, args, kwargs)`` after each ``step`` is applied."""
        return RemovableHandle(self._step_post_hooks, hook)

    def _step(self, closure=None):
        """Run the pre-hooks and ``closure`` (with gradients enabled), compute all updates,
        then apply them, then run the post-hooks."""
        # as PyTorch: the step's own arguments, the optimizer first
        args, kwargs = (self,) + ((closure,) if closure is not None else ()), {}
        for hook in list(self._step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(
                        f"a step pre-hook must return None or a tuple (args, kwargs), but {hook!r} returned {result!r}"
                    )
                args, kwargs = result
        closure = args[1] if len(args) > 1 else kwargs.get("closure")
        loss = self._apply_step(closure)
        for hook in list(self._step_post_hooks.values()):
            hook(self, args, kwargs)
        return loss

    def _apply_step(self, closure):
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        commit = _Commit(self)
        with no_grad():
            for gi, group in enumerate(self.param_groups):
                for pi, p in enumerate(group["params"]):
                    if p.grad is None:
                        continue
                    grad = self._checked_grad(group, gi, pi, p)
                    state = self.state.get(p)
                    if state:
                        self._check_state(state, p, gi, pi)
                    self._update(group, p, grad, state, commit)
        commit.apply()
        return loss

    def _where(self, group, gi, pi) -> str:
        names = group.get("param_names")
        name = f" ({names[pi]!r})" if names else ""
        return f"parameter {pi}{name} of param group {gi}"

    def _checked_grad(self, group, gi, pi, p):
        name = type(self).__name__
        g = p.grad._data
        a = p._data
        if g.shape != a.shape:
            raise RuntimeError(
                f"{name}.step: the gradient of {self._where(group, gi, pi)} has shape "
                f"{tuple(g.shape)} but the parameter has shape {tuple(a.shape)}"
            )
        if g.dtype != a.dtype:
            raise RuntimeError(
                f"{name}.step: the gradient of {self._where(group, gi, pi)} has dtype "
                f"{dtypes.from_numpy(g.dtype)} but the parameter has dtype "
                f"{dtypes.from_numpy(a.dtype)}"
            )
        if a.dtype.kind not in "fc":
            raise RuntimeError(
                f"{name}.step: {self._where(group, gi, pi)} has dtype "
                f"{dtypes.from_numpy(a.dtype)}; only floating-point parameters can be "
                "optimized"
            )
        if not a.flags.writeable:
            raise RuntimeError(
                f"{name}.step: {self._where(group, gi, pi)} is read-only memory (an "
                "expanded or broadcast view); optimize a tensor that owns its values"
            )
        return g

    def _check_state(self, state, p, gi, pi):
        for key in self._param_shaped_state:
            t = state.get(key)
            if t is None:
                continue
            if not isinstance(t, Tensor) or t._data.shape != p._data.shape or t._data.dtype != p._data.dtype:
                what = (
                    f"shape {tuple(t._data.shape)} and dtype {t.dtype}"
                    if isinstance(t, Tensor)
                    else f"type {type(t).__name__}"
                )
                raise RuntimeError(
                    f"{type(self).__name__}.step: state {key!r} of "
                    f"{self._where(self.param_groups[gi], gi, pi)} has {what}, but the parameter "
                    f"has shape {tuple(p.shape)} and dtype {p.dtype}"
                )

    @staticmethod
    def _zero_step():
        """A new step counter: as in PyTorch a 0-d float array (float32, or float64 when
        that is the default dtype), so ``step`` in a state dict is a tensor."""
        return np.zeros((), scalar_dtype())

    @classmethod
    def _next_step(cls, state):
        """The step counter after this step: (its current Tensor or None, the new 0-d array)."""
        t = state.get("step") if state else None
        if isinstance(t, Tensor):
            new = t._data.copy()
        elif t is not None:  # a plain number (an old state dict)
            new = np.array(t, dtype=np.float32)
        else:
            new = cls._zero_step()
        new += 1
        return t, new

    # -- saving and loading --------------------------------------------------------------

    def state_dict(self) -> dict:
        """The optimizer's state in PyTorch's format.

        ``{'state': {id: {name: value}}, 'param_groups': [{option: value, 'params': [id]}]}``
        where the ids are the parameters' positions in the order of the groups. State
        tensors are referenced, not copied (as in PyTorch): save or clone the result before
        stepping again if it has to stay as it is.
        """
        mapping: dict[int, int] = {}
        start = 0

        def pack(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            mapping.update({id(p): i for i, p in enumerate(group["params"], start) if id(p) not in mapping})
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack(g) for g in self.param_groups]
        packed_state = {
            (mapping[id(k)] if isinstance(k, Tensor) else k): dict(v)
            for k, v in self.state.items()
            if not isinstance(k, Tensor) or id(k) in mapping
        }
        return {"state": packed_state, "param_groups": param_groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load a state from :meth:`state_dict` (copied: nothing is shared with ``state_dict``).

        Floating-point state tensors are cast to their parameter's dtype (except ``step``);
        arrays and other libraries' tensors (a PyTorch optimizer's state dict) become
        numpyflow Tensors. Everything is checked before anything changes.
        """
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError(
                "loaded state dict has a different number of parameter groups "
                f"({len(saved_groups)}) than the optimizer ({len(groups)})"
            )
        for i, (g, s) in enumerate(zip(groups, saved_groups)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the "
                    f"size of optimizer's group (param group {i}: {len(s['params'])} "
                    f"saved parameters, {len(g['params'])} in the optimizer)"
                )
        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups), chain.from_iterable(g["params"] for g in groups)
            )
        )
        where = {}
        for gi, g in enumerate(saved_groups):
            for pi, pid in enumerate(g["params"]):
                where[pid] = (gi, pi)

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = self._cast_state(param, v, *where[k])
            else:
                state[k] = deepcopy(v)

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            for name, default in self.defaults.items():
                if default is not required:
                    new_group.setdefault(name, default)
            self._check_options(new_group)
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})

    def _cast_state(self, param: Tensor, value, gi, pi):
        out = {key: self._cast_value(param, key, v) for key, v in value.items()}
        for key in self._param_shaped_state:
            t = out.get(key)
            if isinstance(t, Tensor) and t.shape != param.shape:
                raise ValueError(
                    f"loaded state dict has {key!r} of shape {tuple(t.shape)} for parameter {pi} "
                    f"of param group {gi}, which has shape {tuple(param.shape)}"
                )
        return out

    def _cast_value(self, param: Tensor, key, v):
        """A copy of the state value ``v`` (of entry ``key``) as PyTorch casts it on load:
        tensors (also inside lists, tuples and dicts, such as LBFGS's history) become
        numpyflow Tensors, floating ones in the parameter's dtype except ``step``."""
        if isinstance(v, (list, tuple)):
            return type(v)(self._cast_value(param, key, e) for e in v)
        if isinstance(v, dict):
            return {k: self._cast_value(param, k, e) for k, e in v.items()}
        if not isinstance(v, (Tensor, np.generic, int, float, complex, bool, str)) and hasattr(v, "__array__"):
            v = as_tensor(np.asarray(v))  # an array, or another library's tensor (PyTorch's)
        if not isinstance(v, Tensor):
            return deepcopy(v)
        with no_grad():
            t = v.detach()
            if key != "step" and param.is_floating_point() and t.is_floating_point():
                t = t.to(dtype=param.dtype, device=param.device)
            else:
                t = t.to(device=param.device)
            return as_tensor(t._data.copy())
