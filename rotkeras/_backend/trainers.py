"""How Keras' trainers run and export on each backend (see the package docstring, point 4)."""

from __future__ import annotations

import keras


def export_formats() -> tuple[str, ...]:
    """The `model.export` formats Keras supports on the active backend.

    Keras exports a SavedModel (and from it TFLite) by tracing the model into a TensorFlow
    graph, which its PyTorch backend cannot do (`track` is not supported there); ONNX it
    exports from every backend. Keras does not report this, so it is written here.
    """
    if keras.backend.backend() == "torch":
        return ("onnx",)
    return ("tf_saved_model", "tflite", "onnx")


def exports_any_image_size() -> bool:
    """Whether a SavedModel of a reader of photos can take photos of any size.

    TensorFlow traces the model with unknown (`None`) sizes, for which
    `HandwritingPreprocess` has a path; on JAX Keras exports through jax2tf, which traces
    with symbolic sizes, and the layer's static working resolution cannot be chosen
    from a symbolic size. Keras does not report this, so it is written here.
    """
    return keras.backend.backend() == "tensorflow"


def onnx_converter_modules() -> tuple[str, ...]:
    """The Python packages Keras' ONNX export needs on the active backend.

    `model.export(format="onnx")` converts through tf2onnx on TensorFlow and with the
    backend's own exporter elsewhere; Keras does not report which, so it is written here.
    """
    return ("onnx", "tf2onnx") if keras.backend.backend() == "tensorflow" else ("onnx",)


def multi_step_execution_pays() -> bool:
    """Whether several train steps per call save time (TensorFlow only).

    On TensorFlow the compiled train function then loops over the steps inside its graph;
    on JAX Keras loops over single steps in Python, and PyTorch runs one step per call.
    """
    return keras.backend.backend() == "tensorflow"


def max_steps_per_execution(replicas: int = 1) -> int | None:
    """The most train steps per call Keras' trainer runs: 1 on PyTorch, else no limit.

    Also 1 on TensorFlow under a `tf.distribute` strategy with several replicas: Keras'
    multi-step loop fails there (`InvalidArgumentError` in `multi_step_on_iterator`,
    measured with Keras 3.15.1 and TensorFlow 2.21, arrays and `tf.data` alike).
    """
    backend = keras.backend.backend()
    if backend == "torch" or (backend == "tensorflow" and replicas > 1):
        return 1
    return None
