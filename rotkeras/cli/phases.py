"""The phases of `rotkeras reproduce`, in the order they run and appear in the report.

A phase is a function of the `Runner` (`rotkeras.cli.reproduce`) registered with
`@phase(...)`: it returns a JSON-serialisable dict, which the runner saves to
`OUT/phases/<name>.json` once the phase has finished (a finished phase is never redone).
Its report section and figures, if any, are registered next to it. **Adding a phase is a
change to this file only**: the runner, the resume logic, the log, `metrics.json` and
`report.md` pick it up. For example::

    @phase("every_angle", "a CNN trained on every angle", trains=1,
           model="CNN trained on every angle", heading="Every angle")
    def every_angle(run: Runner) -> dict[str, Any]:
        d = run.data()
        model = run.train("every_angle", build, d["x_train"], d["y_train"],
                          "every-angle CNN")        # resumable, saved as a .keras file
        return run.evaluate(model, "every_angle")  # upright / rotated / combined

    @every_angle.section
    def _(result: dict[str, Any], results: dict[str, Any]) -> list[str]:
        return ["Markdown lines of the section."]

A phase with `model=` trains and evaluates a digit classifier under its own name: it gets a
row in the headline table, a confusion matrix, and a curve in the accuracy-against-angle
phase (which therefore comes after every model phase). `trains` is its training work in
epochs over the training set (for the time-left estimate); `enabled` decides per run
whether it runs (e.g. `photos` only with `--photos`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from rotkeras.evaluation._figures import FIGURE_FONT_SIZE, prediction_labels, prediction_legend

if TYPE_CHECKING:
    from rotkeras.cli.reproduce import ReproduceConfig, Runner

TUTORIAL_ANGLES = (90, -90, 180)
SWEEP_ANGLES = tuple(range(0, 360, 15))
# The tutorial's published numbers.
TUTORIAL = {
    "reference_upright": 0.9915,
    "solution2_combined": 0.9797,
}

Section = Callable[[dict[str, Any], dict[str, Any]], list[str]]
Figures = Callable[[dict[str, Any], Callable[[Any, str], None]], None]


def _always(config: ReproduceConfig) -> bool:
    return True


@dataclasses.dataclass
class Phase:
    """One registered phase (see the module docstring).

    Attributes:
        name: File and key name (`phases/<name>.json`, `metrics.json["phases"][name]`).
        title: What the log says when the phase starts.
        run: The phase itself, `run(runner) -> dict`.
        trains: Training work in epochs over the training set, for the time-left estimate.
        model: Headline title of the classifier the phase trains and evaluates, if any.
        published: The tutorial's number for that model (headline table).
        confusion: The test sets whose confusion matrices are drawn for the model.
        heading: Heading of the phase's report section (numbered), if it has one.
        section: `section(result, results) -> markdown lines` of the report section.
        figures: `figures(result, save)` draws the phase's figures with matplotlib and saves
            each with `save(figure, "name.png")`.
        enabled: Whether a run with a given config runs the phase.
    """

    name: str
    title: str
    run: Callable[[Runner], dict[str, Any]]
    trains: float = 0.0
    model: str | None = None
    published: str = "—"
    confusion: tuple[str, ...] = ("rotated",)
    heading: str | None = None
    section_lines: Section | None = None
    figures: Figures | None = None
    enabled: Callable[[ReproduceConfig], bool] = _always

    def section(self, fn: Section) -> Section:
        """Decorator: registers `fn` as the phase's report section."""
        self.section_lines = fn
        return fn

    def figure(self, fn: Figures) -> Figures:
        """Decorator: registers `fn` as the phase's figure writer."""
        self.figures = fn
        return fn


PHASES: dict[str, Phase] = {}


def phase(name: str, title: str, **options: Any) -> Callable[[Callable[..., Any]], Phase]:
    """Decorator registering a phase function under `name` (see `Phase` for `options`)."""

    def register(run: Callable[[Runner], dict[str, Any]]) -> Phase:
        if name in PHASES:
            raise ValueError(f"a reproduce phase named {name!r} is already registered")
        PHASES[name] = Phase(name=name, title=title, run=run, **options)
        return PHASES[name]

    return register


def phase_names(config: ReproduceConfig) -> list[str]:
    """The phases a run with `config` goes through, in order."""
    return [p.name for p in PHASES.values() if p.enabled(config)]


def model_phases() -> dict[str, Phase]:
    """The phases that train and evaluate a digit classifier, by name, in order."""
    return {name: p for name, p in PHASES.items() if p.model is not None}


def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f}%"


# ------------------------------------------------------------------------ the phases
@phase("reference", "reference CNN, tutorial recipe", trains=1, model="Reference CNN",
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
       trains=2, model="Solution 2, static rotated copies (tutorial)",
       published=f"{percent(TUTORIAL['solution2_combined'])} combined",
       heading="Solution 2: rotation augmentation")
def solution2_static(run: Runner) -> dict[str, Any]:
    from rotkeras.datasets import rotate_right_angles

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


@phase("solution2_onthefly", "Solution 2, on-the-fly RandomRightAngleRotation", trains=1,
       model="Solution 2, on-the-fly RandomRightAngleRotation")
def solution2_onthefly(run: Runner) -> dict[str, Any]:
    from rotkeras.layers import RandomRightAngleRotation

    d = run.data()

    def build() -> Any:
        # The tutorial's training distribution (half upright, the rest 90/-90/180), redrawn
        # for every batch instead of fixed once.
        augmentation = RandomRightAngleRotation(
            angles=(0, *TUTORIAL_ANGLES), probabilities=(0.5, 1 / 6, 1 / 6, 1 / 6),
            seed=run.seed, name="random_right_angle_rotation",
        )
        return run.classifier(preprocessing=augmentation)

    model = run.train("solution2_onthefly", build, d["x_train"], d["y_train"],
                      "Solution 2 (on the fly)")
    return run.evaluate(model, "solution2_onthefly")


@phase("solution1", "Solution 1, angle classifier + orientation correction", trains=1,
       model="Solution 1, orientation correction", published="no number published",
       heading="Solution 1: orientation correction")
def solution1(run: Runner) -> dict[str, Any]:
    from rotkeras.datasets import rotate_right_angles
    from rotkeras.evaluation import predict_classes
    from rotkeras.models import angle_classifier, orientation_corrected

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


# The rotation-robust model's recipe (measured on full MNIST: 99.51% upright, 99.49%
# combined, one run, seed 0; see benchmarks/equivariant.py).
ROBUST_EPOCHS = 15
ROBUST_BATCH = 128
ROBUST_LEARNING_RATE = 2e-3
ROBUST_WEIGHT_DECAY = 0.02
ROBUST_STROKE_WIDTH = 0.5


@phase("rotation_robust", "rotation-robust p4 CNN (joint head), trained on turned batches",
       trains=3.0, model="Rotation-robust p4 CNN (rotkeras)", published="not in the tutorial",
       heading="Rotation-robust p4 CNN")
def rotation_robust(run: Runner) -> dict[str, Any]:
    from rotkeras.datasets import TurnedBatches
    from rotkeras.layers import RandomStrokeWidth
    from rotkeras.models import rotation_robust_cnn

    d = run.data()
    epochs = run.config.epochs_or(ROBUST_EPOCHS)
    batch_size = run.config.batch_size_or(ROBUST_BATCH)
    # Every epoch each training image turned by a right angle drawn from the tutorial's
    # mix (half upright), labelled (digit, turn); the epoch's turns come from (seed, epoch).
    batches = TurnedBatches(d["x_train"], d["y_train"], batch_size=batch_size, seed=run.seed)

    def build() -> Any:
        import keras

        schedule = keras.optimizers.schedules.CosineDecay(ROBUST_LEARNING_RATE,
                                                          epochs * len(batches))
        return rotation_robust_cnn(
            preprocessing=RandomStrokeWidth(ROBUST_STROKE_WIDTH, seed=run.seed),
            learning_rate=schedule, weight_decay=ROBUST_WEIGHT_DECAY,
            dtype=run.config.precision,
        )

    model = run.train("rotation_robust", build, batches, None, "rotation-robust p4 CNN",
                      epochs=epochs)
    result = run.evaluate(model, "rotation_robust")
    # The second output: the turn of each rotated test image (index k = 90k degrees).
    from rotkeras.evaluation import predict_padded

    rotated = run.rotated_test_set()
    outputs = predict_padded(model, np.asarray(rotated.images))
    true_k = (np.asarray(rotated.angles) // 90) % 4
    result["orientation_accuracy_rotated"] = float(
        np.mean(np.argmax(outputs[1], axis=-1) == true_k))
    result["recipe"] = {"epochs": epochs, "batch_size": batch_size,
                        "learning_rate": ROBUST_LEARNING_RATE, "schedule": "cosine decay",
                        "weight_decay": ROBUST_WEIGHT_DECAY,
                        "stroke_width": ROBUST_STROKE_WIDTH,
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
            f"cosine decay, weight decay {recipe['weight_decay']:g}).", "",
            "- orientation accuracy on the rotated test set: "
            f"{percent(result['orientation_accuracy_rotated'])}", "",
            "![confusion](figures/confusion_rotation_robust_rotated.png)"]


#: The full-circle model's augmentation: angles in [-50, 50] degrees. Its network is
#: exactly invariant to quarter turns, so this covers every angle, with a margin around
#: the odd multiples of 45 degrees where two quarter turns meet.
FULL_CIRCLE_DEGREES = 50.0


@phase("full_circle", "full-circle CNN, p4-invariant + RandomAnyAngleRotation", trains=1,
       model="Full-circle CNN (p4-invariant + RandomAnyAngleRotation)",
       heading="Full-circle digit model")
def full_circle(run: Runner) -> dict[str, Any]:
    import keras

    from rotkeras.layers import RandomAnyAngleRotation
    from rotkeras.models import rotation_robust_cnn

    d = run.data()
    steps = run.config.train_epochs * -(-len(d["x_train"]) // run.config.train_batch_size)

    def build() -> Any:
        augmentation = RandomAnyAngleRotation(
            factor=FULL_CIRCLE_DEGREES / 360.0, seed=run.seed,
            name="random_any_angle_rotation",
        )
        schedule = keras.optimizers.schedules.CosineDecay(1e-3, steps, alpha=0.02)
        return rotation_robust_cnn(head="invariant", preprocessing=augmentation,
                                   learning_rate=schedule, dtype=run.config.precision,
                                   name="full_circle_cnn")

    model = run.train("full_circle", build, d["x_train"], d["y_train"], "full-circle CNN")
    result = run.evaluate(model, "full_circle")
    result["parameters"] = int(model.count_params())
    return result


@full_circle.section
def _full_circle_section(result: dict[str, Any], results: dict[str, Any]) -> list[str]:
    return [f"`rotation_robust_cnn(head=\"invariant\")` ({result['parameters']:,} parameters): "
            "p4 group convolutions whose features are max-pooled over the four quarter "
            "turns, so the output is exactly the same for an image and its 90, 180 and 270 "
            "degree turns. In training, `RandomAnyAngleRotation` turns every image by an "
            f"angle drawn from [-{FULL_CIRCLE_DEGREES:g}, {FULL_CIRCLE_DEGREES:g}] degrees; "
            "with the quarter-turn invariance that covers the whole circle. Adam with a "
            "cosine-decaying learning rate (1e-3 to 2e-5). Its accuracy at every angle is in "
            "the next section.", "",
            "![confusion](figures/confusion_full_circle_rotated.png)"]


@phase("angle_sweep", "accuracy against rotation angle, 0..345 degrees",
       heading="Accuracy against rotation angle")
def angle_sweep(run: Runner) -> dict[str, Any]:
    from rotkeras.evaluation import accuracy_per_angle

    d = run.data()
    curves = {}
    for name in model_phases():
        curve = accuracy_per_angle(run.model(name), d["x_test"], d["y_test"],
                                   angles=SWEEP_ANGLES)
        curves[name] = {str(int(angle)): float(acc) for angle, acc in curve.items()}
    summary = {name: {"mean": float(np.mean(list(curve.values()))),
                      "worst": float(np.min(list(curve.values()))), "upright": curve["0"]}
               for name, curve in curves.items()}
    return {"angles": list(SWEEP_ANGLES), "accuracy": curves, "summary": summary,
            "samples": _sample_predictions(run)}


def _quarter_turns(images: np.ndarray) -> np.ndarray:
    """`(N, H, W[, C])` images at 0, 90, 180 and 270 degrees, in that order (4N images)."""
    import keras

    from rotkeras import ops

    batch = images if images.ndim == 4 else images[..., None]
    turned = np.concatenate([
        np.asarray(keras.ops.convert_to_numpy(ops.rot90(batch, k, data_format="channels_last")))
        for k in range(4)
    ])
    return turned if images.ndim == 4 else turned[..., 0]


def _sample_predictions(run: Runner, count: int = 8) -> dict[str, Any]:
    """Predictions of every model on a few test digits at 0/90/180/270 degrees."""
    from rotkeras.evaluation import predict_classes

    d = run.data()
    rng = np.random.default_rng(run.seed)
    index = np.sort(rng.choice(len(d["x_test"]), count, replace=False))
    images = d["x_test"][index]
    rotations = _quarter_turns(images)
    predictions = {name: predict_classes(run.model(name), rotations).tolist()
                   for name in model_phases()}
    return {"index": index.tolist(), "labels": d["y_test"][index].tolist(),
            "images": np.round(images[..., 0] * 255).astype(np.uint8).tolist(),
            "predictions": predictions}


@angle_sweep.section
def _angle_sweep_section(result: dict[str, Any], results: dict[str, Any]) -> list[str]:
    titles = {name: p.model for name, p in model_phases().items()}
    header = "| angle | " + " | ".join(titles.get(n, n) for n in result["accuracy"]) + " |"
    lines = ["Every test image rotated by the angle (bilinear interpolation between right "
             "angles, exact at multiples of 90 degrees).", "",
             "![accuracy vs angle](figures/accuracy_vs_angle.png)", "",
             "| model | mean over the 24 angles | worst angle | upright |",
             "|---|---:|---:|---:|"]
    for name, curve in result["accuracy"].items():
        values = [curve[str(angle)] for angle in result["angles"]]
        lines.append(f"| {titles.get(name, name)} | {percent(float(np.mean(values)))} | "
                     f"{percent(min(values))} | {percent(curve['0'])} |")
    lines += ["", header, "|---:|" + "---:|" * len(result["accuracy"])]
    for angle in result["angles"]:
        row = [percent(result["accuracy"][n][str(angle)]) for n in result["accuracy"]]
        lines.append(f"| {angle} | " + " | ".join(row) + " |")
    lines += ["", "Sample digits at 0/90/180/270 degrees with each model's prediction "
              "(green: right, red: wrong):", "", "![samples](figures/samples.png)"]
    return lines


@angle_sweep.figure
def _angle_sweep_figures(result: dict[str, Any], save: Callable[[Any, str], None]) -> None:
    import matplotlib.pyplot as plt

    titles = {name: p.model for name, p in model_phases().items()}
    fig, ax = plt.subplots(figsize=(8.4, 5.2))
    angles = result["angles"]
    for name, curve in result["accuracy"].items():
        ax.plot(angles, [100 * curve[str(a)] for a in angles], marker="o", markersize=4,
                label=titles.get(name, name))
    ax.set_xticks(range(0, 361, 45))
    ax.set_xlim(-8, 368)
    ax.tick_params(labelsize=FIGURE_FONT_SIZE)
    ax.set_xlabel("rotation of the test digits (degrees, counter-clockwise)",
                  fontsize=FIGURE_FONT_SIZE)
    ax.set_ylabel("test accuracy (%)", fontsize=FIGURE_FONT_SIZE)
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    # Below the axes, so that it covers no curve.
    ax.legend(fontsize=FIGURE_FONT_SIZE, loc="upper center", bbox_to_anchor=(0.5, -0.15),
              ncol=2, frameon=False)
    save(fig, "accuracy_vs_angle.png")

    samples = result["samples"]
    images = np.asarray(samples["images"], dtype=np.uint8)
    labels = samples["labels"]
    count = len(labels)
    shown = min(count, 5)
    turned = _quarter_turns(images)
    fig, axes = plt.subplots(4, shown, figsize=(1.8 * shown, 8.4), squeeze=False,
                             gridspec_kw={"hspace": 0.75, "wspace": 0.95})
    for k in range(4):
        for j in range(shown):
            ax = axes[k, j]
            ax.imshow(turned[k * count + j], cmap="gray")
            ax.set_xticks([])
            ax.set_yticks([])
            prediction_labels(ax, {name: p[k * count + j]
                                   for name, p in samples["predictions"].items()}, labels[j])
            if j == 0:
                ax.set_ylabel(f"{90 * k}°", fontsize=FIGURE_FONT_SIZE + 1)
    prediction_legend(fig)
    save(fig, "samples.png")


@phase("photos", "photos of handwriting, upright and turned, every model",
       heading="Photos of handwriting", enabled=lambda config: config.photos is not None)
def photos(run: Runner) -> dict[str, Any]:
    from rotkeras.evaluation import evaluate_photos, with_shipped_reader

    models, notes = with_shipped_reader({name: run.model(name) for name in model_phases()})
    return evaluate_photos(run.config.photos, models, run.out / "figures", notes=notes)


@photos.section
def _photos_section(result: dict[str, Any], results: dict[str, Any]) -> list[str]:
    from rotkeras.evaluation import photo_report_lines

    if "turned" not in result:  # a phase file written before the turned photos
        return list(result.get("report_lines", []))
    titles = {name: p.model for name, p in model_phases().items() if p.model}
    mnist = {name: results[name] for name in model_phases() if name in results}
    return photo_report_lines(result, mnist, titles)
