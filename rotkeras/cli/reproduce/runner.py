"""The runner of `rotkeras reproduce`: phases in order, resumable, then the report.

The `Runner` gives phases what they share: the data (`data`, `rotated_test_set`), resumable
training of a model saved under a name (`train`, `compose`, `model`), and the evaluation on
the upright, rotated and combined test sets (`evaluate`, built on `rotkeras.evaluation`).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
from sklearn.metrics import classification_report, confusion_matrix

from rotkeras import _io
from rotkeras.cli._terminal import fit_verbosity
from rotkeras.cli.reproduce import (
    checkpoint,
    phases,  # noqa: F401  (registers the phases)
)
from rotkeras.cli.reproduce.config import ReproduceConfig
from rotkeras.cli.reproduce.progress import EpochProgress, RunClock, format_seconds
from rotkeras.cli.reproduce.registry import PHASES, TUTORIAL_ANGLES, phase_names
from rotkeras.cli.reproduce.report import write_report
from rotkeras.datasets import load_mnist, rotate_right_angles, to_float_images
from rotkeras.evaluation import predict_rotated_sets
from rotkeras.models import mnist_cnn
from rotkeras.training import data_parallel, fit_classifier, resolve_precision

__all__ = ["Runner", "reproduce"]

QUICK_TRAIN = 4000
QUICK_TEST = 1000


class Runner:
    """Runs the phases of `rotkeras reproduce` into an output folder."""

    def __init__(self, config: ReproduceConfig) -> None:
        self.config = config
        self.seed = config.seed
        self.out = Path(config.out)
        self.phase_dir = self.out / "phases"
        self.model_dir = self.out / "models"
        self.backup_dir = self.out / "backup"
        self._data: dict[str, np.ndarray] | None = None
        self._rotated: Any = None
        self._models: dict[str, Any] = {}
        self.clock = RunClock(0.0)
        self._phase = ""  # the phase running now (its epochs' cost, for the clock)

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
            # As given (None: each phase's default), since phases default differently.
            "epochs": self.config.epochs,
            "batch_size": self.config.batch_size,
            "seed": self.config.seed,
            "quick": self.config.quick,
            "precision": self.config.precision,
            "devices": self.config.devices,
        }
        run_file = self.out / "run.json"
        if run_file.exists():
            previous = _io.read_json(run_file).get("settings")
            if isinstance(previous, dict):
                # Runs written before --precision (--devices) existed trained in float32
                # (on one device).
                previous.setdefault("precision", "float32")
                previous.setdefault("devices", 1)
                # Runs written before phases had their own defaults recorded the
                # tutorial's epochs and batch size as if they had been given.
                if previous.get("batch_size") == 64 and settings["batch_size"] is None:
                    previous["batch_size"] = None
                if (previous.get("epochs") == (1 if self.config.quick else 10)
                        and settings["epochs"] is None):
                    previous["epochs"] = None
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

    def rotated_test_set(self) -> Any:
        """The test set's rotated copy of every evaluation (`RotatedSet`), built once."""
        if self._rotated is None:
            d = self.data()
            self._rotated = rotate_right_angles(d["x_test"], d["y_test"], TUTORIAL_ANGLES,
                                                self.seed)
        return self._rotated

    # ---------------------------------------------------------------- models
    def classifier(self, **kwargs: Any) -> Any:
        """The tutorial's CNN in this run's precision (`mnist_cnn(dtype=..., **kwargs)`)."""
        return mnist_cnn(dtype=self.config.precision, **kwargs)

    def train(self, name: str, build: Callable[[], Any], x: Any, y: Any, label: str, *,
              epochs: int | None = None, batch_size: int | None = None) -> Any:
        """Trains (or loads, when already trained) the model `name`; resumes interrupted runs.

        The model is built by `build()` after seeding Keras with the run's seed (a resumed
        run builds the same untrained model), trained for `epochs` (default: the run's)
        with `rotkeras.training.fit_classifier`, checkpointed every epoch and saved as
        `models/<name>.keras`. `x, y` are arrays (`y` a tuple for a model with several
        outputs), or `x` is a `keras.utils.PyDataset` of batches and `y` is None.
        """
        epochs = self.config.train_epochs if epochs is None else epochs
        if isinstance(x, keras.utils.PyDataset):
            batch_size = None  # the dataset's own
        else:
            batch_size = self.config.train_batch_size if batch_size is None else batch_size
        epoch_work = PHASES[self._phase].epoch_cost if self._phase in PHASES else 0.0
        path = self.model_dir / f"{name}.keras"
        if path.exists():
            self.clock.skip(epochs * epoch_work)
            return self.model(name)
        # Initial weights from the seed alone, not from what ran before in this process.
        keras.utils.set_random_seed(self.seed)
        model = build()
        backup = self.backup_dir / name
        done = checkpoint.restore(model, backup)
        if done:
            self.clock.say(f"  {label}: resuming after epoch {done}/{epochs}")
            self.clock.skip(done * epoch_work)
        callbacks = [checkpoint.EpochCheckpoint(backup),
                     EpochProgress(self.clock, label, epoch_work, epochs)]
        start = time.perf_counter()
        fit_classifier(
            model, x, y, epochs=epochs, batch_size=batch_size,
            seed=self.seed, callbacks=callbacks, initial_epoch=done,
            verbose=fit_verbosity(self.config.quiet, own_epoch_lines=True),
        )
        seconds = time.perf_counter() - start
        _io.save_atomically(path, model.save)
        shutil.rmtree(backup, ignore_errors=True)
        _io.write_json(self.model_dir / f"{name}.json", {"train_seconds": seconds,
                                                         "epochs": epochs})
        self._models[name] = model
        return model

    def compose(self, name: str, build: Callable[[], Any]) -> Any:
        """A model made from trained ones (no training), saved as `models/<name>.keras`."""
        path = self.model_dir / f"{name}.keras"
        if path.exists():
            return self.model(name)
        model = build()
        _io.save_atomically(path, model.save)
        self._models[name] = model
        return model

    def model(self, name: str) -> Any:
        """A trained model of an earlier phase (loaded from disk after a restart)."""
        if name not in self._models:
            self._models[name] = keras.saving.load_model(self.model_dir / f"{name}.keras")
        return self._models[name]

    # ---------------------------------------------------------------- evaluation
    def evaluate(self, model: Any, name: str) -> dict[str, Any]:
        """Upright/rotated/combined accuracy, confusion matrices and classification reports.

        The accuracies are `rotkeras.evaluation.rotation_robustness`'s, from the same
        predictions (`predict_rotated_sets`), which also give the reports.
        """
        d = self.data()
        predictions = predict_rotated_sets(model, d["x_test"], d["y_test"], TUTORIAL_ANGLES,
                                           self.seed)
        reports = {}
        for split in ("upright", "rotated"):
            predicted = getattr(predictions, split)
            reports[split] = {
                "confusion_matrix": confusion_matrix(predictions.labels, predicted,
                                                     labels=list(range(10))).tolist(),
                "classification_report": classification_report(
                    predictions.labels, predicted, labels=list(range(10)), digits=4,
                    zero_division=0),
            }
            _io.write_text(self.out / "classification_reports" / f"{name}_{split}.txt",
                           reports[split]["classification_report"])
        return {**predictions.scores(),
                **{f"{split}_details": value for split, value in reports.items()}}

    # ---------------------------------------------------------------- driver
    def run(self) -> dict[str, Any]:
        """Runs every unfinished phase, then writes the report; returns the metrics."""
        self.prepare_output()
        names = phase_names(self.config)
        epochs = self.config.train_epochs
        # The work planned, in epochs of the reference CNN, for the time-left estimate:
        # that of every phase not finished in an earlier run.
        pending = [n for n in names if not (self.phase_dir / f"{n}.json").exists()]
        self.clock = RunClock(sum(sum(PHASES[n].cost(self.config)) for n in pending))
        self.clock.say(f"rotkeras reproduce -> {self.out} ({len(names)} phases, {epochs} "
                       f"epoch{'' if epochs == 1 else 's'} per tutorial network"
                       f"{', quick' if self.config.quick else ''})")
        results = {}
        for number, name in enumerate(names, start=1):
            phase_file = self.phase_dir / f"{name}.json"
            if phase_file.exists():
                results[name] = _io.read_json(phase_file)
                self.clock.say(f"[{number}/{len(names)}] {name}: done in an earlier run, skipped")
                continue
            self.clock.say(f"[{number}/{len(names)}] {name}: {PHASES[name].title}")
            self._phase, start, trained = name, time.perf_counter(), self.clock.seconds
            results[name] = PHASES[name].run(self)
            seconds = time.perf_counter() - start
            # The rest of the phase (evaluation, sweeps, figures) at its own cost.
            self.clock.record(PHASES[name].other_cost, seconds - (self.clock.seconds - trained))
            results[name]["seconds"] = round(seconds, 1)
            _io.write_json(phase_file, results[name])
            self.clock.say(f"[{number}/{len(names)}] {name}: finished in "
                           f"{format_seconds(results[name]['seconds'])}")
        metrics = write_report(self.out, results, self.config)
        shutil.rmtree(self.backup_dir, ignore_errors=True)
        self.clock.say(f"report: {self.out / 'report.md'}")
        return metrics


def reproduce(config: ReproduceConfig) -> dict[str, Any]:
    """Runs `rotkeras reproduce` with `config`; returns the metrics written to metrics.json.

    Examples:
        Trains four networks (about a minute with `quick=True`, so not run in the docs' tests):

        >>> from pathlib import Path
        >>> from rotkeras.cli.reproduce import ReproduceConfig, reproduce
        >>> metrics = reproduce(ReproduceConfig(out=Path("report"), quick=True))  # doctest: +SKIP
        >>> sorted(metrics["models"])  # doctest: +SKIP
        ['reference', 'solution1', 'solution2_onthefly', 'solution2_static']
    """
    # Evaluating many test sets retraces predict functions; TensorFlow warns about it.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    # "auto" becomes the precision measured fastest on this backend and machine; the
    # resolved name is what the run records (run.json, report) and trains with.
    config = dataclasses.replace(config, precision=resolve_precision(config.precision))
    # With --devices, everything (building, training, loading, evaluating the models) runs
    # data parallel inside one `data_parallel` block; the run records the device count.
    with data_parallel(config.devices) as devices:
        # Every phase's batch (--batch-size, else each recipe's) is a global batch.
        for batch_size in {config.train_batch_size, config.batch_size_or(128)}:
            if batch_size % devices:
                raise ValueError(
                    f"the batch size {batch_size} must be a multiple of the {devices} devices "
                    "(it is the global batch, split evenly over them); set --batch-size"
                )
        config = dataclasses.replace(config, devices=devices)
        keras.utils.set_random_seed(config.seed)
        return Runner(config).run()
