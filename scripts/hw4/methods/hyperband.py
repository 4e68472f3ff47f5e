"""KerasTuner's Hyperband schedule, counted ahead of a search: its brackets and rounds, and the
trials, fresh configurations and epochs they add up to.

Apart from the search space (``hw4.methods.search_space``), which reads Q5's shape arithmetic:
every training rule counts its time left with this schedule (``hw4.methods.time_left``), and an
edit of Q5's arithmetic must not rerun them.
"""

from __future__ import annotations

import math


def hyperband_schedule(
    max_epochs: int, factor: int, iterations: int = 1, min_epochs: int = 1
) -> list[dict]:
    """The brackets and rounds KerasTuner's Hyperband runs (its own size and epoch rules)."""

    def size(bracket, round_):
        end = math.ceil(1 + math.log(max_epochs, factor)) / (bracket + 1)
        return math.ceil(end * factor ** (bracket - round_))

    def epochs(bracket, round_):
        return math.ceil(max_epochs / factor ** (bracket - round_))

    brackets, e = 0, max_epochs
    while e >= min_epochs:
        e, brackets = e / factor, brackets + 1
    rows = []
    for iteration in range(iterations):
        for bracket in range(brackets - 1, -1, -1):
            for round_ in range(bracket + 1):
                start = epochs(bracket, round_ - 1) if round_ else 0
                rows.append(
                    {
                        "iteration": iteration + 1,
                        "bracket": bracket,
                        "round": round_,
                        "trials": size(bracket, round_),
                        "epochs": epochs(bracket, round_),
                        "initial_epoch": start,
                        "new_configurations": size(bracket, round_) if round_ == 0 else 0,
                        "epochs_run": size(bracket, round_) * (epochs(bracket, round_) - start),
                    }
                )
    return rows


def schedule_totals(rows: list[dict]) -> dict:
    """Trials, fresh configurations and epochs of a ``hyperband_schedule``."""
    return {
        "trials": sum(r["trials"] for r in rows),
        "new_configurations": sum(r["new_configurations"] for r in rows),
        "epochs": sum(r["epochs_run"] for r in rows),
    }


def planned_trials(settings: dict) -> int:
    """Trials the search runs: Hyperband's schedule, or ``max_trials`` for the others."""
    if settings["tuner"] == "hyperband":
        rows = hyperband_schedule(
            settings["max_epochs"], settings["factor"], settings["hyperband_iterations"]
        )
        return schedule_totals(rows)["trials"]
    return settings["max_trials"]
