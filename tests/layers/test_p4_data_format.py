"""The p4 layers and the reader refuse channels-first data with one clear error."""

from __future__ import annotations

import keras
import pytest

import rotkeras


@pytest.fixture
def channels_first():
    previous = keras.config.image_data_format()
    keras.config.set_image_data_format("channels_first")
    yield
    keras.config.set_image_data_format(previous)


@pytest.mark.parametrize(
    "build",
    [
        lambda: rotkeras.layers.P4Conv2D(4, 3, lifting=True),
        lambda: rotkeras.layers.P4MaxPooling2D(2),
        lambda: rotkeras.layers.P4AveragePooling2D(2),
        lambda: rotkeras.layers.P4BatchNormalization(),
        lambda: rotkeras.models.rotation_robust_cnn(),
        lambda: rotkeras.models.digit_reader(weights=None),
    ],
    ids=["P4Conv2D", "P4MaxPooling2D", "P4AveragePooling2D", "P4BatchNormalization",
         "rotation_robust_cnn", "digit_reader"],
)
def test_channels_first_is_refused_clearly(channels_first, build) -> None:
    with pytest.raises(ValueError, match="channels-last.*'channels_first'.*set_image_data_format"):
        build()


def test_channels_last_still_builds() -> None:
    layer = rotkeras.layers.P4Conv2D(4, 3, lifting=True)
    assert tuple(layer.compute_output_shape((None, 28, 28, 1))) == (None, 26, 26, 4, 4)
