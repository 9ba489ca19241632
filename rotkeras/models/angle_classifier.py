"""A CNN that predicts how its input image is rotated (RotNet-style)."""

from __future__ import annotations

from collections.abc import Sequence

import keras

from rotkeras import _validation as check
from rotkeras.metrics import AngleError
from rotkeras.models._common import compile_classifier
from rotkeras.models.mnist_cnn import mnist_cnn


def angle_classifier(
    input_shape: Sequence[int] = (28, 28, 1),
    num_angles: int = 4,
    compile: bool = True,
    *,
    learning_rate: float = 1e-3,
    jit_compile: bool | str = "auto",
    steps_per_execution: int = 1,
    dtype: str | keras.DTypePolicy | None = None,
    name: str = "angle_classifier",
) -> keras.Model:
    """Builds a CNN that classifies the rotation of an image into `num_angles` classes.

    Class `c` means "the image is rotated by `c * 360 / num_angles` degrees
    counter-clockwise": with `num_angles=4`, `k = 0..3` quarter turns; with
    `num_angles=360`, RotNet's 1-degree bins. The network is the tutorial's digit CNN
    (`mnist_cnn`) with `num_angles` outputs: 130,116 parameters for 4 classes and
    176,040 for 360 (RotNet's MNIST model has 1.26M). Train it on
    `rotkeras.datasets.angle_dataset(x, num_angles)` and plug it into
    `rotkeras.models.orientation_corrected`.

    Compiled with Adam, `sparse_categorical_crossentropy` (integer angle classes) and
    accuracy, plus `rotkeras.metrics.AngleError` (mean circular error in degrees) when
    `num_angles > 4`.

    Args:
        input_shape: Shape of one input image, `(height, width, channels)`.
        num_angles: Number of angle classes, at least 2.
        compile: Whether to compile the model.
        learning_rate: Adam learning rate.
        jit_compile: Passed to `model.compile`.
        steps_per_execution: Passed to `model.compile`.
        dtype: Dtype policy of the network (see `rotkeras.models.mnist_cnn`): a name
            such as `"float32"` or `"mixed_bfloat16"`, a `keras.DTypePolicy`, or `None`
            for Keras' global policy.
        name: Model name.

    Returns:
        A `keras.Sequential` mapping `(batch, *input_shape)` float images in `[0, 1]`
        to `(batch, num_angles)` softmax probabilities.

    Examples:
        >>> import rotkeras
        >>> model = rotkeras.models.angle_classifier(num_angles=4)
        >>> model.output_shape
        (None, 4)
    """
    num_angles = check.check_int(num_angles, "num_angles", minimum=2)
    model = mnist_cnn(input_shape, num_classes=num_angles, compile=False, dtype=dtype,
                      name=name)
    if compile:
        metrics: list[object] = ["accuracy"]
        if num_angles > 4:
            metrics.append(AngleError(num_angles=num_angles))
        compile_classifier(
            model,
            learning_rate=learning_rate,
            jit_compile=jit_compile,
            steps_per_execution=steps_per_execution,
            metrics=metrics,
        )
    return model
