"""`rotkeras.reading.read_numbers` on rendered photos of handwritten numbers."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rotkeras.datasets import make_synthetic_numbers
from rotkeras.reading import NumberReading, read_numbers

cv2 = pytest.importorskip("cv2")


def font_digits() -> tuple[np.ndarray, np.ndarray]:
    """Digits 0-9 drawn with OpenCV's Hershey font as 28x28 MNIST-like images (no MNIST)."""
    out = np.zeros((10, 28, 28), np.uint8)
    for digit in range(10):
        (w, h), _ = cv2.getTextSize(str(digit), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 2)
        cv2.putText(out[digit], str(digit), ((28 - w) // 2, (28 + h) // 2),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2, cv2.LINE_AA)
    return out, np.arange(10)


def render(number: str, *, turn: int = 0, seed: int = 0, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    digits, labels = font_digits()
    photos, numbers, boxes, turns = make_synthetic_numbers(
        1, digits, labels, numbers=[number], size=160, seed=seed, turns=(turn,), **kwargs)
    assert numbers == [number] and turns[0] == turn
    return photos[0], boxes[0]


def iou(a, b) -> float:
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - ix * iy
    return ix * iy / union


def assert_reads(photo: np.ndarray, boxes: np.ndarray, number: str, turn: int,
                 weights: str = "numbers") -> NumberReading:
    found = read_numbers(photo, weights=weights)
    assert [n.text for n in found] == [number]
    reading = found[0]
    assert reading.orientation == turn
    assert len(reading.digits) == len(boxes)
    for digit, box in zip(reading.digits, boxes, strict=True):
        assert iou(digit.box, box) >= 0.6, (digit.box, box.tolist())
        assert 0.0 <= digit.confidence <= 1.0
    return reading


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_reads_a_number_whichever_way_up(turn) -> None:
    photo, boxes = render("3547", turn=turn, seed=1)
    assert_reads(photo, boxes, "3547", turn)


@pytest.mark.backend_independent
@pytest.mark.parametrize("weights", ["numbers", "shipped"])
def test_reads_a_tilted_number(weights) -> None:
    photo, boxes = render("8130", seed=2, tilt=15.0)
    assert_reads(photo, boxes, "8130", 0, weights)


def test_splits_two_touching_digits() -> None:
    photo, boxes = render("427", seed=3, touching=1.0)
    ink = (photo.min(axis=-1) < 128).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    assert sum(stats[1:, cv2.CC_STAT_AREA] > 20) < 3  # some digits really touch
    assert_reads(photo, boxes, "427", 0)


@pytest.mark.backend_independent
def test_the_line_settles_a_turned_six() -> None:
    # A 6 turned upside down looks like an upright 9; the other digits and the line say 180.
    photo, boxes = render("6174", turn=180, seed=4)
    reading = assert_reads(photo, boxes, "6174", 180)
    assert reading.text[0] == "6"


def test_the_photo_settles_a_lone_six() -> None:
    # A lone 6 under a number, the photo turned upside down: alone, the 6 reads as an
    # upright 9 (with the reader's default weights; its weights for numbers read this 6
    # right even alone); the photo is turned as a whole, so the number's digits settle it.
    top, top_boxes = render("3547", seed=1)
    low, low_boxes = render("6", seed=11)
    photo = np.concatenate([top, low], axis=0)
    boxes = np.concatenate([top_boxes, low_boxes + [0, top.shape[0], 0, top.shape[0]]])
    photo, boxes = turned(photo, boxes, 180)
    for weights in ("shipped", "numbers"):
        found = read_numbers(photo, weights=weights)
        assert sorted(n.text for n in found) == ["3547", "6"]
        assert [n.orientation for n in found] == [180, 180]
    lone = read_numbers(photo, orientation="number", weights="shipped")
    assert sorted((n.text, n.orientation) for n in lone) == [("3547", 180), ("9", 0)]


@pytest.mark.backend_independent
def test_results_convert_to_json_and_box_the_number() -> None:
    photo, _ = render("25", seed=5)
    reading = read_numbers(photo)[0]
    data = json.loads(json.dumps(reading.to_dict()))
    assert data["text"] == "25" and data["orientation"] == 0
    assert [d["digit"] for d in data["digits"]] == [2, 5]
    assert data["box"][0] == min(d["box"][0] for d in data["digits"])
    assert 0.0 < data["confidence"] <= 1.0


@pytest.mark.backend_independent
def test_blank_photo_holds_no_number() -> None:
    assert read_numbers(np.full((64, 80, 3), 230, np.uint8)) == []


@pytest.mark.backend_independent
@pytest.mark.parametrize(
    ("photo", "kwargs", "error"),
    [
        ("photo.png", {}, TypeError),
        (np.zeros((4, 4, 3), np.uint8), {}, ValueError),
        (np.zeros((32, 32, 2), np.uint8), {}, ValueError),
        (np.full((32, 32), np.nan), {}, ValueError),
        (np.zeros((32, 32), bool), {}, TypeError),
        (np.zeros((32, 32), np.uint8), {"polarity": "dark"}, ValueError),
        (np.zeros((32, 32), np.uint8), {"min_contrast": 2.0}, ValueError),
        (np.zeros((32, 32), np.uint8), {"weights": 3}, TypeError),
        (np.zeros((32, 32), np.uint8), {"weights": "missing.weights.h5"}, FileNotFoundError),
    ],
)
def test_bad_arguments_are_refused(photo, kwargs, error) -> None:
    with pytest.raises(error):
        read_numbers(photo, **kwargs)


def turned(photo: np.ndarray, boxes: np.ndarray, turn: int) -> tuple[np.ndarray, np.ndarray]:
    """The photo turned counter-clockwise by `turn` degrees, and its digits' boxes."""
    for _ in range(turn // 90):
        width = photo.shape[1]
        photo = np.ascontiguousarray(np.rot90(photo))
        boxes = np.stack([boxes[:, 1], width - boxes[:, 2], boxes[:, 3], width - boxes[:, 0]], 1)
    return photo, boxes


@pytest.mark.parametrize("turn", [0, 90])
def test_a_ruled_line_touching_the_digits_is_not_read(turn) -> None:
    photo, boxes = render("3582", seed=6)
    photo = photo.copy()
    bottom = int(boxes[:, 3].max())
    photo[bottom - 2 : bottom + 1, :] = 30  # a rule through the feet of the digits
    photo[bottom + 12 : bottom + 14, 5:-5] = 30  # and another one below
    photo, boxes = turned(photo, boxes, turn)
    assert_reads(photo, boxes, "3582", turn)


@pytest.mark.parametrize("turn", [0, 270])
def test_dashes_specks_and_box_sides_are_not_read(turn) -> None:
    photo, boxes = render("4619", seed=7)
    photo = photo.copy()
    height = int(np.median(boxes[:, 3] - boxes[:, 1]))
    top, bottom = int(boxes[:, 1].min()), int(boxes[:, 3].max())
    for x0, x1 in zip(boxes[:, 0], boxes[:, 2], strict=True):  # dashes of a form's box
        photo[top - 6 : top - 5, x0 : x0 + (x1 - x0) // 2] = 40
        photo[bottom + 5 : bottom + 6, x0 + 2 : x1] = 40
    right = min(photo.shape[1] - 2, int(boxes[:, 2].max()) + 4)
    photo[top - height // 3 : bottom + height // 3, right : right + 1] = 40  # the box's side
    photo[bottom + 2 : bottom + 4, right - 14 : right - 12] = 40  # a speck
    photo, boxes = turned(photo, boxes, turn)
    assert_reads(photo, boxes, "4619", turn)


@pytest.mark.parametrize("turn", [0, 180])
def test_a_detached_flag_joins_its_digit(turn) -> None:
    photo, boxes = render("357", seed=8)
    photo = photo.copy()
    x0, y0, x1, y1 = (int(v) for v in boxes[1])  # the 5: cut its flag off
    cut = y0 + max(3, (y1 - y0) // 4)
    photo[cut : cut + 2, x0:x1] = np.median(photo[:4, :4], axis=(0, 1)).astype(np.uint8)
    ink = (photo[y0:y1, x0:x1].min(axis=-1) < 128).astype(np.uint8)
    assert cv2.connectedComponents(ink, connectivity=8)[0] - 1 >= 2  # really two pieces
    photo, boxes = turned(photo, boxes, turn)
    assert_reads(photo, boxes, "357", turn)


@pytest.mark.parametrize("turn", [0, 90])
def test_a_strip_along_the_frame_is_not_read(turn) -> None:
    photo, boxes = render("2846", seed=9)
    photo = photo.copy()
    height = int(np.median(boxes[:, 3] - boxes[:, 1]))
    top = int(boxes[:, 1].min())
    # The edge of a table or of a mark cut off by the frame, against the photo's left side,
    # as tall as a digit and off the number's line: taken for a "1" before.
    photo[top + height : top + 2 * height, :2] = 25
    photo, boxes = turned(photo, boxes, turn)
    assert_reads(photo, boxes, "2846", turn)


@pytest.mark.parametrize("turn", [90, 270])
def test_a_lone_one_on_its_side_is_one_digit(turn) -> None:
    # A turned 1 is much wider than high, as several upright digits that touch would be:
    # it stays one digit when it reads as one.
    photo = np.full((160, 160), 235, np.uint8)
    cv2.line(photo, (80, 30), (80, 130), 25, 11, cv2.LINE_AA)  # the stem
    cv2.line(photo, (80, 32), (64, 50), 25, 9, cv2.LINE_AA)  # a short flag
    ys, xs = np.nonzero(photo < 128)
    box = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]])
    photo, box = turned(photo, box, turn)
    assert (box[0, 2] - box[0, 0]) > 1.75 * (box[0, 3] - box[0, 1])  # forced a cut before
    found = read_numbers(photo)
    assert [n.text for n in found] == ["1"]
    assert iou(found[0].digits[0].box, box[0]) >= 0.8


@pytest.mark.parametrize("turn", [0, 90])
def test_a_long_foot_stays_with_its_two(turn) -> None:
    # A 2 whose foot runs on, twice as wide as high: cut, its foot was read as a 1.
    photo = np.full((160, 260), 235, np.uint8)
    cv2.putText(photo, "2", (40, 120), cv2.FONT_HERSHEY_SIMPLEX, 3.5, 25, 9, cv2.LINE_AA)
    ys, xs = np.nonzero(photo < 128)
    foot = int(ys.max()) - 4
    cv2.line(photo, (int(xs.max()) - 5, foot), (int(xs.max()) + 90, foot), 25, 7, cv2.LINE_AA)
    ys, xs = np.nonzero(photo < 128)
    box = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]])
    assert box[0, 2] - box[0, 0] > 2 * (box[0, 3] - box[0, 1])
    photo, box = turned(photo, box, turn)
    found = read_numbers(photo)
    assert [(n.text, n.orientation) for n in found] == [("2", turn)]
    assert iou(found[0].digits[0].box, box[0]) >= 0.8


@pytest.mark.backend_independent
def test_numbers_side_by_side_read_left_to_right() -> None:
    from rotkeras.reading.numbers import _reading_order

    def number(text: str, box: tuple[int, int, int, int]) -> NumberReading:
        return NumberReading(text, (), 0, 1.0, box)

    # Three numbers on one row, their centres a few pixels apart in height, and one below.
    found = [number("c", (210, 12, 300, 52)), number("b", (110, 8, 200, 48)),
             number("below", (10, 80, 100, 120)), number("a", (10, 14, 100, 54))]
    assert [n.text for n in _reading_order(found)] == ["a", "b", "c", "below"]
    assert _reading_order([]) == []


@pytest.mark.backend_independent
@pytest.mark.parametrize("angle", [20.0, -30.0, 40.0])
def test_a_number_turned_in_an_editor_is_read_level(angle) -> None:
    from benchmarks.photos_heldout import editor_turned

    photo, boxes = render("3547", seed=1)
    turned = editor_turned(photo, angle, 0)  # black corners, as an editor fills them
    (number,) = read_numbers(turned)
    assert number.text == "3547" and number.orientation == 0
    assert number.tilt == pytest.approx(angle, abs=1.0)
    assert number.to_dict()["tilt"] == number.tilt
    # The boxes are in the turned photo: around each digit's box turned with it.
    turn = cv2.getRotationMatrix2D(((photo.shape[1] - 1) / 2, (photo.shape[0] - 1) / 2),
                                   angle, 1.0)
    for digit, (x0, y0, x1, y1) in zip(number.digits, boxes, strict=True):
        xs, ys = (np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]]) @ turn.T).T
        assert iou(digit.box, (xs.min(), ys.min(), xs.max(), ys.max())) >= 0.5


@pytest.mark.parametrize("turn", [0, 90])
def test_a_digit_in_two_strokes_that_do_not_meet_is_one_digit(turn) -> None:
    # A 4 whose stem was written apart from its bar: two pieces side by side, each read
    # as a digit before ("7212").
    photo = np.full((160, 260), 235, np.uint8)
    cv2.putText(photo, "7", (30, 110), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 25, 6, cv2.LINE_AA)
    cv2.putText(photo, "2", (170, 110), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 25, 6, cv2.LINE_AA)
    cv2.line(photo, (108, 62), (100, 92), 25, 6, cv2.LINE_AA)
    cv2.line(photo, (100, 92), (122, 92), 25, 6, cv2.LINE_AA)
    cv2.line(photo, (131, 62), (131, 110), 25, 6, cv2.LINE_AA)
    assert cv2.connectedComponents((photo < 128).astype(np.uint8))[0] - 1 == 4
    photo, _ = turned(photo, np.zeros((1, 4), int), turn)
    assert [(n.text, n.orientation) for n in read_numbers(photo)] == [("742", turn)]


@pytest.mark.parametrize("turn", [0, 180])
def test_an_eight_in_two_loops_is_one_digit(turn) -> None:
    # Each loop alone is too low for the line (a dash, a dot): both were dropped before.
    photo, boxes = render("385", seed=4)
    photo = photo.copy()
    x0, y0, x1, y1 = (int(v) for v in boxes[1])
    middle = (y0 + y1) // 2
    photo[middle - 1 : middle + 1, x0:x1] = np.median(photo[:4, :4], axis=(0, 1))
    photo, boxes = turned(photo, boxes, turn)
    assert_reads(photo, boxes, "385", turn, weights="shipped")
    # The weights for numbers find the same three digits, and read this broken 8 as a 3.
    assert [len(n.digits) for n in read_numbers(photo)] == [3]


@pytest.mark.backend_independent
def test_faint_digits_on_grainy_paper_are_read() -> None:
    # Card or grainy paper departs from its own estimate everywhere; faint ink that
    # stands only a little above that grain was lost in it ("23").
    photo, boxes = render("2947", seed=5)
    paper = float(np.median(photo[:4, :4]))
    grain = cv2.GaussianBlur(np.random.default_rng(0).normal(0.0, 1.0, photo.shape[:2]),
                             (0, 0), 1.0)
    faint = paper - 0.35 * (paper - photo.astype(np.float64))
    photo = np.clip(faint + 9.0 * (grain / grain.std())[..., None], 0, 255).astype(np.uint8)
    assert_reads(photo, boxes, "2947", 0)


@pytest.mark.backend_independent
def test_a_tiny_photo_is_read() -> None:
    # A 24x24 drawing: its strokes a pixel or two wide ("87" before).
    photo, _ = render("470", seed=5)
    small = cv2.resize(photo, (24, 24), interpolation=cv2.INTER_AREA)
    (number,) = read_numbers(small)
    assert (number.text, number.orientation, number.tilt) == ("470", 0, 0.0)
    assert all(0 <= v <= 24 for d in number.digits for v in d.box)


@pytest.mark.backend_independent
def test_a_solid_blob_does_not_set_the_digit_size() -> None:
    # A dark bar (a printed logo, a shadow) as large as all the digits' ink together
    # counts as much as its side, not its area: the digits were specks beside it before.
    from rotkeras.reading._ink import box_of, digit_masks

    contrast = np.zeros((200, 300), np.float32)
    for x in (40, 90, 140, 190):
        cv2.circle(contrast, (x, 60), 12, 1.0, 3)
    contrast[140:180, 20:130] = 1.0
    boxes = sorted(box_of(mask) for mask in digit_masks(contrast, 0.08))
    assert [b[0] for b in boxes if b[3] <= 80] == [26, 76, 126, 176]


@pytest.mark.backend_independent
def test_a_ruled_line_a_little_off_level_is_found() -> None:
    # A rule photographed three degrees off level steps from row to row: no run of one
    # row is long, but the line is.
    from rotkeras.reading._ink import _straight_lines

    ink = np.zeros((120, 400), np.uint8)
    cv2.line(ink, (0, 50), (399, 71), 1, 2)
    cv2.circle(ink, (200, 30), 15, 1, 3)  # a digit above the line
    lines = _straight_lines(ink, 75)
    on_line = ink.astype(bool) & (np.arange(120)[:, None] >= 48)
    assert lines[on_line].mean() > 0.95
    assert not lines[:40].any()
