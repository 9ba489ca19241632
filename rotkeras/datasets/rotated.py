"""Rotated test sets and on-the-fly rotated training data.

Every number rotkeras reports is measured on the same sets, built here:

* `rotate_right_angles`: one copy of each image, turned by a right angle drawn
  from `(90, -90, 180)` with a fixed seed (the tutorial's rotated test set);
* `combined_test_set`: the originals followed by that rotated copy (the tutorial's
  "combined" set, e.g. 20,000 images for the MNIST test set);
* `rotate_images`: every image turned by one arbitrary angle (accuracy-vs-angle curves);
* `angle_dataset`: a `tf.data` pipeline of (rotated image, angle class) pairs for
  training an angle classifier (RotNet-style orientation correction).

Angles are in degrees, counter-clockwise as displayed (row 0 on top): a rotation by
`90 * k` degrees is exactly `np.rot90(image, k)` on the height and width axes.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from rotkeras._validation import check_image_array, check_positive_int


class RotatedSet(NamedTuple):
    """Images with their labels and the angle (degrees) each was rotated by.

    Attributes:
        images: The images, same dtype and layout as given.
        labels: The labels as given, or `None`.
        angles: int array `(N,)`, the angle in degrees applied to each image, as given
            in `angles` (e.g. `-90` stays `-90`; `0` for the originals of a combined set).
    """

    images: np.ndarray
    labels: np.ndarray | None
    angles: np.ndarray


def _check_labels(y: Any, n: int) -> np.ndarray | None:
    if y is None:
        return None
    labels = np.asarray(y)
    if labels.ndim == 0 or labels.shape[0] != n:
        raise ValueError(
            f"`y` must have one label per image ({n}); received shape {labels.shape}"
        )
    return labels


def _check_right_angles(angles: Any) -> np.ndarray:
    if isinstance(angles, (str, bytes)) or not isinstance(angles, Sequence) or not angles:
        raise ValueError(
            "`angles` must be a non-empty sequence of multiples of 90 degrees; "
            f"received angles={angles!r}"
        )
    for angle in angles:
        if (
            isinstance(angle, bool)
            or not isinstance(angle, numbers.Real)
            or float(angle) % 90 != 0
        ):
            raise ValueError(
                "`angles` must contain multiples of 90 degrees (e.g. 90, -90, 180); "
                f"received angles={angles!r}"
            )
    return np.asarray([int(round(float(a))) for a in angles], dtype=np.int64)


def _check_square(array: np.ndarray, what: str) -> None:
    if array.shape[1] != array.shape[2]:
        raise ValueError(
            f"{what} needs square images (height == width) for 90/270-degree rotations; "
            f"received images of shape {array.shape}"
        )


def rotate_right_angles(
    x: Any,
    y: Any = None,
    angles: Sequence[int] = (90, -90, 180),
    seed: int = 0,
) -> RotatedSet:
    """Rotates each image by a right angle drawn uniformly from `angles` (exact).

    This reproduces the tutorial's static rotated test set: one rotated copy of
    every image, the angle drawn with `np.random.default_rng(seed).choice(angles, N)`,
    the rotation done with `np.rot90` (pixels are permuted, never interpolated).

    Args:
        x: Images `(N, H, W)` or `(N, H, W, C)`, any numeric dtype (kept).
        y: Optional labels `(N, ...)`, returned unchanged.
        angles: Multiples of 90 degrees to draw from (counter-clockwise).
        seed: Seed of the NumPy generator drawing the angles.

    Returns:
        `RotatedSet(images, labels, angles)`; `angles` holds the drawn angle of each
        image as given (e.g. `-90`).

    Example:

    >>> import numpy as np
    >>> x = np.arange(2 * 3 * 3).reshape(2, 3, 3)
    >>> rotated = rotate_right_angles(x, angles=(90,))
    >>> bool(np.all(rotated.images[0] == np.rot90(x[0])))
    True
    """
    array = check_image_array(x)
    labels = _check_labels(y, array.shape[0])
    choices = _check_right_angles(angles)
    drawn = np.random.default_rng(seed).choice(choices, size=array.shape[0])
    ks = (drawn // 90) % 4
    if np.any((choices // 90) % 2 == 1):
        _check_square(array, "rotate_right_angles")
    return RotatedSet(turn_quarters(array, ks), labels, drawn.astype(np.int64))


def turn_quarters(array: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """Turns image `i` of `array` `(N, H, W[, C])` by `ks[i]` quarter turns (exact, NumPy)."""
    ks = np.asarray(ks).reshape(-1) % 4
    out = np.empty_like(array)
    for k in range(4):
        index = np.flatnonzero(ks == k)
        if index.size:
            out[index] = np.rot90(array[index], k, axes=(1, 2))
    return out


def combined_test_set(
    x: Any,
    y: Any,
    angles: Sequence[int] = (90, -90, 180),
    seed: int = 0,
) -> RotatedSet:
    """The tutorial's "combined" set: the originals followed by one rotated copy of each.

    Args:
        x: Images `(N, H, W)` or `(N, H, W, C)`.
        y: Labels `(N,)`.
        angles: Right angles the copies are rotated by (see `rotate_right_angles`).
        seed: Seed drawing the angles.

    Returns:
        `RotatedSet` of `2 * N` images: `x` (angle 0), then
        `rotate_right_angles(x, y, angles, seed)`.
    """
    array = check_image_array(x)
    labels = _check_labels(y, array.shape[0])
    rotated = rotate_right_angles(array, labels, angles, seed)
    images = np.concatenate([array, rotated.images], axis=0)
    all_labels = None if labels is None else np.concatenate([labels, labels], axis=0)
    all_angles = np.concatenate([np.zeros(array.shape[0], np.int64), rotated.angles])
    return RotatedSet(images, all_labels, all_angles)


def rotate_images(x: Any, angle: float, fill: float = 0.0) -> np.ndarray:
    """Rotates every image by `angle` degrees counter-clockwise around its centre.

    Multiples of 90 degrees are exact (`np.rot90`); other angles use bilinear
    interpolation with points outside the image set to `fill`, the same sampling
    as `keras.ops.image.affine_transform` and `rotkeras.layers.OrientationCorrection`.
    Deterministic, vectorized NumPy (10,000 MNIST images take a fraction of a second).

    Args:
        x: Images `(N, H, W)` or `(N, H, W, C)`. Integer images are rounded back to
            their dtype after interpolation; float images stay float.
        angle: Rotation in degrees, counter-clockwise.
        fill: Value of pixels that come from outside the image (0 = MNIST background).

    Returns:
        Array of the same shape and dtype as `x`.

    Example:

    >>> import numpy as np
    >>> x = np.zeros((1, 5, 5), np.float32); x[0, 2, 4] = 1.0
    >>> int(np.argmax(rotate_images(x, 90)[0, 0]))  # the right-hand pixel moves to the top
    2
    """
    array = check_image_array(x)
    if isinstance(angle, bool) or not isinstance(angle, numbers.Real) or not math.isfinite(angle):
        raise ValueError(f"`angle` must be a finite number of degrees; received angle={angle!r}")
    if float(angle) % 90 == 0:
        k = int(round(float(angle) / 90)) % 4
        if k % 2:
            _check_square(array, "rotate_images")
        return np.ascontiguousarray(np.rot90(array, k, axes=(1, 2)))
    squeeze = array.ndim == 3
    images = array[..., np.newaxis] if squeeze else array
    out = _bilinear_rotate(images.astype(np.float32, copy=False), float(angle), float(fill))
    if np.issubdtype(array.dtype, np.integer):
        info = np.iinfo(array.dtype)
        out = np.clip(np.rint(out), info.min, info.max)
    out = out.astype(array.dtype, copy=False)
    return out[..., 0] if squeeze else out


def _bilinear_rotate(images: np.ndarray, angle: float, fill: float) -> np.ndarray:
    """Bilinear rotation of a float32 `(N, H, W, C)` batch (see `rotkeras.layers._affine`)."""
    _, height, width, _ = images.shape
    theta = math.radians(angle)
    cos, sin = math.cos(theta), math.sin(theta)
    cy, cx = (height - 1) / 2.0, (width - 1) / 2.0
    rows, cols = np.meshgrid(
        np.arange(height, dtype=np.float64), np.arange(width, dtype=np.float64), indexing="ij"
    )
    # Output pixel (row, col) samples input point (src_y, src_x).
    src_x = cos * (cols - cx) - sin * (rows - cy) + cx
    src_y = sin * (cols - cx) + cos * (rows - cy) + cy
    x0, y0 = np.floor(src_x), np.floor(src_y)
    wx, wy = (src_x - x0).astype(np.float32), (src_y - y0).astype(np.float32)
    x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
    out = np.zeros(images.shape, np.float32)
    for dy, dx, weight in (
        (0, 0, (1 - wy) * (1 - wx)),
        (0, 1, (1 - wy) * wx),
        (1, 0, wy * (1 - wx)),
        (1, 1, wy * wx),
    ):
        yy, xx = y0 + dy, x0 + dx
        valid = (yy >= 0) & (yy < height) & (xx >= 0) & (xx < width)
        values = images[:, np.clip(yy, 0, height - 1), np.clip(xx, 0, width - 1), :]
        values = np.where(valid[np.newaxis, :, :, np.newaxis], values, np.float32(fill))
        out += weight[np.newaxis, :, :, np.newaxis] * values
    return out


def angle_dataset(
    x: Any,
    num_angles: int = 4,
    batch_size: int = 64,
    seed: int = 0,
    shuffle: bool = True,
    repeat: bool = False,
    *,
    jitter: bool = False,
) -> Any:
    """A `tf.data` pipeline of (rotated image, angle class) batches, made on the fly.

    Every image is rotated by a random angle class `c` in `0..num_angles-1`, meaning
    "rotated by `c * 360 / num_angles` degrees counter-clockwise"; the label is `c`.
    With `num_angles=4` the rotations are exact quarter turns. With finer bins
    (e.g. `num_angles=360`, RotNet's 1-degree classes) the image is turned by the
    nearest quarter turn exactly plus an interpolated residual of at most 45 degrees
    (bilinear, background 0). By default the angle is the bin's own angle
    `c * 360 / num_angles`; `jitter=True` draws it uniformly from
    `[c - 0.5, c + 0.5) * 360 / num_angles` instead (the bin centred on it).

    The angles are drawn with stateless TensorFlow random ops seeded by `seed` and the
    batch index, and the images are shuffled with `seed` (a new order each epoch), so a
    pipeline is reproducible. Only TensorFlow ops run inside it, so it feeds
    `model.fit` under every Keras backend.

    Recipe (train an angle classifier on any image set):

    ```python
    train = rotkeras.datasets.angle_dataset(x_train, num_angles=4, repeat=False)
    model = rotkeras.models.angle_classifier(num_angles=4)
    model.fit(train, epochs=5)
    ```

    Args:
        x: Images `(N, H, W)` or `(N, H, W, C)`. Integer images are scaled by `1/255`;
            float images are used as they are. Square images are needed whenever a
            quarter turn can be drawn.
        num_angles: Number of angle classes (bins of `360 / num_angles` degrees).
        batch_size: Batch size.
        seed: Seed for the order and the angles.
        shuffle: Whether to shuffle the images (each epoch).
        repeat: Whether to repeat forever (then pass `steps_per_epoch` to `fit`).
        jitter: Draw a random angle inside the bin instead of the bin's angle.

    Returns:
        A `tf.data.Dataset` of `(images, classes)`: float32 `(B, H, W, C)` images and
        int32 `(B,)` angle classes.
    """
    import tensorflow as tf

    array = check_image_array(x)
    if array.ndim == 3:
        array = array[..., np.newaxis]
    num_angles = check_positive_int(num_angles, "num_angles")
    batch_size = check_positive_int(batch_size, "batch_size")
    height, width = array.shape[1], array.shape[2]
    step = 360.0 / num_angles
    quarters = [round(c * step / 90.0) % 4 for c in range(num_angles)]
    exact = not jitter and all((c * step) % 90 == 0 for c in range(num_angles))
    odd_possible = jitter or any(q % 2 for q in quarters)
    if odd_possible and height != width:
        raise ValueError(
            f"angle_dataset with num_angles={num_angles} needs square images (height == "
            f"width); received images of shape {np.asarray(x).shape}"
        )
    divisor = 255.0 if np.issubdtype(array.dtype, np.integer) else 1.0

    dataset = tf.data.Dataset.from_tensor_slices(array)
    if shuffle:
        dataset = dataset.shuffle(array.shape[0], seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    dataset = dataset.batch(batch_size).enumerate()

    def rotate(index: Any, images: Any) -> tuple[Any, Any]:
        images = tf.cast(images, tf.float32) / divisor
        size = tf.shape(images)[0]
        draw_seed = tf.stack([tf.constant(seed, tf.int64), tf.cast(index, tf.int64)])
        classes = tf.random.stateless_uniform(
            [size], seed=draw_seed, minval=0, maxval=num_angles, dtype=tf.int32
        )
        if exact:
            k = tf.gather(tf.constant(quarters, tf.int32), classes)
            return _tf_quarter_turns(images, k, allow_odd=odd_possible), classes
        angles = tf.cast(classes, tf.float32) * step
        if jitter:
            offsets = tf.random.stateless_uniform(
                [size], seed=draw_seed + 1, minval=-0.5, maxval=0.5, dtype=tf.float32
            )
            angles = angles + offsets * step
        return _tf_rotate(images, angles, allow_odd=odd_possible), classes

    dataset = dataset.map(rotate, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return dataset.prefetch(tf.data.AUTOTUNE)


def _tf_quarter_turns(images: Any, k: Any, allow_odd: bool = True) -> Any:
    """Exact per-sample `np.rot90` of an NHWC batch (square when `allow_odd`), in TensorFlow."""
    import tensorflow as tf

    k = tf.reshape(tf.math.floormod(tf.cast(k, tf.int32), 4), (-1, 1, 1, 1))
    out = images
    if allow_odd:
        out = tf.where(tf.equal(k % 2, 1), tf.transpose(images, [0, 2, 1, 3]), images)
    flip_rows = tf.logical_or(tf.equal(k, 1), tf.equal(k, 2))
    flip_cols = tf.logical_or(tf.equal(k, 2), tf.equal(k, 3))
    out = tf.where(flip_rows, tf.reverse(out, axis=[1]), out)
    return tf.where(flip_cols, tf.reverse(out, axis=[2]), out)


def _tf_rotate(images: Any, angles: Any, allow_odd: bool = True) -> Any:
    """Per-sample rotation by `angles` degrees: exact quarter turns + bilinear residual."""
    import tensorflow as tf

    from rotkeras.layers._affine import rotation_transforms

    quarters = tf.round(angles / 90.0)
    residual = angles - 90.0 * quarters
    out = _tf_quarter_turns(images, tf.cast(quarters, tf.int32), allow_odd)
    shape = tf.shape(out)
    transforms = rotation_transforms(residual, shape[1], shape[2], xp=tf)
    rotated = tf.raw_ops.ImageProjectiveTransformV3(
        images=out,
        transforms=transforms,
        output_shape=shape[1:3],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )
    return tf.where(tf.reshape(tf.equal(residual, 0.0), (-1, 1, 1, 1)), out, rotated)
