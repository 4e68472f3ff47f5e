"""KerasTuner's distributed search on local worker processes (CPU), on a few hundred real
digits: the workers share one oracle, a killed worker loses no trial, the chief listens
on the loopback only and answers its own workers only (the search's token)."""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time

import numpy as np
import pytest
from searches import SETTINGS as SEARCH
from searches import SPACE, completed_trials

kt = pytest.importorskip("keras_tuner")

from hw4.data.mnist import load_embedded, subset  # noqa: E402
from hw4.methods import distributed_search  # noqa: E402
from hw4.methods.hyperband import hyperband_schedule, schedule_totals  # noqa: E402
from hw4.steps import tune_cnn  # noqa: E402

# Depths of 2 and 3 only: every trial can be built.
SETTINGS = {**SEARCH, "max_trials": 4, "trial_epochs": 2, "space": {**SPACE, "conv_layers": [2, 3]}}


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    data = subset(load_embedded(seed=0, test_fraction=0.2), train=300, test=100, seed=0)
    path = tmp_path_factory.mktemp("digits") / "mnist.npz"
    np.savez(path, **data)
    return data, path


def plan(path, tmp_path, count=2):
    return distributed_search.make_plan(count, str(path), 2, str(tmp_path / "locks"))


def test_a_plan_shares_the_threads_and_makes_paths_absolute(tmp_path, monkeypatch):
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    monkeypatch.chdir(tmp_path)
    made = distributed_search.make_plan(3, "d.npz", 8, "locks")
    assert made.threads == 2 and made.engine == "local"
    assert made.data_path == str(tmp_path / "d.npz")
    assert distributed_search.make_plan(4, "d.npz", 2, "locks").threads == 1


def test_workers_run_under_srun_inside_a_slurm_job(tmp_path, monkeypatch):
    made = distributed_search.make_plan(2, "d.npz", 6, "locks")
    made.engine = "slurm"
    command = distributed_search.worker_command(made, tmp_path / "spec.json")
    assert command[:3] == ["srun", "--ntasks=1", "--nodes=1"]
    assert "--cpus-per-task=3" in command and "--gpus=1" in command
    assert command[-3:] == ["-m", "hw4.methods.search_worker", str(tmp_path / "spec.json")]
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    assert distributed_search.chief_host("local") == "127.0.0.1"
    assert distributed_search.chief_host("slurm") == "127.0.0.1"  # one node (none known)


def listening_sockets(port: int) -> list[str]:
    """Local addresses listening on ``port`` (from /proc/net/tcp and tcp6), as hex."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in open(table).read().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if int(hex_port, 16) == port and state == "0A":  # LISTEN
                found.append(address)
    return found


@pytest.mark.slow
def test_two_workers_share_one_search(digits, tmp_path, caplog):
    data, path = digits
    seen = {}
    serve = distributed_search.serve_oracle

    def spy(oracle, host, planned, token):
        server, port, assigned = serve(oracle, host, planned, token)
        seen["listening"] = listening_sockets(port)
        seen["host"] = host
        return server, port, assigned

    distributed_search.serve_oracle = spy
    try:
        with caplog.at_level(logging.INFO, logger="hw4"):
            result = tune_cnn.search_and_retrain(
                data, SETTINGS, 3, tmp_path / "search", plan(path, tmp_path)
            )
    finally:
        distributed_search.serve_oracle = serve
    rows = result["trials"]
    planned = 15  # Hyperband, max_epochs 4, factor 2
    assert len(rows) == planned and all(r["status"] == "COMPLETED" for r in rows)
    assert {r["tuner"] for r in rows} == {"tuner0", "tuner1"}  # both workers ran trials
    assert result["distributed"]["workers"] == 2 and result["distributed"]["deaths"] == []
    assigned = result["distributed"]["assigned"]
    assert sorted(assigned) == [r["trial"] for r in rows]
    assert all(assigned[r["trial"]] == [r["tuner"]] for r in rows)
    # The loopback only: 127.0.0.1 is 0100007F in /proc/net/tcp, or ::ffff:127.0.0.1 in
    # tcp6 (gRPC's dual-stack socket); never 00000000 or :: (every interface).
    loopback = {"0100007F", "0000000000000000FFFF00000100007F"}
    assert seen["host"] == "127.0.0.1" and seen["listening"]
    assert set(seen["listening"]) <= loopback, seen["listening"]
    said = [r.getMessage() for r in caplog.records]
    assert any(m.startswith(f"trial {planned} of {planned} (id ") for m in said)
    assert sum("finished" in m and m.startswith("worker tuner") for m in said) == 2
    # Hyperband's own plan, whichever worker ran what: each trial its round's epochs.
    schedule = hyperband_schedule(4, 2, 1)
    assert sum(r["epochs_run"] for r in rows) == schedule_totals(schedule)["epochs"] == 30
    for row in rows:
        assert row["epochs_run"] == row["tuner/epochs"] - row["tuner/initial_epoch"]
    assert result["final_epochs"] == sum(link["epochs"] for link in result["epochs_chain"])


@pytest.mark.slow
def test_a_killed_worker_loses_no_trial(digits, tmp_path):
    data, path = digits
    settings = {**SETTINGS, "tuner": "random", "max_trials": 6, "trial_epochs": 3}
    handed = []

    class Handed(logging.Handler):
        def emit(self, record):
            message = record.getMessage()
            if " to tuner1" in message and message.startswith("trial "):
                handed.append(message)

    handler = Handed()
    hw4_log = logging.getLogger("hw4")
    level = hw4_log.level
    hw4_log.setLevel(logging.INFO)
    hw4_log.addHandler(handler)
    result = {}
    search = tmp_path / "search"

    def chief():
        result.update(tune_cnn.search_and_retrain(data, settings, 3, search, plan(path, tmp_path)))

    thread = threading.Thread(target=chief)
    thread.start()
    try:
        deadline = time.time() + 300
        while len(handed) < 2 and time.time() < deadline and thread.is_alive():
            time.sleep(0.01)
        assert len(handed) == 2, "worker tuner1 was not given a second trial"
        pids = json.loads((search / "workers" / "pids.json").read_text())
        os.kill(pids["tuner1"], signal.SIGKILL)  # mid-trial: its second trial just began
        thread.join(timeout=600)
    finally:
        hw4_log.removeHandler(handler)
        hw4_log.setLevel(level)
    assert not thread.is_alive() and result, "the search did not end"
    deaths = result["distributed"]["deaths"]
    assert len(deaths) == 1 and deaths[0]["worker"] == "tuner1"
    assert deaths[0]["how"] == "killed by signal SIGKILL"
    assert deaths[0]["outcome"] == "requeued"
    lost = deaths[0]["trial"]
    rows = {r["trial"]: r for r in result["trials"]}
    assert len(rows) == 6 and all(r["status"] == "COMPLETED" for r in rows.values())
    assert rows[lost]["tuner"] == "tuner0" and rows[lost]["epochs_run"] == 3
    assert result["distributed"]["assigned"][lost] == ["tuner1", "tuner0"]


def test_a_dead_workers_trial_runs_once_more_then_fails(tmp_path):
    hp = kt.HyperParameters()
    hp.Int("units", 8, 16, step=8)
    oracle = kt.oracles.RandomSearchOracle(
        objective="val_accuracy", max_trials=3, hyperparameters=hp, max_retries_per_trial=1
    )
    oracle._set_project_dir(str(tmp_path), "p")  # as a tuner does
    trial = oracle.create_trial("tuner1")
    death = distributed_search.release_dead_worker(oracle, "tuner1", "killed by signal SIGKILL")
    assert death == {
        "worker": "tuner1",
        "how": "killed by signal SIGKILL",
        "trial": trial.trial_id,
        "outcome": "requeued",
    }
    assert distributed_search.death_in_words(death) == (
        f"trial {trial.trial_id} goes back to the queue for another worker"
    )
    assert "tuner1" not in oracle.tuner_ids and distributed_search.trials_left(oracle)
    again = oracle.create_trial("tuner0")
    assert again.trial_id == trial.trial_id
    death = distributed_search.release_dead_worker(oracle, "tuner0", "exit status 1")
    assert death["outcome"] == "failed"
    assert oracle.trials[trial.trial_id].status == "FAILED"
    assert "tuner0 died" in oracle.trials[trial.trial_id].message
    assert not distributed_search.trials_left(oracle)
    death = distributed_search.release_dead_worker(oracle, "tuner2", "exit status 1")
    assert death["outcome"] == "none" and death["trial"] == ""


CHIEF = """
import json, sys
import numpy as np
from hw4.io.logs import setup_logging
setup_logging(sys.argv[2])
from hw4.device import configure_framework
configure_framework(3, 1)
from hw4.methods import distributed_search
from hw4.steps import tune_cnn
settings, path, search = json.loads(sys.argv[1])
data = dict(np.load(path))
plan = distributed_search.make_plan(2, path, 2, search + "-locks")
tune_cnn.search_and_retrain(data, settings, 3, search, plan)
"""


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.slow
def test_a_killed_distributed_search_takes_its_workers_along_and_resumes(digits, tmp_path):
    import subprocess
    import sys

    data, path = digits
    settings = {**SETTINGS, "tuner": "random", "max_trials": 6, "trial_epochs": 3}
    search = tmp_path / "search"
    chief = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHIEF,
            json.dumps([settings, str(path), str(search)]),
            str(tmp_path / "chief.log"),
        ],
        env={**os.environ, "PYTHONPATH": str(distributed_search.SCRIPTS_DIR)},
    )
    deadline = time.time() + 300
    while len(completed_trials(search)) < 2 and time.time() < deadline and chief.poll() is None:
        time.sleep(0.2)
    before = completed_trials(search)
    assert len(before) >= 2, (tmp_path / "chief.log").read_text()[-3000:]
    workers = json.loads((search / "workers" / "pids.json").read_text())
    chief.kill()  # SIGKILL: the chief cannot clean up; its workers must still end
    chief.wait()
    deadline = time.time() + 30
    while any(alive(pid) for pid in workers.values()) and time.time() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in workers.values()), "a worker outlived its chief"

    again = tune_cnn.search_and_retrain(data, settings, 3, search, plan(path, tmp_path))
    assert again["state"] == "resumed"
    after = completed_trials(search)
    assert all(after[trial] == mtime for trial, mtime in before.items())  # not run again
    assert len(again["trials"]) == 6
    assert all(r["status"] == "COMPLETED" for r in again["trials"])


def test_a_search_saved_without_tuner0s_file_is_still_resumed(digits, tmp_path):
    # A distributed chief saves its state as "chief", and a worker other than tuner0 may
    # have finished every trial so far: KerasTuner alone would then start afresh.
    from hw4.methods import keras_search

    data, _ = digits
    settings = {**SETTINGS, "tuner": "random", "max_trials": 2, "trial_epochs": 1}
    search = tmp_path / "search"
    first = tune_cnn.search_and_retrain(data, settings, 3, search)
    (search / "mnist_cnn" / "tuner0.json").unlink()
    setup = keras_search.search_setup(data, settings, 3)
    tuner = keras_search.make_tuner(settings, setup["build"], search, 3)
    assert sorted(tuner.oracle.trials) == [r["trial"] for r in first["trials"]]
    assert all(t.status == "COMPLETED" for t in tuner.oracle.trials.values())


# --- the search's token: the oracle answers its own workers only -------------------------


@pytest.fixture
def served_oracle(tmp_path):
    """A random-search oracle served as the chief serves it, with its token."""
    hp = kt.HyperParameters()
    hp.Int("units", 8, 64, step=8)
    oracle = kt.oracles.RandomSearchOracle(
        objective="val_accuracy", max_trials=5, hyperparameters=hp, seed=1
    )
    oracle._set_project_dir(str(tmp_path), "p")  # as a tuner does
    token = distributed_search.new_token()
    server, port, _ = distributed_search.serve_oracle(oracle, "127.0.0.1", 5, token)
    yield oracle, port, token
    server.stop(grace=None)


def oracle_stub(port, interceptor=None):
    import grpc
    from keras_tuner.src import protos

    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    if interceptor is not None:
        channel = grpc.intercept_channel(channel, interceptor)
    return protos.get_service_grpc().OracleStub(channel), protos.get_service()


@pytest.mark.parametrize("sent", [None, "", "0" * 64, "wrong"])
def test_a_call_without_the_searchs_token_is_refused_and_changes_nothing(served_oracle, sent):
    import grpc

    oracle, port, token = served_oracle
    stub, service = oracle_stub(port)
    metadata = None if sent is None else [(distributed_search.TOKEN_METADATA, sent)]
    before = json.dumps(oracle.get_state(), sort_keys=True, default=str)
    wider = kt.HyperParameters()
    wider.Int("units", 8, 4096, step=8)
    wider.Choice("backdoor", ["yes"])
    calls = [
        lambda: stub.CreateTrial(
            service.CreateTrialRequest(tuner_id="intruder"), metadata=metadata
        ),
        lambda: stub.UpdateSpace(
            service.UpdateSpaceRequest(hyperparameters=wider.to_proto()), metadata=metadata
        ),
        lambda: stub.EndTrial(service.EndTrialRequest(), metadata=metadata),
        lambda: stub.GetSpace(service.GetSpaceRequest(), metadata=metadata),
        lambda: stub.GetBestTrials(service.GetBestTrialsRequest(num_trials=1), metadata=metadata),
    ]
    for call in calls:
        with pytest.raises(grpc.RpcError) as refused:
            call()
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert "token is missing or wrong" in refused.value.details()
    assert oracle.trials == {} and oracle.ongoing_trials == {}
    assert "backdoor" not in [p.name for p in oracle.hyperparameters.space]
    assert json.dumps(oracle.get_state(), sort_keys=True, default=str) == before


def test_a_worker_sends_the_token_with_every_call_and_is_served(served_oracle, monkeypatch):
    from keras_tuner.src.distribute import oracle_client

    from hw4.methods import search_worker

    oracle, port, token = served_oracle
    monkeypatch.setattr(oracle_client, "OracleClient", oracle_client.OracleClient)  # restored
    monkeypatch.setenv("KERASTUNER_ORACLE_IP", "127.0.0.1")
    monkeypatch.setenv("KERASTUNER_ORACLE_PORT", str(port))
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "tuner0")
    search_worker.send_token_with_every_call(token)
    client = oracle_client.OracleClient(oracle)
    assert [p.name for p in client.get_space().space] == ["units"]
    trial = client.create_trial("tuner0")
    assert trial.status == "RUNNING" and trial.trial_id in oracle.trials


def test_the_token_reaches_the_workers_environment_only(tmp_path, monkeypatch):
    from hw4.errors import RunFailure
    from hw4.methods import search_worker

    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    made = distributed_search.make_plan(2, "d.npz", 2, str(tmp_path / "locks"))
    token = distributed_search.new_token()
    assert len(token) == 64 and token != distributed_search.new_token()
    env = distributed_search.worker_environment(made, "tuner1", "127.0.0.1", 5000, None, token)
    assert env[distributed_search.TOKEN_ENV] == token
    assert distributed_search.TOKEN_ENV not in os.environ  # the chief keeps it to itself
    with pytest.raises(RunFailure, match="HW4_SEARCH_TOKEN is not set"):
        search_worker.send_token_with_every_call("")
    with pytest.raises(ValueError, match="token is empty"):
        distributed_search.token_check("")
