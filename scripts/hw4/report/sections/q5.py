"""Q5: output shapes with stride, padding and dilation."""

from __future__ import annotations

import math

from hw4.io.files import read_json
from hw4.report.artifacts import typed_rows
from hw4.report.claims import Claim

# Why Keras or PyTorch refuses a layer (q5_layers.csv's ``keras_note`` / ``pytorch_note``),
# as a key the claim wordings name in each language. Matched on the note's words, the most
# specific first; a note none matches is "other", worded with the note itself.
KERAS_REASONS = (
    ("dilation_rate", "stride_with_dilation"),
    ("dilation", "pooling_without_dilation"),
    ("padding", "pooling_padding"),
)
PYTORCH_REASONS = (
    ("larger", "kernel_larger_than_input"),
    ("strided", "same_with_stride"),
    ("same", "pooling_without_same"),
)


def load(inputs: dict) -> dict:
    return {
        "layers": typed_rows(inputs["q5_table"]),
        "padding": typed_rows(inputs["q5_padding"]),
        "summary": read_json(inputs["q5_summary"]),
    }


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


def reason_key(note: str, reasons: tuple[tuple[str, str], ...]) -> str:
    """The key of the first reason whose word is in ``note``; "other" when none is."""
    return next((key for word, key in reasons if word in note), "other")


def refusal_groups(layers: list[dict], flag: str, note: str, reasons) -> list[dict]:
    """The layers a framework refuses (``flag`` false), grouped by reason in layer order:
    ``[{"reason": key, "note": the artifact's note, "indices": [layer numbers]}]``."""
    groups: dict[str, dict] = {}
    for row in layers:
        if row[flag]:
            continue
        key = reason_key(row[note], reasons)
        group = groups.setdefault(key, {"reason": key, "note": row[note], "indices": []})
        group["indices"].append(row["index"])
    return list(groups.values())


def same_padding_verdict(cases: list[dict]) -> str:
    """Whether every case of same_padding.csv follows the rule the section states: output
    ceil(W_in / S), and the smaller half of the padding before (the extra cell, if any, after).

    "rule_holds" when every row does, "rule_broken" otherwise.
    """
    for case in cases:
        if case["output"] != math.ceil(case["input"] / case["stride"]):
            return "rule_broken"
        if case["pad_before"] != case["pad_total"] // 2:
            return "rule_broken"
        if case["pad_before"] + case["pad_after"] != case["pad_total"]:
            return "rule_broken"
    return "rule_holds"


def claims(context: dict) -> list[Claim]:
    """The claims this section states, decided from the whole report context."""
    section = context["q5"]
    summary, layers, comparison = section["summary"], section["layers"], section["comparison"]
    agreeing = sum(row["agrees"] for row in comparison)
    differing = [row["index"] for row in comparison if not row["agrees"]]
    invalid = summary["invalid_params"]
    keras = refusal_groups(layers, "keras_buildable", "keras_note", KERAS_REASONS)
    pytorch = refusal_groups(layers, "pytorch_buildable", "pytorch_note", PYTORCH_REASONS)
    checks = summary.get("subsample_equivalence") or []
    padding = section["padding"]
    first_invalid = summary["first_invalid"] or 0
    invalid_row = next((row for row in layers if row["index"] == first_invalid), None)
    compared = next((row for row in comparison if row["index"] == first_invalid), None)
    if compared is None:
        negative = "no_layer_without_output"
    elif compared["agrees"]:
        negative = "original_found_it"
    else:
        negative = "original_missed_it"
    return [
        Claim(
            "q5.original_negative_size",
            negative,
            {
                "first_invalid": first_invalid,
                "raw_size": invalid_row["raw_output_size"] if invalid_row else 0,
            },
        ),
        Claim(
            "q5.original_agreement",
            "all_agree" if not differing else "some_differ",
            {"agreeing": agreeing, "layers": len(comparison), "differing": differing},
        ),
        Claim(
            "q5.layers_without_output",
            "one_has_no_output" if summary["first_invalid"] else "every_layer_has_output",
            {
                "first_invalid": first_invalid,
                "raw_size": invalid_row["raw_output_size"] if invalid_row else 0,
                "effective_kernel": invalid_row["effective_kernel"] if invalid_row else 0,
                "input_size": (
                    int(str(invalid_row["input_shape"]).split("x")[0])
                    if invalid_row and invalid_row["input_shape"]
                    else 0
                ),
                "valid_layers": summary["valid_layers"],
                "layers": summary["layers"],
                "total_params": summary["total_params"],
                "invalid_params": invalid,
            },
        ),
        Claim(
            "q5.keras_builds",
            "keras_refuses" if keras else "keras_builds_every_layer",
            {"groups": keras},
        ),
        Claim(
            "q5.pytorch_builds",
            "pytorch_refuses" if pytorch else "pytorch_builds_every_layer",
            {"groups": pytorch},
        ),
        Claim(
            "q5.strided_as_subsampled",
            "agrees" if summary.get("subsample_agrees") else "differs",
            {
                "checked": [check["index"] for check in checks],
                "largest_difference": max(
                    (check["max_abs_difference"] for check in checks), default=0.0
                ),
            },
        ),
        Claim(
            "q5.same_padding_cases",
            same_padding_verdict(padding),
            {
                "cases": len(padding),
                "sizes": sorted({case["input"] for case in padding}),
            },
        ),
    ]
