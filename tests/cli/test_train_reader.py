from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rotkeras.cli import main
from rotkeras.cli.train_reader import synthetic_training_set
from rotkeras.models.digit_reader import CORE_NAME, digit_reader
from tests.helpers import to_numpy

# The training command on top of `fit_classifier` and the reader, which are tested on every
# backend: run on TensorFlow only.
pytestmark = pytest.mark.backend_independent


@pytest.mark.integration
def test_train_reader_writes_weights_the_reader_loads(
    mnist_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reader.weights.h5"
    cache = tmp_path / "cache"
    args = ["train-reader", "--data", str(mnist_path), "--limit", "256", "--synthetic", "6",
            "--epochs", "1", "--batch-size", "64", "--out", str(out), "--cache", str(cache)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    parameters = digit_reader(weights=None).get_layer(CORE_NAME).count_params()
    assert "epoch 1:" in printed and "MNIST upright" in printed
    assert f"{parameters} parameters" in printed
    assert len(list(cache.glob("synthetic-6-11-*.npz"))) == 1
    reader = digit_reader(weights=out)
    photo = np.full((1, 64, 64, 3), 230, dtype="uint8")
    photo[0, 10:54, 28:36] = 20
    digits, orientation = to_numpy(reader.predict(photo, verbose=0))
    assert digits.shape == (1, 10) and orientation.shape == (1, 4)
    np.testing.assert_allclose(digits.sum(), 1.0, rtol=1e-4)


def test_synthetic_set_is_cached_and_seeded(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    digits = np.zeros((20, 28, 28), np.uint8)
    digits[:, 6:22, 12:16] = 255
    labels = rng.integers(0, 10, 20)
    lines: list[str] = []
    x, y = synthetic_training_set(3, digits, labels, seed=5, cache=tmp_path, log=lines.append)
    assert x.shape == (3, 28, 28, 1) and x.dtype == np.float32 and y.shape == (3,)
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.max() > 0.5
    again, again_y = synthetic_training_set(3, digits, labels, seed=5, cache=tmp_path,
                                            log=lines.append)
    np.testing.assert_array_equal(again, x)
    np.testing.assert_array_equal(again_y, y)
    assert any("from" in line for line in lines[-1:]), lines


def test_tilt_turns_the_chosen_share_of_digits_by_at_most_45_degrees() -> None:
    from rotkeras.cli.train_reader import _RandomTilt

    bar = np.zeros((64, 28, 28, 1), np.float32)
    bar[:, 4:24, 13:15] = 1.0  # a vertical stroke
    untouched = to_numpy(_RandomTilt(0.5, seed=1)(bar, training=False))
    np.testing.assert_array_equal(untouched, bar)
    np.testing.assert_array_equal(to_numpy(_RandomTilt(0.0, seed=1)(bar, training=True)), bar)
    tilted = to_numpy(_RandomTilt(0.5, seed=1)(bar, training=True))
    changed = np.abs(tilted - bar).reshape(64, -1).max(-1) > 1e-3
    assert 16 <= changed.sum() <= 48  # about half of them
    for image in tilted[changed]:
        rows, cols = np.nonzero(image[..., 0] > 0.5)
        # Within 45 degrees of vertical: the stroke is at least as tall as it is wide.
        assert np.ptp(rows) >= np.ptp(cols) - 2


def test_continental_digits_flag_the_chosen_ones_and_cross_the_sevens() -> None:
    from rotkeras.cli.train_reader import continental_digits

    one = np.zeros((28, 28), np.uint8)
    one[4:24, 13:15] = 255  # a vertical stem
    seven = np.zeros((28, 28), np.uint8)
    seven[4:6, 8:20] = 255  # the bar
    for row in range(6, 24):  # the stem, down to the left
        column = 19 - (row - 6) // 3
        seven[row, column - 1:column + 1] = 255
    images = np.stack([one] * 40 + [seven] * 40 + [one] * 20)
    labels = np.array([1] * 40 + [7] * 40 + [3] * 20)
    out = continental_digits(images, labels, 0.5, seed=3)
    assert out.dtype == np.uint8 and out.shape == images.shape
    changed = (out.astype(int) - images).reshape(100, -1).max(-1) > 0
    assert 10 <= changed[:40].sum() <= 30 and 10 <= changed[40:80].sum() <= 30
    assert not changed[80:].any()  # other digits never change, whatever they look like
    assert (out >= images).all()  # strokes only add ink
    for image in out[:40][changed[:40]]:  # the flag: ink left of the stem, in the top half
        assert image[4:15, :12].max() > 128 and image[15:, :12].max() == 0
    for image, before in zip(out[40:80][changed[40:80]], images[40:80][changed[40:80]],
                             strict=True):
        rows = np.nonzero((image.astype(int) - before).max(1) > 64)[0]  # the crossbar
        assert 11 <= rows.min() and rows.max() <= 20
    np.testing.assert_array_equal(continental_digits(images, labels, 0.5, seed=3), out)
    np.testing.assert_array_equal(continental_digits(images, labels, 0.0, seed=3), images)


@pytest.mark.parametrize("source", ["ardis", "semeion", "optdigits"])
def test_real_digits_reach_the_reader_as_mnist_like_digits(tmp_path: Path, source: str) -> None:
    from rotkeras.cli.train_reader import real_training_set
    from tests.datasets.test_ardis import write_ardis
    from tests.datasets.test_uci_digits import write_optdigits, write_semeion

    if source == "ardis":  # a bar filling the 28x28 frame, three times
        bar = np.zeros((3, 28, 28), np.uint8)
        bar[:, 2:26, 11:17] = 255
        path = write_ardis(tmp_path, bar[:2], np.array([1, 1]), bar[2:], np.array([1]))
    elif source == "semeion":
        bar = np.zeros((1, 16, 16), np.uint8)
        bar[0, 1:15, 6:10] = 255
        path = write_semeion(tmp_path / "semeion.data", bar, np.array([1]))
    else:
        bar = np.zeros((1, 32, 32), np.uint8)
        bar[0, 2:30, 13:19] = 255
        path = write_optdigits(tmp_path / "optdigits-orig.tra", bar, np.array([1]))
    lines: list[str] = []
    x, y = real_training_set([path], log=lines.append)
    assert x.shape == (1, 28, 28, 1) and x.dtype == np.float32 and y.tolist() == [1]
    rows, cols = np.nonzero(x[0, ..., 0] > 0.5)
    assert rows.max() - rows.min() + 1 <= 21  # in MNIST's 20x20 box, not the whole frame
    assert abs(rows.mean() - 13.5) < 2 and abs(cols.mean() - 13.5) < 2
    assert lines[-1].startswith("real digits: 1 from")


def test_train_reader_refuses_missing_real_digits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reader.weights.h5"
    assert main(["train-reader", "--real", str(tmp_path), "--out", str(out)]) != 0
    assert "--real" in capsys.readouterr().err and not out.exists()
    missing = tmp_path / "semeion.data"
    assert main(["train-reader", "--real", str(missing), "--out", str(out)]) != 0
    error = capsys.readouterr().err
    assert "--real" in error and "semeion.data" in error and not out.exists()
