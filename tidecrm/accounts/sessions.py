"""Bind a login to the browser session and read it back (used by the middleware and pages)."""

import hashlib
from typing import TYPE_CHECKING, Any

from django.conf import settings

from tidecrm.core import clock

if TYPE_CHECKING:
    from tidecrm.org.models import Employee

    from .models import Account

SESSION_ACCOUNT = "_account_id"
SESSION_EMPLOYEE = "_employee_id"
SESSION_AUTH_HASH = "_auth_hash"
SESSION_SUDO = "_sudo_at"


def auth_hash(account: "Account") -> str:
    """Return a digest of the password hash: a password change ends the other sessions."""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{account.password}".encode()).hexdigest()[:32]


def session_login(request: Any, employee: "Employee") -> None:
    """Bind ``employee`` to the browser session (a new session key) and to this request."""
    request.session.cycle_key()
    request.session[SESSION_ACCOUNT] = employee.account_id
    request.session[SESSION_EMPLOYEE] = employee.pk
    request.session[SESSION_AUTH_HASH] = auth_hash(employee.account)
    request.session.pop(SESSION_SUDO, None)
    request.employee = employee
    request.tenant = employee.tenant
    request.account = employee.account


def session_switch(request: Any, employee: "Employee") -> None:
    """Move the session to another enterprise of the same account."""
    request.session[SESSION_EMPLOYEE] = employee.pk
    request.session.pop(SESSION_SUDO, None)


def session_logout(request: Any) -> None:
    """End the browser session and forget the caller on this request."""
    request.session.flush()
    request.employee = request.tenant = request.account = None


def sudo_mark(request: Any) -> None:
    """Mark the session as freshly re-authenticated (sudo mode, Q-21)."""
    request.session[SESSION_SUDO] = clock.now().isoformat()
