"""The p4 layout, shared by the p4 layers (internal).

p4 feature maps are `(batch, height, width, 4, channels)` and p4 feature vectors (maps
reduced to one pixel) `(batch, 4, channels)`: in both, axis `GROUP_AXIS` holds the
`ORIENTATIONS` orientations, index `r` the response of the filters turned by `r` quarter
turns counter-clockwise. Channels are last; the channel axis must be known.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras

#: Orientations of a p4 feature: the four quarter turns of the rotation group.
ORIENTATIONS = 4
#: The orientation axis of p4 feature maps (axis 3 of 5) and p4 feature vectors (1 of 3).
GROUP_AXIS = -2
#: The layouts by rank, as error messages name them.
LAYOUTS = {
    5: "p4 feature maps (batch, height, width, 4, channels)",
    3: "p4 feature vectors (batch, 4, channels)",
}


def check_p4_shape(
    input_shape: Sequence[int | None], layer: str, ranks: Sequence[int] = (5,), hint: str = ""
) -> int:
    """Raises `ValueError` unless `input_shape` is a p4 layout of one of `ranks`.

    The rank must be one of `ranks` (5: maps, 3: vectors), axis `GROUP_AXIS` must hold
    `ORIENTATIONS` and the channel axis must be known. Returns the number of channels.
    """
    shape = tuple(input_shape)
    if len(shape) not in ranks or shape[GROUP_AXIS] != ORIENTATIONS:
        expected = " or ".join(LAYOUTS[rank] for rank in ranks)
        raise ValueError(
            f"{layer} expects {expected}, with the {ORIENTATIONS} orientations on axis "
            f"{GROUP_AXIS}; received input of shape {shape}{hint}"
        )
    if shape[-1] is None:
        raise ValueError(
            f"{layer} needs the channel axis (last) of its input known; received input of "
            f"shape {shape}"
        )
    return int(shape[-1])


def check_channels_last(layer: str) -> None:
    """Refuses a `channels_first` image data format: the p4 layers read channels last."""
    data_format = keras.config.image_data_format()
    if data_format != "channels_last":
        raise ValueError(
            f"{layer} reads channels-last p4 feature maps only (batch, height, width, ...); "
            f"keras.config.image_data_format() is {data_format!r}. Call "
            "keras.config.set_image_data_format('channels_last') before building the model "
            "(and give it channels-last images)"
        )


def sliding_output_shape(
    input_shape: Sequence[int | None], window: int, strides: int, padding: str, channels: int
) -> tuple[int | None, ...]:
    """The p4 map shape `(batch, rows, cols, 4, channels)` after a `window` that slides by
    `strides` over the rows and columns of `input_shape` with `padding` (`"valid"` or
    `"same"`); unknown sizes stay unknown."""

    def out(size: int | None) -> int | None:
        if size is None:
            return None
        if padding == "same":
            return -(-size // strides)
        return (size - window) // strides + 1

    return (input_shape[0], out(input_shape[1]), out(input_shape[2]), ORIENTATIONS, channels)
