"""What a model expects: 28x28 digit images, or photos it preprocesses itself."""

from __future__ import annotations

from typing import Any

from rotkeras.layers.handwriting import HandwritingPreprocess

__all__ = ["embedded_preprocess", "takes_photos"]


def embedded_preprocess(model: Any) -> HandwritingPreprocess | None:
    """The model's own `HandwritingPreprocess` layer (first found, depth-first), or None.

    A reader of photos such as `rotkeras.models.digit_reader()` holds one; `rotkeras predict`
    then feeds it the letterboxed photos and shows what that layer made of them.

    Args:
        model: A Keras model (nested models are searched too), or any object.

    Returns:
        The layer, or None when the model holds none.

    Examples:
        >>> import rotkeras
        >>> from rotkeras.models import embedded_preprocess
        >>> type(embedded_preprocess(rotkeras.models.digit_reader(weights=None))).__name__
        'HandwritingPreprocess'
        >>> embedded_preprocess(rotkeras.models.mnist_cnn()) is None
        True
    """
    stack = list(getattr(model, "layers", []))[::-1]
    while stack:
        layer = stack.pop()
        if isinstance(layer, HandwritingPreprocess):
            return layer
        stack.extend(list(getattr(layer, "layers", []))[::-1])
    return None


def takes_photos(model: Any) -> bool:
    """Whether `model` reads letterboxed photos itself (its own preprocessing inside).

    True for a model led by a `HandwritingPreprocess` layer and for one whose input has
    3 channels or is uint8 (such as the shipped digit reader); False for a classifier of
    28x28x1 images.

    Examples:
        >>> import rotkeras
        >>> from rotkeras.models import takes_photos
        >>> takes_photos(rotkeras.models.digit_reader(weights=None))
        True
        >>> takes_photos(rotkeras.models.mnist_cnn())
        False
    """
    if embedded_preprocess(model) is not None:
        return True
    inputs = getattr(model, "inputs", None)
    if not inputs:
        return False
    tensor = inputs[0]
    return tensor.shape[-1] == 3 or "uint8" in str(getattr(tensor, "dtype", ""))
