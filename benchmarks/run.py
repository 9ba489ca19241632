"""The benchmark suite's entry point: training, augmentation and inference, per backend.

Spawns one process per Keras backend (`KERAS_BACKEND` set for it); each process runs
the selected suites one after the other, with the compared paths side by side inside
it, and reports JSON. Writes `<out>/results.json` (everything) and `<out>/results.md`
(the tables), plus `<out>/<backend>.json`.

Usage::

    python -m benchmarks.run [--quick] [--backends tensorflow,jax,torch] \\
        [--out benchmarks/results] [--epochs 2] [--limit N] [--suites ...]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SUITES = ("training", "augmentation", "inference")
BACKENDS = ("tensorflow", "jax", "torch")


def _worker(args: argparse.Namespace) -> None:
    """Runs the suites in this process (backend from the environment); writes JSON."""
    from benchmarks import augmentation, inference, training
    from benchmarks._common import machine

    out: dict[str, Any] = {"backend": os.environ.get("KERAS_BACKEND"), "machine": machine()}
    for suite in args.suites.split(","):
        start = time.perf_counter()
        print(f"[{out['backend']}] {suite} ...", file=sys.stderr, flush=True)
        try:
            if suite == "training":
                result = training.run(quick=args.quick, epochs=args.epochs, limit=args.limit,
                                      data_path=args.data)
            elif suite == "augmentation":
                result = augmentation.run(quick=args.quick)
            else:
                result = inference.run(quick=args.quick)
        except Exception as error:  # report and go on with the other suites
            result = {"error": f"{type(error).__name__}: {error}"}
        result["wall_seconds"] = time.perf_counter() - start
        out[suite] = result
    Path(args.worker_out).write_text(json.dumps(out, indent=2))


def _parse_limits(text: str | None, backends: list[str]) -> dict[str, int]:
    """`"12800"` -> the same limit for every backend; `"jax=12800,torch=1920"` -> per backend."""
    if not text:
        return {}
    try:
        if "=" not in text:
            return dict.fromkeys(BACKENDS, int(text))
        limits = {}
        for item in text.split(","):
            backend, value = item.split("=")
            if backend not in BACKENDS:
                raise ValueError(backend)
            limits[backend] = int(value)
        return limits
    except ValueError as error:
        raise ValueError(
            f"--limit must be an integer or 'backend=N,...'; received {text!r}"
        ) from error


def _markdown(results: dict[str, Any]) -> str:
    from benchmarks import augmentation, inference, training

    formatters = {"training": training.to_markdown, "augmentation": augmentation.to_markdown,
                  "inference": inference.to_markdown}
    titles = {
        "training": "Training: mnist_cnn, batch 64",
        "augmentation": "Augmentation: 28x28x1 batches of 1024",
        "inference": "Inference",
    }
    lines = [f"# rotkeras benchmarks ({results['date']})", "",
             f"Command: `{results['command']}`", ""]
    for backend, out in results["backends"].items():
        if "error" in out:
            lines += [f"## {backend}", "", f"Failed: {out['error']}", ""]
            continue
        m = out["machine"]
        lines += [f"## {backend}", "",
                  f"Machine: {m.get('cpu', '?')}, {m.get('cpus')} CPUs, devices "
                  f"{m.get('devices')}; Keras {m.get('keras')}, Python {m.get('python')}", ""]
        for suite in SUITES:
            if suite not in out:
                continue
            lines += [f"### {titles[suite]} ({backend})", ""]
            if "error" in out[suite]:
                lines += [f"Failed: {out[suite]['error']}", ""]
            else:
                lines += [formatters[suite](out[suite]), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    parser.add_argument("--backends", default="tensorflow,jax,torch",
                        help="comma-separated Keras backends (one process each)")
    parser.add_argument("--suites", default=",".join(SUITES), help="comma-separated suites")
    parser.add_argument("--out", default="benchmarks/results", help="output folder")
    parser.add_argument("--epochs", type=int, default=2, help="timed training epochs per path")
    parser.add_argument(
        "--limit", default=None,
        help="use N training images: an integer for every backend, or per backend, "
             "e.g. 'jax=12800,torch=1920' (unlisted backends use all)",
    )
    parser.add_argument("--data", default=None, help="mnist.npz (default: $ROTKERAS_MNIST)")
    parser.add_argument("--worker-out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for suite in args.suites.split(","):
        if suite not in SUITES:
            parser.error(f"unknown suite {suite!r}; choose from {', '.join(SUITES)}")
    backends = args.backends.split(",")
    for backend in backends:
        if backend not in BACKENDS:
            parser.error(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    try:
        limits = _parse_limits(args.limit, backends)
    except ValueError as error:
        parser.error(str(error))
    if args.worker_out:
        args.limit = limits.get(os.environ.get("KERAS_BACKEND", "tensorflow"))
        _worker(args)
        return 0
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python -m benchmarks.run " + " ".join(argv if argv is not None
                                                          else sys.argv[1:]),
        "backends": {},
    }
    for backend in backends:
        worker_out = out_dir / f"{backend}.json"
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
        cmd = [sys.executable, "-m", "benchmarks.run", "--worker-out", str(worker_out),
               "--suites", args.suites, "--epochs", str(args.epochs)]
        cmd += ["--quick"] if args.quick else []
        cmd += ["--limit", str(limits[backend])] if limits.get(backend) else []
        cmd += ["--data", args.data] if args.data else []
        print(f"== {backend}: {' '.join(cmd)}", file=sys.stderr, flush=True)
        proc = subprocess.run(cmd, env=env, check=False)
        if proc.returncode != 0 or not worker_out.is_file():
            results["backends"][backend] = {"error": f"worker exited with {proc.returncode}"}
        else:
            results["backends"][backend] = json.loads(worker_out.read_text())
    (out_dir / "results.json").write_text(json.dumps(results, indent=2))
    markdown = _markdown(results)
    (out_dir / "results.md").write_text(markdown + "\n")
    print(markdown)
    failed = [b for b, out in results["backends"].items() if "error" in out]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
