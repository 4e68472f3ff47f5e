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

# A time measured on a CPU shared with other work moves by whole factors between runs (the
# same tiny build took 1.4 to 3 times as long while another build ran beside it).
TIME = Tolerance("factor", 5.0, "a time, speed or memory measured on the build machine")
# Exponents of time fitted against sequence length, and shifts between two timing runs.
TIME_FIT = Tolerance("absolute", 1.0, "fitted to time measurements on the build machine")
TIME_VERDICT = Tolerance("free", why="decided by time measurements on the build machine")

# The declarations, first match wins, on the number's key (``claim:<id>.<value>`` or
# ``context:<path>``; a claim's verdict is ``claim:<id>``). Keep a new measured field here
# when its step writes it.
DECLARED: list[tuple[str, Tolerance]] = [
    # Claims stated from time measurements: Q4's speed per sequence length, Q6's folding and
    # speed statements, Q7's speed against the original hand-in.
    (r"^claim:(q4\.(speed_order|fixed_cost)|q6\.(folding_time|statement_speed))$", TIME_VERDICT),
    (r"^claim:q4\.growth$", TIME_VERDICT),
    (r"^claim:q7\.speed_versus_original$", TIME_VERDICT),
    (r"^claim:q4\.growth\.(conv|lstm|rerun_\w+)(_low|_high)?$", TIME_FIT),
    (r"^claim:q4\.growth\.confidence$", TIME_VERDICT),
    (r"^claim:q4\.(speed_order|fixed_cost)\.", TIME),
    (r"^claim:q6\.(folding_time|statement_speed)\.(?!images$)", TIME),
    (r"^claim:q7\.speed_versus_original\.(ours|ours_steady|our_seconds|ratio)$", TIME),
    # Fields of the artifacts that hold a measured time, speed or memory.
    (
        r"[._](seconds|cpu_seconds|max_rss_mb|\w*_ms|ms|\w*_seconds|seconds_\w+|"
        r"\w*per_second\w*|\w*_speedup|speedup|saved_percent|steps_per_second)(\.\d+)*$",
        TIME,
    ),
    (r"^context:q4\.(timing|measurements|rows|speed)\w*\.", TIME),
    (r"^context:q6\.(timing|speed|folding)\w*\.", TIME),
]


def tolerance_of(key: str) -> Tolerance:
    """The declared tolerance of the number under ``key``: the first pattern of ``DECLARED``
    that matches it, else exact."""
    for pattern, tolerance in DECLARED:
        if re.search(pattern, key):
            return tolerance
    return EXACT
