"""Smoke tests of the benchmark suite (`benchmarks/`): tiny sizes, no timing assertions."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import _common, augmentation, inference, run, training


@pytest.fixture
def no_mnist(monkeypatch):
    """Makes the benchmarks use random stand-in data instead of a real MNIST file."""
    monkeypatch.delenv("ROTKERAS_MNIST", raising=False)
    monkeypatch.setattr(_common, "DEFAULT_MNIST", "/nonexistent/mnist.npz")


def test_parse_limits():
    assert run._parse_limits(None, ["tensorflow"]) == {}
    assert run._parse_limits("100", ["jax"])["jax"] == 100
    assert run._parse_limits("jax=5,torch=7", ["jax", "torch"]) == {"jax": 5, "torch": 7}
    with pytest.raises(ValueError, match="numpy=3"):
        run._parse_limits("numpy=3", ["jax"])


def test_rotate_test_set_is_exact():
    x = np.random.default_rng(0).random((16, 28, 28, 1), dtype=np.float32)
    rotated = _common.rotate_test_set(x, seed=1)
    for image, turned in zip(x, rotated, strict=True):
        assert any(np.array_equal(np.rot90(image, k), turned) for k in range(4))


def test_markdown_table():
    table = _common.markdown_table(["a", "b"], [["x", 1234.5], ["y", float("nan")]])
    assert table.splitlines() == ["| a | b |", "|---|---|", "| x | 1,234 |", "| y | n/a |"]


def test_load_data_without_file(no_mnist):
    data = _common.load_data(None, quick=True)
    assert data["x_train"].shape[1:] == (28, 28, 1)
    assert "random" in str(data["source"])


@pytest.mark.slow
def test_augmentation_quick():
    result = augmentation.run(quick=True)
    names = [row["method"] for row in result["rows"]]
    assert "np.copy (memory floor)" in names
    assert "RandomRightAngleRotation, tf.data" in names
    assert "RandomAnyAngleRotation, tf.data" in names
    assert "keras.layers.RandomFlip, tf.data" in names
    assert augmentation.FLOOR in names
    assert result["ratios"]["ours_tf_data_vs_floor"] > 0
    assert "train step (jit_compile=True): RandomAnyAngleRotation" in names
    assert result["ratios"]["any_angle_train_step_vs_keras_train_step"] > 0
    assert all(row["images_per_second"] > 0 for row in result["rows"])
    assert "faster" in augmentation.to_markdown(result)


@pytest.mark.slow
def test_inference_quick():
    result = inference.run(quick=True, batch_size=64)
    assert result["rows"][0]["model"] == "mnist_cnn"
    assert all(row["images_per_second"] > 0 for row in result["rows"])
    assert "images/s" in inference.to_markdown(result)


@pytest.mark.slow
def test_training_quick(no_mnist):
    result = training.run(quick=True, keras_rotation_samples=64)
    paths = [row["path"] for row in result["rows"]]
    assert paths[:2] == ["tutorial fit (NumPy arrays)", "rotkeras fit_classifier"]
    for row in result["rows"]:
        assert len(row["epoch_seconds"]) == 1
        assert 0.0 <= row["test_accuracy"] <= 1.0
    assert "augmentation overhead" in training.to_markdown(result)
    from rotkeras.training import recommended_dtype_policy

    policy = recommended_dtype_policy()
    overheads = result["augmentation_overhead_by_precision"]
    assert list(overheads) == list(dict.fromkeys([policy, "float32"]))
    for precision, overhead in overheads.items():
        assert overhead["precision"] == precision
        assert overhead["rounds"] == 2
        assert [len(v) for v in overhead["fit_seconds"].values()] == [2, 2]
        low, high = overhead["wall_overhead_quartiles"]
        assert low <= overhead["wall_overhead"] <= high
    assert result["ratios"]["paired_augmentation_overhead"] == \
        overheads[policy]["wall_overhead"]
    assert "paired fits" in training.to_markdown(result)
    assert result["ratios"]["recommended_precision"] == policy
    if policy != "float32":
        assert f"rotkeras fit_classifier + RandomRightAngleRotation, {policy}" in paths
        assert "cpu_float32_aug_vs_tutorial_fit" in result["ratios"]


@pytest.mark.backend_independent  # a tool on top of the reader and evaluation
def test_photos_benchmark_measures_saved_models(tmp_path, capsys, monkeypatch):
    import json
    import sys
    from pathlib import Path

    import rotkeras
    from benchmarks import photos

    models = tmp_path / "models"
    models.mkdir()
    rotkeras.models.mnist_cnn().save(models / "reference.keras")
    rotkeras.models.angle_classifier().save(models / "angle_classifier.keras")
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "photos"
    out = tmp_path / "photos.json"
    monkeypatch.setitem(sys.modules, "rotkeras.models.digit_reader", None)  # not installed
    rng = np.random.default_rng(0)
    mnist = tmp_path / "mnist.npz"
    np.savez(mnist, x_test=rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
             y_test=rng.integers(0, 10, 20).astype(np.uint8))
    photos.main([str(fixtures), "--models-dir", str(models), "--out", str(out),
                 "--mnist", str(mnist)])
    result = json.loads(out.read_text())
    assert list(result["models"]) == ["reference"]
    turned = result["result"]["turned"]["reference"]["all"]
    assert set(turned) == {"0", "90", "-90", "180"}
    notes = result["result"]["notes"]
    assert any("angle_classifier.keras" in note for note in notes)
    assert any("not part of this installation" in note for note in notes)
    assert set(result["mnist"]["scores"]["reference"]) == {"upright", "rotated", "combined"}
    printed = capsys.readouterr().out
    assert "| reference |" in printed and "photos 90°" in printed and "MNIST upright" in printed


@pytest.mark.backend_independent  # a tool on top of the reader and evaluation
def test_photos_benchmark_scores_the_readers_network_on_mnist(tmp_path):
    from benchmarks import photos
    from rotkeras.evaluation import rotation_robustness
    from rotkeras.models.digit_reader import CORE_NAME, digit_reader

    rng = np.random.default_rng(1)
    mnist = tmp_path / "mnist.npz"
    x_test = rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)
    y_test = rng.integers(0, 10, 12).astype(np.uint8)
    np.savez(mnist, x_test=x_test, y_test=y_test)
    reader = digit_reader(weights=None)
    photo_model = _plain_photo_model()
    scores = photos.mnist_scores({"reader": reader, "photo_model": photo_model}, str(mnist))
    assert list(scores) == ["reader"]
    expected = rotation_robustness(reader.get_layer(CORE_NAME), x_test, y_test)
    assert scores["reader"] == expected


def _plain_photo_model():
    """A photo classifier without a 28x28 network by the reader's name."""
    import keras

    from rotkeras.layers import HandwritingPreprocess

    inputs = keras.Input((64, 64, 3), dtype="uint8")
    features = keras.layers.Flatten()(HandwritingPreprocess()(inputs))
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(features))
