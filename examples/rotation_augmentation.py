"""Solution 2 in a few lines: train the tutorial's CNN with on-the-fly right-angle rotations.

    python examples/rotation_augmentation.py            # 10 epochs on full MNIST
    python examples/rotation_augmentation.py --quick    # 2,000 images, 1 epoch (CI)

MNIST comes from $ROTKERAS_MNIST, else Keras' download.
"""

from __future__ import annotations

import argparse

import rotkeras
from rotkeras.layers import RandomRightAngleRotation
from rotkeras.training import fit_classifier, recommended_dtype_policy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny subset, one epoch")
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()

    (x_train, y_train), (x_test, y_test) = rotkeras.datasets.load_mnist()
    if args.quick:
        x_train, y_train = x_train[:2000], y_train[:2000]
        x_test, y_test = x_test[:500], y_test[:500]
    x_train = rotkeras.datasets.to_float_images(x_train)
    x_test = rotkeras.datasets.to_float_images(x_test)

    # The augmentation is part of the model: active in fit, the identity in predict/evaluate.
    # dtype: mixed bfloat16 where it trains faster at equal accuracy (CPUs with native
    # bfloat16 on TensorFlow/PyTorch), else float32; see the Performance page.
    policy = recommended_dtype_policy()
    model = rotkeras.models.mnist_cnn(
        preprocessing=RandomRightAngleRotation(angles=(0, 90, -90, 180), seed=0),
        dtype=policy,
    )
    # The tutorial's recipe (batch 64, one shuffle per epoch), fed the fast way for the backend.
    fit_classifier(model, x_train, y_train, epochs=1 if args.quick else args.epochs,
                   batch_size=64, seed=0, verbose=2)
    print(f"precision: {policy}")

    scores = rotkeras.evaluation.rotation_robustness(model, x_test, y_test, seed=0)
    for name in ("upright", "rotated", "combined"):
        print(f"{name:>9}: {100 * scores[name]:.2f}%")


if __name__ == "__main__":
    main()
