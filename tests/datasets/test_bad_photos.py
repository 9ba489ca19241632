"""Bad photo files: transparency, decode bombs, bad arguments of the photo utilities."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from rotkeras.datasets import letterbox, read_image

cv2 = pytest.importorskip("cv2")
Image = pytest.importorskip("PIL.Image")


def _rgba_digit(stroke: int) -> np.ndarray:
    """A 40x40 RGBA image: a transparent background and an opaque bar of grey `stroke`."""
    rgba = np.zeros((40, 40, 4), np.uint8)  # transparent black everywhere
    rgba[8:32, 18:22] = (stroke, stroke, stroke, 255)
    return rgba


@pytest.mark.parametrize(("stroke", "paper"), [(0, 255), (255, 0)])
def test_transparent_png_keeps_its_strokes_visible(tmp_path, stroke, paper) -> None:
    # Dark strokes go on white paper, light strokes on black: never a uniform image.
    path = tmp_path / "digit.png"
    Image.fromarray(_rgba_digit(stroke), "RGBA").save(path)
    image = read_image(path)
    assert image.shape == (40, 40, 3)
    assert (image[20, 20] == stroke).all() and (image[2, 2] == paper).all()
    gray = read_image(path, grayscale=True)
    assert gray[20, 20] == stroke and gray[2, 2] == paper


def test_gray_alpha_and_palette_transparency(tmp_path) -> None:
    la = _rgba_digit(0)[..., [0, 3]]
    Image.fromarray(la, "LA").save(tmp_path / "la.png")
    image = read_image(tmp_path / "la.png")
    assert image[20, 20].tolist() == [0, 0, 0] and image[2, 2].tolist() == [255, 255, 255]
    palette = Image.fromarray(_rgba_digit(0), "RGBA").convert("P")
    palette.info["transparency"] = palette.getpixel((2, 2))
    palette.save(tmp_path / "p.png", transparency=palette.getpixel((2, 2)))
    image = read_image(tmp_path / "p.png")
    assert image[20, 20].tolist() == [0, 0, 0] and image[2, 2].tolist() == [255, 255, 255]


def test_transparent_png_honours_exif_orientation(tmp_path) -> None:
    rgba = _rgba_digit(0)
    rgba[8:12, 8:32] = (0, 0, 0, 255)  # an "L" turned: a bar along the top
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned by 90 degrees clockwise
    Image.fromarray(rgba, "RGBA").save(tmp_path / "turned.png", exif=exif)
    image = read_image(tmp_path / "turned.png", grayscale=True)
    plain = np.where(rgba[..., 3] > 0, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(image, np.rot90(plain, -1))


def _jpeg_with_late_size(tmp_path, width: int, height: int):
    """A real JPEG whose size marker comes after 200 KB of comments, the size patched."""
    ok, encoded = cv2.imencode(".jpg", np.full((16, 16, 3), 200, np.uint8))
    assert ok
    data = encoded.tobytes()
    comment = b"\xff\xfe" + struct.pack(">H", 65000) + b"x" * 64998
    data = data[:2] + comment * 3 + data[2:]
    sof = max(data.find(b"\xff\xc0"), data.find(b"\xff\xc2"))
    assert sof > 65536
    data = data[: sof + 5] + struct.pack(">HH", height, width) + data[sof + 9 :]
    path = tmp_path / "bomb.jpg"
    path.write_bytes(data)
    return path


def test_decode_bomb_refused_before_decoding_wherever_its_size_is(tmp_path, monkeypatch) -> None:
    # The size marker lies beyond the first 64 KiB: the size is still known first.
    path = _jpeg_with_late_size(tmp_path, 60000, 60000)
    calls = []
    monkeypatch.setattr(cv2, "imdecode", lambda *a: calls.append(a))
    with pytest.raises(ValueError, match="60000x60000 = 3600000000 pixels, more than the limit"):
        read_image(path)
    assert calls == []  # nothing was decoded


def test_file_without_a_readable_size_is_refused(tmp_path) -> None:
    path = tmp_path / "fake.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(ValueError, match="Cannot decode.*fake.png"):
        read_image(path)


def test_truncated_image_is_a_value_error(tmp_path) -> None:
    ok, encoded = cv2.imencode(".png", np.full((64, 64, 3), 90, np.uint8))
    path = tmp_path / "cut.png"
    path.write_bytes(encoded.tobytes()[:60])
    with pytest.raises(ValueError, match="cut.png"):
        read_image(path)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"size": 0}, ValueError, "size=0"),
        ({"size": 2.5}, TypeError, "size=2.5"),
        ({"fill": 300}, ValueError, "fill=300"),
        ({"fill": -1}, ValueError, "fill=-1"),
        ({"fill": 1.5}, TypeError, "fill=1.5"),
    ],
)
def test_letterbox_arguments(kwargs, error, message) -> None:
    with pytest.raises(error, match=message):
        letterbox(np.zeros((10, 12, 3), np.uint8), **kwargs)
