"""Test helpers shared by the suite: `run_layer_test` and the checks it is made of."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np

MIXED_POLICIES = ("mixed_float16", "mixed_bfloat16")


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


def _dtype(x: Any) -> str:
    return keras.backend.standardize_dtype(x.dtype)


def _assert_like(actual: Any, expected: Any, *, compare_values: bool, atol: float,
                 what: str) -> None:
    """Same structure, shapes and dtypes; and values too when `compare_values`."""
    keras.tree.assert_same_structure(actual, expected)
    for a, e in zip(keras.tree.flatten(actual), keras.tree.flatten(expected), strict=True):
        a, e = np.asarray(a), np.asarray(e)
        assert a.shape == e.shape, f"{what}: shape {a.shape} != {e.shape}"
        assert a.dtype == e.dtype, f"{what}: dtype {a.dtype} != {e.dtype}"
        if compare_values:
            np.testing.assert_allclose(a.astype("float64"), e.astype("float64"), atol=atol,
                                       err_msg=what)


def _concatenate(batches: list[Any]) -> Any:
    return keras.tree.map_structure(lambda *parts: np.concatenate(parts), *batches)


def run_layer_test(
    layer_cls: type[keras.layers.Layer],
    init_kwargs: dict[str, Any],
    input_data: Any,
    *,
    tmp_path: Path,
    expected_output: Any = None,
    random: bool = False,
    call_kwargs: dict[str, Any] | None = None,
    functional: bool = True,
    saving: bool = True,
    tf_data: bool = True,
    tf_data_batch_size: int | None = None,
    mixed_precision: bool = True,
    mixed_outputs_in_compute_dtype: bool = False,
    atol: float = 0.0,
    mixed_atol: float | None = None,
) -> keras.layers.Layer:
    """Checks a layer's Keras contract, in the spirit of Keras' own `run_layer_test`.

    With `layer = layer_cls(**init_kwargs)` and `output = layer(input_data, **call_kwargs)`
    (eager), checks that:

    1. the config round-trips (`get_config`/`from_config`, Keras serialization under the
       `rotkeras>` name);
    2. a symbolic call (`keras.Input`s shaped like `input_data` with a free batch axis) gives
       the eager output's structure, shapes (but the batch axis) and dtypes, and so does
       `compute_output_shape` where it applies;
    3. `output` equals `expected_output`, if given;
    4. the layer works inside a functional model (`model.predict`) and after a `.keras`
       save and load with the default `safe_mode`: same output as the eager call, and an
       identical config;
    5. it works inside `tf.data.Dataset.map` (on every backend): same output;
    6. under the `mixed_float16` and `mixed_bfloat16` dtype policies (`dtype=...`), the
       eager call gives the float32 layer's shapes and dtypes (and values, to `mixed_atol`),
       and the symbolic call agrees with it.

    Every fresh layer these checks build gets the first layer's weights, so layers with
    weights are compared by value too.

    Random layers (`random=True`) are compared by structure, shape and dtype only, since
    each call draws anew. `call_kwargs` (e.g. `{"training": False}`) go to the eager call;
    the functional model, `predict` and `tf.data` calls use the layer's own defaults.

    Args:
        layer_cls: The layer class.
        init_kwargs: Constructor arguments.
        input_data: NumPy input: an array, a list of arrays or a dict of arrays (batched).
        tmp_path: A folder for the `.keras` file.
        expected_output: The expected eager output, if known.
        random: Whether outputs differ between calls (compare shapes and dtypes only).
        call_kwargs: Keyword arguments of the eager call.
        functional: Run check 4's functional model and `predict`.
        saving: Run check 4's save and load (needs `functional`).
        tf_data: Run check 5.
        tf_data_batch_size: Batch size in `tf.data` (default: half the batch, at least 1).
        mixed_precision: Run check 6.
        mixed_outputs_in_compute_dtype: Under mixed precision, expect float outputs in the
            policy's compute dtype (as Keras' own layers give) rather than the float32 dtype,
            and float weights in float32.
        atol: Tolerance of the value comparisons.
        mixed_atol: Tolerance under mixed precision (default: shapes and dtypes only).

    Returns:
        The layer (called once, eagerly).
    """
    call_kwargs = dict(call_kwargs or {})
    compare = not random

    # 1. Config.
    layer = layer_cls(**init_kwargs)
    assert_config_round_trip(layer)

    # 3. Eager call.
    output = to_numpy(layer(input_data, **call_kwargs))
    if expected_output is not None:
        _assert_like(output, to_numpy(expected_output), compare_values=True, atol=atol,
                     what="eager output vs expected_output")

    # 2. Symbolic call and compute_output_shape.
    def symbolic_inputs() -> Any:
        return keras.tree.map_structure(
            lambda a: keras.Input(shape=np.shape(a)[1:], dtype=np.asarray(a).dtype.name,
                                  batch_size=None),
            input_data,
        )

    def assert_symbolic_matches(symbolic: Any, eager: Any, what: str) -> None:
        keras.tree.assert_same_structure(symbolic, eager)
        for s, e in zip(keras.tree.flatten(symbolic), keras.tree.flatten(eager), strict=True):
            e = np.asarray(e)
            assert tuple(s.shape[1:]) == e.shape[1:], f"{what}: {s.shape} vs {e.shape}"
            assert _dtype(s) == e.dtype.name, f"{what}: dtype {_dtype(s)} vs {e.dtype}"

    inputs = symbolic_inputs()
    symbolic = layer_cls(**init_kwargs)(inputs)
    assert_symbolic_matches(symbolic, output, "symbolic call vs eager call")
    if not isinstance(input_data, (dict, list, tuple)):
        shapes = layer.compute_output_shape((None, *np.shape(input_data)[1:]))
        outputs = output if isinstance(output, (list, tuple)) else [output]
        shapes = shapes if isinstance(output, (list, tuple)) else [shapes]
        assert [tuple(s[1:]) for s in shapes] == [np.shape(o)[1:] for o in outputs]

    # 4. Functional model, predict, .keras round trip.
    if functional:
        model = keras.Model(inputs, layer_cls(**init_kwargs)(inputs))
        model.layers[-1].set_weights(layer.get_weights())
        predicted = to_numpy(model.predict(input_data, verbose=0))
        _assert_like(predicted, output, compare_values=compare, atol=atol,
                     what="functional model predict vs eager call")
        if saving:
            restored = save_and_load(model, tmp_path)
            assert restored.layers[-1].get_config() == model.layers[-1].get_config()
            _assert_like(to_numpy(restored.predict(input_data, verbose=0)), predicted,
                         compare_values=compare, atol=atol, what="loaded .keras model")

    # 5. tf.data.
    if tf_data:
        batch = tf_data_batch_size or max(1, len(keras.tree.flatten(input_data)[0]) // 2)
        fresh = layer_cls(**init_kwargs)
        if layer.weights:
            fresh(input_data, **call_kwargs)
            fresh.set_weights(layer.get_weights())
        data = tuple(input_data) if isinstance(input_data, list) else input_data
        function = (lambda *args: fresh(list(args), **call_kwargs)) \
            if isinstance(input_data, list) else (lambda x: fresh(x, **call_kwargs))
        mapped = _concatenate(map_with_tf_data(function, data, batch))
        _assert_like(mapped, output, compare_values=compare, atol=atol,
                     what="tf.data map vs eager call")

    # 6. Mixed precision.
    if mixed_precision:
        for policy in MIXED_POLICIES:
            mixed = layer_cls(**init_kwargs, dtype=policy)
            if layer.weights:
                mixed(input_data, **call_kwargs)
                mixed.set_weights(layer.get_weights())
            mixed_output = to_numpy(mixed(input_data, **call_kwargs))
            if mixed_outputs_in_compute_dtype:
                assert {_dtype(w) for w in mixed.weights} <= {"float32"}
                for o in keras.tree.flatten(mixed_output):
                    assert o.dtype.name == mixed.compute_dtype, f"{policy}: {o.dtype}"
            _assert_like(keras.tree.map_structure(lambda m, o: m.astype(o.dtype), mixed_output,
                                                  output)
                         if mixed_outputs_in_compute_dtype else mixed_output, output,
                         compare_values=compare and mixed_atol is not None,
                         atol=mixed_atol or 0.0, what=f"{policy} vs float32")
            assert_symbolic_matches(layer_cls(**init_kwargs, dtype=policy)(symbolic_inputs()),
                                    mixed_output, f"{policy}: symbolic vs eager")
    return layer


P4_KINDS = {4: "image", 5: "p4", 3: "orientations"}


def p4_turn(x: np.ndarray, k: int = 1, kind: str = "p4") -> np.ndarray:
    """`x` turned by `k` counter-clockwise quarter turns, as the p4 group acts on `kind`.

    `"image"` (B, H, W, C): the pixels turn. `"p4"` (B, H, W, 4, C): the pixels turn and the
    orientation axis shifts `k` steps round. `"orientations"` (B, 4, ...): the orientation
    axis shifts. `"invariant"`: unchanged.
    """
    x = np.asarray(x)
    if kind == "invariant":
        return x
    if kind == "orientations":
        return np.roll(x, k, axis=1)
    turned = np.ascontiguousarray(np.rot90(x, k, axes=(1, 2)))
    return np.roll(turned, k, axis=3) if kind == "p4" else turned


def assert_p4_equivariant(
    layer: Any,
    x: np.ndarray,
    *,
    output_kind: str | tuple[str, ...] | None = None,
    turns: Any = (1,),
    atol: float = 1e-5,
    **call_kwargs: Any,
) -> Any:
    """`layer(turn(x)) == turn(layer(x))` for each of `turns`, the p4 contract.

    The kind of `x` (and of the output, unless `output_kind` names it; a tuple for a tuple
    of outputs) follows from its rank: 4 an image, 5 a p4 map, 3 orientation vectors. See
    `p4_turn`. Returns the output for `x`.
    """
    output = to_numpy(layer(x, **call_kwargs))
    outputs = list(output) if isinstance(output, (list, tuple)) else [output]
    kinds = output_kind or tuple(P4_KINDS[np.ndim(o)] for o in outputs)
    kinds = (kinds,) if isinstance(kinds, str) else kinds
    for k in turns:
        turned = to_numpy(layer(p4_turn(x, k, P4_KINDS[np.ndim(x)]), **call_kwargs))
        turned = list(turned) if isinstance(turned, (list, tuple)) else [turned]
        for got, o, kind in zip(turned, outputs, kinds, strict=True):
            np.testing.assert_allclose(got, p4_turn(o, k, kind), atol=atol,
                                       err_msg=f"{kind} output, {k} quarter turn(s)")
    return output


def jit_train_step_tests(train: Any) -> tuple[Any, Any]:
    """The pair of tests that run `train(rng)` (a short `fit_under_jit`) under the compiler.

    XLA on TensorFlow and `jax.jit` on JAX run in the fast suite; `torch.compile` of a whole
    train step takes minutes on a small CPU, so PyTorch's test is marked slow. Assign the
    pair to two `test_` names in a test module.
    """
    import pytest

    def test_train_step_under_jit(rng: np.random.Generator) -> None:
        if keras.backend.backend() == "torch":
            pytest.skip("torch.compile is exercised by test_train_step_under_torch_compile")
        train(rng)

    @pytest.mark.slow
    def test_train_step_under_torch_compile(rng: np.random.Generator) -> None:
        if keras.backend.backend() != "torch":
            pytest.skip("torch only")
        train(rng)

    return test_train_step_under_jit, test_train_step_under_torch_compile


def traced_calls(layer: keras.layers.Layer, x: np.ndarray, calls: int) -> list[np.ndarray]:
    """`calls` training-mode calls of `layer` on `x` inside the backend's tracer.

    `tf.function` on TensorFlow, `jax.jit` of `stateless_call` (the seed state carried
    from call to call) on JAX; skips on PyTorch, whose tracer is too slow for a unit test.
    """
    import pytest

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        traced = tf.function(lambda images: layer(images, training=True))
        return [to_numpy(traced(x)) for _ in range(calls)]
    if backend == "jax":
        import jax

        layer.build(x.shape)
        step = jax.jit(lambda state, images: layer.stateless_call([], state, images))
        state = [v.value for v in layer.non_trainable_variables]
        outputs = []
        for _ in range(calls):
            out, state = step(state, x)
            outputs.append(to_numpy(out))
        return outputs
    pytest.skip("PyTorch has no tracer that is cheap enough for a unit test")


def fit_under_jit(model: keras.Model, x: np.ndarray, y: np.ndarray, batch_size: int) -> Any:
    """Compiles `model` with `jit_compile=True`, trains it 2 epochs and checks the step.

    The loss must stay finite and Keras must not have fallen back to an uncompiled step.
    """
    model.compile("adam", "sparse_categorical_crossentropy", jit_compile=True)
    history = model.fit(x, y, epochs=2, batch_size=batch_size, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert model.jit_compile
    return history


def fit_layer_under_jit(
    layer: keras.layers.Layer, rng: np.random.Generator, *, size: int, samples: int,
    batch_size: int,
) -> Any:
    """`fit_under_jit` of a small classifier, `layer` then a flatten and a two-class softmax
    dense layer, on `samples` random `size` x `size` grey images."""
    model = keras.Sequential(
        [keras.Input((size, size, 1)), layer, keras.layers.Flatten(),
         keras.layers.Dense(2, activation="softmax")]
    )
    x = rng.random((samples, size, size, 1), dtype=np.float32)
    return fit_under_jit(model, x, rng.integers(0, 2, samples), batch_size)


def property_settings(max_examples: int = 20) -> Any:
    """Hypothesis settings of the suite's property tests: few examples, derandomized (the
    same examples on every run and machine), no deadline (backends warm up at first call)."""
    from hypothesis import HealthCheck, settings

    return settings(
        max_examples=max_examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                               HealthCheck.data_too_large],
    )
