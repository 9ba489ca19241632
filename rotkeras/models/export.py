"""Exporting rotkeras models for serving: SavedModel, TFLite (LiteRT) and ONNX."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras

from rotkeras import _validation as check
from rotkeras._paths import EXPORT_FORMATS, export_target

#: The formats `export_model` writes.
FORMATS = EXPORT_FORMATS
_DTYPES = ("uint8", "float32")


class _Serving(keras.Model):
    """Inference-only view of a model: `training=False`, float32 outputs named by output.

    Training-only layers (augmentation such as `RandomRightAngleRotation`, dropout) are
    inactive because the wrapped model is always called with `training=False`; outputs
    computed in a mixed precision policy come out as float32.
    """

    def __init__(self, model: keras.Model, output_names: Sequence[str], as_dict: bool,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.inner = model
        self.names = tuple(output_names)
        self.as_dict = as_dict
        self.built = True  # the wrapped model is built; this view adds no weights

    def call(self, inputs: Any) -> Any:
        outputs = self.inner(inputs, training=False)
        if isinstance(outputs, dict):
            values = [outputs[name] for name in self.names]
        elif isinstance(outputs, (list, tuple)):
            values = list(outputs)
        else:
            values = [outputs]
        values = [keras.ops.cast(value, "float32") for value in values]
        if self.as_dict:
            return dict(zip(self.names, values, strict=True))
        # TFLite and ONNX name their outputs output_0, output_1, ...: keep the model's order.
        return values[0] if len(values) == 1 else tuple(values)


def _output_names(model: keras.Model) -> list[str]:
    names = list(getattr(model, "output_names", None) or [])
    count = len(model.outputs) if getattr(model, "outputs", None) else 1
    if len(names) != count or len(set(names)) != count:
        names = [f"output_{i}" for i in range(count)]
    return names


def _input_size(value: object) -> tuple[int, int] | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError(
                "`input_size` must be an int or a (height, width) pair; received "
                f"input_size={value!r}"
            )
        return (check.check_int(value[0], "input_size[0]", minimum=2),
                check.check_int(value[1], "input_size[1]", minimum=2))
    size = check.check_int(value, "input_size", minimum=2)
    return size, size


def serving_input_shape(
    model: keras.Model, input_size: int | Sequence[int] | None = None,
    batch_size: int | None = None,
) -> tuple[int | None, ...]:
    """The input shape an export of `model` takes: the model's, with its free sizes fixed.

    Args:
        model: A Keras model with one rank-4 image input.
        input_size: `(height, width)` (or one int for a square) for a model whose input
            takes any size (a reader of photos); must equal the model's own size when it
            has one.
        batch_size: Fixed batch size, or `None` for any.

    Returns:
        `(batch, height, width, channels)` (channels first when the model reads so).

    Examples:
        >>> import rotkeras
        >>> from rotkeras.models.export import serving_input_shape
        >>> serving_input_shape(rotkeras.models.digit_reader(weights=None), 256)
        (None, 256, 256, 3)
    """
    if not isinstance(model, keras.Model):
        raise check.ArgumentTypeError(
            f"`model` must be a keras.Model; received {type(model).__name__}"
        )
    inputs = getattr(model, "inputs", None)
    if not inputs or len(inputs) != 1 or len(inputs[0].shape) != 4:
        raise ValueError(
            "export_model needs a model with one (batch, height, width, channels) image input; "
            f"received a model with inputs {[tuple(i.shape) for i in inputs or []]}"
        )
    if batch_size is not None:
        batch_size = check.check_positive_int(batch_size, "batch_size")
    shape = list(inputs[0].shape)
    size = _input_size(input_size)
    axes = (1, 2) if shape[3] is not None or shape[1] is None else (2, 3)
    if shape[1] is not None and shape[2] is not None and shape[3] is not None:
        # A fixed-size model (e.g. 28x28x1): the image axes are whichever two are not
        # the channels; a size passed must be the model's.
        if size is not None and size not in ((shape[1], shape[2]), (shape[2], shape[3])):
            raise ValueError(
                f"`input_size`={input_size!r} does not match the model's input shape "
                f"{tuple(inputs[0].shape)}"
            )
        return (batch_size, *shape[1:])
    if size is not None:
        shape[axes[0]], shape[axes[1]] = size
    return (batch_size, *shape[1:])


def export_model(
    model: keras.Model,
    path: str | os.PathLike[str],
    *,
    format: str = "tf_saved_model",
    input_size: int | Sequence[int] | None = None,
    input_dtype: str | None = None,
    batch_size: int | None = None,
    verbose: bool = False,
) -> Path:
    """Exports a model for inference: a SavedModel, a TFLite (LiteRT) file or an ONNX file.

    The export holds the model's forward pass in inference mode only: augmentation and
    other training-only layers (e.g. `RandomRightAngleRotation` in
    `mnist_cnn(preprocessing=...)`, dropout) are inactive, so serving gives what
    `model.predict` gives, the same for two identical calls. Outputs are float32 even
    for a model computed in a mixed precision policy, and are named after the model's
    outputs (the digit reader's: `"digits"` and `"orientation"`).

    A reader of photos (a model holding a `HandwritingPreprocess`, such as
    `digit_reader()`) takes uint8 photos by default. The SavedModel of such a model
    takes photos of any size when `input_size` is None (on the TensorFlow backend; on
    JAX, give `input_size`), with two endpoints: `serve`
    (uint8) and `serve_float` (float32 in `[0, 1]` or `[0, 255]`); with the size known
    only at run time its preprocessing resamples with an anti-aliased bilinear filter, so
    probabilities differ from `predict`'s by up to about 1e-3. TFLite and ONNX need
    a fixed photo size, `input_size` (photos are letterboxed to it first, as
    `rotkeras predict` does with `rotkeras.datasets.letterbox`).

    Args:
        model: The Keras model (any rotkeras factory model, the digit reader, or a model
            loaded from a `.keras` file) with one rank-4 image input.
        path: Where to write: a folder for `"tf_saved_model"`, a `.tflite` file for
            `"tflite"`, a `.onnx` file for `"onnx"`. Missing parent folders are created.
        format: `"tf_saved_model"`, `"tflite"` or `"onnx"`.
        input_size: `(height, width)` of the input (or one int for a square), for models
            that take any size; required for TFLite and ONNX then.
        input_dtype: `"uint8"` or `"float32"`; default uint8 for readers of photos, the
            model's input dtype otherwise.
        batch_size: Fixed batch size of the export, or None for any (TFLite: default 1).
        verbose: Print the exporter's progress messages.

    Returns:
        The path written.

    Raises:
        TypeError: If an argument has the wrong type.
        ValueError: If an argument has a bad value, or TFLite/ONNX (or, on JAX, any
            format) is asked for a model of free input size without `input_size`.
        ImportError: If the converter a format needs is not installed (ONNX needs
            `tf2onnx` and `onnx`: `pip install "rotkeras[export]"`).

    Examples:
        >>> import tempfile
        >>> import rotkeras
        >>> from rotkeras.models import export_model
        >>> model = rotkeras.models.mnist_cnn()
        >>> folder = tempfile.mkdtemp()
        >>> import keras
        >>> if keras.config.backend() != "torch":  # Keras exports only ONNX from PyTorch
        ...     print(export_model(model, f"{folder}/cnn", format="tf_saved_model").name)
        ... else:
        ...     print("cnn")
        cnn
    """
    if not isinstance(model, keras.Model):
        raise check.ArgumentTypeError(
            f"`model` must be a keras.Model; received {type(model).__name__}"
        )
    if not isinstance(path, (str, os.PathLike)):
        raise check.ArgumentTypeError(
            f"`path` must be a str or a path; received {type(path).__name__}"
        )
    format = check.check_choice(format, "format", FORMATS)
    if input_dtype is not None:
        input_dtype = check.check_choice(input_dtype, "input_dtype", _DTYPES)
    check.check_bool(verbose, "verbose")
    target = export_target(path, format, format_text=f"format={format!r}",
                           path_text=f"path={str(path)!r}")
    if format == "tflite" and batch_size is None:
        batch_size = 1
    shape = serving_input_shape(model, input_size, batch_size)
    _check_exportable(model, format, shape)
    from rotkeras.models.photo_input import embedded_preprocess

    photos = embedded_preprocess(model) is not None
    model_dtype = keras.backend.standardize_dtype(model.inputs[0].dtype)
    dtype = input_dtype or ("uint8" if photos else model_dtype)
    serving = _Serving(model, _output_names(model), as_dict=format == "tf_saved_model",
                       name=f"{model.name}_serving")
    target.parent.mkdir(parents=True, exist_ok=True)
    spec = keras.InputSpec(shape=shape, dtype=dtype)
    if format == "tf_saved_model":
        archive = keras.export.ExportArchive()
        archive.track(serving)
        archive.add_endpoint("serve", serving.call, input_signature=[spec])
        if photos and input_dtype is None:
            archive.add_endpoint("serve_float", serving.call,
                                 input_signature=[keras.InputSpec(shape=shape, dtype="float32")])
        archive.write_out(str(target), verbose=verbose)
        return target
    # Keras' converters want a model that has been called once.
    serving(keras.ops.zeros(tuple(1 if d is None else d for d in shape), dtype))
    if format == "onnx":
        _check_onnx_converter()
    serving.export(str(target), format="litert" if format == "tflite" else "onnx",
                   input_signature=[spec], verbose=verbose)
    return target


def _check_exportable(model: keras.Model, format: str, shape: tuple[int | None, ...]) -> None:
    """Raises `ValueError` unless this backend can export `model` in `format` with the
    serving input `shape` (TFLite and ONNX need a fixed size; some backends export no
    SavedModel, or none of any image size)."""
    if format != "tf_saved_model" and None in shape[1:]:
        raise ValueError(
            f"format={format!r} needs a fixed input size: the model takes images of any size "
            f"({tuple(model.inputs[0].shape)}); pass input_size=(height, width), e.g. 256"
        )
    from rotkeras import _backend

    if format not in _backend.export_formats():
        raise ValueError(
            f"format={format!r} cannot be exported on the {keras.config.backend()} backend "
            f"(Keras exports {', '.join(_backend.export_formats())} there); set KERAS_BACKEND="
            "tensorflow or jax for a SavedModel or a TFLite file"
        )
    if None in shape[1:] and not _backend.exports_any_image_size():
        raise ValueError(
            f"a model that takes images of any size ({tuple(model.inputs[0].shape)}) cannot be "
            f"exported for any size on the {keras.config.backend()} backend; pass "
            "input_size=(height, width), e.g. 256, or set KERAS_BACKEND=tensorflow"
        )


def _check_onnx_converter() -> None:
    missing = []
    from rotkeras import _backend

    for module in _backend.onnx_converter_modules():
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise ImportError(
            f"format='onnx' needs {' and '.join(missing)}: pip install \"rotkeras[export]\""
        )
