"""Time as the product sees it: moments are stored in UTC; the offices' calendar day is UTC+7.

Validity, figures by day and the times printed in stamps follow the offices' day, so a paper that
expires "on 30/11" is still valid at 23:00 in Hà Nội, whatever the server's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

#: The offices' zone (Vietnam has one, without daylight saving).
OFFICE_TZ = timezone(timedelta(hours=7), "+07:00")


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """A moment read back from the index as UTC: SQLite drops the offset, and we always write UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def office_today() -> date:
    """Today at the offices: validity is judged by the Vietnamese calendar day."""
    return datetime.now(OFFICE_TZ).date()


def office_day(moment: datetime) -> date:
    """The offices' calendar day of a stored moment."""
    return aware(moment).astimezone(OFFICE_TZ).date()
