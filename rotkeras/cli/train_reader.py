"""`rotkeras train-reader`: the recipe that produces the shipped digit reader's weights.

The shipped weights (`rotkeras/weights/digit_reader.weights.h5`) come from::

    rotkeras train-reader --out digit_reader.weights.h5

with the defaults below (seed 0). The recipe:

1. Training digits: the 60,000 MNIST training images, plus `synthetic` photos rendered
   by `rotkeras.datasets.make_synthetic_photos` from MNIST *training* digits (paper,
   ruled and squared paper, tight crops, screens; lighting, shadows, blur, noise, JPEG)
   and passed through the reader's own `HandwritingPreprocess`, each used
   `synthetic_repeat` times per epoch. No test digit and no real photo is used.
   `real` (`--real PATH`, none in the shipped recipes) adds sets of real handwritten
   digits (`real_training_set`), each used `real_repeat` times per epoch.
2. Every batch is turned by `rotkeras.datasets.TurnedBatches` (upright half of the time,
   90, -90 and 180 degrees a sixth each; labels are the digit and the turn), then
   augmented inside the training model by `RandomStrokeWidth(0.5)`, by shifts of
   whole pixels (at most one; nearest-neighbour, so no blur), which gives the digit's
   exact position no meaning for its orientation, and by tilts: a `tilt` share of the
   digits (default 30%) is turned by an angle drawn uniformly from -45 to 45 degrees,
   keeping its right-angle label, so that a photo taken at a slant reads like a straight
   one. Before that, a `continental` share (default 30%) of the MNIST 1s gets the flag
   and of the 7s the crossbar that much of Europe and Latin America writes (MNIST's
   writers rarely do): a straight stroke from the top of the 1, 25-50 degrees off its
   stem and a fifth to 45% of its height long, and a bar across the 7's stem a little
   below its middle.
3. The network is `rotation_robust_cnn` with the joint head (digit and orientation
   outputs), trained with AdamW (learning rate 2e-3, cosine decay to zero, weight decay
   0.02), batch 128, 15 epochs, on the float32 policy.
4. The reader averages that network's outputs over the digit and its eight one-pixel
   shifts (`digit_reader(shift_average=True)`). The accuracy printed after every epoch
   is the network's own (one pass); the final line is the reader's (averaged).

The rendered and preprocessed synthetic photos are cached (`cache`), keyed by their
number, seed, size and the preprocessing's configuration, because rendering them takes
most of the command's time.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from rotkeras import _validation as check
from rotkeras.cli import _preflight
from rotkeras.datasets.mnist import load_mnist, to_float_images
from rotkeras.datasets.rotated import combined_test_set
from rotkeras.datasets.synthetic_photos import make_synthetic_photos
from rotkeras.datasets.turned_batches import TurnedBatches
from rotkeras.datasets.tutorial import PHOTO_SIZE
from rotkeras.evaluation import predict_classes
from rotkeras.layers.handwriting import HandwritingPreprocess, RandomStrokeWidth
from rotkeras.models import compile_joint
from rotkeras.models.digit_reader import CORE_NAME, P4_NAME, digit_reader
from rotkeras.ops import rotate

#: The code that renders and preprocesses the synthetic photos: a cached set is only reused
#: while these files are unchanged.
_RENDERING_CODE = ("datasets/synthetic_photos.py", "layers/handwriting/*.py", "ops/*.py")


def _fingerprint(n: int, seed: int) -> str:
    """The cache key of a synthetic set: its size, seed, the preprocessing's settings and a
    checksum of the rendering and preprocessing code."""
    config = HandwritingPreprocess().get_config()
    config.pop("name", None)
    text = json.dumps({"n": n, "seed": seed, "size": PHOTO_SIZE, "preprocess": config},
                      sort_keys=True)
    digest = hashlib.sha256(text.encode())
    package = Path(__file__).resolve().parents[1]
    for pattern in _RENDERING_CODE:
        for source in sorted(package.glob(pattern)):
            digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def _preprocessor(side: int) -> keras.Model:
    """The reader's own `HandwritingPreprocess` on `(side, side, 3)` uint8 photos."""
    return keras.Sequential([keras.Input((side, side, 3), dtype="uint8"),
                             HandwritingPreprocess()])


def synthetic_training_set(
    n: int,
    digits: np.ndarray,
    labels: np.ndarray,
    seed: int,
    cache: str | os.PathLike[str] | None = None,
    log: Any = print,
) -> tuple[np.ndarray, np.ndarray]:
    """Renders `n` synthetic photos and preprocesses them: `(n, 28, 28, 1)` float32, labels.

    Args:
        n: Number of photos.
        digits: `(N, 28, 28)` uint8 source digits (MNIST training images).
        labels: Their labels.
        seed: Seed of `make_synthetic_photos`.
        cache: Folder for a cached copy of the result (or None).
        log: Called with progress lines.

    Returns:
        The preprocessed photos in `[0, 1]` and their int64 labels.
    """
    path = None
    if cache is not None:
        path = Path(cache) / f"synthetic-{n}-{seed}-{_fingerprint(n, seed)}.npz"
        if path.is_file():
            with np.load(path) as data:
                log(f"synthetic photos: {n} from {path}")
                return data["x"].astype("float32")[..., None] / 255.0, data["y"].astype("int64")
    start = time.perf_counter()
    photos, photo_labels = make_synthetic_photos(n, digits, labels, size=PHOTO_SIZE, seed=seed)
    log(f"synthetic photos: rendered {n} in {time.perf_counter() - start:.0f} s")
    x = _preprocessor(PHOTO_SIZE).predict(photos, batch_size=50, verbose=0)
    x8 = np.clip(np.round(np.asarray(x)[..., 0] * 255.0), 0, 255).astype(np.uint8)
    log(f"synthetic photos: preprocessed in {time.perf_counter() - start:.0f} s")
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, x=x8, y=photo_labels)
        os.replace(tmp, path)
    return x8.astype("float32")[..., None] / 255.0, photo_labels.astype("int64")


def load_real_digits(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """The digits of one set of real handwriting: a folder of ARDIS Dataset IV
    (`rotkeras.datasets.load_ardis`, training and test digits) or a Semeion or
    optdigits-orig file (`rotkeras.datasets.load_uci_digits`)."""
    from rotkeras.datasets.ardis import load_ardis
    from rotkeras.datasets.uci_digits import load_uci_digits

    if Path(path).expanduser().is_dir():
        (x_train, y_train), (x_test, y_test) = load_ardis(path)
        return np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test])
    return load_uci_digits(path)


def real_training_set(paths: Sequence[str | os.PathLike[str]],
                      log: Any = print) -> tuple[np.ndarray, np.ndarray]:
    """Real handwritten digits, read as the reader reads a digit cut from a photo.

    Each digit (exact copies once per set) is turned into what
    `rotkeras.reading.read_numbers` gives the reader, dark ink on light paper with a
    margin of a seventh of its side, enlarged to about 144 pixels (bilinear, which also
    smooths binary pixels), and passed through the reader's own `HandwritingPreprocess`.

    Args:
        paths: Sets of real digits (`load_real_digits`).
        log: Called with a progress line per set.

    Returns:
        `(n, 28, 28, 1)` float32 digits in `[0, 1]` and their int64 labels.
    """
    import cv2

    side = 144
    preprocess = _preprocessor(side)  # one model (and one traced function) for every set
    xs, ys = [], []
    for path in paths:
        start = time.perf_counter()
        images, labels = load_real_digits(path)
        _, first = np.unique(images.reshape(len(images), -1), axis=0, return_index=True)
        first = np.sort(first)
        images, labels = images[first], labels[first]
        margin = max(1, images.shape[1] // 7)
        crops = np.empty((len(images), side, side, 3), np.uint8)
        for i, digit in enumerate(images):
            paper = cv2.copyMakeBorder(255 - digit, margin, margin, margin, margin,
                                       cv2.BORDER_CONSTANT, value=255)
            crops[i] = cv2.resize(paper, (side, side), interpolation=cv2.INTER_LINEAR)[..., None]
        xs.append(np.asarray(preprocess.predict(crops, batch_size=100, verbose=0), np.float32))
        ys.append(labels.astype("int64"))
        log(f"real digits: {len(images)} from {path}, preprocessed in "
            f"{time.perf_counter() - start:.0f} s")
    return np.concatenate(xs), np.concatenate(ys)


def _strokes(images: np.ndarray, starts: np.ndarray, ends: np.ndarray,
             widths: np.ndarray) -> np.ndarray:
    """Adds one anti-aliased straight stroke to each `(n, 28, 28)` image in `[0, 1]`."""
    grid_y, grid_x = np.mgrid[0:28, 0:28].astype("float32")
    points = np.stack([grid_x, grid_y], -1)[None]  # x, y of every pixel centre
    a, ab = starts[:, None, None, :], (ends - starts)[:, None, None, :]
    along = ((points - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-6)
    nearest = a + np.clip(along, 0.0, 1.0)[..., None] * ab
    distance = np.linalg.norm(points - nearest, axis=-1)
    ink = np.clip(widths[:, None, None] / 2.0 + 0.5 - distance, 0.0, 1.0)
    return np.maximum(images, ink)


def _first_last(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the first and of the last True of each row of `(n, k)` `mask`."""
    return mask.argmax(1), mask.shape[1] - 1 - mask[:, ::-1].argmax(1)


def _row_centre(ink: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Mean column of each image's ink in its row `rows[i]`."""
    line = ink[np.arange(len(ink)), rows]
    return (line * np.arange(ink.shape[2])).sum(1) / np.maximum(line.sum(1), 1)


def _flags(x: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """A flag for each 1: from the top of the stem, down and to the left, 25-50 degrees
    off the stem, a fifth to 45% of the digit's height long, about as thick as the stem."""
    ink = x > 0.5
    top, bottom = _first_last(ink.any(2))
    height = (bottom - top + 1).astype("float32")
    n = len(x)
    top_centre = _row_centre(ink, top)
    stem = np.stack([_row_centre(ink, bottom) - top_centre, height], -1)
    stem /= np.linalg.norm(stem, axis=-1, keepdims=True)
    angle = np.deg2rad(rng.uniform(25.0, 50.0, n))
    cos, sin = np.cos(angle), np.sin(angle)
    # the stem's downward direction, turned towards the left
    direction = np.stack([cos * stem[:, 0] - sin * stem[:, 1],
                          sin * stem[:, 0] + cos * stem[:, 1]], -1)
    start = np.stack([top_centre, top + 0.5], -1)
    end = start + direction * (height * rng.uniform(0.2, 0.45, n))[:, None]
    width = np.clip(x.sum((1, 2)) / height, 1.5, 3.5) * rng.uniform(0.85, 1.1, n)
    return start, end, width


def _crossbars(x: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """A bar across each 7's stem, 45-60% of the way down, nearly level, a third to two
    thirds of the digit's width long."""
    ink = x > 0.5
    top, bottom = _first_last(ink.any(2))
    left, right = _first_last(ink.any(1))
    n = len(x)
    row = np.round(top + (bottom - top + 1) * rng.uniform(0.45, 0.6, n)).astype(int)
    row = row.clip(0, x.shape[1] - 1)
    half = (right - left + 1) * rng.uniform(0.18, 0.32, n)
    rise = half * rng.uniform(-0.15, 0.15, n)
    centre = _row_centre(ink, row)
    start = np.stack([centre - half, row - rise], -1)
    end = np.stack([centre + half, row + rise], -1)
    stem = ink[np.arange(n), row].sum(1)  # the stem's width in that row
    width = np.clip(stem, 1.5, 3.5) * rng.uniform(0.7, 1.0, n)
    return start, end, width


def continental_digits(images: np.ndarray, labels: np.ndarray, share: float,
                       seed: int) -> np.ndarray:
    """Gives a `share` of the 1s a flag and of the 7s a crossbar, as many people write them.

    Args:
        images: `(N, 28, 28)` uint8 MNIST-style digits (light ink on black).
        labels: Their labels.
        share: Share of the 1s and of the 7s that get the stroke.
        seed: Seed of the choice of digits and of the strokes' shapes.

    Returns:
        A changed copy of `images` (uint8); the labels stay as they are.
    """
    rng = np.random.default_rng(seed)
    out = images.astype(np.uint8, copy=True)
    for digit, stroke in ((1, _flags), (7, _crossbars)):
        index = np.nonzero((labels == digit) & (rng.random(len(labels)) < share))[0]
        if len(index):  # only the chosen digits go to float and back
            x = out[index].astype("float32") / 255.0
            start, end, width = stroke(x, rng)
            x = _strokes(x, start.astype("float32"), end.astype("float32"),
                         width.astype("float32"))
            out[index] = np.round(x * 255.0).astype(np.uint8)
    return out


class _RandomTilt(keras.layers.Layer):
    """Turns a `probability` share of the digits by a uniform angle within +-45 degrees.

    Training-only (the trainer is never saved): the other digits pass unchanged, so the
    network still sees exact upright and right-angle digits half of the time.
    """

    def __init__(self, probability: float, seed: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.probability = probability
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, images: Any, training: bool | None = None) -> Any:
        if not training or self.probability <= 0:
            return images
        batch = keras.ops.shape(images)[0]
        angles = keras.random.uniform((batch,), -45.0, 45.0, seed=self.generator)
        keep = keras.random.uniform((batch,), seed=self.generator) < self.probability
        angles = keras.ops.where(keep, angles, keras.ops.zeros_like(angles))
        return rotate(images, angles)


def _mnist_scores(model: keras.Model, images: np.ndarray, labels: np.ndarray,
                  upright: int) -> dict[str, float]:
    """Digit accuracy on the combined set and on its first `upright` (upright) images."""
    right = predict_classes(model, images, batch_size=1000) == labels
    return {"upright": float(right[:upright].mean()), "combined": float(right.mean())}


class _MnistScores(keras.callbacks.Callback):
    """Prints the digit accuracy on the MNIST standard sets after every epoch."""

    def __init__(self, core: keras.Model, images: np.ndarray, labels: np.ndarray, upright: int,
                 log: Any) -> None:
        super().__init__()
        self.core, self.images, self.labels, self.upright, self.log = (
            core, images, labels, upright, log)
        self.history: list[dict[str, float]] = []
        self._start = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        seconds = time.perf_counter() - self._start
        scores = _mnist_scores(self.core, self.images, self.labels, self.upright)
        loss = float((logs or {}).get("loss", float("nan")))
        self.history.append({"epoch": epoch + 1, "seconds": seconds, "loss": loss, **scores})
        self.log(f"epoch {epoch + 1}: {seconds:.0f} s, loss {loss:.4f}, MNIST upright "
                 f"{scores['upright']:.4f}, combined {scores['combined']:.4f}")


def train_reader(
    out: str | os.PathLike[str] = "digit_reader.weights.h5",
    *,
    data: str | os.PathLike[str] | None = None,
    epochs: int = 15,
    batch_size: int = 128,
    synthetic: int = 6000,
    synthetic_repeat: int = 2,
    synthetic_seed: int = 11,
    tilt: float = 0.3,
    continental: float = 0.3,
    real: Sequence[str | os.PathLike[str]] = (),
    real_repeat: int = 2,
    seed: int = 0,
    limit: int | None = None,
    cache: str | os.PathLike[str] | None = None,
    log: Any = print,
) -> dict[str, Any]:
    """Trains the digit reader with rotkeras' recipe and saves its weights.

    Args:
        out: Weights file to write (`.weights.h5`), loadable by
            `rotkeras.models.digit_reader(weights=out)`.
        data: MNIST file (Keras' `mnist.npz`), or None for `keras.datasets.mnist`.
        epochs: Training epochs.
        batch_size: Batch size.
        synthetic: Number of synthetic photos (0 for MNIST only).
        synthetic_repeat: Times each synthetic photo is used per epoch.
        synthetic_seed: Seed of the synthetic photos.
        tilt: Share of the training digits tilted by an angle within +-45 degrees
            (0 for none).
        continental: Share of the MNIST 1s given a flag and of the 7s given a crossbar
            (0 for none).
        real: Sets of real handwritten digits added to the training set
            (`load_real_digits`, read by `real_training_set`).
        real_repeat: Times each real digit is used per epoch.
        seed: Seed of Keras (weights, turns, augmentation, shuffling).
        limit: Use only the first `limit` MNIST training and test images (quick checks).
        cache: Folder that caches the preprocessed synthetic photos.
        log: Called with progress lines.

    Returns:
        A dict with the reader's final MNIST scores (`upright`, `combined`, averaged
        over shifts), the network's per-epoch
        `history`, the parameter count and the `seconds` spent.
    """
    # Everything that could fail after an hour of rendering and training fails now.
    _preflight.output_file(out, "out", (".weights.h5",))
    if cache is not None:
        _preflight.output_folder(cache, "cache")
    _preflight.mnist_file(data, "data")
    for path in real:
        _preflight.real_digits(path)
    for name, value in (("epochs", epochs), ("batch_size", batch_size),
                        ("synthetic_repeat", synthetic_repeat), ("real_repeat", real_repeat)):
        check.check_positive_int(value, name)
    check.check_int(synthetic, "synthetic", minimum=0)
    check.check_seed(synthetic_seed, "synthetic_seed", allow_none=False)
    tilt = check.check_number(tilt, "tilt", low=0.0, high=1.0)
    continental = check.check_number(continental, "continental", low=0.0, high=1.0)
    seed = check.check_seed(seed, "seed", allow_none=False)
    if limit is not None:
        check.check_positive_int(limit, "limit")
    start = time.perf_counter()
    (x_train, y_train), (x_test, y_test) = load_mnist(data)
    if limit is not None:
        x_train, y_train = x_train[:limit], y_train[:limit]
        x_test, y_test = x_test[:limit], y_test[:limit]
    x = to_float_images(continental_digits(x_train, y_train, continental, seed))
    y = y_train.astype("int64")
    if synthetic:  # rendered from the digits as MNIST has them
        xs, ys = synthetic_training_set(synthetic, x_train, y_train, synthetic_seed, cache, log)
        x = np.concatenate([x] + [xs] * synthetic_repeat)
        y = np.concatenate([y] + [ys] * synthetic_repeat)
    if real:  # real handwriting, as the reader sees a photo's digit
        xr, yr = real_training_set(real, log)
        x = np.concatenate([x] + [xr] * real_repeat)
        y = np.concatenate([y] + [yr] * real_repeat)
    keras.utils.set_random_seed(seed)
    reader = digit_reader(weights=None)
    core = reader.get_layer(CORE_NAME)  # the network averaged over shifts
    network = core.get_layer(P4_NAME)
    inputs = keras.Input((28, 28, 1))
    h = RandomStrokeWidth(0.5, seed=seed)(inputs)
    h = keras.layers.RandomTranslation(
        1.5 / 28, 1.5 / 28, fill_mode="constant", interpolation="nearest",
        seed=(seed + 1) % (check.MAX_SEED + 1),  # seed 2**31 - 1 included
    )(h)
    h = _RandomTilt(tilt, seed=(seed + 2) % (check.MAX_SEED + 1))(h)
    trainer = keras.Model(inputs, network(h), name="reader_trainer")
    batches = TurnedBatches(x, y, batch_size=batch_size, seed=seed)
    schedule = keras.optimizers.schedules.CosineDecay(2e-3, max(1, epochs * len(batches)))
    compile_joint(trainer, learning_rate=schedule, weight_decay=0.02)
    test = combined_test_set(to_float_images(x_test), y_test, seed=0)
    scores = _MnistScores(network, test.images, test.labels, len(y_test), log)
    log(f"training on {len(y)} digits ({len(y_train)} MNIST), {len(batches)} batches per epoch")
    trainer.fit(batches, epochs=epochs, verbose=0, callbacks=[scores])
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    reader.save_weights(out)
    return {
        **_mnist_scores(core, test.images, test.labels, len(y_test)),
        "history": scores.history,
        "parameters": int(core.count_params()),
        "seconds": time.perf_counter() - start,
        "weights": str(out),
    }
