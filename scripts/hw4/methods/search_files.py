"""The names of the files a KerasTuner search keeps in its folder.

Plain names, no framework: a tool that only reads a search's state (the bench's
extrapolation) then needs no TensorFlow.
"""

PROJECT = "mnist_cnn"  # KerasTuner's folder for the trials, inside the search folder
FINGERPRINT_FILE = "fingerprint.json"
RUNS_FILE = "trial_runs.json"  # wall time and epochs of every trial, beside the tuner's state
