"""The largest values behind `HandwritingPreprocess`' statistics, on every backend.

`keras.ops.top_k` on JAX does not survive `model.export` (jax2tf writes it as an op that
TensorFlow cannot load), so on JAX the preprocessing takes the largest values with a sort;
these tests hold it to what `top_k` gives.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

from rotkeras._backend import largest_values
from rotkeras.datasets import letterbox, read_image
from rotkeras.layers import HandwritingPreprocess
from rotkeras.layers import _handwriting_ops as hw
from tests.helpers import to_numpy

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "photos"


def _top_k_values(x, k):
    values, _ = keras.ops.top_k(x, k, sorted=False)
    return values


@pytest.mark.parametrize("k", [1, 4, 77, 200])
def test_largest_values_are_the_k_largest(k, rng) -> None:
    x = rng.random((3, 200)).astype("float32")
    x[1, :50] = 0.5  # ties
    x[2] = 0.0  # all equal
    out = to_numpy(largest_values(keras.ops.convert_to_tensor(x), k))
    assert out.shape == (3, k)
    np.testing.assert_array_equal(np.sort(out, axis=1), np.sort(x, axis=1)[:, -k:])
    if keras.backend.backend() == "jax":  # the same order as top_k, so the same sums
        np.testing.assert_array_equal(out, to_numpy(_top_k_values(x, k)))


def test_top_mean_is_the_mean_of_the_largest_fraction(rng) -> None:
    x = rng.random((2, 40, 50)).astype("float32")
    k = round(0.05 * 40 * 50)
    expected = np.sort(x.reshape(2, -1), axis=1)[:, -k:].mean(axis=1)
    np.testing.assert_allclose(to_numpy(hw.top_mean(x, 0.05)), expected, rtol=1e-6)
    # at least `minimum` values, at most all of them
    np.testing.assert_allclose(to_numpy(hw.top_mean(x, 0.0, minimum=3)),
                               np.sort(x.reshape(2, -1), axis=1)[:, -3:].mean(axis=1), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(hw.top_mean(x, 1.0)), x.mean(axis=(1, 2)), rtol=1e-5)


@pytest.mark.skipif(keras.backend.backend() != "jax",
                    reason="only JAX replaces top_k; elsewhere the preprocessing calls it")
def test_preprocessing_of_the_fixture_photos_equals_the_top_k_version(monkeypatch) -> None:
    photos = np.stack([letterbox(read_image(path), 256) for path in sorted(FIXTURES.iterdir())])
    monkeypatch.setattr(hw, "largest_values", _top_k_values)
    with_top_k = to_numpy(HandwritingPreprocess()(photos))
    monkeypatch.setattr(hw, "largest_values", largest_values)
    with_sort = to_numpy(HandwritingPreprocess()(photos))
    assert with_sort.max() > 0.5  # the photos' digits were found
    np.testing.assert_array_equal(with_sort, with_top_k)
