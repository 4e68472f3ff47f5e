"""Gradients on whichever Keras backend is active (TensorFlow, JAX or PyTorch).

The one place where the project differs by backend: Keras has no backend-neutral
gradient API, so every check that needs a gradient (Grad-CAM, the batch-norm
comparison) goes through here.
"""

from __future__ import annotations

import keras
import numpy as np


def gradients_of(fn, arrays):
    """(fn(*arrays), [d sum(fn(*arrays)) / d array for each array]) on the active Keras backend.

    ``fn`` takes one backend tensor per array and returns a tensor of any shape; its sum is
    differentiated. Results come back as NumPy arrays, each gradient shaped like its array.
    Raises ``NotImplementedError`` for a backend without a gradient here.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tensors = [tf.convert_to_tensor(a) for a in arrays]
        with tf.GradientTape() as tape:
            for tensor in tensors:
                tape.watch(tensor)
            values = fn(*tensors)
            total = tf.reduce_sum(values)
        grads = tape.gradient(total, tensors)
        return np.asarray(values), [np.asarray(g) for g in grads]
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        tensors = [jnp.asarray(a) for a in arrays]

        def total_and_values(*inputs):
            values = fn(*inputs)
            return jnp.sum(values), values

        (_, values), grads = jax.value_and_grad(
            total_and_values, argnums=tuple(range(len(tensors))), has_aux=True
        )(*tensors)
        return np.asarray(values), [np.asarray(g) for g in grads]
    if backend == "torch":
        import torch

        tensors = [torch.as_tensor(np.asarray(a)).requires_grad_(True) for a in arrays]
        values = fn(*tensors)
        values.sum().backward()
        return values.detach().cpu().numpy(), [t.grad.detach().cpu().numpy() for t in tensors]
    raise NotImplementedError(f"no gradient for the {backend!r} backend")


def gradient_of(fn, x):
    """(fn(x), d sum(fn(x)) / dx) on the active Keras backend. fn returns one score per sample."""
    values, (grad,) = gradients_of(fn, [x])
    return values, grad
