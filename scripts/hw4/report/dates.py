"""The report's date: typed in config as ISO (Gregorian) or Solar Hijri, shown in both.

A Persian reader dates a document in the Solar Hijri calendar, so the Persian title page
gives the date in it and the English one in the Gregorian calendar. The conversion is
jdatetime's (the arithmetic calendar of jalali-core), not the project's own.
"""

from __future__ import annotations

import re
from datetime import date

ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
SOLAR_HIJRI = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$")


class DateError(ValueError):
    """``report.date`` is neither an ISO date nor a Solar Hijri one, or no such day exists."""


def parse_report_date(text: str) -> date:
    """The Gregorian day of ``2024-01-05`` (ISO) or ``1402/10/15`` (Solar Hijri, year/month/day).

    Raises DateError naming the text and what is allowed.
    """
    iso, solar = ISO.match(text), SOLAR_HIJRI.match(text)
    if not (iso or solar):
        raise DateError(f"{text!r} is not allowed (allowed: YYYY-MM-DD, or Solar Hijri YYYY/MM/DD)")
    jdatetime = None if iso else calendar()
    try:
        if iso:
            return date(*(int(part) for part in iso.groups()))
        return jdatetime.date(*(int(part) for part in solar.groups())).togregorian()
    except ValueError as error:
        raise DateError(f"{text!r} is not a day of the calendar ({error})") from error


def solar_hijri(day: date) -> dict:
    """``{"year", "month", "day", "month_name"}`` of a Gregorian day in the Solar Hijri calendar;
    the month's Persian name (``دی`` for month 10)."""
    jdatetime = calendar()
    converted = jdatetime.date.fromgregorian(date=day)
    return {
        "year": converted.year,
        "month": converted.month,
        "day": converted.day,
        "month_name": jdatetime.date.j_months_fa[converted.month - 1],
    }


def calendar():
    """The jdatetime module, imported where needed (the workflow reads this module when it
    starts, and an ISO date needs no conversion). Raises DateError when it is missing."""
    try:
        import jdatetime
    except ImportError as error:
        raise DateError(
            "jdatetime is not installed: install the pinned packages (requirements.txt)"
        ) from error
    return jdatetime
