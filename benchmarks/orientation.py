"""Measures Solution 1 (orientation correction) on real MNIST; prints and saves JSON.

Reproduces the numbers of docs/orientation-correction.md:

    KERAS_BACKEND=tensorflow ROTKERAS_MNIST=/path/to/mnist.npz \\
        python benchmarks/orientation.py --out orientation.json

`--quick` runs a tiny smoke version (a few hundred images, 1 epoch each).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import keras
import numpy as np

import rotkeras
from rotkeras.datasets import angle_dataset, load_mnist, rotate_right_angles, to_float_images
from rotkeras.evaluation import accuracy, rotation_robustness
from rotkeras.metrics import angle_error


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="mnist.npz (default: $ROTKERAS_MNIST)")
    parser.add_argument("--classifier-epochs", type=int, default=10)
    parser.add_argument("--angle-epochs", type=int, default=5)
    parser.add_argument("--fine-epochs", type=int, default=3, help="epochs of the 360-way model")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=None, help="use the first N train images")
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--skip-fine", action="store_true", help="skip the 360-way model")
    parser.add_argument(
        "--solution2",
        action="store_true",
        help="also train the tutorial's Solution 2 (rotation augmentation) for comparison",
    )
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON")
    parser.add_argument("--save-dir", type=Path, default=None, help="save the trained models")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.quick:
        args.classifier_epochs = args.angle_epochs = args.fine_epochs = 1
        args.limit = args.limit or 512
    keras.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_mnist(args.data)
    if args.limit:
        x_train, y_train = x_train[: args.limit], y_train[: args.limit]
        x_test, y_test = x_test[: args.limit], y_test[: args.limit]
    results: dict[str, object] = {
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }
    timings: dict[str, float] = {}
    results["timings"] = timings

    def save() -> None:
        if args.out:
            args.out.write_text(json.dumps(results, indent=2) + "\n")

    x_train_float = to_float_images(x_train)

    def train_digits(model: keras.Model, result_key: str, timing_key: str) -> keras.Model:
        """Fits `model` on the digits with the tutorial's recipe; times and scores it."""
        start = time.perf_counter()
        model.fit(
            x_train_float,
            y_train,
            epochs=args.classifier_epochs,
            batch_size=args.batch_size,
            verbose=2,
        )
        timings[timing_key] = time.perf_counter() - start
        results[result_key] = rotation_robustness(model, x_test, y_test)
        save()
        return model

    # Digit classifier on upright MNIST (the tutorial's model and recipe).
    classifier = train_digits(
        rotkeras.models.mnist_cnn(), "classifier", "classifier_fit_s"
    )

    # 4-way angle classifier, trained on on-the-fly rotated copies of the train set.
    start = time.perf_counter()
    angle_model = rotkeras.models.angle_classifier(num_angles=4)
    angle_model.fit(
        angle_dataset(x_train, num_angles=4, batch_size=args.batch_size, seed=args.seed),
        epochs=args.angle_epochs,
        verbose=2,
    )
    timings["angle_fit_s"] = time.perf_counter() - start
    rotated = rotate_right_angles(x_test, y_test, seed=0)
    true_k = (rotated.angles // 90) % 4
    predicted_k = np.argmax(
        angle_model.predict(to_float_images(rotated.images), batch_size=1024, verbose=0), axis=1
    )
    upright_k = np.argmax(
        angle_model.predict(to_float_images(x_test), batch_size=1024, verbose=0), axis=1
    )
    correct = predicted_k == true_k
    results["angle_model_4"] = {
        "params": angle_model.count_params(),
        "accuracy_rotated": float(correct.mean()),
        "accuracy_upright": float(np.mean(upright_k == 0)),
        "accuracy_rotated_per_digit": {
            int(d): float(correct[y_test == d].mean()) for d in range(10)
        },
        "accuracy_upright_per_digit": {
            int(d): float(np.mean(upright_k[y_test == d] == 0)) for d in range(10)
        },
        # Which wrong angle: errors by 180 degrees are the 0/1/8 and 6/9 ambiguities.
        "errors_by_offset_deg": {
            int(90 * off): int(np.sum((predicted_k - true_k) % 4 == off)) for off in (1, 2, 3)
        },
    }
    solution1 = rotkeras.models.orientation_corrected(classifier, angle_model)
    results["solution1"] = rotation_robustness(solution1, x_test, y_test)
    results["solution1"]["upright_accuracy_check"] = accuracy(solution1, x_test, y_test)
    save()

    if not args.skip_fine:
        start = time.perf_counter()
        fine = rotkeras.models.angle_classifier(num_angles=360)
        fine.fit(
            angle_dataset(x_train, num_angles=360, batch_size=args.batch_size, seed=args.seed),
            epochs=args.fine_epochs,
            verbose=2,
        )
        timings["fine_fit_s"] = time.perf_counter() - start
        # The test set, each image rotated by a random whole-degree angle (seed 0).
        images, classes = [], []
        for batch_images, batch_classes in angle_dataset(
            x_test, num_angles=360, batch_size=1000, seed=0, shuffle=False
        ):
            images.append(batch_images.numpy())
            classes.append(batch_classes.numpy())
        images_360, classes_360 = np.concatenate(images), np.concatenate(classes)
        predicted = np.argmax(fine.predict(images_360, batch_size=1024, verbose=0), axis=1)
        errors = np.abs((predicted - classes_360 + 180) % 360 - 180)
        solution1_fine = rotkeras.models.orientation_corrected(
            classifier, fine, name="orientation_corrected_360"
        )
        results["angle_model_360"] = {
            "params": fine.count_params(),
            "rotnet_params": 1_260_000,
            "mean_angle_error_deg": angle_error(classes_360, predicted, 360),
            "rotnet_mean_angle_error_deg": 6.5,
            "median_angle_error_deg": float(np.median(errors)),
            "within_10_deg": float(np.mean(errors <= 10)),
            "over_90_deg": float(np.mean(errors > 90)),
            "solution1_digit_accuracy_random_angles": accuracy(
                solution1_fine, images_360, y_test
            ),
            "classifier_digit_accuracy_random_angles": accuracy(classifier, images_360, y_test),
            "solution1_right_angle_sets": rotation_robustness(solution1_fine, x_test, y_test),
        }
        save()
        if args.save_dir:
            args.save_dir.mkdir(parents=True, exist_ok=True)
            fine.save(args.save_dir / "angle_classifier_360.keras")

    if args.solution2:
        # Solution 2 for comparison: the same CNN trained with exact right-angle
        # augmentation of every batch (upright + the tutorial's three rotations).
        augmentation = rotkeras.layers.RandomRightAngleRotation(
            angles=(0, 90, -90, 180), seed=args.seed
        )
        train_digits(
            rotkeras.models.mnist_cnn(preprocessing=augmentation),
            "solution2_augmented",
            "solution2_fit_s",
        )

    if args.save_dir:
        args.save_dir.mkdir(parents=True, exist_ok=True)
        classifier.save(args.save_dir / "mnist_cnn.keras")
        angle_model.save(args.save_dir / "angle_classifier_4.keras")
        solution1.save(args.save_dir / "orientation_corrected.keras")
    save()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
