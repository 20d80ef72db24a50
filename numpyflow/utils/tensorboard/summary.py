"""``Summary`` protocol buffers from NumpyFlow tensors, numpy arrays and Python numbers:
the functions of ``torch.utils.tensorboard.summary`` that :class:`SummaryWriter` uses,
with the same output for the same values."""

from __future__ import annotations

import functools
import io
import numbers

import numpy as np

from ...tensor import Tensor
from ._protos import (
    HistogramProto,
    Summary,
    SummaryMetadata,
    TensorProto,
    TensorShapeProto,
    TextPluginData,
    hparams_api,
    hparams_data,
    hparams_metadata,
    struct_pb2,
)

__all__ = [
    "convert_to_HWC",
    "hparams",
    "histogram",
    "image",
    "make_grid",
    "make_histogram",
    "make_image",
    "make_np",
    "scalar",
    "tensorflow_bins",
    "text",
]


def make_np(x, what: str = "value") -> np.ndarray:
    """``x`` (a Tensor, numpy array or Python/numpy number) as a numpy array; a number
    becomes a one-element array, as in PyTorch."""
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, Tensor):
        return x.numpy(force=True)  # no copy on the CPU; GPU tensors come to the host
    if isinstance(x, (numbers.Number, np.generic)):
        return np.array([x])
    raise TypeError(f"{what}: expected a Tensor, a numpy array or a number, got {type(x).__name__}")


def scalar(name: str, value, new_style: bool = False, double_precision: bool = False) -> Summary:
    """One scalar: ``simple_value`` (old style), or with ``new_style`` a float32 (or, with
    ``double_precision``, float64) tensor for the scalars plugin."""
    array = make_np(value, f"add_scalar '{name}'").squeeze()
    if array.ndim != 0:
        raise ValueError(
            f"add_scalar: '{name}' needs a single value, got {array.size} values (shape {tuple(array.shape)})"
        )
    v = float(array)
    if not new_style:
        return Summary(value=[Summary.Value(tag=name, simple_value=v)])
    if double_precision:
        proto = TensorProto(double_val=[v], dtype="DT_DOUBLE")
    else:
        proto = TensorProto(float_val=[v], dtype="DT_FLOAT")
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
    return Summary(value=[Summary.Value(tag=name, tensor=proto, metadata=metadata)])


@functools.lru_cache(maxsize=1)
def tensorflow_bins() -> np.ndarray:
    """The bucket edges of ``bins="tensorflow"``: ``±1e-12 * 1.1**k`` up to 1e20, and 0
    (read-only)."""
    v = 1e-12
    positive = []
    while v < 1e20:
        positive.append(v)
        v *= 1.1
    edges = np.array([-b for b in reversed(positive)] + [0] + positive)
    edges.flags.writeable = False
    return edges


def make_histogram(values: np.ndarray, bins, max_bins=None) -> HistogramProto:
    """A ``HistogramProto`` of ``values`` (float64): ``numpy.histogram`` with ``bins``,
    merged down to at most ``max_bins`` buckets, trimmed to the occupied range with one
    empty bucket on the left (TensorBoard stores right edges only)."""
    if values.size == 0:
        raise ValueError("add_histogram: the values are empty; a histogram needs at least one value")
    values = values.reshape(-1)
    counts, limits = np.histogram(values, bins=bins)
    num_bins = len(counts)
    if max_bins is not None and num_bins > max_bins:
        subsampling = num_bins // max_bins
        remainder = num_bins % subsampling
        if remainder:
            counts = np.pad(counts, [[0, subsampling - remainder]])
        counts = counts.reshape(-1, subsampling).sum(axis=-1)
        merged = np.empty(counts.size + 1, limits.dtype)
        merged[:-1] = limits[:-1:subsampling]
        merged[-1] = limits[-1]
        limits = merged
    occupied = np.cumsum(counts > 0)
    start, end = np.searchsorted(occupied, [0, occupied[-1] - 1], side="right")
    start, end = int(start), int(end) + 1
    counts = counts[start - 1 : end] if start > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[start : end + 1]
    if counts.size == 0 or limits.size == 0:
        raise ValueError(
            f"add_histogram: none of the {values.size} values falls inside the bins (NaN, infinite or out of range)"
        )
    return HistogramProto(
        min=values.min(),
        max=values.max(),
        num=len(values),
        sum=values.sum(),
        sum_squares=values.dot(values),
        bucket_limit=limits.tolist(),
        bucket=counts.tolist(),
    )


def histogram(name: str, values, bins, max_bins=None) -> Summary:
    """A histogram of ``values`` (any shape) with ``numpy.histogram``'s ``bins`` (edges, a
    count or a method name such as ``"auto"``)."""
    array = make_np(values, f"add_histogram '{name}'")
    return Summary(value=[Summary.Value(tag=name, histo=make_histogram(array.astype(float), bins, max_bins))])


def make_grid(images: np.ndarray, ncols: int = 8) -> np.ndarray:
    """``N x C x H x W`` images (C is 1 or 3) tiled into one ``3 x H*rows x W*cols`` image,
    ``ncols`` to a row, left to right and top to bottom, the rest black."""
    if images.ndim == 4 and images.shape[1] == 1:
        images = np.concatenate([images, images, images], 1)
    if images.ndim != 4 or images.shape[1] not in (3, 4):
        raise ValueError(f"add_images: expected images with 1, 3 or 4 channels, got shape {tuple(images.shape)}")
    n, c, h, w = images.shape
    ncols = min(n, ncols)
    nrows = -(-n // ncols)
    canvas = np.zeros((c, h * nrows, w * ncols), dtype=images.dtype)
    for i in range(n):
        y, x = divmod(i, ncols)
        canvas[:, y * h : (y + 1) * h, x * w : (x + 1) * w] = images[i]
    return canvas


def convert_to_HWC(array: np.ndarray, dataformats: str) -> np.ndarray:
    """An image (``CHW``, ``HWC``, ``HW``, ... ) or a batch (``NCHW``, ``NHWC``) as one
    ``H x W x C`` image with 3 (or 4) channels; a batch becomes a grid."""
    fmt = dataformats.upper()
    if len(set(fmt)) != len(fmt) or not set(fmt) <= set("NCHW") or not set("HW") <= set(fmt):
        raise ValueError(
            f"add_image: dataformats must be letters of NCHW, each once, with H and W; got {dataformats!r}"
        )
    if array.ndim != len(fmt):
        raise ValueError(
            f"add_image: dataformats {dataformats!r} has {len(fmt)} dimensions but the image has shape "
            f"{tuple(array.shape)}"
        )
    if len(fmt) == 4:
        grid = make_grid(array.transpose([fmt.find(c) for c in "NCHW"]))
        return grid.transpose(1, 2, 0)
    if len(fmt) == 3:
        if "C" not in fmt:
            raise ValueError(f"add_image: a 3-dimensional image needs a C in dataformats, got {dataformats!r}")
        hwc = array.transpose([fmt.find(c) for c in "HWC"])
        if hwc.shape[2] == 1:
            hwc = np.concatenate([hwc, hwc, hwc], 2)
        if hwc.shape[2] not in (3, 4):
            raise ValueError(f"add_image: expected 1, 3 or 4 channels, got shape {tuple(array.shape)} ({dataformats})")
        return hwc
    hw = array.transpose([fmt.find(c) for c in "HW"])
    return np.stack([hw, hw, hw], 2)


def make_image(array: np.ndarray) -> Summary.Image:
    """An ``H x W x C`` uint8 image as a PNG ``Summary.Image``."""
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError(
            "add_image needs Pillow to encode PNG images: pip install numpyflow[vision] (or pip install pillow)"
        ) from e
    height, width, channels = array.shape
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(array)).save(out, format="PNG")
    return Summary.Image(height=height, width=width, colorspace=channels, encoded_image_string=out.getvalue())


def image(tag: str, tensor, dataformats: str = "NCHW") -> Summary:
    """An image, or a batch of images as a grid (``make_grid``): uint8 values are used as
    they are, other dtypes are taken to lie in [0, 1] and scaled by 255; both are clipped
    to [0, 255]."""
    array = make_np(tensor, f"add_image '{tag}'")
    array = convert_to_HWC(array, dataformats)
    scale = 1 if array.dtype == np.uint8 else 255
    array = (array.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)
    return Summary(value=[Summary.Value(tag=tag, image=make_image(array))])


def text(tag: str, text: str) -> Summary:
    """A string for the text plugin, under ``tag + "/text_summary"`` as PyTorch writes it."""
    metadata = SummaryMetadata(
        plugin_data=SummaryMetadata.PluginData(
            plugin_name="text", content=TextPluginData(version=0).SerializeToString()
        )
    )
    proto = TensorProto(
        dtype="DT_STRING",
        string_val=[text.encode("utf_8")],
        tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]),
    )
    return Summary(value=[Summary.Value(tag=tag + "/text_summary", metadata=metadata, tensor=proto)])


def _hparam_value(name, value):
    """``(kind, value)`` of an hparam: ``"bool"``, ``"string"`` or ``"number"``."""
    if isinstance(value, (bool, np.bool_)):
        return "bool", bool(value)
    if isinstance(value, str):
        return "string", value
    if isinstance(value, (numbers.Real, np.integer, np.floating)):
        return "number", float(value)
    if isinstance(value, (Tensor, np.ndarray)):
        array = make_np(value, f"add_hparams '{name}'")
        if array.size != 1:
            raise ValueError(f"add_hparams: hparam '{name}' needs one value, got shape {tuple(array.shape)}")
        return "number", float(array.reshape(-1)[0])
    raise ValueError(
        f"add_hparams: hparam '{name}' is a {type(value).__name__}; values must be int, float, str, bool, "
        "a one-element Tensor or None"
    )


_HPARAM_TYPES = {"bool": "DATA_TYPE_BOOL", "string": "DATA_TYPE_STRING", "number": "DATA_TYPE_FLOAT64"}


def _plugin_summary(tag: str, **content) -> Summary:
    data = hparams_data.HParamsPluginData(version=hparams_metadata.PLUGIN_DATA_VERSION, **content)
    metadata = SummaryMetadata(
        plugin_data=SummaryMetadata.PluginData(
            plugin_name=hparams_metadata.PLUGIN_NAME, content=data.SerializeToString()
        )
    )
    return Summary(value=[Summary.Value(tag=tag, metadata=metadata)])


def hparams(hparam_dict: dict, metric_dict: dict, hparam_domain_discrete: dict | None = None):
    """The three summaries of the hparams plugin: ``(experiment, session_start_info,
    session_end_info)``.  Hyperparameters set to None are left out."""
    if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
        raise TypeError("add_hparams: hparam_dict and metric_dict must be dictionaries")
    hparam_domain_discrete = hparam_domain_discrete or {}
    if not isinstance(hparam_domain_discrete, dict):
        raise TypeError("add_hparams: hparam_domain_discrete must be a dictionary")
    for k, v in hparam_domain_discrete.items():
        if k not in hparam_dict or not isinstance(v, list) or not all(isinstance(d, type(hparam_dict[k])) for d in v):
            raise TypeError(
                f"add_hparams: hparam_domain_discrete[{k!r}] must be a list of values of the type of hparam_dict[{k!r}]"
            )
    infos = []
    start = hparams_data.SessionStartInfo()
    for k, v in hparam_dict.items():
        if v is None:
            continue
        kind, v = _hparam_value(k, v)
        setattr(start.hparams[k], f"{kind}_value", v)
        domain = None
        if k in hparam_domain_discrete:
            domain = struct_pb2.ListValue(
                values=[
                    struct_pb2.Value(**{f"{kind}_value": _hparam_value(k, d)[1]}) for d in hparam_domain_discrete[k]
                ]
            )
        infos.append(
            hparams_api.HParamInfo(name=k, type=hparams_api.DataType.Value(_HPARAM_TYPES[kind]), domain_discrete=domain)
        )
    metrics = [hparams_api.MetricInfo(name=hparams_api.MetricName(tag=k)) for k in metric_dict]
    experiment = hparams_api.Experiment(hparam_infos=infos, metric_infos=metrics)
    end = hparams_data.SessionEndInfo(status=hparams_api.Status.Value("STATUS_SUCCESS"))
    return (
        _plugin_summary(hparams_metadata.EXPERIMENT_TAG, experiment=experiment),
        _plugin_summary(hparams_metadata.SESSION_START_INFO_TAG, session_start_info=start),
        _plugin_summary(hparams_metadata.SESSION_END_INFO_TAG, session_end_info=end),
    )
