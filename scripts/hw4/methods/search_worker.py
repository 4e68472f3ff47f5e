"""One worker of a distributed KerasTuner search: ``python -m hw4.methods.search_worker SPEC``.

Started by ``hw4.methods.distributed_search.run`` (as a child process, or as a Slurm task
through ``srun``) with ``KERASTUNER_TUNER_ID``, ``KERASTUNER_ORACLE_IP`` and
``KERASTUNER_ORACLE_PORT`` set: KerasTuner then makes this tuner's oracle a client of the
chief's, which sends the search's token (``HW4_SEARCH_TOKEN``) with every call. SPEC is the chief's JSON file: the tuning settings, seed, search folder and
the worker plan (data file, threads, GPU lock folder).

Exit status: 0 when the oracle says the search is over; ``TRIAL_ERROR_EXIT`` when a
trial failed for a reason other than its shape (the message is left for the chief in
``<search>/workers/<tuner id>.error``); anything else is a death the chief handles.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import time
import traceback
from pathlib import Path


def patient(create_trial):
    """Wrap a client oracle's ``create_trial``: wait a second after an ``IDLE`` answer.

    Hyperband answers ``IDLE`` while a round waits for trials other workers are running,
    and KerasTuner's loop asks again at once; without the pause a waiting worker would
    keep a CPU core and the chief busy with requests."""

    def create(tuner_id):
        trial = create_trial(tuner_id)
        if trial.status == "IDLE":
            time.sleep(1.0)
        return trial

    return create


def send_token_with_every_call(token: str) -> None:
    """Make every KerasTuner oracle client of this process send ``token`` with each call.

    KerasTuner builds its client (``OracleClient``: a plain channel, no credentials) inside
    the tuner's constructor, which already calls the chief; the class is swapped here, in
    this worker process alone, for one whose channel adds the token as gRPC metadata.
    Raises ``hw4.errors.RunFailure`` when the token is empty (a worker not started by a
    chief): the chief would refuse its every call."""
    import grpc
    from keras_tuner.src import protos
    from keras_tuner.src.distribute import oracle_client

    from hw4.errors import RunFailure
    from hw4.methods.distributed_search import TOKEN_ENV, TOKEN_METADATA

    if not token:
        raise RunFailure(f"{TOKEN_ENV} is not set: a worker is started by its search's chief")

    class AddToken(grpc.UnaryUnaryClientInterceptor):
        def intercept_unary_unary(self, continuation, details, request):
            # gRPC's call details are a namedtuple: a copy with the token added.
            metadata = [*(details.metadata or ()), (TOKEN_METADATA, token)]
            return continuation(details._replace(metadata=metadata), request)

    class TokenOracleClient(oracle_client.OracleClient):
        def __init__(self, oracle):
            super().__init__(oracle)
            address = f"{os.environ['KERASTUNER_ORACLE_IP']}:{os.environ['KERASTUNER_ORACLE_PORT']}"
            channel = grpc.intercept_channel(grpc.insecure_channel(address), AddToken())
            self.stub = protos.get_service_grpc().OracleStub(channel)

    oracle_client.OracleClient = TokenOracleClient


def follow_chief() -> None:
    """End this worker (SIGTERM) when the chief that started it dies, however it dies.

    Set here rather than by the chief between fork and exec (see
    ``distributed_search.start_worker``); a chief that died before this ran is caught by
    the parent check. Linux only; elsewhere (and under Slurm, where the parent is srun's
    step daemon and Slurm ends the job's tasks) nothing is done."""
    chief = os.environ.get("HW4_CHIEF_PID")
    if not chief:
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != int(chief):
        sys.exit("the chief that started this worker has ended")


def wait_for_peers(workers_dir: Path, tuner_id: str, count: int, timeout: float = 120.0) -> int:
    """Say this worker is ready, and wait (at most ``timeout`` s) until ``count`` are.

    Loading the framework takes seconds; without this, the first worker up could run
    a small search alone while the others still load. The chief marks a worker that died
    as ready, so no one waits for it. Returns the workers ready."""
    (workers_dir / f"{tuner_id}.ready").touch()
    deadline = time.monotonic() + timeout
    while True:
        ready = len(list(workers_dir.glob("*.ready")))
        if ready >= count or time.monotonic() > deadline:
            return ready
        time.sleep(0.2)


def main(spec_path: str) -> int:
    follow_chief()
    tuner_id = os.environ["KERASTUNER_TUNER_ID"]
    logging.basicConfig(
        level=logging.INFO,
        format=f"%(asctime)s %(levelname)s [{tuner_id}] %(message)s",
        stream=sys.stderr,
        force=True,
    )
    log = logging.getLogger("hw4")
    spec = json.loads(Path(spec_path).read_text())
    plan = spec["plan"]
    search_dir = Path(spec["search_dir"])

    from hw4.device import claim_gpu, configure_framework

    claim_gpu(plan["lock_dir"])
    configure_framework(spec["seed"], plan["threads"], plan["mixed_precision"])

    from hw4.io.files import read_npz
    from hw4.methods import keras_search
    from hw4.methods.distributed_search import TOKEN_ENV

    # Out of the environment at once: nothing this worker starts needs the secret.
    send_token_with_every_call(os.environ.pop(TOKEN_ENV, ""))
    settings = spec["settings"]
    setup = keras_search.search_setup(read_npz(plan["data_path"]), settings, spec["seed"])
    tuner = keras_search.make_tuner(
        settings, setup["build"], search_dir, spec["seed"], retries=spec["retries"]
    )
    tuner.oracle.create_trial = patient(tuner.oracle.create_trial)
    from hw4.methods.distributed_search import TRIAL_ERROR_EXIT, WORKERS_DIR

    wait_for_peers(search_dir / WORKERS_DIR, tuner_id, plan["count"])
    log.info("worker %s asks %s for trials", tuner_id, os.environ["KERASTUNER_ORACLE_IP"])
    try:
        keras_search.search(
            tuner,
            setup["fit"],
            setup["validation"],
            settings["batch_size"],
            None if settings["tuner"] == "hyperband" else settings["trial_epochs"],
        )
    except keras_search.TrialError as error:
        log.error("%s", "".join(traceback.format_exception(error)).rstrip())
        (search_dir / WORKERS_DIR / f"{tuner_id}.error").write_text(f"{error}\n")
        return TRIAL_ERROR_EXIT
    log.info("worker %s: the oracle has no more trials", tuner_id)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
