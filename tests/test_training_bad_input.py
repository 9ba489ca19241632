"""`fit_classifier` never trains on garbage: non-finite inputs, labels out of range and
impossible epoch counts are refused before training, with the same error and message on
every backend (run this file under each: `python tests/run_backends.py FILE`), and a loss
that becomes NaN stops the training with an error naming the epoch."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from rotkeras import _validation as check
from rotkeras.datasets import TurnedBatches
from rotkeras.training import NonFiniteLossError, fit_classifier


def _model(classes: int = 3) -> keras.Model:
    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(classes, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def _data(n: int = 8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.random((n, 4, 4, 1), dtype=np.float32), rng.integers(0, 3, n).astype("int32")


def _weights(model: keras.Model) -> list[np.ndarray]:
    return [np.array(keras.ops.convert_to_numpy(w)) for w in model.weights]


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_non_finite_pixel_is_refused_before_training(bad) -> None:
    model = _model()
    x, y = _data()
    x[5, 1, 2, 0] = bad
    before = _weights(model)
    with pytest.raises(ValueError, match=r"`x` must hold finite numbers; received 1 NaN or "
                                         r"infinite value\(s\), the first in sample 5"):
        fit_classifier(model, x, y, epochs=1, batch_size=4, verbose=0)
    for old, new in zip(before, _weights(model), strict=True):
        np.testing.assert_array_equal(old, new)  # not one step taken


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ([0, 1, 2, 3, 0, 1, 2, 0], r"`y` must hold class labels in \[0, 2\] \(the model has 3 "
                                   r"classes\); received labels from 0 to 3"),
        ([0, 1, 2, -1, 0, 1, 2, 0], r"received labels from -1 to 2"),
        ([0, 1, 2.5, 0, 0, 1, 2, 0], r"fractional part"),
        ([0, 1, np.nan, 0, 0, 1, 2, 0], r"`y` must hold finite numbers"),
    ],
)
def test_labels_out_of_range_are_refused_on_every_backend(labels, message) -> None:
    x, _ = _data()
    with pytest.raises(ValueError, match=message):
        fit_classifier(_model(), x, np.array(labels), epochs=1, batch_size=4, verbose=0)


def test_string_labels_are_a_type_error() -> None:
    x, _ = _data()
    with pytest.raises(TypeError, match="integer class labels"):
        check.check_class_label_array(np.array(["a"] * 8), 3)
    with pytest.raises(TypeError, match="integer class labels"):
        check.check_class_label_array(np.array([True] * 8), 3)


def test_validation_data_are_checked_too() -> None:
    x, y = _data()
    x_val = x.copy()
    x_val[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"`validation_data\[0\]` must hold finite numbers"):
        fit_classifier(_model(), x, y, epochs=1, batch_size=4, verbose=0,
                       validation_data=(x_val, y))
    with pytest.raises(ValueError, match=r"`validation_data\[1\]` must hold class labels"):
        fit_classifier(_model(), x, y, epochs=1, batch_size=4, verbose=0,
                       validation_data=(x, y + 5))


def test_each_output_of_a_joint_model_is_checked() -> None:
    inputs = keras.Input((4, 4, 1))
    h = keras.layers.Flatten()(inputs)
    model = keras.Model(inputs, [keras.layers.Dense(3, activation="softmax")(h),
                                 keras.layers.Dense(4, activation="softmax")(h)])
    model.compile("adam", ["sparse_categorical_crossentropy"] * 2)
    x, y = _data()
    turns = np.array([0, 1, 2, 3, 4, 0, 1, 2])
    with pytest.raises(ValueError, match=r"`y\[1\]` must hold class labels in \[0, 3\]"):
        fit_classifier(model, x, (y, turns), epochs=1, batch_size=4, verbose=0)
    batches = TurnedBatches(x, y + 3, batch_size=4, seed=0)
    with pytest.raises(ValueError, match=r"`y\[0\]` must hold class labels in \[0, 2\]"):
        fit_classifier(model, batches, epochs=1, verbose=0)


def test_skipping_the_check_still_stops_on_a_nan_loss() -> None:
    x, y = _data()
    x[0] = np.nan
    with pytest.raises(NonFiniteLossError, match=r"the loss became nan in epoch 1"):
        fit_classifier(_model(), x, y, epochs=2, batch_size=4, verbose=0, check_data=False)
    assert issubclass(NonFiniteLossError, ValueError)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"epochs": -1}, ValueError, r"`epochs` must be a positive integer; received epochs=-1"),
        ({"epochs": 0}, ValueError, r"`epochs` must be a positive integer"),
        ({"epochs": 2.5}, TypeError, r"`epochs` must be a positive integer; received "
                                     r"epochs=2.5 of type float"),
        ({"epochs": True}, TypeError, r"`epochs` must be a positive integer"),
        ({"epochs": 2, "initial_epoch": 3}, ValueError,
         r"`initial_epoch` must be at most `epochs` \(2\)"),
        ({"initial_epoch": -1}, ValueError, r"`initial_epoch` must be at least 0"),
        ({"seed": -1}, ValueError, r"`seed` must be in \[0, 2147483647\]"),
        ({"check_data": "yes"}, TypeError, r"`check_data` must be a bool"),
    ],
)
def test_impossible_epochs_and_seeds_are_refused(kwargs, error, message) -> None:
    x, y = _data()
    with pytest.raises(error, match=message):
        fit_classifier(_model(), x, y, batch_size=4, verbose=0, **{"epochs": 1, **kwargs})


def test_numpy_integers_are_accepted() -> None:
    x, y = _data()
    history = fit_classifier(_model(), x, y, epochs=np.int64(1), batch_size=np.int64(4),
                             seed=np.int64(3), initial_epoch=np.int64(0), verbose=0)
    assert len(history.history["loss"]) == 1


def test_turned_batches_refuse_a_string_for_shuffle() -> None:
    x, y = _data()
    with pytest.raises(TypeError, match=r"`shuffle` must be a bool; received shuffle='no'"):
        TurnedBatches(x, y, shuffle="no")
