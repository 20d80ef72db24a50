"""MkDocs hook: writes the API reference pages from the modules' public names.

Each page lists every public name of one namespace (its ``__all__`` where it declares one,
else its names without a leading underscore that are not modules), grouped by the module
that defines the object, as one mkdocstrings ``:::`` block each. A name added to a namespace
appears in the reference at the next build, with no page to edit.
"""

from __future__ import annotations

import importlib
import inspect
import types

from mkdocs.structure.files import File

# (page, namespace, title, introduction, [(module prefix, section title), ...]): the first
# prefix that an object's defining module starts with names its section (a prefix ending in
# "$" matches that module alone); the rest go to "Other".
PAGES = [
    (
        "api/numpyflow.md",
        "numpyflow",
        "numpyflow",
        "The top-level namespace, `import numpyflow as nf`: tensors, their creation, the ops as "
        "functions (each also a `Tensor` method where PyTorch has one), grad modes, random "
        "numbers, saving and loading. The `Tensor` class and its methods have [a page of their own](tensor.md).",
        [
            ("numpyflow.tensor", "Tensor types"),
            ("numpyflow.dtypes", "Data types"),
            ("numpyflow.backend", "Data types"),
            ("numpyflow.autograd", "Autograd"),
            ("numpyflow.creation", "Creating tensors"),
            ("numpyflow.random", "Random numbers"),
            ("numpyflow.ops.elementwise", "Elementwise math"),
            ("numpyflow.ops.pointwise", "Elementwise math"),
            ("numpyflow.ops.trigonometric", "Elementwise math"),
            ("numpyflow.ops.special", "Elementwise math"),
            ("numpyflow.ops.bitwise_shift", "Elementwise math"),
            ("numpyflow.ops.activation", "Elementwise math"),
            ("numpyflow.ops.reduction", "Reductions"),
            ("numpyflow.ops.statistics", "Reductions"),
            ("numpyflow.ops.scan", "Reductions"),
            ("numpyflow.ops.sorting", "Sorting and selection"),
            ("numpyflow.ops.shape", "Shape and views"),
            ("numpyflow.ops.reshaping", "Shape and views"),
            ("numpyflow.ops.construction", "Shape and views"),
            ("numpyflow.ops.indexing", "Indexing and scattering"),
            ("numpyflow.ops.scatter_reduction", "Indexing and scattering"),
            ("numpyflow.ops.linalg", "Linear algebra"),
            ("numpyflow.ops.blas", "Linear algebra"),
            ("numpyflow.ops.linalg_legacy", "Linear algebra"),
            ("numpyflow.serialization", "Saving and loading"),
            ("numpyflow.parallel", "Threads and precision"),
            ("numpyflow.backends", "Threads and precision"),
            ("numpyflow$", "Tensor types"),
        ],
    ),
    (
        "api/autograd.md",
        "numpyflow.autograd",
        "numpyflow.autograd",
        "Writing ops (`Function`), computing gradients (`backward`, `grad`), checking them "
        "(`gradcheck`, `gradgradcheck`), grad modes, anomaly detection and function hooks.",
        [
            ("numpyflow.autograd.function_hooks", "Function hooks"),
            ("numpyflow.autograd.function", "Writing an op"),
            ("numpyflow.autograd.gradcheck", "Checking gradients"),
            ("numpyflow.autograd.engine", "Computing gradients"),
            ("numpyflow.autograd.grad_mode", "Grad modes"),
            ("numpyflow.autograd.anomaly_mode", "Anomaly detection"),
            ("numpyflow.autograd$", "Computing gradients"),
        ],
    ),
    (
        "api/nn.md",
        "numpyflow.nn",
        "numpyflow.nn",
        "Layers as PyTorch's `torch.nn`: `Module` and its containers, then the layers by kind. "
        "The functions behind them are in [`nn.functional`](nn.functional.md).",
        [
            ("numpyflow.nn.module", "Modules and parameters"),
            ("numpyflow.nn.parameter", "Modules and parameters"),
            ("numpyflow.nn.containers", "Containers"),
            ("numpyflow.nn.conv", "Convolution"),
            ("numpyflow.nn.fold", "Convolution"),
            ("numpyflow.nn.pooling", "Pooling"),
            ("numpyflow.nn.lp_pool", "Pooling"),
            ("numpyflow.nn.padding", "Padding"),
            ("numpyflow.nn.norm", "Normalization"),
            ("numpyflow.nn.instance_norm", "Normalization"),
            ("numpyflow.nn.sync_batchnorm", "Normalization"),
            ("numpyflow.nn.activation", "Activations"),
            ("numpyflow.nn.linear", "Linear, embedding and dropout"),
            ("numpyflow.nn.embedding", "Linear, embedding and dropout"),
            ("numpyflow.nn.sparse", "Linear, embedding and dropout"),
            ("numpyflow.nn.dropout", "Linear, embedding and dropout"),
            ("numpyflow.nn.rnn", "Recurrent layers"),
            ("numpyflow.nn.attention", "Attention and transformers"),
            ("numpyflow.nn.transformer", "Attention and transformers"),
            ("numpyflow.nn.loss", "Losses"),
            ("numpyflow.nn.margin", "Losses"),
            ("numpyflow.nn.distance", "Distances"),
            ("numpyflow.nn.flatten", "Reshaping and resampling"),
            ("numpyflow.nn.channel_shuffle", "Reshaping and resampling"),
            ("numpyflow.nn.pixel_shuffle", "Reshaping and resampling"),
            ("numpyflow.nn.upsampling", "Reshaping and resampling"),
            ("numpyflow.nn.parallel", "Parallelism"),
        ],
    ),
    (
        "api/nn.functional.md",
        "numpyflow.nn.functional",
        "numpyflow.nn.functional",
        "The functional form of the layers, `import numpyflow.nn.functional as F`.",
        [],
    ),
    (
        "api/optim.md",
        "numpyflow.optim",
        "numpyflow.optim",
        "Optimizers, each compared step by step with PyTorch's. Learning-rate schedules: "
        "[`optim.lr_scheduler`](optim.lr_scheduler.md).",
        [],
    ),
    (
        "api/optim.lr_scheduler.md",
        "numpyflow.optim.lr_scheduler",
        "numpyflow.optim.lr_scheduler",
        "Learning-rate schedules, stepped once an epoch (or once a batch for `OneCycleLR`).",
        [],
    ),
    (
        "api/utils.data.md",
        "numpyflow.utils.data",
        "numpyflow.utils.data",
        "Data sets, samplers and the `DataLoader`, as PyTorch's `torch.utils.data`.",
        [],
    ),
    (
        "api/vision.md",
        "numpyflow.vision",
        "numpyflow.vision",
        "Data sets, transforms, models and image utilities, as torchvision's.",
        [],
    ),
]

# Namespaces whose public names are shown on the page of a parent (vision's submodules).
SUBNAMESPACES = {
    "numpyflow.vision": [
        ("numpyflow.vision.datasets", "Data sets (`vision.datasets`)"),
        ("numpyflow.vision.transforms", "Transforms (`vision.transforms`)"),
        ("numpyflow.vision.models", "Models (`vision.models`)"),
        ("numpyflow.vision.utils", "Image utilities (`vision.utils`)"),
    ],
}


def public_names(module) -> list[str]:
    """The namespace's public names: ``__all__``, else what has no leading underscore,
    less modules, ``from __future__`` features and objects from outside numpyflow."""
    declared = getattr(module, "__all__", None)
    if declared is not None:
        return sorted(declared)
    names = []
    for name in dir(module):
        if name.startswith("_"):
            continue
        obj = getattr(module, name)
        if isinstance(obj, types.ModuleType):
            continue
        origin = getattr(obj, "__module__", None) if (inspect.isclass(obj) or callable(obj)) else None
        if origin is not None and not origin.startswith("numpyflow"):
            continue
        if origin is None and not _is_dtype(obj):
            continue
        names.append(name)
    return sorted(names)


def _is_dtype(obj) -> bool:
    import numpyflow

    return isinstance(obj, numpyflow.dtype)


def _section(obj, groups) -> str:
    origin = getattr(obj, "__module__", "") or ""
    for prefix, title in groups:
        if origin == prefix[:-1] if prefix.endswith("$") else origin.startswith(prefix):
            return title
    return "Other"


def _blocks(namespace: str, groups) -> str:
    module = importlib.import_module(namespace)
    sections: dict[str, list[str]] = {title: [] for _, title in groups}
    dtypes = []
    for name in public_names(module):
        obj = getattr(module, name)
        if _is_dtype(obj):
            dtypes.append((name, obj))
            continue
        sections.setdefault(_section(obj, groups), []).append(name)
    out = []
    for title, names in sections.items():
        if title == "Data types" and dtypes:
            out.append(f"## {title}\n")
            out.append("| name | dtype | bytes | floating point |\n|---|---|---|---|\n")
            for name, d in dtypes:
                out.append(f"| `nf.{name}` | `{d}` | {d.itemsize} | {'yes' if d.is_floating_point else 'no'} |\n")
            out.append("\n")
        if not names:
            continue
        if groups:
            out.append(f"## {title}\n\n")
        for name in names:
            out.append(f"::: {namespace}.{name}\n\n")
    return "".join(out)


def page_text(namespace: str, title: str, intro: str, groups) -> str:
    text = [f"# {title}\n\n{intro}\n\n"]
    if namespace in SUBNAMESPACES:
        for sub, subtitle in SUBNAMESPACES[namespace]:
            module = importlib.import_module(sub)
            text.append(f"## {subtitle}\n\n")
            for name in public_names(module):
                text.append(f"::: {sub}.{name}\n\n")
        module = importlib.import_module(namespace)
        own = [n for n in public_names(module)]
        if own:
            text.append("## Image backend\n\n")
            text.extend(f"::: {namespace}.{n}\n\n" for n in own)
        return "".join(text)
    text.append(_blocks(namespace, groups))
    return "".join(text)


TENSOR_PAGE = """# Tensor

`numpyflow.Tensor`: an n-dimensional array (numpy, or CuPy on a GPU) with a dtype, a
device and, when it requires grad, a place in the autograd graph. Most methods are also
functions of [`numpyflow`](numpyflow.md) (`x.exp()` is `nf.exp(x)`); in-place variants end
in `_`.

::: numpyflow.Tensor
    options:
      show_if_no_docstring: false
      heading_level: 2

::: numpyflow.Size
    options:
      heading_level: 2
"""


def on_files(files, config):
    """Add the generated reference pages to the site's files."""
    for path, namespace, title, intro, groups in PAGES:
        files.append(File.generated(config, path, content=page_text(namespace, title, intro, groups)))
    files.append(File.generated(config, "api/tensor.md", content=TENSOR_PAGE))
    return files
