"""What a student types on the title page: drawn as typed in both lines in the pinned fonts, or
refused before any job naming the setting and the characters (tests/cases/report_names.yaml)."""

from __future__ import annotations

import subprocess

import pytest
import yaml
from conftest import REPO

from hw4.config_check import ConfigError, check_title_page_text
from hw4.report.fonts import undrawable_characters
from hw4.report.render import font_face_css, render_pdf
from hw4.report.typography import MINUS, fa, isolate, text_direction

CASES = yaml.safe_load((REPO / "tests" / "cases" / "report_names.yaml").read_text())


def test_a_name_in_letters_the_fonts_lack_is_refused_naming_the_key_and_letters():
    with pytest.raises(ConfigError, match=r"report.student_name: .*'ნ' \(U\+10DC\)"):
        check_title_page_text({"report": {"student_name": CASES["names"][0]}})
    with pytest.raises(ConfigError, match=r"report.course: .*'深'"):
        check_title_page_text({"report": {"course": "深度学习"}})
    for name in CASES["names"][1:]:
        check_title_page_text({"report": {"student_name": name}})
    for student_id in CASES["ids"]:
        check_title_page_text({"report": {"student_id": student_id}})


def test_spaces_and_joiners_need_no_glyph():
    assert undrawable_characters("سارا\u200cاحمدی \u200e") == []


@pytest.mark.parametrize(
    ("text", "direction"),
    [
        ("Reza Karimi Sr.", "ltr"),
        ("علی رضایی (گروه ۲)", "rtl"),
        ("0012345", "ltr"),
        ("(۲) علی", "rtl"),
    ],
)
def test_user_text_is_isolated_in_its_own_direction(text, direction):
    assert text_direction(text) == direction
    assert f'dir="{direction}"' in isolate(text)


def test_numeric_text_follows_the_rule_for_numbers():
    assert fa("-12.5") == fa(-12.5, 1)
    assert MINUS in fa("-12.5") and 'dir="ltr"' in fa("-12.5")
    assert fa("1,234") == fa(1234)
    assert fa("conv_3") == "conv_۳"


def title_lines(tmp_path, name: str) -> str:
    html = (
        f"<html><head><style>{font_face_css()} body {{ font-family: 'Fira Sans', "
        "'IBM Plex Sans Arabic'; }</style></head><body>"
        f'<p lang="fa" dir="rtl" style="font-family: \'IBM Plex Sans Arabic\'">نام: {isolate(name)} · شماره</p>'
        f'<p lang="en" dir="ltr">Name: {isolate(name)} · Student ID</p></body></html>'
    )
    pdf = tmp_path / "title.pdf"
    pdf.write_bytes(render_pdf(html, tmp_path, "2026-12-07"))
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_a_latin_name_ending_in_a_stop_keeps_it_on_its_right_in_the_persian_line(tmp_path):
    text = title_lines(tmp_path, "Reza Karimi Sr.")
    assert text.count("Reza Karimi Sr.") == 2, text
    assert ".Reza" not in text


def test_a_document_that_needs_a_system_font_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match="font"):
        title_lines(tmp_path, CASES["names"][0])


def test_latin_runs_in_a_persian_string_are_isolated_and_markup_is_kept():
    from markupsafe import Markup

    from hw4.report.typography import fa_plain

    assert fa_plain("پارامترهای Dense(20) و نرمال‌سازی") == Markup(
        'پارامترهای <span dir="ltr">Dense(20)</span> و نرمال‌سازی'
    )
    assert fa_plain("خطای MAE (GW)") == Markup('خطای <span dir="ltr">MAE (GW)</span>')
    kept = Markup('<span dir="ltr">x</span> ۲')
    assert fa_plain(kept) is kept
    assert fa_plain("<ب>") == Markup("&lt;ب&gt;")


def test_a_formula_copies_as_its_plain_text_in_the_pinned_fonts():
    from hw4.report.formulas import text_twin

    assert "W_out = floor(W / S)" in text_twin("W_out = floor(W / S)")
    assert "proportional to" in text_twin("y ∝ x") and "∝" not in text_twin("y ∝ x")
