"""The training precision: which dtype policy trains rotkeras' CNNs fastest here.

The hardware probes behind it (the CPU's bfloat16 instructions, the backend's CPU kernels)
live in `rotkeras._backend`; this module turns them into a choice. See the "Performance"
page of the documentation for the measurements.
"""

from __future__ import annotations

from rotkeras import _backend
from rotkeras import _validation as check

__all__ = ["cpu_has_native_bfloat16", "recommended_dtype_policy", "resolve_precision"]

PRECISIONS = ("auto", "float32", "mixed_bfloat16")


def cpu_has_native_bfloat16() -> bool:
    """Whether this x86-64 CPU computes in bfloat16 natively (AVX512-BF16 or AMX-BF16).

    Read from the CPU flags Linux reports (`/proc/cpuinfo`); False on other systems and
    other architectures.

    Examples:
        >>> from rotkeras.training import cpu_has_native_bfloat16
        >>> cpu_has_native_bfloat16() in (True, False)  # True on e.g. AMD EPYC with AVX512-BF16
        True
    """
    return _backend.cpu_has_native_bfloat16()


def recommended_dtype_policy() -> str:
    """Returns the dtype policy that trains rotkeras' CNNs fastest here at equal accuracy.

    `"mixed_bfloat16"` (bfloat16 compute, float32 weights, float32 output layer; see
    `rotkeras.models.mnist_cnn`) where it was measured to pay: the TensorFlow backend
    on a CPU with native bfloat16 instructions and oneDNN on (TensorFlow's default),
    and the PyTorch backend on such a CPU; the "Performance" page of the documentation
    has the measurements. Everywhere else `"float32"`, the tutorial's precision: JAX on
    a CPU (bfloat16 was slower there), CPUs without bfloat16 instructions (it would be
    emulated), and GPUs (not measured).

    Returns:
        `"mixed_bfloat16"` or `"float32"`.

    Examples:
        >>> import rotkeras
        >>> from rotkeras.training import recommended_dtype_policy
        >>> policy = recommended_dtype_policy()
        >>> model = rotkeras.models.mnist_cnn(dtype=policy)
        >>> policy in ("float32", "mixed_bfloat16")
        True
    """
    if _backend.bfloat16_kernels_pay() and cpu_has_native_bfloat16():
        return "mixed_bfloat16"
    return "float32"


def resolve_precision(precision: str = "auto") -> str:
    """Resolves a `--precision` choice: `"auto"` becomes `recommended_dtype_policy()`.

    Args:
        precision: `"auto"`, `"float32"` or `"mixed_bfloat16"`.

    Returns:
        `"float32"` or `"mixed_bfloat16"`.

    Examples:
        >>> from rotkeras.training import resolve_precision
        >>> resolve_precision("float32")
        'float32'
        >>> resolve_precision("auto") in ("float32", "mixed_bfloat16")
        True
    """
    check.check_choice(precision, "precision", PRECISIONS)
    return recommended_dtype_policy() if precision == "auto" else precision
