"""`rotkeras export`: a model (the shipped reader by default) to SavedModel, TFLite or ONNX."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

FORMATS = ("tf_saved_model", "tflite", "onnx")
_SUFFIX = {"tflite": ".tflite", "onnx": ".onnx"}


def check_export_arguments(
    model_path: str | os.PathLike[str] | None, out: str | os.PathLike[str], output_format: str,
) -> Path:
    """Checks the arguments of `rotkeras export` before Keras is imported; returns `out`."""
    if output_format not in FORMATS:
        raise ValueError(f"--format must be one of {FORMATS}; received {output_format!r}")
    target = Path(out).expanduser()
    suffix = _SUFFIX.get(output_format)
    if suffix is not None and target.suffix != suffix:
        raise ValueError(f"--format {output_format} writes a {suffix} file; received --out {out}")
    if suffix is None and target.exists() and not target.is_dir():
        raise ValueError(f"--format tf_saved_model writes a folder; {target} is a file")
    if model_path is not None:
        model_file = Path(model_path).expanduser()
        if not model_file.exists():
            raise FileNotFoundError(f"model file not found: {model_file}")
        if model_file.is_dir():
            raise ValueError(f"expected a .keras model file, got a folder: {model_file}")
    return target


def run_export(
    model_path: str | os.PathLike[str] | None,
    out: str | os.PathLike[str],
    *,
    output_format: str = "tf_saved_model",
    input_size: int | None = None,
    input_dtype: str | None = None,
    batch_size: int | None = None,
    log: TextIO | None = None,
) -> Path:
    """Exports a `.keras` model (default: the shipped digit reader) and prints what it wrote.

    Args:
        model_path: A `.keras` file, or None for `rotkeras.models.digit_reader()`.
        out: Folder (SavedModel) or `.tflite` / `.onnx` file to write.
        output_format: `"tf_saved_model"`, `"tflite"` or `"onnx"`.
        input_size: Side of the square input of a model that takes any size (the reader:
            photos letterboxed to this size); required for TFLite and ONNX then.
        input_dtype: `"uint8"` or `"float32"` (default: uint8 for readers of photos).
        batch_size: Fixed batch size (default: any; TFLite: 1).
        log: Where the summary line goes (default: stdout).

    Returns:
        The path written.

    Examples:
        >>> import io, tempfile
        >>> import rotkeras
        >>> from rotkeras.cli.export import run_export
        >>> folder = tempfile.mkdtemp()
        >>> rotkeras.models.mnist_cnn().save(f"{folder}/cnn.keras")  # untrained, for the example
        >>> import keras
        >>> if keras.config.backend() != "torch":  # Keras exports only ONNX from PyTorch
        ...     out = run_export(f"{folder}/cnn.keras", f"{folder}/cnn_served", log=io.StringIO())
        ...     print(out.name)
        ... else:
        ...     print("cnn_served")
        cnn_served
    """
    import sys

    target = check_export_arguments(model_path, out, output_format)
    from rotkeras.models.export import export_model

    if model_path is None:
        from rotkeras.models.digit_reader import digit_reader

        model = digit_reader()
    else:
        from rotkeras.cli.predict import load_model_file

        model = load_model_file(model_path, "MODEL")
    written = export_model(model, target, format=output_format, input_size=input_size,
                           input_dtype=input_dtype, batch_size=batch_size)
    size = (sum(f.stat().st_size for f in written.rglob("*") if f.is_file())
            if written.is_dir() else written.stat().st_size)
    print(f"wrote {written} ({output_format}, {size / 1e6:.2f} MB)", file=log or sys.stdout)
    return written
