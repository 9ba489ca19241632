"""Small test helpers shared by the suite (config round trip, .keras save/load, tf.data)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np


def to_numpy(x: Any) -> Any:
    """Converts a tensor (or a dict/list of tensors) of any backend to NumPy."""
    return keras.tree.map_structure(lambda t: np.asarray(keras.ops.convert_to_numpy(t)), x)


def assert_config_round_trip(layer: keras.layers.Layer) -> keras.layers.Layer:
    """`from_config(get_config())` gives a layer with an identical config; returns it."""
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    serialized = keras.saving.serialize_keras_object(layer)
    assert serialized["registered_name"].startswith("rotkeras>")
    revived = keras.saving.deserialize_keras_object(serialized)
    assert type(revived) is type(layer)
    assert revived.get_config() == config
    return clone


def save_and_load(model: keras.Model, directory: Path) -> keras.Model:
    """Saves `model` as `.keras` and loads it back with the default `safe_mode`."""
    path = Path(directory) / "model.keras"
    model.save(path)
    return keras.saving.load_model(path)


def in_functional_model(layer: keras.layers.Layer, input_shape: tuple[int, ...]) -> keras.Model:
    """Wraps `layer` in a one-layer functional model."""
    inputs = keras.Input(shape=input_shape)
    return keras.Model(inputs, layer(inputs))


def map_with_tf_data(fn: Any, data: Any, batch_size: int) -> list[Any]:
    """Runs `fn` inside `tf.data.Dataset.map` over batches of `data`; returns the batches."""
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices(data).batch(batch_size).map(fn)
    return [keras.tree.map_structure(lambda t: t.numpy(), batch) for batch in dataset]
