"""The search itself, on a few hundred real digits: seeded trials, the epochs random and
Bayesian trials run (Hyperband's: tests/test_tune_cnn_step.py), the original space's shape
failures counted, and any other failure stopping it."""

from __future__ import annotations

import pytest

kt = pytest.importorskip("keras_tuner")

from hw4.data.mnist import load_embedded, subset  # noqa: E402
from hw4.methods import keras_search  # noqa: E402
from hw4.methods.mnist_cnn import scale_images  # noqa: E402
from hw4.methods.search_space import make_builder  # noqa: E402

SPACE = {
    "conv_layers": [2, 5],
    "filters": [8, 16, 8],
    "dense_layers": [1, 2],
    "units": [8, 16, 8],
    "dropout": [0.1, 0.5, 0.1],
    "learning_rate": [1e-4, 1e-2],
    "padding": "valid",
}


@pytest.fixture(scope="module")
def digits():
    data = subset(load_embedded(seed=0, test_fraction=0.2), train=300, test=10, seed=0)
    x_fit, x_val, y_fit, y_val = keras_search.seeded_stratified_holdout(
        scale_images(data["x_train"]), data["y_train"], 0.25, seed=7
    )
    return (x_fit, y_fit), (x_val, y_val)


def search(digits, directory, settings, space=SPACE, corrected=True, seed=7, epochs=None):
    build, _, _ = make_builder(space, (28, 28, 1), corrected=corrected)
    tuner = keras_search.make_tuner(settings, build, directory, seed)
    fit, validation = digits
    keras_search.search(tuner, fit, validation, batch_size=32, epochs=epochs)
    return tuner, keras_search.trials_table(tuner, directory)


def test_seed_zero_fixes_the_oracle(tmp_path):
    import random

    settings = {"tuner": "hyperband", "max_epochs": 2, "factor": 2, "hyperband_iterations": 1}
    build, _, _ = make_builder(SPACE, (28, 28, 1))
    seeds = []
    for state in (1, 2):
        random.seed(state)  # KerasTuner draws from here when it gets no seed
        tuner = keras_search.make_tuner(settings, build, tmp_path / str(state), seed=0)
        seeds.append(tuner.oracle.seed)
    assert seeds[0] == seeds[1]


def test_a_trial_scores_the_same_whatever_ran_before_it(tmp_path, digits):
    import keras
    import numpy as np

    settings = {"tuner": "random", "max_trials": 2}
    scores = []
    for run, history in enumerate((0, 3)):
        keras.utils.set_random_seed(100 + history)  # a different state before the search
        np.random.rand(history)
        _, rows = search(digits, tmp_path / f"run{run}", settings, epochs=1)
        scores.append([(r["trial"], r["best_val_accuracy"]) for r in rows])
    assert len(scores[0]) == 2 and scores[0] == scores[1]
    assert scores[0][0][1] != scores[0][1][1]  # real digits: the scores say something


@pytest.mark.parametrize("tuner", ["random", "bayesian"])
def test_random_and_bayesian_trials_run_their_epoch_budget(tmp_path, digits, tuner):
    settings = {"tuner": tuner, "max_trials": 3}
    _, rows = search(digits, tmp_path, settings, epochs=3)
    assert [r["status"] for r in rows] == ["COMPLETED"] * 3
    assert [r["epochs_run"] for r in rows] == [3, 3, 3]
    assert all(0 <= r["best_step"] <= 2 for r in rows)


def test_the_original_space_runs_to_the_end_counting_failed_trials(tmp_path, digits):
    # Depths 2 to 5 on 28x28 'valid': 4 and 5 cannot be built. Eight trials: with the
    # default limit of three consecutive failures KerasTuner would stop in most seeds.
    settings = {"tuner": "random", "max_trials": 8}
    space = {**SPACE, "conv_layers": [3, 5]}
    _, rows = search(digits, tmp_path, settings, space=space, corrected=False, epochs=1)
    assert len(rows) == 8
    failed = [r for r in rows if r["status"] == "FAILED"]
    completed = [r for r in rows if r["status"] == "COMPLETED"]
    assert failed and completed and len(failed) + len(completed) == 8
    assert {r["conv_layers"] for r in failed} <= {4, 5}
    assert {r["conv_layers"] for r in completed} == {3}
    assert all(r["epochs_run"] == 0 for r in failed)
    assert all(r["epochs_run"] == 1 for r in completed)


def test_a_failure_that_is_not_a_shape_failure_stops_the_search(tmp_path, digits):
    import keras

    build, _, _ = make_builder(SPACE, (28, 28, 1))

    def five_classes(hp):
        """A real fault unrelated to shapes: depth 3 gets 5 outputs for 10 labels."""
        model = build(hp)
        if hp.values["conv_layers"] != 3:
            return model
        wrong = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten()])
        wrong.add(keras.layers.Dense(5, activation="softmax"))
        wrong.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        return wrong

    tuner = keras_search.make_tuner(
        {"tuner": "random", "max_trials": 12}, five_classes, tmp_path, 7
    )
    fit, validation = digits
    with pytest.raises(keras_search.TrialError, match="failed") as info:
        keras_search.search(tuner, fit, validation, batch_size=32, epochs=1)
    assert "label" in str(info.value).lower()
    statuses = [t.status for t in tuner.oracle.trials.values()]
    assert "FAILED" not in statuses  # stopped at the fault, not counted and skipped
