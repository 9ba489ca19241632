"""The preprocessing's moving max and moving mean equal Keras' pooling ops exactly.

They are written with slices and one cumulative sum so that their cost does not grow with
the window and they run fast in TFLite and ONNX Runtime; these tests hold them to
`keras.ops.max_pool` / `average_pool` with `"same"` padding, the ops they replace.
"""

from __future__ import annotations

import numpy as np
import pytest
from keras import ops

from rotkeras.layers.handwriting._morphology import box_blur, dilate


def _sparse(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return (rng.random(shape) * (rng.random(shape) > 0.7)).astype("float32")


@pytest.mark.parametrize("shape", [(2, 40, 40), (1, 13, 29)])
@pytest.mark.parametrize("size", [(1, 3), (3, 1), (1, 8), (9, 1), (1, 27), (33, 1), (1, 64)])
def test_dilate_is_max_pool_with_same_padding(shape, size, rng) -> None:
    x = _sparse(rng, shape)
    want = ops.max_pool(x[..., None], size, strides=(1, 1), padding="same",
                        data_format="channels_last")[..., 0]
    got = dilate(ops.convert_to_tensor(x), size)
    np.testing.assert_array_equal(ops.convert_to_numpy(got), ops.convert_to_numpy(want))


@pytest.mark.parametrize("shape", [(2, 40, 40), (1, 13, 29)])
@pytest.mark.parametrize("size", [3, 5, 9, 27, 41, 61])
def test_box_blur_is_average_pool_over_the_window_inside(shape, size, rng) -> None:
    x = _sparse(rng, shape)
    want = x[..., None]
    for window in ((size, 1), (1, size)):
        want = ops.average_pool(want, window, strides=(1, 1), padding="same",
                                data_format="channels_last")
    got = box_blur(ops.convert_to_tensor(x), size)
    np.testing.assert_allclose(ops.convert_to_numpy(got), ops.convert_to_numpy(want)[..., 0],
                               atol=2e-6, rtol=0)
