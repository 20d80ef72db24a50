"""nn.MultiheadAttention and F.multi_head_attention_forward against PyTorch's, weights
copied by state_dict key: outputs, weights and every gradient in float64 (1e-10) over the
layer's options and masks; float32 judged against float64; PyTorch's parameter names,
order, initialisation, errors and warnings, its fused inference results, dropout;
gradcheck and gradgradcheck."""

import warnings

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf

E, H, L, S, N = 8, 2, 4, 5, 3
# Mixing a boolean and a float mask is part of what is compared; PyTorch warns about it.
pytestmark = pytest.mark.filterwarnings("ignore:Support for mismatched")


def _pair(dtype="float64", **options):
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(E, H, **options)
    ours = nf.nn.MultiheadAttention(E, H, **options)
    if dtype == "float64":
        theirs, ours = theirs.double(), ours.double()
    ours.load_state_dict({k: nf.tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def _masks(rng, kind, batched=True, src=S):
    """``(call kwargs as arrays)`` for a mask kind; no query row loses every key."""
    out = {}
    pad = np.zeros((N, src) if batched else (src,), bool)
    pad[..., -2:] = rng.random(pad[..., -2:].shape) > 0.5
    blocked = np.triu(np.ones((L, src), bool), 2)
    if "kpm_bool" in kind:
        out["key_padding_mask"] = pad
    if "kpm_float" in kind:
        out["key_padding_mask"] = np.where(pad, -np.inf, rng.standard_normal(pad.shape) * 0.5)
    if "attn_bool" in kind:
        out["attn_mask"] = blocked
    if "attn_float" in kind:
        out["attn_mask"] = np.where(blocked, -1e4, rng.standard_normal((L, src)))
    if "attn_3d" in kind:
        heads = N * H if batched else H
        out["attn_mask"] = (rng.random((heads, L, src)) > 0.6) & ~np.eye(L, src, dtype=bool)[None]
    if "causal" in kind:
        out["attn_mask"] = np.triu(np.ones((L, src), bool), 1)
        out["is_causal"] = True
    return out


def _run(lib, module, q, k, v, masks, self_attention=False, grad_seed=3, **call):
    """Output, weights and the gradients of (query, key, value) and of every parameter."""
    tensors = [lib.tensor(a, requires_grad=True) for a in ((q,) if self_attention else (q, k, v))]
    qkv = tensors * 3 if self_attention else tensors
    kwargs = {
        name: m if isinstance(m, bool) else lib.tensor(m.astype(q.dtype) if m.dtype.kind == "f" else m)
        for name, m in masks.items()
    }
    out, weights = module(*qkv, **kwargs, **call)
    rng = np.random.default_rng(grad_seed)
    loss = (out * lib.tensor(rng.standard_normal(tuple(out.shape)))).sum()
    if weights is not None:
        loss = loss + (weights * lib.tensor(rng.standard_normal(tuple(weights.shape)))).sum()
    loss.backward()
    grads = {f"input{i}": t.grad for i, t in enumerate(tensors)}
    grads.update({name: p.grad for name, p in module.named_parameters()})
    numpy = {k: g.detach().numpy().astype(np.float64) for k, g in grads.items() if g is not None}
    w = None if weights is None else weights.detach().numpy().astype(np.float64)
    return out.detach().numpy().astype(np.float64), w, numpy


OPTIONS = [
    {},
    {"batch_first": True},
    {"bias": False},
    {"kdim": 3, "vdim": 6},
    {"add_bias_kv": True},
    {"add_zero_attn": True},
    {"add_bias_kv": True, "add_zero_attn": True, "kdim": 5, "vdim": 3, "batch_first": True},
]
MASKS = ["", "kpm_bool", "kpm_float", "attn_bool", "attn_float", "attn_3d", "kpm_bool+attn_bool", "causal"]


def _inputs(rng, options, batched=True, same=False):
    kdim, vdim = options.get("kdim", E), options.get("vdim", E)

    def shaped(seq, dim):
        if not batched:
            return rng.standard_normal((seq, dim))
        return rng.standard_normal((N, seq, dim) if options.get("batch_first") else (seq, N, dim))

    if same:
        x = shaped(L, E)
        return x, x, x
    return shaped(L, E), shaped(S, kdim), shaped(S, vdim)


def _compare(ours, theirs, rtol=1e-10):
    for a, b in zip(ours[:2], theirs[:2]):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12)
    assert ours[2].keys() == theirs[2].keys()
    for key in theirs[2]:
        np.testing.assert_allclose(ours[2][key], theirs[2][key], rtol=rtol, atol=1e-12, err_msg=key)


# Every option meets every mask, each pair under one of the three ways to ask for weights.
WEIGHTS = [(True, True), (True, False), (False, True)]
CASES = [(o, m, *WEIGHTS[(i + j) % 3]) for i, o in enumerate(OPTIONS) for j, m in enumerate(MASKS)]


@needs_torch
@pytest.mark.parametrize(
    "options,mask,need_weights,average",
    CASES,
    ids=[
        f"{','.join(f'{k}={v}' for k, v in c[0].items()) or 'default'}-{c[1] or 'no_mask'}-{c[2]}-{c[3]}" for c in CASES
    ],
)
def test_outputs_weights_and_every_gradient_match_pytorch(options, mask, need_weights, average):
    rng = np.random.default_rng(0)
    ours, theirs = _pair(**options)
    q, k, v = _inputs(rng, options)
    masks = _masks(rng, mask)
    call = dict(need_weights=need_weights, average_attn_weights=average)
    _compare(_run(nf, ours, q, k, v, masks, **call), _run(torch, theirs, q, k, v, masks, **call))


@needs_torch
@pytest.mark.parametrize("options", [{}, {"batch_first": True}, {"kdim": 3, "vdim": 6}], ids=str)
@pytest.mark.parametrize("mask", ["", "kpm_bool+attn_float", "attn_3d", "causal"])
@pytest.mark.parametrize("need_weights", [True, False])
def test_unbatched_inputs_match_pytorch(options, mask, need_weights):
    rng = np.random.default_rng(1)
    ours, theirs = _pair(**options)
    q, k, v = _inputs(rng, options, batched=False)
    masks = _masks(rng, mask, batched=False)
    _compare(
        _run(nf, ours, q, k, v, masks, need_weights=need_weights),
        _run(torch, theirs, q, k, v, masks, need_weights=need_weights),
    )


@needs_torch
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("mask", ["", "kpm_bool", "causal"])
@pytest.mark.parametrize("need_weights", [True, False])
def test_self_attention_on_one_tensor_matches_pytorch(batch_first, mask, need_weights):
    rng = np.random.default_rng(2)
    ours, theirs = _pair(batch_first=batch_first)
    x, _, _ = _inputs(rng, {"batch_first": batch_first}, same=True)
    masks = _masks(rng, mask, src=L)
    call = dict(self_attention=True, need_weights=need_weights)
    _compare(_run(nf, ours, x, x, x, masks, **call), _run(torch, theirs, x, x, x, masks, **call))


@needs_torch
def test_encoder_decoder_attention_with_key_as_value_matches_pytorch():
    rng = np.random.default_rng(3)
    ours, theirs = _pair()
    q, k, _ = _inputs(rng, {})

    def run(lib, module):
        query, memory = lib.tensor(q, requires_grad=True), lib.tensor(k, requires_grad=True)
        out = module(query, memory, memory, need_weights=False)[0]
        (out * out).sum().backward()
        return [out.detach().numpy(), query.grad.numpy(), memory.grad.numpy()] + [
            p.grad.numpy() for p in module.parameters()
        ]

    for a, b in zip(run(nf, ours), run(torch, theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@needs_torch
def test_functional_form_with_static_keys_and_values_matches_pytorch():
    rng = np.random.default_rng(4)
    q = rng.standard_normal((L, N, E))
    k = rng.standard_normal((S, N, E))
    w_in, b_in = rng.standard_normal((3 * E, E)), rng.standard_normal(3 * E)
    w_out, b_out = rng.standard_normal((E, E)), rng.standard_normal(E)
    static_k = rng.standard_normal((N * H, S + 1, E // H))
    static_v = rng.standard_normal((N * H, S + 1, E // H))
    results = []
    for lib in (nf, torch):
        args = [lib.tensor(a, requires_grad=True) for a in (q, k, w_in, b_in, w_out, b_out, static_k, static_v)]
        out, weights = lib.nn.functional.multi_head_attention_forward(
            args[0], args[1], args[1], E, H, args[2], args[3], None, None, False, 0.0, args[4], args[5],
            static_k=args[6], static_v=args[7], average_attn_weights=False,
        )  # fmt: skip
        (out.sum() + (weights * weights).sum()).backward()
        results.append(
            [out.detach().numpy(), weights.detach().numpy()] + [a.grad.numpy() for a in args if a.grad is not None]
        )
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"bias": False},
        {"kdim": 3, "vdim": 6},
        {"add_bias_kv": True},
        {"kdim": 4, "add_bias_kv": True, "bias": False},
    ],
    ids=str,
)
def test_parameter_names_order_shapes_and_repr_are_pytorchs(options):
    ours, theirs = nf.nn.MultiheadAttention(E, H, **options), torch.nn.MultiheadAttention(E, H, **options)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in theirs.state_dict().items()
    ]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)
    assert (ours.in_proj_weight is None) == (theirs.in_proj_weight is None)
    assert ours.head_dim == theirs.head_dim and ours._qkv_same_embed_dim == theirs._qkv_same_embed_dim


def test_initialisation_is_xavier_with_zero_biases():
    nf.manual_seed(0)
    m = nf.nn.MultiheadAttention(64, 4, add_bias_kv=True)
    w = m.in_proj_weight.detach().numpy()
    bound = np.sqrt(6 / (64 + 3 * 64))  # xavier_uniform_ over the (3E, E) matrix
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert not m.in_proj_bias.detach().numpy().any() and not m.out_proj.bias.detach().numpy().any()
    out_bound = 1 / np.sqrt(64)  # out_proj keeps Linear's own initialisation
    assert 0.9 * out_bound < np.abs(m.out_proj.weight.detach().numpy()).max() <= out_bound
    bias_k = m.bias_k.detach().numpy()  # xavier_normal_ of (1, 1, E): std sqrt(2 / (E + E))
    assert 0.6 * np.sqrt(1 / 64) < bias_k.std() < 1.4 * np.sqrt(1 / 64)
    separate = nf.nn.MultiheadAttention(64, 4, kdim=32)
    kb = np.sqrt(6 / (64 + 32))
    assert 0.9 * kb < np.abs(separate.k_proj_weight.detach().numpy()).max() <= kb


@needs_torch
def test_errors_are_pytorchs():
    for lib in (nf, torch):
        with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
            lib.nn.MultiheadAttention(10, 3)
        with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
            lib.nn.MultiheadAttention(0, 2)
        m = lib.nn.MultiheadAttention(E, H)
        x = lib.zeros(L, N, E)
        with pytest.raises(AssertionError, match="query should be unbatched 2D or batched 3D tensor"):
            m(lib.zeros(1, L, N, E), x, x)
        with pytest.raises(AssertionError, match="expected `key` and `value` to be 3-D"):
            m(x, lib.zeros(S, E), lib.zeros(S, E))
        with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is .*, but should be \(4, 4\)"):
            m(x, x, x, attn_mask=lib.zeros(3, 3, dtype=lib.bool))
        with pytest.raises(RuntimeError, match=r"The shape of the 3D attn_mask is"):
            m(x, x, x, attn_mask=lib.zeros(H, L, L, dtype=lib.bool))
        with pytest.raises(AssertionError, match="Expected key_padded_mask.shape\\[1\\] to be 4, but got 5"):
            m(x, x, x, key_padding_mask=lib.zeros(N, 5, dtype=lib.bool))
        with pytest.raises(AssertionError, match="only bool and floating types of attn_mask are supported"):
            m(x, x, x, attn_mask=lib.zeros(L, L, dtype=lib.int64))
        with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
            m(x, x, x, is_causal=True)
        with pytest.raises(AssertionError, match="was expecting embedding dimension of 8, but got 6"):
            lib.nn.MultiheadAttention(E, H, kdim=6)(lib.zeros(L, N, 6), lib.zeros(L, N, 6), lib.zeros(L, N, E))


@needs_torch
def test_mismatched_mask_types_warn_as_pytorch():
    for lib in (nf, torch):
        m = lib.nn.MultiheadAttention(E, H)
        x = lib.zeros(L, N, E)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            m(x, x, x, key_padding_mask=lib.zeros(N, L, dtype=lib.bool), attn_mask=lib.zeros(L, L))
            m(x, x, x, key_padding_mask=lib.zeros(N, L), attn_mask=lib.zeros(L, L))
        messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
        assert messages == [
            "Support for mismatched key_padding_mask and attn_mask is deprecated. Use same type for both instead."
        ]


@needs_torch
@pytest.mark.filterwarnings("ignore:invalid value encountered")
@pytest.mark.parametrize("need_weights", [True, False])
def test_fully_masked_queries_give_what_pytorch_gives_in_each_mode(need_weights):
    """A batch entry whose keys are all padded: NaN where PyTorch forms the weights
    explicitly (need_weights, or its fused inference kernel), 0 through
    scaled_dot_product_attention."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((N, L, E)).astype(np.float32)
    pad = np.zeros((N, L), bool)
    pad[1] = True
    for train, grad in ((True, True), (True, False), (False, True), (False, False)):
        ours, theirs = _pair("float32", batch_first=True)
        ours.train(train)
        theirs.train(train)
        with nf.set_grad_enabled(grad), torch.set_grad_enabled(grad):
            a = ours(*[nf.tensor(x)] * 3, key_padding_mask=nf.tensor(pad), need_weights=need_weights)
            b = theirs(*[torch.tensor(x)] * 3, key_padding_mask=torch.tensor(pad), need_weights=need_weights)
        np.testing.assert_allclose(a[0].detach().numpy(), b[0].detach().numpy(), rtol=1e-5, atol=1e-6)
        assert np.isnan(a[0].detach().numpy()[1]).all() == np.isnan(b[0].detach().numpy()[1]).all()
        assert (a[1] is None) == (b[1] is None)


@needs_torch
def test_fused_inference_reads_no_is_causal_hint_as_pytorch():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((N, L, E)).astype(np.float32)
    ours, theirs = _pair("float32", batch_first=True)
    ours.eval()
    theirs.eval()
    with nf.no_grad(), torch.no_grad():
        a = ours(*[nf.tensor(x)] * 3, is_causal=True, need_weights=False)[0].numpy()
        b = theirs(*[torch.tensor(x)] * 3, is_causal=True, need_weights=False)[0].numpy()
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@needs_torch
@pytest.mark.parametrize("options", [{}, {"add_bias_kv": True, "kdim": 5, "vdim": 3}], ids=str)
def test_float32_is_as_close_to_float64_as_pytorchs(options):
    rng = np.random.default_rng(7)
    q, k, v = _inputs(rng, options)
    masks = _masks(rng, "kpm_bool+attn_float")
    exact = _run(torch, _pair(**options)[1], q, k, v, masks)
    ours = _run(nf, _pair("float32", **options)[0], *(a.astype(np.float32) for a in (q, k, v)), masks)
    theirs = _run(torch, _pair("float32", **options)[1], *(a.astype(np.float32) for a in (q, k, v)), masks)

    def errors(result):
        found = [np.abs(result[0] - exact[0]).max(), np.abs(result[1] - exact[1]).max()]
        return found + [np.abs(result[2][key] - exact[2][key]).max() for key in exact[2]]

    for mine, reference in zip(errors(ours), errors(theirs)):
        assert mine <= 8 * reference + 1e-6


def test_dropout_acts_on_the_weights_in_training_and_is_reproducible_under_manual_seed():
    m = nf.nn.MultiheadAttention(16, 2, dropout=0.5)
    x = nf.randn(20, 4, 16)

    def run(seed):
        nf.manual_seed(seed)
        out, w = m(x, x, x, average_attn_weights=False)
        return out.detach().numpy(), w.detach().numpy()

    (a, wa), (b, wb), (c, _) = run(1), run(1), run(2)
    assert a.shape == (20, 4, 16) and wa.shape == (4, 2, 20, 20)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(wa, wb)
    assert not np.allclose(a, c)
    assert 0.4 < (wa == 0).mean() < 0.6  # each weight kept with probability 1 - p ...
    np.testing.assert_allclose(wa.sum(-1).mean(), 1.0, atol=0.1)  # ... and scaled by 1 / (1 - p)
    m.eval()
    _, w = m(x, x, x, average_attn_weights=False)
    assert not (w.detach().numpy() == 0).any()
    np.testing.assert_allclose(w.detach().numpy().sum(-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("options", [{}, {"kdim": 3, "vdim": 2, "add_bias_kv": True, "add_zero_attn": True}], ids=str)
def test_gradcheck_and_gradgradcheck(need_weights, options):
    nf.manual_seed(0)
    m = nf.nn.MultiheadAttention(4, 2, **options).double()
    rng = np.random.default_rng(8)
    q = nf.tensor(rng.standard_normal((3, 2, 4)), requires_grad=True)
    k = nf.tensor(rng.standard_normal((2, 2, options.get("kdim", 4))), requires_grad=True)
    v = nf.tensor(rng.standard_normal((2, 2, options.get("vdim", 4))), requires_grad=True)
    mask = nf.tensor(rng.standard_normal((3, 2)), requires_grad=True)  # a float mask is differentiable
    pad = nf.tensor(np.array([[False, False], [False, True]]))

    def fn(q, k, v, mask):
        out, w = m(q, k, v, attn_mask=mask, key_padding_mask=pad, need_weights=need_weights)
        return out if w is None else (out, w)

    assert nf.autograd.gradcheck(fn, [q, k, v, mask])
    assert nf.autograd.gradgradcheck(fn, [q, k, v, mask])
