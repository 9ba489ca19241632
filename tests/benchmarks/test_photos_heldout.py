"""The leave-source-out photo benchmark: folds, fast tuning readings, a tiny end-to-end run."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from benchmarks import photos_heldout

# A benchmark tool on top of the reader, which is tested on every backend: run on
# TensorFlow only.
pytestmark = pytest.mark.backend_independent


def test_folds_never_split_a_source() -> None:
    groups = np.asarray(["a"] * 5 + ["b"] * 3 + ["c"] * 3 + ["d"] * 2 + ["e"])
    fold = photos_heldout.fold_of(groups, 3)
    for name in set(groups.tolist()):
        assert len(set(fold[groups == name].tolist())) == 1
    assert sorted(set(fold.tolist())) == [0, 1, 2]


def test_fast_readings_apply_the_prior_exactly() -> None:
    # One pass of the network: the prior applied to the joint probabilities afterwards
    # gives what the reader built with that prior reads.
    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(6, 28, 28, 1)) > 0.75).astype("float32")
    views = {name: x for name in photos_heldout.VIEWS}
    readings = photos_heldout.fast_readings(views, [0])
    for prior in (0.4, 0.75):
        core = photos_heldout.reader_core(prior, shift_average=False)
        expected = photos_heldout.read(core, x)
        got = photos_heldout.fast_read(readings, "upright", prior, [], 0.0)
        np.testing.assert_array_equal(got, expected)


def test_tilted_view_keeps_the_paper_colour() -> None:
    photo = np.full((256, 256, 3), 200, np.uint8)
    photo[100:160, 120:130] = 20
    tilted = photos_heldout.tilt_photo(photo, 30.0)
    assert tilted.shape == photo.shape
    assert tilted[0, 0].tolist() == [200, 200, 200]  # a corner that came in
    assert tilted.min() < 60  # the stroke is still there


@pytest.mark.parametrize("corners", ["black", "white"])
def test_a_photo_turned_in_an_editor_is_letterboxed_with_paper_corners(corners: str) -> None:
    photo = np.full((200, 150, 3), 180, np.uint8)
    photo[70:130, 70:80] = 20
    turned = photos_heldout.editor_turned(photo, 30.0, photos_heldout.CORNERS[corners])
    assert turned[0, 0].tolist() == [photos_heldout.CORNERS[corners]] * 3
    view = photos_heldout.view_photo(photo, "tilt+30", size=64, corners=corners)
    assert view.shape == (64, 64, 3)
    assert abs(int(view[0, 0, 0]) - 180) <= 3 and abs(int(view[-1, -1, 0]) - 180) <= 3
    assert view.min() < 100  # the stroke is still there


def test_runs_on_a_tiny_folder(tmp_path) -> None:
    rows = ["file,label,repo,commit,path,kind"]
    for n, (digit, source) in enumerate([(1, "a/x"), (7, "b/y"), (1, "c/z"), (7, "d/w")]):
        folder = tmp_path / str(digit)
        folder.mkdir(exist_ok=True)
        photo = np.full((96, 96, 3), 230, np.uint8)
        photo[15:80, 44:52] = 25
        if digit == 7:
            photo[15:23, 25:52] = 25
        cv2.imwrite(str(folder / f"p{n}.png"), photo)
        rows.append(f"{digit}/p{n}.png,{digit},{source},0,p.png,photo")
    (tmp_path / "SOURCES.csv").write_text("\n".join(rows) + "\n")
    output = photos_heldout.run(str(tmp_path), folds=2, tune=False)
    assert output["count"] == 4 and output["sources"] == 4
    assert set(output["held_out"]["all"]) >= {"upright", "turned", "tilted", "count"}
    assert "| all | 4 |" in photos_heldout.to_markdown(output)
