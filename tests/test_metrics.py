from __future__ import annotations

import keras
import numpy as np
import pytest

from rotkeras.metrics import AngleError, angle_error


def test_angle_error_function_is_circular() -> None:
    assert angle_error([0, 359, 90], [0, 1, 80], num_angles=360) == pytest.approx(4.0)
    assert angle_error([0, 1], [2, 3], num_angles=4) == pytest.approx(180.0)
    assert angle_error([0, 0], [1, 3], num_angles=4) == pytest.approx(90.0)
    assert angle_error([5], [5], num_angles=8) == 0.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0, 1], [0], 4), r"\(2,\).*\(1,\)"),
        (([], [], 4), "empty"),
        (([0], [0], 0), "=0"),
        (([7], [0], 4), r"y_true_classes.*\[0, 3\].*7"),
        (([0], [-1], 4), r"y_pred_classes.*\[0, 3\]"),
    ],
)
def test_angle_error_function_bad_inputs(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        angle_error(*args)


def test_metric_matches_function_and_accumulates(rng) -> None:
    metric = AngleError(num_angles=360)
    true = rng.integers(0, 360, 50)
    logits = rng.random((50, 360)).astype("float32")
    metric.update_state(true[:20], logits[:20])
    metric.update_state(true[20:, None], logits[20:])
    expected = angle_error(true, np.argmax(logits, axis=1), 360)
    assert float(keras.ops.convert_to_numpy(metric.result())) == pytest.approx(expected, rel=1e-5)
    metric.reset_state()
    assert float(keras.ops.convert_to_numpy(metric.result())) == 0.0


def test_metric_sample_weight() -> None:
    metric = AngleError(num_angles=4)
    probs = np.eye(4, dtype="float32")[[1, 0]]
    metric.update_state(np.array([0, 0]), probs, sample_weight=np.array([1.0, 3.0]))
    assert float(keras.ops.convert_to_numpy(metric.result())) == pytest.approx(90.0 / 4)


def test_metric_shape_error() -> None:
    with pytest.raises(ValueError, match=r"\(batch, 360\).*\(2, 4\)"):
        AngleError()(np.zeros(2), np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match="num_angles=-1"):
        AngleError(num_angles=-1)


def test_metric_config_and_compile(tmp_path, rng) -> None:
    metric = AngleError(num_angles=8, name="err")
    config = metric.get_config()
    clone = AngleError.from_config(config)
    assert clone.num_angles == 8 and clone.name == "err"
    serialized = keras.saving.serialize_keras_object(metric)
    assert serialized["registered_name"] == "rotkeras>AngleError"
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=[AngleError(8)])
    x, y = rng.random((16, 3)).astype("float32"), rng.integers(0, 8, 16)
    results = model.evaluate(x, y, verbose=0, return_dict=True)
    expected = angle_error(y, np.argmax(model.predict(x, verbose=0), axis=1), 8)
    assert results["angle_error"] == pytest.approx(expected, rel=1e-5)
    path = tmp_path / "m.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    again = restored.evaluate(x, y, verbose=0, return_dict=True)
    assert again["angle_error"] == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("label", [4, 7, -1])
def test_metric_refuses_labels_outside_its_classes(label) -> None:
    # A label outside the classes is a user mistake, not an error of 0 degrees.
    metric = AngleError(num_angles=4)
    with pytest.raises(ValueError, match=r"y_true.*\[0, 3\]"):
        metric.update_state(np.array([0, label]), np.eye(4, dtype="float32")[[0, 0]])


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.function graphs")
def test_metric_refuses_labels_outside_its_classes_inside_a_graph() -> None:
    import tensorflow as tf

    metric = AngleError(num_angles=4)
    update = tf.function(metric.update_state)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"y_true.*\[0, 3\]"):
        update(tf.constant([0, 9]), tf.one_hot([0, 0], 4))
