"""The course documents' late policies (dgmlab.grading.term.late), at their boundaries: a minute either side of each
cutoff, day 7 and day 8, and the two changes of daylight saving time."""
import datetime as dt

import pytest

from dgmlab.grading.term import late as L

NY = L.zone("America/New_York")
TO = L.zone("America/Toronto")


def at(text, tz):
    return dt.datetime.fromisoformat(text).replace(tzinfo=tz)


MIT_DUE = at("2025-02-11 23:59:59", NY)  # 11:59 pm, as an LMS stores it
MIT = [  # submitted (New York wall clock), days late, coefficient, refused
    ("2025-02-11 23:58:59", 0, 1.0, False),
    ("2025-02-12 00:00:59", 1, 1 - 0.5 / 7, False),
    ("2025-02-12 23:58:59", 1, 1 - 0.5 / 7, False),
    ("2025-02-13 00:00:59", 2, 1 - 1.0 / 7, False),
    ("2025-02-17 23:58:59", 6, 1 - 3.0 / 7, False),
    ("2025-02-18 23:58:59", 7, 0.5, False),
    ("2025-02-19 00:00:59", 8, 0.0, True),  # partial credit only "within 7 days of the original deadline"
    ("2025-03-01 12:00:00", 18, 0.0, True),
]


@pytest.mark.parametrize("submitted, days, factor, refused", MIT)
def test_linear_7days_steps_at_each_days_1159pm_cutoff_and_refuses_after_day_7(submitted, days, factor, refused):
    r = L.POLICIES["linear_7days"].apply(20, at(submitted, NY), MIT_DUE, NY)
    assert (r.days, r.factor, r.refused) == (days, pytest.approx(factor), refused)
    assert r.final == pytest.approx(20 * factor) and r.penalty == pytest.approx(20 - 20 * factor)


TORONTO_DUE = at("2025-02-11 17:00:00", TO)
TORONTO = [
    ("2025-02-11 16:59:00", 0, 1.0, False),
    ("2025-02-11 17:01:00", 1, 0.9, False),
    ("2025-02-12 16:59:00", 1, 0.9, False),
    ("2025-02-12 17:01:00", 2, 0.8, False),
    ("2025-02-13 16:59:00", 2, 0.8, False),
    ("2025-02-13 17:01:00", 3, 0.0, True),
]


@pytest.mark.parametrize("submitted, days, factor, refused", TORONTO)
def test_ten_percent_2days_takes_a_tenth_a_day_then_refuses(submitted, days, factor, refused):
    r = L.POLICIES["ten_percent_2days"].apply(80, at(submitted, TO), TORONTO_DUE, TO)
    assert (r.days, r.factor, r.refused) == (days, pytest.approx(factor), refused)
    assert r.final == pytest.approx(80 * factor)
    if refused:
        assert "not accepted" in r.reason and r.final == 0


def test_a_day_across_the_autumn_change_of_time_is_25_hours():
    due = at("2024-11-02 23:59:00", TO)  # EDT; clocks go back on 2024-11-03
    p = L.POLICIES["ten_percent_2days"]
    assert p.days_late(at("2024-11-03 23:58:00", TO), due, TO) == 1  # 24 h 59 min after the due time
    assert p.days_late(at("2024-11-04 00:00:00", TO), due, TO) == 2


def test_a_day_across_the_spring_change_of_time_is_23_hours():
    due = at("2025-03-08 12:00:00", TO)  # EST; clocks go forward on 2025-03-09
    p = L.POLICIES["ten_percent_2days"]
    assert p.days_late(at("2025-03-09 11:59:00", TO), due, TO) == 1  # 22 h 59 min after
    assert p.days_late(at("2025-03-09 12:01:00", TO), due, TO) == 2  # 23 h 01 min after: a day and a minute


def test_linear_7days_cutoffs_follow_the_courses_clock_across_a_change_of_time():
    due = at("2025-03-07 23:59:59", NY)  # EST; EDT from 2025-03-09
    p = L.POLICIES["linear_7days"]
    utc = dt.timezone.utc
    # 03:30 UTC on 03-10 is 23:30 EDT on 03-09 (day 2); 04:30 UTC is 00:30 EDT on 03-10 (day 3), which a fixed
    # EST offset would still put on 03-09
    assert p.days_late(dt.datetime(2025, 3, 10, 3, 30, tzinfo=utc), due, NY) == 2
    assert p.days_late(dt.datetime(2025, 3, 10, 4, 30, tzinfo=utc), due, NY) == 3


def test_the_reason_says_days_due_received_and_the_arithmetic():
    r = L.POLICIES["ten_percent_2days"].apply(80, at("2025-02-12 09:00:00", TO), TORONTO_DUE, TO)
    assert r.reason == ("handed in 1 day late (due 2025-02-11 17:00 EST, received 2025-02-12 09:00 EST): 80.00 x 0.9 "
                        "= 72.00 under the ten_percent_2days policy (10% of the mark per day late, at most 2 days, not "
                        "accepted later)")


def test_none_and_zero_are_nbgraders_two_on_the_final_mark():
    late = at("2025-02-12 09:00:00", TO)
    assert L.POLICIES["none"].apply(50, late, TORONTO_DUE, TO).final == 50
    assert L.POLICIES["zero"].apply(50, late, TORONTO_DUE, TO).final == 0
    assert L.POLICIES["zero"].apply(50, at("2025-02-11 16:00:00", TO), TORONTO_DUE, TO).final == 50


def test_on_time_or_without_a_due_date_the_mark_stands_with_no_reason():
    p = L.POLICIES["linear_7days"]
    assert p.apply(7.5, None, MIT_DUE, NY) == L.LateResult(7.5, 7.5, 0, 1.0, False, "")
    assert p.apply(7.5, at("2025-03-01 00:00:00", NY), None, NY).reason == ""


def test_a_courses_own_policy_is_a_few_lines():
    five = L.DailyPolicy("five_a_day", [0.95, 0.90, 0.85], after=None)
    r = five.apply(10, at("2025-02-14 16:30:00", TO), TORONTO_DUE, TO)
    assert (r.days, r.final, r.refused) == (3, pytest.approx(8.5), False)
    assert five.apply(10, at("2025-02-14 17:30:00", TO), TORONTO_DUE, TO).refused


def test_a_time_without_a_zone_is_refused():
    with pytest.raises(ValueError, match="no time zone"):
        L.POLICIES["none"].apply(1, dt.datetime(2025, 2, 12), TORONTO_DUE, TO)
