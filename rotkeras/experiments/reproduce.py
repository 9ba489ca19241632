"""`rotkeras reproduce`: the tutorial's experiments end to end, resumable, with a report.

Phases, each saved to `OUT/phases/<name>.json` when finished (a finished phase is never redone;
an interrupted training resumes from its last finished epoch):

1. `reference`: the tutorial's CNN on upright MNIST; upright and rotated test accuracy.
2. `solution2_static`: Solution 2 as the tutorial did it: original + one statically rotated
   copy (angles 90, -90, 180) of every training image.
3. `solution2_onthefly`: Solution 2 with `RandomRightAngleRotation` inside the model, drawing
   the same angle distribution afresh every epoch.
4. `solution1`: Solution 1, a 4-way angle classifier composed with the reference CNN.
5. `angle_sweep`: accuracy against rotation angle, 0..345 degrees in 15-degree steps.
6. `photos` (with `--photos DIR`): the handwriting experiment.

The report (`report.md`, `metrics.json`, figures) is rebuilt from the phase files at the end.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from rotkeras.experiments import _io, checkpoint
from rotkeras.experiments.progress import EpochProgress, RunClock, format_seconds

TUTORIAL_ANGLES = (90, -90, 180)
QUICK_TRAIN = 4000
QUICK_TEST = 1000
SWEEP_ANGLES = tuple(range(0, 360, 15))


@dataclasses.dataclass
class ReproduceConfig:
    """Settings of one `rotkeras reproduce` run (see `rotkeras reproduce --help`)."""

    out: Path
    data: str | None = None
    epochs: int | None = None
    batch_size: int = 64
    seed: int = 0
    quick: bool = False
    fresh: bool = False
    quiet: bool = False
    photos: Path | None = None
    precision: str = "auto"

    @property
    def train_epochs(self) -> int:
        if self.epochs is not None:
            return self.epochs
        return 1 if self.quick else 10


def phase_names(config: ReproduceConfig) -> list[str]:
    """The phases a run with `config` goes through, in order."""
    names = ["reference", "solution2_static", "solution2_onthefly", "solution1", "angle_sweep"]
    if config.photos is not None:
        names.append("photos")
    return names


class Runner:
    """Runs the phases of `rotkeras reproduce` into an output folder."""

    def __init__(self, config: ReproduceConfig) -> None:
        self.config = config
        self.out = Path(config.out)
        self.phase_dir = self.out / "phases"
        self.model_dir = self.out / "models"
        self.backup_dir = self.out / "backup"
        self._data: dict[str, np.ndarray] | None = None
        self._combined: Any = None
        self._models: dict[str, Any] = {}
        self.clock = RunClock(0.0)

    # ---------------------------------------------------------------- set-up and data
    def prepare_output(self) -> None:
        """Creates (or, with `--fresh`, empties) the output folder; checks it is writable."""
        if self.config.fresh and self.out.exists():
            for child in ("phases", "models", "backup", "figures", "classification_reports",
                          "report.md", "metrics.json", "run.json"):
                path = self.out / child
                if path.is_dir():
                    shutil.rmtree(path)
                elif path.exists():
                    path.unlink()
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            probe = self.out / ".write-test"
            probe.write_text("ok")
            probe.unlink()
        except OSError as error:
            raise PermissionError(
                f"cannot write to the output folder {self.out}: {error}"
            ) from error
        _io.remove_stale_temporaries(self.out)
        settings = {
            "epochs": self.config.train_epochs,
            "batch_size": self.config.batch_size,
            "seed": self.config.seed,
            "quick": self.config.quick,
            "precision": self.config.precision,
        }
        run_file = self.out / "run.json"
        if run_file.exists():
            previous = _io.read_json(run_file).get("settings")
            if isinstance(previous, dict):
                # Runs written before --precision existed trained in float32.
                previous.setdefault("precision", "float32")
            if previous != settings:
                raise ValueError(
                    f"{self.out} holds a run with different settings {previous}; this run asks "
                    f"for {settings}. Use --fresh to start over or another --out folder."
                )
        else:
            _io.write_json(run_file, {"settings": settings})

    def data(self) -> dict[str, np.ndarray]:
        """MNIST as float NHWC arrays (subsets in quick mode), loaded once."""
        if self._data is None:
            from rotkeras.datasets import load_mnist, to_float_images

            try:
                (x_train, y_train), (x_test, y_test) = load_mnist(self.config.data)
            except FileNotFoundError:
                raise
            except Exception as error:
                if self.config.data is None and not os.environ.get("ROTKERAS_MNIST"):
                    raise FileNotFoundError(
                        f"could not get MNIST ({error}). Pass --data PATH/mnist.npz or set "
                        "ROTKERAS_MNIST to a Keras-format mnist.npz (on a connected machine, "
                        "keras.datasets.mnist.load_data() downloads it)."
                    ) from error
                raise
            if self.config.quick:
                rng = np.random.default_rng(self.config.seed)
                train = np.sort(rng.choice(len(x_train), min(QUICK_TRAIN, len(x_train)),
                                           replace=False))
                test = np.sort(rng.choice(len(x_test), min(QUICK_TEST, len(x_test)),
                                          replace=False))
                x_train, y_train, x_test, y_test = x_train[train], y_train[train], x_test[test], \
                    y_test[test]
            self._data = {
                "x_train": to_float_images(x_train),
                "y_train": y_train.astype("int32"),
                "x_test": to_float_images(x_test),
                "y_test": y_test.astype("int32"),
            }
        return self._data

    # ---------------------------------------------------------------- training helpers
    def _train(self, name: str, build: Callable[[], Any], x: np.ndarray, y: np.ndarray,
               epochs: int, label: str) -> Any:
        """Trains (or loads, when already trained) the model `name`; resumes interrupted runs."""
        import keras

        from rotkeras.experiments.training import fit_classifier

        path = self.model_dir / f"{name}.keras"
        if path.exists():
            self.clock.skip(len(x) * epochs)
            model = keras.saving.load_model(path)
            self._models[name] = model
            return model
        # Initial weights from the seed alone, not from what ran before in this process:
        # a run resumed after a kill builds the same untrained models.
        keras.utils.set_random_seed(self.config.seed)
        model = build()
        backup = self.backup_dir / name
        done = checkpoint.restore(model, backup)
        if done:
            self.clock.say(f"  {label}: resuming after epoch {done}/{epochs}")
            self.clock.skip(len(x) * done)
        callbacks = [checkpoint.EpochCheckpoint(backup),
                     EpochProgress(self.clock, label, len(x), epochs)]
        start = time.perf_counter()
        fit_classifier(
            model, x, y, epochs=epochs, batch_size=self.config.batch_size,
            seed=self.config.seed, callbacks=callbacks, initial_epoch=done,
            verbose=0 if self.config.quiet else "auto",
        )
        seconds = time.perf_counter() - start
        _io.save_atomically(path, model.save)
        shutil.rmtree(self.backup_dir / name, ignore_errors=True)
        _io.write_json(self.model_dir / f"{name}.json", {"train_seconds": seconds,
                                                         "epochs": epochs, "samples": len(x)})
        self._models[name] = model
        return model

    def model(self, name: str) -> Any:
        """A trained model of an earlier phase (loaded from disk after a restart)."""
        if name not in self._models:
            import keras

            self._models[name] = keras.saving.load_model(self.model_dir / f"{name}.keras")
        return self._models[name]

    def combined_set(self) -> Any:
        """The tutorial's combined test set (upright, then rotated copies), built once per run."""
        if self._combined is None:
            from rotkeras.datasets import combined_test_set

            d = self.data()
            self._combined = combined_test_set(d["x_test"], d["y_test"], TUTORIAL_ANGLES,
                                               self.config.seed)
        return self._combined

    def _evaluate(self, model: Any, name: str) -> dict[str, Any]:
        """Upright/rotated/combined accuracy, confusion matrices and classification reports.

        One prediction over the combined set serves all three accuracies (the same sets and
        numbers as `rotkeras.evaluation.rotation_robustness`) and the reports.
        """
        from sklearn.metrics import classification_report, confusion_matrix

        combined = self.combined_set()
        n = len(self.data()["x_test"])
        predicted = np.argmax(model.predict(combined.images, batch_size=1024, verbose=0), axis=-1)
        correct = predicted == combined.labels
        reports = {}
        for split, part in (("upright", slice(0, n)), ("rotated", slice(n, None))):
            truth = combined.labels[part]
            reports[split] = {
                "confusion_matrix": confusion_matrix(truth, predicted[part],
                                                     labels=list(range(10))).tolist(),
                "classification_report": classification_report(
                    truth, predicted[part], labels=list(range(10)), digits=4, zero_division=0),
            }
            _io.write_text(self.out / "classification_reports" / f"{name}_{split}.txt",
                           reports[split]["classification_report"])
        return {
            "upright": float(np.mean(correct[:n])),
            "rotated": float(np.mean(correct[n:])),
            "combined": float(np.mean(correct)),
            **{f"{split}_details": value for split, value in reports.items()},
        }

    # ---------------------------------------------------------------- phases
    def _classifier(self, **kwargs: Any) -> Any:
        """The tutorial's CNN in this run's precision."""
        from rotkeras.models import mnist_cnn

        return mnist_cnn(dtype=self.config.precision, **kwargs)

    def phase_reference(self) -> dict[str, Any]:
        d = self.data()
        model = self._train("reference", self._classifier, d["x_train"], d["y_train"],
                            self.config.train_epochs, "reference CNN")
        return self._evaluate(model, "reference")

    def phase_solution2_static(self) -> dict[str, Any]:
        from rotkeras.datasets import rotate_right_angles

        d = self.data()
        rotated = rotate_right_angles(d["x_train"], d["y_train"], TUTORIAL_ANGLES,
                                      seed=self.config.seed)
        x = np.concatenate([d["x_train"], rotated.images])
        y = np.concatenate([d["y_train"], rotated.labels])
        model = self._train("solution2_static", self._classifier, x, y, self.config.train_epochs,
                            "Solution 2 (static copies)")
        return self._evaluate(model, "solution2_static")

    def phase_solution2_onthefly(self) -> dict[str, Any]:
        from rotkeras.layers import RandomRightAngleRotation

        d = self.data()

        def build() -> Any:
            # The tutorial's training distribution (half upright, the rest 90/-90/180), redrawn
            # for every batch instead of fixed once.
            augmentation = RandomRightAngleRotation(
                angles=(0, *TUTORIAL_ANGLES), probabilities=(0.5, 1 / 6, 1 / 6, 1 / 6),
                seed=self.config.seed, name="random_right_angle_rotation",
            )
            return self._classifier(preprocessing=augmentation)

        model = self._train("solution2_onthefly", build, d["x_train"], d["y_train"],
                            self.config.train_epochs, "Solution 2 (on the fly)")
        return self._evaluate(model, "solution2_onthefly")

    def phase_solution1(self) -> dict[str, Any]:
        from rotkeras.datasets import rotate_right_angles
        from rotkeras.models import angle_classifier, orientation_corrected

        d = self.data()
        # Angle classifier: every training image turned by a random 0/90/180/270 degrees.
        turned = rotate_right_angles(d["x_train"], None, (0, 90, 180, 270),
                                     seed=self.config.seed + 1)
        angle_labels = ((np.asarray(turned.angles) // 90) % 4).astype("int32")
        angle_model = self._train("angle_classifier",
                                  lambda: angle_classifier(dtype=self.config.precision),
                                  turned.images,
                                  angle_labels, self.config.train_epochs, "angle classifier")
        reference = self.model("reference")
        path = self.model_dir / "solution1.keras"
        if path.exists():
            corrected = self.model("solution1")
        else:
            corrected = orientation_corrected(reference, angle_model)
            _io.save_atomically(path, corrected.save)
            self._models["solution1"] = corrected
        # Angle predictions on the combined set: upright images first, then rotated copies.
        combined = self.combined_set()
        n = len(d["x_test"])
        true_k = (np.asarray(combined.angles[n:]) // 90) % 4
        all_k = np.argmax(angle_model.predict(combined.images, batch_size=1024, verbose=0),
                          axis=-1)
        upright_k, predicted_k = all_k[:n], all_k[n:]
        labels = combined.labels[n:]
        per_digit = {
            str(digit): float(np.mean(predicted_k[labels == digit] == true_k[labels == digit]))
            for digit in range(10)
        }
        result = self._evaluate(corrected, "solution1")
        result["angle_accuracy"] = {
            "rotated": float(np.mean(predicted_k == true_k)),
            "upright": float(np.mean(upright_k == 0)),
            "rotated_per_digit": per_digit,
        }
        return result

    def phase_angle_sweep(self) -> dict[str, Any]:
        from rotkeras.evaluation import accuracy_per_angle

        d = self.data()
        curves = {}
        for name in MODEL_NAMES:
            curve = accuracy_per_angle(self.model(name), d["x_test"], d["y_test"],
                                       angles=SWEEP_ANGLES)
            curves[name] = {str(int(angle)): float(acc) for angle, acc in curve.items()}
        samples = self._sample_predictions()
        return {"angles": list(SWEEP_ANGLES), "accuracy": curves, "samples": samples}

    def _sample_predictions(self, count: int = 8) -> dict[str, Any]:
        """Predictions of every model on a few test digits at 0/90/180/270 degrees."""
        d = self.data()
        rng = np.random.default_rng(self.config.seed)
        index = np.sort(rng.choice(len(d["x_test"]), count, replace=False))
        images = d["x_test"][index]
        rotations = np.concatenate([np.rot90(images, k, axes=(1, 2)) for k in range(4)])
        predictions = {
            name: np.argmax(self.model(name).predict(rotations, verbose=0), axis=-1).tolist()
            for name in MODEL_NAMES
        }
        return {"index": index.tolist(), "labels": d["y_test"][index].tolist(),
                "images": np.round(images[..., 0] * 255).astype(np.uint8).tolist(),
                "predictions": predictions}

    def phase_photos(self) -> dict[str, Any]:
        from rotkeras.experiments.photos import evaluate_photos

        models = {name: self.model(name) for name in MODEL_NAMES}
        return evaluate_photos(self.config.photos, models, self.out / "figures")

    # ---------------------------------------------------------------- driver
    def run(self) -> dict[str, Any]:
        """Runs every unfinished phase, then writes the report; returns the metrics."""
        self.prepare_output()
        names = phase_names(self.config)
        epochs = self.config.train_epochs
        # Training work in sample-epochs: reference, static copies (twice the images),
        # on-the-fly augmentation and the angle classifier.
        planned = len(self.data()["x_train"]) * epochs * 5
        self.clock = RunClock(planned)
        self.clock.say(f"rotkeras reproduce -> {self.out} ({len(names)} phases, {epochs} epochs"
                       f"{', quick' if self.config.quick else ''})")
        results = {}
        for number, name in enumerate(names, start=1):
            phase_file = self.phase_dir / f"{name}.json"
            if phase_file.exists():
                results[name] = _io.read_json(phase_file)
                self.clock.say(f"[{number}/{len(names)}] {name}: done in an earlier run, skipped")
                continue
            self.clock.say(f"[{number}/{len(names)}] {name}: {PHASE_TITLES[name]}")
            start = time.perf_counter()
            results[name] = getattr(self, f"phase_{name}")()
            results[name]["seconds"] = round(time.perf_counter() - start, 1)
            _io.write_json(phase_file, results[name])
            self.clock.say(f"[{number}/{len(names)}] {name}: finished in "
                           f"{format_seconds(results[name]['seconds'])}")
        from rotkeras.experiments.report import write_report

        metrics = write_report(self.out, results, self.config)
        shutil.rmtree(self.backup_dir, ignore_errors=True)
        self.clock.say(f"report: {self.out / 'report.md'}")
        return metrics


MODEL_NAMES = ("reference", "solution2_static", "solution2_onthefly", "solution1")
PHASE_TITLES = {
    "reference": "reference CNN, tutorial recipe",
    "solution2_static": "Solution 2, original + static rotated copies (tutorial)",
    "solution2_onthefly": "Solution 2, on-the-fly RandomRightAngleRotation",
    "solution1": "Solution 1, angle classifier + orientation correction",
    "angle_sweep": "accuracy against rotation angle, 0..345 degrees",
    "photos": "photos of handwriting, tutorial preprocessing vs HandwritingPreprocess",
}


def reproduce(config: ReproduceConfig) -> dict[str, Any]:
    """Runs `rotkeras reproduce` with `config`; returns the metrics written to metrics.json."""
    import logging

    import keras

    # Evaluating many test sets retraces predict functions; TensorFlow warns about it.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    from rotkeras.experiments.training import resolve_precision

    # "auto" becomes the precision measured fastest on this backend and machine; the
    # resolved name is what the run records (run.json, report) and trains with.
    config = dataclasses.replace(config, precision=resolve_precision(config.precision))
    keras.utils.set_random_seed(config.seed)
    return Runner(config).run()
