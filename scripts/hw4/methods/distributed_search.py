"""A KerasTuner search spread over several worker processes, one oracle.

KerasTuner's own distributed mode: a chief process holds the oracle and serves it over
gRPC; each worker is an ordinary tuner whose oracle is a client of the chief (set up
with ``KERASTUNER_TUNER_ID``, ``KERASTUNER_ORACLE_IP`` and ``KERASTUNER_ORACLE_PORT``),
asks it for a trial, trains it and reports the result, until the oracle says the search
is over. Every worker writes its checkpoints into the same search folder, so a
Hyperband trial of a later round can continue from weights another worker saved.

What this module adds to KerasTuner's mode:

- the places where workers run: local processes, or Slurm tasks started with ``srun``
  inside the job's own allocation (no scheduler of our own);
- a port chosen free by the operating system on the loopback (or, for a job spread over
  several Slurm nodes, on the chief node's own address), never on every interface;
- a secret per search: KerasTuner's oracle server takes any call that reaches its port
  (another user's process on the machine or node could ask for trials, report made-up
  scores or rewrite the search space). The chief draws a random token, hands it to its
  own workers only, through their environment (never a file), and refuses every call
  without it (``TokenCheck``); each worker sends it with every call (``search_worker``);
- supervision: a worker that dies mid-trial does not lose the search. The chief ends its
  trial as ``INVALID``, which KerasTuner's oracle sends back to the queue once
  (``max_retries_per_trial``) for another worker, then marks ``FAILED``; the others go
  on, and the log says which worker died and what happened to its trial;
- a trial that fails for a reason other than an impossible shape (``TrialError``) still
  stops the whole search, with the trial's error in the log, as it does with one worker.

The chief trains nothing during the search: on a GPU machine it shares the first GPU
with worker 0 (memory is allocated on demand, see ``hw4.device.configure_framework``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent import futures
from dataclasses import asdict, dataclass
from pathlib import Path

import keras_tuner as kt

log = logging.getLogger("hw4")

TOKEN_ENV = "HW4_SEARCH_TOKEN"  # the search's secret, in a worker's environment only
TOKEN_METADATA = "hw4-search-token"  # the gRPC metadata key a worker sends it under
WORKERS_DIR = "workers"  # inside the search folder: the workers' spec and error reports
TRIAL_ERROR_EXIT = 3  # a worker's exit status when a trial failed with TrialError
RETRIES_AFTER_A_DEATH = 1  # how often a dead worker's trial is run again elsewhere
SCRIPTS_DIR = Path(__file__).resolve().parents[2]  # the folder that holds the hw4 package


@dataclass
class WorkerPlan:
    """How many workers a search runs on, and what each needs to start.

    ``threads``: CPU threads of each worker. ``data_path``: the rule's ``mnist.npz`` (each
    worker reads it and draws the same seeded hold-out as the chief). ``engine``: ``local``
    (child processes) or ``slurm`` (one ``srun`` task per worker, one GPU each).
    """

    count: int
    data_path: str
    threads: int
    lock_dir: str
    mixed_precision: bool = False
    engine: str = "local"


def make_plan(
    count: int, data_path: str, threads: int, lock_dir: str, mixed_precision: bool = False
) -> WorkerPlan:
    """The plan for ``count`` workers sharing the rule's ``threads`` CPU threads (at least
    one each), placed by ``placement()``. Paths are made absolute: a Slurm task or a child
    process may start elsewhere."""
    return WorkerPlan(
        count=count,
        data_path=str(Path(data_path).resolve()),
        threads=max(1, threads // max(1, count)),
        lock_dir=str(Path(lock_dir).resolve()),
        mixed_precision=mixed_precision,
        engine=placement(),
    )


def placement() -> str:
    """``slurm`` inside a Slurm job that can start tasks with ``srun``, else ``local``."""
    if os.environ.get("SLURM_JOB_ID") and shutil.which("srun"):
        return "slurm"
    return "local"


def job_node_count() -> int:
    """The nodes of the Slurm job this process runs in (1 outside Slurm or when unknown).

    Snakemake's Slurm plugin clears SLURM_JOB_NUM_NODES from a job's environment but keeps
    SLURM_JOB_ID, so the count is asked of Slurm itself."""
    job = os.environ.get("SLURM_JOB_ID")
    if not job or shutil.which("squeue") is None:
        return 1
    out = subprocess.run(
        ["squeue", "-h", "-j", job, "-o", "%D"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return int(out) if out.isdigit() else 1


def chief_host(engine: str) -> str:
    """The address the chief listens on: the loopback, unless the workers run on other
    nodes of the same Slurm job; then an address of this node that is not a loopback one
    (what its hostname resolves to), which the job's other nodes reach. Never 0.0.0.0.

    Raises ``hw4.errors.RunFailure`` when the job spans several nodes and the hostname resolves to
    loopback addresses only (Debian's 127.0.1.1 in /etc/hosts, for example)."""
    if engine != "slurm" or job_node_count() <= 1:
        return "127.0.0.1"
    import socket

    name = socket.gethostname()
    addresses = {info[4][0] for info in socket.getaddrinfo(name, None, socket.AF_INET)}
    outside = sorted(a for a in addresses if not a.startswith("127."))
    if not outside:
        from hw4.errors import RunFailure

        raise RunFailure(
            f"the search's workers run on several nodes, but {name} resolves to loopback "
            f"addresses only ({', '.join(sorted(addresses))}): keep the job on one node "
            "(--set-resources tune_cnn:nodes=1) or fix the node's name resolution"
        )
    return outside[0]


def new_token() -> str:
    """A search's secret: 256 random bits, as text for gRPC metadata."""
    import secrets

    return secrets.token_hex(32)


def token_check(token: str):
    """A gRPC server interceptor that lets through only calls carrying ``token`` under
    ``TOKEN_METADATA``; any other call ends ``UNAUTHENTICATED`` before the oracle sees it."""
    import hmac

    import grpc

    if not token:
        raise ValueError("the search's token is empty")

    def refuse(request, context):
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "this search's token is missing or wrong")

    refused = grpc.unary_unary_rpc_method_handler(refuse)

    class TokenCheck(grpc.ServerInterceptor):
        def intercept_service(self, continuation, handler_call_details):
            given = dict(handler_call_details.invocation_metadata or ()).get(TOKEN_METADATA, "")
            # compare_digest: the time taken says nothing about how much of a guess was right.
            if isinstance(given, str) and hmac.compare_digest(given.encode(), token.encode()):
                return continuation(handler_call_details)
            return refused  # the oracle's methods are all unary-unary

    return TokenCheck()


def serve_oracle(oracle, host: str, planned: int, token: str):
    """Serve ``oracle`` over gRPC on ``host`` at a port the operating system picks, to
    callers that send ``token`` (``token_check``) and to no one else.

    Logs "trial k of n (id X) to tunerN" as trials are handed out and keeps which worker
    was given each trial in ``assigned`` (trial id -> tuner ids, in order). Returns
    ``(server, port, assigned)``. Raises ``ValueError`` for an empty token.
    """
    import grpc
    from keras_tuner.src import protos
    from keras_tuner.src.distribute.oracle_chief import OracleServicer

    assigned: dict[str, list[str]] = {}

    class LoggedServicer(OracleServicer):
        def CreateTrial(self, request, context):  # noqa: N802 - gRPC's method name
            response = super().CreateTrial(request, context)
            trial = oracle.ongoing_trials.get(request.tuner_id)
            if trial is not None and trial.trial_id == response.trial.trial_id:
                runs = assigned.setdefault(trial.trial_id, [])
                if request.tuner_id not in runs[-1:]:
                    runs.append(request.tuner_id)
                    log.info(
                        "trial %d of %d (id %s) to %s%s",
                        int(trial.trial_id) + 1,  # ids count the trials the oracle made
                        planned,
                        trial.trial_id,
                        request.tuner_id,
                        " (run again)" if len(runs) > 1 else "",
                    )
            return response

    # One thread: the oracle's methods hold its lock anyway, and one thread keeps the
    # order in which workers are served the order in which they asked.
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=1), interceptors=[token_check(token)]
    )
    protos.get_service_grpc().add_OracleServicer_to_server(LoggedServicer(oracle), server)
    port = server.add_insecure_port(f"{host}:0")
    if port == 0:
        raise RuntimeError(f"the chief could not listen on {host}")
    server.start()
    return server, port, assigned


def worker_command(plan: WorkerPlan, spec_path: Path) -> list[str]:
    """The command that starts one worker; under Slurm, one ``srun`` task with one GPU and
    ``plan.threads`` CPUs, inside the job's own allocation (``--exact``: only those)."""
    command = [sys.executable, "-m", "hw4.methods.search_worker", str(spec_path)]
    if plan.engine != "slurm":
        return command
    return [
        "srun",
        "--ntasks=1",
        "--nodes=1",
        "--exact",
        f"--cpus-per-task={plan.threads}",
        "--gpus=1",
        "--kill-on-bad-exit=0",
        *command,
    ]


def worker_environment(
    plan: WorkerPlan, tuner_id: str, host: str, port: int, gpu, token: str
) -> dict[str, str]:
    """The environment worker ``tuner_id`` starts with: this process's, the oracle's
    address, the search's ``token`` (under ``TOKEN_ENV``: an environment is readable by
    this user alone, where the spec file might not be), and for a local worker the chief's
    pid and its GPU (see ``start_worker``)."""
    env = dict(os.environ)
    env.update(
        {
            "KERASTUNER_TUNER_ID": tuner_id,
            "KERASTUNER_ORACLE_IP": host,
            "KERASTUNER_ORACLE_PORT": str(port),
            TOKEN_ENV: token,
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(SCRIPTS_DIR), env.get("PYTHONPATH", "")) if p
            ),
        }
    )
    if plan.engine == "local":
        # The worker ends itself when this process dies (search_worker.follow_chief).
        # Not a preexec_fn: Python code run between fork and exec, while gRPC's threads
        # hold locks, aborted a worker now and then.
        env["HW4_CHIEF_PID"] = str(os.getpid())
        env.pop("CUDA_VISIBLE_DEVICES", None)
        if gpu is not None and tuner_id == "tuner0":
            env["CUDA_VISIBLE_DEVICES"] = str(gpu)
    return env


def start_worker(
    plan: WorkerPlan, spec_path: Path, tuner_id: str, host: str, port: int, gpu, token: str
):
    """Start worker ``tuner_id`` (environment: ``worker_environment``). Its lines go to the
    chief's stderr (the rule's log).

    ``gpu``: the GPU the chief claimed, handed to worker 0 (the chief trains nothing while
    the workers run); the other local workers claim their own through the lock files.
    """
    return subprocess.Popen(
        worker_command(plan, spec_path),
        env=worker_environment(plan, tuner_id, host, port, gpu, token),
        stdin=subprocess.DEVNULL,
        # KerasTuner 1.4.8 prints a debug value on stdout whenever it serialises a
        # conditional hyperparameter (conditions.Parent.to_proto); the worker's own lines
        # are on stderr.
        stdout=subprocess.DEVNULL,
        stderr=sys.stderr.fileno(),
    )


def describe_exit(code: int) -> str:
    if code < 0:
        return f"killed by signal {signal.Signals(-code).name}"
    return f"exit status {code}"


@kt.synchronized
def release_dead_worker(oracle, tuner_id: str, how: str) -> dict:
    """End the trial a dead worker was running, if any, and forget the worker.

    The trial ends ``INVALID``; KerasTuner's oracle then queues it once more for another
    worker (``max_retries_per_trial``) or, once that is spent, records it ``FAILED``.
    Returns ``{"worker", "how", "trial", "outcome"}``: the trial id (``""`` when it ran
    none) and ``requeued``, ``failed`` or ``none``.
    """
    oracle.tuner_ids.discard(tuner_id)
    trial = oracle.ongoing_trials.get(tuner_id)
    death = {"worker": tuner_id, "how": how, "trial": "", "outcome": "none"}
    if trial is None:
        return death
    trial.status = "INVALID"
    trial.message = f"worker {tuner_id} died while running it ({how})"
    oracle.end_trial(trial)
    failed = oracle.trials[trial.trial_id].status == "FAILED"
    return {**death, "trial": trial.trial_id, "outcome": "failed" if failed else "requeued"}


def death_in_words(death: dict) -> str:
    if death["outcome"] == "none":
        return "it was running no trial"
    if death["outcome"] == "failed":
        return f"trial {death['trial']} is marked failed (it had been run again already)"
    return f"trial {death['trial']} goes back to the queue for another worker"


def trial_error(directory: Path, tuner_id: str) -> str:
    path = directory / WORKERS_DIR / f"{tuner_id}.error"
    return path.read_text().strip() if path.exists() else "(no message)"


def run(tuner, plan: WorkerPlan, spec: dict, directory: Path, planned: int) -> dict:
    """Run the search on ``plan.count`` workers, the oracle served from this process.

    ``tuner``: this process's tuner (its oracle is the search's, resumed from
    ``directory`` when the state is there). ``spec``: what every worker needs to rebuild
    the same tuner and data (JSON-serialisable). ``planned``: the trials planned, for the
    "trial k of n" lines. Returns ``{"seconds", "workers", "deaths", "replacements",
    "assigned"}``. Raises ``keras_search.TrialError`` when a trial failed for a reason
    other than its shape, and ``hw4.errors.RunFailure`` when workers kept dying before
    the search ended.
    """
    from hw4.device import visible_gpu_ids
    from hw4.errors import InputError
    from hw4.io.files import write_json

    gpus = visible_gpu_ids() if plan.engine == "local" else []
    if gpus and len(gpus) < plan.count:
        raise InputError(
            f"tuning.workers: {plan.count} workers, one GPU each, but this machine has "
            f"{len(gpus)} GPU{'s' if len(gpus) > 1 else ''}: set tuning.workers to "
            f"{len(gpus)} at most (and --resources gpu={len(gpus)})"
        )
    workers_dir = directory / WORKERS_DIR
    shutil.rmtree(workers_dir, ignore_errors=True)
    workers_dir.mkdir(parents=True)
    spec_path = workers_dir / "spec.json"
    write_json(spec_path, {**spec, "plan": asdict(plan)})
    tuner.tuner_id = "chief"
    tuner.save()  # as KerasTuner's chief does
    # The workers are started by fork() while gRPC's threads run; its fork handlers are
    # of no use to a child that execs at once, and gRPC says so at INFO on every start.
    os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    host = chief_host(plan.engine)
    # The serving threads print KerasTuner's debug values (see start_worker): not to the
    # terminal.
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        token = new_token()
        server, port, assigned = serve_oracle(tuner.oracle, host, planned, token)
        log.info(
            "oracle served on %s:%d; starting %d workers (%s, %d threads each)",
            host,
            port,
            plan.count,
            plan.engine,
            plan.threads,
        )
        start = time.perf_counter()
        try:
            deaths, replacements = supervise(
                tuner.oracle, plan, spec_path, host, port, directory, token
            )
        finally:
            server.stop(grace=5)
    tuner.oracle.save()
    return {
        "seconds": time.perf_counter() - start,
        "workers": plan.count,
        "deaths": deaths,
        "replacements": replacements,
        "assigned": assigned,
    }


def supervise(
    oracle, plan: WorkerPlan, spec_path: Path, host: str, port: int, directory, token: str
):
    """Start the workers (each given ``token``) and wait for them; handle each one's end.
    Returns the deaths."""
    from hw4.errors import RunFailure
    from hw4.methods.keras_search import TrialError

    gpu = os.environ.get("CUDA_VISIBLE_DEVICES") or None
    workers: dict[str, subprocess.Popen] = {}

    def start(tuner_id: str, why: str = "") -> None:
        workers[tuner_id] = running[tuner_id] = start_worker(
            plan, spec_path, tuner_id, host, port, gpu, token
        )
        log.info("worker %s started%s (pid %d)", tuner_id, why, workers[tuner_id].pid)
        (directory / WORKERS_DIR / "pids.json").write_text(
            json.dumps({k: p.pid for k, p in workers.items()}) + "\n"
        )

    running: dict[str, subprocess.Popen] = {}
    deaths = []
    replacements = []
    try:
        for i in range(plan.count):
            start(f"tuner{i}")
        while running:
            time.sleep(0.5)
            for tuner_id, process in list(running.items()):
                code = process.poll()
                if code is None:
                    continue
                del running[tuner_id]
                if code == 0:
                    log.info("worker %s finished", tuner_id)
                    continue
                if code == TRIAL_ERROR_EXIT:
                    raise TrialError(f"{tuner_id}: {trial_error(directory, tuner_id)}")
                how = describe_exit(code)
                death = release_dead_worker(oracle, tuner_id, how)
                deaths.append(death)
                log.warning("worker %s died (%s): %s", tuner_id, how, death_in_words(death))
                # Its peers wait for it no longer (search_worker.wait_for_peers).
                (directory / WORKERS_DIR / f"{tuner_id}.ready").touch()
                if death["outcome"] == "failed":
                    from hw4.methods.keras_search import RUNS_FILE, record_run

                    run = {"seconds": None, "epochs": 0, "tuner": tuner_id}
                    record_run(directory / RUNS_FILE, death["trial"], run)
            # A worker ends well only when the oracle says the search is over; if none has,
            # trials are still to be made. Every worker has ended and trials are left: a
            # replacement, as many in all as there were workers.
            over = any(p.returncode == 0 for p in workers.values() if p.returncode is not None)
            if not running and (trials_left(oracle) or not over):
                if len(workers) >= 2 * plan.count:
                    raise RunFailure(
                        f"{len(workers)} workers died before the search ended (their lines "
                        "above say why); rerun to resume it"
                    )
                replacements.append(f"tuner{len(workers)}")
                start(replacements[-1], " to run what is left")
    finally:
        for process in running.values():
            process.terminate()
        for process in running.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    return deaths, replacements


@kt.synchronized
def trials_left(oracle) -> bool:
    """Whether a trial is running or waiting to run again (KerasTuner's retry queue)."""
    return bool(oracle.ongoing_trials or oracle.get_state()["retry_queue"])
