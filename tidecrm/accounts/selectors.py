"""Reads for accounts: the security log, the caller's tokens and enterprises."""

from datetime import datetime, time

from django.utils import timezone

from tidecrm.core.permissions import check

from .models import ApiToken, SecurityEvent


def security_event_list(*, actor, kind=None, employee_id=None, date_from=None, date_to=None, success=None):
    """Return the enterprise's security log (admins with ``settings.security_log``), newest first."""
    check(actor, "settings.security_log")
    events = SecurityEvent.objects.select_related("employee").order_by("-created_at", "-id")
    if kind:
        events = events.filter(kind=kind)
    if employee_id:
        events = events.filter(employee_id=employee_id)
    if success is not None:
        events = events.filter(success=success)
    zone = timezone.get_current_timezone()
    if date_from:
        events = events.filter(created_at__gte=datetime.combine(date_from, time.min, tzinfo=zone))
    if date_to:
        events = events.filter(created_at__lte=datetime.combine(date_to, time.max, tzinfo=zone))
    return events


def token_list(*, actor, all_employees=False):
    """Return the actor's API tokens (or everyone's for admins), newest first."""
    tokens = ApiToken.objects.select_related("employee").order_by("-created_at")
    if all_employees:
        check(actor, "settings.api_tokens")
        return tokens
    return tokens.filter(employee=actor)
