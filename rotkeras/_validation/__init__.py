"""Argument and tensor checks of the whole package (internal).

One rule decides the exception, everywhere in rotkeras:

- **TypeError**: the value has the wrong type: a string where a number is expected, a
  float or a bool where an integer is expected, a tensor or array of a non-numeric dtype,
  an object that is not a layer or a model where one is expected.
- **ValueError**: the type is right, the value is not: out of range, the wrong shape or
  rank, not a multiple of 90 degrees, an empty batch, an unknown option name.

Type errors are raised as `ArgumentTypeError`, a `TypeError` that is also a `ValueError`:
earlier versions raised `ValueError` for some of them, and code that catches `ValueError`
keeps working. Every message names the argument and the value (or shape, or dtype) received.

The checks that look at tensors (`check_image_tensor`, `check_square`, ...) read only
static shapes and dtypes, so they work on every backend, on symbolic `KerasTensor`s and
inside traced functions; those that look at arrays (`check_image_array`, ...) take
anything `np.asarray` accepts.

The checks live in one module per kind of value (`scalars`, `angles`, `tensors`,
`arrays`); this package re-exports them all, so callers write
`from rotkeras import _validation as check` and `check.check_int(...)` whichever module
defines the check.
"""

from __future__ import annotations

from rotkeras._validation.angles import (
    check_probabilities,
    right_angle_to_k,
    right_angles_to_ks,
)
from rotkeras._validation.arrays import (
    check_class_label_array,
    check_finite_array,
    check_image_array,
    check_labels,
    check_samples,
    is_target_tuple,
)
from rotkeras._validation.scalars import (
    DATA_FORMATS,
    MAX_SEED,
    ArgumentTypeError,
    check_bool,
    check_byte,
    check_choice,
    check_data_format,
    check_int,
    check_learning_rate,
    check_num_classes,
    check_number,
    check_positive_int,
    check_seed,
)

# Two private helpers that other modules of the package call as `check._is_real(...)` and
# `check._is_symbolic(...)`.
from rotkeras._validation.scalars import _is_real as _is_real
from rotkeras._validation.tensors import _is_symbolic as _is_symbolic
from rotkeras._validation.tensors import (
    check_at_run_time,
    check_class_labels,
    check_image_shape,
    check_image_tensor,
    check_numeric_dtype,
    check_rank,
    check_same_batch,
    check_same_images,
    check_square,
    check_square_array,
    check_square_tensor,
    spatial_axes,
    spatial_size,
)

__all__ = [
    "ArgumentTypeError",
    "DATA_FORMATS",
    "MAX_SEED",
    "check_at_run_time",
    "check_bool",
    "check_byte",
    "check_choice",
    "check_class_label_array",
    "check_class_labels",
    "check_data_format",
    "check_finite_array",
    "check_image_array",
    "check_image_shape",
    "check_image_tensor",
    "check_int",
    "check_labels",
    "check_learning_rate",
    "check_num_classes",
    "check_number",
    "check_numeric_dtype",
    "check_positive_int",
    "check_probabilities",
    "check_rank",
    "check_same_batch",
    "check_same_images",
    "check_samples",
    "check_seed",
    "check_square",
    "check_square_array",
    "check_square_tensor",
    "is_target_tuple",
    "right_angle_to_k",
    "right_angles_to_ks",
    "spatial_axes",
    "spatial_size",
]
