"""Persian digits, separators and left-to-right isolation in the report's filters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hw4.report.typography import (
    MissingValue,
    fa,
    ltr,
    ltr_fa,
    num,
    pct,
    scientific,
    shape,
    to_persian_digits,
)


def test_persian_digits_and_separators():
    assert fa(1792) == "۱٬۷۹۲"
    assert fa(0.9466, 4) == "۰٫۹۴۶۶"
    assert fa(2014, grouping=False) == "۲۰۱۴"
    assert 'dir="ltr"' in fa(-10)  # the minus stays on the left inside RTL text


def test_minus_sign_stands_left_of_the_digits_in_both_directions():
    assert pct(-0.05, lang="fa") == '<span dir="ltr" class="num">−۵٫۰۰٪</span>'
    assert fa(-0.5, 2) == '<span dir="ltr" class="num">−۰٫۵۰</span>'
    assert str(pct(-0.05)) == "−5.00%"
    assert num(-1234.5, 1) == "−1,234.5"
    assert 'dir="ltr"' not in pct(0.05, lang="fa") + fa(3)


def test_latin_numbers():
    assert num(819328) == "819,328"
    assert num(0.12345, 3) == "0.123"
    assert str(pct(0.9466)) == "94.66%"
    assert pct(0.5, 1, "fa") == "۵۰٫۰٪"


def test_scientific_notation_in_both_languages():
    assert scientific(2.080873e-10) == '<span dir="ltr" class="num">2.1 × 10<sup>−10</sup></span>'
    assert scientific(-31400.0, 2, "fa") == (
        '<span dir="ltr" class="num">−۳٫۱۴\u200e × \u200e۱۰<sup>۴</sup></span>'
    )
    # Zero has no order of magnitude: never "0.0 × 10⁰".
    assert scientific(0.0) == '<span class="num">0</span>' and "۰" in scientific(0, 1, "fa")


def test_ltr_isolates_and_escapes():
    assert ltr("a<b") == '<span dir="ltr" class="ltr">a&lt;b</span>'
    assert shape("256x256x64") == '<span dir="ltr" class="shape">256×256×64</span>'
    assert shape([28, 28, 1]).count("×") == 2
    # In Persian prose, Persian digits, still left to right.
    assert shape([6084, 12, 7], "fa") == '<span dir="ltr" class="shape">۶۰۸۴×۱۲×۷</span>'
    assert ltr_fa("2014-09-13 11:00:00") == (
        '<span dir="ltr" class="ltr">۲۰۱۴-۰۹-۱۳ ۱۱:۰۰:۰۰</span>'
    )


def test_missing_values_fail_loudly():
    with pytest.raises(MissingValue):
        fa(None)
    with pytest.raises(MissingValue):
        num(float("nan"))
    with pytest.raises(MissingValue):
        ltr(None)


@given(st.integers(-(10**9), 10**9))
def test_persian_digits_round_trip(value):
    text = to_persian_digits(f"{value:,}")
    back = text.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")).replace("٬", "")
    assert int(back) == value
