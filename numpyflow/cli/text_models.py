"""The character-level language models of ``python -m numpyflow train-text``.

Written against PyTorch's ``nn`` API alone: with ``from torch import nn`` in place of the
import below, this file builds the same models in PyTorch (``benchmarks/text_lm_pytorch.py``
does so).  Every model maps character indices ``(batch, time)`` and an optional recurrent
state to next-character logits ``(batch, time, vocab)`` and the state after the last step
(None for the transformer, which attends over its whole input instead).
"""

from .. import nn

MODELS = ("lstm", "gru", "transformer")


class RecurrentLM(nn.Module):
    """Embedding -> LSTM or GRU -> dropout -> Linear."""

    def __init__(self, cell, vocab_size, embed_dim, hidden_size, num_layers, dropout):
        super().__init__()
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.rnn = rnn(
            embed_dim, hidden_size, num_layers=num_layers, dropout=dropout if num_layers > 1 else 0.0, batch_first=True
        )
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, state=None):
        out, state = self.rnn(self.embed(x), state)
        return self.head(self.drop(out)), state


class TransformerLM(nn.Module):
    """Embedding plus learned positions -> causal (pre-norm) TransformerEncoder -> LayerNorm
    -> Linear; it reads at most ``context`` characters."""

    def __init__(self, vocab_size, d_model, num_heads, num_layers, dropout, context):
        super().__init__()
        self.context = context
        self.embed = nn.Embedding(vocab_size, d_model)
        self.position = nn.Embedding(context, d_model)
        nn.init.normal_(self.embed.weight, std=0.02)
        nn.init.normal_(self.position.weight, std=0.02)
        self.drop = nn.Dropout(dropout)
        layer = nn.TransformerEncoderLayer(
            d_model, num_heads, dim_feedforward=4 * d_model, dropout=dropout, batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab_size)

    def forward(self, x, state=None):
        length = x.shape[1]
        h = self.drop(self.embed(x) + self.position.weight[:length])
        h = self.encoder(h, mask=nn.Transformer.generate_square_subsequent_mask(length))
        return self.head(self.norm(h)), None


def build_model(kind, vocab_size, embed_dim, hidden_size, num_layers, dropout, num_heads, context):
    """Model ``kind`` (one of MODELS): ``hidden_size`` is the recurrent state's size, or the
    transformer's width (its embeddings' too); ``embed_dim`` serves the RNNs alone."""
    if kind == "transformer":
        return TransformerLM(vocab_size, hidden_size, num_heads, num_layers, dropout, context)
    return RecurrentLM(kind, vocab_size, embed_dim, hidden_size, num_layers, dropout)
