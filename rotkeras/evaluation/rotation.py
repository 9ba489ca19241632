"""Accuracy on upright, rotated and combined sets, and per angle.

Every accuracy rotkeras reports comes from these functions (`rotkeras reproduce` included),
on the sets built by `rotkeras.datasets.rotate_right_angles` and
`rotkeras.datasets.combined_test_set` (fixed seed), so numbers from different models are
measured on the same images.

Images may be given as MNIST's uint8 `(N, 28, 28)` arrays (scaled by `1/255` and
given a channel axis, like `rotkeras.datasets.to_float_images`) or as float arrays
already in the model's input range (used as they are; `(N, H, W)` gets a channel axis).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

import keras
import numpy as np

from rotkeras import _backend
from rotkeras._validation import check_image_array
from rotkeras.datasets.rotated import rotate_images, rotate_right_angles
from rotkeras.datasets.tutorial import TUTORIAL_ANGLES

__all__ = [
    "RotatedPredictions",
    "accuracy",
    "accuracy_per_angle",
    "class_output",
    "predict_classes",
    "predict_padded",
    "predict_rotated_sets",
    "rotation_robustness",
]


def _as_model_input(x: Any) -> np.ndarray:
    array = check_image_array(x, "x")
    if array.ndim == 3:
        array = array[..., np.newaxis]
    if np.issubdtype(array.dtype, np.integer):
        return array.astype(np.float32) / np.float32(255.0)
    return array.astype(np.float32, copy=False)


def _labels(y: Any, n: int) -> np.ndarray:
    labels = np.asarray(y)
    if labels.ndim == 2 and labels.shape[1] > 1:  # one-hot
        labels = np.argmax(labels, axis=1)
    labels = labels.reshape(-1)
    if labels.shape[0] != n:
        raise ValueError(
            f"`y` must have one label per image ({n}); received shape {np.shape(y)}"
        )
    return labels.astype(np.int64)


def predict_classes(model: keras.Model, x: Any, batch_size: int = 1024) -> np.ndarray:
    """The argmax class of every image (`x` as in the module docstring).

    Args:
        model: A classifier (its first output, or the `"probabilities"` output of a
            multi-output model such as `orientation_corrected(..., return_angle=True)`).
        x: Images (uint8 or float, see the module docstring).
        batch_size: Prediction batch size.

    Returns:
        int64 array `(N,)` of predicted classes.

    On several devices (see `rotkeras.training.data_parallel`) every batch must split
    evenly over them: the images are padded with blank ones up to a multiple of the
    devices (in every batch) and the padding's predictions are discarded.

    Examples:
        >>> import numpy as np
        >>> import rotkeras
        >>> from rotkeras.evaluation import predict_classes
        >>> model = rotkeras.models.mnist_cnn()  # untrained here; pass a trained classifier
        >>> predict_classes(model, np.zeros((8, 28, 28), np.uint8)).shape
        (8,)
    """
    images = _as_model_input(x)
    outputs = class_output(predict_padded(model, images, batch_size))
    return np.argmax(outputs, axis=-1).astype(np.int64)


def predict_padded(model: keras.Model, images: np.ndarray, batch_size: int = 1024) -> Any:
    """`model.predict` of `images` as given, every output trimmed to one row per image.

    On several devices every batch must split evenly over them: the batch size is
    rounded down to a multiple of the devices and blank images pad the input to one;
    their predictions are dropped.

    Args:
        model: Any Keras model.
        images: Its input, as it takes it (no scaling here, unlike `predict_classes`).
        batch_size: Prediction batch size.

    Returns:
        What `model.predict` returns (an array, or a list or dict of them), `N` rows each.

    Examples:
        >>> import numpy as np
        >>> import rotkeras
        >>> from rotkeras.evaluation import predict_padded
        >>> model = rotkeras.models.rotation_robust_cnn()  # outputs: digits, turn
        >>> digits, turn = predict_padded(model, np.zeros((3, 28, 28, 1), np.float32))
        >>> digits.shape, turn.shape
        ((3, 10), (3, 4))
    """
    count = images.shape[0]
    replicas = _backend.replicas_in_sync(model)
    if replicas > 1:
        batch_size = max(replicas, batch_size // replicas * replicas)
        padding = -count % replicas
        if padding:
            images = np.concatenate([images, np.zeros((padding, *images.shape[1:]),
                                                      images.dtype)])
    outputs = model.predict(images, batch_size=batch_size, verbose=0)
    return keras.tree.map_structure(lambda output: np.asarray(output)[:count], outputs)


def class_output(outputs: Any) -> np.ndarray:
    """The class probabilities among a model's outputs: the `"probabilities"` output of a
    dict, the first of a list (such as the digit reader's `[digits, orientation]`), or the
    one output.

    Examples:
        >>> import numpy as np
        >>> from rotkeras.evaluation import class_output
        >>> digits, orientation = np.eye(10)[[3]], np.eye(4)[[1]]
        >>> class_output([digits, orientation]).argmax(axis=-1)
        array([3])
        >>> class_output({"probabilities": digits}).shape
        (1, 10)
    """
    if isinstance(outputs, dict):
        outputs = outputs.get("probabilities", next(iter(outputs.values())))
    elif isinstance(outputs, (list, tuple)):
        outputs = outputs[0]
    return np.asarray(outputs)


def _correct(model: keras.Model, x: Any, y: Any, batch_size: int) -> np.ndarray:
    images = _as_model_input(x)
    labels = _labels(y, images.shape[0])
    return predict_classes(model, images, batch_size) == labels


class RotatedPredictions(NamedTuple):
    """A classifier's predictions on a test set and on its rotated copy.

    Attributes:
        labels: int64 labels `(N,)`.
        upright: Predicted classes on the images as given, `(N,)`.
        rotated: Predicted classes on `rotate_right_angles(x, y, angles, seed)`, `(N,)`.
        angles: The angle in degrees each rotated copy was turned by, `(N,)`.

    Examples:
        >>> import numpy as np
        >>> from rotkeras.evaluation import RotatedPredictions
        >>> p = RotatedPredictions(labels=np.array([1, 2]), upright=np.array([1, 2]),
        ...                        rotated=np.array([1, 0]), angles=np.array([90, 180]))
        >>> p.scores()
        {'upright': 1.0, 'rotated': 0.5, 'combined': 0.75}
    """

    labels: np.ndarray
    upright: np.ndarray
    rotated: np.ndarray
    angles: np.ndarray

    def scores(self) -> dict[str, float]:
        """`{"upright", "rotated", "combined"}` accuracies (see `rotation_robustness`)."""
        upright = self.upright == self.labels
        turned = self.rotated == self.labels
        return {
            "upright": float(np.mean(upright)),
            "rotated": float(np.mean(turned)),
            "combined": float(np.mean(np.concatenate([upright, turned]))),
        }


def predict_rotated_sets(
    model: keras.Model,
    x: Any,
    y: Any,
    angles: Sequence[int] = TUTORIAL_ANGLES,
    seed: int = 0,
    batch_size: int = 1024,
) -> RotatedPredictions:
    """Predicts the upright and the rotated set of `rotation_robustness`, for further analysis.

    Args:
        model: A classifier.
        x: Test images (e.g. MNIST's `x_test`).
        y: Test labels `(N,)` (or one-hot).
        angles: Right angles of the rotated copies.
        seed: Seed drawing the angles.
        batch_size: Prediction batch size.

    Returns:
        `RotatedPredictions`; its `scores()` are `rotation_robustness`'s numbers.

    Examples:
        >>> import numpy as np
        >>> import rotkeras
        >>> from rotkeras.evaluation import predict_rotated_sets
        >>> model = rotkeras.models.mnist_cnn()  # untrained here; pass a trained classifier
        >>> x, y = np.zeros((8, 28, 28), np.uint8), np.zeros(8, np.int64)
        >>> predictions = predict_rotated_sets(model, x, y, seed=0)
        >>> predictions.rotated.shape, sorted(predictions.scores())
        ((8,), ['combined', 'rotated', 'upright'])
    """
    images = _as_model_input(x)
    labels = _labels(y, images.shape[0])
    rotated = rotate_right_angles(images, labels, angles, seed)
    return RotatedPredictions(
        labels=labels,
        upright=predict_classes(model, images, batch_size),
        rotated=predict_classes(model, rotated.images, batch_size),
        angles=rotated.angles,
    )


def accuracy(model: keras.Model, x: Any, y: Any, batch_size: int = 1024) -> float:
    """Fraction of images whose argmax prediction equals the label.

    Args:
        model: A classifier (its first output, or the `"probabilities"` output of a
            multi-output model such as `orientation_corrected(..., return_angle=True)`).
        x: Images (see the module docstring for uint8 vs float).
        y: Integer labels `(N,)` (or one-hot).
        batch_size: Prediction batch size.

    Returns:
        Accuracy in `[0, 1]`.

    Examples:
        >>> import numpy as np
        >>> import rotkeras
        >>> from rotkeras.evaluation import accuracy
        >>> model = rotkeras.models.mnist_cnn()  # untrained here; pass a trained classifier
        >>> 0.0 <= accuracy(model, np.zeros((8, 28, 28), np.uint8), np.zeros(8, np.int64)) <= 1
        True
    """
    return float(np.mean(_correct(model, x, y, batch_size)))


def accuracy_per_angle(
    model: keras.Model,
    x: Any,
    y: Any,
    angles: Iterable[float] = range(0, 360, 15),
    batch_size: int = 1024,
) -> dict[int, float]:
    """Accuracy on the whole set rotated by each angle (`rotkeras.datasets.rotate_images`).

    Right angles are exact; other angles are bilinear rotations with a black background.

    Args:
        model: A classifier.
        x: Images `(N, H, W)` or `(N, H, W, C)`.
        y: Labels `(N,)`.
        angles: Angles in degrees counter-clockwise (default 0, 15, ..., 345).
        batch_size: Prediction batch size.

    Returns:
        `{angle: accuracy}` in the order of `angles`.

    Examples:
        >>> import numpy as np
        >>> import rotkeras
        >>> from rotkeras.evaluation import accuracy_per_angle
        >>> x, y = np.zeros((8, 28, 28), np.uint8), np.zeros(8, np.int64)
        >>> model = rotkeras.models.mnist_cnn()  # untrained here; pass a trained classifier
        >>> list(accuracy_per_angle(model, x, y, angles=(0, 45, 90)))
        [0, 45, 90]
    """
    array = np.asarray(x)
    result: dict[int, float] = {}
    for angle in angles:
        rotated = rotate_images(array, angle)
        key = int(angle) if float(angle).is_integer() else angle
        result[key] = accuracy(model, rotated, y, batch_size)
    return result


def rotation_robustness(
    model: keras.Model, x: Any, y: Any, angles: Sequence[int] = TUTORIAL_ANGLES, seed: int = 0,
    batch_size: int = 1024,
) -> dict[str, float]:
    """Accuracy on the upright, rotated and combined sets (the tutorial's three numbers).

    * `"upright"`: `x` as given;
    * `"rotated"`: `rotate_right_angles(x, y, angles, seed)`, one copy of each image
      turned by a right angle drawn from `angles`;
    * `"combined"`: `combined_test_set(x, y, angles, seed)`, both together (the
      tutorial reports 97.97% there for its augmented model). It is computed from the
      two predictions above (`predict_rotated_sets`), which is the same as predicting the
      combined set.

    It is `predict_rotated_sets(model, x, y, angles, seed, batch_size).scores()`, and takes
    the arguments of `predict_rotated_sets`.

    Returns:
        `{"upright": float, "rotated": float, "combined": float}`.

    Examples:
        >>> import numpy as np
        >>> from rotkeras.evaluation import rotation_robustness
        >>> from rotkeras.models import mnist_cnn
        >>> x_test, y_test = np.zeros((8, 28, 28), np.uint8), np.zeros(8, np.int64)
        >>> scores = rotation_robustness(mnist_cnn(), x_test, y_test)  # pass a trained model
        >>> sorted(scores)
        ['combined', 'rotated', 'upright']
    """
    return predict_rotated_sets(model, x, y, angles, seed, batch_size).scores()
