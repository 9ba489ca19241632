"""`rotkeras export`: a model (the shipped reader by default) to SavedModel, TFLite or ONNX."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

from rotkeras._paths import EXPORT_FORMATS as FORMATS
from rotkeras._paths import export_target
from rotkeras.cli import _preflight


def check_export_arguments(
    model_path: str | os.PathLike[str] | None, out: str | os.PathLike[str], output_format: str,
) -> Path:
    """Checks the arguments of `rotkeras export` before Keras is imported; returns `out`."""
    if model_path is not None:
        _preflight.input_file(model_path, "MODEL")
    if output_format not in FORMATS:
        raise ValueError(f"--format must be one of {FORMATS}; received {output_format!r}")
    return export_target(out, output_format, format_text=f"--format {output_format}",
                         path_text=f"--out {out}")


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
