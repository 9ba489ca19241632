"""Turning photos of handwritten digits into MNIST-like images."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from rotkeras import _validation as check
from rotkeras._backend import TFDataLayer
from rotkeras.layers._config import with_attributes
from rotkeras.layers.handwriting._pipeline import mnist_pipeline, tutorial_pipeline
from rotkeras.layers.handwriting._pixels import finite_pixels, to_gray, to_unit_range

_MODES = ("mnist", "tutorial")
_POLARITIES = ("auto", "dark_on_light", "light_on_dark")
_CHANNELS = (1, 3, 4)


@keras.saving.register_keras_serializable(package="rotkeras")
class HandwritingPreprocess(TFDataLayer):
    """Turns photos of handwritten digits into MNIST-like 28x28 images.

    A CNN trained on MNIST sees white, anti-aliased digits on black, scaled so that
    the longer side of the digit's box is 20 pixels and centred by centre of mass in a
    28x28 frame. Photos look nothing like that: dark ink on paper, uneven light,
    shadows, ruled lines, a digit somewhere in a big frame. This layer normalises a
    batch of photos the way MNIST itself was made, in `keras.ops` only (TensorFlow,
    JAX and PyTorch; usable as the first layer of a model, inside `tf.data` and
    under `jit_compile`), with static shapes:

    1. grayscale (BT.601 luma) in `[0, 1]`, shrunk with area averaging to a working
       resolution whose longer side is `working_size`;
    2. polarity: the ink is the minority of pixels that departs most from its
       neighbourhood, and the extreme farthest from the typical pixel and (when the
       frame's border is uniform) from the border's colour; dark ink on light paper
       and light strokes on a dark screen both end up as bright ink (or force it with
       `polarity`);
    3. background and lighting removal: a grey opening with a window a third of the
       image wide (a white top-hat) removes paper, gradients and shadow edges; on
       clean paper (a uniform border) the background is capped near the paper's
       colour, so marker strokes wider than the window stay whole; a soft threshold
       relative to the ink's contrast removes paper texture and faint specks; long
       thin horizontal/vertical lines (ruled or squared paper) are subtracted; ink
       lying along the border of the photo (a table, the paper's edge, a shadow's
       corner) is removed, unless that would leave no digit; of the ink left, only
       what is connected (gaps of a few pixels bridged) to its densest part is kept, so
       a second object apart from the digit (a pen, a coin) is dropped, unless that
       part holds under 40% of the ink;
    4. crop to the ink with robust, density-weighted mass bounds (isolated specks and
       line remnants do not stretch the box), keep only the ink in and just around the
       digit's box, scale the longer side of the box to `box_size` keeping the aspect
       ratio, with an anti-aliasing tent filter;
    5. place the centre of mass at the frame's rotation centre,
       `((output_size - 1) / 2, (output_size - 1) / 2)` in pixel index coordinates
       (`(13.5, 13.5)` for 28x28, half a pixel from MNIST's `(14, 14)`), the point
       about which `np.rot90` turns the frame;
    6. thicken hairline strokes slightly, then scale so that the brightest pixel is 1.

    The default pipeline commutes with quarter turns: for a photo turned by a multiple
    of 90 degrees, the output is the upright photo's output turned by the same angle
    (every window is odd-sized and centred, every statistic is symmetric), so a turned
    photo reaches the network exactly where a turned training digit would be.

    A blank image (no ink with a contrast of at least `min_contrast`) or a uniformly
    inked one gives an all-zero image, never NaN. The output is finite and in `[0, 1]` for
    every input: a NaN or infinite pixel of a float image counts as missing and takes the
    mean of the finite pixels of its image (an image without a finite pixel is blank, so
    all zero), and float values outside `[0, 255]` are clipped to it. An empty batch gives
    an empty batch, as Keras' own preprocessing layers do.

    `mode="tutorial"` reproduces the tutorial's simple pipeline instead, for
    comparison: OpenCV's grayscale conversion (fixed-point, rounded, for uint8),
    `cv2.resize(..., (28, 28), interpolation=cv2.INTER_AREA)` (the same weights,
    rounded to uint8 for uint8 input), `/ 255` and `1 - x`. For inputs of static
    size it matches OpenCV to within 1/255 for every size (integer and
    non-integer ratios); with a dynamic input size it falls back to an
    anti-aliased bilinear resize.

    Value range: integer inputs are divided by 255. Float inputs are taken as
    `[0, 1]`, except that a sample whose maximum exceeds 1.5 is taken as `[0, 255]`.
    RGB uses the BT.601 weights `0.299 R + 0.587 G + 0.114 B`; a fourth (alpha)
    channel is ignored.

    Args:
        output_size: Side of the square output image (MNIST: 28).
        box_size: Longer side, in output pixels, of the box the digit is scaled
            into (MNIST: 20). At most `output_size`.
        mode: `"mnist"` (the full pipeline above) or `"tutorial"` (the article's
            grayscale, INTER_AREA resize, `/255`, invert).
        polarity: `"auto"`, `"dark_on_light"` (ink darker than the paper) or
            `"light_on_dark"` (e.g. white strokes drawn on a dark screen).
        working_size: Longer side of the internal working resolution (at least 32).
            Larger keeps more detail of small digits in big photos, at a higher cost.
        remove_lines: Whether to suppress ruled/squared paper lines.
        threshold: Soft threshold as a fraction of the ink contrast, in `[0, 1)`.
        min_contrast: Minimum ink contrast (in `[0, 1]` units) for an image not to
            be considered blank.
        thicken: Whether to thicken hairline strokes towards MNIST's stroke width.
        data_format: `"channels_last"` or `"channels_first"` for both the input and
            the output; defaults to `keras.config.image_data_format()`.
        **kwargs: Base layer keyword arguments, such as `name`.

    Input shape:
        4D `(batch, height, width, channels)` or 3D `(height, width, channels)`
        tensor (channels first with `data_format="channels_first"`), `channels` 1
        (grayscale), 3 (RGB) or 4 (RGBA); any height and width (at least 2); uint8 or
        float. Several photos of different sizes must first be brought to a common
        size, e.g. with `rotkeras.datasets.letterbox`.

    Output shape:
        `(batch, output_size, output_size, 1)` float32 in `[0, 1]` (white digit on
        black), or `(batch, 1, output_size, output_size)` with channels first; no
        batch axis for a 3D input.

    Examples:
        >>> import numpy as np
        >>> from rotkeras.layers import HandwritingPreprocess
        >>> photo = np.full((1, 240, 320, 3), 230, dtype="uint8")  # light paper
        >>> photo[0, 60:180, 150:162] = 20  # a dark "1", off-centre
        >>> x = np.asarray(HandwritingPreprocess()(photo))
        >>> x.shape, x.dtype.name, float(x.max())
        ((1, 28, 28, 1), 'float32', 1.0)
    """

    def __init__(
        self,
        output_size: int = 28,
        box_size: int = 20,
        mode: str = "mnist",
        polarity: str = "auto",
        working_size: int = 160,
        remove_lines: bool = True,
        threshold: float = 0.2,
        min_contrast: float = 0.04,
        thicken: bool = True,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.output_size = check.check_positive_int(output_size, "output_size")
        self.box_size = check.check_positive_int(box_size, "box_size")
        if self.box_size > self.output_size:
            raise ValueError(
                "`box_size` must not exceed `output_size`; received "
                f"box_size={box_size!r}, output_size={output_size!r}"
            )
        self.mode = check.check_choice(mode, "mode", _MODES)
        self.polarity = check.check_choice(polarity, "polarity", _POLARITIES)
        self.working_size = check.check_int(working_size, "working_size", minimum=32)
        self.remove_lines = bool(remove_lines)
        self.threshold = check.check_number(threshold, "threshold", low=0.0, high=1.0,
                                            high_inclusive=False)
        self.min_contrast = check.check_number(min_contrast, "min_contrast", low=0.0, high=1.0)
        self.thicken = bool(thicken)
        self.data_format = check.check_data_format(data_format)
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True

    def _check(self, images: Any) -> tuple[Any, int, bool]:
        images = ops.convert_to_tensor(images)
        rank = check.check_rank(
            images, "images", (3, 4),
            "a 4D (batch, height, width, channels) or 3D (height, width, channels) tensor",
        )
        check.check_numeric_dtype(images, "images")
        channels_axis = -1 if self.data_format == "channels_last" else -3
        channels = images.shape[channels_axis]
        if channels not in _CHANNELS:
            raise ValueError(
                f"`images` must have 1, 3 or 4 channels ({self.data_format}); received "
                f"shape {tuple(images.shape)}"
            )
        if any(dim is not None and dim < 2
               for dim in check.spatial_size(images.shape, self.data_format)):
            raise ValueError(
                f"`images` must be at least 2x2 pixels; received shape {tuple(images.shape)}"
            )
        return images, int(channels), rank == 4

    def call(self, inputs: Any) -> Any:
        images, channels, batched = self._check(inputs)
        if not batched:
            images = images[None]
        if self.data_format == "channels_first":
            images = ops.transpose(images, (0, 2, 3, 1))
        is_int = "int" in keras.backend.standardize_dtype(images.dtype)
        if images.shape[0] == 0:  # an empty batch in, an empty batch out (Keras' rule)
            size = self.output_size
            out = ops.zeros((0, size, size), "float32")
            out = out[..., None] if self.data_format == "channels_last" else out[:, None]
            return out if batched else out[0]
        images = finite_pixels(images)
        if self.mode == "tutorial":
            gray = to_gray(images, channels, cv2_rounding=True)
            out = tutorial_pipeline(gray, is_int, self.output_size)
        else:
            gray = to_unit_range(to_gray(images, channels, cv2_rounding=False), is_int)
            out = mnist_pipeline(
                gray,
                output_size=self.output_size,
                box_size=self.box_size,
                working_size=self.working_size,
                polarity=self.polarity,
                remove_lines=self.remove_lines,
                threshold=self.threshold,
                min_contrast=self.min_contrast,
                thicken=self.thicken,
            )
        # In [0, 1] and finite whatever the input (the pipelines' sums of finite values in
        # [0, 255] are finite; the clip makes the bounds exact).
        out = ops.clip(ops.cast(out, "float32"), 0.0, 1.0)
        out = out[..., None] if self.data_format == "channels_last" else out[:, None]
        return out if batched else out[0]

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        size = self.output_size
        image = (size, size, 1) if self.data_format == "channels_last" else (1, size, size)
        if len(input_shape) == 3:
            return image
        return (input_shape[0], *image)

    def compute_output_spec(self, inputs: Any) -> Any:
        shape = self.compute_output_shape(tuple(inputs.shape))
        return keras.KerasTensor(shape, dtype="float32")

    def get_config(self) -> dict[str, Any]:
        return with_attributes(
            super().get_config(), self, "output_size", "box_size", "mode", "polarity",
            "working_size", "remove_lines", "threshold", "min_contrast", "thicken", "data_format",
        )
