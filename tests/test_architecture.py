"""The layer rules of the design guide, checked on the source: who imports whom, who reads
the grad mode, who moves a version counter, and who reaches into another module's
private names."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "numpyflow"
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _imports(path: Path):
    """``(imported module, [names], line)`` for every import in ``path``, relative ones
    resolved to absolute module names."""
    tree = ast.parse(path.read_text(), str(path))
    here = _module_name(path).split(".")
    package = here if _is_package(path) else here[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield module, [a.name for a in node.names], node.lineno


def _targets(module: str, names):
    """The modules an import statement reaches: ``from numpyflow import ops`` reaches
    ``numpyflow.ops``."""
    found = [module]
    for name in names:
        candidate = f"{module}.{name}"
        if (PACKAGE.parent / Path(*candidate.split("."))).with_suffix(".py").exists() or (
            PACKAGE.parent / Path(*candidate.split(".")) / "__init__.py"
        ).exists():
            found.append(candidate)
    return found


def _files(*relative):
    out = []
    for r in relative:
        p = PACKAGE / r
        out.extend(sorted(p.rglob("*.py")) if p.is_dir() else [p])
    return out


HIGHER_THAN_AUTOGRAD = (
    "numpyflow.ops",
    "numpyflow.nn",
    "numpyflow.optim",
    "numpyflow.utils",
    "numpyflow.vision",
    "numpyflow.cli",
    "numpyflow.serialization",
    "numpyflow.profiler",
)
THE_KNOT = "tensor.py"  # Tensor's methods call ops: bound once, at the end of tensor.py


@pytest.mark.parametrize(
    "path",
    _files(
        "autograd",
        "creation.py",
        "tensor.py",
        "backend.py",
        "dtypes.py",
        "random.py",
        "_args.py",
        "parallel.py",
        "cuda.py",
        "accelerator.py",
        "backends",
    ),
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_autograd_core_and_below_import_nothing_from_ops_or_the_library(path):
    for module, names, line in _imports(path):
        for target in _targets(module, names):
            if path.name == THE_KNOT and target.startswith("numpyflow.ops"):
                continue
            assert not target.startswith(HIGHER_THAN_AUTOGRAD), f"{path.name}:{line} imports {target}"


@pytest.mark.parametrize("path", _files("ops"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_ops_import_nothing_from_the_library_layer(path):
    for module, names, line in _imports(path):
        for target in _targets(module, names):
            assert not target.startswith(HIGHER_THAN_AUTOGRAD[1:]), f"{path.name}:{line} imports {target}"


@pytest.mark.parametrize(
    "path", _files("nn", "optim", "utils", "vision", "serialization.py"), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_the_library_layer_imports_nothing_from_the_apps(path):
    for module, _names, line in _imports(path):
        assert not module.startswith("numpyflow.cli"), f"{path.name}:{line} imports {module}"


@pytest.mark.parametrize("path", _files("ops"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_op_reads_the_grad_mode(path):
    source = path.read_text()
    assert "grad_mode" not in source and "is_grad_enabled" not in source, path.name


@pytest.mark.parametrize(
    "path", [p for p in MODULES if p.name != "tensor.py"], ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_only_tensor_py_moves_a_version_counter(path):
    assert not re.search(r"_vc_?\.value\s*(\+=|=)", path.read_text()), path.name


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_another_modules_private_names(path):
    for module, names, line in _imports(path):
        if not module.startswith("numpyflow"):
            continue
        private = [
            n for n in names if n.startswith("_") and not n.startswith("__") and len(_targets(module, [n])) == 1
        ]  # a private module itself is fine
        assert not private, f"{path.name}:{line} imports {private} from {module}"


def test_profiler_and_anomaly_mode_watch_ops_through_the_function_hook_list():
    import numpyflow as nf
    from numpyflow.autograd import function_hooks

    assert not function_hooks.hooks
    with nf.profiler.profile():
        assert len(function_hooks.hooks) == 1
        with nf.autograd.detect_anomaly():
            assert len(function_hooks.hooks) == 2
        assert len(function_hooks.hooks) == 1
    assert not function_hooks.hooks
