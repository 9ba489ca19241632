"""Hardware probes for the training precision (see the package docstring, point 2)."""

from __future__ import annotations

import os
import platform
import sys

import keras

_BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def _cpu_flags() -> set[str]:
    """The CPU feature flags Linux reports (an empty set elsewhere or when unreadable)."""
    if not sys.platform.startswith("linux"):
        return set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as file:
            for line in file:
                if line.startswith("flags"):
                    return set(line.partition(":")[2].split())
    except OSError:
        pass
    return set()


def cpu_has_native_bfloat16() -> bool:
    """Whether this x86-64 CPU computes in bfloat16 natively (AVX512-BF16 or AMX-BF16)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    return bool(_cpu_flags() & set(_BF16_CPU_FLAGS))


def bfloat16_kernels_pay() -> bool:
    """Whether the backend's CPU kernels train rotkeras' CNNs faster in mixed bfloat16.

    True for TensorFlow with oneDNN on (its default) and for PyTorch with MKL-DNN, both
    without a GPU, *provided the CPU has native bfloat16 instructions* (the caller checks
    that); false on JAX (XLA's CPU convolutions were slower in bfloat16) and with a GPU
    (not measured).
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            return False
        return os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1").strip().lower() not in ("0", "false")
    if backend == "torch":
        import torch

        return not torch.cuda.is_available() and torch.backends.mkldnn.is_available()
    return False
