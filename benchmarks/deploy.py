"""Cost of reading photos with the shipped reader, stage by stage, and per runtime.

Measures, in CPU seconds (user + system, of this process or of a child process):

- `rotkeras predict --format json` end to end (a fresh process: start, imports, decoding,
  EXIF, letterbox, preprocessing, network, output) on a folder of photos (the first
  `--photos` files) and on one photo, with ONNX Runtime (the default when installed) and,
  on fewer photos, with Keras (`ROTKERAS_PREDICT_RUNTIME=keras`);
- in process, per photo: reading the header (size, EXIF), decoding at full and at reduced
  size, letterboxing, and the reader (preprocessing and network) in Keras `predict`, in
  the TFLite interpreter and in ONNX Runtime, each in batches and, for latency, one photo
  at a time;
- the accuracy of the ONNX reader on the labelled folder with full-size and reduced-size
  decoding (what `rotkeras predict` does), and the export file sizes.

Every compared path runs in this one run, so load from other processes hits them alike;
read the ratios more than the seconds on a shared machine.

    python -m benchmarks.deploy /path/to/photos --out benchmarks/results/deploy.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

SIZE = 256


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_command(args: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall and CPU seconds of one child process (its exit status must be 0 or 1)."""
    before, start = _child_cpu(), time.perf_counter()
    done = subprocess.run(args, env={**os.environ, **(env or {})}, capture_output=True,
                          text=True, check=False)
    wall, cpu = time.perf_counter() - start, _child_cpu() - before
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{args} failed ({done.returncode}): {done.stderr[-2000:]}")
    return {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3)}


def predict_command(files: list[str]) -> list[str]:
    return [sys.executable, "-m", "rotkeras.cli", "predict", "--format", "json", *files]


def timed(fn: Any, repeat: int = 1) -> tuple[float, Any]:
    """CPU seconds per call (this process), and the last result."""
    result = None
    start = time.process_time()
    for _ in range(repeat):
        result = fn()
    return (time.process_time() - start) / repeat, result


def stage_costs(files: list[Path]) -> dict[str, Any]:
    """Per-photo CPU seconds of header, decode (full, reduced) and letterbox."""
    from rotkeras.datasets.photos import letterbox, read_image, read_image_header

    header_s, _ = timed(lambda: [read_image_header(f) for f in files])
    full_s, full = timed(lambda: [read_image(f) for f in files])
    reduced_s, reduced = timed(lambda: [read_image(f, min_size=SIZE) for f in files])
    box_s, boxed = timed(lambda: [letterbox(image, SIZE) for image in reduced])
    n = len(files)
    return {
        "photos": n,
        "header_and_exif_s": header_s / n,
        "decode_full_s": full_s / n,
        "decode_reduced_s": reduced_s / n,
        "letterbox_s": box_s / n,
        "_full": np.stack([letterbox(image, SIZE) for image in full]),
        "_reduced": np.stack(boxed),
    }


def runtime_costs(photos: np.ndarray, tflite_path: Path, onnx_path: Path) -> dict[str, Any]:
    """Per-photo CPU seconds of the reader in Keras, TFLite and ONNX Runtime."""
    import keras
    import onnxruntime

    import rotkeras
    from rotkeras.cli.predict import OnnxReader, shipped_onnx_reader

    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # TensorFlow's own interpreter
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter  # noqa: N806

    reader = rotkeras.models.digit_reader()
    preprocess = reader.get_layer("preprocess")
    network = reader.get_layer("reader_network")
    results: dict[str, Any] = {}
    batch = photos[:32]
    n = len(batch)

    reader.predict(batch[:2], verbose=0)
    results["keras_predict_batch32_s"] = timed(lambda: reader.predict(batch, verbose=0))[0] / n
    seen = np.asarray(preprocess(batch))
    results["keras_preprocess_batch32_s"] = timed(lambda: preprocess(batch))[0] / n
    results["keras_network_batch32_s"] = timed(lambda: network(seen))[0] / n
    results["keras_latency_one_photo_s"] = timed(
        lambda: reader.predict(batch[:1], verbose=0), repeat=5)[0]

    interpreter = Interpreter(model_path=str(tflite_path), num_threads=1)
    runner = interpreter.get_signature_runner()
    (name,) = runner.get_input_details()
    runner(**{name: batch[:1]})
    results["tflite_latency_one_photo_s"] = timed(lambda: runner(**{name: batch[:1]}),
                                                  repeat=10)[0]

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(onnx_path), options,
                                           providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    session.run(None, {input_name: batch[:1]})
    results["onnx_latency_one_photo_s"] = timed(
        lambda: session.run(None, {input_name: batch[:1]}), repeat=10)[0]
    results["onnx_batch32_s"] = timed(lambda: session.run(None, {input_name: batch}))[0] / n
    shipped = shipped_onnx_reader()
    assert isinstance(shipped, OnnxReader)
    shipped(batch[:2])
    results["shipped_onnx_reader_batch32_s"] = timed(lambda: shipped(batch))[0] / n
    del keras
    return results


def accuracy(photos: dict[str, np.ndarray], labels: np.ndarray) -> dict[str, float]:
    """Accuracy of the shipped ONNX reader with full-size and reduced-size decoding."""
    from rotkeras.cli.predict import shipped_onnx_reader

    reader = shipped_onnx_reader()
    out = {}
    for key, x in photos.items():
        digits = np.concatenate([reader(x[i : i + 32])["probabilities"]
                                 for i in range(0, len(x), 32)])
        out[key] = float(np.mean(digits.argmax(-1) == labels))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos_dir", help="folder of photos in subfolders 0..9")
    parser.add_argument("--photos", type=int, default=400, help="photos to read (default 400)")
    parser.add_argument("--keras-photos", type=int, default=40,
                        help="photos for the Keras end-to-end run (default 40)")
    parser.add_argument("--out", default=None, help="JSON file to write")
    args = parser.parse_args(argv)

    from rotkeras.datasets.photos import label_from_path, list_images

    files = list_images(Path(args.photos_dir))[: args.photos]
    names = [str(f) for f in files]
    labels = np.array([label_from_path(f) for f in files])
    result: dict[str, Any] = {
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpus": os.cpu_count(), "python": platform.python_version(),
                    "loadavg_at_start": os.getloadavg()},
        "photos_dir": Path(args.photos_dir).name,
        "size": SIZE,
    }
    keras_env = {"ROTKERAS_PREDICT_RUNTIME": "keras"}
    e2e: dict[str, Any] = {}
    e2e["imports_only"] = run_command([sys.executable, "-c", "import rotkeras.cli.predict"])
    e2e["onnx_one_photo"] = run_command(predict_command(names[:1]))
    e2e["onnx_all_photos"] = run_command(predict_command(names))
    e2e["onnx_all_photos"]["cpu_s_per_photo"] = round(e2e["onnx_all_photos"]["cpu_s"]
                                                      / len(names), 4)
    e2e["keras_one_photo"] = run_command(predict_command(names[:1]), keras_env)
    some = names[: args.keras_photos]
    e2e["keras_some_photos"] = run_command(predict_command(some), keras_env)
    e2e["keras_some_photos"]["photos"] = len(some)
    e2e["keras_some_photos"]["cpu_s_per_photo"] = round(
        (e2e["keras_some_photos"]["cpu_s"] - e2e["keras_one_photo"]["cpu_s"])
        / max(len(some) - 1, 1), 4)
    result["end_to_end"] = e2e
    print(json.dumps(e2e, indent=1), flush=True)

    stages = stage_costs(files)
    photos = {"full_decode": stages.pop("_full"), "reduced_decode": stages.pop("_reduced")}
    result["stages_per_photo_cpu_s"] = {k: round(v, 5) if isinstance(v, float) else v
                                        for k, v in stages.items()}
    result["accuracy_onnx"] = accuracy(photos, labels)
    print(json.dumps(result["stages_per_photo_cpu_s"]), result["accuracy_onnx"], flush=True)

    import rotkeras
    from rotkeras.models import export_model

    with tempfile.TemporaryDirectory() as folder:
        reader = rotkeras.models.digit_reader()
        sizes = {}
        paths = {}
        from rotkeras._shipped import verified_path
        from rotkeras.cli.predict import SHIPPED_ONNX_FILE

        # ONNX: the export that ships with rotkeras (the reader plus its 28x28 image as a
        # third output), written by tools/export_shipped_reader.py with export_model.
        paths["onnx"] = verified_path(SHIPPED_ONNX_FILE)
        sizes["onnx"] = {"bytes": paths["onnx"].stat().st_size, "export_wall_s": None}
        for fmt, name in (("tflite", "reader.tflite"), ("tf_saved_model", "reader_savedmodel")):
            start = time.perf_counter()
            path = export_model(reader, Path(folder) / name, format=fmt,
                                input_size=None if fmt == "tf_saved_model" else SIZE)
            paths[fmt] = path
            size = (sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
                    if path.is_dir() else path.stat().st_size)
            sizes[fmt] = {"bytes": size, "export_wall_s": round(time.perf_counter() - start, 1)}
        result["export"] = sizes
        costs = runtime_costs(photos["reduced_decode"], paths["tflite"], paths["onnx"])
    result["runtimes_cpu_s"] = {k: round(v, 5) for k, v in costs.items()}
    result["machine"]["loadavg_at_end"] = os.getloadavg()
    print(json.dumps(result, indent=1))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
