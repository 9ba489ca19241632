"""What `rotkeras.reading.read_numbers` returns: numbers, and the digits they are made of."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DigitReading:
    """One digit of a number.

    Attributes:
        digit: The digit read, 0 to 9.
        confidence: The reader's probability of that digit, given the number's orientation.
        box: `(x_min, y_min, x_max, y_max)` of the digit's ink in pixels of the photo as
            given (maximum exclusive).

    Examples:
        >>> from rotkeras.reading import DigitReading
        >>> DigitReading(7, 0.98, (10, 4, 30, 40)).to_dict()
        {'digit': 7, 'confidence': 0.98, 'box': [10, 4, 30, 40]}
    """

    digit: int
    confidence: float
    box: tuple[int, int, int, int]

    def to_dict(self) -> dict[str, Any]:
        """The digit as a JSON-ready dict (`digit`, `confidence`, `box`)."""
        return {"digit": self.digit, "confidence": round(self.confidence, 6),
                "box": list(self.box)}


@dataclass(frozen=True)
class NumberReading:
    """One number: digits written on one line, read in one orientation.

    Attributes:
        text: The digits in reading order, e.g. `"2024"`.
        digits: The digits in reading order.
        orientation: How the number is turned in the photo, in degrees counter-clockwise
            (0, 90, 180 or 270): turning the photo back by this angle makes it upright.
        orientation_confidence: The probability of that orientation among those the
            line's direction allows.
        box: `(x_min, y_min, x_max, y_max)` around all the digits, in pixels of the photo.
        tilt: The angle in degrees counter-clockwise (-45 to 45) by which the photo was
            turned within its frame (an editor's turn, see
            `rotkeras.datasets.straighten_turned_photo`) and so turned back before
            reading; 0 for a photo read as given. The photo was turned by
            `orientation + tilt` degrees in all.

    Examples:
        >>> from rotkeras.reading import DigitReading, NumberReading
        >>> digits = (DigitReading(4, 0.9, (10, 5, 30, 40)), DigitReading(2, 0.8, (34, 6, 55, 41)))
        >>> number = NumberReading("42", digits, 0, 0.99, (10, 5, 55, 41))
        >>> round(number.confidence, 2), number.to_dict()["text"]
        (0.72, '42')
    """

    text: str
    digits: tuple[DigitReading, ...]
    orientation: int
    orientation_confidence: float
    box: tuple[int, int, int, int] = field(default=(0, 0, 0, 0))
    tilt: float = 0.0

    @property
    def confidence(self) -> float:
        """The probability that every digit is right: the product of the digits' confidences."""
        return float(math.prod(d.confidence for d in self.digits))

    def to_dict(self) -> dict[str, Any]:
        """The number as a JSON-ready dict (`text`, `orientation`, confidences, boxes, `tilt`,
        digits)."""
        return {
            "text": self.text,
            "confidence": round(self.confidence, 6),
            "orientation": self.orientation,
            "orientation_confidence": round(self.orientation_confidence, 6),
            "box": list(self.box),
            "tilt": round(self.tilt, 1),
            "digits": [d.to_dict() for d in self.digits],
        }
