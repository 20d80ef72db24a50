"""PyTorch-trained weights -> NumpyFlow -> ONNX -> onnxruntime: the exported model
predicts the classes PyTorch predicts, on 100 images of the embedded digits."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx_check import session  # noqa: E402

import numpyflow as nf  # noqa: E402


def _cnn(nn):
    """The same small CNN in PyTorch (``nn = torch.nn``) and in NumpyFlow (``nf.nn``)."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1, bias=False),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.Dropout(0.1),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(16, 10),
    )


def _digits(train):
    ds = nf.vision.datasets.Digits(train=train)
    images = ds.data.numpy().astype(np.float32)[:, None] / 16.0
    return images, ds.targets.numpy()


@pytest.fixture
def one_torch_thread():
    """PyTorch on one thread: its small kernels slow down badly when its threads compete
    with the test process's own."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_pytorch_weights_through_numpyflow_and_onnx_predict_as_pytorch(tmp_path, one_torch_thread):
    torch.manual_seed(0)
    images, labels = _digits(train=True)
    model = _cnn(torch.nn)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.005)
    rng = np.random.default_rng(0)
    model.train()
    for _ in range(100):
        batch = rng.choice(len(images), 64, replace=False)
        loss = torch.nn.functional.cross_entropy(
            model(torch.from_numpy(images[batch])), torch.from_numpy(labels[batch])
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    path = tmp_path / "cnn.pt"
    torch.save(model.state_dict(), path)

    # the file PyTorch wrote, read by NumpyFlow
    ported = _cnn(nf.nn)
    ported.load_state_dict(nf.load(path))
    ported.eval()

    test_images, test_labels = _digits(train=False)
    x = test_images[:100]
    with torch.no_grad():
        expected = model(torch.from_numpy(x)).numpy().argmax(1)
    assert (expected == test_labels[:100]).mean() > 0.7  # the weights learned something

    onnx_path = tmp_path / "cnn.onnx"
    nf.onnx.export(
        ported,
        (nf.tensor(x[:2]),),
        str(onnx_path),
        input_names=["images"],
        output_names=["logits"],
        dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}},
    )
    proto = onnx.load(str(onnx_path))
    onnx.checker.check_model(proto, full_check=True)
    predicted = session(proto).run(None, {"images": x})[0].argmax(1)
    np.testing.assert_array_equal(predicted, expected)
