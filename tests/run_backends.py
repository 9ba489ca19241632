"""Runs the test suite once per Keras backend (tensorflow, jax, torch), each in its own process.

Usage: python tests/run_backends.py [--backends tensorflow,jax] [--workers N] [PYTEST ARGS...]

The TensorFlow and JAX suites run on `--workers` processes (pytest-xdist, default: one per
CPU core, at most 2; the tests of one file stay together in one process, in their order);
PyTorch's on one (its own threads fill the cores: on two processes its suite took 326 s on a
2-core CPU, on one about 190 s). A backend
whose run collects no test (pytest exit code 5) counts as a failure: every backend is expected
to run the suite. Exits non-zero if any backend fails.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time

BACKENDS = ("tensorflow", "jax", "torch")
# pytest-xdist comes with the [dev] extra; without it every suite runs on one process.
XDIST = importlib.util.find_spec("xdist") is not None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1),
                        help="processes per backend (1: no pytest-xdist)")
    args, pytest_args = parser.parse_known_args(argv)
    results = {}
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2")
        # Many tests wait on one thread (tracing, compiling, Python), so two processes share
        # two cores well; a file's tests stay in one process (its fixtures, its order).
        parallel = args.workers > 1 and backend != "torch" and XDIST
        workers = ["-n", str(args.workers), "--dist", "loadfile"] if parallel else []
        print(f"=== pytest on the {backend} backend ===", flush=True)
        start = time.perf_counter()
        # The slowest tests of each backend are listed, to see where the time goes.
        code = subprocess.call([sys.executable, "-m", "pytest", "-q", "--durations=15",
                                *workers, *pytest_args], env=env)
        results[backend] = (code, time.perf_counter() - start)
    print("=== summary ===")
    for backend, (code, seconds) in results.items():
        status = "ok" if code == 0 else ("no tests collected" if code == 5 else f"failed ({code})")
        print(f"{backend:<11} {status:<20} {seconds:6.1f} s")
    return 0 if all(code == 0 for code, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
