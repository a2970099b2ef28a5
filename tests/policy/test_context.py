"""`policy.iso_time`: the text of date condition keys (``aws:CurrentTime``, ``aws:TokenIssueTime``):
ISO 8601 in UTC, whole seconds (floored), naive times taken as UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from sagegate.policy import iso_time


def _reference(value: datetime) -> str:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_examples() -> None:
    assert iso_time(datetime(2026, 12, 6, 5, 0, 59, 999999, tzinfo=UTC)) == "2026-12-06T05:00:59Z"
    assert iso_time(datetime(2026, 12, 6, 5, 0, 59)) == "2026-12-06T05:00:59Z"
    plus_two = timezone(timedelta(hours=2))
    assert iso_time(datetime(2026, 1, 1, 1, 30, tzinfo=plus_two)) == "2025-12-31T23:30:00Z"
    assert (
        iso_time(datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC)) == "1969-12-31T23:59:59Z"
    )


@given(
    st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(9999, 12, 30)),
    st.sampled_from(
        [None, UTC, timezone(timedelta(hours=-9, minutes=-30)), timezone(timedelta(hours=14))]
    ),
)
def test_any_time_in_any_zone(value: datetime, zone: timezone | None) -> None:
    if zone is not None:
        value = value.replace(tzinfo=zone)
    assert iso_time(value) == _reference(value)
