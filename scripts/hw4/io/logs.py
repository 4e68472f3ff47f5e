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
import sys
import traceback
from pathlib import Path

from hw4.errors import InputError, RunFailure

log = logging.getLogger("hw4")

FORMAT = "%(asctime)s %(levelname)s %(message)s"


def _log_uncaught(kind, value, trace) -> None:
    """sys.excepthook: bad input (``hw4.errors.InputError``) as its one line; anything else,
    a bug, with its traceback; to the rule's log and the terminal, as one record."""
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, trace)
        return
    if issubclass(kind, InputError):
        log.error("refused: %s", value)
        return
    if issubclass(kind, RunFailure):
        log.error("failed: %s", value)
        return
    log.error("failed: %s", "".join(traceback.format_exception(kind, value, trace)).rstrip())


def setup_logging(log_path: str | os.PathLike | None) -> logging.Logger:
    """Route this process's output to ``log_path`` and return the ``hw4`` logger.

    With a path: the file is truncated; the root logger (warnings, libraries) and file
    descriptor 2 write to it; the ``hw4`` logger writes to it and to the terminal's stderr;
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

    file_handler = logging.StreamHandler(log_file)
    file_handler.setFormatter(logging.Formatter(FORMAT))
    logging.basicConfig(level=logging.INFO, handlers=[file_handler], force=True)
    for handler in list(log.handlers):
        log.removeHandler(handler)
    terminal_handler = logging.StreamHandler(terminal)
    terminal_handler.setFormatter(logging.Formatter(FORMAT))
    log.addHandler(terminal_handler)  # and, through the root logger, the file
    sys.excepthook = _log_uncaught
    return log
