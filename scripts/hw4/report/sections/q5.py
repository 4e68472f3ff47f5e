"""Q5: output shapes with stride, padding and dilation."""

from __future__ import annotations

from hw4.io.files import read_json
from hw4.report.artifacts import typed_rows
from hw4.report.claims import Claim


def load(inputs: dict) -> dict:
    return {
        "layers": typed_rows(inputs["q5_table"]),
        "padding": typed_rows(inputs["q5_padding"]),
        "summary": read_json(inputs["q5_summary"]),
    }


# A map's brightest third of the image (hw4.methods.gradcam_checks.describe_peak), in each
# language: Persian prose names it in Persian, never with the English words.


def compare_q5(rows: list[dict], original: list[dict]) -> list[dict]:
    """Each layer beside the original hand-in's answer, and whether the two agree."""
    by_index = {answer["index"]: answer for answer in original}
    comparison = []
    for row in rows:
        theirs = by_index.get(row["index"])
        if row["valid"]:
            ours = row["output_shape"]
        elif row["raw_output_size"] and "follows" not in row["reason"]:
            ours = f"{row['raw_output_size']}x{row['raw_output_size']}x{row['output_channels']}"
        else:
            ours = "undefined"
        comparison.append(
            {
                "index": row["index"],
                "ours_shape": ours,
                "ours_params": row["params"],
                "theirs_shape": theirs["output_shape"] if theirs else "",
                "theirs_params": theirs["params"] if theirs else "",
                "agrees": bool(theirs)
                and theirs["output_shape"] == ours
                and theirs["params"] == row["params"],
            }
        )
    return comparison


def claims(context: dict) -> list[Claim]:
    """The claims this section states, decided from the whole report context."""
    return []
