"""Claims (hw4.report.claims) and code listings (hw4.report.listings): the catalogue's
checks, a claim's rendering, and a listing that is its file's own lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml
from claimtools import claims_in, numbers_of
from conftest import REPO

from hw4.report.claims import (
    Claim,
    ClaimError,
    check_catalogue,
    check_claims,
    load_catalogue,
    render_claim,
)
from hw4.report.listings import ListingError, read_listing, read_listings
from hw4.report.render import make_environment

TEMPLATES = REPO / "report" / "templates"


@pytest.fixture(scope="module")
def environment():
    return make_environment(TEMPLATES)


def entry(**verdicts) -> dict:
    return {"verdicts": verdicts}


def test_the_project_catalogue_words_every_verdict_in_both_languages(environment):
    catalogue = load_catalogue(REPO / "report" / "claims")
    check_catalogue(environment, catalogue)
    assert {"tuning.versus_original", "data.mnist_source"} <= set(catalogue)
    assert "not_comparable_test_population" in catalogue["tuning.versus_original"]["verdicts"]


def test_a_verdict_missing_a_language_or_reading_other_values_is_refused(environment):
    with pytest.raises(ClaimError, match="x.y, verdict up: no fa wording"):
        check_catalogue(environment, {"x.y": entry(up={"en": "{{ num(a) }} up"})})
    with pytest.raises(ClaimError, match=r"Persian reads \['b'\] and English \['a'\]"):
        check_catalogue(environment, {"x.y": entry(up={"fa": "{{ fa(b) }}", "en": "{{ num(a) }}"})})
    with pytest.raises(ClaimError, match="glance label needs both languages"):
        check_catalogue(
            environment,
            {
                "x.y": {
                    **entry(up={"fa": "{{ fa(a) }}", "en": "{{ num(a) }}"}),
                    "glance": {"en": "A"},
                }
            },
        )


def test_a_claim_needs_a_worded_verdict_and_every_value_any_verdict_reads(environment):
    catalogue = {
        "x.y": entry(
            up={"fa": "بالا {{ fa(a) }}", "en": "up {{ num(a) }}"},
            down={"fa": "پایین {{ fa(a) }} {{ fa(b) }}", "en": "down {{ num(a) }} {{ num(b) }}"},
        )
    }
    check_claims(environment, catalogue, {"x.y": Claim("x.y", "up", {"a": 1, "b": 2})})
    with pytest.raises(ClaimError, match="verdict 'sideways' has no wording"):
        check_claims(environment, catalogue, {"x.y": Claim("x.y", "sideways", {"a": 1, "b": 2})})
    with pytest.raises(ClaimError, match=r"verdict down: reads \['b'\]"):
        check_claims(environment, catalogue, {"x.y": Claim("x.y", "up", {"a": 1})})
    with pytest.raises(ClaimError, match="not in report/claims/z.yaml"):
        check_claims(environment, catalogue, {"z.w": Claim("z.w", "up", {})})


def test_a_rendered_claim_is_marked_and_prints_the_same_numbers_in_both_languages(environment):
    catalogue = {
        "x.y": entry(
            down={
                "fa": "از {{ fa(a) }} به {{ fa(b, 2) }} رسید",
                "en": "fell from {{ num(a) }} to {{ num(b, 2) }}",
            }
        )
    }
    claim = Claim("x.y", "down", {"a": 1234, "b": -0.5})
    html = {
        language: f'<p lang="{language}">{render_claim(environment, catalogue, claim, language)}</p>'
        for language in ("fa", "en")
    }
    found = {c["language"]: c for c in claims_in(html["fa"] + html["en"])}
    assert found["fa"]["verdict"] == found["en"]["verdict"] == "down"
    assert "۱٬۲۳۴" in found["fa"]["text"] and "1,234" in found["en"]["text"]
    assert numbers_of(found["fa"]["text"]) == numbers_of(found["en"]["text"])


def test_catalogue_ids_start_with_their_file_and_appear_once(tmp_path):
    (tmp_path / "q4.yaml").write_text(yaml.safe_dump({"q5.x": entry()}))
    with pytest.raises(ClaimError, match="must start with 'q4.'"):
        load_catalogue(tmp_path)


def test_every_listing_is_its_file_s_own_lines():
    catalogue = yaml.safe_load((REPO / "report" / "listings.yaml").read_text())
    listings = read_listings(REPO, catalogue)
    assert set(listings) >= {"model_builder", "windows", "batchnorm_forward", "gradcam"}
    for listing in listings.values():
        lines = (REPO / listing.file).read_text().splitlines()
        assert listing.source.splitlines() == lines[listing.first_line - 1 : listing.last_line]
        # The listing is the whole definition the file names: it parses on its own.
        ast.parse(_dedented(listing.source))
        assert (
            listing.function.split(".")[-1] in listing.source.splitlines()[0]
            or "@" in (listing.source.splitlines()[0])
        )
        assert 'dir="ltr"' in listing.html and 'class="listing"' in listing.html


def _dedented(source: str) -> str:
    import textwrap

    return textwrap.dedent(source)


def test_a_listing_of_a_missing_file_or_function_names_it(tmp_path):
    (tmp_path / "m.py").write_text("class A:\n    def f(self):\n        return 1\n")
    assert (
        read_listing(tmp_path, "k", "m.py", "A.f").source == "    def f(self):\n        return 1\n"
    )
    with pytest.raises(ListingError, match="listing k: m.py has no function 'A.g'"):
        read_listing(tmp_path, "k", "m.py", "A.g")
    with pytest.raises(ListingError, match="listing k: n.py does not exist"):
        read_listing(tmp_path, "k", "n.py", "f")


def test_an_edited_function_changes_its_listing(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("def f(x):\n    return x\n")
    before = read_listing(tmp_path, "k", "m.py", "f")
    source.write_text("def f(x):\n    return 2 * x\n")
    after = read_listing(tmp_path, "k", "m.py", "f")
    assert before.source != after.source and before.html != after.html
    assert Path(source).read_text() == after.source
