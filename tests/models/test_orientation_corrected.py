from __future__ import annotations

import keras
import numpy as np
import pytest

from rotkeras.layers import OrientationCorrection
from rotkeras.models import angle_classifier, mnist_cnn, orientation_corrected
from tests.helpers import save_and_load, to_numpy


def _constant_angle_model(k: int, num_angles: int = 4, size: int = 28) -> keras.Model:
    """An angle model that always predicts class k (zero kernel, one-hot bias)."""
    inputs = keras.Input((size, size, 1))
    dense = keras.layers.Dense(
        num_angles,
        activation="softmax",
        kernel_initializer="zeros",
        bias_initializer=keras.initializers.Constant(np.eye(num_angles)[k] * 5.0),
    )
    return keras.Model(inputs, dense(keras.layers.Flatten()(inputs)), name=f"always_{k}")


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_matches_classifier_on_upright_input(k: int, rng) -> None:
    classifier = mnist_cnn()
    model = orientation_corrected(classifier, _constant_angle_model(k))
    x = rng.random((4, 28, 28, 1), dtype=np.float32)
    rotated = np.rot90(x, k, axes=(1, 2))
    expected = to_numpy(classifier(x))
    np.testing.assert_allclose(to_numpy(model(rotated)), expected, rtol=1e-5, atol=1e-6)
    if k == 0:
        np.testing.assert_allclose(
            model.predict(x, verbose=0), classifier.predict(x, verbose=0), rtol=1e-5, atol=1e-6
        )


def test_return_angle_and_save_load(tmp_path, rng) -> None:
    classifier = mnist_cnn(compile=False)
    model = orientation_corrected(classifier, _constant_angle_model(3), return_angle=True)
    x = rng.random((3, 28, 28, 1), dtype=np.float32)
    out = model.predict(x, verbose=0)
    np.testing.assert_array_equal(out["angle"], [-90.0, -90.0, -90.0])
    assert out["probabilities"].shape == (3, 10)
    restored = save_and_load(model, tmp_path)
    again = restored.predict(x, verbose=0)
    np.testing.assert_allclose(again["probabilities"], out["probabilities"], rtol=1e-6)
    np.testing.assert_array_equal(again["angle"], out["angle"])
    assert any(isinstance(layer, OrientationCorrection) for layer in restored.layers)


def test_save_load_with_angle_classifier_and_evaluate(tmp_path, rng) -> None:
    model = orientation_corrected(mnist_cnn(), angle_classifier(num_angles=360))
    assert model.output_shape == (None, 10)
    x = rng.random((4, 28, 28, 1), dtype=np.float32)
    y = np.array([0, 1, 2, 3])
    loss, acc = model.evaluate(x, y, verbose=0)
    assert np.isfinite(loss) and 0.0 <= acc <= 1.0
    restored = save_and_load(model, tmp_path)
    np.testing.assert_allclose(
        restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6
    )


def test_bad_arguments() -> None:
    classifier = mnist_cnn()
    with pytest.raises(ValueError, match=r"num_angles`=8.*\(None, 4\)"):
        orientation_corrected(classifier, angle_classifier(), num_angles=8)
    with pytest.raises(ValueError, match=r"\(None, 32, 32, 1\).*\(None, 28, 28, 1\)"):
        orientation_corrected(classifier, angle_classifier(input_shape=(32, 32, 1)))
    with pytest.raises(ValueError, match="'mnist_cnn'"):
        orientation_corrected(classifier, mnist_cnn(num_classes=4))
    with pytest.raises(TypeError, match="Dense"):
        orientation_corrected(classifier, keras.layers.Dense(4))


@pytest.mark.parametrize("return_angle", [False, True])
def test_untrained_composition_saves_and_loads_without_optimizer_warning(
    tmp_path, return_angle: bool
) -> None:
    import warnings

    model = orientation_corrected(mnist_cnn(), angle_classifier(), return_angle=return_angle)
    path = tmp_path / "fresh.keras"
    model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # "Skipping variable loading for optimizer"
        keras.saving.load_model(path)
