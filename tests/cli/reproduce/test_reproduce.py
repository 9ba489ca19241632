"""End-to-end tests of `rotkeras reproduce` on a small synthetic MNIST-format file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from rotkeras import _io
from rotkeras.cli.reproduce import ReproduceConfig, phase_names, reproduce
from rotkeras.cli.reproduce.registry import percent


def _digit_like_npz(path: Path, n_train: int, n_test: int) -> Path:
    """Writes an npz of 28x28 'digits': one bar per class at a class-specific place."""
    rng = np.random.default_rng(0)

    def make(n: int) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = (rng.random((n, 28, 28)) * 40).astype(np.uint8)
        for i, label in enumerate(labels):
            row = 4 + 2 * int(label)
            images[i, row : row + 2, 6:14 + int(label)] = 255
        return images, labels

    x_train, y_train = make(n_train)
    x_test, y_test = make(n_test)
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


@pytest.fixture(scope="module")
def small_npz(tmp_path_factory) -> Path:
    return _digit_like_npz(tmp_path_factory.mktemp("data") / "mnist.npz", 600, 120)


def _check_outputs(out: Path, config: ReproduceConfig) -> dict:
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["phases"]) == set(phase_names(config))
    for name in ("reference", "solution2_static", "solution2_onthefly", "solution1",
                 "rotation_robust", "full_circle"):
        scores = metrics["models"][name]
        assert all(0.0 <= scores[k] <= 1.0 for k in ("upright", "rotated", "combined"))
        assert keras.saving.load_model(out / "models" / f"{name}.keras") is not None
    full_circle = keras.saving.load_model(out / "models" / "full_circle.keras")
    assert full_circle.output_shape == (None, 10)
    summary = metrics["phases"]["angle_sweep"]["summary"]["full_circle"]
    assert 0.0 <= summary["worst"] <= summary["mean"] <= 1.0
    report = (out / "report.md").read_text()
    assert "Reference CNN" in report and "99.15%" in report and "97.97%" in report
    assert "| model | mean over the 24 angles | worst angle | upright |" in report
    assert "Full-circle digit model" in report
    for figure in metrics["figures"]:
        assert (out / figure).stat().st_size > 1000
    assert (out / "figures" / "accuracy_vs_angle.png").exists()
    assert (out / "classification_reports" / "reference_upright.txt").exists()
    assert not list(out.rglob(f"{_io.TEMP_PREFIX}*"))
    assert not (out / "backup").exists()
    return metrics


FIXTURE_PHOTOS = Path(__file__).resolve().parents[2] / "fixtures" / "photos"


# The main job end to end (CI's slow tier runs it once, on TensorFlow).
@pytest.mark.slow
def test_quick_run_writes_every_output_and_skips_finished_phases(small_npz, tmp_path, capsys):
    # In mixed bfloat16, which `--precision auto` picks on CPUs with native bfloat16: every
    # network of the run must compute in it, with float32 probabilities.
    config = ReproduceConfig(out=tmp_path / "run", data=str(small_npz), quick=True,
                             photos=FIXTURE_PHOTOS, precision="mixed_bfloat16")
    first = reproduce(config)
    # Not a terminal (captured): one plain line per epoch, no progress bar redraws.
    log = capsys.readouterr().out
    assert "\r" not in log and "\x08" not in log and "\x1b" not in log
    assert "epoch 1/1" in log
    _check_outputs(tmp_path / "run", config)
    sweep = first["phases"]["angle_sweep"]
    assert sweep["angles"] == list(range(0, 360, 15))
    # The rotation-robust model: its recipe (batch 128, 1 epoch in quick mode), its
    # headline row, its curve, two outputs (digits, orientation).
    robust = first["phases"]["rotation_robust"]
    assert robust["recipe"]["epochs"] == 1 and robust["recipe"]["batch_size"] == 128
    assert 0.0 <= robust["orientation_accuracy_rotated"] <= 1.0
    assert set(sweep["accuracy"]) == {"reference", "solution2_static", "solution2_onthefly",
                                      "solution1", "rotation_robust", "full_circle"}
    report = (tmp_path / "run" / "report.md").read_text()
    assert "| Rotation-robust p4 CNN (rotkeras) |" in report
    model = keras.saving.load_model(tmp_path / "run" / "models" / "rotation_robust.keras")
    assert len(model.outputs) == 2
    assert first["meta"]["settings"]["precision"] == "mixed_bfloat16"
    assert "precision mixed_bfloat16" in report
    for name in ("reference", "solution2_static", "solution2_onthefly", "angle_classifier"):
        tutorial = keras.saving.load_model(tmp_path / "run" / "models" / f"{name}.keras")
        policies = {layer.name: layer.dtype_policy.name for layer in tutorial.layers}
        assert policies["conv1"] == "mixed_bfloat16", name
        assert policies["probabilities"] == "float32", name
    train_log = json.loads((tmp_path / "run" / "models" / "rotation_robust.json").read_text())
    assert train_log["epochs"] == 1
    # The full-circle model's own recipe: batch 128, 1 epoch in quick mode.
    assert first["phases"]["full_circle"]["recipe"] == {"epochs": 1, "batch_size": 128}
    # Photos: every model upright and turned, next to its MNIST numbers.
    photos = first["phases"]["photos"]
    assert set(photos["turned"]) >= set(first["models"])
    assert set(photos["turned"]["rotation_robust"]["all"]) == {"0", "90", "-90", "180"}
    section = report[report.index("Photos of handwriting"):]
    assert "| model | MNIST upright | MNIST combined |" in section
    robust_upright = percent(first["models"]["rotation_robust"]["upright"])
    assert f"| p4 CNN | {robust_upright} |" in section
    # A second run finds every phase done and rebuilds the same numbers.
    second = reproduce(config)
    assert second["models"] == first["models"]
    assert "done in an earlier run" in capsys.readouterr().out


def test_settings_mismatch_and_unwritable_output(small_npz, tmp_path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    _io.write_json(out / "run.json", {"settings": {"epochs": 99}})
    config = ReproduceConfig(out=out, data=str(small_npz), quick=True, quiet=True)
    with pytest.raises(ValueError, match="different settings"):
        reproduce(config)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(PermissionError, match="file"):
        reproduce(ReproduceConfig(out=blocker / "sub", data=str(small_npz), quick=True))


def test_missing_dataset_message(tmp_path) -> None:
    config = ReproduceConfig(out=tmp_path / "run", data=str(tmp_path / "nope.npz"), quick=True)
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        reproduce(config)


@pytest.mark.slow
def test_killed_run_resumes_without_corrupt_files(tmp_path) -> None:
    data = _digit_like_npz(tmp_path / "mnist.npz", 3000, 200)
    out = tmp_path / "run"
    command = [sys.executable, "-m", "rotkeras.cli", "reproduce", "--data", str(data), "--out",
               str(out), "--quick", "--epochs", "2", "--quiet"]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    state = out / "backup" / "reference" / "state.json"
    deadline = time.monotonic() + 300
    while not state.exists() and time.monotonic() < deadline:
        assert process.poll() is None, "the run ended before its first epoch was backed up"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (out / "phases" / "reference.json").exists(), "killed too late: phase finished"
    assert not (out / "models" / "reference.keras").exists()

    resumed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    config = ReproduceConfig(out=out, data=str(data), quick=True, epochs=2)
    metrics = _check_outputs(out, config)
    # The reference training resumed after its first epoch: the second process ran one.
    assert "reference CNN: resuming after epoch 1/2" in resumed.stdout
    assert resumed.stdout.count("reference CNN: epoch") == 1
    assert "reference CNN: epoch 2/2" in resumed.stdout
    assert metrics["meta"]["settings"]["epochs"] == 2


def test_precision_is_resolved_recorded_and_checked_on_resume(small_npz, tmp_path) -> None:
    from rotkeras.cli.reproduce import Runner

    out = tmp_path / "run"
    out.mkdir()
    # A folder written before --precision existed holds a float32 run: it resumes as one ...
    _io.write_json(out / "run.json", {"settings": {"epochs": 1, "batch_size": 64, "seed": 0,
                                                   "quick": True}})
    Runner(ReproduceConfig(out=out, quick=True, precision="float32")).prepare_output()
    # ... and refuses another precision.
    with pytest.raises(ValueError, match="mixed_bfloat16"):
        Runner(ReproduceConfig(out=out, quick=True, precision="mixed_bfloat16")).prepare_output()
    with pytest.raises(ValueError, match="'half'"):
        reproduce(ReproduceConfig(out=tmp_path / "other", data=str(small_npz), quick=True,
                                  precision="half"))


@pytest.fixture
def only_new_phases():
    """Empties the phase registry for a test; returns the `phase` decorator."""
    from rotkeras.cli.reproduce import registry

    saved = dict(registry.PHASES)
    registry.PHASES.clear()
    yield registry.phase
    registry.PHASES.clear()
    registry.PHASES.update(saved)


def test_a_registered_phase_runs_resumes_and_reports(only_new_phases, small_npz, tmp_path,
                                                     capsys) -> None:
    phase = only_new_phases
    calls = []

    @phase("count", "counting the test images", heading="Counting")
    def count(run) -> dict:
        calls.append(run.config.seed)
        return {"n": len(run.data()["x_test"])}

    @count.section
    def _(result: dict, results: dict) -> list[str]:
        return [f"{result['n']} test images."]

    config = ReproduceConfig(out=tmp_path / "run", data=str(small_npz), quick=True, quiet=True)
    assert phase_names(config) == ["count"]
    metrics = reproduce(config)
    assert metrics["phases"]["count"]["n"] == 120
    report = (tmp_path / "run" / "report.md").read_text()
    assert "## 1. Counting\n\n120 test images." in report
    assert reproduce(config)["phases"]["count"]["n"] == 120
    assert calls == [0]  # the second run found the phase done
    assert "count: done in an earlier run" in capsys.readouterr().out
    with pytest.raises(ValueError, match="'count'"):
        phase("count", "again")(lambda run: {})


def test_time_left_counts_the_work_of_every_phase_still_to_run(only_new_phases, small_npz,
                                                                tmp_path, capsys) -> None:
    phase = only_new_phases

    @phase("first", "one unit of work", other_cost=1.0)
    def first(run) -> dict:
        time.sleep(1.0)
        return {}

    @phase("second", "three units of work", epochs=lambda config: 2, epoch_cost=1.0,
           other_cost=1.0)
    def second(run) -> dict:
        return {}

    config = ReproduceConfig(out=tmp_path / "run", data=str(small_npz), quick=True, quiet=True)
    assert registry_costs(config) == {"first": (0.0, 1.0), "second": (2.0, 1.0)}
    reproduce(config)
    lines = capsys.readouterr().out.splitlines()
    start = next(line for line in lines if line.startswith("[2/2] second: three units"))
    # One unit took about a second: three units are left when the second phase starts.
    assert start.endswith("about 3s left]"), start
    assert "left" not in next(line for line in lines if line.startswith("[1/2] first: one"))
    # Run again with the first phase to redo: the second, done, is not counted as left.
    (tmp_path / "run" / "phases" / "first.json").unlink()
    reproduce(config)
    lines = capsys.readouterr().out.splitlines()
    assert next(line for line in lines if line.startswith("[1/2] first: finished")).endswith(
        "about 0s left]")


def registry_costs(config: ReproduceConfig) -> dict[str, tuple[float, float]]:
    from rotkeras.cli.reproduce.registry import PHASES

    return {name: PHASES[name].cost(config) for name in phase_names(config)}
