"""Claims: the sentences of the report that state a result, decided once in Python.

A claim is one thing the run found (an ordering, a verdict, a comparison). Its verdict and
the values it rests on are computed from the artifacts by the section's loader
(``hw4.report.sections``); its wording in Persian and English sits side by side in one
catalogue, ``report/claims/<section>.yaml``, one entry per verdict::

    q4.parameter_order:            # the claim's id: <section>.<name>
      glance:                      # optional: the claim is a row of the results-at-a-glance page
        fa: "..."                  #   the row's label in each language
        en: "..."
      verdicts:
        conv_fewest:               # one wording per verdict the loader can return
          fa: "... {{ conv_params|fa }} ..."
          en: "... {{ conv_params|num }} ..."
        ...

Each wording is a small Jinja template over the claim's ``values`` and the typography
filters (``fa``, ``num``, ``pct``, ...). The templates print a claim with
``{{ claim("q4.parameter_order", "en") }}``; the glance page and the section body read the
same ``Claim``, so the two cannot disagree, and the two languages cannot drift apart because
both wordings of a verdict are checked (``check_catalogue``) to use the same values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import jinja2.meta
import yaml
from markupsafe import Markup, escape

LANGUAGES = ("fa", "en")


class ClaimError(ValueError):
    """A claim whose verdict has no wording, or whose wordings use values it does not have."""


@dataclass(frozen=True)
class Claim:
    """One result the report states.

    ``id``: ``<section>.<name>``, a key of the catalogue. ``verdict``: which wording applies,
    decided from the artifacts. ``values``: every number or name any of the claim's wordings
    prints (the same for every verdict, so that a test can flip the verdict and render).
    """

    id: str
    verdict: str
    values: dict = field(default_factory=dict)

    @property
    def section(self) -> str:
        return self.id.split(".", 1)[0]


def load_catalogue(directory: str | Path) -> dict[str, dict]:
    """Every ``<section>.yaml`` under ``directory`` merged into ``{claim id: entry}``.

    Raises ``ClaimError`` naming the file when a claim id does not start with its file's
    section, or appears in two files.
    """
    catalogue: dict[str, dict] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for claim_id, entry in entries.items():
            if not claim_id.startswith(path.stem + "."):
                raise ClaimError(f"{path}: claim {claim_id!r} must start with {path.stem + '.'!r}")
            if claim_id in catalogue:
                raise ClaimError(f"{path}: claim {claim_id!r} is defined twice")
            catalogue[claim_id] = entry
    return catalogue


def wording_variables(environment: jinja2.Environment, text: str) -> set[str]:
    """The names a wording reads (its undeclared Jinja variables), filters excluded."""
    return jinja2.meta.find_undeclared_variables(environment.parse(text)) - set(environment.globals)


def check_catalogue(environment: jinja2.Environment, catalogue: dict[str, dict]) -> None:
    """Every verdict of every claim has both languages, and both read the same values.

    Raises ``ClaimError`` naming the claim and verdict.
    """
    for claim_id, entry in catalogue.items():
        verdicts = entry.get("verdicts")
        if not verdicts:
            raise ClaimError(f"claim {claim_id}: no verdicts")
        for verdict, wording in verdicts.items():
            missing = [language for language in LANGUAGES if not wording.get(language)]
            if missing:
                raise ClaimError(f"claim {claim_id}, verdict {verdict}: no {missing[0]} wording")
            fa_names = wording_variables(environment, wording["fa"])
            en_names = wording_variables(environment, wording["en"])
            if fa_names != en_names:
                raise ClaimError(
                    f"claim {claim_id}, verdict {verdict}: Persian reads "
                    f"{sorted(fa_names - en_names)} and English {sorted(en_names - fa_names)} "
                    "that the other language does not"
                )
        glance = entry.get("glance")
        if glance is not None and any(not glance.get(language) for language in LANGUAGES):
            raise ClaimError(f"claim {claim_id}: a glance label needs both languages")


def check_claims(
    environment: jinja2.Environment, catalogue: dict[str, dict], claims: dict[str, Claim]
) -> None:
    """Every claim the loaders made is in the catalogue, its verdict has a wording, and its
    values cover what every verdict's wording reads (so that any verdict renders).

    Raises ``ClaimError`` naming the claim.
    """
    for claim_id, claim in claims.items():
        if claim_id not in catalogue:
            raise ClaimError(f"claim {claim_id}: not in report/claims/{claim.section}.yaml")
        verdicts = catalogue[claim_id]["verdicts"]
        if claim.verdict not in verdicts:
            raise ClaimError(
                f"claim {claim_id}: verdict {claim.verdict!r} has no wording "
                f"(known: {', '.join(verdicts)})"
            )
        for verdict, wording in verdicts.items():
            for language in LANGUAGES:
                missing = wording_variables(environment, wording[language]) - set(claim.values)
                if missing:
                    raise ClaimError(
                        f"claim {claim_id}, verdict {verdict}: reads {sorted(missing)}, "
                        "which the loader does not give"
                    )


def render_claim(
    environment: jinja2.Environment, catalogue: dict[str, dict], claim: Claim, language: str
) -> Markup:
    """The claim's wording for its verdict in ``language``, marked with its id and verdict
    (``data-claim``, ``data-verdict``) so that tests find it in the HTML."""
    text = catalogue[claim.id]["verdicts"][claim.verdict][language]
    body = environment.from_string(text).render(**claim.values)
    return Markup(
        f'<span class="claim" data-claim="{escape(claim.id)}" '
        f'data-verdict="{escape(claim.verdict)}">{Markup(body.strip())}</span>'
    )


def glance_rows(
    catalogue: dict[str, dict], claims: dict[str, Claim], section_order: list[str]
) -> list[dict]:
    """The claims marked for the results-at-a-glance page, in the report's section order
    (``section_order``) and within a section in catalogue order:
    ``{"claim": Claim, "label": {"fa": ..., "en": ...}}``."""
    rows = [
        {"claim": claims[claim_id], "label": entry["glance"]}
        for claim_id, entry in catalogue.items()
        if entry.get("glance") and claim_id in claims
    ]
    rank = {key: position for position, key in enumerate(section_order)}
    return sorted(rows, key=lambda row: rank.get(row["claim"].section, len(rank)))


def claim_function(environment: jinja2.Environment, catalogue: dict[str, dict]):
    """The ``claim(id, language)`` global of the templates, reading the context's ``claims``."""

    @jinja2.pass_context
    def claim(context, claim_id: str, language: str) -> Markup:
        claims = context["claims"]
        if claim_id not in claims:
            raise ClaimError(f"claim {claim_id}: the template asks for it, no loader made it")
        return render_claim(environment, catalogue, claims[claim_id], language)

    return claim
