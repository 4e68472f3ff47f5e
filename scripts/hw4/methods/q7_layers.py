"""The Q7 network's layer names and output shapes, without importing a framework.

The config check (run when the workflow starts, before any job's environment) reads it to
refuse a Grad-CAM layer without spatial axes; ``hw4.methods.mnist_cnn.build_q7_model``
gives its layers these names, and a test ties the two together.
"""

from __future__ import annotations

# Each layer's output shape (without the batch axis) on 28x28x1 images, by the names
# build_q7_model gives them: the config check reads it to refuse a Grad-CAM layer without
# spatial axes before any training (a test ties it to the built model).
Q7_OUTPUT_SHAPES = {
    "conv_1": (28, 28, 32),
    "pool_1": (14, 14, 32),
    "conv_2": (14, 14, 64),
    "pool_2": (7, 7, 64),
    "conv_3": (7, 7, 64),
    "pool_3": (3, 3, 64),
    "flatten": (576,),
    "dense_1": (128,),
    "dense_2": (128,),
    "class_probabilities": (10,),
}
