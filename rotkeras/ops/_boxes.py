"""Rotation of bounding boxes with their image (internal; see `rotkeras.ops`)."""

from __future__ import annotations

import numbers
from typing import Any

import keras
from keras import ops

from rotkeras import _validation as check
from rotkeras.ops._common import BOUNDING_BOX_FORMATS, _check_one_per_image, _cos_sin


def rotate_bounding_boxes(
    boxes: Any,
    angles: Any,
    *,
    height: Any,
    width: Any,
    bounding_box_format: str = "xyxy",
) -> Any:
    """Rotates bounding boxes with their image (`rotate` and `rot90` conventions).

    Each box becomes the smallest axis-aligned box enclosing its four rotated corners.
    At right angles that is the rotated box itself, exactly (`rot90` of a square image
    maps a box onto the pixels its content moved to). Boxes are not clipped to the
    frame: at other angles, or 90/270 degrees of a non-square image, they may reach
    outside it (clip them with `keras.utils.bounding_boxes.clip_to_image_size`).

    Args:
        boxes: Float tensor `(batch, num_boxes, 4)` or `(num_boxes, 4)` in
            `bounding_box_format`.
        angles: Degrees counter-clockwise: a Python number or a tensor of shape
            `(batch,)` (or a scalar tensor).
        height: Height of the image the boxes belong to (int or scalar tensor).
        width: Width of the image (int or scalar tensor).
        bounding_box_format: A Keras bounding-box format (`"xyxy"`, `"rel_xyxy"`,
            `"xywh"`, `"center_xywh"`, `"yxyx"`, ...; see
            `keras.utils.bounding_boxes.convert_format`).

    Returns:
        float32 boxes, same shape and format.

    Examples:
        >>> import numpy as np
        >>> from rotkeras import ops
        >>> box = np.array([[2.0, 1.0, 6.0, 3.0]])  # xyxy in an 8x8 image
        >>> np.asarray(ops.rotate_bounding_boxes(box, 90, height=8, width=8)).tolist()
        [[1.0, 2.0, 3.0, 6.0]]
    """
    _check_format_and_size(bounding_box_format, height, width)
    convert = keras.utils.bounding_boxes.convert_format
    boxes = ops.cast(ops.convert_to_tensor(boxes), "float32")
    rank = check.check_rank(
        boxes, "boxes", (2, 3), "(batch, num_boxes, 4) or (num_boxes, 4)"
    )
    if boxes.shape[-1] not in (None, 4):
        raise ValueError(f"`boxes` must have 4 coordinates; received shape {tuple(boxes.shape)}")
    xyxy = convert(boxes, source=bounding_box_format, target="xyxy", height=height, width=width)
    if isinstance(angles, numbers.Real) and not isinstance(angles, bool):
        angles = check.check_number(angles, "angles")
    else:
        angles = ops.cast(ops.convert_to_tensor(angles), "float32")
        if len(angles.shape) > 1 or (rank == 2 and len(angles.shape) == 1
                                     and angles.shape[0] not in (None, 1)):
            raise ValueError(
                "`angles` must be a scalar or have one angle per image (batch,); received "
                f"angles of shape {tuple(angles.shape)} for boxes of shape {tuple(boxes.shape)}"
            )
        if len(angles.shape) == 1 and rank == 3:
            _check_one_per_image(boxes, angles, "angles", "boxes")
            angles = angles[:, None]
    cos, sin = _cos_sin(angles)
    cx = ops.cast(width, "float32") / 2.0
    cy = ops.cast(height, "float32") / 2.0
    xs = [xyxy[..., 0] - cx, xyxy[..., 2] - cx]
    ys = [xyxy[..., 1] - cy, xyxy[..., 3] - cy]
    new_x = [cos * x + sin * y for x in xs for y in ys]
    new_y = [cos * y - sin * x for x in xs for y in ys]

    def extent(values: list[Any]) -> tuple[Any, Any]:
        low, high = values[0], values[0]
        for value in values[1:]:
            low, high = ops.minimum(low, value), ops.maximum(high, value)
        return low, high

    x1, x2 = extent(new_x)
    y1, y2 = extent(new_y)
    rotated = ops.stack([x1 + cx, y1 + cy, x2 + cx, y2 + cy], axis=-1)
    return convert(rotated, source="xyxy", target=bounding_box_format, height=height,
                   width=width)


def _check_format_and_size(bounding_box_format: object, height: Any, width: Any) -> None:
    """Raises unless the format is a Keras bounding-box format and the sizes are positive
    (tensors: checked when they are known, at run time)."""
    if not isinstance(bounding_box_format, str):
        raise check.ArgumentTypeError(
            "`bounding_box_format` must be a Keras bounding-box format name such as 'xyxy'; "
            f"received bounding_box_format={bounding_box_format!r}"
        )
    check.check_choice(bounding_box_format, "bounding_box_format", BOUNDING_BOX_FORMATS)
    for name, size in (("height", height), ("width", width)):
        if isinstance(size, numbers.Number):
            if check.check_number(size, name) <= 0:
                raise ValueError(f"`{name}` must be positive (the image's size in pixels); "
                                 f"received {name}={size!r}")
        elif not check._is_symbolic(size):
            check.check_at_run_time(
                ops.all(ops.convert_to_tensor(size) > 0),
                f"`{name}` must be positive (the image's size in pixels)",
            )
