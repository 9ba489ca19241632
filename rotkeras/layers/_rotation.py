"""Exact right-angle rotations with `keras.ops` (internal).

Convention: `k` counts quarter turns counter-clockwise, like `np.rot90(image, k)`
applied to the (height, width) axes. A per-sample rotation is computed without
gathers as at most one transpose and two flips, each selected per sample with
`where`, so it is exact (pixels are permuted, never interpolated) and compiles
under XLA/jit on every backend. Eager PyTorch on the CPU groups the samples by rotation instead
(faster there; it needs the drawn values, so never inside compiled code).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from rotkeras.layers import _compiled
from rotkeras.layers._checks import check_nonempty_batch, check_numeric


def angle_to_k(angle: object, name: str = "angle") -> int:
    """Returns the number of counter-clockwise quarter turns (0..3) for `angle` degrees."""
    if isinstance(angle, bool) or not isinstance(angle, numbers.Real):
        raise ValueError(f"`{name}` must be a multiple of 90 degrees; received {name}={angle!r}")
    if float(angle) % 90 != 0:
        raise ValueError(
            f"`{name}` must be a multiple of 90 degrees (e.g. 90, -90, 180); "
            f"received {name}={angle!r}"
        )
    return int(round(float(angle) / 90)) % 4


def angles_to_ks(angles: object, name: str = "angles") -> tuple[int, ...]:
    """Validates a non-empty sequence of right angles and returns their quarter turns."""
    if isinstance(angles, (str, bytes)) or not isinstance(angles, Sequence) or not angles:
        raise ValueError(
            f"`{name}` must be a non-empty sequence of multiples of 90 degrees; "
            f"received {name}={angles!r}"
        )
    return tuple(angle_to_k(angle, name) for angle in angles)


def spatial_axes(rank: int, data_format: str) -> tuple[int, int]:
    """Height and width axes of a rank-3 or rank-4 image tensor."""
    offset = 1 if data_format == "channels_first" else 0
    if rank == 4:
        return 1 + offset, 2 + offset
    return offset, 1 + offset


def check_image_rank(images: Any, name: str = "images") -> int:
    """Returns the rank of `images`, which must be 3 (unbatched) or 4 (batched)."""
    rank = len(images.shape)
    if rank not in (3, 4):
        raise ValueError(
            f"`{name}` must be a rank-3 (height, width, channels) or rank-4 (batch, height, "
            f"width, channels) tensor; received shape {tuple(images.shape)}"
        )
    return rank


def check_square(images: Any, data_format: str, what: str) -> None:
    """Raises if the static height and width of `images` are known and differ."""
    h_axis, w_axis = spatial_axes(len(images.shape), data_format)
    height, width = images.shape[h_axis], images.shape[w_axis]
    if height is not None and width is not None and height != width:
        raise ValueError(
            f"{what} needs square images (height == width) for 90/270-degree rotations; "
            f"received images of shape {tuple(images.shape)} (height={height}, width={width}). "
            "Use only 0/180-degree angles for non-square images."
        )


def rotate_batch(images: Any, k: Any, data_format: str, allow_odd: bool = True) -> Any:
    """Rotates each image of a rank-4 batch by its own number of quarter turns.

    Args:
        images: `(batch, height, width, channels)` (or channels-first) tensor.
        k: int tensor of shape `(batch,)` with values in `0..3`.
        data_format: `"channels_last"` or `"channels_first"`.
        allow_odd: Whether 90/270 degree turns can occur (needs square images). When
            false, the transpose is skipped, so non-square images work for 0/180.

    Returns:
        The rotated batch, same shape and dtype as `images`.
    """
    if (
        keras.backend.backend() == "torch"
        and _compiled.is_concrete(k)
        and getattr(getattr(images, "device", None), "type", "cpu") == "cpu"
    ):
        # Grouping needs the drawn turns on the host: only where that costs no device sync.
        return rotate_batch_grouped(images, k, data_format)
    return rotate_batch_select(images, k, data_format, allow_odd)


def rotate_batch_select(images: Any, k: Any, data_format: str, allow_odd: bool = True) -> Any:
    """`rotate_batch` as selects between a transpose and flips: traceable, XLA-friendly."""
    h_axis, w_axis = spatial_axes(4, data_format)
    k = ops.reshape(ops.mod(ops.cast(k, "int32"), 4), (-1, 1, 1, 1))
    out = images
    if allow_odd:
        perm = [0, 1, 2, 3]
        perm[h_axis], perm[w_axis] = w_axis, h_axis
        out = ops.where(ops.equal(ops.mod(k, 2), 1), ops.transpose(out, perm), out)
    # np.rot90: k=1 -> flip rows of the transpose; k=2 -> flip both; k=3 -> flip columns
    # of the transpose.
    flip_rows = ops.logical_or(ops.equal(k, 1), ops.equal(k, 2))
    flip_cols = ops.logical_or(ops.equal(k, 2), ops.equal(k, 3))
    out = ops.where(flip_rows, ops.flip(out, axis=h_axis), out)
    out = ops.where(flip_cols, ops.flip(out, axis=w_axis), out)
    return out


def rotate_batch_grouped(images: Any, k: Any, data_format: str) -> Any:
    """`rotate_batch` with the samples grouped by their quarter turns (eager only).

    Each group gets one fixed rotation (strided copies, no per-pixel selects) and one row
    gather restores the order: 2-3x faster than the select formulation on eager PyTorch
    CPU. Needs the values of `k`, so it is only used outside compiled code.
    """
    turns = np.asarray(ops.convert_to_numpy(k)).astype(np.int64).reshape(-1) % 4
    counts = np.bincount(turns, minlength=4)
    if counts.max() == len(turns):
        return rotate_fixed(images, int(turns[0]), data_format)
    order = np.argsort(turns, kind="stable")
    grouped = ops.take(images, ops.convert_to_tensor(order.astype(np.int32)), axis=0)
    pieces, start = [], 0
    for quarter_turns, count in enumerate(counts.tolist()):
        if count:
            piece = grouped[start : start + count]
            pieces.append(rotate_fixed(piece, quarter_turns, data_format))
            start += count
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    restored = ops.take(
        ops.concatenate(pieces, axis=0), ops.convert_to_tensor(inverse.astype(np.int32)), axis=0
    )
    return restored


def rotate_fixed(images: Any, k: int, data_format: str) -> Any:
    """Rotates a rank-3 or rank-4 tensor by a fixed number of quarter turns.

    Written as transpose + flips rather than `keras.ops.rot90`, whose TensorFlow
    implementation (Keras 3.15) scrambles non-square images for k=2.
    """
    k = k % 4
    h_axis, w_axis = spatial_axes(len(images.shape), data_format)
    if k == 2:
        return ops.flip(ops.flip(images, axis=h_axis), axis=w_axis)
    if k == 0:
        return images
    perm = list(range(len(images.shape)))
    perm[h_axis], perm[w_axis] = w_axis, h_axis
    return ops.flip(ops.transpose(images, perm), axis=h_axis if k == 1 else w_axis)


def rotate_boxes(boxes: Any, k: Any) -> Any:
    """Rotates `rel_xyxy` boxes `(batch, num_boxes, 4)` by `k` (shape `(batch,)`) quarter turns."""
    k = ops.reshape(ops.mod(ops.cast(k, "int32"), 4), (-1, 1, 1))
    x1, y1, x2, y2 = (boxes[..., i : i + 1] for i in range(4))
    one = ops.ones_like(x1)
    candidates = [
        boxes,
        ops.concatenate([y1, one - x2, y2, one - x1], axis=-1),
        ops.concatenate([one - x2, one - y2, one - x1, one - y1], axis=-1),
        ops.concatenate([one - y2, x1, one - y1, x2], axis=-1),
    ]
    out = candidates[0]
    for turns in (1, 2, 3):
        out = ops.where(ops.equal(k, turns), candidates[turns], out)
    return out


def transform_bounding_boxes(
    bounding_boxes: dict[str, Any],
    k: Any,
    bounding_box_format: str | None,
    height: Any,
    width: Any,
    batched: bool,
) -> dict[str, Any]:
    """Rotates a Keras bounding-box dict (`boxes`, `labels`) like its image."""
    if not isinstance(bounding_boxes, dict) or "boxes" not in bounding_boxes:
        raise ValueError(
            "`bounding_boxes` must be a dict with a 'boxes' entry (and usually 'labels'); "
            f"received {type(bounding_boxes).__name__}"
        )
    if bounding_box_format is None:
        raise ValueError(
            "Rotating `bounding_boxes` needs `bounding_box_format` (e.g. 'xyxy'); "
            "received bounding_box_format=None"
        )
    convert = keras.utils.bounding_boxes.convert_format
    boxes = ops.convert_to_tensor(bounding_boxes["boxes"])
    if not batched:
        boxes = ops.expand_dims(boxes, 0)
    boxes = ops.cast(boxes, "float32")
    rel = convert(boxes, source=bounding_box_format, target="rel_xyxy", height=height, width=width)
    rel = rotate_boxes(rel, k)
    out = convert(rel, source="rel_xyxy", target=bounding_box_format, height=height, width=width)
    if not batched:
        out = ops.squeeze(out, 0)
    result = dict(bounding_boxes)
    result["boxes"] = out
    return result


def split_image_input(inputs: Any) -> tuple[dict[str, Any], Any, int]:
    """Validates a tensor or Keras-style dict input; returns `(data, images, rank)`.

    `images` is converted to a tensor once (every op would otherwise convert a NumPy input
    again); it must be rank 3 or 4, numeric, and not an empty batch.
    """
    data = inputs if isinstance(inputs, dict) else {"images": inputs}
    if "images" not in data:
        raise ValueError(f"A dict input needs an 'images' entry; received keys {sorted(data)}")
    images = ops.convert_to_tensor(data["images"])
    rank = check_image_rank(images)
    check_numeric(images, "images")
    check_nonempty_batch(images, "images")
    return data, images, rank


def run_on_image_data(
    inputs: Any, data: dict[str, Any], images: Any, transform: _compiled.CompiledTransform
) -> Any:
    """Runs `transform` on the entries that turn with the image; the others pass through.

    Args:
        inputs: The layer's original input (a tensor or a dict), deciding the output form.
        data, images: What `split_image_input(inputs)` returned.
        transform: Called as `transform(parts, concrete=...)` with a dict of `images` and,
            when given, `segmentation_masks` and `bounding_boxes`; returns the same dict
            transformed.

    Returns:
        The transformed images, or a dict like `data` with the transformed entries.
    """
    parts = {"images": images}
    for key in ("segmentation_masks", "bounding_boxes"):
        if data.get(key) is not None:
            parts[key] = data[key]
    parts = transform(parts, concrete=_compiled.is_concrete(images))
    if not isinstance(inputs, dict):
        return parts["images"]
    outputs = dict(data)
    outputs.update(parts)
    return outputs


def rotate_image_data(
    data: dict[str, Any],
    rotate: Callable[[Any], Any],
    k: Any,
    data_format: str,
    bounding_box_format: str | None,
) -> dict[str, Any]:
    """Applies an image rotation to `data["images"]` and the masks and boxes that go with it.

    Args:
        data: Dict with `images` (rank 3 or 4) and optional `segmentation_masks` and
            `bounding_boxes`, as `run_on_image_data` passes it.
        rotate: Rotates a tensor shaped like `data["images"]`.
        k: int tensor `(batch,)` of the quarter turns `rotate` applies (for the boxes).
        data_format: `"channels_last"` or `"channels_first"`.
        bounding_box_format: Format of `data["bounding_boxes"]`, if any.

    Returns:
        A dict like `data` with images, masks and boxes rotated.
    """
    images = data["images"]
    rank = len(images.shape)
    outputs = dict(data)
    outputs["images"] = rotate(images)
    if data.get("segmentation_masks") is not None:
        masks = ops.convert_to_tensor(data["segmentation_masks"])
        # Masks without a channel axis, e.g. (batch, height, width), are supported too.
        channel_axis = -1 if data_format == "channels_last" else -3
        if len(masks.shape) == rank - 1:
            masks = ops.squeeze(rotate(ops.expand_dims(masks, channel_axis)), channel_axis)
        else:
            masks = rotate(masks)
        outputs["segmentation_masks"] = masks
    if data.get("bounding_boxes") is not None:
        h_axis, w_axis = spatial_axes(rank, data_format)
        shape = ops.shape(images)
        outputs["bounding_boxes"] = transform_bounding_boxes(
            data["bounding_boxes"],
            k,
            bounding_box_format,
            height=shape[h_axis],
            width=shape[w_axis],
            batched=rank == 4,
        )
    return outputs
