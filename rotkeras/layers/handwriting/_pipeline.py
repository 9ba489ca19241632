"""The pipelines of `HandwritingPreprocess`, as named steps (internal).

Everything is written with `keras.ops` and static shapes so that it runs on TensorFlow,
JAX and PyTorch, inside `tf.data` and under `jit_compile`. Per-sample decisions
(polarity, crop box, scale, centring) are expressed as tensors and applied through one
separable resampling matrix per sample and axis; there is no Python control flow on
tensor values.

Conventions: images are `(batch, height, width)` float32 grayscale in `[0, 1]`; pixel
coordinates are pixel *indices* (the centre of pixel `i` is at coordinate `i`). Sizes of
windows are fractions of the longer side of the working image (`longest`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from keras import ops

from rotkeras.layers.handwriting._cleanup import (
    drop_border_ink,
    main_component,
    remove_lines,
    thicken,
)
from rotkeras.layers.handwriting._morphology import (
    border_sides,
    box_blur,
    interval_mask,
    mass_quantile_bounds,
    odd,
    opening,
    resampling_matrix,
    top_mean,
)
from rotkeras.layers.handwriting._pixels import EPSILON
from rotkeras.layers.handwriting._resize import (
    area_resize,
    cv2_inter_area_matrices,
    resize_with_matrices,
)
from rotkeras.layers.handwriting._thresholds import (
    BACKGROUND_MARGIN,
    BACKGROUND_SPREAD,
    BACKGROUND_WINDOW,
    BORDER_WIDTH,
    BOX_QUANTILES,
    CORE_QUANTILES,
    CROP_MARGIN,
    CROP_MARGIN_PIXELS,
    DENSITY_WINDOW,
    DIGIT_REGION,
    EDGE_PIXELS,
    EDGE_SHARE,
    EXTREME_FRACTION,
    LOCAL_WINDOW,
    MIN_WORKING_SIDE,
    PEAK_FRACTION,
    PEAK_MINIMUM,
    STRONG_INK,
    TEXTURE_FACTOR,
    UNIFORM_SPREAD,
    VOTE_OFFSET,
    VOTE_WEIGHT,
)


class _Geometry(NamedTuple):
    """The working image's size and the size of its pixels in input pixels, per axis."""

    height: int
    width: int
    pix_y: Any
    pix_x: Any

    @property
    def longest(self) -> int:
        return max(self.height, self.width)


# -------------------------------------------------------------------------- tutorial
def tutorial_pipeline(gray255: Any, is_int: bool, output_size: int) -> Any:
    """The article's preprocessing: INTER_AREA resize, `/255`, `1 - x` -> `(B, S, S)`."""
    height, width = gray255.shape[1], gray255.shape[2]
    if height is None or width is None:
        small = area_resize(gray255, output_size, output_size)
    else:
        rows, cols = cv2_inter_area_matrices(int(height), int(width), output_size, output_size)
        small = resize_with_matrices(gray255, rows, cols)
    if is_int:
        small = ops.floor(small + 0.5)  # cv2 returns uint8 (rounded half up) for uint8
        return 1.0 - small / 255.0
    peak = ops.max(gray255, axis=(1, 2), keepdims=True)
    return 1.0 - ops.where(peak > 1.5, small / 255.0, small)


# ----------------------------------------------------------------------------- mnist
def mnist_pipeline(
    gray: Any,
    *,
    output_size: int,
    box_size: int,
    working_size: int,
    polarity: str,
    remove_lines: bool,
    threshold: float,
    min_contrast: float,
    thicken: bool,
) -> Any:
    """MNIST-style normalisation of `(B, H, W)` grayscale in `[0, 1]` -> `(B, S, S)`.

    Steps: working resolution; polarity (ink made bright); background and lighting
    removal by a large grey opening (top-hat); paper texture; ruled-line suppression;
    removal of ink connected to the border and of a second object; soft threshold;
    robust crop to the ink; scale the longer side of the box to `box_size` with the
    centre of mass at the frame centre; optional thickening of hairline strokes; max -> 1.
    """
    work, geometry = working_image(gray, working_size)
    paper, spread, uniform = border_colour(work)
    dark = ink_is_dark(work, geometry, polarity, paper, uniform)
    ink = remove_background(work, geometry, dark, paper, spread, uniform)
    ink = remove_paper_texture(ink, geometry)
    if remove_lines:
        ink = _remove_lines(ink, geometry.height, geometry.width)
    ink = drop_border_ink(ink, geometry.longest)
    ink = main_component(ink, geometry.longest)
    ink, density, visible = soft_threshold(ink, geometry, threshold, min_contrast)
    ink, box = crop_to_digit(ink, density, geometry)
    out, mass = place_digit(ink, box, geometry, output_size, box_size)
    if thicken:
        out = _thicken(out)
    top = ops.max(out, axis=(1, 2), keepdims=True)
    out = ops.clip(out / ops.maximum(top, EPSILON), 0.0, 1.0)
    keep = visible * ops.cast(mass > EPSILON, "float32")
    return out * keep[:, None, None]


_remove_lines, _thicken = remove_lines, thicken  # the flags of `mnist_pipeline` shadow them


def working_shape(height: int | None, width: int | None, working_size: int) -> tuple[int, int]:
    """Static working resolution: the longer side becomes `working_size`, aspect kept."""
    if height is None or width is None:
        return working_size, working_size
    longest = max(height, width)
    return (
        max(MIN_WORKING_SIDE, int(round(height * working_size / longest))),
        max(MIN_WORKING_SIDE, int(round(width * working_size / longest))),
    )


def working_image(gray: Any, working_size: int) -> tuple[Any, _Geometry]:
    """Step 0: the image at the working resolution, and its geometry.

    The physical size of a working pixel (in input pixels) is kept per axis: geometry
    stays true to the aspect even when the input size is known only at run time.
    """
    work_h, work_w = working_shape(gray.shape[1], gray.shape[2], working_size)
    shape = ops.shape(gray)
    pix_y = ops.cast(shape[1], "float32") / work_h
    pix_x = ops.cast(shape[2], "float32") / work_w
    return area_resize(gray, work_h, work_w), _Geometry(work_h, work_w, pix_y, pix_x)


def border_colour(work: Any) -> tuple[Any, Any, Any]:
    """The paper's colour (the border's median), its spread, and how uniform it is (0..1).

    Uniform: little spread along the border, and every side (not just the padding a
    letterbox adds on two sides) has the same colour.
    """
    sides = border_sides(work, BORDER_WIDTH)
    border = ops.concatenate(sides, axis=1)
    paper = ops.median(border, axis=1)
    spread = ops.median(ops.abs(border - paper[:, None]), axis=1)
    for side in sides:
        spread = ops.maximum(spread, ops.abs(ops.median(side, axis=1) - paper))
    uniform = ops.clip(1.0 - spread / UNIFORM_SPREAD, 0.0, 1.0)
    return paper, spread, uniform


def ink_is_dark(work: Any, geometry: _Geometry, polarity: str, paper: Any,
                uniform: Any) -> Any:
    """Step 1, polarity: `(B, 1, 1)`, 1 where the ink is darker than the paper.

    The ink is the minority that departs most from its neighbourhood. It is also the
    extreme farthest from the typical (median) pixel and, when the frame's border is
    uniform (clean paper or screen around the digit), from the border's colour. Those
    votes decide when the first is ambiguous: for thick marker filling a tight crop the
    paper between the strokes looks as "local" as the ink, and a hard shadow's edge
    departs from its neighbourhood both ways.
    """
    smooth = box_blur(work, 3)
    local = box_blur(work, odd(geometry.longest / LOCAL_WINDOW, 3))
    dark_score = top_mean(local - smooth, EXTREME_FRACTION)
    light_score = top_mean(smooth - local, EXTREME_FRACTION)
    if polarity == "auto":
        darkest = -top_mean(-smooth, EXTREME_FRACTION)
        lightest = top_mean(smooth, EXTREME_FRACTION)
        typical = ops.median(ops.reshape(work, (-1, geometry.height * geometry.width)), axis=1)

        def vote(dark_gap: Any, light_gap: Any) -> Any:
            return (ops.log(ops.relu(dark_gap) + VOTE_OFFSET)
                    - ops.log(ops.relu(light_gap) + VOTE_OFFSET))

        votes = ops.log(dark_score + VOTE_OFFSET) - ops.log(light_score + VOTE_OFFSET)
        votes += VOTE_WEIGHT * uniform * vote(paper - darkest, lightest - paper)
        votes += VOTE_WEIGHT * vote(typical - darkest, lightest - typical)
        dark = ops.cast(votes >= 0.0, "float32")
    elif polarity == "dark_on_light":
        dark = ops.ones_like(dark_score)
    else:
        dark = ops.zeros_like(dark_score)
    return dark[:, None, None]


def remove_background(work: Any, geometry: _Geometry, dark: Any, paper: Any, spread: Any,
                      uniform: Any) -> Any:
    """Step 2, background and lighting: bright ink, less a white top-hat's background.

    The opening's window is wider than the strokes. Strokes wider than the window (thick
    marker close to the camera) survive the opening as "background"; on clean, uniform
    paper the background cannot be much brighter than the paper at the border.
    """
    bright_ink = dark * (1.0 - work) + (1.0 - dark) * work
    kernel = odd(geometry.longest / BACKGROUND_WINDOW, 3)
    background = opening(bright_ink, (kernel, kernel))
    paper_ink = (dark[:, 0, 0] * (1.0 - paper) + (1.0 - dark[:, 0, 0]) * paper)
    ceiling = (paper_ink + BACKGROUND_MARGIN + BACKGROUND_SPREAD * spread)[:, None, None]
    background = background - uniform[:, None, None] * ops.relu(background - ceiling)
    return ops.relu(bright_ink - background)


def remove_paper_texture(ink: Any, geometry: _Geometry) -> Any:
    """Step 3, paper texture: less the typical (median) top-hat response of the paper.

    Over the whole image or, when ink covers most of it (thick marker), along the border.
    """
    noise = ops.minimum(
        ops.median(ops.reshape(ink, (-1, geometry.height * geometry.width)), axis=1),
        ops.median(ops.concatenate(border_sides(ink, BORDER_WIDTH), axis=1), axis=1),
    )
    return ops.relu(ink - TEXTURE_FACTOR * noise[:, None, None])


def soft_threshold(ink: Any, geometry: _Geometry, threshold: float,
                   min_contrast: float) -> tuple[Any, Any, Any]:
    """Step 6, where is the digit: ink relative to its peak, its density, and whether any.

    Ink density (mean ink in a window about a tenth of the image) is highest on the
    digit and low on isolated specks and line remnants. Returns the thresholded ink in
    `[0, 1]`, the density (max 1) and `(B,)` 1 where the ink has `min_contrast`.
    """
    density = box_blur(ink, odd(geometry.longest / DENSITY_WINDOW, 3))
    density = density / ops.maximum(ops.max(density, axis=(1, 2), keepdims=True), EPSILON)
    region = ops.cast(density >= DIGIT_REGION, "float32")
    peak = top_mean(box_blur(ink, 3) * region, PEAK_FRACTION, PEAK_MINIMUM)
    level = (threshold * peak)[:, None, None]
    ink = ops.relu(ink - level) / ops.maximum(peak[:, None, None] - level, EPSILON)
    ink = ops.minimum(ink, 1.0)
    visible = ops.cast(peak >= min_contrast, "float32")
    return ink, density, visible


def crop_to_digit(ink: Any, density: Any, geometry: _Geometry) -> tuple[Any, tuple]:
    """Step 7, robust crop: the ink near the digit's core, and the box of its strokes.

    The core is bounded by density-weighted mass quantiles; the box by the strong
    strokes only, so faint remnants (lines, texture) near the digit do not enlarge it.
    Returns the cropped ink and `(y0, y1, x0, x1)`, `(B,)` each.
    """
    pix_y, pix_x = geometry.pix_y, geometry.pix_x
    weighted = ink * density
    y0, y1 = mass_quantile_bounds(ops.sum(weighted, axis=2), *CORE_QUANTILES)
    x0, x1 = mass_quantile_bounds(ops.sum(weighted, axis=1), *CORE_QUANTILES)
    margin = (CROP_MARGIN * ops.maximum((y1 - y0 + 1.0) * pix_y, (x1 - x0 + 1.0) * pix_x)
              + CROP_MARGIN_PIXELS)
    my, mx = margin / pix_y, margin / pix_x
    rows = interval_mask(geometry.height, y0 - my, y1 + my)
    cols = interval_mask(geometry.width, x0 - mx, x1 + mx)
    ink = ink * rows[:, :, None] * cols[:, None, :]
    strong = ink * ops.cast(ink >= STRONG_INK, "float32")
    y0, y1 = mass_quantile_bounds(ops.sum(strong, axis=2), *BOX_QUANTILES)
    x0, x1 = mass_quantile_bounds(ops.sum(strong, axis=1), *BOX_QUANTILES)
    return ink, (y0, y1, x0, x1)


def place_digit(ink: Any, box: tuple, geometry: _Geometry, output_size: int,
                box_size: int) -> tuple[Any, Any]:
    """Step 8: the longer side of the box scaled to `box_size`, the centre of mass at the
    frame's rotation centre. Returns `(B, S, S)` and the ink's mass `(B,)`.

    Only the digit (its box and the faint ends of its strokes) counts for the centre of
    mass and reaches the output: remnants elsewhere in the crop (a shadow's edge, a
    speck) would pull the digit off centre, out of the frame. The centre is the point
    about which `np.rot90` turns the frame (13.5, 13.5 for 28x28), so quarter turns of
    the photo give quarter turns of the output.
    """
    y0, y1, x0, x1 = box
    pix_y, pix_x = geometry.pix_y, geometry.pix_x
    extent = ops.maximum((y1 - y0 + 1.0) * pix_y, (x1 - x0 + 1.0) * pix_x)
    scale = box_size / ops.maximum(extent, 1.0)  # output pixels per input pixel
    edge = EDGE_SHARE * extent + EDGE_PIXELS
    ink = ink * interval_mask(geometry.height, y0 - edge / pix_y, y1 + edge / pix_y)[:, :, None]
    ink = ink * interval_mask(geometry.width, x0 - edge / pix_x, x1 + edge / pix_x)[:, None, :]
    mass = ops.sum(ink, axis=(1, 2))
    cy, cx = centre_of_mass(ink, mass)
    out = resample_to_frame(ink, cy, cx, scale * pix_y, scale * pix_x, output_size)
    return out, mass


def centre_of_mass(ink: Any, mass: Any) -> tuple[Any, Any]:
    """`(row, column)` of the centre of mass of `(B, H, W)` ink of total `mass`."""
    height, width = int(ink.shape[1]), int(ink.shape[2])
    safe_mass = ops.maximum(mass, EPSILON)
    cy = ops.sum(ops.sum(ink, axis=2) * ops.arange(height, dtype="float32"), axis=1) / safe_mass
    cx = ops.sum(ops.sum(ink, axis=1) * ops.arange(width, dtype="float32"), axis=1) / safe_mass
    return cy, cx


def resample_to_frame(ink: Any, cy: Any, cx: Any, scale_y: Any, scale_x: Any,
                      output_size: int) -> Any:
    """`(B, H, W)` -> `(B, S, S)`, scaled per axis, `(cy, cx)` to the frame's centre."""
    target = (output_size - 1) / 2.0
    rows = resampling_matrix(int(ink.shape[1]), output_size, cy, target, scale_y)
    cols = resampling_matrix(int(ink.shape[2]), output_size, cx, target, scale_x)
    out = ops.einsum("bih,bhw->biw", rows, ink)
    return ops.einsum("biw,bjw->bij", out, cols)
