"""Where a rule's messages go: its own log file, framework noise and tracebacks included.

Snakemake shows a failed job's ``log:`` file (``show-failed-logs``), so everything a
reader needs to understand a failure must land there: the ``hw4`` progress lines,
Python warnings, what TensorFlow and XLA print on file descriptor 2 from C++, and the
traceback of an uncaught exception. The terminal keeps only the ``hw4`` lines ("epoch 3
of 15", "trial 4 of 30"), so a long job still says where it is.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import traceback
from pathlib import Path

from hw4.errors import InputError, RunFailure

log = logging.getLogger("hw4")

FORMAT = "%(asctime)s %(levelname)s %(message)s"

# ``log.info(..., extra=FILE_ONLY)``: a detail for the rule's log, kept off the terminal
# (a trial's whole configuration, a few hundred characters).
FILE_ONLY = {"file_only": True}


def _for_the_terminal(record: logging.LogRecord) -> bool:
    return not getattr(record, "file_only", False)


def _log_uncaught(kind, value, trace) -> None:
    """sys.excepthook: bad input (``hw4.errors.InputError``) as its one line; anything else,
    a bug, with its traceback; to the rule's log and the terminal, as one record."""
    if issubclass(kind, KeyboardInterrupt):
        # Ctrl-C (or a scheduler's SIGINT): a stop asked for, not a failure; the frames
        # where the framework happened to be say nothing to the reader.
        logging.getLogger().warning("stopped: interrupted by the user")
        return
    if issubclass(kind, InputError):
        # To the rule's log only: Snakemake shows the failed log, and the workflow's
        # onerror hook (end_with_refusals) repeats the line last; a third copy is noise.
        logging.getLogger().error("refused: %s", value)
        return
    if issubclass(kind, RunFailure):
        log.error("failed: %s", value)
        return
    log.error("failed: %s", "".join(traceback.format_exception(kind, value, trace)).rstrip())


def setup_logging(log_path: str | os.PathLike | None) -> logging.Logger:
    """Route this process's output to ``log_path`` and return the ``hw4`` logger.

    With a path: the file is truncated; the root logger (warnings, libraries) and file
    descriptors 1 and 2 write to it; the ``hw4`` logger writes to it and to the terminal's stderr;
    an uncaught exception is logged with its traceback. Without one (benchmarks run by
    hand): everything goes to stderr, as before.
    """
    logging.captureWarnings(True)
    # Font subsetting chatters at INFO; keep the log to what the run did.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    log.setLevel(logging.INFO)
    if not log_path:
        logging.basicConfig(level=logging.INFO, format=FORMAT, stream=sys.stderr, force=True)
        return log

    path = Path(log_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    log_file = open(path, "w", encoding="utf-8", buffering=1)  # noqa: SIM115 - lives with the process
    terminal = os.fdopen(os.dup(2), "w", encoding="utf-8", buffering=1)
    sys.stderr.flush()
    # Same open file as log_file (shared offset), so C++ lines and log records interleave in order.
    os.dup2(log_file.fileno(), 2)
    sys.stderr = log_file
    # What libraries print on stdout ("Reloading Tuner from ...") is noise for the terminal too.
    sys.stdout.flush()
    os.dup2(log_file.fileno(), 1)
    sys.stdout = log_file

    file_handler = logging.StreamHandler(log_file)
    file_handler.setFormatter(logging.Formatter(FORMAT))
    logging.basicConfig(level=logging.INFO, handlers=[file_handler], force=True)
    for handler in list(log.handlers):
        log.removeHandler(handler)
    terminal_handler = logging.StreamHandler(terminal)
    terminal_handler.setFormatter(logging.Formatter(FORMAT))
    terminal_handler.addFilter(_for_the_terminal)
    log.addHandler(terminal_handler)  # and, through the root logger, the file
    sys.excepthook = _log_uncaught
    return log


# In Snakemake's own log: each failed job's block, and the rule logs it names.
FAILED_RULE = re.compile(r"^Error in rule (\S+):$")
FAILED_LOGS = re.compile(r"^\s+log: (.+?) \(check log file\(s\) for error details\)$")
REFUSAL = re.compile(r"\brefused: (.+)$")


def failed_job_logs(snakemake_log: str) -> list[str]:
    """The rule logs of the jobs that failed, in order, as Snakemake's log names them."""
    logs, in_failure = [], False
    for line in snakemake_log.splitlines():
        if FAILED_RULE.match(line):
            in_failure = True
            continue
        found = FAILED_LOGS.match(line) if in_failure else None
        if found:
            logs += [path for path in found.group(1).split(", ") if path not in logs]
            in_failure = False
    return logs


def refusals(snakemake_logs, workdir: str | os.PathLike = ".") -> list[str]:
    """The ``refused: ...`` line of every failed job whose input was refused, each once.

    ``snakemake_logs``: the path (or list of paths) the ``onerror`` hook gets as ``log``;
    the rule logs it names are read relative to ``workdir`` (Snakemake's working directory)."""
    paths = [snakemake_logs] if isinstance(snakemake_logs, str | os.PathLike) else snakemake_logs
    lines: list[str] = []
    for path in paths:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        for rule_log in failed_job_logs(text):
            rule_log = Path(workdir) / rule_log
            if not rule_log.is_file():
                continue
            for line in rule_log.read_text(encoding="utf-8", errors="replace").splitlines():
                found = REFUSAL.search(line)
                if found and f"refused: {found.group(1)}" not in lines:
                    lines.append(f"refused: {found.group(1)}")
    return lines


# Snakemake's own line when Ctrl-C reaches it.
USER_STOP = "Terminating processes on user request"
STOPPED_LINE = (
    "stopped by the user (Ctrl-C): the jobs that were running are not kept; the same command"
    " continues (a KerasTuner search from its finished trials)"
)


def _log_paths(snakemake_logs) -> list:
    return [snakemake_logs] if isinstance(snakemake_logs, str | os.PathLike) else snakemake_logs


def stopped_by_the_user(snakemake_logs) -> bool:
    """Whether the run ended because its user stopped it (Snakemake's log says so)."""
    return any(
        USER_STOP in Path(path).read_text(encoding="utf-8", errors="replace")
        for path in _log_paths(snakemake_logs)
    )


def show_failed_logs(snakemake_logs, workdir: str | os.PathLike = ".") -> None:
    """Print each failed job's log as Snakemake's ``show-failed-logs`` does; the profiles
    leave that option off so that a stop asked for is not followed by every running job's log."""
    for path in _log_paths(snakemake_logs):
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        for rule_log in failed_job_logs(text):
            full = Path(workdir) / rule_log
            if full.is_file():
                body = full.read_text(encoding="utf-8", errors="replace").rstrip()
                # On stdout, where Snakemake's show-failed-logs writes them: stderr's last
                # lines are the refusals.
                print(f"Logfile {rule_log}:\n{'=' * 80}\n{body}\n{'=' * 80}", flush=True)


def end_with_refusals(snakemake_logs) -> None:
    """The workflow's ``onerror`` hook. A run its user stopped ends with one line saying so
    and how to continue (exit status 1), the framework's noise and the interrupted frames
    left in the rules' logs. Otherwise each failed job's log is shown; when jobs failed on
    bad input, each refusal follows once as the terminal's last lines and the run ends (exit
    status 1), before Snakemake adds its summary and the "At least one job did not complete"
    traceback. A failure that is no refusal (a bug) returns, leaving Snakemake's own ending
    and the log's traceback."""
    sys.stderr.flush()
    if stopped_by_the_user(snakemake_logs):
        print(STOPPED_LINE, file=sys.stderr, flush=True)
        sys.exit(1)
    show_failed_logs(snakemake_logs)
    lines = refusals(snakemake_logs)
    if not lines:
        return
    sys.stderr.flush()
    print("\n".join(lines), file=sys.stderr, flush=True)
    sys.exit(1)
