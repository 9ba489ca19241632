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
`90 * k` degrees is exactly `np.rot90(image, k)` on the height and width axes. The
rotations are `rotkeras.ops.rot90` and `rotkeras.ops.rotate`, run on the active Keras
backend over NumPy arrays in chunks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from rotkeras import _validation as check
from rotkeras.datasets.tutorial import TUTORIAL_ANGLES

# Images per call of a rotation on NumPy arrays: bounds the memory of the intermediate
# tensors (a chunk of 28x28 float32 images is 25 MB).
CHUNK = 8192


class RotatedSet(NamedTuple):
    """Images with their labels and the angle (degrees) each was rotated by.

    Attributes:
        images: The images, same dtype and layout as given.
        labels: The labels as given, or `None`.
        angles: int array `(N,)`, the angle in degrees applied to each image, as given
            in `angles` (e.g. `-90` stays `-90`; `0` for the originals of a combined set).

    Examples:
        >>> import numpy as np
        >>> from rotkeras.datasets import rotate_right_angles
        >>> turned = rotate_right_angles(np.zeros((3, 4, 4)), np.array([1, 2, 3]), angles=(90,))
        >>> turned.images.shape, turned.labels.tolist(), turned.angles.tolist()
        ((3, 4, 4), [1, 2, 3], [90, 90, 90])
    """

    images: np.ndarray
    labels: np.ndarray | None
    angles: np.ndarray


def _on_chunks(fn: Callable[[Any, slice], Any], array: np.ndarray) -> np.ndarray:
    """`fn(chunk, index)` over `(N, H, W, C)` chunks of `array`, back to one NumPy array."""
    import keras

    parts = [
        np.asarray(keras.ops.convert_to_numpy(fn(array[start : start + CHUNK],
                                                 slice(start, start + CHUNK))))
        for start in range(0, array.shape[0], CHUNK)
    ]
    return np.concatenate(parts, axis=0)


def _with_channels(array: np.ndarray) -> np.ndarray:
    return array[..., np.newaxis] if array.ndim == 3 else array


def rotate_right_angles(
    x: Any,
    y: Any = None,
    angles: Sequence[int] = TUTORIAL_ANGLES,
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

    Examples:
        >>> import numpy as np
        >>> x = np.arange(2 * 3 * 3).reshape(2, 3, 3)
        >>> rotated = rotate_right_angles(x, angles=(90,))
        >>> bool(np.all(rotated.images[0] == np.rot90(x[0])))
        True
    """
    array = check.check_image_array(x)
    labels = check.check_labels(y, array.shape[0])
    choices_k = check.right_angles_to_ks(angles, "angles")
    choices = np.asarray([int(round(float(a))) for a in angles], dtype=np.int64)
    rng = np.random.default_rng(check.check_seed(seed, allow_none=False))
    drawn = rng.choice(choices, size=array.shape[0])
    ks = ((drawn // 90) % 4).astype(np.int32)
    odd_turns = any(k % 2 for k in choices_k)
    if odd_turns:
        check.check_square_array(array, "rotate_right_angles")
    return RotatedSet(turn_quarters(array, ks, odd_turns), labels, drawn.astype(np.int64))


def turn_quarters(array: np.ndarray, ks: np.ndarray, odd_turns: bool = True) -> np.ndarray:
    """Turns image `i` of `array` `(N, H, W[, C])` by `ks[i]` quarter turns (exact).

    Args:
        array: Images, NumPy, any numeric dtype (kept).
        ks: Quarter turns counter-clockwise per image, `(N,)` integers.
        odd_turns: Whether `ks` may hold odd turns (which need square images).

    Returns:
        The turned images, same shape and dtype.
    """
    from rotkeras import ops

    ks = (np.asarray(ks).reshape(-1) % 4).astype(np.int32)
    out = _on_chunks(
        lambda chunk, index: ops.rotate_quarter_turns(chunk, ks[index], data_format="channels_last",
                                                      odd_quarter_turns=odd_turns),
        _with_channels(array),
    )
    return out.reshape(array.shape)


def combined_test_set(
    x: Any,
    y: Any,
    angles: Sequence[int] = TUTORIAL_ANGLES,
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

    Examples:
        >>> import numpy as np
        >>> from rotkeras.datasets import combined_test_set
        >>> both = combined_test_set(np.zeros((3, 28, 28)), np.array([1, 2, 3]))
        >>> both.images.shape, both.labels.tolist(), both.angles[:3].tolist()
        ((6, 28, 28), [1, 2, 3, 1, 2, 3], [0, 0, 0])
    """
    array = check.check_image_array(x)
    labels = check.check_labels(y, array.shape[0])
    rotated = rotate_right_angles(array, labels, angles, seed)
    images = np.concatenate([array, rotated.images], axis=0)
    all_labels = None if labels is None else np.concatenate([labels, labels], axis=0)
    all_angles = np.concatenate([np.zeros(array.shape[0], np.int64), rotated.angles])
    return RotatedSet(images, all_labels, all_angles)


def rotate_images(x: Any, angle: float, fill: float = 0.0) -> np.ndarray:
    """Rotates every image by `angle` degrees counter-clockwise around its centre.

    Multiples of 90 degrees are exact (`np.rot90`); other angles use bilinear
    interpolation with points outside the image set to `fill`: `rotkeras.ops.rotate`,
    the same sampling as `rotkeras.layers.OrientationCorrection`. Deterministic; 10,000
    MNIST images take a fraction of a second.

    Args:
        x: Images `(N, H, W)` or `(N, H, W, C)`. Integer images are rounded back to
            their dtype after interpolation; float images stay float.
        angle: Rotation in degrees, counter-clockwise.
        fill: Value of pixels that come from outside the image (0 = MNIST background).

    Returns:
        Array of the same shape and dtype as `x`.

    Examples:
        >>> import numpy as np
        >>> x = np.zeros((1, 5, 5), np.float32); x[0, 2, 4] = 1.0
        >>> int(np.argmax(rotate_images(x, 90)[0, 0]))  # the right-hand pixel moves to the top
        2
    """
    from rotkeras import ops

    array = check.check_image_array(x)
    angle = check.check_number(angle, "angle")
    fill = check.check_number(fill, "fill")
    if angle % 180 != 0 and angle % 90 == 0:
        check.check_square_array(array, "rotate_images")
    out = _on_chunks(
        lambda chunk, index: ops.rotate(chunk, angle, fill_value=fill,
                                        data_format="channels_last"),
        _with_channels(array),
    )
    return out.reshape(array.shape)


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

    Examples:
        >>> import numpy as np
        >>> from rotkeras.datasets import angle_dataset
        >>> x = np.zeros((10, 28, 28), np.uint8)
        >>> images, angle_classes = next(iter(angle_dataset(x, num_angles=4, batch_size=8)))
        >>> tuple(images.shape), tuple(angle_classes.shape)
        ((8, 28, 28, 1), (8,))
    """
    import tensorflow as tf

    from rotkeras import ops
    from rotkeras._backend import map_in_tf_graph

    array = _with_channels(check.check_image_array(x))
    num_angles = check.check_positive_int(num_angles, "num_angles")
    batch_size = check.check_positive_int(batch_size, "batch_size")
    seed = check.check_seed(seed, allow_none=False)
    step = 360.0 / num_angles
    quarters = [round(c * step / 90.0) % 4 for c in range(num_angles)]
    exact = not jitter and all((c * step) % 90 == 0 for c in range(num_angles))
    odd_possible = jitter or any(q % 2 for q in quarters)
    if odd_possible:
        check.check_square_array(np.asarray(x), f"angle_dataset with num_angles={num_angles}")
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
            return map_in_tf_graph(
                lambda args: ops.rotate_quarter_turns(args[0], args[1], data_format="channels_last",
                                                      odd_quarter_turns=odd_possible),
                (images, k),
                lambda args: args[0],
            ), classes
        angles = tf.cast(classes, tf.float32) * step
        if jitter:
            offsets = tf.random.stateless_uniform(
                [size], seed=draw_seed + 1, minval=-0.5, maxval=0.5, dtype=tf.float32
            )
            angles = angles + offsets * step
        return map_in_tf_graph(
            lambda args: ops.rotate(args[0], args[1], data_format="channels_last"),
            (images, angles),
            lambda args: args[0],
        ), classes

    dataset = dataset.map(rotate, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return dataset.prefetch(tf.data.AUTOTUNE)
