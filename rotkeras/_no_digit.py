"""The digit reader's "no digit" rule, in NumPy only (internal).

Public as `rotkeras.models.digit_found`; `rotkeras predict` applies it to the shipped
reader's ONNX outputs without importing Keras, so the rule lives outside `rotkeras.models`
(whose import starts Keras).
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: The reader's digit probabilities sum to 1 with a digit and to 0 without one.
MIN_DIGIT_MASS = 0.5


def has_digit(digits: Any) -> Any:
    """`digits.sum(-1) > 0.5` for the reader's digit probabilities `(batch, 10)` or `(10,)`."""
    return np.asarray(digits, dtype=np.float64).sum(axis=-1) > MIN_DIGIT_MASS
