from __future__ import annotations

import hashlib
import importlib
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest

import rotkeras
from rotkeras import _shipped
from rotkeras.models.digit_reader import DamagedWeightsError, digit_reader, shipped_weights_path
from tests.helpers import save_and_load, to_numpy

# The module (rotkeras.models.digit_reader is the function of the same name).
reader_module = importlib.import_module("rotkeras.models.digit_reader")


@pytest.fixture
def weights_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped weights folder that the reader is pointed at."""
    folder = tmp_path / "weights"
    shutil.copytree(shipped_weights_path().parent, folder)
    monkeypatch.setattr(_shipped, "weights_dir", lambda: folder)
    return folder


@pytest.mark.parametrize("weights", ["shipped", "numbers"])
def test_shipped_weights_match_their_checksum(weights: str) -> None:
    path = shipped_weights_path(weights)
    assert path.name == reader_module.READER_WEIGHTS[weights]
    manifest = (path.parent / "SHA256SUMS").read_text()
    assert hashlib.sha256(path.read_bytes()).hexdigest() in manifest
    assert path.stat().st_size < 2_000_000


def test_the_two_shipped_weights_differ_and_unknown_names_are_refused() -> None:
    shipped, numbers = (shipped_weights_path(name).read_bytes() for name in ("shipped", "numbers"))
    assert shipped != numbers
    with pytest.raises(ValueError, match="'digits'"):
        shipped_weights_path("digits")


def test_damaged_weights_give_a_clear_error(weights_copy: Path) -> None:
    target = weights_copy / reader_module.WEIGHTS_FILE
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(DamagedWeightsError, match="damaged.*reinstall"):
        digit_reader()


def test_missing_weights_give_a_clear_error(weights_copy: Path) -> None:
    (weights_copy / reader_module.WEIGHTS_FILE).unlink()
    with pytest.raises(DamagedWeightsError, match="missing"):
        digit_reader()
    (weights_copy / "SHA256SUMS").unlink()
    with pytest.raises(DamagedWeightsError, match="checksum list"):
        digit_reader()


@pytest.mark.parametrize("weights", ["shipped", "numbers"])
def test_reads_a_drawn_one_whichever_way_up(weights: str) -> None:
    reader = digit_reader(weights)
    photo = np.full((1, 120, 100, 3), 235, dtype="uint8")
    photo[0, 20:100, 45:56] = 25
    for k in range(4):
        digits, orientation = to_numpy(reader.predict(np.rot90(photo, k, axes=(1, 2)).copy(),
                                                      verbose=0))
        assert digits.shape == (1, 10) and orientation.shape == (1, 4)
        assert int(digits.argmax()) == 1


def test_untrained_and_custom_weights(tmp_path: Path, rng) -> None:
    untrained = digit_reader(weights=None, channels=1)
    assert untrained.input_shape == (None, None, None, 1)
    path = tmp_path / "mine.weights.h5"
    untrained.save_weights(path)
    again = digit_reader(weights=path, channels=1)
    x = rng.integers(0, 255, (2, 40, 40, 1)).astype("uint8")
    pairs = zip(to_numpy(again.predict(x, verbose=0)), to_numpy(untrained.predict(x, verbose=0)),
                strict=True)
    for a, b in pairs:
        np.testing.assert_allclose(a, b, atol=1e-6)
    with pytest.raises(FileNotFoundError, match="nowhere"):
        digit_reader(weights=tmp_path / "nowhere.weights.h5")
    with pytest.raises(ValueError, match="channels=2"):
        digit_reader(channels=2)


def test_saves_as_one_keras_file(tmp_path: Path, rng) -> None:
    reader = digit_reader()
    x = rng.integers(0, 255, (2, 64, 64, 3)).astype("uint8")
    restored = save_and_load(reader, tmp_path)
    pairs = zip(to_numpy(restored.predict(x, verbose=0)), to_numpy(reader.predict(x, verbose=0)),
                strict=True)
    for a, b in pairs:
        np.testing.assert_allclose(a, b, atol=1e-5)


def _shifted(x: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """`x` (batch, 28, 28, 1) moved by (dy, dx) pixels, zeros coming in."""
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    return padded[:, 1 - dy : 29 - dy, 1 - dx : 29 - dx]


def test_shift_average_is_the_mean_over_the_nine_shifts(rng) -> None:
    averaged = digit_reader().get_layer(reader_module.CORE_NAME)
    single = digit_reader(shift_average=False).get_layer(reader_module.CORE_NAME)
    x = rng.uniform(0, 1, (3, 28, 28, 1)).astype("float32") * (rng.uniform(size=(3, 28, 28, 1))
                                                                 > 0.7)
    expected = [np.zeros((3, 10)), np.zeros((3, 4))]
    for dy, dx in reader_module.SHIFTS:
        for total, output in zip(expected, to_numpy(single.predict(_shifted(x, dy, dx),
                                                                   verbose=0)), strict=True):
            total += output / len(reader_module.SHIFTS)
    for got, want in zip(to_numpy(averaged.predict(x, verbose=0)), expected, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-5)
    assert len(reader_module.SHIFTS) == 9 and (0, 0) in reader_module.SHIFTS


def test_shift_average_keeps_turns_exact(rng) -> None:
    # The nine shifts are a set that a quarter turn maps onto itself: turning the digit
    # still leaves the digit output unchanged (no prior) and rolls the orientation output.
    network = digit_reader(orientation_prior=None).get_layer(reader_module.CORE_NAME)
    x = (rng.uniform(size=(2, 28, 28, 1)) > 0.8).astype("float32")
    digits, orientation = to_numpy(network.predict(x, verbose=0))
    for k in (1, 2, 3):
        turned_digits, turned_orientation = to_numpy(
            network.predict(np.rot90(x, k, axes=(1, 2)).copy(), verbose=0))
        np.testing.assert_allclose(turned_digits, digits, atol=1e-5)
        np.testing.assert_allclose(turned_orientation, np.roll(orientation, k, axis=1),
                                   atol=1e-5)


def test_shift_average_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="shift_average"):
        digit_reader(weights=None, shift_average="yes")


@pytest.mark.integration
def test_shipped_reader_scores_on_mnist(mnist_path: Path) -> None:
    _, (x_test, y_test) = rotkeras.datasets.load_mnist(mnist_path)
    core = digit_reader().get_layer(reader_module.CORE_NAME)
    x = rotkeras.datasets.to_float_images(x_test[:1000])
    scores = rotkeras.evaluation.rotation_robustness(core, x, y_test[:1000])
    assert scores["upright"] >= 0.98 and scores["rotated"] >= 0.97, scores


def test_exported_from_models() -> None:
    assert rotkeras.models.digit_reader is digit_reader
    assert isinstance(digit_reader(weights=None), keras.Model)
