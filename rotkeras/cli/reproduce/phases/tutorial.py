"""The tutorial's networks: the reference CNN, Solution 2 (static and on the fly), Solution 1."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from rotkeras.cli.reproduce.registry import (
    TUTORIAL,
    TUTORIAL_ANGLES,
    percent,
    phase,
    tutorial_epochs,
)
from rotkeras.datasets import rotate_right_angles
from rotkeras.datasets.tutorial import TUTORIAL_TURNS
from rotkeras.evaluation import predict_classes
from rotkeras.layers import RandomRightAngleRotation
from rotkeras.models import angle_classifier, orientation_corrected

if TYPE_CHECKING:  # annotations only: the runner imports the phases, not the reverse
    from rotkeras.cli.reproduce.runner import Runner


@phase("reference", "reference CNN, tutorial recipe", epochs=tutorial_epochs,
       epoch_cost=1.0, other_cost=0.35, model="Reference CNN", column="Reference CNN",
       published=f"{percent(TUTORIAL['reference_upright'])} upright; fails on rotated digits",
       confusion=("upright", "rotated"), heading="Reference CNN")
def reference(run: Runner) -> dict[str, Any]:
    d = run.data()
    model = run.train("reference", run.classifier, d["x_train"], d["y_train"], "reference CNN")
    return run.evaluate(model, "reference")


@reference.section
def _reference_section(result: dict[str, Any], results: dict[str, Any]) -> list[str]:
    return ["The tutorial's network (130,890 parameters), Adam, trained on upright digits "
            "only. Classification report on the upright test set:", "", "```text",
            result["upright_details"]["classification_report"].rstrip(), "```",
            "", "On the rotated test set:", "", "```text",
            result["rotated_details"]["classification_report"].rstrip(),
            "```", "", "![confusion](figures/confusion_reference_upright.png)",
            "![confusion](figures/confusion_reference_rotated.png)"]


@phase("solution2_static", "Solution 2, original + static rotated copies (tutorial)",
       epochs=tutorial_epochs, epoch_cost=1.9, other_cost=0.55,
       model="Solution 2, static rotated copies (tutorial)", column="Solution 2, static",
       published=f"{percent(TUTORIAL['solution2_combined'])} combined",
       heading="Solution 2: rotation augmentation")
def solution2_static(run: Runner) -> dict[str, Any]:
    d = run.data()
    rotated = rotate_right_angles(d["x_train"], d["y_train"], TUTORIAL_ANGLES, seed=run.seed)
    x = np.concatenate([d["x_train"], rotated.images])
    y = np.concatenate([d["y_train"], rotated.labels])
    model = run.train("solution2_static", run.classifier, x, y, "Solution 2 (static copies)")
    return run.evaluate(model, "solution2_static")


@solution2_static.section
def _solution2_section(result: dict[str, Any], results: dict[str, Any]) -> list[str]:
    lines = ["*Static* is the tutorial's recipe: the training set plus one copy of every "
             "image turned by 90, -90 or 180 degrees (twice the images per epoch). "
             "*On the fly* puts `RandomRightAngleRotation` in the model with the same angle "
             "distribution (half upright, a sixth each of 90, -90 and 180 degrees), drawn "
             "afresh for every batch; it sees each image once per epoch.", ""]
    for name in ("solution2_static", "solution2_onthefly"):
        if name in results:
            lines.append(f"![confusion](figures/confusion_{name}_rotated.png)")
    return lines


@phase("solution2_onthefly", "Solution 2, on-the-fly RandomRightAngleRotation",
       epochs=tutorial_epochs, epoch_cost=1.0, other_cost=3.8,
       model="Solution 2, on-the-fly RandomRightAngleRotation",
       column="Solution 2, on the fly")
def solution2_onthefly(run: Runner) -> dict[str, Any]:
    d = run.data()

    def build() -> Any:
        # The tutorial's training distribution (half upright, the rest 90/-90/180), redrawn
        # for every batch instead of fixed once.
        augmentation = RandomRightAngleRotation(
            angles=(0, *TUTORIAL_ANGLES), probabilities=TUTORIAL_TURNS,
            seed=run.seed, name="random_right_angle_rotation",
        )
        return run.classifier(preprocessing=augmentation)

    model = run.train("solution2_onthefly", build, d["x_train"], d["y_train"],
                      "Solution 2 (on the fly)")
    return run.evaluate(model, "solution2_onthefly")


@phase("solution1", "Solution 1, angle classifier + orientation correction",
       epochs=tutorial_epochs, epoch_cost=0.95, other_cost=0.65,
       model="Solution 1, orientation correction", column="Solution 1",
       published="no number published",
       heading="Solution 1: orientation correction")
def solution1(run: Runner) -> dict[str, Any]:
    d = run.data()
    # Angle classifier: every training image turned by a random 0/90/180/270 degrees.
    turned = rotate_right_angles(d["x_train"], None, (0, 90, 180, 270), seed=run.seed + 1)
    angle_labels = ((np.asarray(turned.angles) // 90) % 4).astype("int32")
    angle_model = run.train("angle_classifier",
                            lambda: angle_classifier(dtype=run.config.precision),
                            turned.images, angle_labels, "angle classifier")
    corrected = run.compose("solution1", lambda: orientation_corrected(run.model("reference"),
                                                                       angle_model))
    # Angle predictions on the test set and its rotated copy (the evaluation's sets).
    rotated = run.rotated_test_set()
    true_k = (np.asarray(rotated.angles) // 90) % 4
    upright_k = predict_classes(angle_model, d["x_test"])
    predicted_k = predict_classes(angle_model, rotated.images)
    labels = rotated.labels
    per_digit = {
        str(digit): float(np.mean(predicted_k[labels == digit] == true_k[labels == digit]))
        for digit in range(10)
    }
    result = run.evaluate(corrected, "solution1")
    result["angle_accuracy"] = {
        "rotated": float(np.mean(predicted_k == true_k)),
        "upright": float(np.mean(upright_k == 0)),
        "rotated_per_digit": per_digit,
    }
    return result


@solution1.section
def _solution1_section(result: dict[str, Any], results: dict[str, Any]) -> list[str]:
    angle = result["angle_accuracy"]
    per_digit = ", ".join(f"{d}: {percent(v)}" for d, v in angle["rotated_per_digit"].items())
    return ["A 4-way angle classifier (the reference architecture with 4 outputs, trained on "
            "every training image turned by a random multiple of 90 degrees) predicts the "
            "rotation; `OrientationCorrection` turns the image back exactly; the reference "
            "CNN classifies it. One saved `.keras` model.", "",
            f"- angle accuracy on the rotated test set: {percent(angle['rotated'])}",
            "- angle accuracy on the upright test set (predicts 0): "
            f"{percent(angle['upright'])}",
            f"- per digit (rotated set): {per_digit}",
            "", "6 and 9 are the hard pair: a 6 turned by 180 degrees is a plausible 9, so "
            "the angle model cannot always tell which one it sees.", "",
            "![confusion](figures/confusion_solution1_rotated.png)"]
