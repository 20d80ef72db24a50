"""Neural-network layers, losses and utilities with PyTorch's ``torch.nn`` API."""

from . import functional, init, parallel, utils  # noqa: F401
from .activation import *  # noqa: F401,F403
from .attention import MultiheadAttention  # noqa: F401
from .channel_shuffle import ChannelShuffle  # noqa: F401
from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential  # noqa: F401
from .conv import Conv2d, ConvTranspose2d  # noqa: F401
from .conv_nd import Conv1d, Conv3d, ConvTranspose1d, ConvTranspose3d  # noqa: F401
from .distance import CosineSimilarity, PairwiseDistance  # noqa: F401
from .dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout  # noqa: F401
from .embedding_bag import EmbeddingBag  # noqa: F401
from .flatten import Flatten, Unflatten  # noqa: F401
from .fold import Fold, Unfold  # noqa: F401
from .instance_norm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, LocalResponseNorm  # noqa: F401
from .linear import Bilinear, Identity, Linear  # noqa: F401
from .loss import *  # noqa: F401,F403
from .lp_pool import LPPool1d, LPPool2d, LPPool3d  # noqa: F401
from .margin_multi_loss import MultiLabelMarginLoss, MultiMarginLoss, TripletMarginWithDistanceLoss  # noqa: F401
from .module import Module  # noqa: F401
from .norm import BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, LayerNorm, RMSNorm, SyncBatchNorm  # noqa: F401
from .padding import *  # noqa: F401,F403
from .parallel import DataParallel  # noqa: F401
from .parameter import Buffer, Parameter  # noqa: F401
from .pixel_shuffle import PixelShuffle, PixelUnshuffle  # noqa: F401
from .pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d  # noqa: F401
from .pooling_nd import (  # noqa: F401
    AdaptiveAvgPool1d,
    AdaptiveAvgPool3d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool3d,
    AvgPool1d,
    AvgPool3d,
    MaxPool1d,
    MaxPool3d,
    MaxUnpool1d,
    MaxUnpool2d,
    MaxUnpool3d,
)
from .rnn import GRU, LSTM, RNN, RNNBase  # noqa: F401
from .rnn_cells import GRUCell, LSTMCell, RNNCell  # noqa: F401
from .sparse import Embedding  # noqa: F401
from .transformer import (  # noqa: F401
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from .upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d  # noqa: F401
