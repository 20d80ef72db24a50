"""The pieces of the ``tensorboard`` package this package writes with, imported in one
place so that a missing ``tensorboard`` is one ImportError that says how to install it."""

try:
    from google.protobuf import struct_pb2
    from tensorboard.compat.proto.attr_value_pb2 import AttrValue
    from tensorboard.compat.proto.config_pb2 import RunMetadata
    from tensorboard.compat.proto.event_pb2 import Event, SessionLog, TaggedRunMetadata
    from tensorboard.compat.proto.graph_pb2 import GraphDef
    from tensorboard.compat.proto.node_def_pb2 import NodeDef
    from tensorboard.compat.proto.step_stats_pb2 import DeviceStepStats, StepStats
    from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
    from tensorboard.compat.proto.tensor_pb2 import TensorProto
    from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
    from tensorboard.compat.proto.versions_pb2 import VersionDef
    from tensorboard.plugins.hparams import api_pb2 as hparams_api
    from tensorboard.plugins.hparams import metadata as hparams_metadata
    from tensorboard.plugins.hparams import plugin_data_pb2 as hparams_data
    from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData
    from tensorboard.summary.writer.event_file_writer import EventFileWriter
except ImportError as e:
    raise ImportError(
        "TensorBoard logging requires TensorBoard, which is not installed: install it with "
        "pip install numpyflow[tensorboard] (or pip install tensorboard)"
    ) from e

__all__ = [
    "AttrValue",
    "DeviceStepStats",
    "Event",
    "EventFileWriter",
    "GraphDef",
    "HistogramProto",
    "NodeDef",
    "RunMetadata",
    "SessionLog",
    "StepStats",
    "Summary",
    "SummaryMetadata",
    "TaggedRunMetadata",
    "TensorProto",
    "TensorShapeProto",
    "TextPluginData",
    "VersionDef",
    "hparams_api",
    "hparams_data",
    "hparams_metadata",
    "struct_pb2",
]
