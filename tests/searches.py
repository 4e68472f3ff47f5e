"""Small KerasTuner searches the tests share: a space of small models and a Hyperband
budget of 15 trials that run in seconds on a few hundred digits, and a look at the trials
a search folder holds."""

from __future__ import annotations

import json
from pathlib import Path

SPACE = {
    "conv_layers": [2, 5],
    "filters": [8, 16, 8],
    "dense_layers": [1, 2],
    "units": [8, 16, 8],
    "dropout": [0.1, 0.5, 0.1],
    "learning_rate": [1e-3, 1e-2],
    "padding": "valid",
}
SETTINGS = {
    "tuner": "hyperband",
    "search_space": "corrected",
    "max_epochs": 4,
    "factor": 2,
    "hyperband_iterations": 1,
    "max_trials": 2,
    "trial_epochs": 1,
    "validation_fraction": 0.25,
    "batch_size": 32,
    "target_test_accuracy": 0.993,
    "space": SPACE,
}


def completed_trials(search: Path) -> dict[str, float]:
    """The trials of a search folder that completed, with their trial.json's mtime."""
    done = {}
    for path in search.glob("mnist_cnn/trial_*/trial.json"):
        if json.loads(path.read_text()).get("status") == "COMPLETED":
            done[path.parent.name] = path.stat().st_mtime
    return done
