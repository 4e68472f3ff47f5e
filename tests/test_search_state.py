"""A search's saved state cut short (a hard kill or a full disk while KerasTuner writes):
the next run mends what it can from the state that is whole, saying so in one line, or
stops in one line naming the file and what to delete; never a bare JSONDecodeError."""

from __future__ import annotations

import logging
import shutil

import pytest
from searches import SETTINGS

kt = pytest.importorskip("keras_tuner")

from hw4.data.mnist import load_embedded, subset  # noqa: E402
from hw4.methods import keras_search  # noqa: E402
from hw4.methods.keras_search import SavedStateError  # noqa: E402
from hw4.steps import tune_cnn  # noqa: E402

SEARCH = {**SETTINGS, "tuner": "random", "max_trials": 2, "trial_epochs": 1}


@pytest.fixture(scope="module")
def digits():
    return subset(load_embedded(seed=0, test_fraction=0.2), train=200, test=50, seed=0)


@pytest.fixture(scope="module")
def finished(digits, tmp_path_factory):
    """A finished two-trial search, copied afresh for each test."""
    search = tmp_path_factory.mktemp("finished") / "search"
    result = tune_cnn.search_and_retrain(digits, SEARCH, 3, search)
    return search, [row["trial"] for row in result["trials"]]


@pytest.fixture
def saved(finished, tmp_path):
    search, trials = finished
    copy = tmp_path / "search"
    shutil.copytree(search, copy)
    return copy, trials


def cut(path, keep: float) -> None:
    """Keep the first ``keep`` share of the file's bytes, as a kill mid-write leaves it."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


@pytest.mark.parametrize("keep", [0, 0.5])
def test_a_cut_oracle_file_stops_naming_it_and_what_to_delete(saved, keep):
    search, _ = saved
    oracle = search / "mnist_cnn" / "oracle.json"
    cut(oracle, keep)
    with pytest.raises(SavedStateError) as stopped:
        keras_search.check_saved_state(search)
    message = str(stopped.value)
    assert message.startswith(f"search state cut short: {oracle} is ")
    assert ("empty" if keep == 0 else "cut short or damaged") in message
    assert message.endswith(f"the search cannot resume: delete {search} to start the search afresh")
    assert "\n" not in message


@pytest.mark.parametrize("keep", [0, 0.5])
def test_a_cut_trial_the_oracle_counts_stops_naming_it(saved, keep):
    search, trials = saved
    trial_file = search / "mnist_cnn" / f"trial_{trials[-1]}" / "trial.json"
    cut(trial_file, keep)
    with pytest.raises(SavedStateError, match=f"trial.json is .* counts trial {trials[-1]}"):
        keras_search.check_saved_state(search)


def test_a_cut_fingerprint_stops_naming_it(saved, digits):
    search, _ = saved
    cut(search / "fingerprint.json", 0.5)
    with pytest.raises(SavedStateError, match="fingerprint.json is cut short or damaged"):
        tune_cnn.search_and_retrain(digits, SEARCH, 3, search)


def test_what_can_be_mended_is_mended_and_said_and_the_search_resumes(saved, digits, caplog):
    search, trials = saved
    project = search / "mnist_cnn"
    cut(project / "tuner0.json", 0)
    cut(search / "trial_runs.json", 0.5)
    # A trial killed while KerasTuner created it: its file cut, the oracle never told.
    unborn = project / "trial_9"
    unborn.mkdir()
    (unborn / "trial.json").write_text('{"trial_id": "9", "hyperparam')
    before = {t: (project / f"trial_{t}" / "trial.json").read_text() for t in trials}
    with caplog.at_level(logging.INFO, logger="hw4"):
        again = tune_cnn.search_and_retrain(digits, SEARCH, 3, search)
    assert again["state"] == "resumed"
    assert [row["trial"] for row in again["trials"]] == trials  # no trial run again
    assert all(row["status"] == "COMPLETED" for row in again["trials"])
    assert before == {t: (project / f"trial_{t}" / "trial.json").read_text() for t in trials}
    assert not unborn.exists()
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("search state:")]
    assert len(said) == 3, said
    assert any("tuner0.json was empty: deleted it" in line for line in said)
    assert any("trial_9/trial.json was cut short" in line for line in said)
    assert any("trial_runs.json was cut short or damaged" in line for line in said)
