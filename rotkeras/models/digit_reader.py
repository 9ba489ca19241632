"""The pretrained, rotation-robust reader of handwritten digits that ships with rotkeras."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras

from rotkeras._shipped import (  # noqa: F401 (DamagedWeightsError: public here)
    READER_WEIGHTS,
    DamagedWeightsError,
    verified_path,
)
from rotkeras.datasets.tutorial import TUTORIAL_TURNS
from rotkeras.layers.handwriting import HandwritingPreprocess
from rotkeras.models.rotation_robust_cnn import rotation_robust_cnn

#: File name of the default shipped weights (`READER_WEIGHTS` names both shipped files).
WEIGHTS_FILE = READER_WEIGHTS["shipped"]
#: Architecture of the shipped reader (arguments of `rotation_robust_cnn`).
READER_FILTERS = (8, 16, 24, 48)
READER_HIDDEN_UNITS = 128
#: Name of the 28x28 network inside the reader (after its `HandwritingPreprocess` layer):
#: the p4 network, its outputs averaged over the digit and its one-pixel shifts.
CORE_NAME = "reader_network"
#: Name of the p4 network inside it (the one `rotkeras train-reader` trains).
P4_NAME = "p4_network"
#: The shifts the outputs are averaged over, in pixels (rows, columns): a set that a
#: right-angle turn maps onto itself, so turning a photo still turns only the orientation.
SHIFTS = tuple((dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1))


def shipped_weights_path(weights: str = "shipped") -> Path:
    """Path of shipped reader weights, after checking their SHA-256 checksum.

    Args:
        weights: `"shipped"` (the reader's default weights) or `"numbers"` (the weights
            trained without tilted digits that `rotkeras.reading.read_numbers` uses).

    Returns:
        The path of the weights file inside the installed package.

    Raises:
        ValueError: If `weights` names no shipped weights.
        DamagedWeightsError: If the file is missing or its checksum differs from the one
            recorded next to it (a damaged or modified installation).

    Examples:
        >>> from rotkeras.models.digit_reader import shipped_weights_path
        >>> shipped_weights_path().name
        'digit_reader.weights.h5'
        >>> shipped_weights_path("numbers").name
        'number_reader.weights.h5'
    """
    if not isinstance(weights, str) or weights not in READER_WEIGHTS:
        raise ValueError(f"`weights` must be one of {sorted(READER_WEIGHTS)}; "
                         f"received {weights!r}")
    return verified_path(READER_WEIGHTS[weights])


def digit_reader(
    weights: str | os.PathLike[str] | None = "shipped",
    *,
    channels: int = 3,
    orientation_prior: Sequence[float] | None = TUTORIAL_TURNS,
    shift_average: bool = True,
    tilts: Sequence[float] = (),
    tilt_bonus: float = 0.0,
    name: str = "digit_reader",
) -> keras.Model:
    """The digit reader: photos in, digit and orientation probabilities out.

    One Keras model: `HandwritingPreprocess` (any photo size, dark ink on paper or
    light strokes on a screen) followed by `rotation_robust_cnn` with the joint head,
    so a photo is read whichever way up it was taken. With `weights="shipped"` it
    loads the weights that come with rotkeras (trained by `rotkeras train-reader` on
    MNIST and synthetic photos; see the Digit reader page for the recipe and its
    measured accuracy), after checking their checksum.

    Args:
        weights: `"shipped"` (the pretrained weights), `"numbers"` (the same network
            trained without tilted digits, which `rotkeras.reading.read_numbers` reads
            numbers with: it reads the digits of a number more often right), `None`
            (untrained), or the path of a weights file saved with `model.save_weights`
            for this architecture.
        channels: Channels of the input photos: 1 (grayscale), 3 (RGB) or 4 (RGBA).
        orientation_prior: Prior probabilities of the turns 0, 90, 180 and 270 degrees
            counter-clockwise (default: upright half of the time, the other turns
            equally likely), or None for no preference, which makes the digit output
            exactly the same for the four turns of a photo.
        shift_average: Average the network's outputs over the 28x28 digit and its
            eight shifts by one pixel (nine passes of the network, where preprocessing
            the photo costs far more). It reads digits placed a pixel off more
            steadily (see the model card for what it changes on MNIST and photos).
            False: one pass. The weights are the same either way.
        tilts: Extra angles (degrees counter-clockwise, each within +-45) the 28x28
            digit is also read at, turned and boxed again, for photos taken at a slant;
            per photo the reading whose top digit is most probable is kept. Each angle
            costs as many passes of the network as the unturned reading.
        tilt_bonus: Log-probability bonus of the unturned reading when choosing among
            the angles (0: the most probable wins; larger favours the photo as taken).
        name: Model name.

    Returns:
        A `keras.Model` from `(batch, height, width, channels)` photos (uint8, or float
        in `[0, 1]` or `[0, 255]`) to `[digits (batch, 10), orientation (batch, 4)]`
        probabilities; orientation index `t` means "turned by `90 * t` degrees
        counter-clockwise". Where the photo holds no digit (its preprocessing finds no
        ink with enough contrast) both outputs are all zero instead: that is the
        reader's one "no digit" rule, `rotkeras.models.digit_found(digits)`, which
        `rotkeras predict` uses too. It saves to and loads from a `.keras` file.

    Raises:
        DamagedWeightsError: If the shipped weights are missing or damaged.

    Examples:
        >>> import numpy as np
        >>> import rotkeras
        >>> reader = rotkeras.models.digit_reader()
        >>> photo = np.full((2, 120, 120, 3), 235, dtype="uint8")  # white paper
        >>> photo[0, 25:95, 55:65] = 30  # a dark vertical stroke
        >>> digits, orientation = reader.predict(photo, verbose=0)
        >>> int(digits[0].argmax())
        1
        >>> rotkeras.models.digit_found(digits).tolist()  # the second photo is blank
        [True, False]
    """
    if channels not in (1, 3, 4):
        raise ValueError(f"`channels` must be 1, 3 or 4; received channels={channels!r}")
    if not isinstance(shift_average, bool):
        raise TypeError(f"`shift_average` must be True or False; received {shift_average!r}")
    network = rotation_robust_cnn(
        filters=READER_FILTERS,
        hidden_units=READER_HIDDEN_UNITS,
        orientation_prior=orientation_prior,
        compile=False,
        name=P4_NAME,
    )
    core = _reader_core(network, SHIFTS if shift_average else ((0, 0),), tilts, tilt_bonus)
    inputs = keras.Input((None, None, channels), name="photo")
    preprocessed = HandwritingPreprocess(name="preprocess")(inputs)
    digits, orientation = core(preprocessed)
    # Outputs named "digits" and "orientation" (e.g. in the endpoints of a SavedModel).
    outputs = [keras.layers.Activation("linear", name=output, dtype="float32")(tensor)
               for output, tensor in (("digits", digits), ("orientation", orientation))]
    model = keras.Model(inputs, outputs, name=name)
    if weights is None:
        return model
    if isinstance(weights, str) and weights in READER_WEIGHTS:
        path = shipped_weights_path(weights)
    else:
        path = Path(weights)
        if not path.is_file():
            raise FileNotFoundError(f"Weights file not found: {path}")
    try:
        model.load_weights(path)
    except Exception as error:  # noqa: BLE001 - h5py and Keras raise many kinds
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(
            f"`weights`: {path} does not hold digit reader weights (a .weights.h5 file from "
            f"rotkeras train-reader or reader.save_weights()): {reason}"
        ) from None
    return model


def _reader_core(network: keras.Model, shifts: Sequence[tuple[int, int]],
                 tilts: Sequence[float], tilt_bonus: float) -> keras.Model:
    """28x28 digits -> `[digits, orientation]`: shift average, tilt search, "no digit" gate.

    `network` on the 28x28 digit and its `shifts` (zeros come in), outputs averaged;
    with `tilts`, the same on the digit turned by each angle and boxed again, keeping
    per sample the most confident reading. Both outputs are all zero for a blank 28x28
    image (the reader's "no digit" rule). Made of Keras' own layers and small
    registered ones, so the reader saves and loads as one `.keras` file.
    """
    from rotkeras.layers.handwriting._reader_layers import DigitGate, MostConfident, Retilt

    for angle in tilts:
        if isinstance(angle, bool) or not isinstance(angle, (int, float)):
            raise TypeError(f"`tilts` must be numbers of degrees; received {angle!r}")
        if not -45.0 <= float(angle) <= 45.0:
            raise ValueError(f"`tilts` must lie within +-45 degrees; received {angle!r}")
    inputs = keras.Input((28, 28, 1), name="digit")
    readings = list(_averaged_over_shifts(network, inputs, shifts, ""))
    for index, angle in enumerate(tilts):
        tilted = Retilt(float(angle), name=f"tilt_{index}")(inputs)
        readings += list(_averaged_over_shifts(network, tilted, shifts, f"tilt_{index}_"))
    if tilts:
        digits, orientation, _ = MostConfident(float(tilt_bonus), name="most_confident")(
            readings)
    else:
        digits, orientation = readings
    digits, orientation = DigitGate(name="digit_gate")([digits, orientation, inputs])
    return keras.Model(inputs, [digits, orientation], name=CORE_NAME)


def _averaged_over_shifts(network: keras.Model, inputs: Any,
                          shifts: Sequence[tuple[int, int]], prefix: str) -> list[Any]:
    """`network` on 28x28 `inputs` shifted by each of `shifts`, outputs averaged."""
    if len(shifts) == 1 and shifts[0] == (0, 0):
        return list(network(inputs))
    padded = keras.layers.ZeroPadding2D(1, name=f"{prefix}shift_padding")(inputs)
    outputs = []
    for index, (dy, dx) in enumerate(shifts):
        cropping = ((1 - dy, 1 + dy), (1 - dx, 1 + dx))
        shifted = keras.layers.Cropping2D(cropping, name=f"{prefix}shift_{index}")(padded)
        outputs.append(network(shifted))
    digits = keras.layers.Average(name=f"{prefix}digits")([digit for digit, _ in outputs])
    orientation = keras.layers.Average(name=f"{prefix}orientation")(
        [turn for _, turn in outputs])
    return [digits, orientation]


def digit_found(digits: Any) -> Any:
    """The reader's "no digit" rule: True where its digit probabilities say a digit was found.

    The reader's digit output sums to 1 for a photo with a digit and is all zero when
    its preprocessing finds no ink with enough contrast (a blank photo): the rule is
    `digits.sum(-1) > 0.5`.

    Args:
        digits: The reader's digit probabilities, `(batch, 10)` (or `(10,)`).

    Returns:
        A NumPy bool array `(batch,)` (or a bool scalar).

    Examples:
        >>> import numpy as np
        >>> from rotkeras.models.digit_reader import digit_found
        >>> digit_found(np.array([[0.1] * 10, [0.0] * 10])).tolist()
        [True, False]
    """
    from rotkeras._no_digit import has_digit

    return has_digit(digits)
