"""Turning artifacts into the bilingual PDF. Nothing here imports TensorFlow."""
