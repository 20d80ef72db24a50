"""nn.RNN, nn.LSTM and nn.GRU against PyTorch's with the weights copied by key: outputs,
final states and every gradient in float64 (1e-10) over option combinations, packed
inputs, float32 judged against the float64 result; names, initialisation and errors;
the fused time loop against the same recurrence composed of differentiable ops, to the
third derivative."""

import numpy as np
import pytest
from reference import needs_torch, torch

import numpyflow as nf
from numpyflow.ops.recurrent import RecurrentScan, Scan, composed_scan

LAYERS = ["RNN", "LSTM", "GRU"]


def _pair(name, *args, dtype=np.float64, **kwargs):
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    ours = getattr(nf.nn, name)(*args, **kwargs)
    if dtype == np.float64:
        theirs, ours = theirs.double(), ours.double()
    ours.load_state_dict({k: nf.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


def _state_shapes(name, options, batch):
    directions = 2 if options.get("bidirectional") else 1
    layers = options.get("num_layers", 1)
    hidden = options.get("proj_size") or 4
    shapes = [(layers * directions, batch, hidden)]
    if name == "LSTM":
        shapes.append((layers * directions, batch, 4))
    return [s if batch else (s[0], s[2]) for s in shapes]


def _run(lib, layer, x, states, seed_grads, packed_lengths=None):
    """Forward and backward of ``layer``; every output and every gradient as float64
    arrays (padded back where the input was packed)."""
    x = lib.tensor(x, requires_grad=True)
    hx = [lib.tensor(s, requires_grad=True) for s in states] if states else None
    inp = x
    if packed_lengths is not None:
        inp = lib.nn.utils.rnn.pack_padded_sequence(x, packed_lengths, enforce_sorted=False)
    state = None if hx is None else (tuple(hx) if len(hx) == 2 else hx[0])
    out, final = layer(inp, state)
    if packed_lengths is not None:
        out, _ = lib.nn.utils.rnn.pad_packed_sequence(out)
    outs = [out] + list(final if isinstance(final, tuple) else (final,))
    loss = sum((o * lib.tensor(g)).sum() for o, g in zip(outs, seed_grads(outs)))
    loss.backward()
    grads = [x.grad] + [h.grad for h in hx or []] + [p.grad for p in layer.parameters()]
    return [o.detach().numpy().astype(np.float64) for o in outs] + [g.numpy().astype(np.float64) for g in grads]


def _seed(outs):
    rng = np.random.default_rng(5)
    return [rng.standard_normal(tuple(o.shape)) for o in outs]


OPTIONS = [
    {},
    {"bias": False},
    {"num_layers": 2},
    {"bidirectional": True},
    {"num_layers": 2, "bidirectional": True, "batch_first": True},
    {"batch_first": True},
]
VARIANTS = [(name, options) for name in LAYERS for options in OPTIONS] + [
    ("RNN", {"nonlinearity": "relu", "num_layers": 2}),
    ("LSTM", {"proj_size": 3}),
    ("LSTM", {"proj_size": 2, "num_layers": 2, "bidirectional": True}),
]


@needs_torch
@pytest.mark.parametrize("name,options", VARIANTS, ids=lambda v: str(v))
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_state", [True, False])
def test_layers_match_pytorch_with_every_gradient(name, options, batched, with_state):
    ours, theirs = _pair(name, 3, 4, **options)
    rng = np.random.default_rng(1)
    steps, batch = 5, 2
    shape = ((batch, steps, 3) if options.get("batch_first") else (steps, batch, 3)) if batched else (steps, 3)
    x = rng.standard_normal(shape)
    states = [rng.standard_normal(s) for s in _state_shapes(name, options, batch if batched else 0)]
    states = states if with_state else None
    for a, b in zip(_run(nf, ours, x, states, _seed), _run(torch, theirs, x, states, _seed)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize(
    "name,options", [("RNN", {}), ("LSTM", {"num_layers": 2, "bidirectional": True}), ("GRU", {"bidirectional": True})]
)
@pytest.mark.parametrize("proj", [0, 2])
def test_packed_sequences_match_pytorch(name, options, proj):
    if proj and name != "LSTM":
        pytest.skip("proj_size is an LSTM option")
    options = dict(options, proj_size=proj) if proj else options
    ours, theirs = _pair(name, 3, 4, **options)
    rng = np.random.default_rng(3)
    lengths = [4, 6, 1, 5, 6]
    x = rng.standard_normal((6, 5, 3))
    states = [rng.standard_normal(s) for s in _state_shapes(name, options, 5)]
    for a, b in zip(_run(nf, ours, x, states, _seed, lengths), _run(torch, theirs, x, states, _seed, lengths)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@needs_torch
@pytest.mark.parametrize("name", LAYERS)
def test_float32_is_as_close_to_the_exact_result_as_pytorchs(name):
    """float32 outputs and gradients judged against the float64 result: no further from
    it than PyTorch's float32 is (with a factor 4 and a floor at float32 rounding)."""
    options = {"num_layers": 2, "bidirectional": True}
    rng = np.random.default_rng(7)
    x = rng.standard_normal((20, 8, 3))
    states = [rng.standard_normal(s) for s in _state_shapes(name, options, 8)]
    exact = _run(nf, _pair(name, 3, 4, **options)[0], x, states, _seed)
    ours32, theirs32 = _pair(name, 3, 4, dtype=np.float32, **options)
    x32, states32 = x.astype(np.float32), [s.astype(np.float32) for s in states]

    def seed32(outs):
        return [g.astype(np.float32) for g in _seed(outs)]

    def errors(results):
        return [np.abs(r - e).max() / max(np.abs(e).max(), 1e-30) for r, e in zip(results, exact)]

    ours_err = errors(_run(nf, ours32, x32, states32, seed32))
    theirs_err = errors(_run(torch, theirs32, x32, states32, seed32))
    for k, (a, b) in enumerate(zip(ours_err, theirs_err)):
        assert a < max(4 * b, 1e-6), f"result {k}: {a:.1e} (PyTorch {b:.1e})"


@needs_torch
@pytest.mark.parametrize("name", LAYERS)
def test_names_shapes_initialisation_and_repr_are_pytorchs(name):
    options = {"num_layers": 2, "bidirectional": True, "batch_first": True, "dropout": 0.5}
    if name == "LSTM":
        options["proj_size"] = 3
    ours, theirs = getattr(nf.nn, name)(5, 7, **options), getattr(torch.nn, name)(5, 7, **options)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == [
        (k, tuple(v.shape)) for k, v in theirs.state_dict().items()
    ]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert ours._flat_weights_names == theirs._flat_weights_names
    assert [[tuple(p.shape) for p in ps] for ps in ours.all_weights] == [
        [tuple(p.shape) for p in ps] for ps in theirs.all_weights
    ]
    bound = 1 / np.sqrt(7)
    for p in ours.parameters():
        assert p.dtype == nf.float32 and np.abs(p.detach().numpy()).max() <= bound
        assert np.abs(p.detach().numpy()).max() > bound / 2
    assert repr(ours) == repr(theirs)
    assert repr(nf.nn.RNN(2, 3, 1, "relu")) == repr(torch.nn.RNN(2, 3, 1, "relu"))


@needs_torch
def test_errors_and_warnings_are_pytorchs():
    for lib in (nf, torch):
        with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
            lib.nn.GRU(3, 4, proj_size=2)
        with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
            lib.nn.LSTM(3, 4, proj_size=4)
        with pytest.raises(ValueError, match="dropout should be a number in range"):
            lib.nn.LSTM(3, 4, dropout=1.5)
        with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
            lib.nn.GRU(3, 0)
        with pytest.raises(ValueError, match="Unknown nonlinearity 'sig'"):
            lib.nn.RNN(3, 4, nonlinearity="sig")
        with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
            lib.nn.GRU(3, 4, dropout=0.2)
        lstm = lib.nn.LSTM(3, 4, num_layers=2)
        with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D instead"):
            lstm(lib.zeros(1, 2, 3, 3))
        with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 3, got 5"):
            lstm(lib.zeros(4, 2, 5))
        with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(2, 2, 4\), got \[1, 2, 4\]"):
            lstm(lib.zeros(4, 2, 3), (lib.zeros(1, 2, 4), lib.zeros(2, 2, 4)))
        with pytest.raises(RuntimeError, match="For batched 3-D input, hx and cx should also be 3-D"):
            lstm(lib.zeros(4, 2, 3), (lib.zeros(2, 4), lib.zeros(2, 4)))
        gru = lib.nn.GRU(3, 4)
        with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 4\), got \[1, 3, 4\]"):
            gru(lib.zeros(4, 2, 3), lib.zeros(1, 3, 4))
        with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"):
            gru(lib.zeros(4, 3), lib.zeros(1, 1, 4))
        with pytest.raises(ValueError, match=r"RNN input dtype \(\w+.float64\) does not match weight dtype"):
            gru(lib.zeros(4, 2, 3, dtype=lib.float64))


def test_dropout_between_layers_only_in_training():
    nf.manual_seed(0)
    lstm = nf.nn.LSTM(3, 4, num_layers=3, dropout=0.5)
    x = nf.randn(6, 2, 3)
    lstm.eval()
    a, _ = lstm(x)
    b, _ = lstm(x)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    lstm.train()
    nf.manual_seed(1)
    c, _ = lstm(x)
    nf.manual_seed(1)
    d, _ = lstm(x)
    np.testing.assert_array_equal(c.detach().numpy(), d.detach().numpy())  # the same draws under one seed
    assert np.abs(c.detach().numpy() - a.detach().numpy()).max() > 1e-3
    single = nf.nn.LSTM(3, 4, num_layers=1)
    single.train()
    np.testing.assert_array_equal(single(x)[0].detach().numpy(), single(x)[0].detach().numpy())


def test_trains_on_a_copy_task():
    """A GRU learns to output its input delayed by one step (loss falls tenfold)."""
    nf.manual_seed(0)
    gru, head = nf.nn.GRU(4, 16, batch_first=True), nf.nn.Linear(16, 4)
    opt = nf.optim.Adam(list(gru.parameters()) + list(head.parameters()), lr=0.02)
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(150):
        x = rng.standard_normal((16, 8, 4)).astype(np.float32)
        y = np.concatenate([np.zeros((16, 1, 4), np.float32), x[:, :-1]], axis=1)
        out, _ = gru(nf.tensor(x))
        loss = nf.nn.functional.mse_loss(head(out), nf.tensor(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert np.mean(losses[-10:]) < np.mean(losses[:10]) / 10


# -- the fused time loop against its composition ----------------------------------------


def _scan_inputs(mode, sizes, proj, rng, biases="hh ih"):
    """``(gi, h0, c0, W_hh, b_hh, W_hr, b_ih)``, the biases named in ``biases`` present."""
    hidden, features = 3, proj or 3
    gates = {"LSTM": 4, "GRU": 3}.get(mode, 1) * hidden
    n, batch = sum(sizes), sizes[0]
    arrays = [
        rng.standard_normal((n, gates)),
        rng.standard_normal((batch, features)),
        rng.standard_normal((batch, hidden)) if mode == "LSTM" else None,
        rng.standard_normal((gates, features)) * 0.7,
        rng.standard_normal(gates) if "hh" in biases else None,
        rng.standard_normal((proj, hidden)) if proj else None,
        rng.standard_normal(gates) if "ih" in biases else None,
    ]
    return [None if a is None else nf.tensor(a, requires_grad=True) for a in arrays]


SCANS = [
    (mode, reverse, proj, "hh ih")
    for mode in ("RNN_TANH", "RNN_RELU", "LSTM", "GRU")
    for reverse in (False, True)
    for proj in ((0, 2) if mode == "LSTM" else (0,))
] + [(mode, False, 0, biases) for mode in ("LSTM", "GRU") for biases in ("hh", "ih", "")]


@pytest.mark.parametrize("mode,reverse,proj,biases", SCANS)
def test_fused_scan_equals_its_composition_with_gradients(mode, reverse, proj, biases):
    rng = np.random.default_rng(11)
    scan = Scan(mode, (4, 4, 3, 1, 1), reverse)
    inputs = _scan_inputs(mode, scan.batch_sizes, proj, rng, biases)
    fused = RecurrentScan.apply(*inputs, scan)
    composed = composed_scan(scan, *inputs)
    live = [t for t in inputs if t is not None]
    seeds = [None if o is None else nf.tensor(rng.standard_normal(tuple(o.shape))) for o in fused]

    def grads(outs):
        return nf.autograd.grad(
            [o for o in outs if o is not None], live, [s for s in seeds if s is not None], retain_graph=True
        )

    for a, b in zip(fused, composed):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-13)
    for a, b in zip(grads(fused), grads(composed)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("mode,proj", [("LSTM", 0), ("LSTM", 2), ("GRU", 0), ("RNN_TANH", 0)])
def test_fused_scan_gradcheck_and_gradgradcheck(mode, proj):
    rng = np.random.default_rng(12)
    scan = Scan(mode, (3, 3, 2), True)
    inputs = _scan_inputs(mode, scan.batch_sizes, proj, rng)
    positions = [k for k, t in enumerate(inputs) if t is not None]

    def fn(*live):
        full = list(inputs)
        for k, t in zip(positions, live):
            full[k] = t
        return tuple(o for o in RecurrentScan.apply(*full, scan) if o is not None)

    live = [inputs[k] for k in positions]
    assert nf.autograd.gradcheck(fn, live)
    assert nf.autograd.gradgradcheck(fn, live)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
def test_third_derivative_of_the_fused_scan_equals_its_compositions(mode):
    rng = np.random.default_rng(13)
    scan = Scan(mode, (2, 2, 1))
    inputs = _scan_inputs(mode, scan.batch_sizes, 0, rng)
    w = inputs[3]

    def third(run):
        out = run(*inputs)[0]
        (g,) = nf.autograd.grad((out**2).sum(), [w], create_graph=True)
        (gg,) = nf.autograd.grad((g**2).sum(), [w], create_graph=True)
        (ggg,) = nf.autograd.grad((gg**2).sum(), [w])
        return ggg.numpy()

    fused = third(lambda *p: RecurrentScan.apply(*p, scan))
    composed = third(lambda *p: composed_scan(scan, *p))
    np.testing.assert_allclose(fused, composed, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", LAYERS)
def test_layer_gradcheck_and_gradgradcheck(name):
    nf.manual_seed(0)
    layer = getattr(nf.nn, name)(2, 3, bidirectional=True).double()
    x = nf.tensor(np.random.default_rng(2).standard_normal((3, 2, 2)), requires_grad=True)
    assert nf.autograd.gradcheck(lambda x: layer(x)[0], [x])
    assert nf.autograd.gradgradcheck(lambda x: layer(x)[0], [x])


@pytest.mark.parametrize("mode,reverse", [("LSTM", False), ("GRU", True), ("RNN_TANH", False)])
def test_batch_rows_on_threads_equal_one_thread(mode, reverse, monkeypatch):
    """The recurrences of batch rows split over two threads (packed sizes, so the groups
    end at different steps) give what one thread gives."""
    from numpyflow.ops import recurrent

    rng = np.random.default_rng(14)
    scan = Scan(mode, (7, 7, 6, 4, 4, 1), reverse)
    inputs = _scan_inputs(mode, scan.batch_sizes, 0, rng)
    seeds = None

    def run():
        nonlocal seeds
        outs = [o for o in RecurrentScan.apply(*inputs, scan) if o is not None]
        seeds = seeds or [nf.tensor(rng.standard_normal(tuple(o.shape))) for o in outs]
        live = [t for t in inputs if t is not None]
        return [o.detach().numpy() for o in outs] + [g.numpy() for g in nf.autograd.grad(outs, live, seeds)]

    previous = nf.get_num_threads()
    try:
        nf.set_num_threads(1)
        single = run()
        nf.set_num_threads(2)
        monkeypatch.setattr(recurrent, "_MIN_PARALLEL_FLOPS", 0)
        split = run()
    finally:
        nf.set_num_threads(previous)
    for a, b in zip(single, split):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-14)
