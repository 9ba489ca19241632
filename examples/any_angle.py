"""Any angle: estimate how a digit is turned, to a few degrees, and turn it back.

Trains `angle_classifier(num_angles=72)` (5-degree classes) on MNIST digits turned by
random angles made on the fly (`angle_dataset(..., jitter=True)`), 12 epochs at Adam's
1e-3 and 4 at 1e-4, then measures its absolute angle error on the test set turned by
uniformly random angles (mean, median, 95th percentile), and turns the test digits back
with `OrientationCorrection(num_angles=72)`.

    python examples/any_angle.py            # 12 + 4 epochs on all of MNIST
    python examples/any_angle.py --quick    # seconds: 1,000 images, 1 + 1 epochs

The MNIST file comes from --data, else $ROTKERAS_MNIST, else Keras' download.
"""

from __future__ import annotations

import argparse

import keras
import numpy as np

import rotkeras
from rotkeras import ops
from rotkeras.datasets import angle_dataset, load_mnist, to_float_images
from rotkeras.layers import OrientationCorrection

NUM_ANGLES = 72


def main() -> None:
    parser = argparse.ArgumentParser(description="Angle estimation for any angle.")
    parser.add_argument("--data", default=None, help="path of mnist.npz")
    parser.add_argument("--epochs", type=int, default=12, help="epochs at learning rate 1e-3")
    parser.add_argument("--fine-epochs", type=int, default=4, help="epochs at 1e-4")
    parser.add_argument("--quick", action="store_true", help="tiny subset and 1 epoch (for CI)")
    args = parser.parse_args()

    keras.utils.set_random_seed(0)
    (x_train, _), (x_test, _) = load_mnist(args.data)
    if args.quick:
        x_train, x_test = x_train[:1000], x_test[:500]
        args.epochs = args.fine_epochs = 1

    model = rotkeras.models.angle_classifier(num_angles=NUM_ANGLES)
    print(f"angle model: {model.count_params():,} parameters")
    # The dataset shuffles itself every epoch (seeded); shuffle=False only tells Keras so.
    model.fit(angle_dataset(x_train, num_angles=NUM_ANGLES, seed=0, jitter=True),
              epochs=args.epochs, shuffle=False, verbose=2)
    model.optimizer.learning_rate.assign(1e-4)
    model.fit(angle_dataset(x_train, num_angles=NUM_ANGLES, seed=1, jitter=True),
              epochs=args.fine_epochs, shuffle=False, verbose=2)

    # The test set, every image turned by its own uniformly random angle.
    images = to_float_images(x_test)
    angles = np.random.default_rng(123).uniform(0.0, 360.0, len(images)).astype("float32")
    turned = keras.ops.convert_to_numpy(ops.rotate(images, angles, data_format="channels_last"))
    probabilities = model.predict(turned, batch_size=1024, verbose=0)
    predicted = probabilities.argmax(axis=1) * (360.0 / NUM_ANGLES)
    error = np.abs((predicted - angles + 180.0) % 360.0 - 180.0)
    print(f"absolute angle error: mean {error.mean():.2f}, median {np.median(error):.2f}, "
          f"95th percentile {np.percentile(error, 95):.2f} degrees")

    # Turning the digits back by the predicted angle.
    upright = OrientationCorrection(num_angles=NUM_ANGLES)([turned, probabilities])
    residual = np.abs(keras.ops.convert_to_numpy(upright) - images).mean()
    print(f"mean absolute pixel difference to the upright digits after correction: {residual:.3f}")


if __name__ == "__main__":
    main()
