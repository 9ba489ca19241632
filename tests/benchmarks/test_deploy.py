"""The deploy benchmark's off-the-shelf reader and ratios: tiny inputs, no timing assertions."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from benchmarks import deploy

# What this file proves does not depend on the Keras backend: run on TensorFlow only.
pytestmark = [pytest.mark.backend_independent,
              pytest.mark.skipif(sys.platform == "win32", reason="a shell-script stand-in")]


def _stand_in(tmp_path, answers: list[str]):
    """A `tesseract` stand-in that prints one answer per call, in turn, and logs its args."""
    (tmp_path / "answers").write_text("\n".join(answers) + "\n")
    program = tmp_path / "tesseract"
    program.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "--version" ]; then echo "tesseract 0.0-test"; exit 0; fi\n'
        f'echo "$@" >> {tmp_path}/calls\n'
        f'n=$(wc -l < {tmp_path}/calls)\n'
        f'sed -n "${{n}}p" {tmp_path}/answers\n'
    )
    program.chmod(0o755)
    return str(program)


def test_tesseract_reader_counts_right_wrong_and_missing_answers(tmp_path) -> None:
    photos = np.zeros((4, 16, 16, 3), np.uint8)
    program = _stand_in(tmp_path, ["7", " 3\f", "", "12"])
    result = deploy.tesseract_reader(photos, np.array([7, 3, 5, 2]), program=program)
    assert result["photos"] == 4
    assert result["accuracy"] == 0.5  # "7" and "3" right; no answer and "1" wrong
    assert result["no_answer"] == 0.25
    assert result["program"] == "tesseract 0.0-test"
    calls = (tmp_path / "calls").read_text().splitlines()
    assert len(calls) == 4 and all("--psm 10" in call and call.endswith(".png stdout --psm 10 "
                                   "-c tessedit_char_whitelist=0123456789") for call in calls)


def test_tesseract_reader_is_skipped_with_a_message_without_the_program(monkeypatch) -> None:
    monkeypatch.setattr(deploy.shutil, "which", lambda name: None)
    result = deploy.tesseract_reader(np.zeros((1, 8, 8, 3), np.uint8), np.array([1]))
    assert set(result) == {"skipped"}
    assert "tesseract" in result["skipped"] and "not installed" in result["skipped"]


def test_keras_ratios() -> None:
    costs = {"keras_predict_batch32_s": 0.2, "shipped_onnx_reader_batch32_s": 0.05,
             "tflite_batch32_s": 0.1, "keras_latency_one_photo_s": 0.3,
             "onnx_latency_one_photo_s": 0.1, "tflite_latency_one_photo_s": 0.15}
    assert deploy.keras_ratios(costs) == pytest.approx(
        {"onnx_batch32": 4.0, "tflite_batch32": 2.0, "onnx_one_photo": 3.0,
         "tflite_one_photo": 2.0})



def test_agreement_counts_same_readings_and_the_largest_difference() -> None:
    want = [np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]), np.array([[1.0, 0.0]] * 3)]
    got = [np.array([[0.8, 0.2], [0.7, 0.3], [0.6, 0.4]]), np.array([[0.9, 0.1]] * 3)]
    assert deploy.agreement(got, want) == {"photos": 3, "same_digit": 2, "same_orientation": 3,
                                           "max_abs_probability_difference": pytest.approx(0.5)}
