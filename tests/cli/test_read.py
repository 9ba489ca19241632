"""`rotkeras read`: numbers in photos, as a table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from rotkeras.cli import main
from rotkeras.datasets import make_synthetic_numbers
from tests.test_reading import font_digits

# What this file proves does not depend on the Keras backend: run on TensorFlow only.
pytestmark = pytest.mark.backend_independent

cv2 = pytest.importorskip("cv2")


@pytest.fixture(scope="module")
def photo_file(tmp_path_factory):
    digits, labels = font_digits()
    photos, _, _, _ = make_synthetic_numbers(1, digits, labels, numbers=["502"], size=160,
                                             seed=7, turns=(90,))
    path = tmp_path_factory.mktemp("read") / "number.png"
    cv2.imwrite(str(path), photos[0][..., ::-1])
    return path


def test_json_output_parses(photo_file, capsys) -> None:
    assert main(["read", "--format", "json", str(photo_file)]) == 0
    items = json.loads(capsys.readouterr().out)
    assert [item["file"] for item in items] == [str(photo_file)]
    number = items[0]["numbers"][0]
    assert number["text"] == "502" and number["orientation"] == 90
    assert number["tilt"] == 0.0  # a right-angle turn only
    assert len(number["digits"]) == 3 and len(number["digits"][0]["box"]) == 4


def test_table_and_csv_outputs(photo_file, capsys) -> None:
    assert main(["read", str(photo_file)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["file", "number", "orientation"]
    assert table[1].split()[1:3] == ["502", "90"]
    assert main(["read", "--format", "csv", str(photo_file)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["number"], r["orientation"], r["tilt"]) for r in rows] == [("502", "90", "0.0")]
    assert table[1].split()[table[0].split().index("tilt")] == "0.0"
    assert len(rows[0]["digit_boxes"].split()) == 3


def test_blank_and_broken_files_are_reported(tmp_path, photo_file, capsys) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((60, 60, 3), 230, np.uint8))
    broken = tmp_path / "broken.jpg"
    broken.write_text("not a photo")
    assert main(["read", "--format", "json", str(blank), str(broken), str(photo_file)]) == 1
    captured = capsys.readouterr()
    assert [item["file"] for item in json.loads(captured.out)] == [str(photo_file)]
    assert "no digit found" in captured.err and "broken.jpg" in captured.err
    assert "2 of 3" in captured.err


def test_orientation_option(tmp_path, capsys) -> None:
    # A lone 6 under a number, upside down: one orientation for the photo reads it as a 6,
    # one per number as an upright 9 (with the reader's default weights, which read this 6
    # alone as a 9).
    from rotkeras.models.digit_reader import shipped_weights_path
    from tests.test_reading import render

    top, _ = render("3547", seed=1)
    low, _ = render("6", seed=11)
    path = tmp_path / "two.png"
    cv2.imwrite(str(path), np.ascontiguousarray(np.rot90(np.concatenate([top, low]), 2)))
    found = {}
    # The default weights by name and by their file read the same.
    for mode, weights in (("photo", "shipped"), ("number", "shipped"),
                          ("number", str(shipped_weights_path("shipped")))):
        assert main(["read", "--format", "json", "--orientation", mode, "--weights", weights,
                     str(path)]) == 0
        numbers = json.loads(capsys.readouterr().out)[0]["numbers"]
        found[mode, weights != "shipped"] = sorted((n["text"], n["orientation"]) for n in numbers)
    assert found == {("photo", False): [("3547", 180), ("6", 180)],
                     ("number", False): [("3547", 180), ("9", 0)],
                     ("number", True): [("3547", 180), ("9", 0)]}
    with pytest.raises(SystemExit):
        main(["read", "--orientation", "page", str(path)])
    assert "--orientation" in capsys.readouterr().err
    from rotkeras.cli._parser import build_parser
    from rotkeras.cli.read import run_read
    from rotkeras.reading.numbers import ORIENTATIONS

    with pytest.raises(ValueError, match="'page'"):
        run_read([path], orientation="page")
    # the parser keeps its own list (no numpy for --help): it must name the same modes
    parser = build_parser()
    for mode in ORIENTATIONS:
        assert parser.parse_args(["read", "--orientation", mode, "x.png"]).orientation == mode
