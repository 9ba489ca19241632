#!/usr/bin/env bash
# Runs every example in its quick mode (CI). Run from the repository root with the
# virtual environment's bin first on PATH and ROTKERAS_MNIST set.
set -euo pipefail

python examples/orientation_correction.py --quick
python examples/rotation_augmentation.py --quick
python examples/predict_photo.py --quick
python examples/any_angle.py --quick
