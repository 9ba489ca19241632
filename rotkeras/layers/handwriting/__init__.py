"""Layers for photos of handwriting: MNIST-style preprocessing and stroke-width augmentation."""

from rotkeras.layers.handwriting.handwriting_preprocess import HandwritingPreprocess
from rotkeras.layers.handwriting.random_stroke_width import RandomStrokeWidth

__all__ = ["HandwritingPreprocess", "RandomStrokeWidth"]
