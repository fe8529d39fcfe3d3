"""Reads for accounts: the security log, the caller's tokens and enterprises."""

from datetime import date
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from tidecrm.accounts.models import ApiToken, SecurityEvent
from tidecrm.core.dates import filter_dates
from tidecrm.core.permissions import check

if TYPE_CHECKING:
    from tidecrm.org.models import Employee


def security_event_list(
    *,
    actor: "Employee",
    kind: str | None = None,
    employee_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    success: bool | None = None,
) -> QuerySet[SecurityEvent]:
    """Return the enterprise's security log (admins with ``settings.security_log``), newest first."""
    check(actor, "settings.security_log")
    events = SecurityEvent.objects.select_related("employee").order_by("-created_at", "-id")
    if kind:
        events = events.filter(kind=kind)
    if employee_id:
        events = events.filter(employee_id=employee_id)
    if success is not None:
        events = events.filter(success=success)
    events = filter_dates(events, "created_at", date_from, date_to)
    return events


def token_list(*, actor: "Employee", all_employees: bool = False) -> QuerySet[ApiToken]:
    """Return the actor's API tokens (or everyone's for admins), newest first."""
    tokens = ApiToken.objects.select_related("employee").order_by("-created_at")
    if all_employees:
        check(actor, "settings.api_tokens")
        return tokens
    return tokens.filter(employee=actor)
