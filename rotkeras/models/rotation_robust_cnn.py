"""A rotation-equivariant (p4) digit classifier, robust to right-angle turns by construction."""

from __future__ import annotations

from collections.abc import Sequence

import keras

from rotkeras import _validation as check
from rotkeras.datasets.tutorial import TUTORIAL_TURNS
from rotkeras.layers.p4_batch_normalization import P4BatchNormalization
from rotkeras.layers.p4_conv2d import P4Conv2D
from rotkeras.layers.p4_orientation_head import P4OrientationHead
from rotkeras.layers.p4_pooling2d import P4Pooling2D
from rotkeras.layers.p4_rotation_pooling import P4RotationPooling
from rotkeras.models._common import (
    compile_classifier,
    compile_joint,
    preprocessing_layers,
    resolve_dtype_policy,
)

HEADS = ("joint", "invariant")
#: The tutorial's distribution of turns (upright half of the time, each turn a sixth),
#: which is also that of the standard "combined" test set.
TUTORIAL_PRIOR = TUTORIAL_TURNS


#: The backbone, one block per row: a 3x3 `P4Conv2D` (valid padding), then a `P4Pooling2D`
#: of this size (None: no pooling), then `P4BatchNormalization` and ReLU. Pooling before the
#: normalization normalizes a quarter (a ninth) of the values, the same result for max
#: pooling up to the sign of the scale, and about a third less time per step on a CPU.
#: 28x28 -> 26 -> 13 -> 11 -> 9 -> 3 -> 1.
BLOCKS: tuple[int | None, ...] = (2, None, 3, None)


def _final_size(input_shape: tuple[int, int, int]) -> int:
    """The side of the backbone's last feature map; checks that every pooling tiles exactly."""
    size = input_shape[0]
    for pool_size in BLOCKS:
        size -= 2
        if pool_size and size % pool_size:
            raise ValueError(
                "`input_shape` must let every pooling step of the network tile its input "
                f"exactly (rotation equivariance): a {pool_size}x{pool_size} pooling meets a "
                f"size of {size}; received input_shape={input_shape!r}. 28x28 (MNIST) works."
            )
        size //= pool_size or 1
    if size < 1:
        raise ValueError(f"`input_shape` is too small for the network; received {input_shape!r}")
    return size


def rotation_robust_cnn(
    input_shape: Sequence[int] = (28, 28, 1),
    num_classes: int = 10,
    head: str = "joint",
    compile: bool = True,
    *,
    filters: Sequence[int] = (8, 16, 24, 48),
    hidden_units: int = 128,
    orientation_prior: Sequence[float] | None = TUTORIAL_PRIOR,
    preprocessing: keras.layers.Layer | Sequence[keras.layers.Layer] | None = None,
    learning_rate: float | keras.optimizers.schedules.LearningRateSchedule = 1e-3,
    orientation_loss_weight: float = 1.0,
    weight_decay: float = 0.0,
    jit_compile: bool | str = "auto",
    dtype: str | keras.DTypePolicy | None = None,
    name: str = "rotation_robust_cnn",
) -> keras.Model:
    """Builds a p4 group-equivariant CNN that reads digits at any right-angle turn.

    Four `P4Conv2D` layers (a lifting layer, then group convolutions), each followed by
    `P4BatchNormalization` and ReLU, with `P4Pooling2D` after the first and third
    convolutions (before their normalization),
    reduce a 28x28 image to a p4 feature vector `(4, channels)`: features that turn with
    the input, exactly. The head decides what the model does with the orientation:

    - `"joint"`: a `P4OrientationHead` scores every (digit, quarter turn) pair with one
      classifier applied to the features turned back by each candidate turn. Outputs
      `[digits (batch, num_classes), orientation (batch, 4)]`, both probabilities;
      orientation index `t` means "turned by 90 * t degrees counter-clockwise". It
      learns to read turned digits from upright ones, and still tells a 6 from a 9
      turned by 180 degrees: `orientation_prior` says how likely each turn is (the
      tutorial's mix by default: upright half of the time).
    - `"invariant"`: the features are max-pooled over the four orientations
      (`P4RotationPooling`), then a dense classifier. One output `(batch,
      num_classes)`, exactly the same for the four right-angle turns of any input; it
      cannot tell a 6 from a turned 9.

    Training: compiled with Adam and sparse cross-entropy. The joint model takes two
    label arrays, `(digits, turns)`: for upright training images the turns are all 0
    (`numpy.zeros(len(y), "int32")`); no rotated copies are needed, the equivariance
    carries what it learns to the other three turns. See the Rotation-equivariant
    networks page for the measured recipe.

    Args:
        input_shape: Shape of one input image `(height, width, channels)`; square, and
            sized so that every pooling step tiles its input exactly (28x28 works).
        num_classes: Number of classes.
        head: `"joint"` or `"invariant"`.
        compile: Whether to compile the model.
        filters: Channels per orientation of the four p4 convolutions.
        hidden_units: Width of the hidden dense layer of the head.
        orientation_prior: Prior probabilities of the turns 0, 90, 180, 270 degrees
            for the joint head (None: uniform, which makes the digit output exactly
            invariant too). Ignored by the invariant head.
        preprocessing: Optional layer (or layers) inserted after the input, e.g.
            augmentation active only in training. A layer that turns the images would
            contradict the orientation labels of the joint head.
        learning_rate: Adam learning rate (a float or a Keras schedule).
        orientation_loss_weight: Weight of the orientation loss (joint head).
        weight_decay: Decoupled weight decay (AdamW) of the joint head's optimizer; 0
            for plain Adam.
        jit_compile: Passed to `model.compile`.
        dtype: Dtype policy of the network (e.g. `"mixed_bfloat16"`); the outputs stay
            float32.
        name: Model name.

    Returns:
        A functional `keras.Model` from `(batch, *input_shape)` float images in `[0, 1]`
        to digit probabilities `(batch, num_classes)` (`"invariant"`) or to
        `[digits, orientation]` (`"joint"`).

    Examples:
        >>> import numpy as np
        >>> import rotkeras
        >>> model = rotkeras.models.rotation_robust_cnn(head="invariant")
        >>> x = np.random.rand(2, 28, 28, 1).astype("float32")
        >>> p = model.predict(x, verbose=0)
        >>> p_turned = model.predict(np.rot90(x, 1, axes=(1, 2)).copy(), verbose=0)
        >>> bool(np.allclose(p, p_turned, atol=1e-5))
        True
        >>> joint = rotkeras.models.rotation_robust_cnn()
        >>> digits, orientation = joint.predict(x, verbose=0)
        >>> digits.shape, orientation.shape
        ((2, 10), (2, 4))
    """
    input_shape, num_classes, head, filters, hidden_units = _check_arguments(
        input_shape, num_classes, head, compile, learning_rate, filters, hidden_units
    )
    final = _final_size(input_shape)
    extra = preprocessing_layers(preprocessing)
    policy, output_policy = resolve_dtype_policy(dtype)

    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    for layer in extra:
        x = layer(x)
    x = _backbone(x, filters, final, policy)
    if head == "joint":
        outputs = _joint_head(x, num_classes, hidden_units, orientation_prior, policy,
                              output_policy)
    else:
        outputs = _invariant_head(x, num_classes, hidden_units, policy, output_policy)
    model = keras.Model(inputs, outputs, name=name)
    if compile:
        if head == "joint":
            compile_joint(
                model,
                learning_rate=learning_rate,
                orientation_loss_weight=orientation_loss_weight,
                weight_decay=weight_decay,
                jit_compile=jit_compile,
            )
        else:
            compile_classifier(model, learning_rate=learning_rate, jit_compile=jit_compile)
    return model


def _check_arguments(
    input_shape: Sequence[int],
    num_classes: int,
    head: str,
    compile: bool,
    learning_rate: float | keras.optimizers.schedules.LearningRateSchedule,
    filters: Sequence[int],
    hidden_units: int,
) -> tuple[tuple[int, int, int], int, str, tuple[int, ...], int]:
    """The arguments of `rotation_robust_cnn` that shape the network, checked."""
    input_shape = check.check_image_shape(input_shape, "input_shape", min_size=12)
    if input_shape[0] != input_shape[1]:
        raise ValueError(
            "`input_shape` must be square (height == width) for a network that turns its "
            f"features by 90 degrees; received input_shape={input_shape!r}"
        )
    num_classes = check.check_num_classes(num_classes)
    head = check.check_choice(head, "head", HEADS)
    if compile:
        check.check_learning_rate(learning_rate)  # before the network is built
    if isinstance(filters, (str, bytes)) or not isinstance(filters, Sequence) or len(filters) != 4:
        raise ValueError(
            "`filters` must be four positive integers (one per p4 convolution); "
            f"received filters={filters!r}"
        )
    filters = tuple(check.check_positive_int(f, "filters") for f in filters)
    hidden_units = check.check_positive_int(hidden_units, "hidden_units")
    return input_shape, num_classes, head, filters, hidden_units


def _backbone(
    x: keras.KerasTensor, filters: Sequence[int], final: int, policy: keras.DTypePolicy
) -> keras.KerasTensor:
    """The `BLOCKS` of the network, pooled to one p4 feature vector `(batch, 4, channels)`."""
    for index, pool_size in enumerate(BLOCKS, start=1):
        x = P4Conv2D(filters[index - 1], 3, lifting=index == 1, use_bias=False,
                     name=f"p4conv{index}", dtype=policy)(x)
        if pool_size:
            x = P4Pooling2D(pool_size, name=f"pool{index}", dtype=policy)(x)
        x = P4BatchNormalization(name=f"p4bn{index}", dtype=policy)(x)
        x = keras.layers.Activation("relu", name=f"relu{index}", dtype=policy)(x)
    if final > 1:
        x = P4Pooling2D(final, name="global_pool", dtype=policy)(x)
    return keras.layers.Reshape((4, filters[-1]), name="p4_vector", dtype=policy)(x)


def _joint_head(
    x: keras.KerasTensor,
    num_classes: int,
    hidden_units: int,
    orientation_prior: Sequence[float] | None,
    policy: keras.DTypePolicy,
    output_policy: keras.DTypePolicy,
) -> list[keras.KerasTensor]:
    """The `"joint"` head: `[digits, orientation]` probabilities from a `P4OrientationHead`."""
    digits, turns = P4OrientationHead(
        num_classes,
        hidden_units=hidden_units,
        orientation_prior=orientation_prior,
        name="joint_head",
        dtype=policy,
    )(x)
    # Named outputs: Keras names the losses and metrics after them ("digit_accuracy",
    # "orientation_accuracy"), and float32 probabilities under a mixed policy.
    return [
        keras.layers.Activation("linear", name="digit", dtype=output_policy)(digits),
        keras.layers.Activation("linear", name="orientation", dtype=output_policy)(turns),
    ]


def _invariant_head(
    x: keras.KerasTensor,
    num_classes: int,
    hidden_units: int,
    policy: keras.DTypePolicy,
    output_policy: keras.DTypePolicy,
) -> keras.KerasTensor:
    """The `"invariant"` head: max over the four orientations, then a dense classifier."""
    x = P4RotationPooling("max", name="rotation_pool", dtype=policy)(x)
    x = keras.layers.Dense(hidden_units, activation="relu", name="dense", dtype=policy)(x)
    return keras.layers.Dense(
        num_classes, activation="softmax", name="probabilities", dtype=output_policy
    )(x)
