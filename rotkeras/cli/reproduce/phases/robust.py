"""rotkeras' own networks: the rotation-robust p4 CNN and the full-circle CNN."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import keras
import numpy as np

from rotkeras.cli.reproduce.config import ReproduceConfig
from rotkeras.cli.reproduce.registry import percent, phase
from rotkeras.datasets import TurnedBatches
from rotkeras.evaluation import predict_padded
from rotkeras.layers import RandomAnyAngleRotation, RandomStrokeWidth
from rotkeras.models import rotation_robust_cnn

if TYPE_CHECKING:  # annotations only: the runner imports the phases, not the reverse
    from rotkeras.cli.reproduce.runner import Runner


# The rotation-robust model's recipe (measured on full MNIST: 99.51% upright, 99.49%
# combined, one run, seed 0; see benchmarks/equivariant.py).
ROBUST_EPOCHS = 15
ROBUST_BATCH = 128
ROBUST_LEARNING_RATE = 2e-3
ROBUST_WEIGHT_DECAY = 0.02
ROBUST_STROKE_WIDTH = 0.5
#: The p4 CNN trains in float32 whatever the run's precision: in mixed bfloat16 (what
#: `--precision auto` picks on CPUs with native bfloat16) it reached 99.40% upright and
#: 99.38% combined (seed 0), 0.1 points under float32's 99.52% and 99.48%.
ROBUST_PRECISION = "float32"


def _robust_epochs(config: ReproduceConfig) -> int:
    return config.epochs_or(ROBUST_EPOCHS)


@phase("rotation_robust", "rotation-robust p4 CNN (joint head), trained on turned batches",
       epochs=_robust_epochs, epoch_cost=3.1, other_cost=2.2,
       model="Rotation-robust p4 CNN (rotkeras)", column="p4 CNN", published="not in the tutorial",
       heading="Rotation-robust p4 CNN")
def rotation_robust(run: Runner) -> dict[str, Any]:
    d = run.data()
    epochs = _robust_epochs(run.config)
    batch_size = run.config.batch_size_or(ROBUST_BATCH)
    # Every epoch each training image turned by a right angle drawn from the tutorial's
    # mix (half upright), labelled (digit, turn); the epoch's turns come from (seed, epoch).
    batches = TurnedBatches(d["x_train"], d["y_train"], batch_size=batch_size, seed=run.seed)

    def build() -> Any:
        schedule = keras.optimizers.schedules.CosineDecay(ROBUST_LEARNING_RATE,
                                                          epochs * len(batches))
        return rotation_robust_cnn(
            preprocessing=RandomStrokeWidth(ROBUST_STROKE_WIDTH, seed=run.seed),
            learning_rate=schedule, weight_decay=ROBUST_WEIGHT_DECAY,
            dtype=ROBUST_PRECISION,
        )

    model = run.train("rotation_robust", build, batches, None, "rotation-robust p4 CNN",
                      epochs=epochs)
    result = run.evaluate(model, "rotation_robust")
    # The second output: the turn of each rotated test image (index k = 90k degrees).
    rotated = run.rotated_test_set()
    outputs = predict_padded(model, np.asarray(rotated.images))
    true_k = (np.asarray(rotated.angles) // 90) % 4
    result["orientation_accuracy_rotated"] = float(
        np.mean(np.argmax(outputs[1], axis=-1) == true_k))
    result["recipe"] = {"epochs": epochs, "batch_size": batch_size,
                        "learning_rate": ROBUST_LEARNING_RATE, "schedule": "cosine decay",
                        "weight_decay": ROBUST_WEIGHT_DECAY,
                        "stroke_width": ROBUST_STROKE_WIDTH,
                        "precision": ROBUST_PRECISION,
                        "parameters": int(model.count_params())}
    return result


@rotation_robust.section
def _rotation_robust_section(result: dict[str, Any], results: dict[str, Any]) -> list[str]:
    recipe = result["recipe"]
    return [f"`rotkeras.models.rotation_robust_cnn()` ({recipe['parameters']:,} parameters): "
            "p4 group convolutions, whose features turn with the input exactly, and a joint "
            "head that scores every (digit, quarter turn) pair, so it reads a digit at any "
            "right angle and says how it was turned. Trained with "
            "`rotkeras.training.fit_classifier` on `rotkeras.datasets.TurnedBatches` (every "
            "epoch each training image turned by 0, 90, -90 or 180 degrees with the "
            "tutorial's mix, labelled with its digit and its turn), `RandomStrokeWidth("
            f"{recipe['stroke_width']})` inside the model, {recipe['epochs']} "
            f"epoch{'' if recipe['epochs'] == 1 else 's'} at batch "
            f"{recipe['batch_size']}, AdamW (learning rate {recipe['learning_rate']:g} with "
            f"cosine decay, weight decay {recipe['weight_decay']:g}), in "
            f"{recipe.get('precision', 'the run precision')}.", "",
            "- orientation accuracy on the rotated test set: "
            f"{percent(result['orientation_accuracy_rotated'])}", "",
            "![confusion](figures/confusion_rotation_robust_rotated.png)"]


#: The full-circle model's augmentation: angles in [-50, 50] degrees. Its network is
#: exactly invariant to quarter turns, so this covers every angle, with a margin around
#: the odd multiples of 45 degrees where two quarter turns meet.
FULL_CIRCLE_DEGREES = 50.0
#: The full-circle model's recipe: Adam, the learning rate decaying from 1e-3 to 2e-5 along
#: a cosine over the whole run.
FULL_CIRCLE_EPOCHS = 8
FULL_CIRCLE_BATCH = 128


def _full_circle_epochs(config: ReproduceConfig) -> int:
    return config.epochs_or(FULL_CIRCLE_EPOCHS)


@phase("full_circle", "full-circle CNN, p4-invariant + RandomAnyAngleRotation",
       epochs=_full_circle_epochs, epoch_cost=2.4, other_cost=0.7,
       model="Full-circle CNN (p4-invariant + RandomAnyAngleRotation)",
       column="Full-circle CNN",
       heading="Full-circle digit model")
def full_circle(run: Runner) -> dict[str, Any]:
    d = run.data()
    epochs = _full_circle_epochs(run.config)
    batch_size = run.config.batch_size_or(FULL_CIRCLE_BATCH)
    steps = epochs * -(-len(d["x_train"]) // batch_size)

    def build() -> Any:
        augmentation = RandomAnyAngleRotation(
            factor=FULL_CIRCLE_DEGREES / 360.0, seed=run.seed,
            name="random_any_angle_rotation",
        )
        schedule = keras.optimizers.schedules.CosineDecay(1e-3, steps, alpha=0.02)
        return rotation_robust_cnn(head="invariant", preprocessing=augmentation,
                                   learning_rate=schedule, dtype=run.config.precision,
                                   name="full_circle_cnn")

    model = run.train("full_circle", build, d["x_train"], d["y_train"], "full-circle CNN",
                      epochs=epochs, batch_size=batch_size)
    result = run.evaluate(model, "full_circle")
    result["parameters"] = int(model.count_params())
    result["recipe"] = {"epochs": epochs, "batch_size": batch_size}
    return result


@full_circle.section
def _full_circle_section(result: dict[str, Any], results: dict[str, Any]) -> list[str]:
    return [f"`rotation_robust_cnn(head=\"invariant\")` ({result['parameters']:,} parameters): "
            "p4 group convolutions whose features are max-pooled over the four quarter "
            "turns, so the output is exactly the same for an image and its 90, 180 and 270 "
            "degree turns. In training, `RandomAnyAngleRotation` turns every image by an "
            f"angle drawn from [-{FULL_CIRCLE_DEGREES:g}, {FULL_CIRCLE_DEGREES:g}] degrees; "
            "with the quarter-turn invariance that covers the whole circle. "
            f"{_epochs_at_batch(result)}, Adam with a cosine-decaying learning rate (1e-3 to "
            "2e-5). Its accuracy at every angle is in the next section.", "",
            "![confusion](figures/confusion_full_circle_rotated.png)"]


def _epochs_at_batch(result: dict[str, Any]) -> str:
    recipe = result.get("recipe")
    if recipe is None:  # a phase file written before the phase recorded its recipe
        return "Trained"
    epochs = recipe["epochs"]
    return f"{epochs} epoch{'' if epochs == 1 else 's'} at batch {recipe['batch_size']}"
