"""nn.TransformerEncoderLayer, TransformerEncoder, TransformerDecoderLayer,
TransformerDecoder and Transformer against PyTorch's, weights copied by state_dict key:
outputs and every gradient in float64 (1e-10) over batch_first, norm_first, activations,
masks and unbatched inputs; float32 judged against float64; state_dict keys, deep copies,
initialisation, the causal mask, PyTorch's inference results (nested-tensor zeros), its
errors and warnings; dropout; gradcheck and gradgradcheck."""

import warnings

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf

D, HEADS, FF, S, T, N = 8, 2, 12, 5, 4, 3
# The nested-tensor warning PyTorch gives for layers it would not nest, and mixed mask types.
pytestmark = [
    pytest.mark.filterwarnings("ignore:enable_nested_tensor is True"),
    pytest.mark.filterwarnings("ignore:Support for mismatched"),
    pytest.mark.filterwarnings("ignore:The PyTorch API of nested tensors"),
]


def _activation(lib, name):
    if name == "callable":
        return lambda x: lib.tanh(x) * 2
    if name == "module":
        return lib.nn.GELU()
    return name


def _build(lib, kind, activation="relu", dtype="float64", **options):
    act = _activation(lib, activation)
    if kind == "encoder_layer":
        m = lib.nn.TransformerEncoderLayer(D, HEADS, FF, 0.0, act, **options)
    elif kind == "decoder_layer":
        m = lib.nn.TransformerDecoderLayer(D, HEADS, FF, 0.0, act, **options)
    elif kind == "encoder":
        layer = lib.nn.TransformerEncoderLayer(D, HEADS, FF, 0.0, act, **options)
        m = lib.nn.TransformerEncoder(layer, 2, lib.nn.LayerNorm(D))
    elif kind == "decoder":
        layer = lib.nn.TransformerDecoderLayer(D, HEADS, FF, 0.0, act, **options)
        m = lib.nn.TransformerDecoder(layer, 2, lib.nn.LayerNorm(D))
    else:
        m = lib.nn.Transformer(D, HEADS, 2, 2, FF, 0.0, act, **options)
    return m.double() if dtype == "float64" else m


def _pair(kind, activation="relu", dtype="float64", **options):
    torch.manual_seed(0)
    theirs = _build(torch, kind, activation, dtype, **options)
    ours = _build(nf, kind, activation, dtype, **options)
    ours.load_state_dict({k: nf.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def _seq(rng, length, batch_first, batched=True):
    if not batched:
        return rng.standard_normal((length, D))
    return rng.standard_normal((N, length, D) if batch_first else (length, N, D))


def _mask_arrays(rng, kinds, batched=True):
    """Masks by name: ``src``/``tgt`` (square), ``memory`` (T x S), ``*_pad`` (key padding)."""
    pad = lambda length: (rng.random((N, length) if batched else (length,)) > 0.6) & (np.arange(length) >= 2)  # noqa: E731
    masks = {}
    for kind in kinds:
        if kind == "src_bool":
            masks["src_mask"] = np.triu(np.ones((S, S), bool), 2)
        elif kind == "src_float":
            masks["src_mask"] = rng.standard_normal((S, S))
        elif kind == "src_causal":
            masks["src_mask"] = np.triu(np.full((S, S), -np.inf), 1)
        elif kind == "src_pad":
            masks["src_key_padding_mask"] = pad(S)
        elif kind == "src_pad_float":
            masks["src_key_padding_mask"] = np.where(pad(S), -np.inf, 0.0)
        elif kind == "tgt_causal":
            masks["tgt_mask"] = np.triu(np.full((T, T), -np.inf), 1)
        elif kind == "tgt_causal_hint":
            masks["tgt_mask"] = np.triu(np.ones((T, T), bool), 1)
            masks["tgt_is_causal"] = True
        elif kind == "memory":
            masks["memory_mask"] = (rng.random((T, S)) > 0.7) & (np.arange(S) >= 1)
        elif kind == "tgt_pad":
            masks["tgt_key_padding_mask"] = pad(T)
        elif kind == "memory_pad":
            masks["memory_key_padding_mask"] = pad(S)
    return masks


def _call(lib, kind, module, arrays, masks):
    """Output and the gradients of the inputs and of every parameter."""
    inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
    kw = {k: (v if isinstance(v, bool) else lib.tensor(v.astype(arrays[0].dtype) if v.dtype.kind == "f" else v))
          for k, v in masks.items()}  # fmt: skip
    if kind in ("encoder_layer", "encoder"):
        if kind == "encoder" and "src_mask" in kw:
            kw["mask"] = kw.pop("src_mask")
        out = module(inputs[0], **kw)
    else:
        out = module(*inputs, **kw)
    (out * lib.tensor(np.random.default_rng(9).standard_normal(tuple(out.shape)))).sum().backward()
    grads = [t.grad for t in inputs] + [p.grad for _, p in module.named_parameters()]
    return [out.detach().numpy().astype(np.float64)] + [g.numpy().astype(np.float64) for g in grads if g is not None]


def _arrays(rng, kind, batch_first, batched=True):
    if kind in ("encoder_layer", "encoder"):
        return [_seq(rng, S, batch_first, batched)]
    if kind in ("decoder_layer", "decoder"):
        return [_seq(rng, T, batch_first, batched), _seq(rng, S, batch_first, batched)]
    return [_seq(rng, S, batch_first, batched), _seq(rng, T, batch_first, batched)]


def _check(kind, masks=(), activation="relu", batched=True, **options):
    rng = np.random.default_rng(0)
    ours, theirs = _pair(kind, activation, **options)
    arrays = _arrays(rng, kind, options.get("batch_first", False), batched)
    mask_arrays = _mask_arrays(rng, masks, batched)
    a = _call(nf, kind, ours, arrays, mask_arrays)
    b = _call(torch, kind, theirs, arrays, mask_arrays)
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-12)


LAYOUTS = [{}, {"batch_first": True}, {"norm_first": True}, {"batch_first": True, "norm_first": True, "bias": False}]
LAYOUT_IDS = ["seq_first", "batch_first", "norm_first", "batch_first_norm_first_no_bias"]


ENCODER_MASKS = [(), ("src_bool",), ("src_float", "src_pad"), ("src_causal",), ("src_pad_float",)]
ENCODER_CASES = [(i, m) for i in range(len(LAYOUTS)) for m in ENCODER_MASKS[i % 2 :: 2]]


@needs_torch
@pytest.mark.parametrize("layout,masks", ENCODER_CASES, ids=[f"{LAYOUT_IDS[i]}-{m}" for i, m in ENCODER_CASES])
def test_encoder_layer_matches_pytorch_with_every_gradient(layout, masks):
    _check("encoder_layer", masks, **LAYOUTS[layout])


@needs_torch
@pytest.mark.parametrize("activation", ["gelu", "callable", "module"])
@pytest.mark.parametrize("batched", [True, False])
def test_encoder_layer_activations_and_unbatched_input_match_pytorch(activation, batched):
    _check("encoder_layer", ("src_bool", "src_pad"), activation, batched=batched, batch_first=True)


DECODER_MASKS = [
    (),
    ("tgt_causal", "memory"),
    ("tgt_causal_hint", "memory_pad"),
    ("tgt_pad", "memory_pad", "tgt_causal"),
]
DECODER_CASES = [(i, m) for i in range(len(LAYOUTS)) for m in DECODER_MASKS[i % 2 :: 2]]


@needs_torch
@pytest.mark.parametrize("layout,masks", DECODER_CASES, ids=[f"{LAYOUT_IDS[i]}-{m}" for i, m in DECODER_CASES])
def test_decoder_layer_matches_pytorch_with_every_gradient(layout, masks):
    _check("decoder_layer", masks, **LAYOUTS[layout])


@needs_torch
@pytest.mark.parametrize("activation", ["gelu", "callable"])
@pytest.mark.parametrize("batched", [True, False])
def test_decoder_layer_activations_and_unbatched_input_match_pytorch(activation, batched):
    _check("decoder_layer", ("tgt_causal", "memory_pad"), activation, batched=batched)


@needs_torch
@pytest.mark.parametrize("options", LAYOUTS[:3], ids=LAYOUT_IDS[:3])
@pytest.mark.parametrize("masks", [(), ("src_causal", "src_pad")], ids=str)
def test_encoder_stack_matches_pytorch(options, masks):
    _check("encoder", masks, **options)


@needs_torch
@pytest.mark.parametrize("options", LAYOUTS[:3], ids=LAYOUT_IDS[:3])
def test_decoder_stack_matches_pytorch(options):
    _check("decoder", ("tgt_causal", "tgt_pad", "memory_pad"), **options)


@needs_torch
@pytest.mark.parametrize(
    "options,batched", [({}, True), ({"batch_first": True, "norm_first": True}, False)], ids=["batched", "unbatched"]
)
def test_transformer_matches_pytorch(options, batched):
    masks = ("src_pad", "tgt_causal", "tgt_pad", "memory_pad") if batched else ("tgt_causal",)
    rng = np.random.default_rng(0)
    ours, theirs = _pair("transformer", **options)
    arrays = _arrays(rng, "transformer", options.get("batch_first", False), batched)
    kw = _mask_arrays(rng, masks, batched)
    for x, y in zip(_call(nf, "transformer", ours, arrays, kw), _call(torch, "transformer", theirs, arrays, kw)):
        np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("kind", ["encoder_layer", "decoder_layer", "encoder", "decoder", "transformer"])
@pytest.mark.parametrize("bias", [True, False])
def test_state_dict_keys_shapes_order_and_repr_are_pytorchs(kind, bias):
    ours, theirs = _build(nf, kind, bias=bias, dtype="float32"), _build(torch, kind, bias=bias, dtype="float32")
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in theirs.state_dict().items()
    ]
    if kind.endswith("layer"):  # (stacks: PyTorch's ModuleList repr folds repeated layers)
        assert repr(ours) == repr(theirs)


@needs_torch
def test_encoder_layer_with_a_module_activation_registers_it_as_pytorch():
    ours, theirs = _build(nf, "encoder_layer", "module"), _build(torch, "encoder_layer", "module")
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert ours.activation_relu_or_gelu == theirs.activation_relu_or_gelu == 2
    assert _build(nf, "encoder_layer", "callable").activation_relu_or_gelu == 0
    assert nf.nn.TransformerEncoderLayer(D, HEADS).activation is nf.nn.functional.relu


def test_encoder_and_decoder_hold_independent_deep_copies_of_the_layer():
    layer = nf.nn.TransformerEncoderLayer(D, HEADS, FF)
    encoder = nf.nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
    weights = [m.linear1.weight for m in encoder.layers]
    assert len({id(w) for w in weights}) == 3 and all(w is not layer.linear1.weight for w in weights)
    for w in weights:
        np.testing.assert_array_equal(w.detach().numpy(), layer.linear1.weight.detach().numpy())
    with nf.no_grad():
        weights[0].fill_(1.0)
    assert not (weights[1].detach().numpy() == 1.0).all()
    decoder = nf.nn.TransformerDecoder(nf.nn.TransformerDecoderLayer(D, HEADS, FF), 2)
    assert decoder.layers[0].multihead_attn is not decoder.layers[1].multihead_attn
    assert decoder.num_layers == 2 and decoder.norm is None


def test_transformer_reinitialises_every_matrix_with_xavier_uniform():
    nf.manual_seed(0)
    m = nf.nn.Transformer(32, 4, 1, 1, 64)
    for name, p in m.named_parameters():
        w = p.detach().numpy()
        if w.ndim > 1:
            bound = np.sqrt(6 / (w.shape[0] + w.shape[1]))
            assert 0.9 * bound < np.abs(w).max() <= bound, name
        elif "norm" in name:
            assert (w == (1.0 if name.endswith("weight") else 0.0)).all(), name
    assert m.d_model == 32 and m.nhead == 4 and m.batch_first is False


@needs_torch
def test_custom_encoder_and_decoder_are_used_as_given():
    encoder = nf.nn.Linear(D, D)
    decoder = nf.nn.TransformerDecoder(nf.nn.TransformerDecoderLayer(D, HEADS, FF, dropout=0.0), 1)

    class Encoder(nf.nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = encoder

        def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
            return self.proj(src)

    m = nf.nn.Transformer(D, HEADS, custom_encoder=Encoder(), custom_decoder=decoder)
    assert m.encoder.proj is encoder and m.decoder is decoder
    assert [k for k in m.state_dict()][:2] == ["encoder.proj.weight", "encoder.proj.bias"]
    src, tgt = nf.randn(S, N, D), nf.randn(T, N, D)
    np.testing.assert_allclose(m(src, tgt).detach().numpy(), decoder(tgt, encoder(src)).detach().numpy(), rtol=1e-6)


@needs_torch
def test_generate_square_subsequent_mask_is_pytorchs_static_method():
    ours = nf.nn.Transformer.generate_square_subsequent_mask(4)
    theirs = torch.nn.Transformer.generate_square_subsequent_mask(4)
    assert ours.dtype == nf.float32
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert nf.nn.Transformer.generate_square_subsequent_mask(3, dtype=nf.float64).dtype == nf.float64
    assert isinstance(nf.nn.Transformer.__dict__["generate_square_subsequent_mask"], staticmethod)


@needs_torch
@pytest.mark.filterwarnings("ignore:invalid value encountered")
@pytest.mark.parametrize("pad_rows", [((), (3, 4), (1, 2, 3, 4)), ((0, 1, 2, 3, 4), (), (4,))], ids=["prefix", "whole"])
@pytest.mark.parametrize("nested", [True, False])
def test_inference_with_key_padding_gives_pytorchs_results(pad_rows, nested):
    """In evaluation without autograd PyTorch runs the encoder on nested tensors when the
    padding mask keeps a prefix of each sequence: padded positions come out as 0 (before
    the final norm).  An entry that is padding throughout is 0 as well."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((N, S, D)).astype(np.float32)
    pad = np.zeros((N, S), bool)
    for i, cols in enumerate(pad_rows):
        pad[i, list(cols)] = True
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(D, HEADS, FF, batch_first=True)
    theirs_model = torch.nn.TransformerEncoder(layer, 2, torch.nn.LayerNorm(D), enable_nested_tensor=nested)
    layer = nf.nn.TransformerEncoderLayer(D, HEADS, FF, batch_first=True)
    ours_model = nf.nn.TransformerEncoder(layer, 2, nf.nn.LayerNorm(D), enable_nested_tensor=nested)
    ours_model.load_state_dict({k: nf.tensor(v.detach().numpy()) for k, v in theirs_model.state_dict().items()})
    results = {}
    for lib, m in ((nf, ours_model), (torch, theirs_model)):
        m.eval()
        with lib.no_grad():
            results[lib] = m(lib.tensor(x), src_key_padding_mask=lib.tensor(pad)).numpy()
    ours, theirs = results[nf], results[torch]
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


@needs_torch
@pytest.mark.filterwarnings("ignore:invalid value encountered")
@pytest.mark.parametrize("activation", ["relu", "callable"])
def test_encoder_layer_gives_pytorchs_results_for_fully_padded_entries_in_each_mode(activation):
    """0 through scaled_dot_product_attention; NaN through PyTorch's fused inference
    kernel (evaluation, no autograd, relu/gelu), which, like the attention's own fused
    kernel, ignores a mask-less is_causal."""
    rng = np.random.default_rng(6)
    x = rng.standard_normal((N, S, D)).astype(np.float32)
    pad = np.zeros((N, S), bool)
    pad[1] = True
    ours, theirs = _pair("encoder_layer", activation, "float32", batch_first=True)
    for train, grad in ((True, True), (True, False), (False, True), (False, False)):
        ours.train(train)
        theirs.train(train)
        with nf.set_grad_enabled(grad), torch.set_grad_enabled(grad):
            a = ours(nf.tensor(x), src_key_padding_mask=nf.tensor(pad)).detach().numpy()
            b = theirs(torch.tensor(x), src_key_padding_mask=torch.tensor(pad)).detach().numpy()
            np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
            for lib, m in ((nf, ours), (torch, theirs)):
                if not train and not grad:  # the layer's fused path, or the attention's own
                    m(lib.tensor(x), is_causal=True)
                else:
                    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
                        m(lib.tensor(x), is_causal=True)


@needs_torch
def test_inference_padding_zeros_only_without_autograd_and_for_left_aligned_masks():
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(D, HEADS, FF, batch_first=True)
    theirs = torch.nn.TransformerEncoder(layer, 2).eval()
    ours = nf.nn.TransformerEncoder(nf.nn.TransformerEncoderLayer(D, HEADS, FF, batch_first=True), 2).eval()
    ours.load_state_dict({k: nf.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((2, S, D)).astype(np.float32)
    for pad in ([[False] * 5, [False, False, False, True, True]], [[False] * 5, [True, False, False, False, False]]):
        pad = np.array(pad)
        a = ours(nf.tensor(x), src_key_padding_mask=nf.tensor(pad)).detach().numpy()  # autograd on: no nesting
        b = theirs(torch.tensor(x), src_key_padding_mask=torch.tensor(pad)).detach().numpy()
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
        assert (a[pad] != 0).all()


@needs_torch
def test_encoder_warns_as_pytorch_when_it_cannot_nest():
    for lib in (nf, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(D, HEADS, FF), 1)
            lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(D, HEADS, FF, batch_first=True), 1)
            lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(D, HEADS, FF), 1, enable_nested_tensor=False)
        messages = [str(w.message) for w in caught if "nested" in str(w.message)]
        assert messages == [
            "enable_nested_tensor is True, but self.use_nested_tensor is False because "
            "encoder_layer.self_attn.batch_first was not True(use batch_first for better inference performance)"
        ]


@needs_torch
def test_errors_are_pytorchs():
    for lib in (nf, torch):
        with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
            lib.nn.TransformerEncoderLayer(D, HEADS, activation="tanh")
        with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
            lib.nn.TransformerDecoderLayer(9, 2)
        m = lib.nn.Transformer(D, HEADS, 1, 1, FF)
        with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
            m(lib.zeros(S, 2, D), lib.zeros(T, 3, D))
        with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
            m(lib.zeros(S, 2, D), lib.zeros(T, 2, D + 1))


@needs_torch
@pytest.mark.parametrize("kind,activation", [("encoder", "gelu"), ("decoder", "relu")])
def test_float32_is_as_close_to_float64_as_pytorchs(kind, activation):
    """Every output and gradient element no further from PyTorch's float64 result than
    8x PyTorch's own float32 error (plus 1e-6 of the largest value)."""
    rng = np.random.default_rng(3)
    arrays = _arrays(rng, kind, True)
    masks = _mask_arrays(rng, ("src_pad",) if kind == "encoder" else ("tgt_causal", "memory_pad"))
    exact = _call(torch, kind, _pair(kind, activation, batch_first=True)[1], arrays, masks)
    arrays32 = [a.astype(np.float32) for a in arrays]
    ours = _call(nf, kind, _pair(kind, activation, "float32", batch_first=True)[0], arrays32, masks)
    theirs = _call(torch, kind, _pair(kind, activation, "float32", batch_first=True)[1], arrays32, masks)
    for mine, ref, x in zip(ours, theirs, exact):
        scale = np.abs(x).max()
        assert np.abs(mine - x).max() <= 8 * np.abs(ref - x).max() + 1e-6 * scale


def test_dropout_in_training_is_reproducible_under_manual_seed_and_off_in_eval():
    layer = nf.nn.TransformerEncoderLayer(16, 2, 32, dropout=0.3, batch_first=True)
    x = nf.randn(2, 6, 16)

    def run(seed):
        nf.manual_seed(seed)
        return layer(x).detach().numpy()

    a, b, c = run(5), run(5), run(6)
    assert a.shape == (2, 6, 16)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    layer.eval()
    np.testing.assert_array_equal(run(5), run(6))
    assert not np.allclose(run(5), a)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_gradcheck_and_gradgradcheck(norm_first):
    nf.manual_seed(0)
    layer = nf.nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, activation="gelu", norm_first=norm_first).double()
    rng = np.random.default_rng(4)
    x = nf.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    mask = nf.tensor(np.triu(np.full((3, 3), -np.inf), 1))
    pad = nf.tensor(np.array([[False, False, True], [False, False, False]]))

    def fn(x):
        return layer(x, src_mask=mask, src_key_padding_mask=pad)

    assert nf.autograd.gradcheck(fn, [x])
    assert nf.autograd.gradgradcheck(fn, [x])


def test_decoder_layer_gradcheck_and_gradgradcheck():
    nf.manual_seed(0)
    layer = nf.nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, batch_first=True).double()
    rng = np.random.default_rng(5)
    tgt = nf.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    memory = nf.tensor(rng.standard_normal((2, 2, 4)), requires_grad=True)
    causal = nf.nn.Transformer.generate_square_subsequent_mask(3, dtype=nf.float64)

    def fn(tgt, memory):
        return layer(tgt, memory, tgt_mask=causal, tgt_is_causal=True)

    assert nf.autograd.gradcheck(fn, [tgt, memory])
    assert nf.autograd.gradgradcheck(fn, [tgt, memory])
