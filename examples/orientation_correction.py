"""Solution 1: correct the orientation of a digit, then classify it.

Trains the tutorial's digit CNN on upright MNIST and a 4-way angle classifier on
on-the-fly rotated copies, composes them into one Keras model, evaluates it on the
upright, rotated and combined test sets, and saves/loads it as a single .keras file.

    python examples/orientation_correction.py            # 10 + 5 epochs on all of MNIST
    python examples/orientation_correction.py --quick    # seconds: 1,000 images, 1 epoch

The MNIST file comes from --data, else $ROTKERAS_MNIST, else Keras' download.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import keras

import rotkeras
from rotkeras.datasets import angle_dataset, load_mnist, to_float_images
from rotkeras.evaluation import rotation_robustness


def main() -> None:
    parser = argparse.ArgumentParser(description="Orientation correction (Solution 1).")
    parser.add_argument("--data", default=None, help="path of mnist.npz")
    parser.add_argument("--epochs", type=int, default=10, help="digit classifier epochs")
    parser.add_argument("--angle-epochs", type=int, default=5, help="angle classifier epochs")
    parser.add_argument("--quick", action="store_true", help="tiny subset and 1 epoch (for CI)")
    args = parser.parse_args()

    keras.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = load_mnist(args.data)
    if args.quick:
        x_train, y_train = x_train[:1000], y_train[:1000]
        x_test, y_test = x_test[:500], y_test[:500]
        args.epochs = args.angle_epochs = 1

    # 1. The digit classifier, trained on upright digits only.
    classifier = rotkeras.models.mnist_cnn()
    classifier.fit(to_float_images(x_train), y_train, epochs=args.epochs, batch_size=64, verbose=2)

    # 2. The angle classifier: class k = "rotated by k * 90 degrees counter-clockwise",
    #    trained on rotated copies of the same images made on the fly.
    angle_model = rotkeras.models.angle_classifier(num_angles=4)
    # The dataset shuffles itself every epoch (seeded); shuffle=False only tells Keras so.
    angle_model.fit(angle_dataset(x_train, num_angles=4, batch_size=64), epochs=args.angle_epochs,
                    shuffle=False, verbose=2)

    # 3. One model: image -> angle -> turned upright (exactly) -> digit probabilities.
    model = rotkeras.models.orientation_corrected(classifier, angle_model)

    for name, candidate in (("digit CNN alone", classifier), ("orientation corrected", model)):
        scores = rotation_robustness(candidate, x_test, y_test)
        print(f"{name:>22}: " + ", ".join(f"{k} {v:.2%}" for k, v in scores.items()))

    # 4. It saves and loads as a single .keras file (default safe_mode).
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "orientation_corrected.keras"
        model.save(path)
        restored = keras.saving.load_model(path)
        print("reloaded model, rotated-set accuracy:",
              f"{rotation_robustness(restored, x_test, y_test)['rotated']:.2%}")


if __name__ == "__main__":
    main()
