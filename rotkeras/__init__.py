"""rotkeras: Keras 3 layers and models that make handwritten-digit CNNs robust to rotation.

Importing `rotkeras` registers its layers with Keras' serialization, so that
`keras.saving.load_model("model.keras")` finds them.
"""

from rotkeras import datasets, evaluation, layers, metrics, models
from rotkeras._version import __version__

__all__ = ["__version__", "datasets", "evaluation", "layers", "metrics", "models"]
