"""What the terminal shows when a run starts its jobs: the work it plans and, after an
interrupted run, which jobs start again and why.

Called from the workflow's ``onstart`` hook with plain names and the config (nothing here
imports Snakemake); the hook hands over the rules of the jobs that will run and those whose
output an interrupted run left incomplete.
"""

from __future__ import annotations

import json

from hw4.methods.time_left import plan_lines, run_plan, train_images_planned

# Each interrupted rule's resumable state, said beside its rerun.
RESUMES = {"tune_cnn": "the search resumes from its finished trials"}


def planned_rows(config: dict, rules_to_run: set[str]) -> list[dict]:
    """``run_plan``'s rows of the training rules that will run."""
    rows = run_plan(config, train_images_planned(config["data"]["mnist"]))
    return [row for row in rows if row["rule"] in rules_to_run]


def start_lines(config: dict, rules_to_run: set[str], interrupted: set[str]) -> list[str]:
    """The lines printed before the first job: the plan of the training rules that run
    (per rule: models, epochs at most, images), with where the time left will show; and,
    when an earlier run was stopped, one line naming the jobs it left unfinished (Snakemake
    gives their reason as "Forced execution")."""
    lines = []
    if interrupted:
        resumed = [f"{rule}: {RESUMES[rule]}" for rule in sorted(interrupted) if rule in RESUMES]
        lines.append(
            f"an earlier run was stopped before {', '.join(sorted(interrupted))} finished:"
            ' these jobs start again (Snakemake\'s reason: "Forced execution")'
            + (f"; {'; '.join(resumed)}" if resumed else "")
        )
    rows = planned_rows(config, rules_to_run)
    if rows:
        lines.append(
            "the training this run plans (each epoch's line gives the time left; an estimate"
            " of the whole follows once the first trial is timed):"
        )
        lines += plan_lines(rows)
        if config["data"]["mnist"].get("source", "auto") == "auto":
            # The plan is made before the mnist rule knows whether the download works.
            lines.append(
                "  (images counted for the full MNIST that data.mnist.source auto downloads;"
                " without a network it falls back to the embedded digits, a fraction of that)"
            )
    return lines


def plan_json(config: dict, rules_to_run: set[str]) -> str:
    """The plan, as JSON, for ``hw4.methods.time_left.RUN_PLAN_VARIABLE``."""
    return json.dumps(planned_rows(config, rules_to_run))
