"""How far each number the report prints may move between two honest builds of the same
commit and config: declared here, once, by the fields that hold it, and attached to the PDF
with every number (``hw4.report.manifest``), so that ``hw4.verify`` compares a hand-in with
a rebuild by these declarations and nothing else.

Counts, shapes, parameters, settings and everything computed from the data and the seed are
exact: the rules pin the seed and deterministic ops on the CPU (``hw4.device``), and two
tiny builds on the same machine gave the same accuracies, errors and maps to the last bit.
What a clock or the machine's load measures (seconds, steps per second, memory, and the
ratios, fits and verdicts drawn from them) is declared with a stated tolerance.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Tolerance:
    """How two values of one number may differ and still agree.

    ``kind``: ``exact`` (equal, NaN equal to NaN), ``factor`` (same sign, the larger at most
    ``amount`` times the smaller), ``absolute`` (at most ``amount`` apart) or ``free`` (any
    value: a verdict or a figure decided by time measurements). ``why``: one sentence the
    verifier prints beside a difference.
    """

    kind: str
    amount: float = 0.0
    why: str = ""

    def allows(self, first, second) -> bool:
        """Whether ``first`` and ``second`` agree under this tolerance (equal values always do)."""
        if same_value(first, second) or self.kind == "free":
            return True
        if not (is_number(first) and is_number(second)):
            return False
        if self.kind == "absolute":
            return abs(first - second) <= self.amount
        if self.kind == "factor":
            low, high = sorted([abs(first), abs(second)])
            same_sign = (first >= 0) == (second >= 0)
            return same_sign and (high == 0 or (low > 0 and high / low <= self.amount))
        return False

    def label(self) -> str:
        """``exact``, ``factor 4``, ``absolute 0.5`` or ``free``: the attachment's short form."""
        return self.kind if self.kind in ("exact", "free") else f"{self.kind} {self.amount:g}"


def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def same_value(first, second) -> bool:
    """Equal, with NaN equal to NaN and 1 equal to 1.0 (JSON keeps no difference there)."""
    if is_number(first) and is_number(second):
        return first == second or (math.isnan(first) and math.isnan(second))
    return type(first) is type(second) and first == second


EXACT = Tolerance("exact", why="computed from the data and the seed with deterministic ops")

# A time measured on a CPU shared with other work moves by whole factors between runs (two
# tiny builds on this 2-core machine: step times up to 2.8 times apart, rule times up to 3).
TIME = Tolerance(
    "factor", 5.0, "a time, speed, memory or ratio of times measured on the build machine"
)
# Exponents of time against sequence length and their bounds: 0 is flat, 1 linear, 2
# quadratic; on short sequences fixed costs dominate and two tiny builds gave 0.60 and 1.75.
TIME_FIT = Tolerance(
    "absolute", 2.0, "an exponent fitted to time measurements on the build machine"
)
# The share of time that folding batch norm saves, in percentage points (-22 and +39 in two
# tiny builds: the folded and unfolded models take about as long on a CPU).
TIME_SHARE = Tolerance("absolute", 100.0, "a share of measured time, in percentage points")
TIME_VERDICT = Tolerance("free", why="decided by time measurements on the build machine")
# How a build's search ran: started afresh, or resumed after a stop (Ctrl-C, a lost node).
# A resumed search reaches the same trials and model; only its history and time differ.
RUN_HISTORY = Tolerance(
    "free", why="how this build's search ran (fresh, or resumed after a stop), not a result"
)

# The declarations, first match wins, on the number's key (``claim:<id>.<value>``,
# ``context:<path>``; a claim's verdict is ``claim:<id>``) or, for a number read from an
# artifact, on ``<artifact file>:<field>`` (``results/cnn/metrics.json:seconds_per_epoch``).
# A step that writes a new measured field declares it here.
DECLARED: list[tuple[str, Tolerance]] = [
    # A resumed search: its state and the seconds of the resumed part only.
    (r"^claim:tuning\.search_state$", RUN_HISTORY),
    (r"^(context:tuning\.best|results/tuning/best\.json:?)\.?(search_state|seconds)$", RUN_HISTORY),
    (r"^claim:tuning\.search_state\.(trials|epochs)$", RUN_HISTORY),
    # Exponents fitted to time against sequence length, wherever a claim or table prints one.
    (r"rnn_vs_cnn/measurements\.json:growth\.", TIME_FIT),
    (r"^claim:q4\.fixed_cost\.(conv|lstm)_(high|low)$", TIME_FIT),
    # Claims stated from time measurements: Q4's speed per sequence length, Q6's folding and
    # speed statements, Q7's speed against the original hand-in; their verdicts follow the clock.
    (
        r"^claim:(q4\.(speed_order|fixed_cost|growth)|q6\.(folding_time|statement_speed))$",
        TIME_VERDICT,
    ),
    (r"^claim:q7\.speed_versus_original$", TIME_VERDICT),
    (r"^claim:q4\.growth\.confidence$", TIME_VERDICT),
    (r"^claim:q4\.growth\.(conv|lstm|rerun_\w+)(_low|_high)?$", TIME_FIT),
    (r"^claim:q6\.folding_time\.saved_percent$", TIME_SHARE),
    (
        r"^claim:q4\.(speed_order|fixed_cost|growth)\.(?!repeats$|lengths$|first_length$|longest$)",
        TIME,
    ),
    (r"^claim:q6\.(folding_time|statement_speed)\.(?!images$)", TIME),
    (r"^claim:q7\.speed_versus_original\.(ours|ours_steady|our_seconds|ratio)$", TIME),
    (r"^context:q4\.growth_\w+\.", TIME_FIT),
    (r"^context:q6\.(fold_ratio|step_ratio)$", TIME),
    # Fields of the artifacts: Q4's timing table and growth fits, Q6's speed and folding times.
    (r"rnn_vs_cnn/measurements\.json:timing\.\d+\.(median|\w*quartile|\w*seconds\w*)$", TIME),
    (r"batchnorm/checks\.json:(speed|folding)\..*(seconds|median|quartile|ratio)", TIME),
    # Any field that holds a measured time, speed or memory, by its name.
    (
        r"[._:](seconds|cpu_seconds|max_rss_mb|\w*_ms|ms|\w*_seconds|seconds_\w+|"
        r"\w*per_second\w*|\w*_speedup|speedup|steps_per_second)(\.\d+)*$",
        TIME,
    ),
]

# Figures that plot measured time: their pixels follow the clock. Any other figure must be
# the same, byte for byte (matplotlib writes the same PNG for the same numbers).
MEASURED_FIGURES = {
    "rnn_timing": "step time against sequence length",
    "bn_convergence": "its right half: median step time with and without batch norm",
}


def tolerance_of(key: str, field: str = "") -> Tolerance:
    """The declared tolerance of the number under ``key``, read from ``field``
    (``<artifact file>:<key inside it>``, empty for a derived number): the first pattern of
    ``DECLARED`` that matches either, else exact."""
    for pattern, tolerance in DECLARED:
        if re.search(pattern, key) or (field and re.search(pattern, field)):
            return tolerance
    return EXACT
