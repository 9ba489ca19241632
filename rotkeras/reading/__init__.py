"""Reading handwritten numbers: every digit in a photo, grouped into numbers, one orientation.

`read_numbers` finds the digits of a photo, reads them all in one batch with the shipped
digit reader (`rotkeras.models.digit_reader`) and groups them into numbers: lines of
digits written side by side. The photo decides its orientation from all its digits together
(the sum of their log-likelihoods of each quarter turn) and from the direction of its lines
(a horizontal line is read upright or upside down, a vertical one turned by 90 or 270
degrees), which settles what one digit alone cannot, such as a 6 against a turned 9; on
request each number decides its own.

The package: `rotkeras.reading.numbers` holds `read_numbers`, `rotkeras.reading.results`
what it returns (`NumberReading`, `DigitReading`); finding the digits (ink, components,
crops) and grouping them into lines are internal modules. Every name is importable from
`rotkeras.reading`.
"""

from __future__ import annotations

# The method's constants (`X as X`: importable from here, as before the package was split).
from rotkeras.reading._ink import CROP_SIZE as CROP_SIZE
from rotkeras.reading._ink import WORKING_SIZE as WORKING_SIZE
from rotkeras.reading._lines import DIGIT_ASPECT as DIGIT_ASPECT
from rotkeras.reading._lines import FORCE_SPLIT_RATIO as FORCE_SPLIT_RATIO
from rotkeras.reading._lines import LINE_REACH as LINE_REACH
from rotkeras.reading._lines import LONE_SPLIT_RATIO as LONE_SPLIT_RATIO
from rotkeras.reading._lines import SPLIT_MARGIN as SPLIT_MARGIN
from rotkeras.reading._lines import SPLIT_RATIO as SPLIT_RATIO
from rotkeras.reading.numbers import ORIENTATION_PRIOR as ORIENTATION_PRIOR
from rotkeras.reading.numbers import read_numbers
from rotkeras.reading.results import DigitReading, NumberReading

__all__ = ["DigitReading", "NumberReading", "read_numbers"]
