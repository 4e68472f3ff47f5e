"""A rule's log: bad input as one line, a bug with its traceback, framework output included."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO


def run_rule_script(tmp_path, body: str) -> tuple[subprocess.CompletedProcess, str]:
    """Run ``body`` as an entry script would, after ``setup_logging``; return it and its log."""
    log_file = tmp_path / "rule.log"
    code = f"from hw4.io.logs import setup_logging\nsetup_logging({str(log_file)!r})\n{body}\n"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO / "scripts")},
        timeout=60,
    )
    return result, log_file.read_text()


@pytest.mark.parametrize(
    ("raised", "line"),
    [
        (
            "from hw4.data.errors import DataError\nraise DataError('data.csv: row 7 is bad')",
            "refused: data.csv: row 7 is bad",  # bad input
        ),
        (
            "from hw4.errors import RunFailure\nraise RunFailure('4 workers died')",
            "failed: 4 workers died",  # a run that failed outside the code
        ),
    ],
)
def test_bad_input_and_a_failed_run_are_one_line_without_a_traceback(tmp_path, raised, line):
    result, log = run_rule_script(tmp_path, raised)
    assert result.returncode != 0
    assert line in log
    assert "Traceback" not in log and "Traceback" not in result.stderr


def test_a_bug_keeps_its_traceback(tmp_path):
    result, log = run_rule_script(tmp_path, "def step():\n    return 1 / 0\nstep()")
    assert result.returncode != 0
    assert "Traceback" in log and "ZeroDivisionError" in log and "in step" in log


@pytest.mark.parametrize("write", ["import os; os.write(2, b'framework noise\\n')"])
def test_what_the_framework_prints_goes_to_the_log_not_the_terminal(tmp_path, write):
    result, log = run_rule_script(
        tmp_path, f"{write}\nimport logging; logging.getLogger('hw4').info('epoch 1 of 2')"
    )
    assert result.returncode == 0
    assert "framework noise" in log and "framework noise" not in result.stderr
    assert "epoch 1 of 2" in log and "epoch 1 of 2" in result.stderr
