"""Backend-agnostic building blocks of `HandwritingPreprocess` (internal).

Everything here is written with `keras.ops` and static shapes so that it runs on
TensorFlow, JAX and PyTorch, inside `tf.data` and under `jit_compile`. Per-sample
decisions (polarity, crop box, scale, centring) are expressed as tensors and applied
through one separable resampling matrix per sample and axis; there is no Python control
flow on tensor values.

Conventions: images are `(batch, height, width)` float32 grayscale in `[0, 1]`; pixel
coordinates are pixel *indices* (the centre of pixel `i` is at coordinate `i`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from keras import ops

from rotkeras._backend import largest_values

EPSILON = 1e-6

# ITU-R BT.601 luma weights, as OpenCV's RGB2GRAY; OpenCV's fixed-point version (`>> 15`)
# for 8-bit images (bit-exact with `cv2.cvtColor` of OpenCV 4.x/5.x).
LUMA = (0.299, 0.587, 0.114)
_LUMA_FIXED = (9798, 19235, 3735)


# ----------------------------------------------------------------------------- input
def finite_pixels(images: Any) -> Any:
    """`(B, H, W, C)` float pixels made finite and in `[0, 255]`; other dtypes unchanged.

    A non-finite value (NaN, +-inf) is a missing pixel: it takes the mean of the finite
    pixels of its sample and channel (0 when there are none), so one bad pixel does not
    spread through the sums of the pipeline and an image without a finite pixel becomes
    uniform (blank). Finite values are clipped to `[0, 255]`, the widest range a photo
    can be in (this changes nothing for `[0, 1]` or `[0, 255]` images) and one in which
    the pipeline's sums cannot overflow.
    """
    if "float" not in str(images.dtype):
        return images
    x = ops.cast(images, "float32")
    finite = ops.isfinite(x)
    clipped = ops.clip(ops.where(finite, x, ops.zeros_like(x)), 0.0, 255.0)
    weight = ops.cast(finite, "float32")
    count = ops.sum(weight, axis=(1, 2), keepdims=True)
    mean = ops.sum(clipped * weight, axis=(1, 2), keepdims=True) / ops.maximum(count, 1.0)
    return ops.where(finite, clipped, mean + ops.zeros_like(x))


def to_gray(images: Any, channels: int, *, cv2_rounding: bool) -> Any:
    """`(B, H, W, C)` uint8/float -> `(B, H, W)` float32 grayscale in the input's units.

    With `cv2_rounding` and an integer input, reproduces OpenCV's fixed-point
    `cvtColor(RGB2GRAY)` exactly (`(9798 R + 19235 G + 3735 B + 16384) >> 15`).
    """
    dtype = str(images.dtype)
    is_int = "int" in dtype
    if channels == 1:
        return ops.cast(images[..., 0], "float32")
    if is_int and cv2_rounding:
        x = ops.cast(images[..., :3], "int32")
        total = (
            x[..., 0] * _LUMA_FIXED[0] + x[..., 1] * _LUMA_FIXED[1] + x[..., 2] * _LUMA_FIXED[2]
        )
        return ops.cast(ops.floor_divide(total + 16384, 32768), "float32")
    x = ops.cast(images[..., :3], "float32")
    return x[..., 0] * LUMA[0] + x[..., 1] * LUMA[1] + x[..., 2] * LUMA[2]


def to_unit_range(gray: Any, is_int: bool) -> Any:
    """Integer images are divided by 255; float images whose sample max exceeds 1.5 too."""
    if is_int:
        return gray / 255.0
    peak = ops.max(gray, axis=(1, 2), keepdims=True)
    return ops.where(peak > 1.5, gray / 255.0, gray)


# ------------------------------------------------------------------- cv2-style resizing
def cv2_area_matrix(src: int, dst: int) -> np.ndarray:
    """`(dst, src)` weights of OpenCV's `INTER_AREA` along one axis when shrinking."""
    scale = src / dst
    weights = np.zeros((dst, src), np.float64)
    for dx in range(dst):
        fsx1 = dx * scale
        fsx2 = fsx1 + scale
        cell = min(scale, src - fsx1)
        sx1 = math.ceil(fsx1)
        sx2 = min(math.floor(fsx2), src - 1)
        sx1 = min(sx1, sx2)
        if sx1 - fsx1 > 1e-3:
            weights[dx, sx1 - 1] += (sx1 - fsx1) / cell
        for sx in range(sx1, sx2):
            weights[dx, sx] += 1.0 / cell
        if fsx2 - sx2 > 1e-3:
            weights[dx, sx2] += min(min(fsx2 - sx2, 1.0), cell) / cell
    return weights


def cv2_area_upscale_matrix(src: int, dst: int) -> np.ndarray:
    """`(dst, src)` weights OpenCV uses for `INTER_AREA` when an axis is not shrunk."""
    inv_scale = dst / src
    scale = 1.0 / inv_scale
    weights = np.zeros((dst, src), np.float64)
    for dx in range(dst):
        sx = math.floor(dx * scale)
        fx = (dx + 1) - (sx + 1) * inv_scale
        fx = 0.0 if fx <= 0 else fx - math.floor(fx)
        if sx < 0:
            sx, fx = 0, 0.0
        if sx >= src - 1:
            sx, fx = src - 1, 0.0
        weights[dx, sx] += 1.0 - fx
        if fx:
            weights[dx, sx + 1] += fx
    return weights


def cv2_inter_area_matrices(height: int, width: int, out_h: int, out_w: int) -> tuple:
    """Row and column weight matrices equivalent to `cv2.resize(..., INTER_AREA)`."""
    if height >= out_h and width >= out_w:
        return cv2_area_matrix(height, out_h), cv2_area_matrix(width, out_w)
    return cv2_area_upscale_matrix(height, out_h), cv2_area_upscale_matrix(width, out_w)


def resize_with_matrices(gray: Any, rows: np.ndarray, cols: np.ndarray) -> Any:
    """`rows @ gray @ cols.T` for every sample of a `(B, H, W)` batch."""
    rows_t = ops.convert_to_tensor(rows.astype("float32"))
    cols_t = ops.convert_to_tensor(cols.T.astype("float32"))
    out = ops.einsum("ih,bhw->biw", rows_t, gray)
    return ops.einsum("biw,wj->bij", out, cols_t)


def area_resize(gray: Any, out_h: int, out_w: int) -> Any:
    """Anti-aliased (area-averaging) resize of `(B, H, W)`; static `H, W` use exact weights."""
    height, width = gray.shape[1], gray.shape[2]
    if height is None or width is None:
        resized = ops.image.resize(
            gray[..., None], (out_h, out_w), interpolation="bilinear", antialias=True,
            data_format="channels_last",
        )
        return resized[..., 0]
    if (height, width) == (out_h, out_w):
        return gray
    height, width = int(height), int(width)
    if height >= out_h and width >= out_w:
        # Cheap exact pre-shrink by an integer factor, then exact area weights.
        fy, fx = height // out_h, width // out_w
        if fy > 1 or fx > 1:
            # Drop the remainder rows/columns evenly at both ends (a quarter turn of the
            # input then gives a quarter turn of the working image).
            top, left = (height % fy) // 2, (width % fx) // 2
            gray = gray[:, top : top + (height // fy) * fy, left : left + (width // fx) * fx]
            pooled = ops.average_pool(
                gray[..., None], (fy, fx), strides=(fy, fx), padding="valid",
                data_format="channels_last",
            )
            gray = pooled[..., 0]
            height, width = height // fy, width // fx
        rows, cols = cv2_area_matrix(height, out_h), cv2_area_matrix(width, out_w)
    else:
        rows = _linear_matrix(height, out_h)
        cols = _linear_matrix(width, out_w)
    return resize_with_matrices(gray, rows, cols)


def _linear_matrix(src: int, dst: int) -> np.ndarray:
    """`(dst, src)` weights of half-pixel-centred linear interpolation (for enlarging)."""
    weights = np.zeros((dst, src), np.float64)
    for d in range(dst):
        x = min(max((d + 0.5) * src / dst - 0.5, 0.0), src - 1.0)
        x0 = int(math.floor(x))
        x1 = min(x0 + 1, src - 1)
        f = x - x0
        weights[d, x0] += 1 - f
        weights[d, x1] += f
    return weights


# --------------------------------------------------------------------------- morphology
def _pool(x: Any, size: tuple[int, int]) -> Any:
    return ops.max_pool(
        x[..., None], size, strides=(1, 1), padding="same", data_format="channels_last"
    )[..., 0]


def dilate(x: Any, size: tuple[int, int]) -> Any:
    """Grey dilation (moving max) of `(B, H, W)` values in `[0, 1]` with a rectangle."""
    if size[0] > 1:
        x = _pool(x, (size[0], 1))
    if size[1] > 1:
        x = _pool(x, (1, size[1]))
    return x


def erode(x: Any, size: tuple[int, int]) -> Any:
    """Grey erosion (moving min) of values in `[0, 1]` (the padding acts as `1`)."""
    return 1.0 - dilate(1.0 - x, size)


def opening(x: Any, size: tuple[int, int]) -> Any:
    """Removes bright structures smaller than `size` (erosion then dilation)."""
    return dilate(erode(x, size), size)


def box_blur(x: Any, size: int) -> Any:
    """Moving average of `(B, H, W)` with a `size x size` window (separable)."""
    if size <= 1:
        return x
    out = x[..., None]
    for window in ((size, 1), (1, size)):
        out = ops.average_pool(
            out, window, strides=(1, 1), padding="same", data_format="channels_last"
        )
    return out[..., 0]


def odd(value: float, minimum: int = 1) -> int:
    """The odd integer nearest to `value`, at least `minimum`."""
    n = max(int(round(value)), minimum)
    return n if n % 2 else n + 1


# ----------------------------------------------------------------------------- statistics
def top_mean(x: Any, fraction: float, minimum: int = 4) -> Any:
    """Per-sample mean of the largest `fraction` of the values of `(B, H, W)` -> `(B,)`."""
    n = int(x.shape[1]) * int(x.shape[2])
    k = int(min(n, max(minimum, round(fraction * n))))
    flat = ops.reshape(x, (-1, n))
    return ops.mean(largest_values(flat, k), axis=1)


def mass_quantile_bounds(profile: Any, low: float, high: float) -> tuple[Any, Any]:
    """Indices where the cumulative mass of `(B, N)` profiles crosses `low` and `high`."""
    total = ops.sum(profile, axis=1, keepdims=True)
    cdf = ops.cumsum(profile, axis=1) / ops.maximum(total, EPSILON)
    lo = ops.sum(ops.cast(cdf < low, "float32"), axis=1)
    hi = ops.sum(ops.cast(cdf < high, "float32"), axis=1)
    return lo, ops.maximum(hi, lo)


def interval_mask(length: int, lo: Any, hi: Any) -> Any:
    """`(B, length)` mask of `lo <= i <= hi`."""
    idx = ops.arange(length, dtype="float32")[None, :]
    return ops.cast((idx >= lo[:, None]) & (idx <= hi[:, None]), "float32")


def resampling_matrix(length: int, out_size: int, centre: Any, target: float, scale: Any) -> Any:
    """`(B, out_size, length)` anti-aliased linear resampling weights along one axis.

    Output index `i` looks at input coordinate `centre + (i - target) / scale`, with a
    triangle kernel whose half-width is `max(1, 1 / scale)` input pixels (a tent filter
    that low-passes when shrinking); regions outside the input read as zero.
    """
    out_idx = ops.arange(out_size, dtype="float32")[None, :, None]
    src_idx = ops.arange(length, dtype="float32")[None, None, :]
    coord = centre[:, None, None] + (out_idx - target) / scale[:, None, None]
    radius = ops.maximum(1.0, 1.0 / scale)[:, None, None]
    return ops.relu(1.0 - ops.abs(src_idx - coord) / radius) / radius


# ------------------------------------------------------------------------------ pipelines
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


def working_shape(height: int | None, width: int | None, working_size: int) -> tuple[int, int]:
    """Static working resolution: the longer side becomes `working_size`, aspect kept."""
    if height is None or width is None:
        return working_size, working_size
    longest = max(height, width)
    return (
        max(8, int(round(height * working_size / longest))),
        max(8, int(round(width * working_size / longest))),
    )


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
    removal by a large grey opening (top-hat); ruled-line suppression; removal of ink
    connected to the border; soft threshold; robust crop to the ink; scale the longer
    side of the box to `box_size`; centre of mass to the frame centre; optional
    thickening of hairline strokes; max -> 1.
    """
    in_h, in_w = gray.shape[1], gray.shape[2]
    work_h, work_w = working_shape(in_h, in_w, working_size)
    # Physical size of a working pixel (in input pixels), per axis: aspect-true geometry
    # even when the input size is only known at run time.
    shape = ops.shape(gray)
    pix_y = ops.cast(shape[1], "float32") / work_h
    pix_x = ops.cast(shape[2], "float32") / work_w
    work = area_resize(gray, work_h, work_w)
    longest = max(work_h, work_w)
    kernel = odd(longest / 3.0, 3)

    # 1. Polarity: the ink is the minority that departs most from its neighbourhood.
    # It is also the extreme farthest from the typical (median) pixel and, when the
    # frame's border is uniform (clean paper or screen around the digit), from the
    # border's colour. Those votes decide when the first is ambiguous: for thick marker
    # filling a tight crop the paper between the strokes looks as "local" as the ink,
    # and a hard shadow's edge departs from its neighbourhood both ways.
    smooth = box_blur(work, 3)
    local = _safe_box_blur(work, odd(longest / 1.5, 3))
    dark_score = top_mean(local - smooth, 0.003)
    light_score = top_mean(smooth - local, 0.003)
    sides = _border_sides(work, 2)
    border = ops.concatenate(sides, axis=1)
    paper = ops.median(border, axis=1)
    # Uniform: little spread along the border, and every side (not just the padding a
    # letterbox adds on two sides) has the same colour.
    spread = ops.median(ops.abs(border - paper[:, None]), axis=1)
    for side in sides:
        spread = ops.maximum(spread, ops.abs(ops.median(side, axis=1) - paper))
    uniform = ops.clip(1.0 - spread / 0.05, 0.0, 1.0)
    if polarity == "auto":
        darkest, lightest = -top_mean(-smooth, 0.003), top_mean(smooth, 0.003)
        typical = ops.median(ops.reshape(work, (-1, work_h * work_w)), axis=1)
        votes = ops.log(dark_score + 0.01) - ops.log(light_score + 0.01)
        votes += 0.5 * uniform * (
            ops.log(ops.relu(paper - darkest) + 0.01) - ops.log(ops.relu(lightest - paper) + 0.01)
        )
        votes += 0.5 * (
            ops.log(ops.relu(typical - darkest) + 0.01)
            - ops.log(ops.relu(lightest - typical) + 0.01)
        )
        dark = ops.cast(votes >= 0.0, "float32")
    elif polarity == "dark_on_light":
        dark = ops.ones_like(dark_score)
    else:
        dark = ops.zeros_like(dark_score)
    dark = dark[:, None, None]
    bright_ink = dark * (1.0 - work) + (1.0 - dark) * work

    # 2. Background and lighting: white top-hat with a window wider than the strokes.
    background = opening(bright_ink, (kernel, kernel))
    # Strokes wider than the window (thick marker close to the camera) survive the
    # opening as "background"; on clean, uniform paper the background cannot be much
    # brighter than the paper at the border.
    paper_ink = (dark[:, 0, 0] * (1.0 - paper) + (1.0 - dark[:, 0, 0]) * paper)
    ceiling = (paper_ink + 0.05 + 3.0 * spread)[:, None, None]
    background = background - uniform[:, None, None] * ops.relu(background - ceiling)
    ink = ops.relu(bright_ink - background)

    # 3. Paper texture: remove the typical (median) top-hat response of the paper, over
    # the whole image or, when ink covers most of it (thick marker), along the border.
    noise = ops.minimum(
        ops.median(ops.reshape(ink, (-1, work_h * work_w)), axis=1),
        ops.median(ops.concatenate(_border_sides(ink, 2), axis=1), axis=1),
    )
    ink = ops.relu(ink - 3.0 * noise[:, None, None])

    # 4. Ruled / squared paper: long, thin, nearly axis-aligned structures.
    if remove_lines:
        ink = _remove_lines(ink, work_h, work_w)

    # 5. Ink connected to the frame's border (a table or the paper's edge, a shadow's
    # corner) is not the digit, unless the digit itself touches the border (tight crop).
    ink = _drop_border_ink(ink, longest)

    # 5b. A second object (a pen, a coin, a stamp) lies apart from the digit: keep the ink
    # connected (small gaps bridged) to where the ink is densest at the digit's scale.
    ink = _main_component(ink, longest)

    # 6. Where is the digit? Ink density (mean ink in a window about a tenth of the image)
    # is highest on the digit and low on isolated specks and line remnants.
    density = _safe_box_blur(ink, odd(longest / 10.0, 3))
    density = density / ops.maximum(ops.max(density, axis=(1, 2), keepdims=True), EPSILON)
    region = ops.cast(density >= 0.2, "float32")
    peak = top_mean(box_blur(ink, 3) * region, 0.0005, 2)
    level = (threshold * peak)[:, None, None]
    ink = ops.relu(ink - level) / ops.maximum(peak[:, None, None] - level, EPSILON)
    ink = ops.minimum(ink, 1.0)
    visible = ops.cast(peak >= min_contrast, "float32")

    # 7. Robust crop: density-weighted mass quantiles, then the exact extent of the
    # strokes near that core.
    weighted = ink * density
    y0, y1 = mass_quantile_bounds(ops.sum(weighted, axis=2), 0.02, 0.98)
    x0, x1 = mass_quantile_bounds(ops.sum(weighted, axis=1), 0.02, 0.98)
    margin = 0.35 * ops.maximum((y1 - y0 + 1.0) * pix_y, (x1 - x0 + 1.0) * pix_x) + 2.0
    my, mx = margin / pix_y, margin / pix_x
    rows = interval_mask(work_h, y0 - my, y1 + my)
    cols = interval_mask(work_w, x0 - mx, x1 + mx)
    ink = ink * rows[:, :, None] * cols[:, None, :]
    # The box itself: strong strokes only, so faint remnants (lines, texture) near the
    # digit do not enlarge it.
    strong = ink * ops.cast(ink >= 0.35, "float32")
    y0, y1 = mass_quantile_bounds(ops.sum(strong, axis=2), 0.003, 0.997)
    x0, x1 = mass_quantile_bounds(ops.sum(strong, axis=1), 0.003, 0.997)

    # 8. Scale the longer side of the box to `box_size`; centre of mass to the centre.
    box = ops.maximum((y1 - y0 + 1.0) * pix_y, (x1 - x0 + 1.0) * pix_x)
    scale = box_size / ops.maximum(box, 1.0)  # output pixels per input pixel
    # Only the digit (its box and the faint ends of its strokes) counts for the centre of
    # mass and reaches the output: remnants elsewhere in the crop (a shadow's edge, a
    # speck) would pull the digit off centre, out of the frame.
    edge = 0.15 * box + 1.0
    ink = ink * interval_mask(work_h, y0 - edge / pix_y, y1 + edge / pix_y)[:, :, None]
    ink = ink * interval_mask(work_w, x0 - edge / pix_x, x1 + edge / pix_x)[:, None, :]
    mass = ops.sum(ink, axis=(1, 2))
    safe_mass = ops.maximum(mass, EPSILON)
    cy = ops.sum(ops.sum(ink, axis=2) * ops.arange(work_h, dtype="float32"), axis=1) / safe_mass
    cx = ops.sum(ops.sum(ink, axis=1) * ops.arange(work_w, dtype="float32"), axis=1) / safe_mass
    # The frame's rotation centre: quarter turns of the photo give quarter turns of the
    # output (np.rot90 turns a 28x28 image about (13.5, 13.5)).
    target = (output_size - 1) / 2.0
    row_w = resampling_matrix(work_h, output_size, cy, target, scale * pix_y)
    col_w = resampling_matrix(work_w, output_size, cx, target, scale * pix_x)
    out = ops.einsum("bih,bhw->biw", row_w, ink)
    out = ops.einsum("biw,bjw->bij", out, col_w)

    # 9. Hairline strokes (thin pen far from the camera) are thickened towards MNIST's.
    if thicken:
        out = _thicken(out)
    top = ops.max(out, axis=(1, 2), keepdims=True)
    out = ops.clip(out / ops.maximum(top, EPSILON), 0.0, 1.0)
    keep = visible * ops.cast(mass > EPSILON, "float32")
    return out * keep[:, None, None]


def _border_connected(mask: Any, block: int) -> Any:
    """Part of a `(B, H, W)` 0/1 `mask` connected to long runs along the image border.

    Geodesic reconstruction on a grid of about `block x block` cells (a cell is set
    when any of its pixels is), seeded by the runs of set cells along the border that
    are at least a tenth of the side long, with 8-connected steps, so gaps narrower than
    about a cell are bridged; the cells reached are mapped back to the mask's pixels.
    Area weights keep it symmetric under flips and quarter turns for any size.
    """
    height, width = int(mask.shape[1]), int(mask.shape[2])
    cells_h, cells_w = max(1, -(-height // block)), max(1, -(-width // block))
    rows = cv2_area_matrix(height, cells_h).astype("float32")
    cols = cv2_area_matrix(width, cells_w).astype("float32")
    coarse = ops.cast(resize_with_matrices(mask, rows, cols) > 1e-3, "float32")
    # Seeds: runs along the border at least a tenth of the side long. A stroke of the
    # digit reaching the border touches it over its width only; a table, the paper's
    # edge or a shadow lie along it.
    run_h, run_w = odd(0.1 * cells_h, 3), odd(0.1 * cells_w, 3)
    idx_h = ops.arange(cells_h, dtype="float32")[:, None]
    idx_w = ops.arange(cells_w, dtype="float32")[None, :]
    top_bottom = ops.cast((idx_h < 1) | (idx_h > cells_h - 2), "float32")[None]
    left_right = ops.cast((idx_w < 1) | (idx_w > cells_w - 2), "float32")[None]
    seed = ops.maximum(
        opening(coarse * top_bottom, (1, run_w)), opening(coarse * left_right, (run_h, 1))
    )

    def grow(_: Any, current: Any) -> Any:
        return ops.minimum(dilate(current, (3, 3)), coarse)

    reached = ops.fori_loop(0, max(cells_h, cells_w), grow, seed)
    back = resize_with_matrices(reached, rows.T, cols.T)
    return mask * ops.cast(back > 1e-3, "float32")


def _main_component(ink: Any, longest: int, block: int = 3) -> Any:
    """The ink connected to the densest part of the image (the digit), gaps bridged.

    Geodesic reconstruction on a grid of `block x block` cells, seeded at the peak of
    the ink's density in a window a quarter of the image wide, through cells holding
    ink or next to one (gaps of about a cell bridged). When what is reached holds less
    than 40% of the ink (the peak lay on something else), everything is kept.
    """
    height, width = int(ink.shape[1]), int(ink.shape[2])
    peak = top_mean(box_blur(ink, 3), 0.0005, 2)
    mask = ops.cast(ink > 0.15 * peak[:, None, None], "float32")
    cells_h, cells_w = max(1, -(-height // block)), max(1, -(-width // block))
    rows = cv2_area_matrix(height, cells_h).astype("float32")
    cols = cv2_area_matrix(width, cells_w).astype("float32")
    coarse_ink = resize_with_matrices(ink * mask, rows, cols)
    coarse = ops.cast(coarse_ink > 1e-3, "float32")
    density = _safe_box_blur(coarse_ink, odd(max(cells_h, cells_w) / 4.0, 3))
    top = ops.max(density, axis=(1, 2), keepdims=True)
    seed = ops.cast(density >= top * 0.8, "float32") * coarse
    bridged = dilate(coarse, (3, 3))

    def grow(_: Any, current: Any) -> Any:
        return ops.minimum(dilate(current, (3, 3)), bridged)

    reached = ops.fori_loop(0, max(cells_h, cells_w), grow, seed)
    back = ops.cast(resize_with_matrices(reached * coarse, rows.T, cols.T) > 1e-3, "float32")
    kept = ink * back
    share = ops.sum(kept, axis=(1, 2)) / ops.maximum(ops.sum(ink, axis=(1, 2)), EPSILON)
    use = ops.cast(share >= 0.4, "float32")[:, None, None]
    return use * kept + (1.0 - use) * ink


def _drop_border_ink(ink: Any, longest: int) -> Any:
    """Removes ink connected to the image border, unless the digit is part of it.

    A table or the paper's edge, a shadow's corner or a finger lie along the border of
    the photo; the digit usually does not reach it, or touches it with the end of a
    stroke only. The ink connected to runs along the border at least a tenth of the
    side long (gaps of about 2 working pixels bridged, plus a halo of 2 pixels) is
    removed when what is left looks like a digit: at least 5% of the ink, with strong
    strokes spanning at least a tenth of the image. Otherwise the digit itself lies
    along the border (a tight crop of thick strokes; at most specks are left) and
    everything is kept.
    """
    peak = top_mean(box_blur(ink, 3), 0.0005, 2)
    mask = ops.cast(ink > 0.15 * peak[:, None, None], "float32")
    attached = _border_connected(mask, 2)
    inner = ink * (1.0 - dilate(attached, (5, 5)))
    share = ops.sum(inner, axis=(1, 2)) / ops.maximum(ops.sum(ink, axis=(1, 2)), EPSILON)
    inner_peak = top_mean(box_blur(inner, 3), 0.0005, 2)
    strong = inner * ops.cast(inner >= 0.35 * inner_peak[:, None, None], "float32")
    y0, y1 = mass_quantile_bounds(ops.sum(strong, axis=2), 0.003, 0.997)
    x0, x1 = mass_quantile_bounds(ops.sum(strong, axis=1), 0.003, 0.997)
    extent = ops.maximum(y1 - y0, x1 - x0) + 1.0
    digit = (share >= 0.05) & (extent >= 0.1 * longest)
    keep = ops.cast(digit, "float32")[:, None, None]
    return keep * inner + (1.0 - keep) * ink


def _border_sides(x: Any, width: int) -> list[Any]:
    """The outermost `width` rows and columns of `(B, H, W)`: four `(B, N)` sides."""
    height, wide = int(x.shape[1]), int(x.shape[2])
    rows = [x[:, :width, :], x[:, -width:, :]]
    cols = [x[:, width:-width, :width], x[:, width:-width, -width:]]
    flat = [ops.reshape(part, (-1, width * wide)) for part in rows]
    flat += [ops.reshape(part, (-1, (height - 2 * width) * width)) for part in cols]
    return flat


def _safe_box_blur(x: Any, size: int) -> Any:
    """Box blur normalised by the window's in-image area (no darkening at the borders)."""
    ones = ops.ones_like(x[:1])
    return box_blur(x, size) / ops.maximum(box_blur(ones, size), EPSILON)


def _remove_lines(ink: Any, work_h: int, work_w: int) -> Any:
    """Subtracts thin ink lying on long horizontal/vertical lines (ruled/squared paper).

    Only structures at most a few working pixels thick that run across most of the image
    (0.7 of its width or height, tilted by up to about 2 degrees) count as lines; strokes
    crossing a line lose the few pixels they share with it. When (almost) nothing would
    be left, as for a tightly cropped thin "1", the ink is kept unchanged.
    """
    thick = 5  # strokes at least this thick (working pixels) are never lines
    band = 5  # tolerance for slightly tilted lines
    long_h = odd(0.7 * work_w, 3)
    long_v = odd(0.7 * work_h, 3)
    thin_h = ops.relu(ink - opening(ink, (thick, 1)))
    thin_v = ops.relu(ink - opening(ink, (1, thick)))
    horizontal = ops.minimum(thin_h, opening(dilate(thin_h, (band, 1)), (1, long_h)))
    vertical = ops.minimum(thin_v, opening(dilate(thin_v, (1, band)), (long_v, 1)))
    cleaned = ops.relu(ink - ops.maximum(horizontal, vertical))
    before = ops.sum(ink, axis=(1, 2))
    after = ops.sum(cleaned, axis=(1, 2))
    use = ops.cast(after >= 0.05 * before, "float32")[:, None, None]
    return use * cleaned + (1.0 - use) * ink


def _thicken(out: Any) -> Any:
    """Dilates strokes whose estimated width (2 area / perimeter) is under ~1.3 px."""
    area = ops.sum(out, axis=(1, 2))
    perimeter = ops.sum(ops.abs(out[:, 1:, :] - out[:, :-1, :]), axis=(1, 2)) + ops.sum(
        ops.abs(out[:, :, 1:] - out[:, :, :-1]), axis=(1, 2)
    )
    top = ops.maximum(ops.max(out, axis=(1, 2)), EPSILON)
    width = 2.0 * area / ops.maximum(perimeter, EPSILON)
    thin = ops.cast(width < 1.3 * top, "float32")[:, None, None]
    grown = ops.maximum(out, 0.6 * dilate(out, (3, 3)))
    return thin * grown + (1.0 - thin) * out
