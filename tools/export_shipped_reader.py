"""Writes the shipped reader as ONNX (rotkeras/weights/digit_reader_256.onnx) + its checksum.

`rotkeras predict` runs this file with ONNX Runtime, when it is installed, instead of
importing Keras: the same network and preprocessing as `rotkeras.models.digit_reader()`
(tests/models/test_export_runtimes.py checks that they agree), for photos letterboxed
to 256x256. Outputs: digits (N, 10), orientation (N, 4) and the 28x28 image the network
saw (N, 28, 28, 1), which `rotkeras predict` uses to report blank photos.

Run after changing the reader's weights, preprocessing or architecture:

    python tools/export_shipped_reader.py
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import keras

import rotkeras
from rotkeras.models import export_model

SIZE = 256
NAME = f"digit_reader_{SIZE}.onnx"


def main() -> int:
    weights = Path(rotkeras.__file__).parent / "weights"
    reader = rotkeras.models.digit_reader()
    seen = reader.get_layer("preprocess").output
    model = keras.Model(reader.inputs, [*reader.outputs, seen], name="digit_reader_seen")
    target = export_model(model, weights / NAME, format="onnx", input_size=SIZE)
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    sums = weights / "SHA256SUMS"
    lines = [line for line in sums.read_text().splitlines() if not line.endswith(f"  {NAME}")]
    sums.write_text("\n".join([*lines, f"{digest}  {NAME}"]) + "\n")
    print(f"wrote {target} ({target.stat().st_size / 1e6:.2f} MB), sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
