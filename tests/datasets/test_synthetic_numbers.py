"""`rotkeras.datasets.make_synthetic_numbers`: composed photos of handwritten numbers."""

from __future__ import annotations

import numpy as np
import pytest

from rotkeras.datasets import make_synthetic_numbers

pytest.importorskip("cv2")


def bar_digits() -> tuple[np.ndarray, np.ndarray]:
    digits = np.zeros((10, 28, 28), np.uint8)
    for d in range(10):
        digits[d, 4:24, 10 + d // 5 : 14 + d] = 255  # ten bars of different widths
    return digits, np.arange(10)


def test_shapes_strings_boxes_and_determinism() -> None:
    digits, labels = bar_digits()
    photos, numbers, boxes, turns = make_synthetic_numbers(
        6, digits, labels, length=(2, 6), size=128, seed=3, turns=(0, 90, 180, 270), tilt=10.0)
    assert photos.shape == (6, 128, 128, 3) and photos.dtype == np.uint8
    assert all(2 <= len(n) <= 6 and n.isdigit() for n in numbers)
    assert set(turns.tolist()) <= {0, 90, 180, 270}
    for number, box in zip(numbers, boxes, strict=True):
        assert box.shape == (len(number), 4)
        assert np.all(box[:, :2] >= 0) and np.all(box[:, 2:] <= 128)
        assert np.all(box[:, 2:] > box[:, :2])
    again = make_synthetic_numbers(6, digits, labels, length=(2, 6), size=128, seed=3,
                                   turns=(0, 90, 180, 270), tilt=10.0)
    assert np.array_equal(again[0], photos) and again[1] == numbers


def test_the_ink_lies_in_the_boxes_and_turns_move_them() -> None:
    digits, labels = bar_digits()
    upright = make_synthetic_numbers(1, digits, labels, numbers=["1234"], size=96, seed=0)
    turned = make_synthetic_numbers(1, digits, labels, numbers=["1234"], size=96, seed=0,
                                    turns=(90,))
    photo, boxes = upright[0][0], upright[2][0]
    ink = photo.min(axis=-1) < 100
    inside = np.zeros_like(ink)
    for x0, y0, x1, y1 in boxes:
        inside[y0:y1, x0:x1] = True
    assert ink.any() and not np.any(ink & ~inside)
    assert np.all(np.diff(boxes[:, 0]) > 0)  # read left to right
    # A quarter turn counter-clockwise maps (x, y) to (y, size - x).
    x0, y0, x1, y1 = boxes.T
    expected = np.stack([y0, 96 - x1, y1, 96 - x0], axis=1)
    assert np.array_equal(turned[2][0], expected)
    assert turned[1] == ["1234"] and turned[3].tolist() == [90]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"n": 0}, ValueError),
        ({"size": 32}, ValueError),
        ({"length": 9}, ValueError),
        ({"length": (4, 2)}, ValueError),
        ({"turns": (45,)}, ValueError),
        ({"turns": 90}, TypeError),
        ({"tilt": 45.0}, ValueError),
        ({"touching": 1.5}, ValueError),
        ({"numbers": ["12", "3"]}, ValueError),
        ({"numbers": ["1a"]}, ValueError),
        ({"numbers": [12]}, TypeError),
        ({"seed": -1}, ValueError),
    ],
)
def test_bad_arguments_are_refused(kwargs, error) -> None:
    digits, labels = bar_digits()
    arguments = {"n": 1, **kwargs}
    with pytest.raises(error):
        make_synthetic_numbers(digits=digits, labels=labels, **arguments)
