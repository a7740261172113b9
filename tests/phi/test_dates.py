"""Date shifting keeps the format, the intervals, and refuses what it cannot read."""

from datetime import date, timedelta

import pytest

from nlp_service.phi.dates import shift_date


@pytest.mark.parametrize(
    ("original", "days", "shifted"),
    [
        ("3/4/21", 10, "3/14/21"),
        ("03/04/2021", 30, "04/03/2021"),
        ("2021-03-04", -4, "2021-02-28"),
        ("2021/03/04", 1, "2021/03/05"),
        ("20210304", 365, "20220304"),
        ("3/4", 10, "3/14"),
        ("March 4th", 10, "March 14th"),
        ("MAR 4", 31, "APR 4"),
        ("4 March 2021", 1, "5 March 2021"),
        ("04MAR2021", 1, "05MAR2021"),
        ("01APR", 1, "02APR"),
        ("Mar '21", 31, "Apr '21"),
        ("the 4th", 1, "the 5th"),
        ("Tuesday", 1, "Wednesday"),
        ("Tuesdays", 2, "Thursdays"),
        ("03/04/21 14:30", 10, "03/14/21 14:30"),
        ("12/31/2020", 1, "1/1/2021"),
        ("3/16/21", -341, "4/9/20"),
        ("the 6th", -341, "the 30th"),
    ],
)
def test_shift_keeps_format(original, days, shifted):
    assert shift_date(original, days) == shifted


def test_shift_keeps_intervals_between_partial_and_full_dates():
    offset = 200
    a, b = shift_date("2/27/2021", offset), shift_date("3/2/2021", offset)
    da = date(int(a.split("/")[2]), int(a.split("/")[0]), int(a.split("/")[1]))
    db = date(int(b.split("/")[2]), int(b.split("/")[0]), int(b.split("/")[1]))
    assert db - da == timedelta(days=3)


@pytest.mark.parametrize("text", ["13/45/2021", "Feb 30", "yesterday", "2/30"])
def test_unreadable_dates_are_refused(text):
    assert shift_date(text, 10) is None
