"""Reading photos of handwritten digits (OpenCV, imported lazily)."""

from __future__ import annotations

import contextlib
import os
import re
import struct
import threading
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from rotkeras import _validation as check

MAX_PIXELS_ENV_VAR = "ROTKERAS_MAX_IMAGE_PIXELS"
DEFAULT_MAX_PIXELS = 60_000_000  # a 60-megapixel photo is about 180 MB decoded (RGB)
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")

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


def letterbox(
    image: np.ndarray, size: int = 256, fill: int | None = None, *, max_pixels: int | None = None
) -> np.ndarray:
    """Pads a photo to a square (keeping its aspect ratio) and resizes it to `size`.

    The padding takes the median colour of the photo's border, so it looks like more
    paper (or more screen) to `HandwritingPreprocess`; shrinking uses area averaging.

    Args:
        image: `(H, W)` or `(H, W, C)` uint8 image.
        size: Side of the square result.
        fill: Padding grey level (0..255) instead of the border's median colour.
        max_pixels: Bound on the memory used, default as `read_image`
            (`$ROTKERAS_MAX_IMAGE_PIXELS`, else 60 million): the result has at most
            `max_pixels` pixels and the padded square at most 4 times as many (any
            photo `read_image` accepts, up to an aspect ratio of 4:1). A very thin
            image (1 x 1,000,000) would need a square of a million squared pixels: it
            is refused.

    Returns:
        `(size, size, C)` uint8 (or `(size, size)` for a 2D input).

    Examples:
        >>> import numpy as np
        >>> from rotkeras.datasets import letterbox
        >>> photo = np.full((300, 200, 3), 255, np.uint8)  # a portrait photo
        >>> letterbox(photo, 64).shape
        (64, 64, 3)
    """
    import cv2

    size = check.check_positive_int(size, "size")
    if fill is not None:
        fill = check.check_byte(fill, "fill")
    array = np.asarray(image)
    if array.ndim not in (2, 3) or min(array.shape[:2]) < 1:
        raise ValueError(f"`image` must be (H, W) or (H, W, C); received shape {array.shape}")
    if array.dtype != np.uint8:
        raise check.ArgumentTypeError(f"`image` must be uint8; received dtype {array.dtype}")
    height, width = array.shape[:2]
    side = max(height, width)
    limit = resolve_max_pixels(max_pixels)
    if size * size > limit:
        raise ValueError(
            f"`size` must give at most max_pixels={limit} pixels (${MAX_PIXELS_ENV_VAR}); "
            f"received size={size} ({size * size} pixels)"
        )
    if side * side > 4 * limit:  # any photo of up to `limit` pixels and 4:1 passes
        raise ValueError(
            f"`image` of {height}x{width} pixels would be padded to a {side}x{side} square "
            f"({side * side} pixels), more than 4 x max_pixels={limit} "
            f"(${MAX_PIXELS_ENV_VAR}); crop it closer to the digit first"
        )
    if fill is None:
        border = np.concatenate(
            [array[0], array[-1], array[:, 0], array[:, -1]], axis=0
        ).reshape(-1, *array.shape[2:])
        colour = np.median(border, axis=0).astype(np.uint8)
    else:
        colour = np.full(array.shape[2:], fill, np.uint8)
    canvas = np.empty((side, side, *array.shape[2:]), np.uint8)
    canvas[...] = colour
    top, left = (side - height) // 2, (side - width) // 2
    canvas[top : top + height, left : left + width] = array
    interpolation = cv2.INTER_AREA if side >= size else cv2.INTER_LINEAR
    out = cv2.resize(canvas, (size, size), interpolation=interpolation)
    return out.reshape(size, size, *array.shape[2:])


def label_from_path(path: PathLike, root: PathLike | None = None) -> int | None:
    """The digit label of a photo: its folder's name `0`..`9`, else a leading digit."""
    file = Path(path)
    if root is not None and file.parent != Path(root) and re.fullmatch(r"[0-9]", file.parent.name):
        return int(file.parent.name)
    if root is None and re.fullmatch(r"[0-9]", file.parent.name):
        return int(file.parent.name)
    match = re.match(r"([0-9])(?![0-9])", file.name)
    return int(match.group(1)) if match else None


def list_images(directory: PathLike) -> list[Path]:
    """Image files (by extension) under `directory`, recursively, sorted."""
    root = Path(directory)
    return sorted(
        p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
    )


def collect_files(inputs: Sequence[PathLike]) -> list[Path]:
    """The image files named by `inputs`: folders expanded, files kept as given.

    What `rotkeras predict` reads. A folder becomes its image files (by extension:
    `.png`, `.jpg`, `.jpeg`, `.bmp`, `.webp`, `.tif`, `.tiff`), searched recursively
    and sorted; a file is kept whatever its extension, in the order given, so that
    reading it reports what is wrong with it. `~` is expanded.

    Args:
        inputs: Paths of image files and folders.

    Returns:
        The paths, folders replaced by their images.

    Examples:
        >>> import tempfile
        >>> from pathlib import Path
        >>> from rotkeras.datasets import collect_files
        >>> folder = Path(tempfile.mkdtemp())
        >>> for name in ("7/b.png", "7/a.jpg", "notes.txt"):
        ...     (folder / name).parent.mkdir(exist_ok=True)
        ...     (folder / name).touch()
        >>> [p.relative_to(folder).as_posix() for p in collect_files([folder])]
        ['7/a.jpg', '7/b.png']
        >>> [p.name for p in collect_files([folder / "notes.txt"])]
        ['notes.txt']
    """
    files: list[Path] = []
    for item in inputs:
        path = Path(item).expanduser()
        files.extend(list_images(path) if path.is_dir() else [path])
    return files


def load_image_folder(
    directory: PathLike,
    *,
    size: int = 256,
    grayscale: bool = False,
    max_pixels: int | None = None,
    return_paths: bool = False,
) -> tuple:
    """Loads a folder of labelled digit photos as one batch for `HandwritingPreprocess`.

    The label of each photo comes from the name of its folder (`0` to `9`, e.g.
    `photos/7/img_001.jpg`) or else from a leading digit in the file name followed
    by a non-digit (`7.jpg`, `3_anna.png`, `5-b.jpeg`; not `12.jpg`). Files without a
    label are skipped with a `UserWarning` naming them. Photos are read with
    `read_image` (EXIF orientation applied) and brought to a common `size x size`
    by `letterbox`: padded to a square with their border colour, keeping the aspect
    ratio, then resized.

    Args:
        directory: Folder to search (recursively) for `.png`, `.jpg`, `.jpeg`,
            `.bmp`, `.webp`, `.tif` and `.tiff` files.
        size: Side of the letterboxed square photos.
        grayscale: Return `(N, size, size, 1)` grayscale instead of RGB.
        max_pixels: Passed to `read_image`.
        return_paths: Also return the list of file paths.

    Returns:
        `(images, labels)`: `(N, size, size, 3)` (or `(..., 1)`) uint8 and `(N,)` int64,
        sorted by path; plus the paths with `return_paths=True`.

    Raises:
        FileNotFoundError: If `directory` does not exist.
        ValueError: If it is not a directory, holds no labelled image, or a labelled
            file cannot be read (the message names the file).

    Examples:
        >>> import os
        >>> import tempfile
        >>> import cv2
        >>> import numpy as np
        >>> from rotkeras.datasets import load_image_folder
        >>> folder = tempfile.mkdtemp()  # my_digits/7/a.png, one blank photo of a "7"
        >>> os.makedirs(f"{folder}/7")
        >>> _ = cv2.imwrite(f"{folder}/7/a.png", np.full((50, 40, 3), 255, np.uint8))
        >>> images, labels = load_image_folder(folder, size=64)
        >>> images.shape, labels.tolist()
        ((1, 64, 64, 3), [7])
    """
    root = Path(directory).expanduser()
    if not root.exists():
        raise FileNotFoundError(f"Image folder not found: {root}")
    if not root.is_dir():
        raise ValueError(f"Expected a folder of images, got a file: {root}")
    images, labels, paths, unlabelled = [], [], [], []
    for file in list_images(root):
        label = label_from_path(file, root)
        if label is None:
            unlabelled.append(file)
            continue
        image = read_image(file, grayscale=grayscale, max_pixels=max_pixels)
        boxed = letterbox(image, size)
        images.append(boxed[..., None] if grayscale else boxed)
        labels.append(label)
        paths.append(str(file))
    if unlabelled:
        names = ", ".join(str(p) for p in unlabelled[:5])
        more = f" and {len(unlabelled) - 5} more" if len(unlabelled) > 5 else ""
        warnings.warn(
            f"Skipped {len(unlabelled)} image(s) without a label (no folder 0-9 and no "
            f"leading digit in the name): {names}{more}",
            UserWarning,
            stacklevel=2,
        )
    if not images:
        raise ValueError(
            f"No labelled images found in {root} (put photos in folders named 0-9 or start "
            "their names with the digit, e.g. 7_photo.jpg)"
        )
    out = (np.stack(images), np.asarray(labels, np.int64))
    return (*out, paths) if return_paths else out


def contact_sheet(images: np.ndarray, labels: Sequence[str], columns: int = 8) -> np.ndarray:
    """Tiles `(N, 28, 28)` images in `[0, 1]` (scaled 4x) with a caption under each."""
    import cv2

    tile, caption = 112, 16
    rows = max(1, -(-len(images) // columns))
    sheet = np.full((rows * (tile + caption), columns * tile), 64, np.uint8)
    for i, (image, label) in enumerate(zip(images, labels, strict=True)):
        r, c = divmod(i, columns)
        big = cv2.resize(
            (np.clip(image, 0, 1) * 255).astype(np.uint8), (tile, tile),
            interpolation=cv2.INTER_NEAREST,
        )
        y, x = r * (tile + caption), c * tile
        sheet[y : y + tile, x : x + tile] = big
        sheet[y : y + tile, x] = 128
        cv2.putText(
            sheet, label[:16], (x + 2, y + tile + 12), cv2.FONT_HERSHEY_SIMPLEX, 0.35, 255, 1
        )
    return sheet


def write_contact_sheet(
    path: PathLike, images: np.ndarray, labels: Sequence[str], columns: int = 8
) -> Path:
    """Writes `contact_sheet(images, labels, columns)` as an image file; returns its path.

    Raises:
        ValueError: If the file cannot be written (e.g. an unknown extension).
    """
    import cv2

    target = Path(path).expanduser()
    target.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(target), contact_sheet(images, labels, columns)):
        raise ValueError(f"Cannot write the contact sheet to {target} (use a .png path)")
    return target
