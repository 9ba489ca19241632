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
    assert "none.keras" in capsys.readouterr().err
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
