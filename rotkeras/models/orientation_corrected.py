"""Solution 1: turn the image upright with an angle model, then classify it."""

from __future__ import annotations

import keras

from rotkeras import _validation as check
from rotkeras.layers.orientation_correction import OrientationCorrection
from rotkeras.layers.predicted_angle import PredictedAngle
from rotkeras.models._common import compile_classifier


def orientation_corrected(
    classifier: keras.Model,
    angle_model: keras.Model,
    *,
    num_angles: int | None = None,
    return_angle: bool = False,
    compile: bool = True,
    name: str = "orientation_corrected",
) -> keras.Model:
    """Composes an angle model and a classifier into one orientation-corrected model.

    `image -> angle_model -> OrientationCorrection -> classifier -> probabilities`:
    the angle model predicts how each image is rotated, `OrientationCorrection`
    turns the image back (exactly, for 4 angle classes), and the unchanged classifier
    classifies the upright image. The result is a single functional Keras model that
    saves and loads as one `.keras` file (default `safe_mode`) on every backend.

    Args:
        classifier: A model mapping upright images to class probabilities, e.g.
            `rotkeras.models.mnist_cnn()` trained on upright MNIST.
        angle_model: A model mapping images to `(batch, num_angles)` angle-class
            probabilities, e.g. a trained `rotkeras.models.angle_classifier()`. Its
            input shape must equal the classifier's.
        num_angles: Number of angle classes; inferred from the angle model's output
            when `None` (an explicit value must match it).
        return_angle: Also output the predicted rotation in degrees, `(batch,)` in
            `(-180, 180]` (e.g. `-90`), as a second output named `"angle"`.
        compile: Compile the model (Adam, sparse cross-entropy and accuracy on the class
            output) so that `evaluate` works; the sub-models' weights are shared, not copied.
        name: Model name.

    Returns:
        A functional `keras.Model`: `(batch, H, W, C)` images to `(batch, classes)`
        probabilities (output `"probabilities"`), plus `(batch,)` angles if
        `return_angle`.

    Examples:
        >>> import rotkeras
        >>> model = rotkeras.models.orientation_corrected(
        ...     rotkeras.models.mnist_cnn(), rotkeras.models.angle_classifier(num_angles=4))
        >>> model.output_shape
        (None, 10)
    """
    angle_shape, num_angles = _check_models(classifier, angle_model, num_angles)
    check.check_bool(return_angle, "return_angle")

    inputs = keras.Input(shape=angle_shape[1:], name="image")
    probabilities = angle_model(inputs)
    upright = OrientationCorrection(num_angles=num_angles, name="orientation_correction")(
        [inputs, probabilities]
    )
    # float32 probabilities under a mixed precision policy, as Keras' own softmax heads.
    class_probabilities = keras.layers.Activation(
        "linear", name="probabilities", dtype="float32"
    )(classifier(upright))
    outputs: object = class_probabilities
    if return_angle:
        angle = PredictedAngle(num_angles=num_angles, signed=True, name="angle")(probabilities)
        outputs = {"probabilities": class_probabilities, "angle": angle}
    model = keras.Model(inputs, outputs, name=name)
    if compile:
        _compile(model, return_angle)
    return model


def _check_models(
    classifier: keras.Model, angle_model: keras.Model, num_angles: int | None
) -> tuple[tuple[int | None, ...], int]:
    """Checks that the two models fit together; returns the input shape and `num_angles`."""
    for arg, value in (("classifier", classifier), ("angle_model", angle_model)):
        if not isinstance(value, keras.Model):
            raise check.ArgumentTypeError(
                f"`{arg}` must be a keras.Model; received {type(value).__name__}"
            )
    angle_shape = tuple(angle_model.input_shape)
    classifier_shape = tuple(classifier.input_shape)
    if angle_shape[1:] != classifier_shape[1:]:
        raise ValueError(
            "`angle_model` and `classifier` must take the same images; received input shapes "
            f"{angle_shape} (angle_model) and {classifier_shape} (classifier)"
        )
    if len(angle_shape) != 4:
        raise ValueError(
            f"The models must take rank-4 image batches; received input shape {angle_shape}"
        )
    output_shape = angle_model.output_shape
    if not isinstance(output_shape, tuple) or len(output_shape) != 2:
        raise ValueError(
            "`angle_model` must have one output of shape (batch, num_angles); received output "
            f"shape {output_shape}"
        )
    classifier_output = classifier.output_shape
    if not isinstance(classifier_output, tuple) or len(classifier_output) != 2:
        raise ValueError(
            "`classifier` must have one output of shape (batch, num_classes), the class "
            f"probabilities; received output shape {classifier_output} (for a model with "
            "several outputs, pass a model of its class output alone)"
        )
    inferred = output_shape[-1]
    if num_angles is None:
        num_angles = inferred
    num_angles = check.check_positive_int(num_angles, "num_angles")
    if inferred is not None and inferred != num_angles:
        raise ValueError(
            f"`num_angles`={num_angles} does not match the angle model's output shape "
            f"{output_shape}"
        )
    if classifier.name == angle_model.name:
        raise ValueError(
            "`classifier` and `angle_model` need different names inside one model; both are "
            f"named {classifier.name!r} (pass `name=` when building one of them)"
        )
    return angle_shape, num_angles


def _compile(model: keras.Model, return_angle: bool) -> None:
    """Adam, sparse cross-entropy and accuracy on the class output (none on the angle)."""
    if return_angle:
        model.compile(
            optimizer=keras.optimizers.Adam(),
            loss={"probabilities": "sparse_categorical_crossentropy", "angle": None},
            metrics={"probabilities": ["accuracy"]},
        )
        # As compile_classifier does: Adam's slots now, so that saving before training
        # stores them and loading does not warn about mismatched optimizer variables.
        model.optimizer.build(model.trainable_variables)
    else:
        compile_classifier(model)
