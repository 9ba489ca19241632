"""Files that ship with rotkeras (rotkeras/weights/), checked against their SHA-256 sums.

Free of Keras imports, so that `rotkeras predict` can check the shipped ONNX reader
without loading a Keras backend.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

#: The digit reader's shipped weights files, by the name `digit_reader(weights=...)` takes:
#: "shipped", its default weights (trained also on digits tilted by up to 45 degrees), and
#: "numbers", the same network trained without the tilted digits, which
#: `rotkeras.reading.read_numbers` reads with.
READER_WEIGHTS = {"shipped": "digit_reader.weights.h5", "numbers": "number_reader.weights.h5"}


class DamagedWeightsError(ValueError):
    """The shipped weights file is missing or does not match its recorded checksum.

    Examples:
        >>> from rotkeras.models.digit_reader import DamagedWeightsError, digit_reader
        >>> try:
        ...     reader = digit_reader()
        ... except DamagedWeightsError as error:  # a damaged installation: reinstall
        ...     print(error)
    """


def weights_dir() -> Path:
    """The folder of the shipped files inside the installed package."""
    return Path(str(resources.files("rotkeras") / "weights"))


def verified_path(name: str) -> Path:
    """Path of the shipped file `name`, after checking it against `SHA256SUMS`."""
    folder = weights_dir()
    manifest = folder / "SHA256SUMS"
    try:
        lines = manifest.read_text().splitlines()
    except OSError as error:
        raise DamagedWeightsError(
            f"rotkeras' checksum list of its shipped files is missing ({manifest}): the "
            "installation is incomplete; reinstall rotkeras"
        ) from error
    sums = {p[1].lstrip("*"): p[0].lower() for p in (line.split() for line in lines)
            if len(p) == 2}
    if name not in sums:
        raise DamagedWeightsError(f"{manifest} lists no checksum for {name}; reinstall rotkeras")
    path = folder / name
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as error:
        raise DamagedWeightsError(
            f"rotkeras' shipped file {name} is missing ({path}); reinstall rotkeras"
        ) from error
    if digest != sums[name]:
        raise DamagedWeightsError(
            f"rotkeras' shipped file {name} is damaged: {path} has SHA-256 {digest}, "
            f"expected {sums[name]}; reinstall rotkeras"
        )
    return path
