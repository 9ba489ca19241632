from __future__ import annotations

import keras
import numpy as np
import pytest

from rotkeras.datasets import TurnedBatches


def test_batches_are_exact_turns_with_their_labels(rng) -> None:
    x = rng.random((23, 6, 6, 1), dtype=np.float32)
    y = np.arange(23)
    batches = TurnedBatches(x, y, batch_size=5, seed=1)
    assert len(batches) == 5
    seen = []
    for i in range(len(batches)):
        images, (labels, turns) = batches[i]
        for image, label, k in zip(images, labels, turns, strict=True):
            np.testing.assert_array_equal(image, np.rot90(x[label], k))
        seen.extend(labels.tolist())
    assert sorted(seen) == list(range(23))
    with pytest.raises(IndexError):
        batches[5]


def test_turn_frequencies_and_epochs(rng) -> None:
    x = np.zeros((4000, 4, 4), np.float32)
    batches = TurnedBatches(x, np.zeros(4000), batch_size=4000, probabilities=(0.7, 0.1, 0.1, 0.1))
    turns = batches[0][1][1]
    counts = np.bincount(turns, minlength=4) / 4000
    np.testing.assert_allclose(counts, [0.7, 0.1, 0.1, 0.1], atol=0.03)
    batches.on_epoch_end()
    assert not np.array_equal(batches[0][1][1], turns)
    again = TurnedBatches(x, np.zeros(4000), batch_size=4000, probabilities=(0.7, 0.1, 0.1, 0.1))
    np.testing.assert_array_equal(again[0][1][1], turns)


def test_trains_a_two_output_model(rng) -> None:
    inputs = keras.Input((6, 6, 1))
    h = keras.layers.Flatten()(inputs)
    model = keras.Model(inputs, [keras.layers.Dense(3, activation="softmax")(h),
                                 keras.layers.Dense(4, activation="softmax")(h)])
    model.compile("adam", ["sparse_categorical_crossentropy"] * 2)
    data = TurnedBatches(rng.random((20, 6, 6, 1), dtype=np.float32), rng.integers(0, 3, 20),
                         batch_size=8)
    history = model.fit(data, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"][-1])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"probabilities": (0.5, 0.5)}, r"\(0.5, 0.5\)"),
        ({"probabilities": (0.5, 0.5, 0.5, -0.5)}, "non-negative"),
        ({"probabilities": (float("nan"), 0.5, 0.25, 0.25)}, "nan"),
        ({"batch_size": 0}, "batch_size=0"),
        ({"seed": -1}, "seed=-1"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TurnedBatches(np.zeros((4, 3, 3)), np.zeros(4), **kwargs)


def test_bad_data() -> None:
    with pytest.raises(ValueError, match="one label per image"):
        TurnedBatches(np.zeros((4, 3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="square"):
        TurnedBatches(np.zeros((4, 3, 5)), np.zeros(4))
    TurnedBatches(np.zeros((4, 3, 5)), np.zeros(4), probabilities=(0.5, 0, 0.5, 0))
