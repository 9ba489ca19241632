"""Classify photos of handwritten digits with the MNIST CNN and HandwritingPreprocess.

Reads photos (files or folders; EXIF orientation applied), normalises them to MNIST-like
28x28 images and prints the predicted digits, next to what the tutorial's simple
preprocessing (grayscale, resize, /255, invert) would give. Without --model it trains
the tutorial's CNN on MNIST first; without photos it renders a few synthetic ones.

    python examples/predict_photo.py my_digits/ --model mnist_cnn.keras
    python examples/predict_photo.py --quick    # seconds: trains on 2,000 images, 1 epoch

The MNIST file comes from --data, else $ROTKERAS_MNIST, else Keras' download.
"""

from __future__ import annotations

import argparse

import keras
import numpy as np

from rotkeras.datasets import (
    collect_files,
    letterbox,
    load_mnist,
    make_synthetic_photos,
    read_image,
    to_float_images,
)
from rotkeras.datasets.photos import write_contact_sheet
from rotkeras.layers import HandwritingPreprocess
from rotkeras.models import mnist_cnn


def main() -> None:
    parser = argparse.ArgumentParser(description="Classify photos of handwritten digits.")
    parser.add_argument("photos", nargs="*", help="image files or folders")
    parser.add_argument("--model", default=None, help="trained digit classifier (.keras)")
    parser.add_argument("--data", default=None, help="path of mnist.npz")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--save-inputs", default=None, help="contact sheet of the 28x28 inputs")
    parser.add_argument("--quick", action="store_true", help="tiny training run (for CI)")
    args = parser.parse_args()

    keras.utils.set_random_seed(0)
    if args.model:
        model = keras.saving.load_model(args.model)
    else:
        (x_train, y_train), (x_test, y_test) = load_mnist(args.data)
        limit = 2000 if args.quick else len(x_train)
        model = mnist_cnn()
        model.fit(to_float_images(x_train[:limit]), y_train[:limit],
                  epochs=1 if args.quick else args.epochs, batch_size=64, verbose=0)

    if args.photos:
        files = collect_files(args.photos)
        photos = np.stack([letterbox(read_image(f), 256) for f in files])
        names = [str(f) for f in files]
        labels = None
    else:
        _, (digits, digit_labels) = load_mnist(args.data)
        photos, labels = make_synthetic_photos(
            16 if args.quick else 64, digits, digit_labels, size=256, seed=0
        )
        names = [f"synthetic_{i:02d} (true {y})" for i, y in enumerate(labels)]

    x_mnist = np.asarray(HandwritingPreprocess()(photos))
    x_tutorial = np.asarray(HandwritingPreprocess(mode="tutorial")(photos))
    p_mnist = model.predict(x_mnist, verbose=0)
    p_tutorial = model.predict(x_tutorial, verbose=0)
    width = max(len(n) for n in names)
    print(f"{'photo':<{width}}  HandwritingPreprocess  tutorial preprocessing")
    for name, a, b in zip(names, p_mnist, p_tutorial, strict=True):
        print(f"{name:<{width}}  {a.argmax():>5} ({a.max():.2f})        {b.argmax():>5} "
              f"({b.max():.2f})")
    if labels is not None:
        print(f"accuracy: HandwritingPreprocess {np.mean(p_mnist.argmax(1) == labels):.3f}, "
              f"tutorial {np.mean(p_tutorial.argmax(1) == labels):.3f}")
    if args.save_inputs:
        captions = [str(int(p.argmax())) for p in p_mnist]
        write_contact_sheet(args.save_inputs, x_mnist[..., 0], captions)


if __name__ == "__main__":
    main()
