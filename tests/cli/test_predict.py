from __future__ import annotations

import shutil
from pathlib import Path

import keras
import numpy as np
import pytest

from rotkeras.cli import main
from rotkeras.layers import HandwritingPreprocess
from rotkeras.models import mnist_cnn
from tests.helpers import to_numpy

# The command line on top of the library, whose reading is tested on every backend (and
# `rotkeras predict` runs on every backend in the wheel step): run on TensorFlow only.
pytestmark = pytest.mark.backend_independent

cv2 = pytest.importorskip("cv2")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "photos"


@pytest.fixture
def model_path(tmp_path) -> Path:
    path = tmp_path / "cnn.keras"
    mnist_cnn(compile=False).save(path)
    return path


def test_predict_prints_a_table_and_saves_inputs(tmp_path, model_path, capsys) -> None:
    sheet = tmp_path / "seen.png"
    code = main(["predict", str(FIXTURES), "--model", str(model_path),
                 "--save-inputs", str(sheet)])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].split() == ["file", "digit", "confidence"]
    rows = [line.split() for line in lines[1:6]]
    assert [Path(r[0]).name for r in rows] == sorted(p.name for p in FIXTURES.iterdir())
    assert all(0 <= int(r[1]) <= 9 and 0.0 <= float(r[2]) <= 1.0 for r in rows)
    image = cv2.imread(str(sheet), cv2.IMREAD_GRAYSCALE)
    assert image is not None and image.shape[1] == 8 * 112


def test_unreadable_files_are_reported_and_others_still_classified(
    tmp_path, model_path, capsys
) -> None:
    bad = tmp_path / "broken.jpg"
    bad.write_text("not a photo")
    good = tmp_path / "7.jpg"
    shutil.copy(FIXTURES / "7_paper.jpg", good)
    code = main(["predict", str(bad), str(tmp_path / "missing.png"), str(good),
                 "--model", str(model_path)])
    captured = capsys.readouterr()
    assert code == 1
    assert "broken.jpg" in captured.err and "missing.png" in captured.err
    assert "2 of 3" in captured.err
    assert str(good) in captured.out


def test_missing_model_and_orientation_arguments(tmp_path, model_path, capsys) -> None:
    assert main(["predict", str(FIXTURES), "--model", str(tmp_path / "none.keras")]) == 1
    assert "not found" in capsys.readouterr().err
    assert main(["predict", str(FIXTURES), "--model", str(model_path),
                 "--correct-orientation"]) == 1
    assert "--orientation-model" in capsys.readouterr().err


def test_correct_orientation_with_an_angle_model(tmp_path, model_path, capsys) -> None:
    angles = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(),
                               keras.layers.Dense(4, activation="softmax")])
    angle_path = tmp_path / "angles.keras"
    angles.save(angle_path)
    code = main(["predict", str(FIXTURES / "7_paper.jpg"), "--model", str(model_path),
                 "--correct-orientation", "--orientation-model", str(angle_path)])
    assert code == 0
    assert "7_paper.jpg" in capsys.readouterr().out


def test_model_with_embedded_preprocessing(tmp_path, capsys) -> None:
    inputs = keras.Input((256, 256, 3), dtype="uint8")
    x = HandwritingPreprocess()(inputs)
    model = keras.Model(inputs, mnist_cnn(compile=False)(x))
    path = tmp_path / "full.keras"
    model.save(path)
    # A Functional model whose first layer after the input is the preprocessing.
    assert main(["predict", str(FIXTURES / "3_screen.png"), "--model", str(path)]) == 0
    out = capsys.readouterr().out
    assert "3_screen.png" in out
    reference = to_numpy(model(np.zeros((1, 256, 256, 3), np.uint8)))
    assert reference.shape == (1, 10)


def _angle_model(angle_class: int) -> keras.Model:
    """An angle classifier that always predicts `angle_class` of 4."""
    inputs = keras.Input((28, 28, 1))
    dense = keras.layers.Dense(4, activation="softmax", kernel_initializer="zeros",
                               bias_initializer=keras.initializers.Constant(
                                   np.eye(4)[angle_class] * 5.0))
    return keras.Model(inputs, dense(keras.layers.Flatten()(inputs)))


def test_pipeline_keeps_a_non_linear_model_whole(rng) -> None:
    from rotkeras.cli.predict import build_pipeline

    inputs = keras.Input((64, 64, 3), dtype="uint8")
    x = HandwritingPreprocess()(inputs)
    branch = keras.layers.Flatten()(keras.layers.Conv2D(2, 3, name="branch")(x))
    merged = keras.layers.Concatenate()([keras.layers.Flatten()(x), branch])
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(merged))
    photos = (rng.random((3, 64, 64, 3)) * 255).astype("uint8")
    upright = to_numpy(build_pipeline(model, 64)(photos))
    np.testing.assert_allclose(upright["probabilities"], to_numpy(model(photos)), atol=1e-5)
    np.testing.assert_allclose(upright["inputs"], to_numpy(HandwritingPreprocess()(photos)),
                               atol=1e-5)
    # An angle model that sees every digit turned by 90 degrees: the photo is turned back.
    turned = to_numpy(build_pipeline(model, 64, angle_model=_angle_model(1))(photos))
    back = np.rot90(photos, -1, axes=(1, 2))
    np.testing.assert_allclose(turned["probabilities"], to_numpy(model(back)), atol=1e-5)


def test_pipeline_corrects_the_28x28_image_of_a_plain_classifier(rng) -> None:
    from rotkeras.cli.predict import build_pipeline

    classifier = mnist_cnn(compile=False)
    photos = (rng.random((2, 64, 64, 3)) * 255).astype("uint8")
    seen = to_numpy(HandwritingPreprocess()(photos))
    out = to_numpy(build_pipeline(classifier, 64, angle_model=_angle_model(3))(photos))
    np.testing.assert_array_equal(out["inputs"], np.rot90(seen, 1, axes=(1, 2)))
    np.testing.assert_allclose(out["probabilities"], to_numpy(classifier(out["inputs"])),
                               atol=1e-5)


# ------------------------------------------------------------------ bad input, formats
def _reader(size: int = 64) -> keras.Model:
    """A tiny reader of photos with the shipped reader's contract: photos in,
    HandwritingPreprocess inside, `[digits (10), orientation (4)]` probabilities out."""
    photos = keras.Input((size, size, 3), dtype="uint8")
    x = keras.layers.Flatten()(HandwritingPreprocess()(photos))
    digits = keras.layers.Dense(10, activation="softmax", name="digits")(x)
    orientation = keras.layers.Dense(4, activation="softmax", name="orientation")(x)
    return keras.Model(photos, [digits, orientation], name="tiny_reader")


@pytest.fixture
def reader_path(tmp_path) -> Path:
    path = tmp_path / "reader.keras"
    _reader().save(path)
    return path


@pytest.fixture
def labelled(tmp_path) -> Path:
    """Fixture photos in folders named after their digit."""
    root = tmp_path / "labelled"
    for photo in sorted(FIXTURES.iterdir()):
        folder = root / photo.name[0]
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(photo, folder / photo.name)
    return root


def _predict(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["predict", *args, "--size", "64"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_and_csv_match_the_table(reader_path, capsys) -> None:
    import csv
    import io
    import json

    common = [str(FIXTURES), "--model", str(reader_path), "--top-k", "3"]
    code, table, _ = _predict(capsys, *common)
    assert code == 0
    header, *lines = table.strip().splitlines()
    assert header.split() == ["file", "digit", "confidence", "orientation",
                              "orientation_confidence", "tilt", "digit_2", "confidence_2",
                              "digit_3", "confidence_3"]
    table_rows = [line.split() for line in lines]
    code, text, _ = _predict(capsys, *common, "--format", "json")
    assert code == 0
    items = json.loads(text)
    code, text, _ = _predict(capsys, *common, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(items) == len(rows) == len(table_rows) == len(list(FIXTURES.iterdir()))
    for item, row, cells in zip(items, rows, table_rows, strict=True):
        assert item["file"] == row["file"] == cells[0]
        assert item["digit"] == int(row["digit"]) == int(cells[1])
        assert item["confidence"] == pytest.approx(float(row["confidence"]), abs=1e-6)
        assert float(cells[2]) == pytest.approx(item["confidence"], abs=1e-3)
        assert item["orientation"] in (0, 90, 180, 270)
        assert item["orientation"] == int(row["orientation"]) == int(cells[3])
        assert 0.25 <= item["orientation_confidence"] <= 1.0
        assert item["tilt"] == float(row["tilt"]) == float(cells[5])
        assert row["tilt"] == cells[5] == f"{item['tilt']:.1f}"  # a tenth, not 0.000000
        top = item["top_k"]
        assert [t["digit"] for t in top] == [item["digit"], int(row["digit_2"]),
                                             int(row["digit_3"])]
        assert top[0]["probability"] == item["confidence"]
        probabilities = [t["probability"] for t in top]
        assert probabilities == sorted(probabilities, reverse=True)
        assert len({t["digit"] for t in top}) == 3


def test_summary_per_label_on_a_labelled_folder(labelled, reader_path, capsys) -> None:
    import json

    code, out, err = _predict(capsys, str(labelled), "--model", str(reader_path))
    assert code == 0
    table, summary = out.strip().split("\n\n")
    rows = [line.split() for line in table.splitlines()[1:]]
    lines = summary.splitlines()
    assert lines[0].split() == ["label", "files", "correct", "accuracy"]
    per_label = {int(cells[0]): cells[1:] for cells in map(str.split, lines[1:-1])}
    assert sorted(per_label) == [1, 2, 3, 5, 7]
    correct = sum(int(r[1]) == int(Path(r[0]).parent.name) for r in rows)
    assert lines[-1].split()[:3] == ["all", str(len(rows)), str(correct)]
    # JSON stays a list on stdout; the summary goes to stderr.
    code, out, err = _predict(capsys, str(labelled), "--model", str(reader_path),
                              "--format", "json")
    items = json.loads(out)
    assert [item["label"] for item in items] == [int(Path(i["file"]).parent.name)
                                                 for i in items]
    assert "label  files  correct  accuracy" in err


def test_no_summary_for_unlabelled_inputs(reader_path, capsys) -> None:
    code, out, _ = _predict(capsys, str(FIXTURES), "--model", str(reader_path))
    assert code == 0 and "accuracy" not in out


def test_bad_files_are_reported_and_good_results_kept(tmp_path, reader_path, capsys,
                                                      monkeypatch) -> None:
    import json

    import rotkeras.cli.predict as predict

    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("1_ruled.jpg", "3_screen.png", "7_paper.jpg"):
        shutil.copy(FIXTURES / name, folder / name)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    real = predict.letterbox

    def flaky(image, size, **kwargs):  # any failure of one file, not just OSError/ValueError
        if image.shape[:2] == (100, 100):  # 3_screen.png
            raise RuntimeError("simulated failure")
        return real(image, size, **kwargs)

    monkeypatch.setattr(predict, "letterbox", flaky)
    code, out, err = _predict(capsys, str(folder), "--model", str(reader_path),
                              "--format", "json")
    assert code == 1
    assert [Path(i["file"]).name for i in json.loads(out)] == ["1_ruled.jpg", "7_paper.jpg"]
    assert "broken.png" in err and "3_screen.png: RuntimeError: simulated failure" in err
    assert "2 of 4" in err


def test_a_failure_inside_the_model_loses_only_its_file(tmp_path, reader_path, capsys,
                                                        monkeypatch) -> None:
    import rotkeras.cli.predict as predict

    real = predict._run

    def run(pipeline, photos):
        if len(photos) > 1 or photos.mean() > 150:  # 7_paper.jpg: light paper
            raise MemoryError("simulated")
        return real(pipeline, photos)

    monkeypatch.setattr(predict, "_run", run)
    code, out, err = _predict(capsys, str(FIXTURES / "3_screen.png"),
                              str(FIXTURES / "7_paper.jpg"), "--model", str(reader_path))
    assert code == 1
    assert "3_screen.png" in out and "7_paper.jpg" not in out
    assert "7_paper.jpg: MemoryError: simulated" in err


def test_outputs_are_checked_before_the_work(tmp_path, reader_path, capsys,
                                             monkeypatch) -> None:
    import rotkeras.cli.predict as predict

    monkeypatch.setattr(predict, "read_image", lambda *a, **k: pytest.fail("work started"))
    for target, message in [("seen.xyz", "xyz"), ("seen", "no extension"),
                            (str(tmp_path), "folder")]:
        code, _, err = _predict(capsys, str(FIXTURES), "--model", str(reader_path),
                                "--save-inputs", str(tmp_path / target))
        assert code == 1 and message in err and "Traceback" not in err


def test_a_non_model_file_is_named_as_such(tmp_path, capsys) -> None:
    notes = tmp_path / "notes.keras"
    notes.write_text("these are my notes")
    code, _, err = _predict(capsys, str(FIXTURES), "--model", str(notes))
    assert code == 1
    assert "not a Keras model" in err and "notes.keras" in err and "not found" not in err


def test_default_model_is_the_shipped_reader(monkeypatch, capsys) -> None:
    import json

    import rotkeras.cli.predict as predict

    monkeypatch.setattr(predict, "_default_model", lambda: _reader())
    code, out, _ = _predict(capsys, str(FIXTURES / "7_paper.jpg"), "--format", "json")
    assert code == 0
    (item,) = json.loads(out)
    assert set(item) >= {"file", "digit", "confidence", "orientation",
                         "orientation_confidence", "tilt"}


@pytest.mark.parametrize("angle", [-30.0, 20.0])
def test_a_photo_turned_in_an_editor_reports_its_tilt(tmp_path, reader_path, angle,
                                                      capsys, monkeypatch) -> None:
    import json

    import cv2

    import rotkeras.cli.predict as predict
    import rotkeras.datasets.photos as photos
    from benchmarks.photos_heldout import editor_turned
    from rotkeras.datasets import read_image, straighten_turned_photo

    calls = []  # each photo is turned back once: a second pass would turn it again

    def counted(image):
        calls.append(image.shape)
        return straighten_turned_photo(image)

    monkeypatch.setattr(predict, "straighten_turned_photo", counted)
    monkeypatch.setattr(photos, "straighten_turned_photo", counted)

    photo = read_image(FIXTURES / "7_paper.jpg")
    for name, image in (("level.png", photo), ("turned.png", editor_turned(photo, angle, 0))):
        cv2.imwrite(str(tmp_path / name), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    code, out, _ = _predict(capsys, str(tmp_path), "--model", str(reader_path),
                            "--format", "json")
    assert code == 0 and len(calls) == 2
    tilts = {Path(item["file"]).name: item["tilt"] for item in json.loads(out)}
    assert tilts["level.png"] == 0.0
    assert tilts["turned.png"] == pytest.approx(angle, abs=1.0)


@pytest.mark.parametrize("args", [["--top-k", "0"], ["--top-k", "11"], ["--format", "xml"]])
def test_bad_options(args, capsys) -> None:
    with pytest.raises(SystemExit):
        main(["predict", str(FIXTURES), *args])
    assert "predict" in capsys.readouterr().err


def test_a_blank_photo_is_reported_not_guessed(tmp_path, reader_path, capsys) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((64, 64, 3), 230, np.uint8))
    code, out, err = _predict(capsys, str(blank), str(FIXTURES / "7_paper.jpg"),
                              "--model", str(reader_path))
    assert code == 1
    assert "7_paper.jpg" in out and "blank.png" not in out
    assert "blank.png: no digit found" in err
