"""Day arithmetic in the enterprise's time zone (GEN-04: "N days" are natural days)."""

from datetime import date, datetime, time
from typing import TypeVar

from django.db.models import QuerySet
from django.utils import timezone

_Rows = TypeVar("_Rows", bound=QuerySet)


def day_start(moment: datetime) -> datetime:
    """Return the start (00:00, local time) of the day ``moment`` falls on."""
    local = timezone.localtime(moment)
    return datetime.combine(local.date(), time.min, tzinfo=local.tzinfo)


def filter_dates(
    queryset: _Rows, field: str, date_from: date | None = None, date_to: date | None = None
) -> _Rows:
    """Keep rows whose datetime ``field`` falls on ``date_from`` … ``date_to`` (whole local days)."""
    zone = timezone.get_current_timezone()
    if date_from:
        queryset = queryset.filter(**{f"{field}__gte": datetime.combine(date_from, time.min, tzinfo=zone)})
    if date_to:
        queryset = queryset.filter(**{f"{field}__lte": datetime.combine(date_to, time.max, tzinfo=zone)})
    return queryset
