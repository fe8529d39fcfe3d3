"""Day arithmetic in the enterprise's time zone (GEN-04: "N days" are natural days)."""

from datetime import datetime, time

from django.utils import timezone


def day_start(moment):
    """Return the start (00:00, local time) of the day ``moment`` falls on."""
    local = timezone.localtime(moment)
    return datetime.combine(local.date(), time.min, tzinfo=local.tzinfo)


def filter_dates(queryset, field, date_from=None, date_to=None):
    """Keep rows whose datetime ``field`` falls on ``date_from`` … ``date_to`` (whole local days)."""
    zone = timezone.get_current_timezone()
    if date_from:
        queryset = queryset.filter(**{f"{field}__gte": datetime.combine(date_from, time.min, tzinfo=zone)})
    if date_to:
        queryset = queryset.filter(**{f"{field}__lte": datetime.combine(date_to, time.max, tzinfo=zone)})
    return queryset
