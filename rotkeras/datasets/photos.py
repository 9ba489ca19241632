"""Photos of handwritten digits: letterboxing, folders of labelled photos, contact sheets.

Reading one file (`read_image`, `read_image_header`) lives in
`rotkeras.datasets.image_file`; its names are importable from here too. OpenCV is
imported lazily.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rotkeras import _validation as check
from rotkeras._paths import label_from_path, list_images
from rotkeras.datasets.image_file import (
    DEFAULT_MAX_PIXELS,
    IMAGE_EXTENSIONS,
    MAX_PIXELS_ENV_VAR,
    PathLike,
    read_image,
    read_image_header,
    resolve_max_pixels,
)
from rotkeras.datasets.turned_photos import paint_turned_corners, straighten_turned_photo
from rotkeras.datasets.tutorial import PHOTO_SIZE

__all__ = [
    "DEFAULT_MAX_PIXELS", "IMAGE_EXTENSIONS", "MAX_PIXELS_ENV_VAR", "collect_files",
    "contact_sheet", "label_from_path", "letterbox", "list_images", "load_image_folder",
    "paint_turned_corners", "straighten_turned_photo",
    "read_image", "read_image_header", "resolve_max_pixels", "write_contact_sheet",
]


def letterbox(
    image: np.ndarray, size: int = PHOTO_SIZE, fill: int | None = None, *,
    max_pixels: int | None = None, straighten: bool = True,
) -> np.ndarray:
    """Pads a photo to a square (keeping its aspect ratio) and resizes it to `size`.

    The padding takes the median colour of the photo's border, so it looks like more
    paper (or more screen) to `HandwritingPreprocess`; shrinking uses area averaging.
    Unless `fill` is given (or `straighten` is False), a photo turned within its frame
    is turned back level first (`straighten_turned_photo`): corners of one flat colour
    far from the paper's, as turning a photo in an editor leaves them (black or white
    triangles), are painted the colour of the paper next to them
    (`paint_turned_corners`); a tilted rectangle of photo with flat colour around it (an
    editor's turn, a turned letterboxed photo) is extended into that colour, every flat
    pixel taking the colour of the nearest pixel of the photo, so that a table or a
    shadow along the photo's edge reaches the frame instead of standing inside it like a
    stroke, and turned back by the angle of its sides.

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
        straighten: Whether to turn a photo turned within its frame back level first;
            False for a photo that `straighten_turned_photo` already turned back (a
            second pass would take the corners that turn left for a turned frame again).

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
    straighten = check.check_bool(straighten, "straighten")
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
    if fill is None and straighten:
        array, _ = straighten_turned_photo(array)
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
    size: int = PHOTO_SIZE,
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
