from __future__ import annotations

import shutil
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest

from benchmarks.photos_heldout import editor_turned
from rotkeras.datasets import (
    letterbox,
    load_image_folder,
    make_synthetic_photos,
    paint_turned_corners,
    read_image,
)
from rotkeras.datasets.photos import label_from_path, read_image_header

cv2 = pytest.importorskip("cv2")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "photos"


def test_read_image_rgb_and_grayscale() -> None:
    image = read_image(FIXTURES / "3_screen.png")
    assert image.shape == (100, 100, 3) and image.dtype == np.uint8
    gray = read_image(FIXTURES / "3_screen.png", grayscale=True)
    assert gray.shape == (100, 100)
    bgr = cv2.imread(str(FIXTURES / "7_paper.jpg"))
    np.testing.assert_array_equal(read_image(FIXTURES / "7_paper.jpg"), bgr[..., ::-1])


def test_read_image_honours_exif_orientation() -> None:
    image = read_image(FIXTURES / "5_exif_rot90.jpg")
    assert image.shape == (128, 96, 3)  # stored as 96x128 landscape, shown portrait
    top, bottom = image[:6].reshape(-1, 3).mean(0), image[-6:].reshape(-1, 3).mean(0)
    assert top[0] > 200 and top[1] < 60  # the red band is at the top (RGB order)
    assert abs(bottom[0] - bottom[1]) < 30


def test_read_image_unicode_path(tmp_path) -> None:
    target = tmp_path / "chiffre_é_数字.png"
    shutil.copy(FIXTURES / "3_screen.png", target)
    assert read_image(target).shape == (100, 100, 3)


def test_read_image_errors(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="nope.png"):
        read_image(tmp_path / "nope.png")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.*empty.png"):
        read_image(empty)
    text = tmp_path / "notes.jpg"
    text.write_text("this is not a photo")
    with pytest.raises(ValueError, match="Cannot decode.*notes.jpg"):
        read_image(text)
    with pytest.raises(ValueError, match="directory"):
        read_image(tmp_path)


def test_read_image_refuses_huge_images_before_decoding(tmp_path, monkeypatch) -> None:
    # A PNG header claiming 100000 x 100000 pixels, with no pixel data at all.
    fake = tmp_path / "huge.png"
    ihdr = b"IHDR" + (100000).to_bytes(4, "big") * 2 + b"\x08\x02\x00\x00\x00"
    idat = b"IDAT" + zlib.compress(b"\x00" * 64)
    chunks = b"".join(
        (len(c) - 4).to_bytes(4, "big") + c + zlib.crc32(c).to_bytes(4, "big") for c in (ihdr, idat)
    )
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + chunks)
    with pytest.raises(ValueError, match="more than the limit"):
        read_image(fake)
    with pytest.raises(ValueError, match="19200 pixels, more than the limit of 10000"):
        read_image(FIXTURES / "7_paper.jpg", max_pixels=10000)
    monkeypatch.setenv("ROTKERAS_MAX_IMAGE_PIXELS", "5000")
    with pytest.raises(ValueError, match="limit of 5000"):
        read_image(FIXTURES / "3_screen.png")
    monkeypatch.setenv("ROTKERAS_MAX_IMAGE_PIXELS", "lots")
    with pytest.raises(ValueError, match="lots"):
        read_image(FIXTURES / "3_screen.png")


def test_header_sizes(tmp_path) -> None:
    assert read_image_header(FIXTURES / "7_paper.jpg")[0] == (120, 160)
    assert read_image_header(FIXTURES / "2_tight.png")[0] == (64, 64)
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image at all")
    assert read_image_header(junk) is None


def test_letterbox_keeps_aspect_and_pads_with_border_colour() -> None:
    image = np.full((50, 100, 3), 200, np.uint8)
    image[20:30, 45:55] = 0
    boxed = letterbox(image, 64)
    assert boxed.shape == (64, 64, 3) and boxed.dtype == np.uint8
    assert (boxed[:10] == 200).all() and (boxed[-10:] == 200).all()
    assert boxed[32, 32, 0] < 50
    assert letterbox(image[..., 0], 32).shape == (32, 32)


@pytest.mark.parametrize("corner", [0, 255])
@pytest.mark.parametrize("angle", [15.0, -30.0, 45.0])
def test_turned_corners_are_painted_the_paper_colour(corner: int, angle: float) -> None:
    photo = np.full((120, 90, 3), (150, 160, 170), np.uint8)
    photo[40:80, 40:46] = 20  # a stroke, kept
    turned = editor_turned(photo, angle, corner)
    painted = paint_turned_corners(turned)
    assert painted.shape == turned.shape and painted.dtype == np.uint8
    grey = painted.mean(axis=2)
    # No corner colour, nor the blended seam, is left: paper and the stroke only.
    assert (np.abs(grey - 160) <= 3).mean() > 0.95
    assert not (np.abs(grey - corner) < 3).any()
    assert (grey < 60).sum() >= 0.8 * (photo.mean(axis=2) < 60).sum()  # the stroke kept
    # A letterbox of the turned photo is paper around the stroke, as of the photo.
    boxed = letterbox(turned, 64).mean(axis=2)
    assert (np.abs(boxed - 160) < 8).mean() > 0.95


def test_flat_regions_that_are_not_turned_corners_are_left_alone() -> None:
    square = np.full((64, 64), 200, np.uint8)
    square[:10, :10] = 0  # a dark square in the corner: not a turn's triangle
    drawing = np.full((64, 64), 255, np.uint8)
    drawing[10:54, 30:34] = 0  # a screen drawing: the flat white is the paper
    ring = np.full((64, 64), 255, np.uint8)
    cv2.circle(ring, (32, 32), 40, 0, 6)  # flat white bounded by ink, in the corners
    already = editor_turned(np.full((64, 64), 200, np.uint8), 30.0, 200)  # paper-coloured
    for image in (square, drawing, ring, already):
        assert paint_turned_corners(image) is image
    with pytest.raises(TypeError, match="uint8"):
        paint_turned_corners(square.astype(np.float32))
    with pytest.raises(ValueError, match=r"\(1, 64, 64, 3\)"):
        paint_turned_corners(np.zeros((1, 64, 64, 3), np.uint8))  # a batch, not a photo


@pytest.mark.parametrize("corner", [0, 160, 255])
@pytest.mark.parametrize("angle", [15.0, -30.0, 45.0])
def test_a_turned_photo_reaches_the_frame(corner: int, angle: float, monkeypatch) -> None:
    import rotkeras.datasets.photos as photos
    from rotkeras.datasets import straighten_turned_photo

    rng = np.random.default_rng(0)  # paper with its grain, a dark table along the left
    photo = rng.integers(150, 171, (120, 90, 1)).repeat(3, axis=2).astype(np.uint8)
    photo[:, :12] -= 100
    photo[40:80, 50:56] = 20  # a stroke
    turned = editor_turned(photo, angle, corner)
    extended, _ = straighten_turned_photo(turned)
    assert extended.shape == turned.shape and extended.dtype == np.uint8
    grey, before = extended.mean(axis=2), turned.mean(axis=2)
    # The flat surround is gone: no 8x8 corner of one colour is left, nor any colour the
    # photo does not have; the stroke is kept (turned and turned back, its edges blur).
    for patch in (grey[:8, :8], grey[:8, -8:], grey[-8:, :8], grey[-8:, -8:]):
        assert patch.std() > 0.0
    assert (grey < 15).mean() < 0.01 and (grey > 200).mean() < 0.01
    assert not (np.abs(before - corner) <= 2).all()  # (the check can fail)
    assert (grey < 40).sum() >= 0.7 * (photo.mean(axis=2) < 40).sum()
    # `letterbox` extends (and turns back) the photo before padding it.
    seen = []
    monkeypatch.setattr(photos, "straighten_turned_photo",
                        lambda a: seen.append(a) or (a, 0.0))
    letterbox(turned, 64)
    assert len(seen) == 1 and np.array_equal(seen[0], turned)
    letterbox(turned, 64, straighten=False)  # already turned back: no second pass
    assert len(seen) == 1
    with pytest.raises(TypeError, match="straighten"):
        letterbox(turned, 64, straighten="no")


@pytest.mark.parametrize("corner", [0, 255])
@pytest.mark.parametrize("angle", [8.0, -20.0, 35.0, -44.0])
def test_a_turned_photo_is_turned_back_level(corner: int, angle: float) -> None:
    from rotkeras.datasets import straighten_turned_photo

    rng = np.random.default_rng(1)  # paper with its grain and an L of ink in the middle
    photo = rng.integers(150, 171, (160, 120)).astype(np.uint8)
    photo[50:110, 40:48] = 20
    photo[102:110, 40:80] = 20
    turned = editor_turned(photo, angle, corner)
    level, found = straighten_turned_photo(turned)
    assert level.shape == photo.shape and level.dtype == np.uint8
    assert abs(found - angle) < 1.0
    # The L stands level again where it stood (the check can fail: the turned one does not).
    ink, turned_ink = level[40:120, 30:90] < 90, turned[40:120, 30:90] < 90
    truth = photo[40:120, 30:90] < 90
    overlap = (ink & truth).sum() / (ink | truth).sum()
    assert overlap > 0.8 > (turned_ink & truth).sum() / (turned_ink | truth).sum()
    # `letterbox` reads the level photo.
    boxed = letterbox(turned, 160)[:, 20:140]
    assert ((boxed < 90) & (photo < 90)).sum() > 0.9 * (photo < 90).sum()


def test_photos_that_are_not_turned_are_not_turned_back() -> None:
    from rotkeras.datasets import straighten_turned_photo

    rng = np.random.default_rng(2)
    photo = rng.integers(150, 171, (100, 80, 3)).astype(np.uint8)
    padded = np.full((100, 100, 3), 128, np.uint8)
    padded[:, 10:90] = photo  # letterboxed: padding is whole columns
    for image in (photo, padded, np.full((64, 64), 255, np.uint8)):
        level, angle = straighten_turned_photo(image)
        assert level is image and angle == 0.0
    with pytest.raises(TypeError, match="uint8"):
        straighten_turned_photo(photo.astype(np.float32))
    with pytest.raises(ValueError, match=r"\(1, 100, 80, 3\)"):
        straighten_turned_photo(photo[None])


def test_photos_that_are_not_turned_are_not_extended() -> None:
    from rotkeras.datasets import straighten_turned_photo

    drawing = np.full((64, 64), 255, np.uint8)
    drawing[10:54, 28:36] = 0  # a bar drawn on a flat screen
    ring = np.full((64, 64), 255, np.uint8)
    cv2.circle(ring, (32, 32), 20, 0, 6)  # a 0: flat white inside and out
    padded = np.full((64, 64), 128, np.uint8)
    padded[:, 12:52] = np.random.default_rng(0).integers(150, 220, (64, 40))  # letterboxed
    small = np.zeros((6, 6), np.uint8)
    for image in (drawing, ring, padded, small):
        level, angle = straighten_turned_photo(image)
        assert level is image and angle == 0.0


def test_labels_from_names_and_folders(tmp_path) -> None:
    assert label_from_path("photos/7/img_12.jpg") == 7
    assert label_from_path("3_anna.png") == 3
    assert label_from_path("12.png") is None
    assert label_from_path("photo.png") is None


def test_load_image_folder(tmp_path) -> None:
    (tmp_path / "4").mkdir()
    shutil.copy(FIXTURES / "7_paper.jpg", tmp_path / "4" / "x.jpg")  # folder wins
    shutil.copy(FIXTURES / "3_screen.png", tmp_path / "3_screen.png")
    shutil.copy(FIXTURES / "2_tight.png", tmp_path / "unlabelled.png")
    with pytest.warns(UserWarning, match="unlabelled.png"):
        images, labels, paths = load_image_folder(tmp_path, size=64, return_paths=True)
    assert images.shape == (2, 64, 64, 3) and images.dtype == np.uint8
    assert labels.tolist() == [3, 4]
    assert [Path(p).name for p in paths] == ["3_screen.png", "x.jpg"]
    gray, _ = load_image_folder(FIXTURES, size=32, grayscale=True)
    assert gray.shape == (5, 32, 32, 1)


def test_load_image_folder_errors(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="missing"):
        load_image_folder(tmp_path / "missing")
    with pytest.raises(ValueError, match="No labelled images"):
        load_image_folder(tmp_path)
    (tmp_path / "5_broken.jpg").write_text("not an image")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="5_broken.jpg"):
            load_image_folder(tmp_path)


def test_make_synthetic_photos_is_seeded_and_varied() -> None:
    digits = np.zeros((3, 28, 28), np.uint8)
    digits[:, 6:22, 12:16] = 255
    labels = np.array([1, 1, 1])
    a, la, kinds = make_synthetic_photos(10, digits, labels, size=(48, 64), seed=3,
                                         return_kinds=True)
    b, lb = make_synthetic_photos(10, digits, labels, size=(48, 64), seed=3)
    assert a.shape == (10, 48, 64, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(la, lb)
    assert set(kinds) <= {"paper", "ruled", "squared", "tight", "screen"}
    c, _ = make_synthetic_photos(10, digits, labels, size=(48, 64), seed=4)
    assert not np.array_equal(a, c)
    screens, _ = make_synthetic_photos(2, digits, labels, size=48, mix={"screen": 1.0})
    assert np.median(screens) < 128  # light strokes on a dark screen


def test_make_synthetic_photos_bad_arguments() -> None:
    digits = np.zeros((1, 28, 28), np.uint8)
    with pytest.raises(ValueError, match="n=0"):
        make_synthetic_photos(0, digits, np.array([0]))
    with pytest.raises(ValueError, match="size"):
        make_synthetic_photos(1, digits, np.array([0]), size=8)
    with pytest.raises(ValueError, match="mix"):
        make_synthetic_photos(1, digits, np.array([0]), mix={"sky": 1.0})
