"""A hand-written, jitted JAX training loop for `mnist_cnn`: the speed floor.

Same architecture as `rotkeras.models.mnist_cnn` (Conv32-Pool-Conv64-Pool-Conv64-
Dense128-Dense10), same initialisation scheme as Keras (Glorot-uniform kernels, zero
biases), same loss (sparse categorical cross-entropy on the softmax) and Adam with
Keras' hyper-parameters (learning rate 1e-3, beta_1 0.9, beta_2 0.999, epsilon 1e-7).
The data lives on the device; one epoch is one `jax.lax.scan` over the shuffled full
batches plus one step for the last partial batch (so the number of updates equals
`model.fit`'s). No optax: Adam is written out, it is only a reference point.

On a CPU, XLA runs the convolution gradients inside a `scan` (a while loop) about 14x
slower than in a jitted step (measured on the 2-core development machine: 1030 ms vs
71 ms per step), so with `mode="auto"` the CPU floor is a Python loop of jitted steps
over device-resident, device-shuffled batches instead; accelerators use the `scan`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

SHAPES = {
    "conv1": ((3, 3, 1, 32), (32,)),
    "conv2": ((3, 3, 32, 64), (64,)),
    "conv3": ((3, 3, 64, 64), (64,)),
    "dense": ((576, 128), (128,)),
    "probabilities": ((128, 10), (10,)),
}


def init_params(seed: int = 0) -> dict[str, tuple[Any, Any]]:
    """Glorot-uniform kernels and zero biases, like Keras' defaults."""
    import jax.numpy as jnp

    rng = np.random.default_rng(seed)
    params = {}
    for name, (kshape, bshape) in SHAPES.items():
        receptive = int(np.prod(kshape[:-2])) if len(kshape) == 4 else 1
        fan_in, fan_out = kshape[-2] * receptive, kshape[-1] * receptive
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        kernel = rng.uniform(-limit, limit, kshape).astype("float32")
        params[name] = (jnp.asarray(kernel), jnp.zeros(bshape, "float32"))
    return params


def forward(params: dict[str, Any], x: Any) -> Any:
    """Logits of the tutorial CNN for NHWC float images."""
    import jax
    from jax import lax

    def conv(x: Any, name: str) -> Any:
        kernel, bias = params[name]
        y = lax.conv_general_dilated(
            x, kernel, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC")
        )
        return jax.nn.relu(y + bias)

    def pool(x: Any) -> Any:
        return lax.reduce_window(x, -np.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")

    x = pool(conv(x, "conv1"))
    x = pool(conv(x, "conv2"))
    x = conv(x, "conv3")
    x = x.reshape(x.shape[0], -1)
    kernel, bias = params["dense"]
    x = jax.nn.relu(x @ kernel + bias)
    kernel, bias = params["probabilities"]
    return x @ kernel + bias


class JaxFloorTrainer:
    """Trains the tutorial CNN with a jitted `lax.scan` per epoch (data on the device)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int = 64, seed: int = 0,
                 learning_rate: float = 1e-3, mode: str = "auto") -> None:
        import jax
        import jax.numpy as jnp

        if mode not in ("auto", "scan", "steps"):
            raise ValueError(f"`mode` must be 'auto', 'scan' or 'steps'; received {mode!r}")
        if mode == "auto":
            mode = "steps" if jax.default_backend() == "cpu" else "scan"
        self.mode = mode

        self.batch_size = batch_size
        self.x = jax.device_put(jnp.asarray(x, "float32"))
        self.y = jax.device_put(jnp.asarray(y, "int32"))
        self.num = int(x.shape[0])
        self.params = init_params(seed)
        def zeros() -> Any:
            return jax.tree_util.tree_map(jnp.zeros_like, self.params)

        self.opt_state = (zeros(), zeros(), jnp.zeros((), "float32"))
        self.key = jax.random.PRNGKey(seed)
        b1, b2, eps, lr = 0.9, 0.999, 1e-7, learning_rate

        def loss_fn(params: Any, xb: Any, yb: Any) -> Any:
            logits = forward(params, xb)
            logp = jax.nn.log_softmax(logits)
            return -jnp.mean(jnp.take_along_axis(logp, yb[:, None], axis=1))

        def step(carry: Any, batch: Any) -> Any:
            params, (m, v, t) = carry
            xb, yb = batch
            loss, grads = jax.value_and_grad(loss_fn)(params, xb, yb)
            t = t + 1
            alpha = lr * jnp.sqrt(1 - b2**t) / (1 - b1**t)
            m = jax.tree_util.tree_map(lambda m, g: m + (g - m) * (1 - b1), m, grads)
            v = jax.tree_util.tree_map(lambda v, g: v + (g * g - v) * (1 - b2), v, grads)
            params = jax.tree_util.tree_map(
                lambda p, m, v: p - alpha * m / (jnp.sqrt(v) + eps), params, m, v
            )
            return (params, (m, v, t)), loss

        full = self.num // batch_size
        rest = self.num - full * batch_size

        @jax.jit
        def epoch(params: Any, opt_state: Any, key: Any, x: Any, y: Any) -> Any:
            perm = jax.random.permutation(key, x.shape[0])
            xs = x[perm]
            ys = y[perm]
            head = (
                xs[: full * batch_size].reshape(full, batch_size, *xs.shape[1:]),
                ys[: full * batch_size].reshape(full, batch_size),
            )
            (params, opt_state), losses = jax.lax.scan(step, (params, opt_state), head)
            if rest:
                (params, opt_state), last = step(
                    (params, opt_state), (xs[full * batch_size :], ys[full * batch_size :])
                )
                losses = jnp.concatenate([losses, last[None]])
            return params, opt_state, jnp.mean(losses)

        self._epoch = epoch
        self._step = jax.jit(step, donate_argnums=0)
        self._permute = jax.jit(
            lambda key, x, y: (lambda perm: (x[perm], y[perm]))(
                jax.random.permutation(key, x.shape[0])
            )
        )
        self._predict = jax.jit(lambda params, x: jnp.argmax(forward(params, x), axis=-1))

    def compile(self) -> None:
        """Compiles the epoch function ahead of time (so that no epoch times it)."""
        if self.mode == "scan":
            self._epoch = self._epoch.lower(
                self.params, self.opt_state, self.key, self.x, self.y
            ).compile()
            return
        xs, ys = self._permute(self.key, self.x, self.y)
        b = self.batch_size
        sizes = {min(b, self.num), self.num % b} - {0}
        import jax

        for size in sizes:  # full and partial batch shapes; the copy is donated
            carry = jax.tree_util.tree_map(lambda a: a.copy(), (self.params, self.opt_state))
            jax.block_until_ready(self._step(carry, (xs[:size], ys[:size])))

    def train_epoch(self) -> float:
        """Runs one epoch; returns its mean loss (blocks until done)."""
        import jax

        self.key, sub = jax.random.split(self.key)
        if self.mode == "steps":
            xs, ys = self._permute(sub, self.x, self.y)
            carry = (self.params, self.opt_state)
            losses = []
            for start in range(0, self.num, self.batch_size):
                end = start + self.batch_size
                carry, loss = self._step(carry, (xs[start:end], ys[start:end]))
                losses.append(loss)
            self.params, self.opt_state = carry
            return float(np.mean(jax.device_get(losses)))
        self.params, self.opt_state, loss = self._epoch(
            self.params, self.opt_state, sub, self.x, self.y
        )
        return float(loss)

    def accuracy(self, x: np.ndarray, y: np.ndarray, batch_size: int = 1000) -> float:
        """Accuracy on `(x, y)`."""
        correct = 0
        for start in range(0, len(x), batch_size):
            pred = np.asarray(self._predict(self.params, x[start : start + batch_size]))
            correct += int(np.sum(pred == y[start : start + batch_size]))
        return correct / len(x)
