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
  decoding (what `rotkeras predict` does), and the export file sizes;
- how many times more CPU time per photo Keras `predict` takes than each runtime, and
  whether each runtime reads every photo as Keras does (digit and orientation);
- an off-the-shelf reader on the same photos: Tesseract (`tesseract --psm 10`, one
  character, digits only, one process per photo as its command line is used), given the
  same upright 256x256 images the reader reads; skipped, with a message, when the
  `tesseract` program is not installed.

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
import shutil
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


def runtime_costs(photos: np.ndarray, tflite_path: Path, onnx_path: Path
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Per-photo CPU seconds of the reader in Keras, TFLite and ONNX Runtime, and how the
    runtimes' readings of all the photos agree with Keras'."""
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
    # The first call of `predict` on a new batch size also traces the model.
    results["keras_predict_first_call_batch32_s"] = timed(
        lambda: reader.predict(batch, verbose=0))[0] / n
    results["keras_predict_batch32_s"] = timed(
        lambda: reader.predict(batch, verbose=0), repeat=3)[0] / n
    seen = np.asarray(preprocess(batch))
    results["keras_preprocess_batch32_s"] = timed(lambda: preprocess(batch), repeat=3)[0] / n
    network(seen)
    results["keras_network_batch32_s"] = timed(lambda: network(seen), repeat=3)[0] / n
    reader.predict(batch[:1], verbose=0)
    results["keras_latency_one_photo_s"] = timed(
        lambda: reader.predict(batch[:1], verbose=0), repeat=10)[0]

    interpreter = Interpreter(model_path=str(tflite_path), num_threads=1)
    runner = interpreter.get_signature_runner()
    (name,) = runner.get_input_details()
    runner(**{name: batch[:1]})
    results["tflite_latency_one_photo_s"] = timed(lambda: runner(**{name: batch[:1]}),
                                                  repeat=10)[0]
    # The TFLite file has a fixed batch of one: a batch is read one photo at a time.
    results["tflite_batch32_s"] = timed(
        lambda: [runner(**{name: batch[i : i + 1]}) for i in range(n)], repeat=3)[0] / n

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(onnx_path), options,
                                           providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    session.run(None, {input_name: batch[:1]})
    results["onnx_latency_one_photo_s"] = timed(
        lambda: session.run(None, {input_name: batch[:1]}), repeat=10)[0]
    # Every runtime is timed after a first call with the batch's shape, as Keras is.
    session.run(None, {input_name: batch})
    results["onnx_batch32_s"] = timed(lambda: session.run(None, {input_name: batch}),
                                      repeat=3)[0] / n
    shipped = shipped_onnx_reader()
    assert isinstance(shipped, OnnxReader)
    shipped(batch)
    results["shipped_onnx_reader_batch32_s"] = timed(lambda: shipped(batch), repeat=3)[0] / n

    # Every photo read by each runtime, compared with Keras.
    want = reader.predict(photos, batch_size=32, verbose=0)
    tflite = [runner(**{name: photo[None]}) for photo in photos]
    keys = sorted(tflite[0], key=lambda k: int(k.rsplit("_", 1)[-1]))
    onnx = [session.run(None, {input_name: photos[i : i + 32]})
            for i in range(0, len(photos), 32)]
    got = {"tflite": [np.concatenate([o[k] for o in tflite]) for k in keys],
           "onnx": [np.concatenate([o[j] for o in onnx]) for j in range(2)]}
    del keras
    return results, {runtime: agreement(outputs, want) for runtime, outputs in got.items()}


def agreement(got: list[np.ndarray], want: list[np.ndarray]) -> dict[str, Any]:
    """How a runtime's (digits, orientation) probabilities compare with Keras'."""
    return {
        "photos": len(want[0]),
        "same_digit": int(np.sum(got[0].argmax(-1) == want[0].argmax(-1))),
        "same_orientation": int(np.sum(got[1].argmax(-1) == want[1].argmax(-1))),
        "max_abs_probability_difference": float(max(
            np.abs(g - w).max() for g, w in zip(got, want, strict=True))),
    }


def keras_ratios(costs: dict[str, float]) -> dict[str, float]:
    """How many times more CPU time per photo Keras `predict` takes than each runtime."""
    return {
        "onnx_batch32": costs["keras_predict_batch32_s"] / costs["shipped_onnx_reader_batch32_s"],
        "tflite_batch32": costs["keras_predict_batch32_s"] / costs["tflite_batch32_s"],
        "onnx_one_photo": costs["keras_latency_one_photo_s"] / costs["onnx_latency_one_photo_s"],
        "tflite_one_photo": (costs["keras_latency_one_photo_s"]
                             / costs["tflite_latency_one_photo_s"]),
    }


TESSERACT_ARGS = ("--psm", "10", "-c", "tessedit_char_whitelist=0123456789")


def tesseract_reader(photos: np.ndarray, labels: np.ndarray,
                     program: str | None = None) -> dict[str, Any]:
    """Tesseract on the same upright photos: CPU seconds per photo and accuracy.

    Each photo is written as a PNG (not timed) and read by one `tesseract` process (start,
    PNG decoding and recognition timed), as `tesseract photo.png stdout --psm 10` reads
    one character; its answer counts as right when its first character is the label.
    """
    program = program or shutil.which("tesseract")
    if program is None:
        return {"skipped": "the tesseract program is not installed (e.g. apt-get install "
                           "tesseract-ocr); the off-the-shelf reader was not measured"}
    import cv2

    version = subprocess.run([program, "--version"], capture_output=True, text=True,
                             check=False)
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # one thread, as the runtimes above
    answers, cpu, wall = [], 0.0, 0.0
    with tempfile.TemporaryDirectory() as folder:
        for i, photo in enumerate(photos):
            path = Path(folder) / f"{i}.png"
            cv2.imwrite(str(path), photo if photo.shape[-1] == 1
                        else cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
            before, start = _child_cpu(), time.perf_counter()
            done = subprocess.run([program, str(path), "stdout", *TESSERACT_ARGS],
                                  capture_output=True, text=True, env=env, check=False)
            wall += time.perf_counter() - start
            cpu += _child_cpu() - before
            if done.returncode != 0:
                raise RuntimeError(f"tesseract failed ({done.returncode}): {done.stderr[-500:]}")
            answers.append(done.stdout.strip()[:1])
    n = len(answers)
    return {
        "program": (version.stdout or version.stderr).splitlines()[0],
        "command": f"tesseract photo.png stdout {' '.join(TESSERACT_ARGS)}",
        "photos": n,
        "cpu_s_per_photo": round(cpu / n, 4),
        "wall_s_per_photo": round(wall / n, 4),
        "accuracy": float(np.mean([a == str(label) for a, label in zip(answers, labels,
                                                                      strict=True)])),
        "no_answer": float(np.mean([a == "" for a in answers])),
    }


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
        costs, agree = runtime_costs(photos["reduced_decode"], paths["tflite"], paths["onnx"])
    result["runtimes_cpu_s"] = {k: round(v, 5) for k, v in costs.items()}
    result["agreement_with_keras"] = agree
    print(json.dumps(agree), flush=True)
    result["keras_predict_cpu_over_runtime"] = {k: round(v, 2)
                                                for k, v in keras_ratios(costs).items()}
    print(json.dumps(result["keras_predict_cpu_over_runtime"]), flush=True)
    # The same upright photos as the reader's accuracy above (reduced-size decoding).
    result["off_the_shelf_tesseract"] = tesseract_reader(photos["reduced_decode"], labels)
    result["off_the_shelf_tesseract"]["rotkeras_accuracy"] = result["accuracy_onnx"][
        "reduced_decode"]
    print(json.dumps(result["off_the_shelf_tesseract"]), flush=True)
    result["machine"]["loadavg_at_end"] = os.getloadavg()
    print(json.dumps(result, indent=1))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
