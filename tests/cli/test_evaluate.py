"""numpyflow/cli/evaluate.py: choosing the worst mistakes, the confusion matrix, and the
two figures beside the checkpoint."""

import numpy as np
import pytest

import numpyflow as nf
from numpyflow.cli import evaluate
from numpyflow.cli.data import DATASETS

PROBS = np.array(
    [
        [0.9, 0.05, 0.05],  # 0: right
        [0.2, 0.7, 0.1],  # 1: wrong (true 0), 0.7 on class 1
        [0.1, 0.1, 0.8],  # 2: wrong (true 1), 0.8 on class 2
        [0.3, 0.6, 0.1],  # 3: right (true 1)
        [0.05, 0.05, 0.9],  # 4: right, surer than any mistake
        [0.1, 0.2, 0.7],  # 5: wrong (true 0), 0.7 on class 2: ties with 1
        [0.34, 0.33, 0.33],  # 6: wrong (true 2), barely
    ]
)
LABELS = np.array([0, 0, 1, 1, 2, 0, 2])


def test_worst_mistakes_are_the_wrong_predictions_the_model_was_surest_of():
    assert evaluate.worst_mistakes(PROBS, LABELS, 10).tolist() == [2, 1, 5, 6]  # ties in index order
    assert evaluate.worst_mistakes(PROBS, LABELS, 2).tolist() == [2, 1]
    assert evaluate.worst_mistakes(PROBS, np.argmax(PROBS, 1), 5).tolist() == []


def test_confusion_matrix_rows_are_the_true_class():
    confusion = evaluate.confusion_matrix(LABELS, PROBS.argmax(1), 3)
    assert confusion.tolist() == [[1, 1, 1], [0, 1, 1], [1, 0, 1]]


def test_class_names_come_from_the_data_set_spec():
    assert DATASETS["digits"].class_names == tuple("0123456789")
    assert DATASETS["fashion-mnist"].class_names[0] == "T-shirt/top"
    assert DATASETS["fashion-mnist"].class_names[-1] == "Ankle boot"
    assert DATASETS["cifar10"].class_names[:3] == ("airplane", "automobile", "bird")


@pytest.mark.parametrize("count", [0, 1, 5])
def test_figures_are_written_for_any_number_of_mistakes(tmp_path, count):
    pytest.importorskip("matplotlib")
    names = ["zero", "one", "two"]
    assert evaluate.plot_confusion(str(tmp_path / "confusion.png"), [[3, 1, 0], [0, 0, 0], [2, 2, 5]], names)
    images = [nf.rand(1, 8, 8) for _ in range(count)]
    labels, predictions = [0] * count, [2] * count
    assert evaluate.plot_mistakes(str(tmp_path / "mistakes.png"), images, labels, predictions, [0.9] * count, names)
    for name in ("confusion.png", "mistakes.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
