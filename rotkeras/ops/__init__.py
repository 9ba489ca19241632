"""Rotations of images and bounding boxes, written with `keras.ops` only.

Every rotation in rotkeras (its layers, data sets and benchmarks) is one of these
functions. They run on the TensorFlow, JAX and PyTorch backends, eagerly and inside
compiled functions (`tf.function`, XLA, `jax.jit`, `torch.compile`), with static shapes
and no Python control flow on tensor values.

Conventions, shared by every function:

- Angles are in degrees, **counter-clockwise as displayed** (row 0 on top), around the
  image centre: pixel-index coordinates `((height - 1) / 2, (width - 1) / 2)`, which is
  `(height / 2, width / 2)` in the continuous coordinates of bounding boxes.
- A 90-degree step is a **quarter turn**: a rotation by `90 * n` degrees is `n` quarter
  turns, `np.rot90(image, n)` on the height and width axes (`rotate_quarter_turns`).
- Right angles are **exact**: pixels are permuted, never interpolated, including when a
  batch mixes right angles with other angles (`rotate` picks the permutation for those
  samples). On non-square images this holds for 0 and 180 degrees; 90 and 270 degrees
  there keep the frame and sample on pixel centres when `height - width` is even.
- `images` are rank 3 `(height, width, channels)` or rank 4 `(batch, height, width,
  channels)`, channels first with `data_format="channels_first"`; `data_format=None`
  means `keras.config.image_data_format()`. Outputs keep the input's dtype.

Examples:
    >>> import numpy as np
    >>> from rotkeras import ops
    >>> x = np.arange(6, dtype="float32").reshape(1, 2, 3, 1)
    >>> np.asarray(ops.rotate_quarter_turns(x, 1, data_format="channels_last"))[0, ..., 0]
    array([[2., 5.],
           [1., 4.],
           [0., 3.]], dtype=float32)
"""

from rotkeras.ops._any_angle import rotate
from rotkeras.ops._any_angle import rotate_checked as rotate_checked
from rotkeras.ops._boxes import rotate_bounding_boxes
from rotkeras.ops._common import BOUNDING_BOX_FORMATS as BOUNDING_BOX_FORMATS
from rotkeras.ops._common import FILL_MODES as FILL_MODES
from rotkeras.ops._common import INTERPOLATIONS as INTERPOLATIONS
from rotkeras.ops._common import MAX_FLOAT32_ANGLE as MAX_FLOAT32_ANGLE
from rotkeras.ops._common import finite_argmax as finite_argmax
from rotkeras.ops._quarter_turns import rot90 as rot90
from rotkeras.ops._quarter_turns import rotate_quarter_turns
from rotkeras.ops._quarter_turns import (
    rotate_quarter_turns_checked as rotate_quarter_turns_checked,
)

# Listed: the public functions. `rot90`, the former name of `rotate_quarter_turns`, still
# works (and warns) but is not listed: it shadowed `keras.ops.rot90`, which has another
# signature. The other names are for rotkeras' own layers.
__all__ = ["rotate", "rotate_bounding_boxes", "rotate_quarter_turns"]
