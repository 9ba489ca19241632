"""Draws docs/img/p4_feature_maps.png: a p4 network's first feature maps turning with its input.

Usage::

    python tools/p4_feature_maps.py MODEL.keras [--out docs/img/p4_feature_maps.png]

`MODEL.keras` is a `rotation_robust_cnn` (or any model whose first `P4Conv2D` layer is a
lifting convolution), for example `models/rotation_robust.keras` of `rotkeras reproduce`.
Rows: one MNIST test digit upright and turned by 90, 180 and 270 degrees; columns: the
input and one channel of the first p4 layer in its four orientations.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--out", default="docs/img/p4_feature_maps.png")
    parser.add_argument("--data", default=None, help="MNIST file (default: Keras' download)")
    parser.add_argument("--index", type=int, default=0, help="MNIST test image to draw")
    parser.add_argument("--channel", type=int, default=None,
                        help="channel to draw (default: the one whose orientations differ most)")
    args = parser.parse_args()

    import keras
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import rotkeras

    model = keras.saving.load_model(args.model)
    conv = next(layer for layer in model.layers if isinstance(layer, rotkeras.layers.P4Conv2D))
    probe = keras.Model(model.inputs, conv.output)
    _, (x_test, _) = rotkeras.datasets.load_mnist(args.data)
    digit = rotkeras.datasets.to_float_images(x_test[args.index : args.index + 1])
    inputs = np.concatenate([np.rot90(digit, k, axes=(1, 2)) for k in range(4)])
    maps = np.asarray(keras.ops.convert_to_numpy(probe(inputs, training=False)))  # (4, h, w, 4, c)
    channel = args.channel
    if channel is None:
        # The channel whose four orientations differ most: a rotation-symmetric blob
        # detector would show nothing.
        spread = maps[0].std(axis=2).mean(axis=(0, 1)) / (maps[0].std(axis=(0, 1, 2)) + 1e-6)
        channel = int(np.argmax(spread))
    low, high = float(maps[..., channel].min()), float(maps[..., channel].max())

    fig, axes = plt.subplots(4, 6, figsize=(9.5, 6.6),
                             gridspec_kw={"width_ratios": [1, 0.25, 1, 1, 1, 1]})
    for turn in range(4):
        axes[turn, 0].imshow(inputs[turn, :, :, 0], cmap="gray_r")
        axes[turn, 0].set_ylabel(f"input turned\n{90 * turn} degrees", fontsize=12)
        axes[turn, 1].axis("off")
        for orientation in range(4):
            axes[turn, 2 + orientation].imshow(
                maps[turn, :, :, orientation, channel], cmap="magma", vmin=low, vmax=high
            )
            if turn == 0:
                axes[turn, 2 + orientation].set_title(f"orientation {orientation}", fontsize=12)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(
        f"One channel of the first p4 layer ({conv.name}): turning the input turns every map "
        "\nand moves it one orientation to the right",
        fontsize=12,
    )
    fig.tight_layout()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out} (channel {channel})")


if __name__ == "__main__":
    main()
