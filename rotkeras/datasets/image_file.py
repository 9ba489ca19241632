"""Reading one image file: its header first, then the pixels, upright and opaque.

`read_image` refuses a huge image from its header before decoding it, applies the EXIF
orientation and flattens transparency (OpenCV and Pillow, imported lazily).
"""

from __future__ import annotations

import contextlib
import os
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from rotkeras import _validation as check
from rotkeras._paths import IMAGE_EXTENSIONS

MAX_PIXELS_ENV_VAR = "ROTKERAS_MAX_IMAGE_PIXELS"
DEFAULT_MAX_PIXELS = 60_000_000  # a 60-megapixel photo is about 180 MB decoded (RGB)

PathLike = str | os.PathLike[str]


def resolve_max_pixels(max_pixels: int | None = None) -> int:
    """`max_pixels` if given, else `$ROTKERAS_MAX_IMAGE_PIXELS`, else 60 million."""
    if max_pixels is None:
        env = os.environ.get(MAX_PIXELS_ENV_VAR, "").strip()
        if not env:
            return DEFAULT_MAX_PIXELS
        try:
            max_pixels = int(env)
        except ValueError:
            raise ValueError(
                f"${MAX_PIXELS_ENV_VAR} must be a positive integer; received {env!r}"
            ) from None
    return check.check_positive_int(max_pixels, "max_pixels")


def read_image(
    path: PathLike, *, grayscale: bool = False, max_pixels: int | None = None,
    min_size: int | None = None,
) -> np.ndarray:
    """Reads a photo as a uint8 RGB (or grayscale) array, upright.

    Uses OpenCV (`cv2.imdecode` on the file's bytes, so non-ASCII paths work) and
    honours the EXIF orientation tag (a phone photo taken sideways comes out the way it
    was shot). PNG, JPEG, BMP, WebP and TIFF are supported.

    Huge images are refused before anything is decoded: the width and height are read
    from the file's header (with Pillow, which reads headers lazily, for every format)
    and checked against `max_pixels`. A file whose header gives no size is refused.

    Transparent images (an alpha channel, or a palette with a transparent colour) are
    composited onto a plain background so that their strokes stay visible: white (paper)
    when the visible strokes are darker than mid-grey, the usual dark ink, and black when
    they are lighter (white chalk-like strokes on a transparent background).

    Args:
        path: Image file.
        grayscale: Return `(H, W)` grayscale (OpenCV's BT.601 conversion) instead
            of `(H, W, 3)` RGB.
        max_pixels: Largest accepted `width * height`; default
            `$ROTKERAS_MAX_IMAGE_PIXELS` or 60,000,000.
        min_size: If given, a large JPEG is decoded at 1/2, 1/4 or 1/8 of its size
            (the decoder's own scaling, several times faster than a full decode) as
            long as its longer side keeps at least `min_size` pixels; e.g. the size it
            is letterboxed to next. Other formats are decoded at full size.

    Returns:
        `(H, W, 3)` uint8 RGB, or `(H, W)` uint8 with `grayscale=True`.

    Raises:
        FileNotFoundError: If `path` does not exist.
        ValueError: If `path` is a directory, an empty file, not a decodable image,
            or larger than `max_pixels`.

    Examples:
        >>> import tempfile
        >>> import cv2
        >>> import numpy as np
        >>> from rotkeras.datasets import read_image
        >>> path = tempfile.mkdtemp() + "/digit.png"
        >>> _ = cv2.imwrite(path, np.full((40, 30, 3), 255, np.uint8))  # a blank sheet
        >>> image = read_image(path)
        >>> image.shape, image.dtype
        ((40, 30, 3), dtype('uint8'))
    """
    limit = resolve_max_pixels(max_pixels)
    file = Path(path).expanduser()
    if not file.exists():
        raise FileNotFoundError(f"Image file not found: {file}")
    if file.is_dir():
        raise ValueError(f"Expected an image file, got a directory: {file}")
    size = file.stat().st_size
    if size == 0:
        raise ValueError(f"Image file is empty (0 bytes): {file}")
    header = read_image_header(file)
    unsupported = (
        f"Cannot decode {file} as an image ({size} bytes; supported: "
        f"{', '.join(IMAGE_EXTENSIONS)})"
    )
    if header is None:
        raise ValueError(unsupported)
    (height, width), transparent, orientation = header
    if height * width > limit:
        raise ValueError(
            f"Image {file} is {width}x{height} = {height * width} pixels, more than the "
            f"limit of {limit} (set max_pixels= or ${MAX_PIXELS_ENV_VAR} to allow it)"
        )
    import cv2

    data = np.fromfile(file, dtype=np.uint8)
    try:
        if transparent:
            image = _composite_alpha(cv2.imdecode(data, cv2.IMREAD_UNCHANGED))
            image = _apply_orientation(image, orientation) if image is not None else None
        else:
            image = cv2.imdecode(data, _decode_flag(file, max(height, width), min_size))
    except cv2.error as error:  # e.g. a truncated file, or out of memory
        raise ValueError(f"{unsupported}: {str(error).strip().splitlines()[-1]}") from None
    if image is None or image.size == 0:
        raise ValueError(unsupported)
    if image.shape[0] * image.shape[1] > limit:
        raise ValueError(
            f"Image {file} is {image.shape[1]}x{image.shape[0]} pixels, more than the limit "
            f"of {limit} (set max_pixels= or ${MAX_PIXELS_ENV_VAR} to allow it)"
        )
    if grayscale:
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    return np.ascontiguousarray(image[..., ::-1])


def _decode_flag(file: Path, side: int, min_size: int | None) -> int:
    """`cv2.IMREAD_COLOR`, or its reduced (1/2, 1/4, 1/8) JPEG mode that keeps `min_size`."""
    import cv2

    if min_size is None or file.suffix.lower() not in (".jpg", ".jpeg", ".jpe"):
        return cv2.IMREAD_COLOR
    min_size = check.check_positive_int(min_size, "min_size")
    for factor, flag in ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4),
                         (2, cv2.IMREAD_REDUCED_COLOR_2)):
        if side // factor >= min_size:
            return flag
    return cv2.IMREAD_COLOR


def read_image_header(path: PathLike) -> tuple[tuple[int, int], bool, int] | None:
    """`((height, width), transparent, exif_orientation)` from an image file's header.

    Pillow reads only the header (no pixel data) for every format it knows; `None` when
    it does not recognise the file. `transparent` is whether the image has an alpha
    channel or a transparent palette colour; `exif_orientation` is the EXIF orientation
    tag (1 = upright).
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with _no_pillow_size_limit(), Image.open(path) as image:
            width, height = image.size
            transparent = image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
                "transparency" in image.info and image.mode in ("P", "L", "RGB")
            )
            try:
                orientation = int(image.getexif().get(0x0112, 1) or 1)
            except Exception:  # a damaged EXIF block: OpenCV ignores it too
                orientation = 1
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, struct.error):
        return None
    return (int(height), int(width)), bool(transparent), orientation


_PILLOW_LOCK = threading.Lock()


@contextlib.contextmanager
def _no_pillow_size_limit() -> Iterator[None]:
    """Pillow's own decompression-bomb limit off: rotkeras' `max_pixels` decides."""
    from PIL import Image

    with _PILLOW_LOCK:
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = None
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def _composite_alpha(image: np.ndarray | None) -> np.ndarray | None:
    """BGR(A)/gray(+alpha) of any depth from `IMREAD_UNCHANGED` -> uint8 BGR, alpha flattened.

    The background is white when the visible (alpha-weighted) pixels are darker than
    mid-grey, black otherwise, so the strokes keep their contrast.
    """
    if image is None:
        return None
    array = image
    if array.dtype == np.uint16:
        array = (array >> 8).astype(np.uint8)
    elif array.dtype != np.uint8:
        scale = 255.0 if np.issubdtype(array.dtype, np.floating) else 1.0
        array = np.clip(np.nan_to_num(array.astype(np.float64)) * scale, 0, 255).astype(np.uint8)
    if array.ndim == 2:
        array = array[..., None]
    channels = array.shape[2]
    # float32 (exact for 8-bit values to far below a grey level) and in place: a phone
    # screenshot's 4 million pixels composite in a few hundredths of a second.
    if channels in (2, 4):
        colour, alpha = array[..., :-1], array[..., -1:].astype(np.float32) / np.float32(255)
    else:
        colour, alpha = array, np.ones((*array.shape[:2], 1), np.float32)
    colour = colour.astype(np.float32)
    if colour.shape[2] == 1:
        colour = np.repeat(colour, 3, axis=2)
    colour = colour[..., :3]
    weight = alpha[..., 0]
    total = float(weight.sum(dtype=np.float64))
    luma = (colour[..., 0] * np.float32(0.114) + colour[..., 1] * np.float32(0.587)
            + colour[..., 2] * np.float32(0.299))  # BGR order
    visible = float((luma * weight).sum(dtype=np.float64) / total) if total > 0 else 0.0
    background = np.float32(255.0 if visible <= 127.5 else 0.0)
    colour -= background
    colour *= alpha
    colour += background + np.float32(0.5)  # rounded half up by the cast below
    return np.clip(colour, 0, 255).astype(np.uint8)


def _apply_orientation(image: np.ndarray, orientation: int) -> np.ndarray:
    """Applies an EXIF orientation tag (2..8) to an `(H, W, C)` image, as OpenCV does."""
    if orientation in (2, 4, 5, 7):  # mirrored variants
        image = image[:, ::-1]
    turns = {3: 2, 4: 2, 5: 1, 6: 3, 7: 3, 8: 1}.get(orientation, 0)
    return np.ascontiguousarray(np.rot90(image, turns))
