"""`model.export(format="tf_saved_model")` on JAX for a model with each rotkeras image layer.

Keras exports a JAX model through jax2tf: the layers are traced with JAX tracers inside a
TensorFlow graph, which must not be taken for a `tf.data` pipeline. The reloaded
SavedModel (TensorFlow only) must give what `predict` gives for the deterministic layers;
the random layers stay active in the served function (as Keras' own augmentation layers
do in `model.export`), so there the served output must be a valid augmentation.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from rotkeras.layers import (
    HandwritingPreprocess,
    OrientationCorrection,
    RandomAnyAngleRotation,
    RandomRightAngleRotation,
    RandomStrokeWidth,
    RightAngleRotation,
)

pytestmark = pytest.mark.skipif(keras.backend.backend() != "jax",
                                reason="exporting through jax2tf is the JAX backend's path")

DETERMINISTIC = {
    "RightAngleRotation": lambda: RightAngleRotation(k=1),
    "HandwritingPreprocess": lambda: HandwritingPreprocess(),
}


def _export_and_reload(model: keras.Model, tmp_path, x: np.ndarray | list[np.ndarray]
                       ) -> np.ndarray:
    import tensorflow as tf

    path = str(tmp_path / "exported")
    model.export(path, format="tf_saved_model", verbose=False)
    reloaded = tf.saved_model.load(path)
    return np.asarray(reloaded.serve(keras.tree.map_structure(tf.constant, x)))


def _model(layer: keras.layers.Layer, dense: bool) -> keras.Model:
    inputs = keras.Input((28, 28, 1))
    outputs = layer(inputs)
    if dense:
        outputs = keras.layers.Dense(3)(keras.layers.Flatten()(outputs))
    return keras.Model(inputs, outputs)


@pytest.mark.parametrize("name", sorted(DETERMINISTIC))
def test_export_with_a_deterministic_image_layer_serves_like_predict(name, tmp_path,
                                                                     rng) -> None:
    model = _model(DETERMINISTIC[name](), dense=True)
    images = rng.random((2, 28, 28, 1)).astype("float32")
    served = _export_and_reload(model, tmp_path, images)
    np.testing.assert_allclose(served, model.predict(images, verbose=0), atol=1e-5)


def test_export_with_random_right_angle_rotation_serves_rotations(tmp_path, rng) -> None:
    model = _model(RandomRightAngleRotation(seed=0), dense=False)
    images = rng.random((4, 28, 28, 1)).astype("float32")
    served = _export_and_reload(model, tmp_path, images)
    for image, out in zip(images, served, strict=True):
        assert any(np.array_equal(out, np.rot90(image, k)) for k in range(4))


@pytest.mark.parametrize("layer", [lambda: RandomAnyAngleRotation(0.5, seed=0),
                                   lambda: RandomStrokeWidth(seed=0)],
                         ids=["RandomAnyAngleRotation", "RandomStrokeWidth"])
def test_export_with_a_random_image_layer_serves_images(layer, tmp_path, rng) -> None:
    model = _model(layer(), dense=False)
    images = rng.random((2, 28, 28, 1)).astype("float32")
    served = _export_and_reload(model, tmp_path, images)
    assert served.shape == images.shape
    assert np.all(np.isfinite(served)) and 0.0 <= served.min() and served.max() <= 1.0 + 1e-6


def test_export_with_orientation_correction_serves_like_predict(tmp_path, rng) -> None:
    images_in = keras.Input((28, 28, 1))
    probs_in = keras.Input((4,))
    outputs = OrientationCorrection()([images_in, probs_in])
    model = keras.Model([images_in, probs_in], outputs)
    images = rng.random((2, 28, 28, 1)).astype("float32")
    probs = np.array([[0.1, 0.7, 0.1, 0.1], [0.0, 0.0, 0.0, 1.0]], "float32")
    served = _export_and_reload(model, tmp_path, [images, probs])
    np.testing.assert_array_equal(served[1], np.rot90(images[1], 1))  # turned back by 90
    np.testing.assert_array_equal(served, model.predict([images, probs], verbose=0))
