"""The workflow's onerror hook: a refusal is the terminal's last line, once; a bug keeps
Snakemake's own ending. Run on a two-rule workflow of its own (the real one fails the same way)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from conftest import REPO, run_snakemake

from hw4.io.logs import STOPPED_LINE, failed_job_logs, refusals

SNAKEFILE = """
import sys
sys.path.insert(0, {scripts!r})

rule all:
    input: "refused.txt", "bug.txt"

rule refused:
    output: "refused.txt"
    log: "logs/refused.log"
    shell: "echo '2026-01-01 00:00:00,000 ERROR refused: my.csv: line 102 has 4 fields' > {{log}}; exit 1"

rule bug:
    output: "bug.txt"
    log: "logs/bug.log"
    shell: "echo 'failed: Traceback (most recent call last):' > {{log}}; exit 1"

onerror:
    from hw4.io.logs import end_with_refusals
    end_with_refusals(log)
"""


def write_workflow(folder):
    (folder / "Snakefile").write_text(SNAKEFILE.format(scripts=str(REPO / "scripts")))


def run(folder, *targets):
    exe = Path(sys.executable).parent / "snakemake"
    return subprocess.run(
        [str(exe), "--cores", "1", "--keep-going", *targets],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_refusal_is_the_last_line_once(tmp_path):
    write_workflow(tmp_path)
    result = run(tmp_path, "refused.txt")
    assert result.returncode == 1
    lines = result.stderr.rstrip().splitlines()
    assert lines[-1] == "refused: my.csv: line 102 has 4 fields"
    assert "WorkflowError" not in lines[-1] and "At least one job" not in result.stderr
    assert not (tmp_path / ".snakemake" / "locks").exists() or not any(
        (tmp_path / ".snakemake" / "locks").iterdir()
    )


def test_a_bug_keeps_snakemakes_own_ending(tmp_path):
    write_workflow(tmp_path)
    result = run(tmp_path, "bug.txt")
    assert result.returncode == 1
    assert "At least one job did not complete successfully" in result.stderr
    assert "refused:" not in result.stderr


def test_refusals_are_read_from_the_failed_jobs_logs(tmp_path):
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "a.log").write_text("x\n2026 ERROR refused: a.csv: row 2: bad\n")
    (tmp_path / "logs" / "b.log").write_text("failed: Traceback\n")
    snakemake_log = tmp_path / "run.snakemake.log"
    snakemake_log.write_text(
        textwrap.dedent(
            """\
            Error in rule consumption:
                jobid: 0
                log: logs/a.log (check log file(s) for error details)
            Error in rule other:
                log: logs/b.log, logs/a.log (check log file(s) for error details)
            """
        )
    )
    assert failed_job_logs(snakemake_log.read_text()) == ["logs/a.log", "logs/b.log"]
    assert refusals([str(snakemake_log)], tmp_path) == ["refused: a.csv: row 2: bad"]


def test_the_consumption_rule_logs_its_refusal_once(tmp_path):
    # The rule's log holds the line; the terminal gets it from Snakemake (the failed log),
    # not a second time from the rule's own handler.
    (tmp_path / "mine.csv").write_text((REPO / "tests/data/gas_trailing_separator.csv").read_text())
    config = tmp_path / "my.yaml"
    config.write_text(
        "data:\n  consumption:\n    source: path\n    path: mine.csv\n"
        "    target_column: consumption\n    raw_feature_columns: [temp]\n    flag_columns: []\n"
        "lstm:\n  features: [temp]\nlookback_sweep:\n  look_backs: [6, 12]\n"
    )
    result = run_snakemake(
        tmp_path, "--cores", "1", "results/data/consumption.csv", configfile=config, timeout=300
    )
    assert result.returncode != 0
    line = "refused: mine.csv: line 102 has 4 fields but the header (line 1) has 3"
    assert line in (tmp_path / "logs/data/consumption.log").read_text()
    assert result.stderr.count(line) == 1


STOPPABLE = """
import sys
sys.path.insert(0, {scripts!r})

rule slow:
    output: "slow.txt"
    log: "logs/slow.log"
    shell: "cat noise.txt > {{log}}; sleep 60; touch {{output}}"

onerror:
    from hw4.io.logs import end_with_refusals
    end_with_refusals(log)
"""


def test_a_run_stopped_by_its_user_ends_with_one_line_saying_how_to_continue(tmp_path):
    (tmp_path / "Snakefile").write_text(STOPPABLE.format(scripts=str(REPO / "scripts")))
    (tmp_path / "noise.txt").write_text("E0000 framework noise\n")
    exe = Path(sys.executable).parent / "snakemake"
    # A terminal's Ctrl-C: SIGINT to the whole foreground process group, default handlers.
    process = subprocess.Popen(
        [str(exe), "--cores", "1"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    log = tmp_path / "logs" / "slow.log"
    deadline = time.monotonic() + 60
    while not log.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(1)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1
    assert stderr.rstrip().splitlines()[-1] == STOPPED_LINE
    assert "framework noise" not in stderr and "Traceback" not in stderr
    assert "framework noise" in log.read_text()  # the noise stays in the rule's log
