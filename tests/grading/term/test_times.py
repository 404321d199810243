"""Due times as a course writes them (dgmlab.grading.term.times): to the minute, the whole minute, an offset or not."""
import datetime as dt
from zoneinfo import ZoneInfo

from dgmlab.grading.term.times import parse_time

TORONTO = ZoneInfo("America/Toronto")


def test_a_due_minute_with_a_utc_offset_lasts_to_the_end_of_that_minute():
    t = parse_time("2024-12-01 23:55+03:30", TORONTO)
    assert t == dt.datetime(2024, 12, 1, 20, 25, 59, tzinfo=dt.timezone.utc)
    assert parse_time("2024-12-01T20:25Z", TORONTO).second == 59


def test_a_due_time_given_to_the_second_is_kept_as_given_with_its_offset():
    assert parse_time("2024-12-01 23:55:00+03:30", TORONTO) == dt.datetime(2024, 12, 1, 20, 25, tzinfo=dt.timezone.utc)
