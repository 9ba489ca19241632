from __future__ import annotations

import re

import keras
import numpy as np
import pytest

from rotkeras.datasets import load_mnist, to_float_images
from rotkeras.layers import RandomRightAngleRotation
from rotkeras.models import mnist_cnn
from tests.helpers import save_and_load, to_numpy


def test_parameter_count_matches_the_tutorial() -> None:
    assert mnist_cnn().count_params() == 130_890


def test_layer_order_and_shapes() -> None:
    model = mnist_cnn(compile=False)
    summary = [(type(layer).__name__, tuple(layer.output.shape[1:])) for layer in model.layers]
    assert summary == [
        ("Conv2D", (26, 26, 32)),
        ("MaxPooling2D", (13, 13, 32)),
        ("Conv2D", (11, 11, 64)),
        ("MaxPooling2D", (5, 5, 64)),
        ("Conv2D", (3, 3, 64)),
        ("Flatten", (576,)),
        ("Dense", (128,)),
        ("Dense", (10,)),
    ]
    activations = [lay.activation.__name__ for lay in model.layers if hasattr(lay, "activation")]
    assert activations == ["relu", "relu", "relu", "relu", "softmax"]


def test_compiled_like_the_tutorial() -> None:
    model = mnist_cnn()
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)
    assert model.loss == "sparse_categorical_crossentropy"
    assert mnist_cnn(one_hot_labels=True).loss == "categorical_crossentropy"
    assert not mnist_cnn(compile=False).compiled


@pytest.mark.parametrize("one_hot", [False, True])
def test_trains_on_integer_and_one_hot_labels(one_hot: bool, rng: np.random.Generator) -> None:
    x = rng.random((32, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, 32)
    labels = keras.utils.to_categorical(y, 10) if one_hot else y
    model = mnist_cnn(one_hot_labels=one_hot)
    history = model.fit(x, labels, epochs=1, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert 0.0 <= history.history["accuracy"][0] <= 1.0


def test_other_input_shapes_and_classes() -> None:
    model = mnist_cnn(input_shape=(32, 32, 3), num_classes=4, compile=False)
    assert model.output_shape == (None, 4)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"input_shape": (28, 28)},
        {"input_shape": (10, 10, 1)},
        {"input_shape": (28, 28, 0)},
        {"num_classes": 0},
        {"num_classes": 1},  # a softmax over one class always says 1.0
        {"num_classes": 2.5},
    ],
)
def test_bad_arguments_raise(kwargs: dict) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(next(iter(kwargs.values()))))):
        mnist_cnn(**kwargs)


def test_bad_preprocessing_raises() -> None:
    with pytest.raises(TypeError, match="str"):
        mnist_cnn(preprocessing=["not a layer"])


def test_save_load_round_trip_gives_identical_predictions(tmp_path, rng) -> None:
    model = mnist_cnn(preprocessing=RandomRightAngleRotation(seed=3))
    x = rng.random((16, 28, 28, 1), dtype=np.float32)
    model.fit(x, rng.integers(0, 10, 16), epochs=1, verbose=0)
    restored = save_and_load(model, tmp_path)
    np.testing.assert_array_equal(to_numpy(model.predict(x, verbose=0)),
                                  to_numpy(restored.predict(x, verbose=0)))
    assert isinstance(restored.layers[0], RandomRightAngleRotation)


@pytest.mark.integration
def test_one_epoch_on_real_mnist_reaches_98_percent(mnist_path) -> None:
    (x_train, y_train), (x_test, y_test) = load_mnist(mnist_path)
    model = mnist_cnn()
    model.fit(to_float_images(x_train), y_train, epochs=1, batch_size=64, verbose=0)
    _, accuracy = model.evaluate(to_float_images(x_test), y_test, batch_size=1024, verbose=0)
    assert accuracy >= 0.98


def test_saved_model_loads_in_a_fresh_process_after_import_rotkeras(tmp_path) -> None:
    import subprocess
    import sys

    model = mnist_cnn(preprocessing=RandomRightAngleRotation(seed=3))
    model.save(tmp_path / "m.keras")
    code = (
        "import keras, rotkeras; "
        f"m = keras.saving.load_model({str(tmp_path / 'm.keras')!r}); "
        "print(type(m.layers[0]).__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-1500:]
    assert out.stdout.strip().endswith("RandomRightAngleRotation")


def _policies(model: keras.Model) -> dict[str, str]:
    return {layer.name: layer.dtype_policy.name for layer in model.layers}


def test_mixed_precision_keeps_weights_and_output_in_float32(rng) -> None:
    model = mnist_cnn(dtype="mixed_bfloat16")
    policies = _policies(model)
    assert policies.pop("probabilities") == "float32"
    assert set(policies.values()) == {"mixed_bfloat16"}
    assert model.count_params() == 130890
    assert {w.dtype for w in model.weights} == {"float32"}
    x = rng.random((8, 28, 28, 1), dtype=np.float32)
    model.fit(x, rng.integers(0, 10, 8), epochs=1, verbose=0)
    probabilities = to_numpy(model.predict(x, verbose=0))
    assert probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_mixed_precision_differs_from_float32_only_by_rounding(rng) -> None:
    reference = mnist_cnn()
    mixed = mnist_cnn(dtype=keras.DTypePolicy("mixed_bfloat16"))
    mixed.set_weights(reference.get_weights())
    x = rng.random((16, 28, 28, 1), dtype=np.float32)
    full = to_numpy(reference.predict(x, verbose=0))
    low = to_numpy(mixed.predict(x, verbose=0))
    assert not np.array_equal(full, low)  # bfloat16 really is used
    np.testing.assert_allclose(low, full, atol=0.05)


def test_dtype_none_follows_the_global_policy() -> None:
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        policies = _policies(mnist_cnn())
    finally:
        keras.config.set_dtype_policy(previous)
    assert policies["conv1"] == "mixed_bfloat16"
    assert policies["probabilities"] == "float32"
    assert set(_policies(mnist_cnn()).values()) == {previous.name}


def test_pure_low_precision_policy_applies_to_every_layer() -> None:
    assert set(_policies(mnist_cnn(dtype="bfloat16")).values()) == {"bfloat16"}


@pytest.mark.parametrize(
    ("dtype", "error", "match"),
    [("int8", ValueError, "'int8'"), ("float33", ValueError, "'float33'"),
     (32, TypeError, "int: 32")],
)
def test_bad_dtype_raises(dtype, error, match) -> None:
    with pytest.raises(error, match=match):
        mnist_cnn(dtype=dtype)


def test_mixed_precision_save_load_round_trip(tmp_path, rng) -> None:
    model = mnist_cnn(preprocessing=RandomRightAngleRotation(seed=3), dtype="mixed_bfloat16")
    x = rng.random((8, 28, 28, 1), dtype=np.float32)
    restored = save_and_load(model, tmp_path)
    assert _policies(restored) == _policies(model)
    assert restored.layers[0].dtype_policy.name == keras.config.dtype_policy().name
    np.testing.assert_array_equal(to_numpy(model.predict(x, verbose=0)),
                                  to_numpy(restored.predict(x, verbose=0)))


def test_untrained_model_saves_and_loads_without_optimizer_warning(tmp_path) -> None:
    import warnings

    path = tmp_path / "fresh.keras"
    mnist_cnn().save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # "Skipping variable loading for optimizer"
        restored = keras.saving.load_model(path)
    assert len(restored.optimizer.variables) == 2 * len(restored.trainable_variables) + 2
