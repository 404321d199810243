"""MIT 6.S978's late policy (linear_7days) at every due time: late at all is day 1, each 11:59 pm cutoff of the
course's time zone passed since the due time adds a day (x 1 - 0.5 d/7, at least 0.5), and nothing is accepted
past 7 days on the course's clock. Tables written by hand from the handout's rule (homeworks' seed 003: "within 7
days of the original deadline ... step-wise on each day's 11:59pm cutoff"), a minute or seconds either side of
each cutoff, for due times at 23:59, 17:00 and 09:00 in a week that crosses the change to summer time
(New York, 2025-03-09), and at 7 days +- 1 minute."""
import datetime as dt

import pytest

from dgmlab.grading.term import late as L
from dgmlab.grading.term.deadlines import parse_time

NY = L.zone("America/New_York")
MIT = L.POLICIES["linear_7days"]
REFUSED = None


def at(text):
    return dt.datetime.fromisoformat(text).replace(tzinfo=NY)


def coefficient(day):
    return 1 - 0.5 * day / 7


# (due as the course config writes it, submitted on New York's wall clock, day, coefficient or REFUSED)
TABLE = [
    # due at 11:59 pm: the due time is that day's cutoff
    ("2025-03-06 23:59", "2025-03-06 23:59:30", 0, 1.0),
    ("2025-03-06 23:59", "2025-03-07 00:00:00", 1, coefficient(1)),
    ("2025-03-06 23:59", "2025-03-07 23:59:30", 1, coefficient(1)),
    ("2025-03-06 23:59", "2025-03-08 00:00:00", 2, coefficient(2)),
    ("2025-03-06 23:59", "2025-03-08 23:59:30", 2, coefficient(2)),
    ("2025-03-06 23:59", "2025-03-09 00:00:00", 3, coefficient(3)),
    ("2025-03-06 23:59", "2025-03-09 23:59:30", 3, coefficient(3)),  # the day of 23 hours
    ("2025-03-06 23:59", "2025-03-10 00:00:00", 4, coefficient(4)),
    ("2025-03-06 23:59", "2025-03-11 00:00:00", 5, coefficient(5)),
    ("2025-03-06 23:59", "2025-03-12 00:00:00", 6, coefficient(6)),
    ("2025-03-06 23:59", "2025-03-13 00:00:00", 7, 0.5),
    ("2025-03-06 23:59", "2025-03-13 23:58:59", 7, 0.5),  # 7 days - 1 minute
    ("2025-03-06 23:59", "2025-03-14 00:00:59", 8, REFUSED),  # 7 days + 1 minute
    # due at 17:00: that evening's cutoff comes after the due time
    ("2025-03-06 17:00", "2025-03-06 17:00:30", 0, 1.0),
    ("2025-03-06 17:00", "2025-03-06 17:01:00", 1, coefficient(1)),
    ("2025-03-06 17:00", "2025-03-06 23:59:30", 1, coefficient(1)),
    ("2025-03-06 17:00", "2025-03-07 00:00:00", 2, coefficient(2)),  # the TA's 75.00 of 87.5
    ("2025-03-06 17:00", "2025-03-07 23:59:30", 2, coefficient(2)),
    ("2025-03-06 17:00", "2025-03-08 00:00:00", 3, coefficient(3)),
    ("2025-03-06 17:00", "2025-03-09 00:00:00", 4, coefficient(4)),
    ("2025-03-06 17:00", "2025-03-10 00:00:00", 5, coefficient(5)),
    ("2025-03-06 17:00", "2025-03-11 00:00:00", 6, coefficient(6)),
    ("2025-03-06 17:00", "2025-03-12 00:00:00", 7, 0.5),
    ("2025-03-06 17:00", "2025-03-13 00:00:00", 7, 0.5),  # a seventh cutoff passed, still within 7 days
    ("2025-03-06 17:00", "2025-03-13 16:59:59", 7, 0.5),  # 7 days - 1 minute (the due minute counts as on time)
    ("2025-03-06 17:00", "2025-03-13 17:01:59", 8, REFUSED),  # 7 days + 1 minute, on the course's clock
    ("2025-03-06 17:00", "2025-03-13 17:30:59", 8, REFUSED),  # the TA's 7 days and 30 minutes: 0
    # due at 09:00
    ("2025-03-06 09:00", "2025-03-06 09:00:30", 0, 1.0),
    ("2025-03-06 09:00", "2025-03-06 09:01:00", 1, coefficient(1)),
    ("2025-03-06 09:00", "2025-03-06 23:59:30", 1, coefficient(1)),
    ("2025-03-06 09:00", "2025-03-07 00:00:00", 2, coefficient(2)),
    ("2025-03-06 09:00", "2025-03-08 00:00:00", 3, coefficient(3)),
    ("2025-03-06 09:00", "2025-03-09 00:00:00", 4, coefficient(4)),
    ("2025-03-06 09:00", "2025-03-10 00:00:00", 5, coefficient(5)),
    ("2025-03-06 09:00", "2025-03-11 00:00:00", 6, coefficient(6)),
    ("2025-03-06 09:00", "2025-03-12 00:00:00", 7, 0.5),
    ("2025-03-06 09:00", "2025-03-13 08:59:59", 7, 0.5),  # 7 days - 1 minute
    ("2025-03-06 09:00", "2025-03-13 09:01:59", 8, REFUSED),  # 7 days + 1 minute
]


@pytest.mark.parametrize("due, submitted, day, factor", TABLE)
def test_linear_7days_counts_the_1159pm_cutoffs_passed_since_any_due_time(due, submitted, day, factor):
    r = MIT.apply(87.5, at(submitted), parse_time(due, NY), NY)
    assert (r.days, r.refused) == (day, factor is REFUSED)
    assert r.final == pytest.approx(0.0 if factor is REFUSED else 87.5 * factor)


def test_the_tas_two_cases_by_hand():
    due = parse_time("2025-02-11 17:00", NY)
    assert MIT.apply(87.5, at("2025-02-12 00:00:00"), due, NY).final == pytest.approx(75.0)
    assert MIT.apply(87.5, at("2025-02-18 17:30:00"), due, NY).final == 0.0


def test_cutoffs_follow_the_courses_clock_when_summer_time_ends():
    due = parse_time("2024-10-31 23:59", NY)  # EDT; EST from 2024-11-03
    utc = dt.timezone.utc
    # 04:30 UTC on 11-04 is 23:30 EST on 11-03 (two cutoffs passed: day 3); 05:30 UTC is 00:30 EST on 11-04
    # (three: day 4); a fixed EDT offset would call the first 00:30 on 11-04
    assert MIT.days_late(dt.datetime(2024, 11, 4, 4, 30, tzinfo=utc), due, NY) == 3
    assert MIT.days_late(dt.datetime(2024, 11, 4, 5, 30, tzinfo=utc), due, NY) == 4


def test_the_reason_names_the_cutoffs_passed_and_the_day():
    r = MIT.apply(87.5, at("2025-02-12 00:00:00"), parse_time("2025-02-11 17:00", NY), NY)
    assert r.reason.startswith("handed in late, day 2 under the policy (1 23:59 cutoff passed since the due time; "
                               "due 2025-02-11 17:00 EST, received 2025-02-12 00:00 EST): 87.50 x 0.8571 = 75.00 ")
    r = MIT.apply(87.5, at("2025-02-18 17:30:00"), parse_time("2025-02-11 17:00", NY), NY)
    assert r.reason.startswith("handed in more than 7 days after the due time (7 23:59 cutoffs passed")
    assert "not accepted" in r.reason
