"""Evaluation: accuracy on upright, rotated and combined sets, per angle, and on photos.

Every accuracy rotkeras reports comes from these functions (`rotkeras reproduce` included):
`rotkeras.evaluation.rotation` scores classifiers of 28x28 digits on the sets built by
`rotkeras.datasets` (fixed seed), `rotkeras.evaluation.photos` scores classifiers and
readers on folders of photos, upright and turned.
"""

from rotkeras.evaluation.photos import (
    evaluate_photos,
    photo_report_lines,
    preprocess_photos,
    turned_mean,
    with_shipped_reader,
)
from rotkeras.evaluation.rotation import (
    RotatedPredictions,
    accuracy,
    accuracy_per_angle,
    class_output,
    predict_classes,
    predict_padded,
    predict_rotated_sets,
    rotation_robustness,
)

__all__ = [
    "RotatedPredictions",
    "accuracy",
    "accuracy_per_angle",
    "class_output",
    "evaluate_photos",
    "photo_report_lines",
    "predict_classes",
    "predict_padded",
    "predict_rotated_sets",
    "preprocess_photos",
    "rotation_robustness",
    "turned_mean",
    "with_shipped_reader",
]
