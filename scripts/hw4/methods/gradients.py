"""Gradients on whichever Keras backend is active (TensorFlow, JAX or PyTorch).

The one place where the project differs by backend: Keras has no backend-neutral
gradient API, so every check that needs a gradient (Grad-CAM, the batch-norm
comparison) goes through here.
"""

from __future__ import annotations

import keras
import numpy as np


def gradient_of(fn, x):
    """(fn(x), d sum(fn(x)) / dx) on the active Keras backend. fn returns one score per sample."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            scores = fn(x)
        return np.asarray(scores), np.asarray(tape.gradient(scores, x))
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        scores, grads = jax.value_and_grad(lambda a: jnp.sum(fn(a)))(jnp.asarray(x))
        return np.asarray(fn(jnp.asarray(x))), np.asarray(grads)
    if backend == "torch":
        import torch

        tensor = torch.as_tensor(np.asarray(x)).requires_grad_(True)
        scores = fn(tensor)
        scores.sum().backward()
        return scores.detach().cpu().numpy(), tensor.grad.detach().cpu().numpy()
    raise NotImplementedError(f"no gradient for the {backend!r} backend")
